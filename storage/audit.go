package storage

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/zhangmiao/communitybot"
)

// The audit log is a capped stream: the newest maxAudit admin actions.
const maxAudit = 10000

func (s *Store) auditKey() string { return s.key("audit") }

// AppendAudit records an admin action.
func (s *Store) AppendAudit(ctx context.Context, e communitybot.AuditEntry) error {
	if e.At.IsZero() {
		e.At = s.now()
	}
	err := s.rdb.XAdd(ctx, &redis.XAddArgs{
		Stream: s.auditKey(),
		MaxLen: maxAudit,
		Approx: true,
		Values: []any{"at", e.At.UnixMilli(), "user", e.UserID, "name", e.Name, "action", e.Action, "target", e.Target, "detail", e.Detail},
	}).Err()
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// Audit returns up to n of the latest audit entries, newest first.
func (s *Store) Audit(ctx context.Context, n int) ([]communitybot.AuditEntry, error) {
	msgs, err := s.rdb.XRevRangeN(ctx, s.auditKey(), "+", "-", int64(n)).Result()
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	out := make([]communitybot.AuditEntry, 0, len(msgs))
	for _, m := range msgs {
		e := communitybot.AuditEntry{Name: str(m.Values["name"]), Action: str(m.Values["action"]),
			Target: str(m.Values["target"]), Detail: str(m.Values["detail"])}
		e.UserID, _ = strconv.ParseInt(str(m.Values["user"]), 10, 64)
		if ms, err := strconv.ParseInt(str(m.Values["at"]), 10, 64); err == nil {
			e.At = time.UnixMilli(ms)
		}
		out = append(out, e)
	}
	return out, nil
}
