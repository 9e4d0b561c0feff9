package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf16"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/intake"
	"github.com/zhangmiao/communitybot/storage"
)

// handleStored is the intake's handler: it runs one stored update.
func (b *Bot) handleStored(ctx context.Context, u intake.Update) (*storage.Batch, error) {
	return b.process(withAttempt(ctx, u.Attempt), u)
}

type attemptKey struct{}

// withAttempt records which attempt at an update a handling is.
func withAttempt(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, attemptKey{}, n)
}

// retrying reports whether this handling repeats an earlier attempt.
func retrying(ctx context.Context) bool {
	n, _ := ctx.Value(attemptKey{}).(int)
	return n > 1
}

// outcome carries a handler's result back through go-telegram/bot's
// ProcessUpdate, whose handlers return nothing.
type outcome struct{ err error }

type outcomeKey struct{}

// process runs one stored update through go-telegram/bot's router and our
// handlers. The handler's context survives shutdown (it has its own
// deadline), so an update in hand is finished, not abandoned half-way. The
// writes the handler deferred are returned in a Batch for the caller to
// flush with the acknowledgement.
func (b *Bot) process(ctx context.Context, e intake.Update) (*storage.Batch, error) {
	var u models.Update
	if err := json.Unmarshal(e.Payload, &u); err != nil {
		b.log.Error("dropping an unreadable stored update", "update_id", e.ID, "err", err)
		return nil, nil
	}
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.HandlerTimeout)
	defer cancel()
	hctx, batch := storage.WithBatch(hctx)
	return batch, b.handle(hctx, &u)
}

// handle runs an update through go-telegram/bot's ProcessUpdate (its
// middlewares, then our Router) and returns the handler's error.
func (b *Bot) handle(ctx context.Context, u *models.Update) error {
	out := &outcome{}
	b.api.ProcessUpdate(context.WithValue(ctx, outcomeKey{}, out), u)
	return out.err
}

// handleUpdate is go-telegram/bot's default handler: every update reaches
// our Router through it.
func (b *Bot) handleUpdate(ctx context.Context, _ *tgbot.Bot, u *models.Update) {
	if ev, ok := chatEventOf(u); ok {
		err := b.router.chatEvent(ctx, ev)
		if out, ok := ctx.Value(outcomeKey{}).(*outcome); ok && errors.Is(err, ErrTemporary) {
			out.err = err
		}
		return
	}
	r := newRequest(u, b.Username(), b.sender)
	if r == nil {
		return
	}
	if r.IsGroup() && !r.IsCallback() && r.Command == "" {
		// In a group the bot answers plain text only when spoken to: a
		// mention of its exact username or a reply to one of its messages.
		// A command addressed to another bot is that bot's, even when the
		// text also mentions us.
		text, mentioned, otherBot := addressed(u.Message, b.Username())
		switch {
		case otherBot:
			return
		case mentioned:
			r.Text = text
		case r.ReplyTo != nil && r.ReplyTo.FromBot:
		default:
			return
		}
	}
	var err error
	if b.allow(ctx, r) {
		err = b.router.serve(ctx, r)
	}
	if out, ok := ctx.Value(outcomeKey{}).(*outcome); ok {
		out.err = err
	}
}

// FloodNotice is what a user who sends too much too fast is told, once per
// window. It must not promise answers to the messages it skips.
const FloodNotice = "您发送得有点快，这一分钟里接下来的消息我先不处理了。请稍等一分钟再继续提问，谢谢理解！"

