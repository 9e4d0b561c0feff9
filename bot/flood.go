package bot

import (
	"sync"
	"time"
)

// floodGuard limits how many messages one user may have handled per
// window. It lives in memory: a user's private chat always maps to the same
// inbox partition, and a partition has one owner at a time, so the replica
// that handles a user's messages is the one that counts them, at no Redis
// round trip.
type floodGuard struct {
	limit  int
	window time.Duration
	now    func() time.Time

	mu      sync.Mutex
	users   map[int64]*floodWindow
	checked int
}

type floodWindow struct {
	start    time.Time
	count    int
	notified bool
}

type floodVerdict int

const (
	floodAllow  floodVerdict = iota // within the limit
	floodNotify                     // first message over the limit: tell the user once
	floodDrop                       // over the limit and already told
)

func newFloodGuard(limit int, window time.Duration) *floodGuard {
	return &floodGuard{limit: limit, window: window, now: time.Now, users: map[int64]*floodWindow{}}
}

// check counts one message of a user.
func (g *floodGuard) check(userID int64) floodVerdict {
	if g.limit < 0 {
		return floodAllow
	}
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.checked++
	if g.checked%1024 == 0 {
		g.sweep(now)
	}
	w := g.users[userID]
	if w == nil || now.Sub(w.start) >= g.window {
		w = &floodWindow{start: now}
		g.users[userID] = w
	}
	w.count++
	switch {
	case w.count <= g.limit:
		return floodAllow
	case !w.notified:
		w.notified = true
		return floodNotify
	default:
		return floodDrop
	}
}

// sweep forgets windows that ended, so the map does not grow with every
// user ever seen.
func (g *floodGuard) sweep(now time.Time) {
	for id, w := range g.users {
		if now.Sub(w.start) >= g.window {
			delete(g.users, id)
		}
	}
}
