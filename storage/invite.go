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

// An invite is one hash per code. It outlives its expiry by inviteGrace so
// that a late /join is told "expired" or "used" rather than "unknown".
// Invites share the {role} hash tag with the accounts, so redeeming a code
// and making its user a member is one script, also on Redis Cluster.

const inviteGrace = 7 * 24 * time.Hour

func (s *Store) inviteKey(code string) string { return s.key("{role}", "invite", code) }
func (s *Store) joinFailKey(userID int64) string {
	return s.key("joinfail", strconv.FormatInt(userID, 10))
}

// CreateInvite stores a new invite. It returns ErrConflict if the code
// exists already (the caller draws another).
func (s *Store) CreateInvite(ctx context.Context, inv communitybot.Invite) error {
	ttl := inv.ExpiresAt.Sub(s.now()) + inviteGrace
	ok, err := s.runScript(ctx, createInvite, []string{s.inviteKey(inv.Code)}, ttl.Milliseconds(),
		"branch", inv.Branch, "by", inv.CreatedBy, "at", inv.CreatedAt.UnixMilli(), "exp", inv.ExpiresAt.UnixMilli()).Int()
	if err != nil {
		return fmt.Errorf("create invite: %w", err)
	}
	if ok == 0 {
		return fmt.Errorf("invite code taken: %w", communitybot.ErrConflict)
	}
	return nil
}

//go:embed lua/create_invite.lua
var createInviteLua string

var createInvite = redis.NewScript(createInviteLua)

// Invite returns the invite with the given code, or ErrNotFound.
func (s *Store) Invite(ctx context.Context, code string) (communitybot.Invite, error) {
	m, err := s.rdb.HGetAll(ctx, s.inviteKey(code)).Result()
	if err != nil {
		return communitybot.Invite{}, fmt.Errorf("invite: %w", err)
	}
	if len(m) == 0 {
		return communitybot.Invite{}, fmt.Errorf("invite: %w", communitybot.ErrNotFound)
	}
	return inviteFrom(code, m), nil
}

func inviteFrom(code string, m map[string]string) communitybot.Invite {
	inv := communitybot.Invite{Code: code, Branch: m["branch"]}
	inv.CreatedBy, _ = strconv.ParseInt(m["by"], 10, 64)
	inv.UsedBy, _ = strconv.ParseInt(m["used_by"], 10, 64)
	ms := func(k string) time.Time {
		if v, err := strconv.ParseInt(m[k], 10, 64); err == nil {
			return time.UnixMilli(v)
		}
		return time.Time{}
	}
	inv.CreatedAt, inv.ExpiresAt, inv.UsedAt = ms("at"), ms("exp"), ms("used_at")
	return inv
}

// JoinWithInvite redeems inv (as read by Invite) for userID at time now:
// in one script it checks that the code exists, was never used (by
// anyone: a used code never grants again), has not expired, that its
// creator is still an admin and that the user is neither an admin nor a
// member of its branch already, then marks the code used and makes the
// user a member of its branch. Of several users racing for one code
// exactly one wins.
//
// It returns the user's account before the change, or a
// *communitybot.RefusedError (RefusedUnknownCode, RefusedUsedCode,
// RefusedExpiredCode, RefusedVoidCode, RefusedIsAdmin, RefusedSameBranch)
// and no change.
func (s *Store) JoinWithInvite(ctx context.Context, inv communitybot.Invite, userID int64, now time.Time) (prev communitybot.Account, err error) {
	keys := []string{s.inviteKey(inv.Code), s.accountKey(userID),
		s.roleSetKey(communitybot.RoleMember), s.roleSetKey(communitybot.RoleAdmin), s.accountKey(inv.CreatedBy)}
	res, err := s.runScript(ctx, joinInvite, keys, userID, now.UnixMilli(), inv.CreatedBy).StringSlice()
	if err != nil {
		return prev, fmt.Errorf("join with invite: %w", err)
	}
	return roleScriptResult(userID, res)
}

//go:embed lua/join_invite.lua
var joinInviteLua string

var joinInvite = redis.NewScript(joinInviteLua)

// DeleteInvite withdraws an unused invite. It reports false when the code
// is unknown or was used already.
func (s *Store) DeleteInvite(ctx context.Context, code string) (bool, error) {
	n, err := s.runScript(ctx, deleteUnusedInvite, []string{s.inviteKey(code)}).Int()
	if err != nil {
		return false, fmt.Errorf("delete invite: %w", err)
	}
	return n == 1, nil
}

//go:embed lua/delete_unused_invite.lua
var deleteUnusedInviteLua string

var deleteUnusedInvite = redis.NewScript(deleteUnusedInviteLua)

// JoinFailures returns how many failed /join attempts a user made in the
// current window.
func (s *Store) JoinFailures(ctx context.Context, userID int64) (int64, error) {
	n, err := s.rdb.Get(ctx, s.joinFailKey(userID)).Int64()
	if isNil(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("join failures: %w", err)
	}
	return n, nil
}

// AddJoinFailure counts a failed /join attempt; the count starts afresh
// window after the first failure.
func (s *Store) AddJoinFailure(ctx context.Context, userID int64, window time.Duration) error {
	if err := s.runScript(ctx, incrWindow, []string{s.joinFailKey(userID)}, window.Milliseconds()).Err(); err != nil {
		return fmt.Errorf("join failure: %w", err)
	}
	return nil
}

// incrWindow counts in a window that starts with the first count.
//
//go:embed lua/incr_window.lua
var incrWindowLua string

var incrWindow = redis.NewScript(incrWindowLua)
