package study_test

import (
	"strings"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
)

// TestForgedDayRevealsNoAnswer: a button naming today's item under another
// day (yesterday, tomorrow, a year ago) shows neither the right option nor
// the explanation, and the member's real answer still scores as any other.
// A real button of an earlier day's own item still shows that item's
// answer, marked as too late.
func TestForgedDayRevealsNoAnswer(t *testing.T) {
	f := newFixture(t, items(5))
	f.member(1, "一支部")
	at := func(d int) { f.clock.Set(time.Date(2026, 1, d, 9, 0, 0, 0, shanghai)) }

	at(25)
	old := f.prompt(1).Buttons[0][0].Data // the 25th's own item
	at(26)
	today := f.prompt(1).Buttons[0][0].Data
	for _, day := range []string{"20260125", "20260127", "20250126", "20260224"} {
		forged := strings.Replace(today, "20260126", day, 1)
		edit, notice, err := f.svc.Answer(f.ctx, 1, forged)
		msg, _ := communitybot.UserMessage(err)
		if strings.Contains(edit.Text, "✅") || strings.Contains(edit.Text, "解析") || strings.Contains(edit.Text+msg+notice, "对 ✅") {
			t.Fatalf("Answer(%q) revealed the answer:\n%s", forged, edit.Text)
		}
		if err == nil || msg == "" {
			t.Fatalf("Answer(%q) = %q, %q, %v; want a clear refusal", forged, edit.Text, notice, err)
		}
	}
	if st := f.stats(1); st.Points != 0 || st.Answered != 0 {
		t.Fatalf("forged presses scored: %+v", st)
	}

	edit, _, err := f.svc.Answer(f.ctx, 1, old)
	if err != nil || !strings.Contains(edit.Text, "作答时间已过") || !strings.Contains(edit.Text, "解析") {
		t.Fatalf("the 25th's own button = %q, %v; want its answer, too late", edit.Text, err)
	}
}
