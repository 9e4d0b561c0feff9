package storage

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// QuestionCounts is a tally of the questions residents asked.
type QuestionCounts struct {
	Asked    int64 // all of them
	Answered int64
	OffTopic int64 // outside what the bot covers: told so, not handed to staff
}

// OnTopic is how many asked questions were about what the bot covers,
// answered or not.
func (c QuestionCounts) OnTopic() int64 { return c.Asked - c.OffTopic }

// QuestionCountsDays tallies the questions of the given number of days up
// to and including the day containing t. One round trip.
func (s *Store) QuestionCountsDays(ctx context.Context, t time.Time, days int) (QuestionCounts, error) {
	counters := []questionCounter{countAsked, countAnswered, countOffTopic}
	keys := make([]string, 0, len(counters)*days)
	for i := range days {
		day := s.day(t.AddDate(0, 0, -i))
		for _, c := range counters {
			keys = append(keys, s.questionCountKey(day, c))
		}
	}
	vals, err := s.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return QuestionCounts{}, fmt.Errorf("question counts: %w", err)
	}
	var out QuestionCounts
	for i, v := range vals {
		n, _ := strconv.ParseInt(str(v), 10, 64)
		switch counters[i%len(counters)] {
		case countAsked:
			out.Asked += n
		case countAnswered:
			out.Answered += n
		case countOffTopic:
			out.OffTopic += n
		}
	}
	return out, nil
}

// RepeatedQuestion is an unanswered question in its normal form with how
// often it was asked.
type RepeatedQuestion struct {
	Normalized string
	Count      int64
	// Text is the latest asking as the resident typed it, for staff to
	// read ("<b>加粗</b>的问题", not its normal form "b加粗b的问题"); empty
	// when it is no longer among the kept unanswered questions.
	Text string
}

// latestTextPage is how many unanswered questions TopUnanswered reads per
// round trip when it looks for the latest wording of the top ones.
const latestTextPage = 200

// TopUnanswered returns the n unanswered questions asked most often, each
// with the wording of its latest asking. The wordings are read from the
// capped stream of unanswered questions, newest first, until each top
// question is found: the most asked questions are usually among the latest.
func (s *Store) TopUnanswered(ctx context.Context, n int) ([]RepeatedQuestion, error) {
	zs, err := s.rdb.ZRevRangeWithScores(ctx, s.unansweredTopKey(), 0, int64(n)-1).Result()
	if err != nil {
		return nil, fmt.Errorf("top unanswered: %w", err)
	}
	out := make([]RepeatedQuestion, 0, len(zs))
	missing := map[string]int{}
	for i, z := range zs {
		out = append(out, RepeatedQuestion{Normalized: str(z.Member), Count: int64(z.Score)})
		missing[str(z.Member)] = i
	}
	end := "+"
	for len(missing) > 0 {
		msgs, err := s.rdb.XRevRangeN(ctx, s.unansweredKey(), end, "-", latestTextPage).Result()
		if err != nil {
			return nil, fmt.Errorf("top unanswered wording: %w", err)
		}
		for _, m := range msgs {
			if i, ok := missing[str(m.Values["norm"])]; ok {
				out[i].Text = str(m.Values["text"])
				delete(missing, out[i].Normalized)
			}
		}
		if len(msgs) < latestTextPage {
			break
		}
		end = "(" + msgs[len(msgs)-1].ID // exclusive: continue below the last one read
	}
	return out, nil
}
