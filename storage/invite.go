package storage

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/zhangmiao/communitybot"
)

// An invite is one hash per code. It outlives its expiry by inviteGrace so
// that a late /join is told "expired" or "used" rather than "unknown"; the
// expiry itself is checked by the caller against ExpiresAt.

const inviteGrace = 7 * 24 * time.Hour

func (s *Store) inviteKey(code string) string { return s.key("invite", code) }
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

var createInvite = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`)

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

// ClaimInvite marks the invite as used by userID, atomically: of several
// users racing for one code exactly one wins. Claiming a code one already
// holds succeeds again (a retried /join must not lock its sender out).
// It returns the invite, ErrNotFound for an unknown code, and ErrConflict
// (with the invite) when someone else used it first.
func (s *Store) ClaimInvite(ctx context.Context, code string, userID int64) (communitybot.Invite, error) {
	res, err := s.runScript(ctx, claimInvite, []string{s.inviteKey(code)}, userID, s.now().UnixMilli()).StringSlice()
	if err != nil {
		return communitybot.Invite{}, fmt.Errorf("claim invite: %w", err)
	}
	if len(res) == 0 {
		return communitybot.Invite{}, fmt.Errorf("claim invite: %w", communitybot.ErrNotFound)
	}
	m := make(map[string]string, len(res)/2)
	for i := 1; i+1 < len(res); i += 2 {
		m[res[i]] = res[i+1]
	}
	inv := inviteFrom(code, m)
	if res[0] != "1" {
		return inv, fmt.Errorf("invite used by %d: %w", inv.UsedBy, communitybot.ErrConflict)
	}
	return inv, nil
}

// claimInvite returns {} for an unknown code, else {won, field, value, …}.
var claimInvite = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
local by = redis.call('HGET', KEYS[1], 'used_by')
local won = '1'
if not by then
  redis.call('HSET', KEYS[1], 'used_by', ARGV[1], 'used_at', ARGV[2])
elseif by ~= ARGV[1] then
  won = '0'
end
local r = redis.call('HGETALL', KEYS[1])
table.insert(r, 1, won)
return r`)

// DeleteInvite withdraws an unused invite. It reports false when the code
// is unknown or was used already.
func (s *Store) DeleteInvite(ctx context.Context, code string) (bool, error) {
	n, err := s.runScript(ctx, deleteUnusedInvite, []string{s.inviteKey(code)}).Int()
	if err != nil {
		return false, fmt.Errorf("delete invite: %w", err)
	}
	return n == 1, nil
}

var deleteUnusedInvite = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[1], 'used_by') == 1 then return 0 end
return redis.call('DEL', KEYS[1])`)

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
var incrWindow = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`)
