package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf16"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/outbound"
)

// MaxMessageUnits is Telegram's limit on a message's text, in UTF-16 code
// units after entity parsing. We count the raw HTML, which is longer, so a
// split text always fits.
const MaxMessageUnits = 4096

// Sender is the one path every outgoing Bot API call takes: replies,
// broadcasts, the staff desk, the bot's own setup calls. It turns
// go-telegram/bot's errors into communitybot's send errors and runs every
// call under the outbound policy (package outbound): the shared limiter
// (replies ahead of broadcasts), retry_after honoured on 429 (a pause for
// the chat, or for everyone when the limit is the bot's), backoff on 5xx,
// network errors and timeouts within a budget, no retry on 400 and 403,
// and one ChatFate for a chat that blocked the bot (403: unsubscribed) or
// migrated (subscriptions moved, the message sent at the new id).
//
// go-telegram/bot hands a 429 straight back and never retries, so a reply
// path that only logged the error would lose the reply.
//
// Build it first (NewSender) and hand it to everything that sends.
type Sender struct {
	api    *tgbot.Bot
	json   *jsonAPI // the calls every reply makes, as JSON (see jsonAPI)
	policy *outbound.Policy
	log    *slog.Logger
}

// SenderConfig configures a Sender. Zero values take the documented defaults.
type SenderConfig struct {
	Token  string
	APIURL string // Bot API server base URL; default https://api.telegram.org
	// RequestTimeout bounds one HTTP call (a call that hangs is retried,
	// see the README on timeouts); default 15s.
	RequestTimeout time.Duration
	// Transport carries the calls; default: 64 idle connections kept.
	Transport http.RoundTripper
	Logger    *slog.Logger
}

// NewSender returns a Sender that runs every call under policy (nil: a
// policy with no shared limiter and no ChatFate, for tests and tools). It
// makes no network call.
func NewSender(cfg SenderConfig, policy *outbound.Policy) (*Sender, error) {
	if cfg.Token == "" {
		return nil, errors.New("sender: empty token")
	}
	if cfg.APIURL == "" {
		cfg.APIURL = "https://api.telegram.org"
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 15 * time.Second
	}
	if cfg.Transport == nil {
		cfg.Transport = newTransport(maxConns)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if policy == nil {
		policy = outbound.New(nil, nil, outbound.Config{Logger: cfg.Logger})
	}
	client := &http.Client{Timeout: cfg.RequestTimeout, Transport: cfg.Transport}
	api, err := tgbot.New(cfg.Token,
		tgbot.WithServerURL(strings.TrimRight(cfg.APIURL, "/")),
		tgbot.WithSkipGetMe(),
		tgbot.WithHTTPClient(cfg.RequestTimeout, client),
		tgbot.WithNotAsyncHandlers(),
		tgbot.WithErrorsHandler(func(err error) { cfg.Logger.Error("telegram client", "err", err) }),
	)
	if err != nil {
		return nil, fmt.Errorf("sender: %w", err)
	}
	return &Sender{api: api, json: newJSONAPI(cfg.APIURL, cfg.Token, client), policy: policy, log: cfg.Logger}, nil
}

// ErrTemporary marks a failure that should clear up by itself (Telegram or
// Redis unreachable). An update whose handler fails with it stays in the
// inbox and is handled again later. It is the root package's sentinel, so
// a feature's communitybot.ErrTemporary (features know no channel) and the
// bot's own are one error.
var ErrTemporary = communitybot.ErrTemporary

// IsPermanent reports whether err from the Sender will not go away by
// retrying: the chat blocked the bot, or the request is wrong
// (communitybot.ErrUndeliverable).
func IsPermanent(err error) bool { return errors.Is(err, communitybot.ErrUndeliverable) }

// classify maps go-telegram/bot's errors to communitybot's send errors.
// Note that errors.Is(err, tgbot.ErrorTooManyRequests) is false for a 429:
// the client returns a *TooManyRequestsError. Anything unrecognised (5xx,
// network errors, timeouts, a proxy's HTML page) is left as it is:
// transient.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var tooMany *tgbot.TooManyRequestsError
	if errors.As(err, &tooMany) {
		return &communitybot.RetryAfterError{After: time.Duration(max(tooMany.RetryAfter, 1)) * time.Second, Err: err}
	}
	var m *tgbot.MigrateError
	if errors.As(err, &m) {
		return &communitybot.ChatMigratedError{To: int64(m.MigrateToChatID), Err: err}
	}
	if errors.Is(err, tgbot.ErrorForbidden) {
		return fmt.Errorf("%w: %w", communitybot.ErrChatGone, err)
	}
	if errors.Is(err, tgbot.ErrorBadRequest) || errors.Is(err, tgbot.ErrorUnauthorized) ||
		errors.Is(err, tgbot.ErrorNotFound) || errors.Is(err, tgbot.ErrorConflict) {
		return fmt.Errorf("%w: %w", communitybot.ErrRejected, err)
	}
	return err
}

// temporary marks a spent retry budget as ErrTemporary, so an update whose
// reply could not go out stays in the inbox.
func temporary(err error) error {
	if errors.Is(err, communitybot.ErrTelegramDown) && !errors.Is(err, ErrTemporary) {
		return fmt.Errorf("%w: %w", ErrTemporary, err)
	}
	return err
}

// call runs a control call (no message: getMe, setMyCommands, webhooks)
// under the policy.
func (s *Sender) call(ctx context.Context, method string, op func(ctx context.Context) error) error {
	_, err := s.policy.Do(ctx, outbound.Call{Method: method, Class: outbound.Control}, func(ctx context.Context, _ int64) error {
		return classify(op(ctx))
	})
	return temporary(err)
}

