package communitybot

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// How a failed send is classified, independent of Telegram's types: the
// one set of send errors. Package bot turns go-telegram/bot's errors into
// these, the outbound policy (package outbound) decides on them, and every
// caller (replies, broadcasts, the staff desk) reads them with errors.Is
// and errors.As.
var (
	// ErrUndeliverable: waiting will not get this message through. Both
	// ErrChatGone and ErrRejected match it.
	ErrUndeliverable = errors.New("undeliverable")
	// ErrChatGone: the bot may not write to the chat any more (403: blocked
	// by the user, removed from the group, user deactivated).
	ErrChatGone = fmt.Errorf("chat gone: %w", ErrUndeliverable)
	// ErrRejected: the request is wrong and will not succeed by retrying
	// (400 other than a migration, 401, 404, 409).
	ErrRejected = fmt.Errorf("rejected: %w", ErrUndeliverable)
	// ErrTelegramDown: 5xx answers, network errors or timeouts outlived the
	// retry budget. Temporary: the caller may try again later.
	ErrTelegramDown = errors.New("telegram unavailable")
)

// RetryAfterError is a 429: wait After before sending anything more to
// the chat (or, when the limit is the bot's, anywhere).
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string { return fmt.Sprintf("retry after %s: %v", e.After, e.Err) }
func (e *RetryAfterError) Unwrap() error { return e.Err }

// ChatMigratedError: a group became a supergroup with a new chat id.
type ChatMigratedError struct {
	To  int64
	Err error
}

func (e *ChatMigratedError) Error() string {
	return fmt.Sprintf("chat migrated to %d: %v", e.To, e.Err)
}
func (e *ChatMigratedError) Unwrap() error { return e.Err }

// MaxMessageRunes bounds an announcement or scheduled message: what one
// Telegram message holds.
const MaxMessageRunes = 4096

// CheckMessageText validates what an admin wants sent: not empty, not
// longer than MaxMessageRunes. what names it in the error (公告, 提醒
// 内容), example shows a correct command.
func CheckMessageText(text, what, example string) error {
	if strings.TrimSpace(text) == "" {
		return Errorf(ErrInvalid, "%s不能为空。例如：%s", what, example)
	}
	if n := utf8.RuneCountInString(text); n > MaxMessageRunes {
		return Errorf(ErrInvalid, "%s太长了（%d 字），请控制在 %d 字以内。", what, n, MaxMessageRunes)
	}
	return nil
}
