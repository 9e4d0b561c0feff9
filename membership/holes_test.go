package membership_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/zhangmiao/communitybot"
)

// TestUsedCodeNeverGrantsAgain: a code that made a member is spent, also
// for the member who used it: revoked, they cannot re-join with it, and an
// admin's later /grant to another branch cannot be undone with it.
func TestUsedCodeNeverGrantsAgain(t *testing.T) {
	m, store, _ := setup(t)
	ctx := context.Background()
	const admin, a = 1, 100
	if err := store.SetAccount(ctx, communitybot.Account{UserID: admin, Role: communitybot.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	inv, err := m.NewInvite(ctx, admin, "第一党支部")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Join(ctx, a, inv.Code); err != nil {
		t.Fatalf("first Join = %v", err)
	}

	// The admin moves A to another branch; A's old code must not move them back.
	if _, _, err := m.Grant(ctx, admin, a, communitybot.RoleMember, "第二党支部"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Join(ctx, a, inv.Code); !strings.Contains(userMessage(err), "已经被使用过了") {
		t.Fatalf("Join(own used code) after /grant = %v, want refused as used", err)
	}
	if got, _ := store.Account(ctx, a); got.Branch != "第二党支部" {
		t.Fatalf("the old code undid the admin's /grant: %+v", got)
	}

	// Revoked, A cannot come back with the same code.
	if _, err := m.Revoke(ctx, admin, a); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Join(ctx, a, inv.Code); !strings.Contains(userMessage(err), "已经被使用过了") {
		t.Fatalf("Join(own used code) after /revoke = %v, want refused as used", err)
	}
	if got, _ := store.Account(ctx, a); got.Role != communitybot.RoleResident || subscribed(t, store, a) {
		t.Fatalf("a revoked member re-joined with their used code: %+v", got)
	}
	roster, _ := m.Roster(ctx)
	for _, acct := range roster {
		if acct.UserID == a {
			t.Fatalf("revoked user listed in /members: %+v", roster)
		}
	}
}

// TestCodeOfRevokedAdminIsVoid: an invite grants only while the admin who
// made it is still an admin.
func TestCodeOfRevokedAdminIsVoid(t *testing.T) {
	m, store, _ := setup(t)
	ctx := context.Background()
	for _, id := range []int64{1, 2} {
		if err := store.SetAccount(ctx, communitybot.Account{UserID: id, Role: communitybot.RoleAdmin}); err != nil {
			t.Fatal(err)
		}
	}
	inv, err := m.NewInvite(ctx, 2, "第一党支部")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Revoke(ctx, 1, 2); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Join(ctx, 100, inv.Code); !strings.Contains(userMessage(err), "已失效") {
		t.Fatalf("Join(code of a revoked admin) = %v, want refused", err)
	}
	if got, _ := store.Account(ctx, 100); got.Role != communitybot.RoleResident {
		t.Fatalf("a revoked admin's code made a member: %+v", got)
	}
}

// TestAdminsRevokingEachOther: with two admins, each revoking the other at
// the same moment, exactly one stays admin, however the race falls.
func TestAdminsRevokingEachOther(t *testing.T) {
	m, store, _ := setup(t)
	ctx := context.Background()
	for round := range 20 {
		a, b := int64(10*round+1), int64(10*round+2)
		for _, id := range []int64{a, b} {
			if err := store.SetAccount(ctx, communitybot.Account{UserID: id, Role: communitybot.RoleAdmin}); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, 2)
		for i, pair := range [][2]int64{{a, b}, {b, a}} {
			wg.Go(func() {
				<-start
				_, errs[i] = m.Revoke(ctx, pair[0], pair[1])
			})
		}
		close(start)
		wg.Wait()
		left := 0
		for _, id := range []int64{a, b} {
			if acct, _ := store.Account(ctx, id); acct.Role == communitybot.RoleAdmin {
				left++
			}
		}
		if left != 1 {
			t.Fatalf("round %d: %d admins left (errors %v), want exactly 1", round, left, errs)
		}
		failed := 0
		for _, err := range errs {
			if err != nil {
				failed++
				if !errors.Is(err, communitybot.ErrForbidden) || userMessage(err) == "" {
					t.Errorf("round %d: the losing /revoke = %v, want a user-safe ErrForbidden", round, err)
				}
			}
		}
		if failed != 1 {
			t.Fatalf("round %d: %d of 2 revokes failed, want 1", round, failed)
		}
		// Clean the survivor for the next round's ids.
		admins, _ := store.UsersWithRole(ctx, communitybot.RoleAdmin)
		for _, id := range admins {
			_ = store.SetAccount(ctx, communitybot.Account{UserID: id, Role: communitybot.RoleResident})
		}
	}
}

// TestActorMustStillBeAdmin: a /grant or /revoke by someone who is no
// longer an admin when the change is made changes nothing.
func TestActorMustStillBeAdmin(t *testing.T) {
	m, store, _ := setup(t)
	ctx := context.Background()
	if err := store.SetAccount(ctx, communitybot.Account{UserID: 1, Role: communitybot.RoleMember, Branch: "一支部"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Grant(ctx, 1, 5, communitybot.RoleAdmin, ""); !errors.Is(err, communitybot.ErrForbidden) {
		t.Fatalf("Grant by a non-admin = %v, want ErrForbidden", err)
	}
	if got, _ := store.Account(ctx, 5); got.Role != communitybot.RoleResident {
		t.Fatalf("a non-admin granted a role: %+v", got)
	}
	if err := store.SetAccount(ctx, communitybot.Account{UserID: 6, Role: communitybot.RoleMember, Branch: "一支部"}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Revoke(ctx, 1, 6); !errors.Is(err, communitybot.ErrForbidden) {
		t.Fatalf("Revoke by a non-admin = %v, want ErrForbidden", err)
	}
	if got, _ := store.Account(ctx, 6); got.Role != communitybot.RoleMember {
		t.Fatalf("a non-admin revoked a role: %+v", got)
	}
}
