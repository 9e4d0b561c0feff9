package qa

import (
	"strings"
	"testing"
)

// TestLenientSecondLook: questions typed the way residents talk, which the
// first look leaves unanswered (the seams between their words and the
// framing words outweigh the content), are answered with the sentence that
// says it; questions about what the page lacks, phrased the same way, are
// still not.
func TestLenientSecondLook(t *testing.T) {
	_, e := mustShipped(t)
	answered := []struct{ q, want string }{
		{"张庙是科创的辐射带吗？我外孙问我我也讲不清", "科创建设辐射带"},
		{"滨江那块以后要实现什么", "宜业"},
		{"这个比学赶超跟建党有啥关系", "100周年"},
		{"2021年是个啥特殊的年份", "百年华诞"},
		{"我一个人住，子女都在外地，街道在养老上有啥打算", "社区养老"},
	}
	for _, tc := range answered {
		r := e.Match(tc.q, Context{})
		if r.Quote == nil {
			t.Errorf("Match(%q): no quote (%+v)", tc.q, r)
			continue
		}
		if !strings.Contains(r.Quote.Text, tc.want) {
			t.Errorf("Match(%q) quotes %q, want %q in it", tc.q, r.Quote.Text, tc.want)
		}
	}
	unanswered := []string{
		"社区食堂的菜好不好吃",
		"街道打算在小区里建个健身房吗",
		"街道的党员活动室在几楼",
		"社区食堂几点开门",
		"我孙子的幼儿园什么时候开学",
		"张庙有没有篮球场",
		// A page word inside a longer word the page never uses (a review
		// found these answered with the 民心工程 and the award).
		"我们张庙养老金要弄成啥样",
		"街道在垃圾房上有啥打算",
		"what is the pension plan of zhangmiao",
		// Everyday phrases inside longer ones: 十一月十八号 is no 1月18日,
		// 党建党员 no 建党.
		"十一月十八号开会吗",
		"我妈一百岁生日街道有慰问吗",
	}
	for _, q := range unanswered {
		if r := e.Match(q, Context{}); r.Answered() {
			t.Errorf("Match(%q) answered a question the page does not: %+v", q, r)
		}
	}
}

// TestLenientIsASecondLookOnly guards the test above against proving
// nothing: the colloquial questions it answers are ones the first look
// alone leaves unanswered.
func TestLenientIsASecondLookOnly(t *testing.T) {
	_, e := mustShipped(t)
	for _, q := range []string{"张庙是科创的辐射带吗？我外孙问我我也讲不清", "2021年是个啥特殊的年份"} {
		qq := newQuery(e.fold(q))
		qq.raw = q
		toks := e.passages.passageQuery(qq)
		if _, _, ok := e.passages.best(toks, false, false, detectQType(qq)); ok {
			t.Errorf("%q: the first look already answers it", q)
		}
		if _, _, _, found := e.lenientBest(qq, false, detectQType(qq)); !found {
			t.Errorf("%q: the second look does not answer it", q)
		}
	}
}

func TestMarkSeams(t *testing.T) {
	_, e := mustShipped(t)
	toks := e.passages.lenientQuery(newQuery(e.fold("张庙要建成的辐射带我孙子问")))
	seam := map[string]bool{}
	for _, tk := range toks {
		seam[string(tk.pair[:])] = tk.seam
	}
	// 庙要, 的辐 and 我孙 have a gluing character; 孙子 is a word the page
	// lacks, between two pairs it lacks: a word, not a seam; 张庙 and 辐射
	// are the page's.
	for pair, want := range map[string]bool{"庙要": true, "的辐": true, "我孙": true, "孙子": false, "张庙": false, "辐射": false} {
		if got, ok := seam[pair]; !ok || got != want {
			t.Errorf("seam(%s) = %v (present %v), want %v", pair, got, ok, want)
		}
	}
}

// TestBareLists: a list without quotation marks is a list an ordinal can
// pick from, and the question's quoted items say which list.
func TestBareLists(t *testing.T) {
	_, e := mustShipped(t)
	found := false
	for _, en := range e.passages.enums {
		var items []string
		for _, it := range en.items {
			items = append(items, it.text)
		}
		if strings.Join(items, "、") == "理念先行、应变求变、谋定即动" {
			found = true
		}
		if strings.Join(items, "、") == "够更多、更公平、更实在" {
			t.Errorf("the first item was cut by length, not at the word the others start with: %q", items)
		}
	}
	if !found {
		t.Fatal("the list 理念先行、应变求变、谋定即动 was not found")
	}
	r := e.Match("干部要坚持理念先行、应变求变，第三个是啥", Context{})
	if r.Quote == nil || !strings.Contains(r.Quote.Text, "谋定即动") {
		t.Errorf("third of the quoted list: %+v", r.Quote)
	}
}

// TestCountedNames: a counted name asked without its number (几大行动)
// is the page's (五大行动); one the page gives two numbers is left alone.
func TestCountedNames(t *testing.T) {
	_, e := mustShipped(t)
	if got := e.counted.replace("比学赶超要开展几大行动"); got != "比学赶超要开展五大行动" {
		t.Errorf("几大行动 folded to %q", got)
	}
	r := e.Match("比学赶超要开展几大行动 都叫什么名字", Context{})
	if r.TopicID != "five-actions" && (r.Quote == nil || !strings.Contains(r.Quote.Text, "能力大比武")) {
		t.Errorf("几大行动: %+v", r)
	}
}
