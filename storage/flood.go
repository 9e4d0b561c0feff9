package storage

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// countInWindow counts a hit in a fixed window and returns the count so
// far in that window.
var countInWindow = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`)

// FloodVerdict is the outcome of a flood check.
type FloodVerdict int

// Flood verdicts.
const (
	FloodAllow  FloodVerdict = iota // within the limit
	FloodNotify                     // first message over the limit: tell the user once
	FloodDrop                       // over the limit and already told
)

// CheckFlood counts one message of a user and says whether it is within
// limit messages per window. The window is fixed (it starts at the user's
// first message), which is coarse but costs one round trip and is shared by
// all replicas.
func (s *Store) CheckFlood(ctx context.Context, userID int64, limit int, window time.Duration) (FloodVerdict, error) {
	n, err := s.runScript(ctx, countInWindow, []string{s.key("flood", strconv.FormatInt(userID, 10))}, window.Milliseconds()).Int()
	if err != nil {
		return FloodAllow, fmt.Errorf("flood check %d: %w", userID, err)
	}
	switch {
	case n <= limit:
		return FloodAllow, nil
	case n == limit+1:
		return FloodNotify, nil
	default:
		return FloodDrop, nil
	}
}
