package membership_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/membership"
	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

func setup(t *testing.T) (*membership.Service, *storage.Store, *clock) {
	t.Helper()
	store := storagetest.New(t)
	c := &clock{t: time.Now()}
	return membership.New(store, membership.Options{InviteTTL: 24 * time.Hour, MaxJoinFailures: 3, Now: c.Now}), store, c
}

func userMessage(err error) string {
	msg, _ := communitybot.UserMessage(err)
	return msg
}

func subscribed(t *testing.T, s *storage.Store, id int64) bool {
	t.Helper()
	got, err := s.SubscribedTopics(context.Background(), id, []communitybot.Topic{communitybot.TopicStudy})
	if err != nil {
		t.Fatal(err)
	}
	return len(got) == 1
}

func TestJoin(t *testing.T) {
	m, store, c := setup(t)
	ctx := context.Background()
	if err := store.SetAccount(ctx, communitybot.Account{UserID: 1, Role: communitybot.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	inv, err := m.NewInvite(ctx, 1, "  第一  党支部 ")
	if err != nil {
		t.Fatal(err)
	}
	if inv.Branch != "第一 党支部" || len(inv.Code) != 12 {
		t.Fatalf("NewInvite() = %+v", inv)
	}
	// Typed in lower case, with full-width letters and without dashes.
	formatted := strings.ToLower(membership.FormatCode(inv.Code))
	typed := string(rune(formatted[0])+0xFEE0) + formatted[1:]
	acct, prev, err := m.Join(ctx, 100, typed)
	if err != nil {
		t.Fatalf("Join(%q) = %v", typed, err)
	}
	if acct.Role != communitybot.RoleMember || acct.Branch != "第一 党支部" || acct.GrantedBy != 1 || prev.Role != communitybot.RoleResident {
		t.Fatalf("Join() = %+v (prev %+v)", acct, prev)
	}
	if got, _ := store.Account(ctx, 100); got.Role != communitybot.RoleMember {
		t.Fatalf("stored account %+v", got)
	}
	if !subscribed(t, store, 100) {
		t.Fatal("a new member is not subscribed to the daily study")
	}

	// Used, unknown, malformed and expired codes change nothing.
	checks := []struct {
		user int64
		code string
		want string
	}{
		{200, inv.Code, "已经被使用过了"},
		{200, "ABCD-EFGH-JKMN", "邀请码无效"},
		{200, "hello", "邀请码无效"},
	}
	for _, tc := range checks {
		_, _, err := m.Join(ctx, tc.user, tc.code)
		if !strings.Contains(userMessage(err), tc.want) {
			t.Errorf("Join(%q) = %v, want %q", tc.code, err, tc.want)
		}
	}
	if got, _ := store.Account(ctx, 200); got.Role != communitybot.RoleResident || subscribed(t, store, 200) {
		t.Fatalf("a failed join changed user 200: %+v", got)
	}
	// Three failures: the fourth attempt is refused even with a good code.
	fresh, _ := m.NewInvite(ctx, 1, "第二党支部")
	if _, _, err := m.Join(ctx, 200, fresh.Code); !strings.Contains(userMessage(err), "输错次数太多") {
		t.Fatalf("Join after 3 failures = %v", err)
	}
	if _, _, err := m.Join(ctx, 201, ""); !strings.Contains(userMessage(err), "/join ABCD") {
		t.Fatalf("Join(empty) = %v", err)
	}

	// A member joining their own branch again keeps the code for someone else.
	same, _ := m.NewInvite(ctx, 1, "第一 党支部")
	if _, _, err := m.Join(ctx, 100, same.Code); !strings.Contains(userMessage(err), "无需重复登记") {
		t.Fatalf("Join(same branch) = %v", err)
	}
	if _, _, err := m.Join(ctx, 300, same.Code); err != nil {
		t.Fatalf("the code was spent on nothing: %v", err)
	}
	// Another branch's code moves a member.
	acct, prev, err = m.Join(ctx, 100, fresh.Code)
	if err != nil || acct.Branch != "第二党支部" || prev.Branch != "第一 党支部" {
		t.Fatalf("Join(other branch) = %+v, %+v, %v", acct, prev, err)
	}

	// An admin needs no code: told how to set a branch, the code is kept.
	if err := store.SetAccount(ctx, communitybot.Account{UserID: 400, Role: communitybot.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	adm, _ := m.NewInvite(ctx, 1, "第三党支部")
	if _, _, err := m.Join(ctx, 400, adm.Code); !strings.Contains(userMessage(err), "您已经是管理员") ||
		!strings.Contains(userMessage(err), "/grant 400 admin 第三党支部") {
		t.Fatalf("admin Join() = %v, want a refusal naming /grant", err)
	}
	if got, _ := store.Account(ctx, 400); got.Role != communitybot.RoleAdmin || got.Branch != "" {
		t.Fatalf("admin Join() changed the account: %+v", got)
	}
	if n, _ := store.JoinFailures(ctx, 400); n != 0 {
		t.Errorf("admin Join() counted %d wrong codes", n)
	}
	if acct, _, err := m.Join(ctx, 401, adm.Code); err != nil || acct.Branch != "第三党支部" {
		t.Fatalf("the admin spent the code: Join by a resident = %+v, %v", acct, err)
	}

	// Expiry follows the service's clock.
	late, _ := m.NewInvite(ctx, 1, "第四党支部")
	c.Add(25 * time.Hour)
	if _, _, err := m.Join(ctx, 500, late.Code); !strings.Contains(userMessage(err), "过期") {
		t.Fatalf("Join(expired) = %v", err)
	}
	if got, _ := store.Account(ctx, 500); got.Role != communitybot.RoleResident {
		t.Fatal("an expired code made a member")
	}
	if _, err := m.NewInvite(ctx, 1, ""); !errors.Is(err, communitybot.ErrInvalid) {
		t.Fatalf("NewInvite(no branch) = %v", err)
	}
}

// TestJoinSingleUseUnderConcurrency: many residents redeem one code at once;
// exactly one becomes a member.
func TestJoinSingleUseUnderConcurrency(t *testing.T) {
	m, store, _ := setup(t)
	ctx := context.Background()
	if err := store.SetAccount(ctx, communitybot.Account{UserID: 1, Role: communitybot.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	inv, err := m.NewInvite(ctx, 1, "一支部")
	if err != nil {
		t.Fatal(err)
	}
	var wins atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for u := range 24 {
		wg.Go(func() {
			<-start
			if _, _, err := m.Join(ctx, int64(1000+u), inv.Code); err == nil {
				wins.Add(1)
			} else if !strings.Contains(userMessage(err), "已经被使用过了") {
				t.Errorf("Join: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	members, _ := store.UsersWithRole(ctx, communitybot.RoleMember)
	if wins.Load() != 1 || len(members) != 1 {
		t.Fatalf("%d joins succeeded, %d members; want exactly 1", wins.Load(), len(members))
	}
}

func TestGrantAndRevoke(t *testing.T) {
	m, store, _ := setup(t)
	ctx := context.Background()
	const admin = 1
	if err := store.SetAccount(ctx, communitybot.Account{UserID: admin, Role: communitybot.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Grant(ctx, admin, 10, communitybot.RoleMember, ""); !strings.Contains(userMessage(err), "支部名称") {
		t.Fatalf("Grant(member, no branch) = %v", err)
	}
	acct, _, err := m.Grant(ctx, admin, 10, communitybot.RoleMember, "一支部")
	if err != nil || acct.Branch != "一支部" || !subscribed(t, store, 10) {
		t.Fatalf("Grant(member) = %+v, %v", acct, err)
	}
	// Promoting keeps the branch.
	if acct, _, err := m.Grant(ctx, admin, 10, communitybot.RoleAdmin, ""); err != nil || acct.Branch != "一支部" || acct.Role != communitybot.RoleAdmin {
		t.Fatalf("Grant(admin) = %+v, %v", acct, err)
	}
	if _, _, err := m.Grant(ctx, admin, admin, communitybot.RoleMember, "一支部"); !errors.Is(err, communitybot.ErrForbidden) {
		t.Fatalf("self-demotion = %v", err)
	}
	if _, _, err := m.Grant(ctx, admin, 10, communitybot.RoleResident, ""); !errors.Is(err, communitybot.ErrInvalid) {
		t.Fatalf("Grant(resident) = %v", err)
	}
	if _, err := m.Revoke(ctx, admin, admin); !errors.Is(err, communitybot.ErrForbidden) {
		t.Fatalf("self-revoke = %v", err)
	}
	if _, err := m.Revoke(ctx, admin, 99); !errors.Is(err, communitybot.ErrConflict) {
		t.Fatalf("Revoke(resident) = %v", err)
	}
	prev, err := m.Revoke(ctx, admin, 10)
	if err != nil || prev.Role != communitybot.RoleAdmin {
		t.Fatalf("Revoke() = %+v, %v", prev, err)
	}
	if got, _ := store.Account(ctx, 10); got.Role != communitybot.RoleResident || subscribed(t, store, 10) {
		t.Fatalf("after revoke: %+v, subscribed %v", got, subscribed(t, store, 10))
	}
	roster, err := m.Roster(ctx)
	if err != nil || len(roster) != 1 || roster[0].UserID != admin {
		t.Fatalf("Roster() = %+v, %v", roster, err)
	}
}

func TestResolveUser(t *testing.T) {
	m, store, _ := setup(t)
	ctx := context.Background()
	if err := store.RecordUser(ctx, communitybot.User{ID: 42, Username: "Wang", FirstName: "王"}); err != nil {
		t.Fatal(err)
	}
	if u, err := m.ResolveUser(ctx, "@wang"); err != nil || u.ID != 42 {
		t.Fatalf("ResolveUser(@wang) = %+v, %v", u, err)
	}
	if u, err := m.ResolveUser(ctx, "42"); err != nil || u.FirstName != "王" {
		t.Fatalf("ResolveUser(42) = %+v, %v", u, err)
	}
	if u, err := m.ResolveUser(ctx, "43"); err != nil || u.ID != 43 {
		t.Fatalf("ResolveUser(unknown id) = %+v, %v; an id alone is enough", u, err)
	}
	for _, bad := range []string{"@nobody", "wang", "-5", "@"} {
		if _, err := m.ResolveUser(ctx, bad); userMessage(err) == "" {
			t.Errorf("ResolveUser(%q) = %v, want a user-safe error", bad, err)
		}
	}
}

func TestNormalizeCode(t *testing.T) {
	tests := map[string]string{
		"ABCD-EFGH-JKMN": "ABCDEFGHJKMN",
		"abcd efgh jkmn": "ABCDEFGHJKMN",
		"ＡＢＣＤ－ＥＦＧＨ－ＪＫＭＮ": "ABCDEFGHJKMN",
	}
	for in, want := range tests {
		if got, ok := membership.NormalizeCode(in); !ok || got != want {
			t.Errorf("NormalizeCode(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"ABCD", "ABCD-EFGH-JKM0", "ABCDEFGHJKMNP", "你好你好你好你好你好你好"} {
		if _, ok := membership.NormalizeCode(bad); ok {
			t.Errorf("NormalizeCode(%q) accepted", bad)
		}
	}
}
