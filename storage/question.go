package storage

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/zhangmiao/communitybot"
)

// Unanswered questions are kept in a capped stream (the newest
// maxUnanswered) for staff to read, and counted by normal form so that staff
// see which questions come up most; the counts keep about the
// maxUnansweredTop most asked questions, so the sorted set stays bounded
// however many distinct questions come in.
const (
	maxUnanswered = 10000
	// maxUnansweredTop is how many distinct unanswered questions are
	// counted; the set is trimmed back to it once it has grown by
	// unansweredTopSlack, so the trim (a sort on the embedded Redis) runs
	// once per few hundred new questions, not on every one.
	maxUnansweredTop   = 5000
	unansweredTopSlack = 500
	statsTTL           = 40 * 24 * time.Hour // counters cover a month plus margin
)

func (s *Store) unansweredKey() string    { return s.key("q", "unanswered") }
func (s *Store) unansweredTopKey() string { return s.key("q", "unanswered-top") }

// questionCountKey names one day's counter of questions: asked (all),
// answered, or off-topic.
func (s *Store) questionCountKey(day string, c questionCounter) string {
	return s.key("{stats}", string(c), day)
}

type questionCounter string

const (
	countAsked    questionCounter = "asked"
	countAnswered questionCounter = "answered"
	countOffTopic questionCounter = "offtopic"
)

// RecordQuestion counts a question for the day's statistics and, when the
// bot could not answer it, keeps it for staff. One round trip, or none
// within an update's Batch (the write joins the batch's flush).
func (s *Store) RecordQuestion(ctx context.Context, q communitybot.Question) error {
	if q.At.IsZero() {
		q.At = s.now()
	}
	day := s.day(q.At)
	asked := s.questionCountKey(day, countAsked)
	unanswered, top := s.unansweredKey(), s.unansweredTopKey()
	err := s.deferWrite(ctx, func(ctx context.Context, pipe redis.Pipeliner) {
		pipe.Incr(ctx, asked)
		s.expire(ctx, pipe, asked, statsTTL)
		if q.Answered || q.OffTopic {
			k := s.questionCountKey(day, countAnswered)
			if !q.Answered {
				k = s.questionCountKey(day, countOffTopic)
			}
			pipe.Incr(ctx, k)
			s.expire(ctx, pipe, k, statsTTL)
			return
		}
		pipe.XAdd(ctx, &redis.XAddArgs{
			Stream: unanswered,
			MaxLen: maxUnanswered,
			Approx: true,
			Values: []any{
				"chat", q.ChatID, "user", q.UserID, "text", q.Text, "norm", q.Normalized, "at", q.At.UnixMilli(),
			},
		})
		if q.Normalized != "" {
			countUnanswered.Eval(ctx, pipe, []string{top}, q.Normalized, firstSeen(q.At), maxUnansweredTop, unansweredTopSlack)
		}
	})
	if err != nil {
		return fmt.Errorf("record question: %w", err)
	}
	return nil
}

// countUnanswered counts an unanswered question and keeps the set bounded.
// A question's score is its count plus a fraction below 0.5 fixed when it
// is first counted, growing with time: counts read back exactly (the
// integer part), and the trim drops the least asked and, among equals, the
// one first seen longest ago, rather than whichever sorts first, which
// would keep some new questions from ever being counted twice. It is sent
// whole (EVAL) because deferred writes are flushed without the NOSCRIPT
// fallback; it is short.
//
// KEYS: counts. ARGV: question, first-seen fraction, cap, slack.
var countUnanswered = redis.NewScript(`
redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1])
redis.call('ZINCRBY', KEYS[1], 1, ARGV[1])
local cap = tonumber(ARGV[3])
if redis.call('ZCARD', KEYS[1]) > cap + tonumber(ARGV[4]) then
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(cap + 1))
end
return 1`)

// firstSeenEpoch and firstSeenSpan map a time to a fraction in [0, 0.5):
// 126 years of milliseconds from 2020, fine enough to order questions a
// millisecond apart while their counts are small, coarser (but still
// exact in the integer part) as they grow.
var firstSeenEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

const firstSeenSpan = 8e12 // ms

func firstSeen(t time.Time) float64 {
	f := float64(t.Sub(firstSeenEpoch).Milliseconds()) / firstSeenSpan
	return min(max(f, 0), 0.4999)
}

// Unanswered returns up to n of the most recent unanswered questions, newest
// first.
func (s *Store) Unanswered(ctx context.Context, n int) ([]communitybot.Question, error) {
	msgs, err := s.rdb.XRevRangeN(ctx, s.unansweredKey(), "+", "-", int64(n)).Result()
	if err != nil {
		return nil, fmt.Errorf("unanswered questions: %w", err)
	}
	out := make([]communitybot.Question, 0, len(msgs))
	for _, m := range msgs {
		q := communitybot.Question{Text: str(m.Values["text"]), Normalized: str(m.Values["norm"])}
		q.ChatID, _ = strconv.ParseInt(str(m.Values["chat"]), 10, 64)
		q.UserID, _ = strconv.ParseInt(str(m.Values["user"]), 10, 64)
		if ms, err := strconv.ParseInt(str(m.Values["at"]), 10, 64); err == nil {
			q.At = time.UnixMilli(ms)
		}
		out = append(out, q)
	}
	return out, nil
}

func str(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}
