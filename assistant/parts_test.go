package assistant_test

import (
	"context"
	"strings"
	"testing"
)

// TestQuestionAskedAsSeveral: each part that stands on its own is
// answered, not only the one the whole question matched best; a part that
// leans on the others, or repeats what is said, adds nothing.
func TestQuestionAskedAsSeveral(t *testing.T) {
	a, _ := newEscalating(t)
	ctx := context.Background()
	tests := []struct {
		q    string
		want []string
	}{
		// The whole question matches the ordinal (the last); the first
		// part asks for all six.
		{"六大板块是哪六个？最后一个是什么？", []string{"美丽环保", "宜居幸福", "产业转型"}},
		{"会上围绕的三大主题分别是什么？第二个和第三个有什么区别？", []string{"干部思想作风大转变", "转型升级方式大转变"}},
	}
	for i, tc := range tests {
		ans, err := a.Ask(ctx, int64(8800+i), int64(8800+i), tc.q)
		if err != nil {
			t.Fatal(err)
		}
		text := plain(ans.Reply.Text)
		for _, w := range tc.want {
			if !strings.Contains(text, w) {
				t.Errorf("Ask(%q) lacks %q:\n%s", tc.q, w, text)
			}
		}
		// Asked alone, the whole question's best match answers one part:
		// the parts are what add the rest.
		single, err := a.Ask(ctx, int64(8900+i), int64(8900+i), strings.NewReplacer("？", "", "?", "").Replace(tc.q))
		if err != nil {
			t.Fatal(err)
		}
		if all := plain(single.Reply.Text); containsAll(all, tc.want) {
			t.Errorf("%q without its question marks already answers every part: the test proves nothing\n%s", tc.q, all)
		}
	}
	// Two parts about one project (its status, its schedule): both
	// answered, its description said once.
	ans, err := a.Ask(ctx, 8850, 8850, "泗塘一村老旧公房成套改造进展怎么样？什么时候完工？")
	if err != nil {
		t.Fatal(err)
	}
	text := plain(ans.Reply.Text)
	for _, para := range strings.Split(text, "\n\n") {
		if strings.Count(text, para) > 1 {
			t.Errorf("a paragraph is said twice:\n%s", text)
		}
	}
	if !strings.Contains(text, "推进中") || !strings.Contains(text, "完成") {
		t.Errorf("the status and the schedule are not both answered:\n%s", text)
	}
}

func containsAll(s string, subs []string) bool {
	for _, w := range subs {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

// TestPartsThatDoNotAsk: a statement (我家住泗塘一村) or a word cut off by
// a space (施永根 书记) is no part of its own, and a project's description
// is said once however the parts reach it.
func TestPartsThatDoNotAsk(t *testing.T) {
	a, _ := newEscalating(t)
	ctx := context.Background()
	for i, q := range []string{"我家住泗塘一村。老房子什么时候改造？", "电梯加装进展怎么样？架空线入地呢？", "施永根 书记 说了啥"} {
		ans, err := a.Ask(ctx, int64(8700+i), int64(8700+i), q)
		if err != nil {
			t.Fatal(err)
		}
		text := plain(ans.Reply.Text)
		for _, line := range strings.Split(text, "\n") {
			if len([]rune(line)) > 12 && strings.Count(text, line) > 1 {
				t.Errorf("Ask(%q) says %q twice:\n%s", q, line, text)
			}
		}
		if strings.Contains(text, "市委书记李强的要求") {
			t.Errorf("Ask(%q) answered the word 书记 on its own:\n%s", q, text)
		}
	}
}

// TestPartsOfAnUnansweredQuestion: when the whole question is off-topic or
// unknown, the parts that can be answered are, and the rest is said to be
// off-topic (no ticket) or unknown (a ticket, with the whole question).
func TestPartsOfAnUnansweredQuestion(t *testing.T) {
	a, esc := newEscalating(t)
	ctx := context.Background()
	ans, err := a.Ask(ctx, 8600, 8600, "明天下雨吗？五个张庙是啥？")
	if err != nil {
		t.Fatal(err)
	}
	text := plain(ans.Reply.Text)
	if !strings.Contains(text, "美丽张庙") || !strings.Contains(text, "您问的其他内容不在我能回答的范围内") || !strings.Contains(text, "/ask") || esc.count() != 0 || !ans.Answered {
		t.Errorf("off-topic with an answerable part: answered %v, escalations %d\n%s", ans.Answered, esc.count(), text)
	}
	ans, err = a.Ask(ctx, 8601, 8601, "五个张庙是啥？社区食堂几点开门？")
	if err != nil {
		t.Fatal(err)
	}
	text = plain(ans.Reply.Text)
	if !strings.Contains(text, "美丽张庙") || !strings.Contains(text, "您问的其他内容，我手上的资料") || ans.Ticket == "" || ans.Answered {
		t.Errorf("unknown with an answerable part: answered %v, ticket %q\n%s", ans.Answered, ans.Ticket, text)
	}
	if got := esc.last().Text; got != "五个张庙是啥？社区食堂几点开门？" {
		t.Errorf("the ticket holds %q, want the whole question", got)
	}
}

// TestRestOfAQuestionAskedAsSeveral: what no part answers decides the
// rest. A part for staff (a cost, a phone number, a complaint) keeps its
// ticket beside an answered part and an off-topic one; a statement asks
// nothing (a review found each of these answered "off-topic", no ticket).
func TestRestOfAQuestionAskedAsSeveral(t *testing.T) {
	tests := []struct {
		q        string
		ticket   bool
		contains []string
		not      []string
	}{
		{"明天下雨吗？电梯加装要多少钱？五个张庙是啥？", true, []string{"美丽张庙", "您问的其他内容，我手上的资料"}, []string{"不在我能回答的范围内"}},
		{"股票怎么买？居委会电话多少？五个张庙是啥？", true, []string{"美丽张庙", "您问的其他内容，我手上的资料"}, nil},
		{"股票怎么买？居委会电话多少？", true, []string{"没有写"}, []string{"您问的其他内容"}},
		{"楼道堆物没人管？电梯加装进展怎么样？", true, []string{"电梯加装", "感谢您的反映"}, nil},
		{"天气预报说要降温。社区养老有啥服务？", false, []string{"社区养老"}, []string{"您问的其他内容", "不在我能回答的范围内"}},
	}
	for i, tc := range tests {
		a, esc := newEscalating(t)
		ans, err := a.Ask(context.Background(), int64(8500+i), int64(8500+i), tc.q)
		if err != nil {
			t.Fatal(err)
		}
		text := plain(ans.Reply.Text)
		if got := esc.count() > 0; got != tc.ticket || got != (ans.Ticket != "") {
			t.Errorf("Ask(%q): ticket %v (%q), want %v\n%s", tc.q, got, ans.Ticket, tc.ticket, text)
		}
		for _, w := range tc.contains {
			if !strings.Contains(text, w) {
				t.Errorf("Ask(%q) lacks %q:\n%s", tc.q, w, text)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(text, w) {
				t.Errorf("Ask(%q) says %q:\n%s", tc.q, w, text)
			}
		}
	}
}
