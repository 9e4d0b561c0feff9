package staff_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/assistant"
	"github.com/zhangmiao/communitybot/content"
	"github.com/zhangmiao/communitybot/staff"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

// BenchmarkMerge measures building the Q&A's knowledge base from the
// content file plus 200 learned entries (what every /learn and every
// replica's reload costs before the engine is rebuilt).
func BenchmarkMerge(b *testing.B) {
	base, err := content.Default()
	if err != nil {
		b.Fatal(err)
	}
	var learned []communitybot.LearnedEntry
	for i := range 200 {
		learned = append(learned, communitybot.LearnedEntry{ID: fmt.Sprintf("learned-q%d", i), Kind: communitybot.LearnTopic,
			Title: fmt.Sprintf("学到的第%d条", i), Answer: "答复内容", Question: fmt.Sprintf("第%d个新问题怎么办", i)})
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, skipped := staff.Merge(base, learned, nil); len(skipped) > 0 {
			b.Fatal(skipped)
		}
	}
}

// BenchmarkEscalate measures turning an unanswered question into a ticket
// (one script on the real Redis), the cost added to a fallback reply.
func BenchmarkEscalate(b *testing.B) {
	store := storagetest.New(b)
	kb, _ := content.Default()
	a, err := assistant.New(kb, store, assistant.Options{})
	if err != nil {
		b.Fatal(err)
	}
	svc, err := staff.New(staff.Deps{Store: store, Base: kb, QA: a}, staff.Config{MaxOpenPerUser: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i++
		q := fmt.Sprintf("问题%d", i)
		if _, err := svc.Escalate(ctx, communitybot.Question{ChatID: int64(i), UserID: int64(i), Text: q, Normalized: q}); err != nil {
			b.Fatal(err)
		}
	}
}
