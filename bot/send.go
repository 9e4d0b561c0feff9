package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf16"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/zhangmiao/communitybot"
)

// MaxMessageUnits is Telegram's limit on a message's text, in UTF-16 code
// units after entity parsing. We count the raw HTML, which is longer, so a
// split text always fits.
const MaxMessageUnits = 4096

// Sender is the one path every outgoing call takes. go-telegram/bot hands a
// 429 straight back and never retries, so a reply path that only logged the
// error would lose the reply; Sender waits retry_after on 429 and backs off
// on 5xx and network errors, and gives up only on errors that will not get
// better by waiting (400, 403) or when its time budget runs out.
type Sender struct {
	api    *tgbot.Bot
	log    *slog.Logger
	budget time.Duration // total time one call may spend retrying
	// observe, when set, is told the outcome of every call (metrics). It
	// is atomic because it may be set while other goroutines already send
	// (the staff desk starts before the Bot).
	observe atomic.Pointer[func(method string, outcome Outcome)]
}

// Outcome classifies how a Bot API call ended.
type Outcome string

// Outcomes of a Bot API call.
const (
	OutcomeOK        Outcome = "ok"
	OutcomeRetried   Outcome = "retried"   // a transient failure that was retried
	OutcomeForbidden Outcome = "forbidden" // 403: blocked, kicked, deactivated
	OutcomeMigrated  Outcome = "migrated"  // 400 with migrate_to_chat_id
	OutcomeRejected  Outcome = "rejected"  // other 4xx
	OutcomeFailed    Outcome = "failed"    // gave up on transient failures
)

// ErrTemporary marks a failure that should clear up by itself (Telegram or
// Redis unreachable). An update whose handler fails with it stays in the
// inbox and is handled again later.
var ErrTemporary = errors.New("temporarily unavailable")

// ErrGaveUp wraps the last error of a call whose transient failures outlived
// the retry budget. The caller may try again later (the update stays in the
// inbox, the delivery stays queued).
var ErrGaveUp = fmt.Errorf("telegram unavailable: %w", ErrTemporary)

func newSender(api *tgbot.Bot, log *slog.Logger, budget time.Duration) *Sender {
	return &Sender{api: api, log: log, budget: budget}
}

