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
		if err := s.SetAccount(ctx, communitybot.Account{UserID: 7, Role: communitybot.RoleAdmin}); err != nil {
			t.Fatal(err)
		}
		refused := func(what string, err error, want communitybot.RoleRefusal) {
			t.Helper()
			if got, _ := communitybot.Refusal(err); got != want {
				t.Fatalf("%s = %v, want refusal %s", what, err, want)
			}
		}
		_, err = s.JoinWithInvite(ctx, communitybot.Invite{Code: "NOPE", CreatedBy: 7}, 1, now)
		refused("JoinWithInvite(unknown)", err, communitybot.RefusedUnknownCode)
		_, err = s.JoinWithInvite(ctx, inv, 100, now.Add(time.Hour))
		refused("JoinWithInvite(expired)", err, communitybot.RefusedExpiredCode)

		prev, err := s.JoinWithInvite(ctx, inv, 100, now)
		if err != nil || prev.Role != communitybot.RoleResident {
			t.Fatalf("JoinWithInvite() = %+v, %v", prev, err)
		}
		if acct, _ := s.Account(ctx, 100); acct.Role != communitybot.RoleMember || acct.Branch != inv.Branch || acct.GrantedBy != 7 {
			t.Fatalf("after JoinWithInvite: %+v", acct)
		}
		if got, _ := s.Invite(ctx, inv.Code); got.UsedBy != 100 {
			t.Fatalf("used invite = %+v", got)
		}
		_, err = s.JoinWithInvite(ctx, inv, 100, now)
		refused("JoinWithInvite(own code, still its member)", err, communitybot.RefusedSameBranch)
		_, err = s.JoinWithInvite(ctx, inv, 200, now)
		refused("JoinWithInvite(other user)", err, communitybot.RefusedUsedCode)
		if err := s.SetAccount(ctx, communitybot.Account{UserID: 100, Role: communitybot.RoleResident}); err != nil {
			t.Fatal(err)
		}
		_, err = s.JoinWithInvite(ctx, inv, 100, now)
		refused("JoinWithInvite(own code, revoked since)", err, communitybot.RefusedUsedCode)
		if acct, _ := s.Account(ctx, 100); acct.Role != communitybot.RoleResident {
			t.Fatalf("a used code granted again: %+v", acct)
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
		_, err = s.JoinWithInvite(ctx, unused, 1, now)
		refused("JoinWithInvite(deleted)", err, communitybot.RefusedUnknownCode)
	})
}

// TestInviteSingleUseUnderConcurrency races many users for one code: exactly
// one of them may get it.
func TestInviteSingleUseUnderConcurrency(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		now := time.Now()
		if err := s.SetAccount(ctx, communitybot.Account{UserID: 7, Role: communitybot.RoleAdmin}); err != nil {
			t.Fatal(err)
		}
		for round := range 5 {
			code := "RACE" + string(rune('A'+round)) + "2345678"
			inv := communitybot.Invite{Code: code, Branch: "b", CreatedBy: 7, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
			if err := s.CreateInvite(ctx, inv); err != nil {
				t.Fatal(err)
			}
			var wins, conflicts atomic.Int64
			var winner atomic.Int64
			var wg sync.WaitGroup
			start := make(chan struct{})
			for u := range 32 {
				wg.Go(func() {
					<-start
					_, err := s.JoinWithInvite(ctx, inv, int64(1000*(round+1)+u), now)
					reason, _ := communitybot.Refusal(err)
					switch {
					case err == nil:
						wins.Add(1)
						winner.Store(int64(1000*(round+1) + u))
					case reason == communitybot.RefusedUsedCode:
						conflicts.Add(1)
					default:
						t.Errorf("JoinWithInvite: %v", err)
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
