package outbound

import (
	"context"
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

// windowGuard keeps this replica's own sends under the limit in every
// one-second window as they actually leave, which is how Telegram counts.
// The shared schedule spaces slots evenly, but a send that leaves late
// (its goroutine descheduled on a busy machine) and one that leaves on
// time 30 slots later can fall in one window; the guard holds the later
// one back until the window has room. It only ever delays, and on a
// quiet machine it never does.
type windowGuard struct {
	mu   sync.Mutex
	ring []time.Time // the last len(ring) departures, oldest at next
	next int
}

// guardWindow is Telegram's one second plus the slack a request needs
// from leaving here to arriving there on a busy machine.
const guardWindow = time.Second + 30*time.Millisecond

func newWindowGuard(rate int) *windowGuard {
	if rate <= 0 {
		return nil
	}
	return &windowGuard{ring: make([]time.Time, rate)}
}

// depart waits until this replica's window has room and books the
// departure at the moment it leaves (a booking made in advance would be
// wrong by as much as the waiting goroutine wakes up late).
func (g *windowGuard) depart(ctx context.Context) error {
	if g == nil {
		return ctx.Err()
	}
	for {
		g.mu.Lock()
		now := time.Now()
		oldest := g.ring[g.next]
		if oldest.IsZero() || now.Sub(oldest) >= guardWindow {
			g.ring[g.next] = now
			g.next = (g.next + 1) % len(g.ring)
			g.mu.Unlock()
			return nil
		}
		g.mu.Unlock()
		if err := sleep(ctx, oldest.Add(guardWindow).Sub(now)); err != nil {
			return err
		}
	}
}
