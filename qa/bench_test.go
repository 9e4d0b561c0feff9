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

// The Match benchmarks measure matching itself (matchFresh, without the
// memo); BenchmarkMatchRemembered measures a repeated question.
func BenchmarkMatch(b *testing.B) {
	_, e := mustShipped(b)
	benchShipped(b, e.matchFresh)
}

func BenchmarkMatchRemembered(b *testing.B) {
	_, e := mustShipped(b)
	benchShipped(b, e.Match)
}

// benchShipped asks match the mixed bench questions in a status context.
func benchShipped(b *testing.B, match func(string, Context) Result) {
	ctx := Context{Project: "elevator", Intent: IntentStatus}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		match(benchQuestions[i%len(benchQuestions)], ctx)
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
		e.matchFresh(qs[i%len(qs)], ctx)
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

// passageQuestions reach the passage tier and the pronunciation folding:
// continuations, quotes, homophone typos, Latin-mixed and off-topic
// questions (which score every sentence sharing a pair before they are
// turned away).
var passageQuestions = []string{
	"征途漫漫下一句",
	"以生命付使命后半句是啥嘛",
	"干在实处后头接的是啥",
	"信里咋形容2020年这一年的",
	"去年除了老旧住房成套改造和两个美丽，还有啥成效明显",
	"new year letter 末尾 signed by who 啊",
	"five actions 里跟 training 有关的那项叫啥？",
	"四塘一村改造进展如何",
	"施勇根说要按下重点工作的啥键来着",
	"我在居委会帮忙出黑板报，想抄一段街道新年信里写疫情的话，记得前面先说大家舍生忘死的，然后说把涓滴之力汇聚成了个啥伟力，最后还构筑起了一道啥，你帮我把后半截补全呗，谢谢啦",
	"张庙街道一共有多少个居民区，常住人口多少",
	"今天天气怎么样",
	"python 咋读取 excel 文件",
	"我想反映一下楼道里有人堆东西",
}

// kindQuestions are of the kinds of issue 9's second round: all-pinyin,
// mostly English, ordinals, why, a detail in the next sentence, the page
// itself, a date the page does not give, shopping.
var kindQuestions = []string{
	"dang gongwei shuji shi shui",
	"gōngzuò zhǔxiàn shì shénme",
	"What are the four positionings of Zhangmiao?",
	"How is the elevator installation going?",
	"施永根讲的第三条是啥",
	"四个定位里第二个是啥",
	"为啥要搞比学赶超这个活动",
	"按下快进键那条说开局起步要怎样",
	"这期简报的大标题是什么",
	"实施方案具体哪天印发的",
	"双十一买哪款手机划算",
}

func BenchmarkMatchKinds(b *testing.B) {
	_, e := mustShipped(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		e.matchFresh(kindQuestions[i%len(kindQuestions)], Context{})
		i++
	}
}

// thirdQuestions are of issue 9's third round: the page's words inside an
// English question, a speaker's alias and dialect with an ordinal, why in
// everyday words, 最后一句 with content, and off-topic mixed ones.
var thirdQuestions = []string{
	"Which park 要被打造成都市产业新高地",
	"施书记讲的第三条是啥物事啊",
	"区里为啥要搞比学赶超这个活动，想达到啥目的",
	"信最后一句说要让广大人民群众怎样共享改革发展成果",
	"以学促进干是谁讲的",
	"施永根说要营照什么样的浓厚氛围",
	"蕴藻浜沿线镇是哪几个",
	"推荐一部关于中国共产党成立100周年的电影",
}

func BenchmarkMatchThird(b *testing.B) {
	_, e := mustShipped(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		e.matchFresh(thirdQuestions[i%len(thirdQuestions)], Context{})
		i++
	}
}

func BenchmarkMatchPassages(b *testing.B) {
	_, e := mustShipped(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		e.matchFresh(passageQuestions[i%len(passageQuestions)], Context{})
		i++
	}
}

// syntheticSource is a source of n sentences of random common characters,
// each with a few clauses, after the newsletter's own sentences.
func syntheticSource(n int) *content.Source {
	rng := rand.New(rand.NewPCG(3, 4))
	var b strings.Builder
	b.WriteString(content.NewsletterRaw())
	b.WriteString("\n\n")
	for range n {
		for c := range 2 + rng.IntN(4) {
			if c > 0 {
				b.WriteString("，")
			}
			for range 4 + rng.IntN(8) {
				b.WriteRune(rune(0x4E00 + rng.IntN(3000)))
			}
		}
		b.WriteString("。")
	}
	return content.ParseSource(b.String())
}

func BenchmarkMatchSynthetic10kPassages(b *testing.B) {
	kb, _ := mustShipped(b)
	src := syntheticSource(10_000)
	e, err := NewWithSources(kb, []Source{{Label: content.SourceName, Text: src}})
	if err != nil {
		b.Fatal(err)
	}
	qs := append(append(append(append([]string(nil), passageQuestions...), benchQuestions...), kindQuestions...), thirdQuestions...)
	for i := 0; i < 8; i++ {
		s := src.Sentences[len(src.Sentences)-1-i*1111].Text
		qs = append(qs, strings.Split(s, "，")[0]+"下一句是什么")
	}
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		e.matchFresh(qs[i%len(qs)], Context{})
		i++
	}
}

func BenchmarkNewWithPassages10k(b *testing.B) {
	kb, _ := mustShipped(b)
	src := syntheticSource(10_000)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := NewWithSources(kb, []Source{{Label: content.SourceName, Text: src}}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSyntheticPassagesStillAnswer guards the benchmark's premise: among
// 10,000 random sentences the newsletter's are still found, and a
// synthetic sentence's continuation is found too.
func TestSyntheticPassagesStillAnswer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 10,000-sentence source")
	}
	kb, _ := mustShipped(t)
	src := syntheticSource(10_000)
	e, err := NewWithSources(kb, []Source{{Label: content.SourceName, Text: src}})
	if err != nil {
		t.Fatal(err)
	}
	if r := e.Match("征途漫漫下一句", Context{}); r.Quote == nil || r.Quote.Answer != "唯有奋斗" {
		t.Errorf("征途漫漫下一句 = %+v", r.Quote)
	}
	last := src.Sentences[len(src.Sentences)-1].Text
	parts := strings.Split(strings.TrimSuffix(last, "。"), "，")
	if r := e.Match(parts[0]+"下一句是什么", Context{}); r.Quote == nil || r.Quote.Answer != parts[1] {
		t.Errorf("%s下一句 = %+v, want %q", parts[0], r.Quote, parts[1])
	}
}
