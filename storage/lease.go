package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Leases give one replica at a time the right to do something (poll
// Telegram, consume an inbox partition). A lease is a key holding the
// owner's id with a TTL; the owner renews it well before it expires, and a
// replica that dies simply stops renewing, so another takes over after ttl.

func (s *Store) leaseKey(name string) string { return s.key("lease", name) }

var renewLease = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`)

var releaseLease = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`)

// AcquireLease takes the named lease for owner if nobody holds it, or
// renews it if owner already does. It reports whether owner holds it now.
func (s *Store) AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, s.leaseKey(name), owner, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", name, err)
	}
	if ok {
		return true, nil
	}
	return s.RenewLease(ctx, name, owner, ttl)
}

// RenewLease extends the lease if owner still holds it and reports whether
// it does.
func (s *Store) RenewLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	n, err := s.runScript(ctx, renewLease, []string{s.leaseKey(name)}, owner, ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("lease %s: renew: %w", name, err)
	}
	return n == 1, nil
}

// ReleaseLease gives the lease up if owner holds it, so that another
// replica can take over at once instead of after the TTL.
func (s *Store) ReleaseLease(ctx context.Context, name, owner string) error {
	if err := s.runScript(ctx, releaseLease, []string{s.leaseKey(name)}, owner).Err(); err != nil {
		return fmt.Errorf("lease %s: release: %w", name, err)
	}
	return nil
}
