package qa

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/zhangmiao/communitybot/content"
)

// benchQuestions is a mix of what residents ask: short and long, on and off
// topic, traditional, noisy and follow-ups.
var benchQuestions = []string{
	"电梯加装进展怎么样",
	"楼里啥时候能装上电梯啊",
	"家门口那些乱七八糟的电线什么时候埋下去",
	"張廟街道黨工委書記是誰",
	"🙏电梯加装进展？？",
	"五个张庙是什么",
	"比学赶超是什么意思",
	"和谁比、学什么、怎么赶、如何超",
	"2020年取得了哪些成绩",
	"要打造什么都市产业新高地",
	"今天午饭吃什么好",
	"帮我比较一下两款手机",
	"那架空线呢？",
	"什么时候完成",
	"请问一下，那个架空线入地的工程现在搞得怎么样了呀？",
	"你好",
}

func BenchmarkMatch(b *testing.B) {
	_, e := mustShipped(b)
	ctx := Context{Project: "elevator", Intent: IntentStatus}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		e.Match(benchQuestions[i%len(benchQuestions)], ctx)
		i++
	}
}

func BenchmarkNew(b *testing.B) {
	kb, _ := mustShipped(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(kb); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNormalize(b *testing.B) {
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		Normalize(benchQuestions[i%len(benchQuestions)])
		i++
	}
}

// syntheticKB builds a knowledge base of n topics from random "words" drawn
// from a few thousand common Han characters, plus the shipped content, so
// that real questions still have their answers among the noise.
func syntheticKB(tb testing.TB, n int) *content.KnowledgeBase {
	tb.Helper()
	base, err := content.Default()
	if err != nil {
		tb.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	// CJK Unified Ideographs U+4E00..: the first 3000 are mostly common.
	word := func(min, max int) string {
		var b strings.Builder
		for range min + rng.IntN(max-min+1) {
			b.WriteRune(rune(0x4E00 + rng.IntN(3000)))
		}
		return b.String()
	}
	kb := &content.KnowledgeBase{
		Version:  base.Version,
		Fallback: base.Fallback,
		Topics:   append([]content.Topic(nil), base.Topics...),
		Projects: base.Projects,
		Synonyms: base.Synonyms,
	}
	for i := range n {
		t := content.Topic{
			ID:     fmt.Sprintf("synthetic-%d", i),
			Title:  word(4, 8),
			Answer: word(20, 60),
		}
		for range 4 {
			t.Questions = append(t.Questions, word(2, 4)+"是什么"+word(0, 3))
		}
		for range 3 {
			t.Keywords = append(t.Keywords, word(2, 5))
		}
		kb.Topics = append(kb.Topics, t)
	}
	kb.ProjectHints = base.ProjectHints
	if err := kb.Validate(); err != nil {
		tb.Fatal(err)
	}
	return kb
}

func BenchmarkMatchSynthetic10k(b *testing.B) {
	kb := syntheticKB(b, 10_000)
	e, err := New(kb)
	if err != nil {
		b.Fatal(err)
	}
	// Questions made of the synthetic vocabulary, next to the real ones.
	qs := append([]string(nil), benchQuestions...)
	for i := 0; i < 16; i++ {
		t := kb.Topics[len(kb.Topics)-1-i*611]
		qs = append(qs, t.Questions[0], t.Keywords[0]+"怎么样了")
	}
	ctx := Context{Project: "elevator", Intent: IntentStatus}
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		e.Match(qs[i%len(qs)], ctx)
		i++
	}
}

func BenchmarkNewSynthetic10k(b *testing.B) {
	kb := syntheticKB(b, 10_000)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := New(kb); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSyntheticStillAnswers guards the benchmark's premise: with 10,000
// unrelated entries added, real questions still find their entries, and the
// synthetic ones find theirs.
func TestSyntheticStillAnswers(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 10,000-entry knowledge base")
	}
	kb := syntheticKB(t, 10_000)
	e, err := New(kb)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ q, want string }{
		{"电梯加装进展怎么样", "elevator"},
		{"五个张庙是什么", "five-zhangmiao"},
		{kb.Topics[len(kb.Topics)-1].Questions[0], kb.Topics[len(kb.Topics)-1].ID},
	} {
		if got := resultID(e.Match(tc.q, Context{})); got != tc.want {
			t.Errorf("Match(%q) = %q, want %q", tc.q, got, tc.want)
		}
	}
}
