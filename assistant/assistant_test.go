package assistant_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/assistant"
	"github.com/zhangmiao/communitybot/content"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

func newAssistant(t testing.TB) (*assistant.Assistant, *content.KnowledgeBase) {
	t.Helper()
	kb, err := content.Default()
	if err != nil {
		t.Fatal(err)
	}
	s := storagetest.New(t)
	if _, err := s.SeedProjects(context.Background(), kb.Projects); err != nil {
		t.Fatal(err)
	}
	a, err := assistant.New(kb, s, assistant.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return a, kb
}

func TestAskFollowUpInheritsIntent(t *testing.T) {
	a, _ := newAssistant(t)
	ctx := context.Background()
	first, err := a.Ask(ctx, 1, 1, "电梯加装进展怎么样")
	if err != nil || first.ProjectID != "elevator" {
		t.Fatalf("Ask = %+v, %v", first, err)
	}
	next, err := a.Ask(ctx, 1, 1, "那架空线呢？")
	if err != nil || next.ProjectID != "overhead-cables" {
		t.Fatalf("follow-up = %+v, %v; want overhead-cables", next, err)
	}
	if !strings.Contains(next.Reply.Text, "登记状态为") {
		t.Errorf("follow-up did not keep the status question:\n%s", next.Reply.Text)
	}
}

func TestResolveProject(t *testing.T) {
	a, _ := newAssistant(t)
	ctx := context.Background()
	tests := map[string]string{
		"4": "elevator", "第4个": "elevator", "４": "elevator", "电梯加装": "elevator", "加梯": "elevator",
		"elevator": "elevator", "架空线": "overhead-cables", "泗塘一村": "sitang-renovation", "养老": "elderly-care",
	}
	for ref, want := range tests {
		got, err := a.ResolveProject(ctx, ref)
		if err != nil || got != want {
			t.Errorf("ResolveProject(%q) = %q, %v; want %q", ref, got, err, want)
		}
	}
	for _, ref := range []string{"", "99", "0", "午饭", "-1"} {
		_, err := a.ResolveProject(ctx, ref)
		if _, ok := communitybot.UserMessage(err); !ok {
			t.Errorf("ResolveProject(%q) = %v, want an error with a user message", ref, err)
		}
	}
}

// brokenStore fails every call, as Redis does while it is down.
type brokenStore struct{}

var errDown = errors.New("redis: connection refused")

func (brokenStore) Conversation(context.Context, int64, int64) (communitybot.Conversation, error) {
	return communitybot.Conversation{}, errDown
}
func (brokenStore) SaveConversation(context.Context, int64, int64, communitybot.Conversation, time.Duration) error {
	return errDown
}
func (brokenStore) Projects(context.Context) ([]communitybot.Project, error) { return nil, errDown }
func (brokenStore) Project(context.Context, string) (communitybot.Project, error) {
	return communitybot.Project{}, errDown
}
func (brokenStore) ProjectHistory(context.Context, string, int) ([]communitybot.ProjectEvent, error) {
	return nil, errDown
}
func (brokenStore) RecordQuestion(context.Context, communitybot.Question) error { return errDown }

// TestAnswersWithoutRedis: with storage down, topics are still answered from
// content, projects from their descriptions with a plain note, and an
// unanswered question tells the resident it could not be recorded.
func TestAnswersWithoutRedis(t *testing.T) {
	kb, err := content.Default()
	if err != nil {
		t.Fatal(err)
	}
	a, err := assistant.New(kb, brokenStore{}, assistant.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ans, err := a.Ask(ctx, 1, 1, "五个张庙是什么")
	if err != nil || !ans.Answered || !strings.Contains(ans.Reply.Text, "美丽张庙") {
		t.Fatalf("topic without redis = %+v, %v", ans, err)
	}
	ans, err = a.Ask(ctx, 1, 1, "电梯加装进展怎么样")
	if err != nil || !strings.Contains(ans.Reply.Text, "实时进展暂时无法读取") || !strings.Contains(ans.Reply.Text, "电梯加装") {
		t.Fatalf("project without redis = %+v, %v", ans, err)
	}
	ans, err = a.Ask(ctx, 1, 1, "社区食堂几点开门")
	if err != nil || ans.Answered || !strings.Contains(ans.Reply.Text, "无法记录") {
		t.Fatalf("fallback without redis = %+v, %v", ans, err)
	}
	list, err := a.ProjectList(ctx)
	if err != nil || !strings.Contains(list.Text, "实时状态暂时无法读取") || len(list.Buttons) != len(kb.Projects) {
		t.Fatalf("project list without redis = %+v, %v", list, err)
	}
	card, err := a.Project(ctx, 1, 1, "elevator")
	if err != nil || !strings.Contains(card.Text, "电梯加装") {
		t.Fatalf("project card without redis = %+v, %v", card, err)
	}
}

func TestRepliesEscapeStaffText(t *testing.T) {
	kb, err := content.Default()
	if err != nil {
		t.Fatal(err)
	}
	s := storagetest.New(t)
	ctx := context.Background()
	if _, err := s.SeedProjects(ctx, kb.Projects); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateProject(ctx, "elevator", communitybot.ProjectEvent{By: "<i>王</i>", Progress: communitybot.NoProgress, Note: "<script>alert(1)</script> & 更多"}); err != nil {
		t.Fatal(err)
	}
	a, _ := assistant.New(kb, s, assistant.Options{})
	card, err := a.Project(ctx, 1, 1, "elevator")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(card.Text, "<script>") || strings.Contains(card.Text, "<i>王</i>") || !strings.Contains(card.Text, "&lt;script&gt;") {
		t.Fatalf("staff text not escaped:\n%s", card.Text)
	}
}

// TestConversations runs short conversations a resident might have and
// checks what each reply says (and does not say).
func TestConversations(t *testing.T) {
	type turn struct {
		q        string
		want     []string
		not      []string
		answered bool
	}
	tests := []struct {
		name  string
		turns []turn
	}{
		{"what is it, after a project", []turn{
			{q: "电梯加装进展怎么样", want: []string{"电梯加装"}, answered: true},
			{q: "它是干嘛的", want: []string{"电梯加装", "民心工程"}, not: []string{"登记状态为"}, answered: true},
			{q: "这个项目是做什么的", want: []string{"电梯加装"}, not: []string{"重点抓快、抓好的民心工程有："}, answered: true},
		}},
		{"a fact the newsletter lacks", []turn{
			{q: "电梯加装补贴多少钱", want: []string{"电梯加装", "费用和补贴", "没有写", "简报里的介绍"}, not: []string{"状态："}},
			{q: "那在哪里", want: []string{"电梯加装", "具体地点"}},
			{q: "养老院怎么申请", want: []string{"社区养老", "申请和办理方式"}},
			{q: "施书记电话多少", want: []string{"施永根", "联系电话"}},
		}},
		{"a place a campaign topic does not have", []turn{
			{q: "五大行动具体怎么办", want: []string{"学习大讨论"}, answered: true},
			{q: "人工智能、文创产业会放在哪个园区", want: []string{"智航"}, not: []string{"具体地点"}, answered: true},
		}},
		{"this activity, with nothing discussed yet", []turn{
			{q: "这个活动是什么", want: []string{"比学赶超当先锋"}, answered: true},
		}},
		{"a phone number with no subject", []turn{
			// An office's phone is in-domain but unknown: staff know it,
			// so the question becomes a ticket.
			{q: "居委会电话多少", want: []string{"没有写"}, not: []string{"不提供电话号码"}, answered: false},
			{q: "怎么联系工作人员", want: []string{"/ask"}, answered: true},
		}},
		{"when, with nothing to refer to", []turn{
			{q: "什么时候完成", want: []string{"您想了解哪个项目的完成时间"}, answered: true},
		}},
		{"when, after a topic", []turn{
			{q: "五个张庙是什么", want: []string{"美丽张庙"}, answered: true},
			{q: "什么时候完成", want: []string{"简报里没有「“五个张庙”", "哪个项目"}, answered: true},
		}},
		{"a correction", []turn{
			{q: "电梯加装进展怎么样", answered: true},
			{q: "不是电梯，我问的是养老", want: []string{"社区养老"}, answered: true},
		}},
		{"small talk", []turn{
			{q: "你好", want: []string{"您好"}, not: []string{"问候"}, answered: true},
			{q: "好的", want: []string{"好的"}, answered: true},
			{q: "再见", want: []string{"再见"}, answered: true},
			{q: "🙏🙏🙏", want: []string{"请问有什么可以帮您"}, answered: true},
			{q: "嗯", want: []string{"请问有什么可以帮您"}, answered: true},
			{q: "你们是做什么的", want: []string{"社区助手"}, answered: true},
		}},
		{"the project list", []turn{
			{q: "电梯加装进展怎么样", answered: true},
			{q: "还有别的项目吗", want: []string{"泗塘一村", "社区养老", "架空线入地"}, answered: true},
		}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, _ := newAssistant(t)
			for _, tr := range tc.turns {
				ans, err := a.Ask(context.Background(), int64(100+i), int64(100+i), tr.q)
				if err != nil {
					t.Fatalf("Ask(%q): %v", tr.q, err)
				}
				if ans.Answered != tr.answered {
					t.Errorf("Ask(%q).Answered = %v, want %v\n%s", tr.q, ans.Answered, tr.answered, ans.Reply.Text)
				}
				for _, w := range tr.want {
					if !strings.Contains(ans.Reply.Text, w) {
						t.Errorf("Ask(%q) lacks %q:\n%s", tr.q, w, ans.Reply.Text)
					}
				}
				for _, n := range tr.not {
					if strings.Contains(ans.Reply.Text, n) {
						t.Errorf("Ask(%q) has %q:\n%s", tr.q, n, ans.Reply.Text)
					}
				}
			}
		})
	}
}

// TestParaphrasesAreAnswered runs the held-out on-topic paraphrases through
// Ask, the path residents use: each must get an answer, not a refusal or a
// "which project?" prompt. (qa's own test checks which entry matched;
// this one catches reply paths that turn a match into no answer.)
func TestParaphrasesAreAnswered(t *testing.T) {
	raw, err := os.ReadFile("../qa/testdata/paraphrases.json")
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		OnTopic []struct {
			Q    string `json:"q"`
			Want string `json:"want"`
		} `json:"on_topic"`
	}
	if err := json.Unmarshal(raw, &set); err != nil {
		t.Fatal(err)
	}
	// Asked for a place: the reply says the newsletter gives none, quotes
	// what it does say (智慧湾, by the 蕰藻浜) and hands the question to
	// staff. Counted as answered.
	detailOK := map[string]string{"生态滨江先行示范区在哪里建": "蕰藻浜"}
	a, _ := newAssistant(t)
	answered := 0
	for i, c := range set.OnTopic {
		ans, err := a.Ask(context.Background(), int64(9000+i), int64(9000+i), c.Q)
		if err != nil {
			t.Fatal(err)
		}
		if ans.Answered && !strings.Contains(ans.Reply.Text, "哪个项目") ||
			detailOK[c.Q] != "" && strings.Contains(ans.Reply.Text, detailOK[c.Q]) {
			answered++
			continue
		}
		t.Logf("not answered: %q (want %s):\n%s", c.Q, c.Want, ans.Reply.Text)
	}
	t.Logf("answered %d/%d on-topic paraphrases", answered, len(set.OnTopic))
	// qa's matcher places 147 of these (the rest are listed as misses
	// there); every placed one must also be answered.
	if answered < 147 {
		t.Errorf("answered %d/%d, want at least 147", answered, len(set.OnTopic))
	}
}

// TestEscalationFailureIsTold: when the question cannot be handed to staff
// (the ticket cannot be stored), the fallback says so and asks to send it
// again; it promises no ticket.
func TestEscalationFailureIsTold(t *testing.T) {
	a, _ := newAssistant(t)
	a.SetHooks(assistant.Hooks{Escalate: func(context.Context, communitybot.Question) (string, error) {
		return "", errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
	}})
	// An in-domain question the sources cannot answer: off-topic ones
	// are never handed to staff.
	ans, err := a.Ask(context.Background(), 1, 1, "街道办事处的电话是多少")
	if err != nil || ans.Answered || ans.Ticket != "" {
		t.Fatalf("Ask = %+v, %v", ans, err)
	}
	if !strings.Contains(ans.Reply.Text, assistant.NotHandedToStaff) || strings.Contains(ans.Reply.Text, "问题编号") || strings.Contains(ans.Reply.Text, "已转交") {
		t.Fatalf("reply when the question could not be handed to staff:\n%s", ans.Reply.Text)
	}
}
