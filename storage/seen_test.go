package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

// TestSeenUserIsDeferred: counting a user within an update's Batch costs no
// round trip of its own; the count lands with the batch's flush (the inbox
// acknowledgement), and outside a batch it is written at once as before.
func TestSeenUserIsDeferred(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		bctx, batch := storage.WithBatch(ctx)
		trips := s.RoundTrips()
		for _, id := range []int64{1, 2, 2} {
			if err := s.SeenUser(bctx, id); err != nil {
				t.Fatal(err)
			}
		}
		if n := s.RoundTrips() - trips; n != 0 {
			t.Fatalf("SeenUser in a batch made %d round trips, want 0", n)
		}
		if total, _, _, _ := s.UsersSeen(ctx, time.Now()); total != 0 {
			t.Fatalf("users seen before the flush = %d, want 0", total)
		}
		if err := s.Flush(ctx, batch); err != nil {
			t.Fatal(err)
		}
		if err := s.SeenUser(ctx, 3); err != nil { // no batch: written at once
			t.Fatal(err)
		}
		total, today, week, err := s.UsersSeen(ctx, time.Now())
		if err != nil || total != 3 || today != 3 || week != 3 {
			t.Fatalf("UsersSeen = %d %d %d, %v; want 3 each", total, today, week, err)
		}
	})
}

// TestDayCounterExpirySentOnce: counting users gives the day's key its
// expiry once, not with every count (it was a quarter of an update's
// commands), and the key does expire.
func TestDayCounterExpirySentOnce(t *testing.T) {
	s := storagetest.New(t)
	ctx := context.Background()
	count := func(from int64) int64 {
		bctx, batch := storage.WithBatch(ctx)
		for id := range int64(10) {
			if err := s.SeenUser(bctx, from+id); err != nil {
				t.Fatal(err)
			}
		}
		cmds := s.Commands()
		if err := s.Flush(ctx, batch); err != nil {
			t.Fatal(err)
		}
		return s.Commands() - cmds
	}
	count(100) // the first flush sets the expiry (and may open a connection)
	if n := count(200); n != 20 {
		t.Fatalf("flushing 10 more counts sent %d commands, want 20 (2 PFADD each, no EXPIRE)", n)
	}
	ttl, err := s.Client().TTL(ctx, s.Prefix()+"{seen}:d:"+time.Now().UTC().Format("20060102")).Result()
	if err != nil || ttl <= 0 {
		t.Fatalf("day key TTL = %v, %v; want an expiry", ttl, err)
	}
}
