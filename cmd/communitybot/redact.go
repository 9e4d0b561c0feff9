package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/zhangmiao/communitybot"
)

// secretsOf lists what must never reach a log or the error main prints:
// the bot token (it is in every Bot API URL), the webhook secret, and the
// passwords of the configured URLs.
func secretsOf(cfg Config) []string {
	var out []string
	for _, s := range []string{cfg.Token, cfg.WebhookSecret} {
		if s != "" {
			out = append(out, s)
		}
	}
	for _, u := range []string{cfg.APIURL, cfg.RedisURL, cfg.WebhookURL} {
		out = append(out, communitybot.URLSecrets(u)...)
	}
	return out
}

// scrubber removes secrets from text: each configured secret, and the
// password of any URL user info (communitybot.RedactText).
type scrubber struct{ r *strings.Replacer }

func newScrubber(secrets []string) scrubber {
	pairs := make([]string, 0, 2*len(secrets))
	for _, s := range secrets {
		pairs = append(pairs, s, communitybot.Redacted)
	}
	return scrubber{strings.NewReplacer(pairs...)}
}

func (s scrubber) text(v string) string { return communitybot.RedactText(s.r.Replace(v)) }

// err returns err with its message scrubbed (nil stays nil).
func (s scrubber) err(err error) error {
	if err == nil {
		return nil
	}
	if msg := s.text(err.Error()); msg != err.Error() {
		return scrubbedError{msg: msg, err: err}
	}
	return err
}

// scrubbedError keeps errors.Is working on an error whose text changed.
type scrubbedError struct {
	msg string
	err error
}

func (e scrubbedError) Error() string { return e.msg }
func (e scrubbedError) Unwrap() error { return e.err }

// scrubHandler is a slog.Handler that scrubs every message and attribute
// before the next handler writes it: whatever a library puts in an error
// (go-telegram/bot and net/http quote request URLs), the token and the
// passwords never reach the log.
type scrubHandler struct {
	next slog.Handler
	s    scrubber
}

func (h scrubHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h scrubHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.s.text(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h scrubHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = h.attr(a)
	}
	return scrubHandler{h.next.WithAttrs(clean), h.s}
}

func (h scrubHandler) WithGroup(name string) slog.Handler {
	return scrubHandler{h.next.WithGroup(name), h.s}
}

func (h scrubHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.s.text(v.String()))
	case slog.KindGroup:
		g := v.Group()
		clean := make([]any, len(g))
		for i, ga := range g {
			clean[i] = h.attr(ga)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindAny:
		// Errors and Stringers: written as text anyway. Other values keep
		// their form unless their text holds a secret.
		printed := fmt.Sprint(v.Any())
		if clean := h.s.text(printed); clean != printed {
			return slog.String(a.Key, clean)
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
