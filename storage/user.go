package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/zhangmiao/communitybot"
)

// Users are recorded as they talk to the bot: one hash maps user id to
// name, another maps lower-cased @username to user id, so an admin can
// write /grant @name. A username Telegram has since given to someone else
// is caught by checking the id's own record (see UserByUsername).

func (s *Store) userInfoKey() string   { return s.key("user", "info") }
func (s *Store) usernameKey() string   { return s.key("user", "uname") }
func (s *Store) userMenuKey() string   { return s.key("user", "menu") }
func uidField(userID int64) string     { return strconv.FormatInt(userID, 10) }
func usernameField(name string) string { return strings.ToLower(strings.TrimPrefix(name, "@")) }

// userRecord is the stored JSON form; short names keep it small.
type userRecord struct {
	Username  string `json:"u,omitempty"`
	FirstName string `json:"f,omitempty"`
}

// RecordUser stores a user's current username and first name. One round
// trip; callers keep their own cache so that this runs only when something
// changed.
func (s *Store) RecordUser(ctx context.Context, u communitybot.User) error {
	raw, err := json.Marshal(userRecord{Username: u.Username, FirstName: u.FirstName})
	if err != nil {
		return err
	}
	pipe := s.rdb.Pipeline()
	pipe.HSet(ctx, s.userInfoKey(), uidField(u.ID), raw)
	if u.Username != "" {
		pipe.HSet(ctx, s.usernameKey(), usernameField(u.Username), u.ID)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("record user %d: %w", u.ID, err)
	}
	return nil
}

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
// their username (the name may now belong to someone else).
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
