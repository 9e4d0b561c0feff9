package bot

import (
	"context"

	"github.com/go-telegram/bot/models"
)

// ChatEventKind says how the bot's standing in a chat changed.
type ChatEventKind int

// Chat event kinds.
const (
	// ChatGone: the bot may no longer write there (a user blocked it, a
	// group removed it or the bot left).
	ChatGone ChatEventKind = iota + 1
	// ChatJoined: the bot was added to a group, or a user unblocked it.
	ChatJoined
	// ChatMigrated: a group became a supergroup with a new id.
	ChatMigrated
)

// ChatEvent is a change in the bot's standing in a chat, from a
// my_chat_member update or a group's migration service message.
type ChatEvent struct {
	Kind      ChatEventKind
	ChatID    int64
	ChatType  string
	NewChatID int64 // ChatMigrated only
	ByUserID  int64 // who did it, when Telegram says
}

// ChatEventFunc handles a chat event. An error wrapping ErrTemporary
// leaves the update in the inbox to be handled again.
type ChatEventFunc func(ctx context.Context, ev ChatEvent) error

// OnChatEvent registers a handler for chat events; every registered
// handler sees every event, in registration order.
func (rt *Router) OnChatEvent(h ChatEventFunc) { rt.chatEvents = append(rt.chatEvents, h) }

// chatEvent runs every chat event handler and returns the first error.
func (rt *Router) chatEvent(ctx context.Context, ev ChatEvent) error {
	var first error
	for _, h := range rt.chatEvents {
		if err := h(ctx, ev); err != nil {
			rt.log.Warn("chat event not handled", "chat_id", ev.ChatID, "kind", ev.Kind, "err", err)
			if first == nil {
				first = err
			}
		}
	}
	return first
}

// chatEventOf extracts a chat event from an update, if it is one.
func chatEventOf(u *models.Update) (ChatEvent, bool) {
	if m := u.MyChatMember; m != nil {
		ev := ChatEvent{ChatID: m.Chat.ID, ChatType: string(m.Chat.Type), ByUserID: m.From.ID}
		switch m.NewChatMember.Type {
		case models.ChatMemberTypeLeft, models.ChatMemberTypeBanned:
			ev.Kind = ChatGone
		case models.ChatMemberTypeRestricted:
			if r := m.NewChatMember.Restricted; r != nil && !r.IsMember {
				ev.Kind = ChatGone
			} else {
				return ChatEvent{}, false
			}
		default:
			ev.Kind = ChatJoined
		}
		return ev, true
	}
	if m := u.Message; m != nil {
		switch {
		case m.MigrateToChatID != 0: // in the old group
			return ChatEvent{Kind: ChatMigrated, ChatID: m.Chat.ID, ChatType: string(m.Chat.Type), NewChatID: m.MigrateToChatID}, true
		case m.MigrateFromChatID != 0: // in the new supergroup
			return ChatEvent{Kind: ChatMigrated, ChatID: m.MigrateFromChatID, ChatType: "group", NewChatID: m.Chat.ID}, true
		}
	}
	return ChatEvent{}, false
}
