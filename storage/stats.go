package storage

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// QuestionCountsDays returns how many questions were asked and answered in
// the given number of days up to and including the day containing t. One
// round trip.
func (s *Store) QuestionCountsDays(ctx context.Context, t time.Time, days int) (asked, answered int64, err error) {
	keys := make([]string, 0, 2*days)
	for i := range days {
		day := s.day(t.AddDate(0, 0, -i))
		keys = append(keys, s.questionCountKey(day, false), s.questionCountKey(day, true))
	}
	vals, err := s.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return 0, 0, fmt.Errorf("question counts: %w", err)
	}
	for i, v := range vals {
		n, _ := strconv.ParseInt(str(v), 10, 64)
		if i%2 == 0 {
			asked += n
		} else {
			answered += n
		}
	}
	return asked, answered, nil
}

// RepeatedQuestion is an unanswered question in its normal form with how
// often it was asked.
type RepeatedQuestion struct {
	Normalized string
	Count      int64
}

// TopUnanswered returns the n unanswered questions asked most often.
func (s *Store) TopUnanswered(ctx context.Context, n int) ([]RepeatedQuestion, error) {
	zs, err := s.rdb.ZRevRangeWithScores(ctx, s.unansweredTopKey(), 0, int64(n)-1).Result()
	if err != nil {
		return nil, fmt.Errorf("top unanswered: %w", err)
	}
	out := make([]RepeatedQuestion, 0, len(zs))
	for _, z := range zs {
		out = append(out, RepeatedQuestion{Normalized: str(z.Member), Count: int64(z.Score)})
	}
	return out, nil
}
