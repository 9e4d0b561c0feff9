package qa

import (
	"testing"

	"github.com/zhangmiao/communitybot/qa/qatest"
)

// TestKinds runs testdata/kinds.json: questions of the kinds the second
// blind evaluation missed (all-pinyin, mostly English, ordinals, why,
// details in the next clause, the page itself, facts the page lacks,
// shopping and other off-topic), written from the newsletter alone before
// the mechanisms were built. Its first run is in the README.
func TestKinds(t *testing.T) {
	kb, e := mustShipped(t)
	cases, err := qatest.Load("testdata/kinds.json")
	if err != nil {
		t.Fatal(err)
	}
	passed := 0
	for _, c := range cases {
		r := e.Match(c.Q, Context{})
		why := c.Check(render(kb, r))
		if why == "" {
			why = c.CheckTicket(ticketed(r))
		}
		if why != "" {
			t.Errorf("%s: Match(%q) = %s %+v: %s\n%s", c.ID, c.Q, resultID(r), r, why, render(kb, r))
			continue
		}
		passed++
	}
	t.Logf("kinds: %d/%d", passed, len(cases))
}

// ticketed reports whether the assistant hands r's question to staff, as
// far as the engine decides it: an unknown, a request, a fact the sources
// lack.
func ticketed(r Result) bool {
	if r.OffTopic {
		return false
	}
	return r.Unknown || r.Request || r.Missing != QAny || r.Detail != "" && r.Quote == nil
}
