package storage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

// TestUnansweredCountsAreCapped: the counts behind /stats' most repeated
// unanswered questions keep a bounded number of questions, however
// many distinct ones are asked; what is dropped is the least repeated and,
// among equals, the longest unseen, so a recurring question and a new one
// both stay, and the counts shown stay exact.
//
// It runs on the real Redis only: thousands of scripts in one flush are
// too slow for the embedded one under -race (console mode never gets
// there; TestAuditSeenAndStats covers the counts on both).
func TestUnansweredCountsAreCapped(t *testing.T) {
	s := storagetest.New(t)
	ctx := context.Background()
	record := func(text string) {
		if err := s.RecordQuestion(ctx, communitybot.Question{Text: text, Normalized: text}); err != nil {
			t.Fatal(err)
		}
	}
	bctx, batch := storage.WithBatch(ctx)
	for range 3 {
		if err := s.RecordQuestion(bctx, communitybot.Question{Text: "食堂几点开门", Normalized: "食堂几点开门"}); err != nil {
			t.Fatal(err)
		}
	}
	// Asked one after another, named so that their alphabetical order
	// is the reverse of the order they were asked in.
	start := time.Now().Add(-time.Hour)
	for i := range storage.MaxUnansweredTop + 500 {
		q := fmt.Sprintf("只问一次的问题%05d", storage.MaxUnansweredTop+500-i)
		at := start.Add(time.Duration(i) * time.Millisecond)
		if err := s.RecordQuestion(bctx, communitybot.Question{Text: q, Normalized: q, At: at}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Flush(ctx, batch); err != nil {
		t.Fatal(err)
	}
	record("快递柜坏了找谁") // the newest question
	record("快递柜坏了找谁")

	all, err := s.TopUnanswered(ctx, 2*storage.MaxUnansweredTop)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) > storage.MaxUnansweredTop+storage.UnansweredTopSlack {
		t.Fatalf("%d questions counted, want at most %d", len(all), storage.MaxUnansweredTop+storage.UnansweredTopSlack)
	}
	top, err := s.TopUnanswered(ctx, 3)
	if err != nil || len(top) != 3 || top[0] != (storage.RepeatedQuestion{Normalized: "食堂几点开门", Count: 3, Text: "食堂几点开门"}) ||
		top[1] != (storage.RepeatedQuestion{Normalized: "快递柜坏了找谁", Count: 2, Text: "快递柜坏了找谁"}) || top[2].Count != 1 {
		t.Fatalf("TopUnanswered(3) = %+v, %v", top, err)
	}
	kept := map[string]bool{}
	for _, q := range all {
		kept[q.Normalized] = true
	}
	// What was dropped is the questions asked once and first: those
	// kept are the latest ones, without a gap.
	oneTimer := func(i int) string { return fmt.Sprintf("只问一次的问题%05d", storage.MaxUnansweredTop+500-i) }
	if kept[oneTimer(0)] || !kept[oneTimer(storage.MaxUnansweredTop+499)] {
		t.Error("the cap kept the first question asked once or dropped the last")
	}
	for i := range storage.MaxUnansweredTop + 499 {
		if kept[oneTimer(i)] && !kept[oneTimer(i+1)] {
			t.Fatalf("question asked %d-th kept but the one after it dropped: the cap must drop the longest unseen first", i)
		}
	}
}
