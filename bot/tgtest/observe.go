package tgtest

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/go-telegram/bot/models"
)

// Sent returns the messages the bot sent to a chat, in order, in their
// current state (edited texts and keyboards; deleted ones are included with
// Deleted set).
func (s *Server) Sent(chatID int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sentLocked(chatID)
}

func (s *Server) sentLocked(chatID int64) []Message {
	var out []Message
	for _, sm := range s.sent {
		if sm.msg.Chat.ID == chatID {
			out = append(out, sm.snapshot())
		}
	}
	return out
}

// AllSent returns every message the bot sent, to any chat, in order.
func (s *Server) AllSent() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.sent))
	for _, sm := range s.sent {
		out = append(out, sm.snapshot())
	}
	return out
}

// WaitSent waits until the bot has sent at least n messages to the chat and
// returns them all. If ctx ends first it returns what was sent so far and an
// error wrapping ctx's error; if the server closes, an error too.
func (s *Server) WaitSent(ctx context.Context, chatID int64, n int) ([]Message, error) {
	for {
		s.mu.Lock()
		msgs := s.sentLocked(chatID)
		ch := s.stateCh
		s.mu.Unlock()
		if len(msgs) >= n {
			return msgs, nil
		}
		select {
		case <-ch:
		case <-s.done:
			return msgs, fmt.Errorf("tgtest: waiting for %d messages to chat %d: got %d: server closed", n, chatID, len(msgs))
		case <-ctx.Done():
			return msgs, fmt.Errorf("tgtest: waiting for %d messages to chat %d: got %d: %w", n, chatID, len(msgs), ctx.Err())
		}
	}
}

// WaitUntil calls cond whenever the server's state changes (a message sent,
// edited or deleted, a callback answered, an update queued or confirmed)
// until it returns true, and returns nil then. cond runs without the
// server's lock held, so it may call any Server method. If ctx ends first,
// WaitUntil returns an error wrapping ctx's error.
func (s *Server) WaitUntil(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		stateCh, updCh := s.stateCh, s.updCh
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-stateCh:
		case <-updCh:
		case <-s.done:
			if cond() {
				return nil
			}
			return fmt.Errorf("tgtest: WaitUntil: server closed")
		case <-ctx.Done():
			return fmt.Errorf("tgtest: WaitUntil: %w", ctx.Err())
		}
	}
}

// DeliveryCount returns the number of successful sendMessage calls to a chat
// (edits and deletions do not change it), for no-loss and no-duplicate
// checks.
func (s *Server) DeliveryCount(chatID int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.chats[chatID]; ok {
		return c.delivered
	}
	return 0
}

// CallbackAnswers returns the bot's answers to button presses, in order.
func (s *Server) CallbackAnswers() []CallbackAnswer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.answers)
}

// Commands returns the commands the bot set for a scope (nil means the
// default scope) and the default language, as getMyCommands would.
func (s *Server) Commands(scope models.BotCommandScope) []models.BotCommand {
	return s.CommandsFor(scope, "")
}

// CommandsFor returns the commands the bot set for a scope and a language
// code ("" for all languages without a dedicated list).
func (s *Server) CommandsFor(scope models.BotCommandScope, languageCode string) []models.BotCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.commands[scopeKeyOf(scope)+"|"+languageCode])
}

// EventKind says what happened in an Event.
type EventKind int

// Event kinds.
const (
	EventMessageSent      EventKind = iota + 1 // the bot sent Message
	EventMessageEdited                         // the bot edited Message (its new state)
	EventMessageDeleted                        // the bot deleted Message
	EventCallbackAnswered                      // the bot answered a button press (Answer)
	EventChatAction                            // the bot sent a chat action such as "typing" (Action)
)

// String returns a short name for the kind.
func (k EventKind) String() string {
	switch k {
	case EventMessageSent:
		return "sent"
	case EventMessageEdited:
		return "edited"
	case EventMessageDeleted:
		return "deleted"
	case EventCallbackAnswered:
		return "callback_answered"
	case EventChatAction:
		return "chat_action"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is something the bot did, as seen by a subscriber.
type Event struct {
	Kind    EventKind
	ChatID  int64
	Message Message        // for EventMessageSent, EventMessageEdited, EventMessageDeleted
	Answer  CallbackAnswer // for EventCallbackAnswered
	Action  string         // for EventChatAction
}

// subscriber buffers events without bound so that a slow reader never
// blocks the server and never misses an event.
type subscriber struct {
	out    chan Event
	mu     sync.Mutex
	queue  []Event
	wake   chan struct{}
	closed bool
	stop   chan struct{}
	once   sync.Once
}

func newSubscriber() *subscriber {
	sub := &subscriber{out: make(chan Event), wake: make(chan struct{}, 1), stop: make(chan struct{})}
	go sub.pump()
	return sub
}

func (sub *subscriber) push(e Event) {
	sub.mu.Lock()
	if !sub.closed {
		sub.queue = append(sub.queue, e)
	}
	sub.mu.Unlock()
	select {
	case sub.wake <- struct{}{}:
	default:
	}
}

// pump forwards queued events to out until stopped, then closes out.
func (sub *subscriber) pump() {
	defer close(sub.out)
	for {
		sub.mu.Lock()
		if len(sub.queue) == 0 {
			sub.mu.Unlock()
			select {
			case <-sub.wake:
				continue
			case <-sub.stop:
				return
			}
		}
		e := sub.queue[0]
		sub.queue = sub.queue[1:]
		sub.mu.Unlock()
		select {
		case sub.out <- e:
		case <-sub.stop:
			return
		}
	}
}

func (sub *subscriber) close() {
	sub.once.Do(func() {
		sub.mu.Lock()
		sub.closed = true
		sub.queue = nil
		sub.mu.Unlock()
		close(sub.stop)
	})
}

// Subscribe returns a channel of the bot's visible actions (messages sent,
// edited and deleted, callback queries answered, chat actions), in the order
// the server performed them, and a function that ends the subscription. The
// channel is buffered without bound; it is closed by the cancel function or
// by Close. Console mode prints these events.
func (s *Server) Subscribe() (<-chan Event, func()) {
	sub := newSubscriber()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		sub.close()
		return sub.out, func() {}
	}
	id := s.nextSu
	s.nextSu++
	s.subs[id] = sub
	s.mu.Unlock()
	return sub.out, func() {
		s.mu.Lock()
		delete(s.subs, id)
		s.mu.Unlock()
		sub.close()
	}
}

// emitLocked sends an event to every subscriber.
func (s *Server) emitLocked(e Event) {
	for _, sub := range s.subs {
		sub.push(e)
	}
}