// IsPermanent reports whether err from the Sender will not go away by
// retrying: the chat blocked the bot, the request is malformed, or the chat
// moved (see MigratedTo).
func IsPermanent(err error) bool {
	return err != nil && !errors.Is(err, ErrGaveUp) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// IsForbidden reports whether err means the bot may not write to the chat
// any more (blocked by the user, removed from the group, user deactivated).
func IsForbidden(err error) bool { return errors.Is(err, tgbot.ErrorForbidden) }

// MigratedTo returns the new chat id when err says a group became a
// supergroup.
func MigratedTo(err error) (int64, bool) {
	var m *tgbot.MigrateError
	if errors.As(err, &m) {
		return int64(m.MigrateToChatID), true
	}
	return 0, false
}

// call runs op until it succeeds, fails permanently, or the budget is spent.
func (s *Sender) call(ctx context.Context, method string, op func(ctx context.Context) error) error {
	deadline := time.Now().Add(s.budget)
	backoff := 500 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := op(ctx)
		if err == nil {
			s.record(method, OutcomeOK)
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var wait time.Duration
		var tooMany *tgbot.TooManyRequestsError
		switch {
		case errors.As(err, &tooMany):
			wait = time.Duration(max(tooMany.RetryAfter, 1)) * time.Second
		case IsForbidden(err):
			s.record(method, OutcomeForbidden)
			return err
		case errors.As(err, new(*tgbot.MigrateError)):
			s.record(method, OutcomeMigrated)
			return err
		case errors.Is(err, tgbot.ErrorBadRequest), errors.Is(err, tgbot.ErrorUnauthorized),
			errors.Is(err, tgbot.ErrorNotFound), errors.Is(err, tgbot.ErrorConflict):
			s.record(method, OutcomeRejected)
			return err
		default: // 5xx, network errors, timeouts, an HTML error page from a proxy
			wait = backoff + rand.N(backoff/2)
			backoff = min(backoff*2, 30*time.Second)
		}
		if time.Now().Add(wait).After(deadline) {
			s.record(method, OutcomeFailed)
			return fmt.Errorf("%s after %d attempts: %w: %w", method, attempt, ErrGaveUp, err)
		}
		s.record(method, OutcomeRetried)
		s.log.Warn("telegram call failed, retrying", "method", method, "attempt", attempt, "wait", wait, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

func (s *Sender) record(method string, o Outcome) {
	if fn := s.observe.Load(); fn != nil {
		(*fn)(method, o)
	}
}

// SendOptions adjust one message.
type SendOptions struct {
	ReplyTo int  // message to reply to (groups), 0 for none
	Silent  bool // no notification sound
}

// Send sends r to a chat, split into several messages if it is too long
// (the keyboard goes with the last part). It returns the last message sent.
func (s *Sender) Send(ctx context.Context, chatID int64, r communitybot.Reply, o SendOptions) (*models.Message, error) {
	parts := splitText(r.Text, MaxMessageUnits)
	var last *models.Message
	for i, part := range parts {
		p := &tgbot.SendMessageParams{
			ChatID:              chatID,
			Text:                part,
			ParseMode:           models.ParseModeHTML,
			DisableNotification: o.Silent,
			LinkPreviewOptions:  &models.LinkPreviewOptions{IsDisabled: tgbot.True()},
		}
		if i == 0 && o.ReplyTo != 0 {
			p.ReplyParameters = &models.ReplyParameters{MessageID: o.ReplyTo, AllowSendingWithoutReply: true}
		}
		if i == len(parts)-1 {
			p.ReplyMarkup = keyboard(r.Buttons)
		}
		err := s.call(ctx, "sendMessage", func(ctx context.Context) error {
			m, err := s.api.SendMessage(ctx, p)
			last = m
			return err
		})
		if err != nil {
			return last, err
		}
	}
	return last, nil
}

// Edit replaces the text and keyboard of a message the bot sent. An edit
// that changes nothing is not an error.
func (s *Sender) Edit(ctx context.Context, chatID int64, messageID int, r communitybot.Reply) error {
	text := r.Text
	if parts := splitText(text, MaxMessageUnits); len(parts) > 1 {
		text = parts[0] // an edit cannot become two messages; keep the head
	}
	err := s.call(ctx, "editMessageText", func(ctx context.Context) error {
		_, err := s.api.EditMessageText(ctx, &tgbot.EditMessageTextParams{
			ChatID:             chatID,
			MessageID:          messageID,
			Text:               text,
			ParseMode:          models.ParseModeHTML,
			LinkPreviewOptions: &models.LinkPreviewOptions{IsDisabled: tgbot.True()},
			ReplyMarkup:        keyboard(r.Buttons),
		})
		return err
	})
	if err != nil && strings.Contains(err.Error(), "message is not modified") {
		return nil
	}
	return err
}

// AnswerCallback answers a button press; text, when set, shows as a toast
// (or an alert box with alert).
func (s *Sender) AnswerCallback(ctx context.Context, id, text string, alert bool) error {
	return s.call(ctx, "answerCallbackQuery", func(ctx context.Context) error {
		_, err := s.api.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: id, Text: text, ShowAlert: alert})
		return err
	})
}

// inlineKeyboard and inlineButton are our own JSON shapes for an inline
// keyboard. go-telegram/bot's models.InlineKeyboardButton has a non-pointer
// CopyText field that encoding/json cannot omit, so every button it encodes
// carries "copy_text":{"text":""}, which Telegram may reject
// (BUTTON_COPY_TEXT_INVALID, go-telegram/bot#167).
type inlineKeyboard struct {
	InlineKeyboard [][]inlineButton `json:"inline_keyboard"`
}

type inlineButton struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data"`
}

func keyboard(rows [][]communitybot.Button) models.ReplyMarkup {
	if len(rows) == 0 {
		return nil
	}
	kb := inlineKeyboard{InlineKeyboard: make([][]inlineButton, 0, len(rows))}
	for _, row := range rows {
		out := make([]inlineButton, 0, len(row))
		for _, b := range row {
			out = append(out, inlineButton{Text: b.Text, CallbackData: b.Data})
		}
		kb.InlineKeyboard = append(kb.InlineKeyboard, out)
	}
	return kb
}

// splitText cuts text into parts of at most limit UTF-16 code units,
// preferring line breaks, so that HTML tags (which our renderers never let
// span lines) stay balanced in every part.
func splitText(text string, limit int) []string {
	if units(text) <= limit {
		return []string{text}
	}
	var parts []string
	var cur strings.Builder
	curUnits := 0
	flush := func() {
		if cur.Len() > 0 {
			parts = append(parts, strings.TrimRight(cur.String(), "\n"))
			cur.Reset()
			curUnits = 0
		}
	}
	for _, line := range strings.SplitAfter(text, "\n") {
		n := units(line)
		if curUnits+n > limit {
			flush()
		}
		for n > limit { // a single over-long line: cut it by runes
			head, rest := cutUnits(line, limit)
			parts = append(parts, head)
			line, n = rest, units(rest)
		}
		cur.WriteString(line)
		curUnits += n
	}
	flush()
	return parts
}

// units counts UTF-16 code units, the measure Telegram uses for lengths.
func units(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

func cutUnits(s string, limit int) (string, string) {
	n := 0
	for i, r := range s {
		w := utf16.RuneLen(r)
		if n+w > limit {
			// Never cut inside an HTML entity such as &amp;.
			if amp := strings.LastIndexByte(s[:i], '&'); amp >= 0 && amp > i-10 && !strings.Contains(s[amp:i], ";") {
				i = amp
			}
			return s[:i], s[i:]
		}
		n += w
	}
	return s, ""
}
