package qa

import (
	"strings"
	"testing"
)

// TestEverydayWords holds everydayWords to its rules: every reading is the
// page's own words, no everyday phrase is (a question quoting the page
// would be rewritten), and a rewritten question finds the page's sentence.
func TestEverydayWords(t *testing.T) {
	kb, e := mustShipped(t)
	var page strings.Builder
	for _, s := range e.passages.sents {
		if !e.passages.sources[s.src].Staff {
			page.WriteString(s.norm)
			page.WriteString("|")
		}
	}
	text := page.String()
	for k, v := range everydayWords {
		if !strings.Contains(text, Normalize(v)) {
			t.Errorf("everydayWords[%q] = %q: not the page's words", k, v)
		}
		if strings.Contains(text, Normalize(k)) {
			t.Errorf("everydayWords has %q, which the page itself uses", k)
		}
	}
	// Guards: a phrase inside a longer one is left alone.
	for in, keep := range map[string]string{"党建党员活动在哪里": "党建党员", "我老公房子的产权证": "我老公房子", "十一月十八号开会吗": "十一月十八"} {
		if got := foldColloquial(Normalize(in)); !strings.Contains(got, keep) {
			t.Errorf("foldColloquial(%q) = %q, want %q kept", in, got, keep)
		}
	}
	for q, want := range map[string]string{
		"发展里面那些卡住的地方、不足的地方，街道打算怎么处理？": "短板",
		"电线埋到地下的事弄好了没":                "架空线入地",
		"街道要在河边搞个样板区，叫什么":             "先行示范区",
	} {
		r := e.Match(q, Context{})
		if !r.Answered() {
			t.Errorf("Match(%q): not answered", q)
			continue
		}
		if got := render(kb, r); !strings.Contains(got, want) {
			t.Errorf("Match(%q) answers %q, want %q in it", q, got, want)
		}
	}
}
