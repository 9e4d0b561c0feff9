package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/zhangmiao/communitybot"
)

// Users are recorded as they talk to the bot: one hash maps user id to
// name, another maps lower-cased @username to user id, so an admin can
// write /grant @name. The index holds only names their user still has: a
// rename removes the old entry, and an entry found stale when resolving
// (its user's record shows another name) is removed and not used, so
// @name never resolves to a previous holder.

// The record and the @username index are updated together by one script,
// so they share the hash tag {user} (earlier versions named them
// "user:info" and "user:uname"; Open renames them, see migrateKeys).
func (s *Store) userInfoKey() string   { return s.key("{user}", "info") }
func (s *Store) usernameKey() string   { return s.key("{user}", "uname") }
func (s *Store) userMenuKey() string   { return s.key("user", "menu") }
func uidField(userID int64) string     { return strconv.FormatInt(userID, 10) }
func usernameField(name string) string { return strings.ToLower(strings.TrimPrefix(name, "@")) }

// userRecord is the stored JSON form; short names keep it small.
type userRecord struct {
	Username  string `json:"u,omitempty"`
	FirstName string `json:"f,omitempty"`
}

// recordUser stores a user's record and moves their index entry: it adds
// the new @username and removes the one the previous record had, unless
// that name maps to someone else by now. Telegram usernames are ASCII, so
// Lua's lower() folds them as usernameField does.
//
// KEYS: info, usernames. ARGV: user id, record JSON, new username field.
var recordUser = redis.NewScript(`
local old = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[2], ARGV[3], ARGV[1]) end
if old then
  local ok, rec = pcall(cjson.decode, old)
  if ok and type(rec) == 'table' and type(rec.u) == 'string' and rec.u ~= '' then
    local was = string.lower(rec.u)
    if string.sub(was, 1, 1) == '@' then was = string.sub(was, 2) end
    if was ~= ARGV[3] and redis.call('HGET', KEYS[2], was) == ARGV[1] then
      redis.call('HDEL', KEYS[2], was)
    end
  end
end
return 1`)

// RecordUser stores a user's current username and first name. One round
// trip; callers keep their own cache so that this runs only when something
// changed.
func (s *Store) RecordUser(ctx context.Context, u communitybot.User) error {
	raw, err := json.Marshal(userRecord{Username: u.Username, FirstName: u.FirstName})
	if err != nil {
		return err
	}
	field := ""
	if u.Username != "" {
		field = usernameField(u.Username)
	}
	if err := s.runScript(ctx, recordUser, []string{s.userInfoKey(), s.usernameKey()}, uidField(u.ID), raw, field).Err(); err != nil {
		return fmt.Errorf("record user %d: %w", u.ID, err)
	}
	return nil
}

// dropStaleUsername removes a username entry if it still maps to the user
// it was found stale for (not to someone who took the name meanwhile).
var dropStaleUsername = redis.NewScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end
return 1`)

// Users returns what is known of the given users. Users never seen are
// returned with their id only.
func (s *Store) Users(ctx context.Context, ids []int64) (map[int64]communitybot.User, error) {
	out := make(map[int64]communitybot.User, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	fields := make([]string, len(ids))
	for i, id := range ids {
		fields[i] = uidField(id)
	}
	vals, err := s.rdb.HMGet(ctx, s.userInfoKey(), fields...).Result()
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	for i, id := range ids {
		u := communitybot.User{ID: id}
		if raw, ok := vals[i].(string); ok {
			var r userRecord
			if json.Unmarshal([]byte(raw), &r) == nil {
				u.Username, u.FirstName = r.Username, r.FirstName
			}
		}
		out[id] = u
	}
	return out, nil
}

// UserByUsername returns the user who last used @name with the bot. It
// returns ErrNotFound when nobody did, or when that user has since changed
// their username (the name may now belong to someone else); such a stale
// entry is removed.
func (s *Store) UserByUsername(ctx context.Context, name string) (communitybot.User, error) {
	field := usernameField(name)
	id, err := s.rdb.HGet(ctx, s.usernameKey(), field).Int64()
	if isNil(err) {
		return communitybot.User{}, fmt.Errorf("username %s: %w", field, communitybot.ErrNotFound)
	}
	if err != nil {
		return communitybot.User{}, fmt.Errorf("username %s: %w", field, err)
	}
	users, err := s.Users(ctx, []int64{id})
	if err != nil {
		return communitybot.User{}, err
	}
	u := users[id]
	if !strings.EqualFold(u.Username, field) {
		// The user has another name now: the entry is stale. Removing it
		// is tidying only; the answer is the same if that fails.
		_ = s.runScript(ctx, dropStaleUsername, []string{s.usernameKey()}, field, uidField(id)).Err()
		return communitybot.User{}, fmt.Errorf("username %s moved: %w", field, communitybot.ErrNotFound)
	}
	return u, nil
}

// UserMenu returns a user's role and the digest of the command menu last
// set for their private chat ("" for none), in one round trip.
func (s *Store) UserMenu(ctx context.Context, userID int64) (communitybot.Role, string, error) {
	pipe := s.rdb.Pipeline()
	acct := pipe.HGetAll(ctx, s.accountKey(userID))
	menu := pipe.HGet(ctx, s.userMenuKey(), uidField(userID))
	if _, err := pipe.Exec(ctx); err != nil && !isNil(err) {
		return "", "", fmt.Errorf("menu of user %d: %w", userID, err)
	}
	return accountFrom(userID, acct.Val()).Role, menu.Val(), nil
}

// SetUserMenu records the digest of the menu set for a user's private chat;
// "" forgets it (the chat shows the default menu).
func (s *Store) SetUserMenu(ctx context.Context, userID int64, digest string) error {
	var err error
	if digest == "" {
		err = s.rdb.HDel(ctx, s.userMenuKey(), uidField(userID)).Err()
	} else {
		err = s.rdb.HSet(ctx, s.userMenuKey(), uidField(userID), digest).Err()
	}
	if err != nil {
		return fmt.Errorf("set menu of user %d: %w", userID, err)
	}
	return nil
}
