package storage_test

import (
	"context"
	"errors"
	"testing"

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
