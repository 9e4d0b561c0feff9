package storage

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/zhangmiao/communitybot"
)

// Distinct users are counted with HyperLogLogs: one for all time and one
// per day (kept nine days, for the seven-day figure). PFADD costs a few
// bytes whatever the number of users, and no round trip of its own within
// an update (see SeenUser); the counts are within about 1% — plenty for
// staff statistics. The keys share
// the {seen} hash tag so the seven-day union (a multi-key PFCOUNT) runs on
// Cluster too.

const seenDayTTL = 9 * 24 * time.Hour

func (s *Store) seenAllKey() string           { return s.key("{seen}", "all") }
func (s *Store) seenDayKey(day string) string { return s.key("{seen}", "d", day) }

// SeenUser counts a user as active now. Within an update's Batch the
// write joins the batch's flush (PFADD is safe to repeat), so counting
// every user costs no round trip of its own.
func (s *Store) SeenUser(ctx context.Context, userID int64) error {
	all, day := s.seenAllKey(), s.seenDayKey(s.day(s.now()))
	id := strconv.FormatInt(userID, 10)
	err := s.deferWrite(ctx, func(ctx context.Context, pipe redis.Pipeliner) {
		pipe.PFAdd(ctx, all, id)
		pipe.PFAdd(ctx, day, id)
		s.expire(ctx, pipe, day, seenDayTTL)
	})
	if err != nil {
		return fmt.Errorf("seen user: %w", err)
	}
	return nil
}

// UsersSeen returns how many distinct users the bot has seen in all, on
// the day containing t and in the seven days up to it.
func (s *Store) UsersSeen(ctx context.Context, t time.Time) (total, today, week int64, err error) {
	days := make([]string, 7)
	for i := range days {
		days[i] = s.seenDayKey(s.day(t.AddDate(0, 0, -i)))
	}
	pipe := s.rdb.Pipeline()
	totalCmd := pipe.PFCount(ctx, s.seenAllKey())
	todayCmd := pipe.PFCount(ctx, days[0])
	weekCmd := pipe.PFCount(ctx, days...)
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, 0, 0, fmt.Errorf("users seen: %w", err)
	}
	return totalCmd.Val(), todayCmd.Val(), weekCmd.Val(), nil
}

// CountWithRole returns how many users hold role r exactly.
func (s *Store) CountWithRole(ctx context.Context, r communitybot.Role) (int64, error) {
	n, err := s.rdb.SCard(ctx, s.roleSetKey(r)).Result()
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", r, err)
	}
	return n, nil
}
