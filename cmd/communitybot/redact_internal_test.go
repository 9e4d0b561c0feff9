package main

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// TestScrubHandler: secrets are scrubbed from the message, string and
// error attributes, groups and attributes added with With, in both
// formats; other values keep their form.
func TestScrubHandler(t *testing.T) {
	cfg := Config{Token: "123:TOKEN-abc", APIURL: "http://u:apipw@h", RedisURL: "redis://:redispw@h:6379/0", WebhookSecret: "hook-SECRET"}
	for _, format := range []string{"text", "json"} {
		var buf bytes.Buffer
		cfg.LogFormat = format
		log := newLogger(cfg, &buf).With("base", "http://x:withpw@h/bot123:TOKEN-abc/getMe")
		err := fmt.Errorf("call: %w", errors.New(`Post "http://u:apipw@h/bot123:TOKEN-abc/sendMessage": EOF`))
		log.Warn("token 123:TOKEN-abc in the message", "err", err, "secret", "hook-SECRET",
			slog.Group("redis", "url", "redis://:redispw@h:6379/0"), "n", 42, "list", []string{"a", "b"})
		out := buf.String()
		for _, s := range []string{"TOKEN-abc", "apipw", "redispw", "hook-SECRET", "withpw"} {
			if strings.Contains(out, s) {
				t.Errorf("%s log contains %q: %s", format, s, out)
			}
		}
		for _, s := range []string{"xxxxx", "42", "a"} {
			if !strings.Contains(out, s) {
				t.Errorf("%s log lacks %q: %s", format, s, out)
			}
		}
	}
	s := newScrubber(secretsOf(cfg))
	wrapped := fmt.Errorf("x: %w", errSentinel)
	if got := s.err(fmt.Errorf("token 123:TOKEN-abc: %w", wrapped)); strings.Contains(got.Error(), "TOKEN-abc") || !errors.Is(got, errSentinel) {
		t.Errorf("scrubbed error = %v (errors.Is %v)", got, errors.Is(got, errSentinel))
	}
}

var errSentinel = errors.New("sentinel")
