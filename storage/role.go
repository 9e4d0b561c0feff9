package storage

import (
	"context"
	_ "embed"
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

// RoleChange is a role change an admin asks for (storage.ChangeRole).
type RoleChange struct {
	Actor, Target int64
	// Role is the new role; RoleResident removes the stored one.
	Role communitybot.Role
	// Branch is the new branch, unless KeepBranch keeps the target's.
	Branch     string
	KeepBranch bool
	At         time.Time
}

// ChangeRole sets c.Target's role on behalf of c.Actor, in one script with
// the rules that decide whether it may: the actor must be an admin at that
// moment (two admins revoking each other at once leave one admin, not
// none), an admin cannot lower their own role, and the last admin cannot
// lose it. It returns the target's account before and after, or a
// *communitybot.RefusedError (RefusedNotAdmin, RefusedSelf,
// RefusedLastAdmin, RefusedNoRole for revoking a resident) and no change.
func (s *Store) ChangeRole(ctx context.Context, c RoleChange) (prev, acct communitybot.Account, err error) {
	if c.At.IsZero() {
		c.At = s.now()
	}
	keep := "0"
	if c.KeepBranch {
		keep = "1"
	}
	keys := []string{s.accountKey(c.Actor), s.accountKey(c.Target),
		s.roleSetKey(communitybot.RoleMember), s.roleSetKey(communitybot.RoleAdmin)}
	res, err := s.runScript(ctx, changeRole, keys, c.Actor, c.Target, string(c.Role), c.Branch, keep, c.At.UnixMilli()).StringSlice()
	if err != nil {
		return prev, acct, fmt.Errorf("change role of %d: %w", c.Target, err)
	}
	if prev, err = roleScriptResult(c.Target, res); err != nil {
		return prev, acct, err
	}
	acct = communitybot.Account{UserID: c.Target, Role: communitybot.RoleResident}
	if c.Role == communitybot.RoleMember || c.Role == communitybot.RoleAdmin {
		acct = communitybot.Account{UserID: c.Target, Role: c.Role, Branch: res[5], GrantedBy: c.Actor, GrantedAt: time.UnixMilli(c.At.UnixMilli())}
	}
	return prev, acct, nil
}

//go:embed lua/change_role.lua
var changeRoleLua string

var changeRole = redis.NewScript(changeRoleLua)

// roleScriptResult reads {refusal} or {'ok', role, branch, by, at, …}, the
// answer of the role scripts, as the account before the change.
func roleScriptResult(userID int64, res []string) (communitybot.Account, error) {
	if len(res) == 0 {
		return communitybot.Account{}, fmt.Errorf("role script of %d: empty answer", userID)
	}
	if res[0] != "ok" {
		return communitybot.Account{}, &communitybot.RefusedError{Reason: communitybot.RoleRefusal(res[0])}
	}
	if len(res) < 5 {
		return communitybot.Account{}, fmt.Errorf("role script of %d: short answer %q", userID, res)
	}
	return accountFrom(userID, map[string]string{"role": res[1], "branch": res[2], "by": res[3], "at": res[4]}), nil
}
