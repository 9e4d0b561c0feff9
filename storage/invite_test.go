package storage_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/storage"
)

func TestInviteLifecycle(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		now := time.Now().Truncate(time.Millisecond)
		inv := communitybot.Invite{Code: "ABCDEFGHJKMN", Branch: "第一党支部", CreatedBy: 7, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := s.CreateInvite(ctx, inv); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateInvite(ctx, inv); !errors.Is(err, communitybot.ErrConflict) {
			t.Fatalf("CreateInvite(same code) = %v, want ErrConflict", err)
		}
		got, err := s.Invite(ctx, inv.Code)
		if err != nil || got.Branch != inv.Branch || got.CreatedBy != 7 || !got.ExpiresAt.Equal(inv.ExpiresAt) || got.UsedBy != 0 {
			t.Fatalf("Invite() = %+v, %v", got, err)
		}
		if _, err := s.Invite(ctx, "NOPE"); !errors.Is(err, communitybot.ErrNotFound) {
			t.Fatalf("Invite(unknown) = %v, want ErrNotFound", err)
		}
		if _, err := s.ClaimInvite(ctx, "NOPE", 1); !errors.Is(err, communitybot.ErrNotFound) {
			t.Fatalf("ClaimInvite(unknown) = %v, want ErrNotFound", err)
		}

		won, err := s.ClaimInvite(ctx, inv.Code, 100)
		if err != nil || won.UsedBy != 100 || won.Branch != inv.Branch {
			t.Fatalf("ClaimInvite() = %+v, %v", won, err)
		}
		if again, err := s.ClaimInvite(ctx, inv.Code, 100); err != nil || again.UsedBy != 100 {
			t.Fatalf("ClaimInvite(same user again) = %+v, %v; a retried join must succeed", again, err)
		}
		lost, err := s.ClaimInvite(ctx, inv.Code, 200)
		if !errors.Is(err, communitybot.ErrConflict) || lost.UsedBy != 100 {
			t.Fatalf("ClaimInvite(other user) = %+v, %v, want ErrConflict naming user 100", lost, err)
		}
		if ok, err := s.DeleteInvite(ctx, inv.Code); ok || err != nil {
			t.Fatalf("DeleteInvite(used) = %v, %v, want false", ok, err)
		}

		unused := communitybot.Invite{Code: "QRSTUVWXYZ23", Branch: "b", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := s.CreateInvite(ctx, unused); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.DeleteInvite(ctx, unused.Code); !ok || err != nil {
			t.Fatalf("DeleteInvite(unused) = %v, %v, want true", ok, err)
		}
		if _, err := s.ClaimInvite(ctx, unused.Code, 1); !errors.Is(err, communitybot.ErrNotFound) {
			t.Fatalf("ClaimInvite(deleted) = %v, want ErrNotFound", err)
		}
	})
}

// TestInviteSingleUseUnderConcurrency races many users for one code: exactly
// one of them may get it.
func TestInviteSingleUseUnderConcurrency(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		now := time.Now()
		for round := range 5 {
			code := "RACE" + string(rune('A'+round)) + "2345678"
			if err := s.CreateInvite(ctx, communitybot.Invite{Code: code, Branch: "b", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			var wins, conflicts atomic.Int64
			var winner atomic.Int64
			var wg sync.WaitGroup
			start := make(chan struct{})
			for u := range 32 {
				wg.Go(func() {
					<-start
					inv, err := s.ClaimInvite(ctx, code, int64(1000+u))
					switch {
					case err == nil:
						wins.Add(1)
						winner.Store(inv.UsedBy)
					case errors.Is(err, communitybot.ErrConflict):
						conflicts.Add(1)
					default:
						t.Errorf("ClaimInvite: %v", err)
					}
				})
			}
			close(start)
			wg.Wait()
			if wins.Load() != 1 || conflicts.Load() != 31 {
				t.Fatalf("round %d: %d wins, %d conflicts; want exactly 1 and 31", round, wins.Load(), conflicts.Load())
			}
			if inv, _ := s.Invite(ctx, code); inv.UsedBy != winner.Load() {
				t.Fatalf("round %d: stored user %d, winner %d", round, inv.UsedBy, winner.Load())
			}
		}
	})
}

func TestJoinFailures(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		for i := range 3 {
			if n, err := s.JoinFailures(ctx, 9); err != nil || n != int64(i) {
				t.Fatalf("JoinFailures() = %d, %v, want %d", n, err, i)
			}
			if err := s.AddJoinFailure(ctx, 9, time.Hour); err != nil {
				t.Fatal(err)
			}
		}
		if n, _ := s.JoinFailures(ctx, 10); n != 0 {
			t.Fatalf("another user's failures = %d, want 0", n)
		}
	})
}
