package storage_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot/storage"
)

func TestWebConversation(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		v, err := s.NewWebVisitor(ctx)
		if err != nil || v != 1 {
			t.Fatalf("NewWebVisitor = %d, %v", v, err)
		}
		lim := storage.WebLimit{Kind: "text", Visitor: 3, IP: 100, Window: time.Minute}
		in := storage.WebInput{ClientID: "c1", IP: "203.0.113.5", Log: []byte(`{"me":"电梯"}`), Queue: []byte(`{"q":"电梯"}`)}
		seq, dup, err := s.WebSubmit(ctx, v, in, lim)
		if err != nil || dup || seq != 1 {
			t.Fatalf("WebSubmit = %d, %v, %v", seq, dup, err)
		}
		// A browser retrying the same POST stores nothing twice.
		seq, dup, err = s.WebSubmit(ctx, v, in, lim)
		if err != nil || !dup || seq != 1 {
			t.Fatalf("retried WebSubmit = %d, %v, %v; want seq 1 again", seq, dup, err)
		}
		in2 := in
		in2.ClientID, in2.Queue = "c2", []byte(`{"q":"架空线"}`)
		if seq, _, err := s.WebSubmit(ctx, v, in2, lim); err != nil || seq != 2 {
			t.Fatalf("second input = %d, %v", seq, err)
		}

		// Only the lock holder finishes the head of the queue, in order.
		if ok, err := s.WebLock(ctx, v, "a", time.Minute); !ok || err != nil {
			t.Fatalf("WebLock = %v, %v", ok, err)
		}
		if ok, _ := s.WebLock(ctx, v, "b", time.Minute); ok {
			t.Fatal("a second caller got the lock")
		}
		head, ok, err := s.WebNextInput(ctx, v)
		if err != nil || !ok || head.Seq != 1 || string(head.Data) != `{"q":"电梯"}` {
			t.Fatalf("WebNextInput = %+v, %v, %v", head, ok, err)
		}
		if _, _, err := s.WebComplete(ctx, nil, v, "b", 1, [][]byte{[]byte("x")}); !errors.Is(err, storage.ErrWebNotOwner) {
			t.Fatalf("complete without the lock: %v, want ErrWebNotOwner", err)
		}
		if _, _, err := s.WebComplete(ctx, nil, v, "a", 2, [][]byte{[]byte("x")}); !errors.Is(err, storage.ErrWebNotOwner) {
			t.Fatalf("complete of an input that is not the head: %v, want ErrWebNotOwner", err)
		}
		seqs, left, err := s.WebComplete(ctx, nil, v, "a", 1, [][]byte{[]byte(`{"bot":"答1"}`)})
		if err != nil || len(seqs) != 1 || seqs[0] != 3 || left != 1 {
			t.Fatalf("WebComplete = %v, %d left, %v", seqs, left, err)
		}
		if _, _, err := s.WebComplete(ctx, nil, v, "a", 1, [][]byte{[]byte("again")}); !errors.Is(err, storage.ErrWebNotOwner) {
			t.Fatalf("completing input 1 twice: %v", err)
		}
		pend, err := s.WebPending(ctx, -time.Hour, 10)
		if err != nil || len(pend) != 1 || pend[0] != v {
			t.Fatalf("WebPending with one input left = %v, %v", pend, err)
		}
		if seqs, left, err := s.WebComplete(ctx, nil, v, "a", 2, nil); err != nil || len(seqs) != 0 || left != 0 {
			t.Fatalf("last WebComplete = %v, %d left, %v", seqs, left, err)
		}
		// Nothing left: the lock went with the last completion.
		if ok, _ := s.WebLock(ctx, v, "c", time.Minute); !ok {
			t.Fatal("lock still held after the queue emptied")
		}
		if pend, _ := s.WebPending(ctx, -time.Hour, 10); len(pend) != 0 {
			t.Fatalf("WebPending after the queue emptied = %v", pend)
		}
		if _, ok, _ := s.WebNextInput(ctx, v); ok {
			t.Fatal("queue not empty")
		}
		if err := s.WebUnlock(ctx, v, "a"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.WebLock(ctx, v, "b", time.Minute); ok {
			t.Fatal("a stale token released another's lock")
		}
		if err := s.WebUnlock(ctx, v, "c"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.WebLock(ctx, v, "b", time.Minute); !ok {
			t.Fatal("lock not released")
		}

		// A staff answer relayed later.
		if seqs, err := s.WebAppend(ctx, v, []byte(`{"staff":"答复"}`)); err != nil || len(seqs) != 1 || seqs[0] != 4 {
			t.Fatalf("WebAppend = %v, %v", seqs, err)
		}
		hist, err := s.WebHistory(ctx, v, 10)
		if err != nil || len(hist) != 4 {
			t.Fatalf("WebHistory = %v, %v", hist, err)
		}
		want := []string{`{"me":"电梯"}`, `{"me":"电梯"}`, `{"bot":"答1"}`, `{"staff":"答复"}`}
		for i, r := range hist {
			if r.Seq != int64(i+1) || string(r.Data) != want[i] {
				t.Errorf("history[%d] = %d %s, want %d %s", i, r.Seq, r.Data, i+1, want[i])
			}
		}
		after, err := s.WebMessagesAfter(ctx, v, 2, 10)
		if err != nil || len(after) != 2 || after[0].Seq != 3 {
			t.Fatalf("WebMessagesAfter(2) = %v, %v", after, err)
		}

		// Flood: the visitor's fourth text this minute is refused and
		// stored nowhere; presses are counted apart.
		in3 := in
		in3.ClientID = "c3"
		if _, _, err := s.WebSubmit(ctx, v, in3, lim); err != nil {
			t.Fatal(err)
		}
		in4 := in
		in4.ClientID = "c4"
		if _, _, err := s.WebSubmit(ctx, v, in4, lim); !errors.Is(err, storage.ErrWebVisitorFlood) {
			t.Fatalf("fourth text: %v, want ErrWebVisitorFlood", err)
		}
		press := lim
		press.Kind = "press"
		if _, _, err := s.WebSubmit(ctx, v, in4, press); err != nil {
			t.Fatalf("a press after the texts ran out: %v", err)
		}
		// Per address: another visitor behind the same address.
		w, _ := s.NewWebVisitor(ctx)
		ipLim := storage.WebLimit{Kind: "text", Visitor: 100, IP: 1, Window: time.Minute}
		ip := storage.WebInput{ClientID: "d1", IP: "198.51.100.9", Log: []byte("a"), Queue: []byte("a")}
		if _, _, err := s.WebSubmit(ctx, w, ip, ipLim); err != nil {
			t.Fatal(err)
		}
		ip.ClientID = "d2"
		if _, _, err := s.WebSubmit(ctx, v, ip, ipLim); !errors.Is(err, storage.ErrWebIPFlood) {
			t.Fatalf("second visitor on the address: %v, want ErrWebIPFlood", err)
		}
	})
}

