package qa

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// A remembered result is the result: for every question and context, the
// first Match, a repeated Match and a fresh match agree, and a question in
// one context never answers the same words in another.
func TestMemoGivesTheFreshResult(t *testing.T) {
	_, e := mustShipped(t)
	contexts := []Context{{}, {Project: "elevator", Intent: IntentStatus}, {Topic: "five-zhangmiao"}}
	questions := append(append([]string{}, benchQuestions...), passageQuestions...)
	distinct := 0
	for _, c := range contexts {
		for _, q := range questions {
			fresh := e.matchFresh(q, c)
			first, again := e.Match(q, c), e.Match(q, c)
			if !reflect.DeepEqual(first, fresh) || !reflect.DeepEqual(again, fresh) {
				t.Errorf("Match(%q, %+v): first %+v, again %+v, fresh %+v", q, c, first, again, fresh)
			}
		}
	}
	for _, q := range questions {
		if !reflect.DeepEqual(e.Match(q, contexts[0]), e.Match(q, contexts[1])) {
			distinct++
		}
	}
	// Guard: the contexts must change some results, or the check above
	// would pass with a memo keyed on the question alone.
	if distinct == 0 {
		t.Fatal("no question answered differently in another context: the test proves nothing")
	}
}

// The memo stays bounded whatever is asked, and what is asked often
// survives a generation change.
func TestMemoBounded(t *testing.T) {
	var m memo
	hot := "五个张庙是什么"
	m.put(hot, Context{}, Result{TopicID: "five"})
	for i := range 10 * memoGeneration {
		m.put(fmt.Sprintf("问题%d", i), Context{}, Result{})
		if i%100 == 0 {
			if r, ok := m.get(hot, Context{}); !ok || r.TopicID != "five" {
				t.Fatalf("after %d questions the hot one is forgotten", i)
			}
		}
	}
	if n := len(m.cur) + len(m.prev); n > 2*memoGeneration {
		t.Fatalf("memo holds %d results, bound %d", n, 2*memoGeneration)
	}
	long := strings.Repeat("长", memoMaxBytes/3+1)
	m.put(long, Context{}, Result{})
	if _, ok := m.get(long, Context{}); ok {
		t.Fatal("a question longer than memoMaxBytes was remembered")
	}
}
