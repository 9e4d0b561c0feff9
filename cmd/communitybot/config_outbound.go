package main

import (
	"strconv"
	"time"

	"github.com/zhangmiao/communitybot/storage"
)

// OutboundConfig configures the send path every message takes and the
// Redis client's bounds.
type OutboundConfig struct {
	// Rate is TELEGRAM_RATE: messages per second the bot sends in all,
	// replies and broadcasts, all replicas together; 0: no global limit.
	Rate int
	// RedisTimeout is REDIS_TIMEOUT: the bound of one Redis command.
	RedisTimeout time.Duration
}

var outboundEnvVars = []envVar{
	{"TELEGRAM_RATE", "30", "Messages per second the bot sends in all, replies and broadcasts, all replicas together (Telegram allows about 30). Replies go ahead of broadcasts. 0 turns the limit off (a Bot API without limits, benchmarks)."},
	{"REDIS_TIMEOUT", "1s", "Bound of one Redis command (and the client's dial, read and write timeouts). A Redis that stops answering for that long is taken as down: calls fail at once and residents get answers from the content until it answers again."},
}

func init() { EnvVars = append(EnvVars, outboundEnvVars...) }

// parseOutboundConfig reads the outbound variables; bad reports a bad one.
func parseOutboundConfig(get func(string) string, bad func(name, format string, args ...any)) OutboundConfig {
	c := OutboundConfig{Rate: 30, RedisTimeout: storage.DefaultCommandTimeout}
	if v := get("TELEGRAM_RATE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 100000 {
			bad("TELEGRAM_RATE", "want a whole number from 0 (no limit) to 100000, got %q", v)
		} else {
			c.Rate = n
		}
	}
	if v := get("REDIS_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 50*time.Millisecond || d > 30*time.Second {
			bad("REDIS_TIMEOUT", "want a duration between 50ms and 30s, like 1s, got %q", v)
		} else {
			c.RedisTimeout = d
		}
	}
	return c
}
