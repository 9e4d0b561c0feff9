package outbound

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/zhangmiao/communitybot"
)

// SubscriptionStore is what ChatSubscriptions changes (storage.Store).
type SubscriptionStore interface {
	// AllTopics returns every topic a chat can subscribe to, projects
	// added by staff included.
	AllTopics(ctx context.Context) ([]communitybot.Topic, error)
	UnsubscribeAll(ctx context.Context, chatID int64, topics []communitybot.Topic) (int, error)
	MoveSubscriptions(ctx context.Context, oldID, newID int64, topics []communitybot.Topic) error
}

// ChatSubscriptions is the ChatFate of the bot: a chat that blocked or
// removed the bot loses every subscription, a group that became a
// supergroup keeps them under its new id. Sends (replies, broadcasts, the
// staff desk) and Telegram's own notices (my_chat_member, the migration
// service message) all go through it.
type ChatSubscriptions struct {
	store SubscriptionStore
	log   *slog.Logger
}

// NewChatSubscriptions returns the ChatFate over store.
func NewChatSubscriptions(store SubscriptionStore, log *slog.Logger) *ChatSubscriptions {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &ChatSubscriptions{store: store, log: log}
}

// topics returns every topic; without the project list (Redis trouble)
// it returns the fixed topics the store still gave, and the change goes on
// with those.
func (c *ChatSubscriptions) topics(ctx context.Context) []communitybot.Topic {
	topics, err := c.store.AllTopics(ctx)
	if err != nil {
		c.log.Warn("project topics unavailable; changing the fixed topics only", "err", err)
	}
	return topics
}

// Gone ends every subscription of chat.
func (c *ChatSubscriptions) Gone(ctx context.Context, chat int64) error {
	n, err := c.store.UnsubscribeAll(ctx, chat, c.topics(ctx))
	if err != nil {
		return fmt.Errorf("unsubscribe chat %d: %w", chat, err)
	}
	if n > 0 {
		c.log.Info("chat blocked or removed the bot; subscriptions ended", "chat_id", chat, "subscriptions", n)
	}
	return nil
}

// Moved moves a migrated group's subscriptions to its new id.
func (c *ChatSubscriptions) Moved(ctx context.Context, from, to int64) error {
	if err := c.store.MoveSubscriptions(ctx, from, to, c.topics(ctx)); err != nil {
		return fmt.Errorf("move chat %d to %d: %w", from, to, err)
	}
	c.log.Info("group became a supergroup; subscriptions moved", "from", from, "to", to)
	return nil
}