// SendOptions adjust one message.
type SendOptions struct {
	ReplyTo int  // message to reply to (groups), 0 for none
	Silent  bool // no notification sound
}

// Send sends r to a chat as a reply, split into several messages if it is
// too long (the keyboard goes with the last part). It returns the last
// message sent. A group that migrated gets the message at its new id.
func (s *Sender) Send(ctx context.Context, chatID int64, r communitybot.Reply, o SendOptions) (*models.Message, error) {
	_, last, err := s.send(ctx, chatID, r, o, outbound.Reply, nil)
	return last, temporary(err)
}

// send sends every part of r to chat in class; before runs before each
// attempt. It returns the chat the message went to.
func (s *Sender) send(ctx context.Context, chatID int64, r communitybot.Reply, o SendOptions, class outbound.Class,
	before func(ctx context.Context, chat int64) error) (int64, *models.Message, error) {
	parts := splitText(r.Text, MaxMessageUnits)
	var last *models.Message
	for i, part := range parts {
		p := &tgbot.SendMessageParams{
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
		to, err := s.policy.Do(ctx, outbound.Call{Method: "sendMessage", Chat: chatID, Class: class, Before: before},
			func(ctx context.Context, chat int64) error {
				p.ChatID = chat
				var m sentMessage
				err := s.json.call(ctx, "sendMessage", p, &m)
				if err == nil {
					last = &models.Message{ID: m.ID, Chat: models.Chat{ID: m.Chat.ID}}
				}
				return classify(err)
			})
		chatID = to // a migrated group: the next parts go to the new id
		if err != nil {
			return chatID, last, err
		}
	}
	return chatID, last, nil
}

// Post sends r to a chat as a reply and returns the message id (the staff
// desk's and the delivery reports' way out). Errors are communitybot's
// send errors; ErrUndeliverable ones will not clear up by waiting.
func (s *Sender) Post(ctx context.Context, chatID int64, r communitybot.Reply) (int, error) {
	_, m, err := s.send(ctx, chatID, r, SendOptions{}, outbound.Reply, nil)
	if err != nil {
		return 0, temporary(err)
	}
	if m == nil {
		return 0, nil
	}
	return m.ID, nil
}

// Deliver sends one part of a broadcast (see Parts) to chat in the
// broadcast class: it waits for the chat's and the group's limits and for
// the global limit to have room beside the replies. before runs right
// before each attempt and stops the send with its error. It returns the
// chat the message went to (a migrated group's new id).
func (s *Sender) Deliver(ctx context.Context, chatID int64, r communitybot.Reply, before func(ctx context.Context, chat int64) error) (int64, error) {
	to, _, err := s.send(ctx, chatID, r, SendOptions{}, outbound.Broadcast, before)
	return to, err
}

// Parts cuts a reply into the messages Telegram will accept, the keyboard
// going with the last one. Most replies are one part.
func (s *Sender) Parts(r communitybot.Reply) []communitybot.Reply {
	texts := splitText(r.Text, MaxMessageUnits)
	out := make([]communitybot.Reply, len(texts))
	for i, t := range texts {
		out[i] = communitybot.Reply{Text: t}
	}
	out[len(out)-1].Buttons = r.Buttons
	return out
}

// Edit replaces the text and keyboard of a message the bot sent. An edit
// that changes nothing is not an error; an edit in a group that migrated
// moves its subscriptions and fails with ErrRejected (the message is not
// in the new chat).
func (s *Sender) Edit(ctx context.Context, chatID int64, messageID int, r communitybot.Reply) error {
	text := r.Text
	if parts := splitText(text, MaxMessageUnits); len(parts) > 1 {
		text = parts[0] // an edit cannot become two messages; keep the head
	}
	_, err := s.policy.Do(ctx, outbound.Call{Method: "editMessageText", Chat: chatID, Class: outbound.Reply, NoResend: true},
		func(ctx context.Context, chat int64) error {
			err := s.json.call(ctx, "editMessageText", &tgbot.EditMessageTextParams{
				ChatID:             chat,
				MessageID:          messageID,
				Text:               text,
				ParseMode:          models.ParseModeHTML,
				LinkPreviewOptions: &models.LinkPreviewOptions{IsDisabled: tgbot.True()},
				ReplyMarkup:        keyboard(r.Buttons),
			}, nil)
			return classify(err)
		})
	if err != nil && strings.Contains(err.Error(), "message is not modified") {
		return nil
	}
	var moved *communitybot.ChatMigratedError
	if errors.As(err, &moved) {
		return fmt.Errorf("%w: %w", communitybot.ErrRejected, err)
	}
	return temporary(err)
}

// AnswerCallback answers a button press; text, when set, shows as a toast
// (or an alert box with alert). It is no message: it takes no slot of the
// limiter.
func (s *Sender) AnswerCallback(ctx context.Context, id, text string, alert bool) error {
	return s.call(ctx, "answerCallbackQuery", func(ctx context.Context) error {
		return s.json.call(ctx, "answerCallbackQuery", &tgbot.AnswerCallbackQueryParams{CallbackQueryID: id, Text: text, ShowAlert: alert}, nil)
	})
}

// ChatMemberStatus returns a user's status in a chat as Telegram names it:
// "creator", "administrator", "member", "restricted", "left" or "kicked".
func (s *Sender) ChatMemberStatus(ctx context.Context, chatID, userID int64) (string, error) {
	var status string
	_, err := s.policy.Do(ctx, outbound.Call{Method: "getChatMember", Chat: chatID, Class: outbound.Control}, func(ctx context.Context, _ int64) error {
		m, err := s.api.GetChatMember(ctx, &tgbot.GetChatMemberParams{ChatID: chatID, UserID: userID})
		if err == nil && m != nil {
			status = string(m.Type)
		}
		return classify(err)
	})
	return status, temporary(err)
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
