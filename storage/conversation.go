package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/zhangmiao/communitybot"
)

// conversationRecord is the stored JSON form; short field names keep the
// per-chat memory small.
type conversationRecord struct {
	Topic   string `json:"t,omitempty"`
	Project string `json:"p,omitempty"`
	Intent  int    `json:"i,omitempty"`
	At      int64  `json:"at"`
}

// conversationKey is per chat and user: in a group, two residents asking
// about different projects must not pick up each other's context.
func (s *Store) conversationKey(chatID, userID int64) string {
	return s.key("conv", strconv.FormatInt(chatID, 10), strconv.FormatInt(userID, 10))
}

// Conversation returns a user's conversation state in a chat. A user with
// none (new, or silent for longer than the TTL) gets the zero Conversation
// and no error.
func (s *Store) Conversation(ctx context.Context, chatID, userID int64) (communitybot.Conversation, error) {
	key := s.conversationKey(chatID, userID)
	cmd, err := s.co.do(ctx, func(ctx context.Context, pipe redis.Pipeliner) redis.Cmder { return pipe.Get(ctx, key) })
	var raw []byte
	if err == nil {
		raw, err = cmd.(*redis.StringCmd).Bytes()
	}
	if isNil(err) {
		return communitybot.Conversation{}, nil
	}
	if err != nil {
		return communitybot.Conversation{}, fmt.Errorf("conversation %d: %w", chatID, err)
	}
	var r conversationRecord
	if err := json.Unmarshal(raw, &r); err != nil {
		// A record we cannot read is treated as no context rather than
		// an error: the resident still gets an answer.
		return communitybot.Conversation{}, nil
	}
	return communitybot.Conversation{Topic: r.Topic, Project: r.Project, Intent: r.Intent, UpdatedAt: time.UnixMilli(r.At)}, nil
}

// SaveConversation stores a user's conversation state in a chat for ttl.
// Within an update's Batch the write is deferred to the batch's flush.
func (s *Store) SaveConversation(ctx context.Context, chatID, userID int64, c communitybot.Conversation, ttl time.Duration) error {
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = s.now()
	}
	raw, err := json.Marshal(conversationRecord{Topic: c.Topic, Project: c.Project, Intent: c.Intent, At: c.UpdatedAt.UnixMilli()})
	if err != nil {
		return err
	}
	key := s.conversationKey(chatID, userID)
	err = s.deferWrite(ctx, func(ctx context.Context, pipe redis.Pipeliner) {
		pipe.Set(ctx, key, raw, ttl)
	})
	if err != nil {
		return fmt.Errorf("save conversation %d: %w", chatID, err)
	}
	return nil
}