// TestWebCompleteOnceUnderRace: two handlers that both believe they own a
// visitor (the first one's lock ran out) finish each input once.
func TestWebCompleteOnceUnderRace(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		v, _ := s.NewWebVisitor(ctx)
		for i := range 5 {
			in := storage.WebInput{ClientID: fmt.Sprint("c", i), IP: "x", Log: []byte("q"), Queue: []byte("q")}
			if _, _, err := s.WebSubmit(ctx, v, in, storage.WebLimit{Kind: "text"}); err != nil {
				t.Fatal(err)
			}
		}
		if ok, _ := s.WebLock(ctx, v, "t", time.Minute); !ok {
			t.Fatal("no lock")
		}
		var mu sync.Mutex
		done := 0
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				for {
					in, ok, err := s.WebNextInput(ctx, v)
					if err != nil || !ok {
						return
					}
					if _, _, err := s.WebComplete(ctx, nil, v, "t", in.Seq, [][]byte{[]byte("a")}); err == nil {
						mu.Lock()
						done++
						mu.Unlock()
					} else if !errors.Is(err, storage.ErrWebNotOwner) {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		if done != 5 {
			t.Fatalf("%d inputs finished, want 5 (each once)", done)
		}
		hist, _ := s.WebHistory(ctx, v, 100)
		if len(hist) != 10 {
			t.Fatalf("history has %d messages, want 5 inputs + 5 answers", len(hist))
		}
	})
}

func TestWebNotifications(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		got := make(chan int64, 4)
		done := make(chan error, 1)
		go func() { done <- s.WebNotifications(ctx, func(v int64) { got <- v }) }()
		v, _ := s.NewWebVisitor(ctx)
		// The subscription may not be in place yet: append until heard.
		deadline := time.After(10 * time.Second)
		for heard := false; !heard; {
			if _, err := s.WebAppend(ctx, v, []byte("m")); err != nil {
				t.Fatal(err)
			}
			select {
			case n := <-got:
				if n != v {
					t.Fatalf("notified %d, want %d", n, v)
				}
				heard = true
			case <-time.After(100 * time.Millisecond):
			case <-deadline:
				t.Fatal("no notification")
			}
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("WebNotifications = %v after cancel", err)
		}
	})
}
