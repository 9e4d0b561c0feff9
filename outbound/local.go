package outbound

import (
	"sync"
	"time"
)

// localGate is the Gate's stand-in inside one replica: the same rules (a
// reply reserves the next slot, a broadcast takes one only when no more
// than one slot is reserved ahead, pauses hold every message or one
// chat's), kept in memory. It paces this replica alone, so it is what
// runs when there is no shared Gate or it does not answer; it also
// remembers the pauses this replica learned of, so they are honoured
// without a round trip.
type localGate struct {
	mu       sync.Mutex
	interval time.Duration       // between two messages; 0: no limit
	next     time.Time           // first free slot
	until    time.Time           // global pause
	chats    map[int64]time.Time // chat pauses
}

func newLocalGate(rate int) *localGate {
	g := &localGate{chats: map[int64]time.Time{}}
	if rate > 0 {
		g.interval = time.Second / time.Duration(rate)
	}
	return g
}

// paused returns how long a message to chat must still wait for a pause.
func (g *localGate) paused(chat int64, now time.Time) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	w := g.until.Sub(now)
	if until, ok := g.chats[chat]; ok {
		if cw := until.Sub(now); cw > w {
			w = cw
		} else if cw <= 0 {
			delete(g.chats, chat)
		}
	}
	return max(w, 0)
}

// pause holds every message (chat 0) or chat's for d from now.
func (g *localGate) pause(chat int64, d time.Duration, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	until := now.Add(d)
	if chat == 0 {
		if until.After(g.until) {
			g.until = until
		}
		return
	}
	if len(g.chats) > 10000 { // forget expired pauses now and then
		for c, u := range g.chats {
			if !u.After(now) {
				delete(g.chats, c)
			}
		}
	}
	if until.After(g.chats[chat]) {
		g.chats[chat] = until
	}
}

// admit follows Gate.Admit's contract, pauses aside (see paused).
func (g *localGate) admit(_ int64, broadcast bool, now time.Time) (bool, time.Duration) {
	if g.interval == 0 {
		return true, 0
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	slot := g.next
	if slot.Before(now) {
		slot = now
	}
	ahead := slot.Sub(now)
	if broadcast && ahead > g.interval {
		return false, ahead - g.interval
	}
	g.next = slot.Add(g.interval)
	return true, ahead
}
