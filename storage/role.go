package storage

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/zhangmiao/communitybot"
)

// Roles are a hash per user, plus one set per role so staff can list
// members and admins without scanning keys. They share the {role} hash tag:
// SetAccount changes a user's hash and the role sets in one MULTI, which
// Redis Cluster allows only within one slot.

func (s *Store) accountKey(userID int64) string {
	return s.key("{role}", "acct", strconv.FormatInt(userID, 10))
}
func (s *Store) roleSetKey(r communitybot.Role) string { return s.key("{role}", "set", string(r)) }

// Account returns a user's role. A user with none is a resident.
func (s *Store) Account(ctx context.Context, userID int64) (communitybot.Account, error) {
	m, err := s.rdb.HGetAll(ctx, s.accountKey(userID)).Result()
	if err != nil {
		return communitybot.Account{}, fmt.Errorf("account %d: %w", userID, err)
	}
	return accountFrom(userID, m), nil
}

// Accounts returns the accounts of several users in one round trip, in the
// order of ids.
func (s *Store) Accounts(ctx context.Context, ids []int64) ([]communitybot.Account, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGetAll(ctx, s.accountKey(id))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	out := make([]communitybot.Account, len(ids))
	for i, c := range cmds {
		out[i] = accountFrom(ids[i], c.Val())
	}
	return out, nil
}

func accountFrom(userID int64, m map[string]string) communitybot.Account {
	a := communitybot.Account{UserID: userID, Role: communitybot.RoleResident}
	if r := communitybot.Role(m["role"]); r == communitybot.RoleMember || r == communitybot.RoleAdmin {
		a.Role = r
	}
	a.Branch = m["branch"]
	a.GrantedBy, _ = strconv.ParseInt(m["by"], 10, 64)
	if ms, err := strconv.ParseInt(m["at"], 10, 64); err == nil {
		a.GrantedAt = time.UnixMilli(ms)
	}
	return a
}

// Role returns a user's role (resident when none is stored).
func (s *Store) Role(ctx context.Context, userID int64) (communitybot.Role, error) {
	a, err := s.Account(ctx, userID)
	return a.Role, err
}

// SetAccount stores a user's role. Setting RoleResident removes the stored
// role.
func (s *Store) SetAccount(ctx context.Context, a communitybot.Account) error {
	if a.GrantedAt.IsZero() {
		a.GrantedAt = s.now()
	}
	_, err := s.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		key := s.accountKey(a.UserID)
		pipe.Del(ctx, key)
		for _, r := range []communitybot.Role{communitybot.RoleMember, communitybot.RoleAdmin} {
			pipe.SRem(ctx, s.roleSetKey(r), a.UserID)
		}
		if a.Role == communitybot.RoleMember || a.Role == communitybot.RoleAdmin {
			pipe.HSet(ctx, key, "role", string(a.Role), "branch", a.Branch, "by", a.GrantedBy, "at", a.GrantedAt.UnixMilli())
			pipe.SAdd(ctx, s.roleSetKey(a.Role), a.UserID)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("set account %d: %w", a.UserID, err)
	}
	return nil
}

// UsersWithRole lists the ids of users who hold role r exactly.
func (s *Store) UsersWithRole(ctx context.Context, r communitybot.Role) ([]int64, error) {
	ids, err := s.rdb.SMembers(ctx, s.roleSetKey(r)).Result()
	if err != nil {
		return nil, fmt.Errorf("users with role %s: %w", r, err)
	}
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if n, err := strconv.ParseInt(id, 10, 64); err == nil {
			out = append(out, n)
		}
	}
	return out, nil
}

// UsersWithRoles lists the ids of users who hold any of the roles, role by
// role in the order given. One round trip.
func (s *Store) UsersWithRoles(ctx context.Context, roles ...communitybot.Role) ([]int64, error) {
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.StringSliceCmd, len(roles))
	for i, r := range roles {
		cmds[i] = pipe.SMembers(ctx, s.roleSetKey(r))
	}
	if _, err := pipe.Exec(ctx); err != nil && len(roles) > 0 {
		return nil, fmt.Errorf("users with roles %v: %w", roles, err)
	}
	var out []int64
	for _, c := range cmds {
		for _, v := range c.Val() {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				out = append(out, n)
			}
		}
	}
	return out, nil
}

// EnsureAdmins makes every listed user an admin (the ADMIN_IDS bootstrap).
// It leaves existing admins alone.
func (s *Store) EnsureAdmins(ctx context.Context, ids []int64) error {
	for _, id := range ids {
		a, err := s.Account(ctx, id)
		if err != nil {
			return err
		}
		if a.Role == communitybot.RoleAdmin {
			continue
		}
		a.Role = communitybot.RoleAdmin
		a.GrantedBy = 0
		if err := s.SetAccount(ctx, a); err != nil {
			return err
		}
	}
	return nil
}
