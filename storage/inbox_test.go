package storage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

func TestInboxDedupOrderAndResume(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		const p = 3
		if err := s.InboxPrepare(ctx, p); err != nil {
			t.Fatal(err)
		}
		if err := s.InboxPrepare(ctx, p); err != nil { // idempotent
			t.Fatal(err)
		}
		items := func(ids ...int64) []storage.InboxItem {
			var out []storage.InboxItem
			for _, id := range ids {
				out = append(out, storage.InboxItem{UpdateID: id, Partition: p, Payload: []byte(fmt.Sprintf(`{"update_id":%d}`, id))})
			}
			return out
		}
		n, err := s.InboxAppend(ctx, items(1, 2, 3))
		if err != nil || n != 3 {
			t.Fatalf("append = %d, %v; want 3", n, err)
		}
		if err := s.SavePollerOffset(ctx, 4); err != nil {
			t.Fatal(err)
		}
		// Telegram redelivers 2 and 3: they must not be stored twice.
		if n, err := s.InboxAppend(ctx, items(2, 3, 4)); err != nil || n != 1 {
			t.Fatalf("append redelivery = %d, %v; want 1 new", n, err)
		}
		if off, err := s.PollerOffset(ctx); err != nil || off != 4 {
			t.Fatalf("PollerOffset = %d, %v; want 4", off, err)
		}

		got, err := s.InboxRead(ctx, p, 2, 10*time.Millisecond, false)
		if err != nil || len(got) != 2 || got[0].UpdateID != 1 || got[1].UpdateID != 2 {
			t.Fatalf("InboxRead = %+v, %v; want updates 1, 2", got, err)
		}
		if string(got[0].Payload) != `{"update_id":1}` {
			t.Fatalf("payload = %q", got[0].Payload)
		}
		if err := s.InboxAck(ctx, p, nil, got[0].ID); err != nil {
			t.Fatal(err)
		}
		// The owner "dies" here with update 2 read but not acknowledged.
		// The next owner first sees update 2 again, then 3 and 4.
		pend, err := s.InboxRead(ctx, p, 10, 0, true)
		if err != nil || len(pend) != 1 || pend[0].UpdateID != 2 {
			t.Fatalf("pending = %+v, %v; want update 2", pend, err)
		}
		if err := s.InboxAck(ctx, p, nil, pend[0].ID); err != nil {
			t.Fatal(err)
		}
		rest, err := s.InboxRead(ctx, p, 10, 10*time.Millisecond, false)
		if err != nil || len(rest) != 2 || rest[0].UpdateID != 3 || rest[1].UpdateID != 4 {
			t.Fatalf("rest = %+v, %v; want 3, 4", rest, err)
		}
		if err := s.InboxAck(ctx, p, nil, rest[0].ID, rest[1].ID); err != nil {
			t.Fatal(err)
		}
		if l, err := s.InboxLen(ctx, p); err != nil || l != 0 {
			t.Fatalf("InboxLen = %d, %v; want 0", l, err)
		}
		empty, err := s.InboxRead(ctx, p, 10, 10*time.Millisecond, false)
		if err != nil || len(empty) != 0 {
			t.Fatalf("read on empty = %+v, %v", empty, err)
		}
	})
}

func TestLease(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		ok, err := s.AcquireLease(ctx, "poller", "a", time.Minute)
		if err != nil || !ok {
			t.Fatalf("a acquire = %v, %v", ok, err)
		}
		if ok, _ := s.AcquireLease(ctx, "poller", "b", time.Minute); ok {
			t.Fatal("b acquired a held lease")
		}
		if ok, _ := s.AcquireLease(ctx, "poller", "a", time.Minute); !ok {
			t.Fatal("a could not re-acquire its own lease")
		}
		if ok, _ := s.RenewLease(ctx, "poller", "b", time.Minute); ok {
			t.Fatal("b renewed a's lease")
		}
		if err := s.ReleaseLease(ctx, "poller", "b"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.AcquireLease(ctx, "poller", "b", time.Minute); ok {
			t.Fatal("b's release freed a's lease")
		}
		if err := s.ReleaseLease(ctx, "poller", "a"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.AcquireLease(ctx, "poller", "b", 50*time.Millisecond); !ok {
			t.Fatal("b could not take a released lease")
		}
		// b dies: the lease expires and a takes over.
		deadline := time.Now().Add(5 * time.Second)
		for {
			ok, err := s.AcquireLease(ctx, "poller", "a", time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("expired lease was never free")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// TestFailedAckKeepsDeferredWrites: when the acknowledgement (with the
// handler's deferred writes) fails, a retry still carries the writes.
func TestFailedAckKeepsDeferredWrites(t *testing.T) {
	s := storagetest.New(t)
	ctx := context.Background()
	bctx, batch := storage.WithBatch(ctx)
	if err := s.SaveConversation(bctx, 5, 5, communitybot.Conversation{Topic: "goals"}, time.Minute); err != nil {
		t.Fatal(err)
	}
	// The same writes through a client that cannot connect: the ack fails.
	broken := storage.NewFromClient(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1}), storage.Options{Prefix: s.Prefix()})
	defer broken.Close()
	if err := broken.InboxAck(ctx, 0, batch, "0-1"); err == nil {
		t.Fatal("ack through a closed port succeeded")
	}
	if batch.Len() != 1 {
		t.Fatalf("failed ack left %d writes in the batch, want 1", batch.Len())
	}
	if err := s.InboxAck(ctx, 0, batch, "0-1"); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Conversation(ctx, 5, 5); c.Topic != "goals" {
		t.Fatalf("conversation after the retried ack = %+v, want the deferred write", c)
	}
	if batch.Len() != 0 {
		t.Fatalf("batch holds %d writes after a successful ack", batch.Len())
	}
}
