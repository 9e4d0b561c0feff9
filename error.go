package communitybot

import (
	"errors"
	"fmt"
)

// Error kinds. Every layer wraps these with %w so the edge can decide what
// to tell the user with errors.Is.
var (
	ErrNotFound  = errors.New("not found")
	ErrInvalid   = errors.New("invalid input")
	ErrForbidden = errors.New("forbidden")
	ErrConflict  = errors.New("conflict")
	// ErrTemporary marks a failure that should clear up (a dependency did
	// not answer): the channel handles the request again later instead
	// of answering it now.
	ErrTemporary = errors.New("temporarily unavailable")
)

// Error is an error whose Message is safe to show to a resident (in Chinese).
// Its Kind is one of the kinds above; Err, when set, is the cause and is only
// logged. Keeping the safe message apart from the cause means nothing
// internal (keys, addresses, stack details) leaks into a chat.
type Error struct {
	Kind    error
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%v: %s: %v", e.Kind, e.Message, e.Err)
	}
	return fmt.Sprintf("%v: %s", e.Kind, e.Message)
}

// Unwrap lets errors.Is match both the kind and the cause.
func (e *Error) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Kind, e.Err}
	}
	return []error{e.Kind}
}

// Errorf returns an *Error of the given kind with a user-safe message.
func Errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// UserMessage returns the user-safe message carried by err, if any.
func UserMessage(err error) (string, bool) {
	var e *Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message, true
	}
	return "", false
}
