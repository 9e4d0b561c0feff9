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
				out = append(out, storage.InboxItem{UpdateID: id, Partition: p, Chat: 40 + id, Payload: []byte(fmt.Sprintf(`{"update_id":%d}`, id))})
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

		got, err := s.InboxRead(ctx, p, 3, 10*time.Millisecond)
		if err != nil || len(got) != 3 || got[0].UpdateID != 1 || got[1].UpdateID != 2 || got[2].UpdateID != 3 {
			t.Fatalf("InboxRead = %+v, %v; want updates 1, 2, 3", got, err)
		}
		if string(got[0].Payload) != `{"update_id":1}` || got[0].Chat != 41 {
			t.Fatalf("entry = %+v, want update 1's payload and chat 41", got[0])
		}
		// Different chats finish in any order: 2 is acknowledged before 1.
		if err := s.InboxAck(ctx, []storage.InboxDone{{Partition: p, ID: got[1].ID}}); err != nil {
			t.Fatal(err)
		}
		// The owner "dies" here with updates 1 and 3 read but not
		// acknowledged. The next owner pages through them, then reads 4.
		pend, err := s.InboxPending(ctx, p, "0", 1)
		if err != nil || len(pend) != 1 || pend[0].UpdateID != 1 {
			t.Fatalf("pending = %+v, %v; want update 1", pend, err)
		}
		pend2, err := s.InboxPending(ctx, p, pend[0].ID, 10)
		if err != nil || len(pend2) != 1 || pend2[0].UpdateID != 3 {
			t.Fatalf("pending after 1 = %+v, %v; want update 3", pend2, err)
		}
		if more, err := s.InboxPending(ctx, p, pend2[0].ID, 10); err != nil || len(more) != 0 {
			t.Fatalf("pending after 3 = %+v, %v; want none", more, err)
		}
		rest, err := s.InboxRead(ctx, p, 10, 10*time.Millisecond)
		if err != nil || len(rest) != 1 || rest[0].UpdateID != 4 {
			t.Fatalf("rest = %+v, %v; want 4", rest, err)
		}
		// One round trip acknowledges entries of several partitions.
		if err := s.InboxAck(ctx, []storage.InboxDone{{Partition: p, ID: pend[0].ID}, {Partition: p, ID: pend2[0].ID}, {Partition: p, ID: rest[0].ID}}); err != nil {
			t.Fatal(err)
		}
		if l, err := s.InboxLen(ctx, p); err != nil || l != 0 {
			t.Fatalf("InboxLen = %d, %v; want 0", l, err)
		}
		if more, err := s.InboxPending(ctx, p, "0", 10); err != nil || len(more) != 0 {
			t.Fatalf("pending at the end = %+v, %v; want none", more, err)
		}
		empty, err := s.InboxRead(ctx, p, 10, 10*time.Millisecond)
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
	if err := broken.InboxAck(ctx, []storage.InboxDone{{ID: "0-1", Writes: batch}}); err == nil {
		t.Fatal("ack through a closed port succeeded")
	}
	if batch.Len() != 1 {
		t.Fatalf("failed ack left %d writes in the batch, want 1", batch.Len())
	}
	if err := s.InboxAck(ctx, []storage.InboxDone{{ID: "0-1", Writes: batch}}); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Conversation(ctx, 5, 5); c.Topic != "goals" {
		t.Fatalf("conversation after the retried ack = %+v, want the deferred write", c)
	}
	if batch.Len() != 0 {
		t.Fatalf("batch holds %d writes after a successful ack", batch.Len())
	}
}

func TestMembersAndLeases(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		if m, err := s.Heartbeat(ctx, "g", "b", time.Minute); err != nil || len(m) != 1 || m[0] != "b" {
			t.Fatalf("Heartbeat(b) = %v, %v; want [b]", m, err)
		}
		if _, err := s.Heartbeat(ctx, "g", "c", 50*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		m, err := s.Heartbeat(ctx, "g", "a", time.Minute)
		if err != nil || fmt.Sprint(m) != "[a b c]" {
			t.Fatalf("Heartbeat(a) = %v, %v; want [a b c]", m, err)
		}
		// c stops renewing: it drops out once its entry expires.
		deadline := time.Now().Add(5 * time.Second)
		for fmt.Sprint(m) != "[a b]" {
			if time.Now().After(deadline) {
				t.Fatalf("members = %v; c never expired", m)
			}
			time.Sleep(20 * time.Millisecond)
			m, _ = s.Heartbeat(ctx, "g", "a", time.Minute)
		}
		if err := s.LeaveGroup(ctx, "g", "b"); err != nil {
			t.Fatal(err)
		}
		if m, _ := s.Heartbeat(ctx, "g", "a", time.Minute); fmt.Sprint(m) != "[a]" {
			t.Fatalf("members after b left = %v; want [a]", m)
		}

		held, err := s.HoldLeases(ctx, []string{"x", "y"}, "a", time.Minute)
		if err != nil || !held[0] || !held[1] {
			t.Fatalf("a HoldLeases = %v, %v; want both", held, err)
		}
		held, err = s.HoldLeases(ctx, []string{"y", "z"}, "b", time.Minute)
		if err != nil || held[0] || !held[1] {
			t.Fatalf("b HoldLeases = %v, %v; want z only", held, err)
		}
		if held, _ := s.HoldLeases(ctx, []string{"x"}, "a", time.Minute); !held[0] {
			t.Fatal("a could not renew its lease")
		}
		if err := s.ReleaseLeases(ctx, []string{"x", "y", "z"}, "a"); err != nil {
			t.Fatal(err)
		}
		held, _ = s.HoldLeases(ctx, []string{"x", "z"}, "b", time.Minute)
		if !held[0] || !held[1] {
			t.Fatalf("after a released: b holds %v; want x (released) and z (its own, untouched by a's release)", held)
		}
	})
}
