package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot/storage"
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
