package storage_test

import (
	"context"
	"errors"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/storage"
)

func TestUsersAndUsernames(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		if err := s.RecordUser(ctx, communitybot.User{ID: 1, Username: "ZhangSan", FirstName: "张三"}); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordUser(ctx, communitybot.User{ID: 2, FirstName: "李四"}); err != nil {
			t.Fatal(err)
		}
		u, err := s.UserByUsername(ctx, "@zhangsan")
		if err != nil || u.ID != 1 || u.FirstName != "张三" {
			t.Fatalf("UserByUsername(@zhangsan) = %+v, %v", u, err)
		}
		if _, err := s.UserByUsername(ctx, "nobody"); !errors.Is(err, communitybot.ErrNotFound) {
			t.Fatalf("UserByUsername(nobody) = %v, want ErrNotFound", err)
		}
		// User 1 renames, user 3 takes the old name: it must resolve to 3,
		// and a name given up must not resolve to its former owner.
		if err := s.RecordUser(ctx, communitybot.User{ID: 1, Username: "zs2021", FirstName: "张三"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UserByUsername(ctx, "zhangsan"); !errors.Is(err, communitybot.ErrNotFound) {
			t.Fatalf("UserByUsername(given-up name) = %v, want ErrNotFound", err)
		}
		if err := s.RecordUser(ctx, communitybot.User{ID: 3, Username: "zhangsan"}); err != nil {
			t.Fatal(err)
		}
		if u, err := s.UserByUsername(ctx, "zhangsan"); err != nil || u.ID != 3 {
			t.Fatalf("UserByUsername(taken-over name) = %+v, %v, want user 3", u, err)
		}

		users, err := s.Users(ctx, []int64{1, 2, 99})
		if err != nil {
			t.Fatal(err)
		}
		if users[1].Username != "zs2021" || users[2].FirstName != "李四" || users[99].ID != 99 || users[99].FirstName != "" {
			t.Fatalf("Users() = %+v", users)
		}
	})
}

func TestUserMenu(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		role, digest, err := s.UserMenu(ctx, 5)
		if err != nil || role != communitybot.RoleResident || digest != "" {
			t.Fatalf("UserMenu(new) = %v, %q, %v", role, digest, err)
		}
		if err := s.SetAccount(ctx, communitybot.Account{UserID: 5, Role: communitybot.RoleMember, Branch: "b"}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetUserMenu(ctx, 5, "abc"); err != nil {
			t.Fatal(err)
		}
		if role, digest, err = s.UserMenu(ctx, 5); err != nil || role != communitybot.RoleMember || digest != "abc" {
			t.Fatalf("UserMenu() = %v, %q, %v", role, digest, err)
		}
		if err := s.SetUserMenu(ctx, 5, ""); err != nil {
			t.Fatal(err)
		}
		if _, digest, _ = s.UserMenu(ctx, 5); digest != "" {
			t.Fatalf("digest after reset = %q", digest)
		}
		accts, err := s.Accounts(ctx, []int64{5, 6})
		if err != nil || len(accts) != 2 || accts[0].Branch != "b" || accts[1].Role != communitybot.RoleResident {
			t.Fatalf("Accounts() = %+v, %v", accts, err)
		}
	})
}

// TestUsernameIndexForgetsOldNames: the @username index holds only names
// their user still has. A rename removes the old entry (unless someone
// else holds that name by now), and an entry found stale when resolving
// (left by an older version) is removed too.
func TestUsernameIndexForgetsOldNames(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		index := s.Prefix() + "{user}:uname"
		indexed := func(name string) string {
			t.Helper()
			v, err := s.Client().HGet(ctx, index, name).Result()
			if err != nil && !errors.Is(err, redis.Nil) {
				t.Fatal(err)
			}
			return v
		}
		record := func(id int64, username string) {
			t.Helper()
			if err := s.RecordUser(ctx, communitybot.User{ID: id, Username: username, FirstName: "某"}); err != nil {
				t.Fatal(err)
			}
		}
		record(1, "Foo")
		record(1, "bar")
		if v := indexed("foo"); v != "" {
			t.Errorf("after user 1 renamed @Foo to @bar, the index still maps foo to %s", v)
		}
		if v := indexed("bar"); v != "1" {
			t.Errorf("index bar = %q, want 1", v)
		}
		// User 2 takes @qux while user 3 is still recorded as @qux (3 has
		// not talked to the bot since renaming): 3's rename, recorded
		// later, must not remove 2's entry.
		record(3, "qux")
		record(2, "qux")
		record(3, "quux")
		if v := indexed("qux"); v != "2" {
			t.Errorf("index qux = %q, want 2 (its new holder)", v)
		}
		if u, err := s.UserByUsername(ctx, "@qux"); err != nil || u.ID != 2 {
			t.Errorf("UserByUsername(@qux) = %+v, %v; want user 2", u, err)
		}
		// A stale entry from before this fix is removed when it is used.
		if err := s.Client().HSet(ctx, index, "ghost", 1).Err(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UserByUsername(ctx, "@ghost"); !errors.Is(err, communitybot.ErrNotFound) {
			t.Fatalf("UserByUsername(stale) = %v, want ErrNotFound", err)
		}
		if v := indexed("ghost"); v != "" {
			t.Errorf("stale entry ghost → %s kept after it was found stale", v)
		}
		// Dropping the username altogether removes the entry as well.
		record(1, "")
		if v := indexed("bar"); v != "" {
			t.Errorf("index bar = %q after user 1 dropped the username", v)
		}
	})
}
