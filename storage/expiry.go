package storage

import (
	"context"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// expiries remembers which per-day counters this process gave their expiry
// lately. A counter is bumped by every update (users seen, questions
// asked) and lives for days, so an EXPIRE with each bump was a quarter of
// the commands of an update; once every expiryRefresh per key keeps the
// expiry (a key recreated meanwhile, after a Redis restart, gets it at the
// next refresh at the latest).
type expiries struct {
	mu   sync.Mutex
	sent map[string]time.Time
}

const (
	expiryRefresh = 10 * time.Minute
	maxExpiryKeys = 1024 // per-day keys: a handful at a time
)

// expire queues EXPIRE key ttl on pipe unless this process did so in the
// last expiryRefresh.
func (s *Store) expire(ctx context.Context, pipe redis.Pipeliner, key string, ttl time.Duration) {
	now := time.Now()
	e := &s.expiries
	e.mu.Lock()
	last, ok := e.sent[key]
	if ok && now.Sub(last) < expiryRefresh {
		e.mu.Unlock()
		return
	}
	if e.sent == nil || len(e.sent) >= maxExpiryKeys {
		e.sent = map[string]time.Time{}
	}
	e.sent[key] = now
	e.mu.Unlock()
	pipe.Expire(ctx, key, ttl)
}
