package storage

import (
	"context"
	_ "embed"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"
)

// Groups of live replicas: each member renews its entry (a sorted set
// scored by expiry on Redis's own clock, so replicas' clocks do not
// matter), and every renewal returns the live members, so a replica that
// splits work with the others learns who they are in the same round trip.

//go:embed lua/heartbeat.lua
var heartbeatLua string

var heartbeat = redis.NewScript(heartbeatLua)

//go:embed lua/hold_lease.lua
var holdLeaseLua string

var holdLease = redis.NewScript(holdLeaseLua)

func (s *Store) groupKey(group string) string { return s.key("members", group) }

// Heartbeat records member as alive in group for ttl and returns the live
// members, sorted, member included. One round trip.
func (s *Store) Heartbeat(ctx context.Context, group, member string, ttl time.Duration) ([]string, error) {
	if ttl <= 0 {
		return nil, fmt.Errorf("members %s: ttl must be positive", group)
	}
	out, err := s.runScript(ctx, heartbeat, []string{s.groupKey(group)}, member, ttl.Milliseconds()).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("members %s: heartbeat: %w", group, err)
	}
	slices.Sort(out)
	return out, nil
}

// LeaveGroup removes member from group at once (a graceful stop), so the
// others rebalance without waiting for its entry to expire.
func (s *Store) LeaveGroup(ctx context.Context, group, member string) error {
	if err := s.runScript(ctx, heartbeat, []string{s.groupKey(group)}, member, 0).Err(); err != nil {
		return fmt.Errorf("members %s: leave: %w", group, err)
	}
	return nil
}

// HoldLeases takes each named lease that nobody holds and renews each that
// owner holds, all in one round trip, and reports for each whether owner
// holds it now. A lease another owner holds is left alone.
func (s *Store) HoldLeases(ctx context.Context, names []string, owner string, ttl time.Duration) ([]bool, error) {
	if len(names) == 0 {
		return nil, nil
	}
	cmds := make([]*redis.Cmd, len(names))
	err := s.execScripts(ctx, []*redis.Script{holdLease}, func(pipe redis.Pipeliner) {
		for i, n := range names {
			cmds[i] = holdLease.EvalSha(ctx, pipe, []string{s.leaseKey(n)}, owner, ttl.Milliseconds())
		}
	})
	if err != nil {
		return nil, fmt.Errorf("leases: hold %d: %w", len(names), err)
	}
	out := make([]bool, len(names))
	for i, c := range cmds {
		n, _ := c.Int()
		out[i] = n == 1
	}
	return out, nil
}

// ReleaseLeases gives up each named lease owner holds, in one round trip,
// so that another replica can take them over at once.
func (s *Store) ReleaseLeases(ctx context.Context, names []string, owner string) error {
	if len(names) == 0 {
		return nil
	}
	err := s.execScripts(ctx, []*redis.Script{releaseLease}, func(pipe redis.Pipeliner) {
		for _, n := range names {
			releaseLease.EvalSha(ctx, pipe, []string{s.leaseKey(n)}, owner)
		}
	})
	if err != nil {
		return fmt.Errorf("leases: release %d: %w", len(names), err)
	}
	return nil
}
