package staff_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/assistant"
	"github.com/zhangmiao/communitybot/content"
	"github.com/zhangmiao/communitybot/staff"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

func TestMergeSkipsWhatNoLongerFits(t *testing.T) {
	base, err := content.Default()
	if err != nil {
		t.Fatal(err)
	}
	topics, projects := len(base.Topics), len(base.Projects)
	learned := []communitybot.LearnedEntry{
		{ID: "learned-q1", Kind: communitybot.LearnTopic, Title: "食堂", Answer: "10点开门", Question: "食堂几点开门"},
		{ID: "learned-q2", Kind: communitybot.LearnQuestion, Target: "positioning", Question: "张庙要变成啥样"},
		{ID: "learned-q3", Kind: communitybot.LearnQuestion, Target: "elevator", Question: "楼里什么时候有电梯"},
		{ID: "learned-q4", Kind: communitybot.LearnQuestion, Target: "removed-topic", Question: "找不到的话题"},
		{ID: "goals", Kind: communitybot.LearnTopic, Title: "重名", Answer: "x", Question: "重名的条目"}, // in the content since
		{ID: "learned-q5", Kind: communitybot.LearnTopic, Title: "空答案", Answer: "", Question: "空答案"},
	}
	added := []communitybot.Project{{ID: "project-8", Number: 8, Name: "口袋公园", Summary: "简介", Status: communitybot.StatusPlanning, Progress: -1}}
	kb, skipped := staff.Merge(base, learned, added)
	if err := kb.Validate(); err != nil {
		t.Fatalf("merged knowledge base invalid: %v", err)
	}
	if len(kb.Topics) != topics+1 || len(kb.Projects) != projects+1 {
		t.Errorf("merged: %d topics, %d projects; want %d, %d", len(kb.Topics), len(kb.Projects), topics+1, projects+1)
	}
	if pos, _ := kb.Topic("positioning"); !strings.Contains(strings.Join(pos.Questions, "|"), "张庙要变成啥样") {
		t.Errorf("alternate question not added: %q", pos.Questions)
	}
	if !strings.Contains(strings.Join(kb.ProjectHints["elevator"].Questions, "|"), "楼里什么时候有电梯") {
		t.Errorf("project question not added: %+v", kb.ProjectHints["elevator"])
	}
	if len(skipped) != 2 || !strings.Contains(skipped[0], "removed-topic") || !strings.Contains(skipped[1], "learned-q5") {
		t.Errorf("skipped = %q", skipped)
	}
	// The base is untouched.
	if pos, _ := base.Topic("positioning"); strings.Contains(strings.Join(pos.Questions, "|"), "张庙要变成啥样") || len(base.Topics) != topics {
		t.Error("Merge changed its base")
	}
	// And the result exports and reads back.
	raw, err := kb.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := content.Parse(raw)
	if err != nil || len(back.Topics) != topics+1 {
		t.Fatalf("exported file reads back with %v", err)
	}
}

// TestKnowledgeReachesOtherReplicas: what one replica learns, another
// picks up (Run polls the knowledge version), and a new process loads at
// startup.
func TestKnowledgeReachesOtherReplicas(t *testing.T) {
	store := storagetest.New(t)
	ctx := context.Background()
	replica := func() (*staff.Service, *assistant.Assistant) {
		kb, err := content.Default()
		if err != nil {
			t.Fatal(err)
		}
		a, err := assistant.New(kb, store, assistant.Options{})
		if err != nil {
			t.Fatal(err)
		}
		svc, err := staff.New(staff.Deps{Store: store, Base: kb, QA: a}, staff.Config{PollInterval: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		svc.LoadKnowledge(ctx)
		a.SetHooks(assistant.Hooks{Escalate: svc.Escalate})
		return svc, a
	}
	kb, _ := content.Default()
	if _, err := store.SeedProjects(ctx, kb.Projects); err != nil {
		t.Fatal(err)
	}
	one, a1 := replica()
	two, a2 := replica()
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go two.Run(runCtx)

	q := "社区食堂几点开门"
	ans, err := a1.Ask(ctx, 1, 1, q)
	if err != nil || ans.Answered || ans.Ticket != "Q-0001" {
		t.Fatalf("before: %+v, %v", ans, err)
	}
	admin := staff.Actor{UserID: 9, Name: "王"}
	if _, err := one.Answer(ctx, admin, 1, "上午10点半开门。", "s1"); err != nil {
		t.Fatal(err)
	}
	if _, err := one.Learn(ctx, admin, "Q-0001 new 社区食堂营业时间"); err != nil {
		t.Fatal(err)
	}
	if ans, _ := a1.Ask(ctx, 2, 2, q); !ans.Answered {
		t.Fatal("the replica that learned does not answer")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		ans, _ := a2.Ask(ctx, 3, 3, q)
		if ans.Answered && strings.Contains(ans.Reply.Text, "上午10点半") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the other replica never picked up the learned entry")
		}
		time.Sleep(50 * time.Millisecond)
	}
	_, a3 := replica() // a new process
	if ans, _ := a3.Ask(ctx, 4, 4, q); !ans.Answered {
		t.Fatal("a new process does not load learned entries")
	}
}

// TestMergeStaffAnswers: a question learned onto a project with its staff
// answer becomes an entry of its own, attributed with the answer's date
// and tied to the project; one stored without an answer (before answers
// were kept) only adds a phrasing, as before.
func TestMergeStaffAnswers(t *testing.T) {
	base, err := content.Default()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 2, 28, 17, 0, 0, 0, time.UTC) // 2025-03-01 01:00 in Shanghai
	learned := []communitybot.LearnedEntry{
		{ID: "learned-q1", Kind: communitybot.LearnQuestion, Target: "elevator", Question: "加装电梯补贴多少钱", Answer: "按市、区规定执行。", AnsweredAt: at, Ticket: 1},
		{ID: "learned-q2", Kind: communitybot.LearnQuestion, Target: "elevator", Question: "老楼装电梯要多久", Ticket: 2},
	}
	kb, skipped := staff.Merge(base, learned, nil)
	if len(skipped) != 0 {
		t.Fatalf("skipped %v", skipped)
	}
	tp, ok := kb.Topic("learned-q1")
	if !ok || tp.Answer != "按市、区规定执行。" || tp.StaffAnswered != "2025-03-01" || tp.About != "elevator" || tp.Questions[0] != "加装电梯补贴多少钱" {
		t.Fatalf("staff entry = %+v, %v", tp, ok)
	}
	if _, ok := kb.Topic("learned-q2"); ok {
		t.Error("an entry without an answer became a topic")
	}
	if qs := kb.ProjectHints["elevator"].Questions; !slices.Contains(qs, "老楼装电梯要多久") || slices.Contains(qs, "加装电梯补贴多少钱") {
		t.Errorf("elevator phrasings = %v", qs)
	}
	if err := kb.Validate(); err != nil {
		t.Fatal(err)
	}
}
