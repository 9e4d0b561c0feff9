package qa

import (
	"strings"
	"testing"
)

// TestQuoteShape: a quote is never cut inside a list joined by 、, a
// continuation keeps both halves of a quotation pair, and two cut
// sentences quoted together have one ellipsis between them.
func TestQuoteShape(t *testing.T) {
	_, e := mustShipped(t)
	quote := func(q string) *Quote {
		t.Helper()
		r := e.Match(q, Context{})
		if r.Quote == nil {
			t.Fatalf("Match(%q) = %+v, want a quote", q, r)
		}
		return r.Quote
	}
	if got := quote("会上哪些人参加了交流").Text; !strings.Contains(got, "班子成员、各职能部门、居民区负责人") {
		t.Errorf("list cut: %q", got)
	}
	if got := quote("打通发展堵点 后面是啥").Answer; got != "弥补发展“短板”" {
		t.Errorf("continuation = %q, want 弥补发展“短板”", got)
	}
	if got := quote("疫情期间大家把涓滴之力汇聚成了什么").Text; strings.Contains(got, "…………") {
		t.Errorf("doubled ellipsis: %q", got)
	}
	for _, tc := range []struct{ in, want string }{
		{"弥补发展“短板”，", "弥补发展“短板”"},
		{"“唯有奋斗”。", "唯有奋斗"},
		{"“科创宝山”战略格局", "“科创宝山”战略格局"},
	} {
		if got := trimQuote(tc.in); got != tc.want {
			t.Errorf("trimQuote(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
