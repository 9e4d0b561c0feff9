package storage

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/zhangmiao/communitybot"
)

// holdFirst is a go-redis hook that holds the first pipeline until
// release is closed, so calls made meanwhile queue behind it.
type holdFirst struct {
	release chan struct{}
	held    atomic.Bool
}

func (h *holdFirst) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}
func (h *holdFirst) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (h *holdFirst) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if !h.held.Swap(true) {
			<-h.release
		}
		return next(ctx, cmds)
	}
}

// TestCoalescedCallsShareARoundTrip: while one batch is on the
// wire, conversation reads and send-gate admissions of 100 other chats
// queue and go together in the next pipeline, each with its own correct
// answer; the scripts' NOSCRIPT on a fresh server is handled.
func TestCoalescedCallsShareARoundTrip(t *testing.T) {
	s, err := OpenEmbedded(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	const chats = 100
	for i := range chats {
		if err := s.SaveConversation(ctx, int64(i), int64(i), communitybot.Conversation{Topic: "t" + string(rune('a'+i%26))}, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	h := &holdFirst{release: make(chan struct{})}
	s.rdb.AddHook(h)
	var pipelines atomic.Int64
	s.rdb.AddHook(countPipelines{&pipelines})
	gate := s.SendGate(SendGateConfig{})

	// The first call's batch is held on the wire…
	first := make(chan error, 1)
	go func() { _, err := s.Conversation(ctx, 0, 0); first <- err }()
	for !h.held.Load() {
		time.Sleep(time.Millisecond)
	}
	// …while 100 chats read their conversation and ask the gate.
	var wg sync.WaitGroup
	errs := make(chan error, 2*chats)
	for i := range chats {
		wg.Go(func() {
			c, err := s.Conversation(ctx, int64(i), int64(i))
			if err == nil && c.Topic != "t"+string(rune('a'+i%26)) {
				t.Errorf("chat %d: topic %q", i, c.Topic)
			}
			errs <- err
		})
		wg.Go(func() {
			ok, _, err := gate.Admit(ctx, int64(i), false)
			if err == nil && !ok {
				t.Errorf("chat %d: not admitted", i)
			}
			errs <- err
		})
	}
	for s.queued() < 2*chats {
		time.Sleep(time.Millisecond)
	}
	close(h.release)
	wg.Wait()
	close(errs)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// One held batch, one with the 200 calls, one again for the gate's
	// script, which the fresh server did not know (NOSCRIPT).
	if n := pipelines.Load(); n > 3 {
		t.Fatalf("%d pipelines for 201 calls, want at most 3", n)
	}
}

func (s *Store) queued() int {
	s.co.mu.Lock()
	defer s.co.mu.Unlock()
	return len(s.co.queue)
}

type countPipelines struct{ n *atomic.Int64 }

func (c countPipelines) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c countPipelines) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return next
}
func (c countPipelines) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if n := cmds[0].Name(); n != "client" && n != "hello" { // a new connection's setup
			c.n.Add(1)
		}
		return next(ctx, cmds)
	}
}
