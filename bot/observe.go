package bot

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/zhangmiao/communitybot"
)

// Middleware wraps the router's handling of a request: role checks and the
// handler itself. It sees the handler's error before the router turns it
// into what the user reads.
type Middleware func(next HandlerFunc) HandlerFunc

// Use adds a middleware. The first added is the outermost. Call it before
// the bot runs.
func (rt *Router) Use(mw Middleware) { rt.mws = append(rt.mws, mw) }

// handler returns route wrapped in the middlewares.
func (rt *Router) handler() HandlerFunc {
	h := HandlerFunc(rt.route)
	for i := len(rt.mws) - 1; i >= 0; i-- {
		h = rt.mws[i](h)
	}
	return h
}

// Kind names what a request is, for metrics: "command:<name>" for a
// registered command, "callback:<prefix>" for a registered button prefix,
// "text" for other messages. Unregistered commands and prefixes (typos,
// forged data) share one label, so label values stay bounded.
func (rt *Router) Kind(r *Request) string {
	switch {
	case r.IsCallback():
		prefix, _, _ := strings.Cut(r.Data, ":")
		if _, ok := rt.callbacks[prefix]; ok {
			return "callback:" + prefix
		}
		return "callback:unknown"
	case r.Command != "":
		if _, ok := rt.commands[r.Command]; ok {
			return "command:" + r.Command
		}
		return "command:unknown"
	}
	return "text"
}

// Outcome labels of ObserveUpdates.
const (
	UpdateOK        = "ok"         // handled
	UpdateUserError = "user_error" // refused with a clear message (bad input, no permission)
	UpdateError     = "error"      // failed on our side; the user got an apology
	UpdateRetry     = "retry"      // left in the inbox to be handled again
)

// ClassifyError maps a handler's error to one of the Update* outcomes.
func ClassifyError(err error) string {
	switch {
	case err == nil:
		return UpdateOK
	case errors.Is(err, ErrTemporary), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return UpdateRetry
	}
	if _, ok := communitybot.UserMessage(err); ok {
		return UpdateUserError
	}
	return UpdateError
}

// ObserveUpdates adds a middleware that reports every request's kind
// (Kind), outcome (ClassifyError) and handling time to fn. Add it first so
// that it times the other middlewares too.
func (rt *Router) ObserveUpdates(fn func(kind, outcome string, d time.Duration)) {
	rt.Use(func(next HandlerFunc) HandlerFunc {
		return func(ctx context.Context, r *Request) error {
			start := time.Now()
			finished := false
			defer func() {
				if !finished { // the handler panicked; the bot recovers it further out
					fn(rt.Kind(r), UpdateError, time.Since(start))
				}
			}()
			err := next(ctx, r)
			finished = true
			fn(rt.Kind(r), ClassifyError(err), time.Since(start))
			return err
		}
	})
}

// CountUsers returns a middleware that records every user who reaches the
// router (seen is storage's SeenUser). A failure is logged and does not
// stop the request: a statistic must never cost a resident an answer.
func CountUsers(seen func(ctx context.Context, userID int64) error, log *slog.Logger) Middleware {
	return func(next HandlerFunc) HandlerFunc {
		return func(ctx context.Context, r *Request) error {
			if r.UserID != 0 {
				if err := seen(ctx, r.UserID); err != nil {
					log.Warn("user not counted", "err", err)
				}
			}
			return next(ctx, r)
		}
	}
}
