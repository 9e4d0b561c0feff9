package qa

import (
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/zhangmiao/communitybot/content"
)

func TestMatchRobust(t *testing.T) {
	_, e := mustShipped(t)
	tests := []struct {
		name string
		q    string
		want string // id, or "" for not found
	}{
		{"empty", "", ""},
		{"only spaces", "   \t\n", ""},
		{"only punctuation", "？？？！！。。", ""},
		{"only emoji", "🙏🙏👍😀", ""},
		{"invalid utf-8", "\xff\xfe\xfd", ""},
		{"invalid utf-8 around a question", "\xff电梯加装进展\xfe", "elevator"},
		{"traditional", "電梯加裝進展如何", "elevator"},
		{"full width", "ｅｌｅｖａｔｏｒ　电梯加装　进度", "elevator"},
		{"emoji noise", "🙏电梯加装进展？？", "elevator"},
		{"spaces between characters", "架 空 线 入 地", "overhead-cables"},
		{"mixed english", "请问 elevator 电梯加装 progress 怎么样？", "elevator"},
		{"zero width inside a term", "电\u200b梯\u200b加\u200b装", "elevator"},
		{"4096 characters of noise", strings.Repeat("a", 4096), ""},
		{"4096 characters of Han noise", strings.Repeat("鑫", 4096), ""},
		{"long question repeated", strings.Repeat("电梯加装进展怎么样", 455), "elevator"},
		{"english only", "hello", "hello"},
		{"english word inside another", "this machine", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Match(tc.q, Context{})
			if got := resultID(r); got != tc.want {
				t.Errorf("Match(%q) = %q, want %q", abbreviate(tc.q), got, tc.want)
			}
		})
	}
}

func abbreviate(s string) string {
	if utf8.RuneCountInString(s) <= 40 {
		return s
	}
	return truncateRunes(s, 40) + "…"
}

// TestMatchConcurrent checks that one Engine serves many goroutines with
// the same answers it gives one; run with -race.
func TestMatchConcurrent(t *testing.T) {
	_, e := mustShipped(t)
	qs := benchQuestions
	want := make([]Result, len(qs))
	for i, q := range qs {
		want[i] = e.Match(q, Context{Project: "elevator", Intent: IntentStatus})
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, q := range qs {
				if got := e.Match(q, Context{Project: "elevator", Intent: IntentStatus}); got != want[i] {
					t.Errorf("concurrent Match(%q) = %+v, want %+v", q, got, want[i])
				}
			}
		}()
	}
	wg.Wait()
}

// TestAmbiguity covers questions that name more than one subject.
func TestAmbiguity(t *testing.T) {
	_, e := mustShipped(t)
	tests := []struct{ q, want string }{
		{"电梯加装和架空线入地进展如何", "elevator"},
		{"架空线入地和电梯加装进展如何", "overhead-cables"},
		{"社区养老和电梯加装什么时候完成", "elderly-care"},
		{"你好，电梯什么时候装", "elevator"},             // substance beats a greeting
		{"谢谢！五个张庙是什么", "five-zhangmiao"},       // and thanks
		{"比学赶超活动中党员口号有哪些", "slogans"},          // the campaign's name is no subject
		{"李强书记对比学赶超提了什么要求", "campaign-origin"}, // nor is 比学赶超 itself
	}
	for _, tc := range tests {
		t.Run(tc.q, func(t *testing.T) {
			if got := resultID(e.Match(tc.q, Context{})); got != tc.want {
				t.Errorf("Match(%q) = %q, want %q", tc.q, got, tc.want)
			}
		})
	}
}

func TestIntentString(t *testing.T) {
	for _, tc := range []struct {
		i    Intent
		want string
	}{{IntentAbout, "about"}, {IntentStatus, "status"}, {IntentSchedule, "schedule"}, {Intent(9), "Intent(9)"}} {
		if got := tc.i.String(); got != tc.want {
			t.Errorf("Intent(%d).String() = %q, want %q", int(tc.i), got, tc.want)
		}
	}
}

func TestNewNil(t *testing.T) {
	if _, err := New(nil); err == nil {
		t.Error("New(nil) succeeded, want an error")
	}
}

func TestNewEmpty(t *testing.T) {
	e, err := New(&content.KnowledgeBase{})
	if err != nil {
		t.Fatalf("New(empty) = %v", err)
	}
	if r := e.Match("电梯加装进展", Context{Project: "elevator"}); r.Found() {
		t.Errorf("empty engine Match = %+v, want not found", r)
	}
}

func FuzzMatch(f *testing.F) {
	for _, q := range benchQuestions {
		f.Add(q, "", "elevator", 1)
	}
	for _, seed := range []string{
		"", "那架空线呢？", "什么时候完成", "详细说说", "\xff\xfe", "🙏🙏", "電梯加裝進展如何",
		"ＡＢＣ", "电\u200b梯", "\u202e\u2066电梯", "那", "呢", "了吗", "hello hi", "a1b2c3",
		strings.Repeat("电", 700), "二〇二〇年", "那它什么时候能完工",
	} {
		f.Add(seed, "five-actions", "", 0)
		f.Add(seed, "", "overhead-cables", 2)
	}
	_, e := mustShipped(f)
	f.Fuzz(func(t *testing.T, q, topic, project string, intent int) {
		c := Context{Topic: topic, Project: project, Intent: Intent(intent)}
		r1 := e.Match(q, c)
		r2 := e.Match(q, c)
		if r1 != r2 {
			t.Fatalf("Match(%q, %+v) not deterministic: %+v then %+v", q, c, r1, r2)
		}
		if r1.TopicID != "" && r1.ProjectID != "" {
			t.Fatalf("Match(%q) = %+v: both topic and project set", q, r1)
		}
		if r1.Intent != IntentAbout && r1.Intent != IntentStatus && r1.Intent != IntentSchedule {
			t.Fatalf("Match(%q, %+v) = %+v: invalid intent", q, c, r1)
		}
		if r1.FollowUp && !r1.Found() {
			t.Fatalf("Match(%q, %+v) = %+v: follow-up without a subject", q, c, r1)
		}
		if n := Normalize(q); !onlyKept(n) {
			t.Fatalf("Normalize(%q) = %q keeps other characters", q, n)
		}
	})
}
