package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

// Replies reserve the global slots in order; a broadcast gets one only
// when replies leave room.
func TestSendGatePutsRepliesAhead(t *testing.T) {
	s := storagetest.New(t)
	ctx := context.Background()
	g := s.SendGate(storage.SendGateConfig{Rate: 10}) // a slot about every 103 ms
	var last time.Duration = -1
	for i := range 4 {
		ok, wait, err := g.Admit(ctx, int64(100+i), false)
		if err != nil || !ok {
			t.Fatalf("reply %d: ok=%v err=%v", i, ok, err)
		}
		if wait <= last {
			t.Errorf("reply %d waits %v, not after the previous one (%v)", i, wait, last)
		}
		last = wait
	}
	if ok, wait, err := g.Admit(ctx, 200, true); err != nil || ok || wait <= 0 {
		t.Errorf("broadcast behind four replies: ok=%v wait=%v err=%v, want refused", ok, wait, err)
	}
	// Once the replies' slots passed, the broadcast goes.
	time.Sleep(last)
	if ok, _, err := g.Admit(ctx, 200, true); err != nil || !ok {
		t.Errorf("broadcast with the replies gone: ok=%v err=%v", ok, err)
	}
}

// A global pause holds replies and broadcasts alike; a chat's pause holds
// that chat only.
func TestSendGatePauses(t *testing.T) {
	s := storagetest.New(t)
	ctx := context.Background()
	g := s.SendGate(storage.SendGateConfig{})
	if err := g.Pause(ctx, 5, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if ok, wait, _ := g.Admit(ctx, 5, false); ok || wait < time.Second {
		t.Errorf("reply to the paused chat: ok=%v wait=%v", ok, wait)
	}
	if ok, _, _ := g.Admit(ctx, 6, true); !ok {
		t.Error("another chat is held by one chat's pause")
	}
	if err := g.Pause(ctx, 0, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	for _, broadcast := range []bool{false, true} {
		if ok, wait, _ := g.Admit(ctx, 7, broadcast); ok || wait < time.Second {
			t.Errorf("broadcast=%v during a global pause: ok=%v wait=%v", broadcast, ok, wait)
		}
	}
	// The delivery workers read the same pause.
	if _, pause, err := s.RecipientStates(ctx, "none", []int64{1}); err != nil || pause < time.Second {
		t.Errorf("delivery pause = %v, %v; want the gate's", pause, err)
	}
}

// TestHungRedisFailsFast stops a private redis-server with SIGSTOP: calls
// time out at the command timeout instead of hanging, the circuit opens
// and calls fail at once; after SIGCONT the store works again by itself.
func TestHungRedisFailsFast(t *testing.T) {
	srv := storagetest.StartServer(t)
	ctx := context.Background()
	s, err := storage.Open(ctx, srv.URL(), storage.Options{Prefix: "hang:", CommandTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	srv.Suspend()
	for i := 0; !s.Unavailable(); i++ {
		if i == 20 {
			t.Fatal("circuit still closed after 20 calls to a hung redis")
		}
		if err := s.Ping(ctx); err == nil {
			t.Fatal("a hung redis answered")
		}
	}
	if err := s.Ping(ctx); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("with the circuit open: %v, want ErrUnavailable", err)
	}
	srv.Continue()
	deadline := time.Now().Add(30 * time.Second)
	for s.Ping(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatal("redis not usable again after SIGCONT")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if s.Unavailable() {
		t.Error("circuit still open after redis answered")
	}
}
