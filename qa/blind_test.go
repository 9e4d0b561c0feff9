package qa

import "testing"

// TestBlind reports accuracy on a second held-out set written after tuning
// was frozen. It was evaluated once before any change; its first result is
// recorded in the package's report. It only logs: failing on it would turn
// it into one more tuning set.
func TestBlind(t *testing.T) {
	_, e := mustShipped(t)
	var ps paraSet
	readJSON(t, "testdata/blind.json", &ps)
	ok := 0
	for _, c := range ps.OnTopic {
		r := e.Match(c.Q, Context{})
		if c.accepts(r) {
			ok++
			continue
		}
		t.Logf("blind miss: Match(%q) = %q/%v, want %q/%s", c.Q, resultID(r), r.Intent, c.Want, c.Intent)
	}
	rejected := 0
	for _, q := range ps.OffTopic {
		if r := e.Match(q, Context{}); r.Answered() {
			t.Logf("blind off-topic answered: Match(%q) = %q", q, resultID(r))
			continue
		}
		rejected++
	}
	t.Logf("blind on-topic: %d/%d = %.1f%%; off-topic rejected: %d/%d = %.1f%%",
		ok, len(ps.OnTopic), 100*float64(ok)/float64(len(ps.OnTopic)),
		rejected, len(ps.OffTopic), 100*float64(rejected)/float64(len(ps.OffTopic)))
}
