package qa

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/zhangmiao/communitybot/qa/qatest"

	"github.com/zhangmiao/communitybot/content"
)

// shipped builds the Engine for the embedded knowledge base once per test
// binary; Engines are immutable, so tests may share it.
var shipped = sync.OnceValues(func() (*shippedKB, error) {
	kb, err := content.Default()
	if err != nil {
		return nil, err
	}
	e, err := New(kb)
	if err != nil {
		return nil, err
	}
	return &shippedKB{kb: kb, e: e}, nil
})

type shippedKB struct {
	kb *content.KnowledgeBase
	e  *Engine
}

func mustShipped(tb testing.TB) (*content.KnowledgeBase, *Engine) {
	tb.Helper()
	s, err := shipped()
	if err != nil {
		tb.Fatalf("loading shipped knowledge: %v", err)
	}
	return s.kb, s.e
}

// render is the text a resident would see for r, close enough to the bot's
// reply to check content: a topic's answer, a project's name, summary,
// status and the sentence about its missing progress figure, or the
// fallback.
func render(kb *content.KnowledgeBase, r Result) string {
	switch {
	case r.Quote != nil && r.Missing != QAny:
		// The assistant says the kind of fact is not given, hands the
		// question to staff and quotes what the source does say.
		return "抱歉，简报里没有写明，已转交街道工作人员。\n" + r.Quote.Source + "：" + r.Quote.Text
	case r.Quote != nil:
		return r.Quote.Source + "：" + r.Quote.Answer + "\n" + r.Quote.Text
	case r.OffTopic:
		// The assistant's off-topic line names no campaign facts.
		return "抱歉，这个问题不在我能回答的范围内。"
	case r.Request:
		return "收到您的反映，已转交街道工作人员。"
	case r.Unknown:
		return "抱歉，简报里没有写这个问题的答案，已转交街道工作人员。"
	case r.Detail != "" || r.Missing != QAny:
		// The assistant says the fact is not in the source, then what is.
		return "抱歉，简报里没有写，已转交街道工作人员。\n" + render(kb, Result{TopicID: r.TopicID, ProjectID: r.ProjectID})
	case r.TopicID != "":
		t, ok := kb.Topic(r.TopicID)
		if !ok {
			return "<missing topic " + r.TopicID + ">"
		}
		return t.Title + "\n" + t.Answer
	case r.ProjectID != "":
		p, ok := kb.Project(r.ProjectID)
		if !ok {
			return "<missing project " + r.ProjectID + ">"
		}
		s := p.Name + "\n" + p.Summary + "\n状态：" + string(p.Status)
		if !p.HasProgress() {
			s += "\n简报没有公布进度数字。"
		}
		return s + "\n" + p.Note
	}
	return kb.Fallback
}

func stripSpace(s string) string { return qatest.Compact(s) }

func resultID(r Result) string {
	if r.ProjectID != "" {
		return r.ProjectID
	}
	return r.TopicID
}

func readJSON(tb testing.TB, path string, v any) {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
}

// findUp looks for rel in the working directory and its parents.
func findUp(rel string) (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}
