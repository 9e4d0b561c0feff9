package storage

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/zhangmiao/communitybot"
)

// The audit log is two capped streams: the newest maxAudit admin actions,
// and apart from them the newest maxDenied refused attempts
// (communitybot.AuditDenied). Anyone can make the bot refuse an admin
// command, so refusals only ever push out older refusals: 20,000 of them
// leave every admin action in place.
const (
	maxAudit  = 10000
	maxDenied = 2000
)

func (s *Store) auditKey() string       { return s.key("audit") }
func (s *Store) deniedAuditKey() string { return s.key("audit", "denied") }

// AppendAudit records an admin action, or a refused attempt when e.Action
// is communitybot.AuditDenied.
func (s *Store) AppendAudit(ctx context.Context, e communitybot.AuditEntry) error {
	if e.At.IsZero() {
		e.At = s.now()
	}
	stream, max := s.auditKey(), int64(maxAudit)
	if e.Action == communitybot.AuditDenied {
		stream, max = s.deniedAuditKey(), maxDenied
	}
	err := s.rdb.XAdd(ctx, &redis.XAddArgs{
		Stream: stream,
		MaxLen: max,
		Approx: true,
		Values: []any{"at", e.At.UnixMilli(), "user", e.UserID, "name", e.Name, "role", string(e.Role), "action", e.Action, "target", e.Target, "detail", e.Detail},
	}).Err()
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// Audit returns up to n of the latest admin actions, newest first (refused
// attempts are read with DeniedAudit).
func (s *Store) Audit(ctx context.Context, n int) ([]communitybot.AuditEntry, error) {
	return s.readAudit(ctx, s.auditKey(), n)
}

// DeniedAudit returns up to n of the latest refused attempts, newest
// first, and how many the log keeps.
func (s *Store) DeniedAudit(ctx context.Context, n int) ([]communitybot.AuditEntry, int64, error) {
	pipe := s.rdb.Pipeline()
	rng := pipe.XRevRangeN(ctx, s.deniedAuditKey(), "+", "-", int64(n))
	count := pipe.XLen(ctx, s.deniedAuditKey())
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, 0, fmt.Errorf("denied audit log: %w", err)
	}
	return auditEntries(rng.Val()), count.Val(), nil
}

func (s *Store) readAudit(ctx context.Context, key string, n int) ([]communitybot.AuditEntry, error) {
	msgs, err := s.rdb.XRevRangeN(ctx, key, "+", "-", int64(n)).Result()
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return auditEntries(msgs), nil
}

func auditEntries(msgs []redis.XMessage) []communitybot.AuditEntry {
	out := make([]communitybot.AuditEntry, 0, len(msgs))
	for _, m := range msgs {
		e := communitybot.AuditEntry{Name: str(m.Values["name"]), Role: communitybot.Role(str(m.Values["role"])),
			Action: str(m.Values["action"]), Target: str(m.Values["target"]), Detail: str(m.Values["detail"])}
		e.UserID, _ = strconv.ParseInt(str(m.Values["user"]), 10, 64)
		if ms, err := strconv.ParseInt(str(m.Values["at"]), 10, 64); err == nil {
			e.At = time.UnixMilli(ms)
		}
		out = append(out, e)
	}
	return out
}
