package storage

import (
	"context"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/zhangmiao/communitybot"
)

// Subscriptions are one set of chat ids per topic. A fan-out reads exactly
// one key (SSCAN of the topic's set), never scans unrelated keys, and chat
// ids stored as integers keep the per-subscription memory small. There is
// no per-chat index: a chat's topics are found by asking each known topic's
// set (SMISMEMBER-like pipeline), and the number of topics is small.

func (s *Store) subscriptionKey(t communitybot.Topic) string { return s.key("sub", string(t)) }

// Subscribe adds a chat to a topic and reports whether it was new.
func (s *Store) Subscribe(ctx context.Context, chatID int64, t communitybot.Topic) (bool, error) {
	n, err := s.rdb.SAdd(ctx, s.subscriptionKey(t), chatID).Result()
	if err != nil {
		return false, fmt.Errorf("subscribe %d to %s: %w", chatID, t, err)
	}
	return n == 1, nil
}

// Unsubscribe removes a chat from a topic and reports whether it was there.
func (s *Store) Unsubscribe(ctx context.Context, chatID int64, t communitybot.Topic) (bool, error) {
	n, err := s.rdb.SRem(ctx, s.subscriptionKey(t), chatID).Result()
	if err != nil {
		return false, fmt.Errorf("unsubscribe %d from %s: %w", chatID, t, err)
	}
	return n == 1, nil
}

// SubscribedTopics returns which of the given topics the chat subscribes
// to, in the given order. One round trip.
func (s *Store) SubscribedTopics(ctx context.Context, chatID int64, topics []communitybot.Topic) ([]communitybot.Topic, error) {
	if len(topics) == 0 {
		return nil, nil
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.BoolCmd, len(topics))
	for i, t := range topics {
		cmds[i] = pipe.SIsMember(ctx, s.subscriptionKey(t), chatID)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("topics of chat %d: %w", chatID, err)
	}
	var out []communitybot.Topic
	for i, c := range cmds {
		if c.Val() {
			out = append(out, topics[i])
		}
	}
	return out, nil
}

// UnsubscribeAll removes a chat from every given topic (a user blocked the
// bot, or a group removed it) and returns how many subscriptions ended.
func (s *Store) UnsubscribeAll(ctx context.Context, chatID int64, topics []communitybot.Topic) (int, error) {
	if len(topics) == 0 {
		return 0, nil
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.IntCmd, len(topics))
	for i, t := range topics {
		cmds[i] = pipe.SRem(ctx, s.subscriptionKey(t), chatID)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, fmt.Errorf("unsubscribe chat %d: %w", chatID, err)
	}
	n := 0
	for _, c := range cmds {
		n += int(c.Val())
	}
	return n, nil
}

// moveMember replaces one member of a set by another, atomically.
var moveMember = redis.NewScript(`
if redis.call('SREM', KEYS[1], ARGV[1]) == 1 then
  redis.call('SADD', KEYS[1], ARGV[2])
  return 1
end
return 0`)

// MoveSubscriptions moves a chat's subscriptions to a new chat id (a group
// that became a supergroup).
func (s *Store) MoveSubscriptions(ctx context.Context, oldID, newID int64, topics []communitybot.Topic) error {
	for _, t := range topics {
		if err := s.runScript(ctx, moveMember, []string{s.subscriptionKey(t)}, oldID, newID).Err(); err != nil {
			return fmt.Errorf("move chat %d to %d: %w", oldID, newID, err)
		}
	}
	return nil
}

// SubscriberCount returns how many chats subscribe to a topic.
func (s *Store) SubscriberCount(ctx context.Context, t communitybot.Topic) (int64, error) {
	return s.rdb.SCard(ctx, s.subscriptionKey(t)).Result()
}

// EachSubscriber calls fn with the topic's subscribers in batches of about
// batch ids, without loading the whole set at once. A chat that subscribes
// or unsubscribes during the walk may or may not be seen (SSCAN's
// guarantee); every chat subscribed for the whole walk is seen at least once.
func (s *Store) EachSubscriber(ctx context.Context, t communitybot.Topic, batch int, fn func(ids []int64) error) error {
	var cursor uint64
	for {
		vals, next, err := s.rdb.SScan(ctx, s.subscriptionKey(t), cursor, "", int64(batch)).Result()
		if err != nil {
			return fmt.Errorf("subscribers of %s: %w", t, err)
		}
		ids := make([]int64, 0, len(vals))
		for _, v := range vals {
			if id, err := strconv.ParseInt(v, 10, 64); err == nil {
				ids = append(ids, id)
			}
		}
		if len(ids) > 0 {
			if err := fn(ids); err != nil {
				return err
			}
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}

// AllTopics returns every topic a chat can subscribe to: the fixed ones
// and one per stored project. It is the list UnsubscribeAll and
// MoveSubscriptions need when a chat blocks the bot or migrates.
func (s *Store) AllTopics(ctx context.Context) ([]communitybot.Topic, error) {
	topics := append([]communitybot.Topic(nil), communitybot.FixedTopics...)
	projects, err := s.Projects(ctx)
	if err != nil {
		return topics, err
	}
	for _, p := range projects {
		topics = append(topics, communitybot.ProjectTopic(p.ID))
	}
	return topics, nil
}
