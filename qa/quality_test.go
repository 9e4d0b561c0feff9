package qa

import (
	"testing"

	"github.com/zhangmiao/communitybot/qa/qatest"
)

func runDev(t *testing.T, path string) {
	kb, e := mustShipped(t)
	cases, err := qatest.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	passed := 0
	for _, c := range cases {
		t.Run(c.ID, func(t *testing.T) {
			r := e.Match(c.Q, Context{})
			if why := c.Check(render(kb, r)); why != "" {
				t.Errorf("Match(%q) = %s (%v): %s", c.Q, resultID(r), r.Intent, why)
				return
			}
			passed++
		})
	}
	t.Logf("dev accuracy (%s): %d/%d = %.1f%%", path, passed, len(cases), 100*float64(passed)/float64(len(cases)))
}

// TestDevShared runs the team's shared dev set. It lives outside the
// repository, so a clean clone (CI) skips it; TestDev runs the copy in
// testdata unconditionally.
func TestDevShared(t *testing.T) {
	path, ok := findUp("shared/qa/dev.json")
	if !ok {
		t.Skip("shared/qa/dev.json not found in any parent directory (clean clone?); testdata/dev.json is tested by TestDev")
	}
	runDev(t, path)
}

func TestDev(t *testing.T) {
	runDev(t, "testdata/dev.json")
}

func TestDev2(t *testing.T) {
	runDev(t, "testdata/dev2.json")
}

// TestHeldOutOwn reports the held-out set written from the newsletter
// alone before the passage tier, pronunciation and the three outcomes
// were built; its first run is in the README. It only logs, so that it
// does not become one more tuning set.
func TestHeldOutOwn(t *testing.T) {
	kb, e := mustShipped(t)
	cases, err := qatest.Load("testdata/heldout-own.json")
	if err != nil {
		t.Fatal(err)
	}
	passed := 0
	for _, c := range cases {
		r := e.Match(c.Q, Context{})
		if why := c.Check(render(kb, r)); why != "" {
			t.Logf("held-out miss %s: Match(%q) = %s: %s", c.ID, c.Q, resultID(r), why)
			continue
		}
		passed++
	}
	t.Logf("own held-out: %d/%d = %.1f%%", passed, len(cases), 100*float64(passed)/float64(len(cases)))
}

// paraCase is one held-out paraphrase: Want is a topic or project id, Also
// other ids whose answer serves equally well, Intent the expected intent when
// it matters.
type paraCase struct {
	Q      string   `json:"q"`
	Want   string   `json:"want"`
	Also   []string `json:"also"`
	Intent string   `json:"intent"`
	Why    string   `json:"why"`
}

func (c paraCase) accepts(r Result) bool {
	id := resultID(r)
	ok := id == c.Want
	for _, a := range c.Also {
		ok = ok || id == a
	}
	return ok && (c.Intent == "" || r.Intent.String() == c.Intent)
}

type paraSet struct {
	OnTopic   []paraCase `json:"on_topic"`
	OffTopic  []string   `json:"off_topic"`
	KnownHard []paraCase `json:"known_hard"`
}

// Thresholds for the held-out set. Misses are listed in the log; the
// on-topic bar leaves room for a few honest misses instead of inviting
// special cases.
const (
	minOnTopicAccuracy  = 0.95
	minOffTopicRejected = 1.0
)

func TestParaphrases(t *testing.T) {
	_, e := mustShipped(t)
	var ps paraSet
	readJSON(t, "testdata/paraphrases.json", &ps)
	if len(ps.OnTopic) < 120 || len(ps.OffTopic) < 50 {
		t.Fatalf("paraphrase set too small: %d on-topic, %d off-topic", len(ps.OnTopic), len(ps.OffTopic))
	}

	ok := 0
	for _, c := range ps.OnTopic {
		r := e.Match(c.Q, Context{})
		if c.accepts(r) {
			ok++
			continue
		}
		t.Logf("miss: Match(%q) = %q/%v, want %q/%s", c.Q, resultID(r), r.Intent, c.Want, c.Intent)
	}
	onAcc := float64(ok) / float64(len(ps.OnTopic))
	t.Logf("on-topic accuracy: %d/%d = %.1f%%", ok, len(ps.OnTopic), 100*onAcc)
	if onAcc < minOnTopicAccuracy {
		t.Errorf("on-topic accuracy %.1f%%, want ≥ %.0f%%", 100*onAcc, 100*minOnTopicAccuracy)
	}

	rejected := 0
	for _, q := range ps.OffTopic {
		r := e.Match(q, Context{})
		if !r.Answered() {
			rejected++
			continue
		}
		t.Logf("off-topic answered: Match(%q) = %q %+v (score %.2f), want not answered", q, resultID(r), r.Quote, r.Score)
	}
	offAcc := float64(rejected) / float64(len(ps.OffTopic))
	t.Logf("off-topic rejection: %d/%d = %.1f%%", rejected, len(ps.OffTopic), 100*offAcc)
	if offAcc < minOffTopicRejected {
		t.Errorf("off-topic rejection %.1f%%, want %.0f%%", 100*offAcc, 100*minOffTopicRejected)
	}

	// Known-hard cases document limits; they are reported, not required.
	for _, c := range ps.KnownHard {
		r := e.Match(c.Q, Context{})
		status := "still wrong"
		if resultID(r) == c.Want {
			status = "right"
		}
		t.Logf("known hard (%s): Match(%q) = %q, want %q: %s", status, c.Q, resultID(r), c.Want, c.Why)
	}
}
