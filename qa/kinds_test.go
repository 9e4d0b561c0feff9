package qa

import (
	"strings"
	"testing"

	"github.com/zhangmiao/communitybot/content"
	"github.com/zhangmiao/communitybot/qa/qatest"
)

// TestKinds runs testdata/kinds.json: questions of the kinds the second
// blind evaluation missed (all-pinyin, mostly English, ordinals, why,
// details in the next clause, the page itself, facts the page lacks,
// shopping and other off-topic), written from the newsletter alone before
// the mechanisms were built, testdata/kinds-fresh.json, written the
// same way after them and run once before any change, and
// testdata/kinds-third.json (the third round: the page's words inside
// English, aliases and dialect, everyday why, 最后一句 with content, and
// further styles). Their first runs are in the README.
func TestKinds(t *testing.T) {
	kb, e := mustShipped(t)
	for _, path := range []string{"testdata/kinds.json", "testdata/kinds-fresh.json", "testdata/kinds-third.json"} {
		t.Run(path, func(t *testing.T) {
			cases, err := qatest.Load(path)
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
			t.Logf("%s: %d/%d", path, passed, len(cases))
		})
	}
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

// TestStaffRecordsAreQuoted: a note staff posted about a project is a
// source the passage tier quotes, with the note's date, even for a detail
// question (where) that the newsletter never answers.
func TestStaffRecordsAreQuoted(t *testing.T) {
	kb, err := content.Default()
	if err != nil {
		t.Fatal(err)
	}
	q := "加梯意见征询会在哪里开"
	e, err := New(kb)
	if err != nil {
		t.Fatal(err)
	}
	if r := e.Match(q, Context{}); r.Quote != nil {
		t.Fatalf("without the note, Match(%q) quotes %+v", q, r.Quote)
	}
	kb.Records = append(kb.Records, content.Record{Project: "elevator", Date: "2025-03-01", Text: "本周六上午在小区广场召开加梯意见征询会。"})
	if e, err = New(kb); err != nil {
		t.Fatal(err)
	}
	r := e.Match(q, Context{})
	if r.Quote == nil || !r.Quote.Staff || r.Quote.Source != RecordLabel("电梯加装", "2025-03-01") || !strings.Contains(r.Quote.Text, "小区广场") {
		t.Fatalf("Match(%q) = %+v, want the note quoted", q, r.Quote)
	}
}
