package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	tgbot "github.com/go-telegram/bot"

	"github.com/zhangmiao/communitybot"
)

// Poster is the delivery engine's way out: one message per call and one
// attempt each, with failures classified as communitybot's send errors
// (ErrChatGone, ErrRejected, *RetryAfterError, *ChatMigratedError; anything
// else is temporary). The engine owns the retry policy because it knows
// more than one call does: a 429 pauses every worker of every replica, and
// a recipient's outcome is stored between attempts.
type Poster struct{ s *Sender }

// Poster returns a Poster over the bot's Telegram client.
func (b *Bot) Poster() *Poster {
	// A zero budget makes call give up after the first failure; the engine
	// retries.
	s := newSender(b.api, b.log.With("component", "poster"), 0)
	// Broadcast calls are counted like replies (telegram_calls_total).
	s.observe.Store(b.sender.observe.Load())
	return &Poster{s: s}
}

// Parts cuts a reply into the messages Telegram will accept, the keyboard
// going with the last one. Most replies are one part.
func (p *Poster) Parts(r communitybot.Reply) []communitybot.Reply {
	texts := splitText(r.Text, MaxMessageUnits)
	out := make([]communitybot.Reply, len(texts))
	for i, t := range texts {
		out[i] = communitybot.Reply{Text: t}
	}
	out[len(out)-1].Buttons = r.Buttons
	return out
}

// Post sends one message (one part, see Parts) and returns its id.
func (p *Poster) Post(ctx context.Context, chatID int64, r communitybot.Reply) (int, error) {
	m, err := p.s.Send(ctx, chatID, r, SendOptions{})
	if err != nil {
		return 0, classify(err)
	}
	if m == nil {
		return 0, nil
	}
	return m.ID, nil
}

// Edit replaces a message the bot sent.
func (p *Poster) Edit(ctx context.Context, chatID int64, messageID int, r communitybot.Reply) error {
	return classify(p.s.Edit(ctx, chatID, messageID, r))
}

// classify maps go-telegram/bot's errors to communitybot's send errors.
// Note that errors.Is(err, tgbot.ErrorTooManyRequests) is false for a 429:
// the client returns a *TooManyRequestsError.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var tooMany *tgbot.TooManyRequestsError
	if errors.As(err, &tooMany) {
		return &communitybot.RetryAfterError{After: time.Duration(max(tooMany.RetryAfter, 1)) * time.Second, Err: err}
	}
	if to, ok := MigratedTo(err); ok {
		return &communitybot.ChatMigratedError{To: to, Err: err}
	}
	if IsForbidden(err) {
		return fmt.Errorf("%w: %w", communitybot.ErrChatGone, err)
	}
	if IsPermanent(err) {
		return fmt.Errorf("%w: %w", communitybot.ErrRejected, err)
	}
	return err
}

// ChatMemberStatus returns a user's status in a chat as Telegram names it:
// "creator", "administrator", "member", "restricted", "left" or "kicked".
func (s *Sender) ChatMemberStatus(ctx context.Context, chatID, userID int64) (string, error) {
	var status string
	err := s.call(ctx, "getChatMember", func(ctx context.Context) error {
		m, err := s.api.GetChatMember(ctx, &tgbot.GetChatMemberParams{ChatID: chatID, UserID: userID})
		if err == nil && m != nil {
			status = string(m.Type)
		}
		return err
	})
	return status, err
}

// IsChatAdmin reports whether the request's user administers its chat
// (always true in a private chat). It asks Telegram each time: admin
// rights change without the bot being told.
func (r *Request) IsChatAdmin(ctx context.Context) (bool, error) {
	if !r.IsGroup() {
		return true, nil
	}
	status, err := r.sender.ChatMemberStatus(ctx, r.ChatID, r.UserID)
	if err != nil && IsPermanent(err) {
		return false, nil // Telegram does not know the user there: not an admin
	}
	if err != nil {
		return false, fmt.Errorf("chat member %d in %d: %w: %w", r.UserID, r.ChatID, ErrTemporary, err)
	}
	return status == "creator" || status == "administrator", nil
}
