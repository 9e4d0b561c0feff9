package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
)

// Rate limits shared by every replica use github.com/go-redis/redis_rate:
// GCRA in one Lua script per check, one small key per limited thing that
// expires by itself once idle. Its keys are "rate:" + this store's prefix +
// the name (the library adds "rate:").

// RateLimit allows Rate events per Period, evenly spaced: with no burst,
// 30 per second means one every 33 ms, so no sliding one-second window
// (Telegram's) ever holds more than 30.
type RateLimit struct {
	Rate   int
	Period time.Duration
}

// Allow takes one event from the named limit if it has room now and
// returns 0, or returns how long to wait before trying again (nothing is
// taken then). A zero limit always allows.
func (s *Store) Allow(ctx context.Context, name string, l RateLimit) (time.Duration, error) {
	if l.Rate <= 0 || l.Period <= 0 {
		return 0, nil
	}
	res, err := redis_rate.NewLimiter(s.rdb).Allow(ctx, s.prefix+name, redis_rate.Limit{Rate: l.Rate, Burst: 1, Period: l.Period})
	if err != nil {
		return 0, fmt.Errorf("rate limit %s: %w", name, err)
	}
	if res.Allowed > 0 {
		return 0, nil
	}
	return max(res.RetryAfter, time.Millisecond), nil
}
