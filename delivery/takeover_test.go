package delivery_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/delivery"
	"github.com/zhangmiao/communitybot/storage"
)

// gate stops one engine's worker at its n-th send, as a long GC pause or a
// network partition would, until released. While a gate is closed the
// engine's touches fail, so its task looks abandoned to other workers.
type gate struct {
	mu      sync.Mutex
	n       int // stop at the n-th send (1-based); 0: never
	calls   int
	stalled bool
	hit     chan struct{} // closed when the worker stopped at the gate
	release chan struct{} // close to let it go on
}

func newGate(n int) *gate {
	return &gate{n: n, hit: make(chan struct{}), release: make(chan struct{})}
}

// pass counts a send and blocks at the n-th one until released.
func (g *gate) pass() {
	g.mu.Lock()
	g.calls++
	stop := g.calls == g.n
	if stop {
		g.stalled = true
		close(g.hit)
	}
	g.mu.Unlock()
	if stop {
		<-g.release
		g.mu.Lock()
		g.stalled = false
		g.mu.Unlock()
	}
}

func (g *gate) isStalled() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stalled
}

func (g *gate) waitHit(t *testing.T, who string) {
	t.Helper()
	select {
	case <-g.hit:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s never reached its gate", who)
	}
}

// gatedStore makes an engine's touches fail while its gate is stalled.
type gatedStore struct {
	*storage.Store
	g *gate
}

func (s gatedStore) TouchTask(ctx context.Context, consumer string, t *storage.DeliveryTask) (bool, error) {
	if s.g.isStalled() {
		return false, errors.New("redis unreachable (test)")
	}
	return s.Store.TouchTask(ctx, consumer, t)
}

// gatedPoster stalls an engine right before a send's last check, after
// the limiter let it go (before set), or after Telegram accepted a message
// and before the worker hears of it: the message is in flight.
type gatedPoster struct {
	delivery.Poster
	g      *gate
	before bool
}

func (p gatedPoster) Deliver(ctx context.Context, chatID int64, r communitybot.Reply, before func(context.Context, int64) error) (int64, error) {
	if p.before {
		check := before
		before = func(ctx context.Context, chat int64) error {
			p.g.pass()
			return check(ctx, chat)
		}
	}
	to, err := p.Poster.Deliver(ctx, chatID, r, before)
	if !p.before {
		p.g.pass()
	}
	return to, err
}

// The reviewer's scenario: worker A stalls longer than ClaimIdle, B takes
// its chunk over and is half-way through when A wakes up. A must not send
// to anyone B is responsible for; at most the one message A had in flight
// when it stalled goes out twice.
func TestStalledWorkerDoesNotSendAfterTakeover(t *testing.T) {
	for _, tc := range []struct {
		name     string
		inFlight bool // A stalls after its 6th message went out, before it is marked
	}{
		{"stalled before a send", false},
		{"stalled with a message in flight", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(c *delivery.Config) { c.Workers = 1; c.ChunkSize = 40; c.ClaimIdle = time.Second })
			ctx := context.Background()
			users := ids(800001, 40)
			b, err := f.engine.Enqueue(ctx, communitybot.Broadcast{Kind: communitybot.KindAnnouncement, ChatIDs: users, Reply: communitybot.Reply{Text: "通知"}})
			if err != nil {
				t.Fatal(err)
			}

			// A delivers to five recipients and stalls at the sixth.
			gA := newGate(6)
			cfgA := f.cfg
			cfgA.ReplicaID = "replica-a"
			engineA := delivery.New(gatedStore{Store: f.store, g: gA}, gatedPoster{Poster: f.poster, g: gA, before: !tc.inFlight}, cfgA)
			stopA := run(t, engineA)
			gA.waitHit(t, "worker A")

			// B takes the chunk over once A's touches have failed for
			// ClaimIdle, delivers five more, and stalls before its sixth
			// send (not in flight: it has not been checked yet).
			gB := newGate(6)
			cfgB := f.cfg
			cfgB.ReplicaID = "replica-b"
			engineB := delivery.New(gatedStore{Store: f.store, g: gB}, gatedPoster{Poster: f.poster, g: gB, before: true}, cfgB)
			stopB := run(t, engineB)
			gB.waitHit(t, "worker B")

			// A wakes up in the middle of B's work, then B goes on.
			close(gA.release)
			close(gB.release)
			if st := f.wait(b.ID); st.Delivered != 40 {
				t.Errorf("status = %+v, want 40 delivered", st)
			}
			stopA()
			stopB()

			inFlight := users[5]
			for _, id := range users {
				want := 1
				if tc.inFlight && id == inFlight {
					want = 2 // A's message in flight: B could not know it went out
				}
				if got := f.api.DeliveryCount(id); got > want {
					t.Errorf("chat %d got %d messages, want at most %d", id, got, want)
				}
			}
		})
	}
}

// run runs an engine's workers until the returned stop is called (or the
// test ends).
func run(t *testing.T, e *delivery.Engine) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := e.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}
