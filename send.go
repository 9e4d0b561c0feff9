package communitybot

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// How a failed send is classified, independent of Telegram's types. The
// bot package's poster returns errors that match these, so the delivery
// engine decides what to do without importing the Telegram client.
var (
	// ErrChatGone: the bot may not write to the chat any more (403: blocked
	// by the user, removed from the group, user deactivated).
	ErrChatGone = errors.New("chat gone")
	// ErrRejected: the request is wrong and will not succeed by retrying
	// (400 other than a migration).
	ErrRejected = errors.New("rejected")
)

// RetryAfterError is a 429: wait After before sending anything more.
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
