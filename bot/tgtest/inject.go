package tgtest

import (
	"strconv"

	"github.com/go-telegram/bot/models"
)

// SendText makes from send text to chat, as Telegram would deliver it to the
// bot: a "message" update with the next update_id, a new message_id in the
// chat, the current date and bot_command entities with UTF-16 offsets. It
// returns the queued update. The user and chat are registered on first use.
func (s *Server) SendText(chat Chat, from User, text string) models.Update {
	return s.userMessage(chat, from, text, nil)
}

// ReplyText is SendText for a message that replies to replyTo, typically a
// bot message a staff member answers. The update's reply_to_message is the
// server's current version of replyTo if the server knows it, else replyTo
// as given.
func (s *Server) ReplyText(chat Chat, from User, replyTo models.Message, text string) models.Update {
	return s.userMessage(chat, from, text, &replyTo)
}

func (s *Server) userMessage(chat Chat, from User, text string, replyTo *models.Message) models.Update {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, u := s.registerLocked(chat, from)
	msg := models.Message{
		ID:       c.nextMsgID,
		From:     &u,
		Date:     int(s.now().Unix()),
		Chat:     c.chat,
		Text:     text,
		Entities: MessageEntities(text),
	}
	if replyTo != nil {
		rt := *replyTo
		if sm, ok := c.msgs[replyTo.ID]; ok && !sm.deleted {
			rt = cloneMessage(sm.msg)
		}
		rt.ReplyToMessage = nil
		msg.ReplyToMessage = &rt
	}
	c.nextMsgID++
	c.msgs[msg.ID] = &storedMessage{msg: cloneMessage(msg), rawText: text}
	return s.injectUpdateLocked(models.Update{Message: &msg})
}

// PressButton makes from press an inline button with callback data data
// under msg, a message the bot sent to chat: it queues a "callback_query"
// update with a new query id, the server's current version of the message
// (or msg as given if the server does not know it), from, data and the
// chat's chat_instance. The bot must answer it with answerCallbackQuery
// using that id. The data is not checked against the message's keyboard, so
// a test can also press a stale button; use Message.Button to look up the
// data of a button by its label.
func (s *Server) PressButton(chat Chat, from User, msg models.Message, data string) models.Update {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, u := s.registerLocked(chat, from)
	current := msg
	if sm, ok := c.msgs[msg.ID]; ok && !sm.deleted {
		current = cloneMessage(sm.msg)
	}
	s.nextCBID++
	q := models.CallbackQuery{
		ID:           strconv.FormatInt(4_000_000_000_000_000_000+s.nextCBID, 10),
		From:         u,
		Message:      models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage, Message: &current},
		ChatInstance: chatInstance(c.chat.ID),
		Data:         data,
	}
	s.callbacks[q.ID] = &callbackState{query: q}
	return s.injectUpdateLocked(models.Update{CallbackQuery: &q})
}

// chatInstance derives a stable, opaque chat_instance from a chat id.
func chatInstance(chatID int64) string {
	h := uint64(chatID)*0x9E3779B97F4A7C15 ^ 0x5DEECE66D
	return strconv.FormatInt(int64(h>>1), 10)
}