// allow applies flood control: past the limit a user's messages are not
// handled, so one user cannot keep a worker busy for others.
func (b *Bot) allow(ctx context.Context, r *Request) bool {
	if retrying(ctx) {
		return true // counted when it was first handled
	}
	guard := b.flood
	if r.IsCallback() {
		// Button presses come in runs (toggling subscriptions), so they
		// have a limit of their own, three times the messages'.
		guard = b.floodButtons
	}
	verdict := guard.check(r.UserID)
	if verdict != floodAllow {
		// Staff at work (answering tickets, updating projects) may go
		// faster than residents; the role costs a lookup only here.
		if role, err := b.router.UserRole(ctx, r); err == nil && role == communitybot.RoleAdmin {
			return true
		}
	}
	switch verdict {
	case floodNotify:
		b.fault("flood")
		b.log.Warn("flood control: slowing a user down", "user_id", r.UserID, "chat_id", r.ChatID, "limit", b.cfg.FloodLimit, "window", b.cfg.FloodWindow)
		if r.IsCallback() {
			_ = r.Toast(ctx, FloodNotice, true)
		} else {
			_ = r.Reply(ctx, communitybot.Reply{Text: FloodNotice})
		}
		return false
	case floodDrop:
		if r.IsCallback() {
			_ = r.Toast(ctx, "", false) // stop the button's spinner
		}
		return false
	}
	return true
}

// recoverMiddleware turns a handler panic into a log line and an apology:
// one bad update must not take the process, or its partition, down.
func (b *Bot) recoverMiddleware(next tgbot.HandlerFunc) tgbot.HandlerFunc {
	return func(ctx context.Context, api *tgbot.Bot, u *models.Update) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			b.log.Error("handler panicked", "update_id", u.ID, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			b.fault("panic")
			if r := newRequest(u, b.Username(), b.sender); r != nil {
				if r.IsCallback() {
					_ = r.Toast(ctx, Apology, true)
				} else {
					_ = r.Reply(ctx, communitybot.Reply{Text: Apology})
				}
			}
		}()
		start := time.Now()
		next(ctx, api, u)
		b.log.Debug("update handled", "update_id", u.ID, "duration", time.Since(start))
	}
}

// addressed reads a group message's entities, as Telegram marked them: it
// reports whether the message mentions the bot by its exact username (a
// mention entity "@ourname", or a text_mention of the bot), and returns the
// text with those mentions removed; otherBot reports a message starting
// with a command addressed to another bot ("/help@ournameHelper"). A
// username that merely starts with ours ("@ournameHelper") is someone else.
// Entity offsets count UTF-16 code units.
func addressed(m *models.Message, username string) (text string, mentioned, otherBot bool) {
	if m == nil || username == "" {
		return "", false, false
	}
	text, ents := m.Text, m.Entities
	if text == "" {
		text, ents = m.Caption, m.CaptionEntities
	}
	units := utf16.Encode([]rune(text))
	span := func(e models.MessageEntity) (string, bool) {
		if e.Offset < 0 || e.Length <= 0 || e.Offset+e.Length > len(units) {
			return "", false
		}
		return string(utf16.Decode(units[e.Offset : e.Offset+e.Length])), true
	}
	var ours []models.MessageEntity
	for _, e := range ents {
		switch e.Type {
		case models.MessageEntityTypeBotCommand:
			cmd, ok := span(e)
			_, bot, named := strings.Cut(cmd, "@")
			if ok && e.Offset == 0 && named && !strings.EqualFold(bot, username) {
				return text, false, true
			}
		case models.MessageEntityTypeMention:
			if s, ok := span(e); ok && strings.EqualFold(s, "@"+username) {
				ours = append(ours, e)
			}
		case models.MessageEntityTypeTextMention:
			if e.User != nil && e.User.IsBot && strings.EqualFold(e.User.Username, username) {
				if _, ok := span(e); ok {
					ours = append(ours, e)
				}
			}
		}
	}
	if len(ours) == 0 {
		return text, false, false
	}
	// Cut the mentions out, last first so earlier offsets stay valid. A
	// text_mention is a name in the sentence ("王助手，…"): it goes too, as
	// an @mention would.
	for i := len(ours) - 1; i >= 0; i-- {
		e := ours[i]
		units = append(units[:e.Offset:e.Offset], append([]uint16{' '}, units[e.Offset+e.Length:]...)...)
	}
	return strings.TrimSpace(strings.Trim(string(utf16.Decode(units)), " ，,：:")), true, false
}
