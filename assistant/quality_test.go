package assistant_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/assistant"
	"github.com/zhangmiao/communitybot/content"
	"github.com/zhangmiao/communitybot/qa"
	"github.com/zhangmiao/communitybot/qa/qatest"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

// escalations records what Hooks.Escalate was given.
type escalations struct {
	mu sync.Mutex
	qs []communitybot.Question
}

func (e *escalations) hook(_ context.Context, q communitybot.Question) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.qs = append(e.qs, q)
	return communitybot.TicketNo(int64(len(e.qs))), nil
}

func (e *escalations) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.qs)
}

func (e *escalations) last() communitybot.Question {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.qs[len(e.qs)-1]
}

func newEscalating(t *testing.T) (*assistant.Assistant, *escalations) {
	a, _ := newAssistant(t)
	esc := &escalations{}
	a.SetHooks(assistant.Hooks{Escalate: esc.hook})
	return a, esc
}

// plain turns a reply's Telegram HTML into the text a resident reads.
var tag = regexp.MustCompile(`<[^>]+>`)

func plain(s string) string { return html.UnescapeString(tag.ReplaceAllString(s, "")) }

// TestQualitySetsThroughAsk runs the shared quality sets through Ask, the
// path every resident's question takes, each question from a new user.
func TestQualitySetsThroughAsk(t *testing.T) {
	for _, path := range []string{"../qa/testdata/dev.json", "../qa/testdata/dev2.json"} {
		t.Run(path, func(t *testing.T) {
			cases, err := qatest.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := newEscalating(t)
			passed := 0
			for i, c := range cases {
				ans, err := a.Ask(context.Background(), int64(7000+i), int64(7000+i), c.Q)
				if err != nil {
					t.Fatal(err)
				}
				if why := c.Check(plain(ans.Reply.Text)); why != "" {
					t.Errorf("%s: Ask(%q): %s\n%s", c.ID, c.Q, why, plain(ans.Reply.Text))
					continue
				}
				passed++
			}
			t.Logf("%s through Ask: %d/%d", path, passed, len(cases))
		})
	}
}

// TestHeldOutOwnThroughAsk reports (only) the own held-out set through Ask.
func TestHeldOutOwnThroughAsk(t *testing.T) {
	cases, err := qatest.Load("../qa/testdata/heldout-own.json")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := newEscalating(t)
	passed := 0
	for i, c := range cases {
		ans, err := a.Ask(context.Background(), int64(7500+i), int64(7500+i), c.Q)
		if err != nil {
			t.Fatal(err)
		}
		if why := c.Check(plain(ans.Reply.Text)); why != "" {
			t.Logf("held-out miss %s: Ask(%q): %s\n%s", c.ID, c.Q, why, plain(ans.Reply.Text))
			continue
		}
		passed++
	}
	t.Logf("own held-out through Ask: %d/%d", passed, len(cases))
}

// campaignFacts must never appear in the reply to an off-topic question.
var campaignFacts = []string{"比学赶超", "五个张庙", "民心工程", "新时代人民社区", "区域交通链接点", "五大行动", "电梯加装", "科创"}

func offTopicQuestions(t *testing.T) []string {
	var qs []string
	for _, path := range []string{"../qa/testdata/paraphrases.json", "../qa/testdata/blind.json"} {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var set struct {
			OffTopic []string `json:"off_topic"`
		}
		if err := json.Unmarshal(raw, &set); err != nil {
			t.Fatal(err)
		}
		qs = append(qs, set.OffTopic...)
	}
	return qs
}

// TestThreeOutcomes: off-topic gets a short line and no ticket; a question
// about the subdistrict the sources cannot answer gets "not known" and a
// ticket; a complaint gets an acknowledgement and a ticket marked as a
// request.
func TestThreeOutcomes(t *testing.T) {
	a, esc := newEscalating(t)
	ctx := context.Background()
	for i, q := range []string{"今天天气怎么样", "推荐一部电影", "帮我写首夸春天的诗", "三加五等于几", "周杰伦的新歌叫什么",
		"python 咋读取 excel 文件", "北京的垃圾分类政策是什么", "杭州的加装电梯补贴政策是怎样的", "今天午饭吃什么好", "把“早上好”翻成英语怎么说"} {
		before := esc.count()
		ans, err := a.Ask(ctx, int64(100+i), int64(100+i), q)
		if err != nil {
			t.Fatal(err)
		}
		text := plain(ans.Reply.Text)
		if esc.count() != before || ans.Ticket != "" || ans.Answered || !ans.OffTopic {
			t.Errorf("off-topic %q: ticket %q, escalations %d→%d, answered %v, off-topic %v", q, ans.Ticket, before, esc.count(), ans.Answered, ans.OffTopic)
		}
		if !strings.Contains(text, "/ask") || !strings.Contains(text, "抱歉") {
			t.Errorf("off-topic %q: reply does not say what the bot covers and how to reach staff:\n%s", q, text)
		}
		for _, f := range campaignFacts {
			if strings.Contains(text, f) {
				t.Errorf("off-topic %q: reply has campaign fact %q:\n%s", q, f, text)
			}
		}
	}

	for i, q := range []string{"张庙街道在哪里", "社区食堂几点开门", "施永根书记今年多大岁数", "街道党工委的办公电话是多少", "张庙街道一共有多少个居民区"} {
		before := esc.count()
		ans, err := a.Ask(ctx, int64(200+i), int64(200+i), q)
		if err != nil {
			t.Fatal(err)
		}
		text := plain(ans.Reply.Text)
		if esc.count() != before+1 || ans.Ticket == "" || ans.Answered {
			t.Errorf("unknown %q: ticket %q, answered %v", q, ans.Ticket, ans.Answered)
			continue
		}
		if k := esc.last().Kind; k != communitybot.TicketQuestion {
			t.Errorf("unknown %q: ticket kind %q, want a question", q, k)
		}
		if !strings.Contains(text, "没有写") {
			t.Errorf("unknown %q: reply does not say the sources lack it:\n%s", q, text)
		}
		if strings.Contains(text, "比学赶超当先锋") {
			t.Errorf("unknown %q: answered with the campaign introduction:\n%s", q, text)
		}
	}

	// 张庙街道在哪里 right after a project is about the subdistrict.
	if _, err := a.Ask(ctx, 250, 250, "电梯加装进展怎么样"); err != nil {
		t.Fatal(err)
	}
	if ans, err := a.Ask(ctx, 250, 250, "张庙街道在哪里"); err != nil || strings.Contains(ans.Reply.Text, "电梯加装") || ans.Ticket == "" {
		t.Errorf("张庙街道在哪里 after a project = %+v, %v", ans, err)
	}

	for i, q := range []string{"我想反映一下楼道里有人堆东西", "楼道堆物谁来管？", "小区门口的路灯坏了", "楼上装修噪音太大了", "家里天花板漏水了", "电梯坏了没人修"} {
		ans, err := a.Ask(ctx, int64(300+i), int64(300+i), q)
		if err != nil {
			t.Fatal(err)
		}
		text := plain(ans.Reply.Text)
		if ans.Ticket == "" || esc.last().Kind != communitybot.TicketRequest || esc.last().Text != q {
			t.Errorf("request %q: ticket %q, last escalation %+v", q, ans.Ticket, esc.last())
			continue
		}
		if !strings.Contains(text, "感谢您的反映") || !strings.Contains(text, ans.Ticket) {
			t.Errorf("request %q: no acknowledgement with the ticket:\n%s", q, text)
		}
		if strings.Contains(text, "只能回答") || len(ans.Reply.Buttons) > 0 {
			t.Errorf("request %q: answered like an unknown question:\n%s", q, text)
		}
	}
}

// TestOffTopicSetsGetNoTicket: every off-topic question of the held-out
// sets is refused (never answered with content); those that are not about
// the subdistrict at all get no ticket.
func TestOffTopicSetsGetNoTicket(t *testing.T) {
	a, esc := newEscalating(t)
	for i, q := range offTopicQuestions(t) {
		ans, err := a.Ask(context.Background(), int64(400+i), int64(400+i), q)
		if err != nil {
			t.Fatal(err)
		}
		if ans.Answered && !strings.Contains(ans.Reply.Text, "请问有什么可以帮您") {
			t.Errorf("off-topic %q answered:\n%s", q, ans.Reply.Text)
		}
		if ans.OffTopic && ans.Ticket != "" {
			t.Errorf("off-topic %q got ticket %s", q, ans.Ticket)
		}
	}
	t.Logf("%d of %d off-topic questions became tickets (about the neighbourhood: 小区停车位, 社区医院…)", esc.count(), len(offTopicQuestions(t)))
}

// TestProjectRepliesAreConcise: no reply repeats a sentence, a schedule
// question states the status once, and no sentence appears in every
// project's card.
func TestProjectRepliesAreConcise(t *testing.T) {
	a, kb := newAssistant(t)
	ctx := context.Background()
	common := map[string]int{}
	for i, p := range kb.Projects {
		for j, q := range []string{p.Name + "是什么", p.Name + "进展怎么样", p.Name + "什么时候完成"} {
			ans, err := a.Ask(ctx, int64(500+10*i+j), int64(500+10*i+j), q)
			if err != nil {
				t.Fatal(err)
			}
			text := plain(ans.Reply.Text)
			seen := map[string]bool{}
			for _, s := range sentences(text) {
				if seen[s] {
					t.Errorf("Ask(%q) repeats %q:\n%s", q, s, text)
				}
				seen[s] = true
				if j == 0 {
					common[s]++
				}
			}
			if j == 2 && strings.Count(text, string(p.Status)) != 1 {
				t.Errorf("Ask(%q) states the status %d times:\n%s", q, strings.Count(text, string(p.Status)), text)
			}
		}
	}
	for s, n := range common {
		if n == len(kb.Projects) && !strings.HasPrefix(s, "状态") && !strings.HasPrefix(s, "进度") && !strings.HasPrefix(s, "信息来源") {
			t.Errorf("every project card says %q", s)
		}
	}
}

// sentences splits a reply into sentences and lines, whitespace removed.
func sentences(text string) []string {
	var out []string
	for _, s := range regexp.MustCompile(`[。！？\n]+`).Split(text, -1) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// TestStaffAnswerIsUsed: a staff answer learned onto a project answers the
// same question and a paraphrase, attributed to staff with its date; a
// question asking another fact about the project is not answered with it.
func TestStaffAnswerIsUsed(t *testing.T) {
	kb, err := content.Default()
	if err != nil {
		t.Fatal(err)
	}
	kb.Topics = append(kb.Topics, content.Topic{ID: "learned-q7", Title: "加装电梯补贴多少钱", Answer: "加装电梯的补贴按市、区规定执行，具体金额请到居委会咨询。",
		Questions: []string{"加装电梯补贴多少钱"}, StaffAnswered: "2025-03-01", About: "elevator"})
	if err := kb.Validate(); err != nil {
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
	esc := &escalations{}
	a.SetHooks(assistant.Hooks{Escalate: esc.hook})
	for i, q := range []string{"加装电梯补贴多少钱", "装电梯有补贴吗", "电梯加装能补贴多少钱？"} {
		ans, err := a.Ask(context.Background(), int64(600+i), int64(600+i), q)
		if err != nil {
			t.Fatal(err)
		}
		text := plain(ans.Reply.Text)
		if !ans.Answered || ans.Ticket != "" || !strings.Contains(text, "街道工作人员答复（2025-03-01）") || !strings.Contains(text, "具体金额请到居委会咨询") {
			t.Errorf("Ask(%q) did not give the staff answer:\n%s", q, text)
		}
	}
	ans, err := a.Ask(context.Background(), 700, 700, "电梯加装进展怎么样")
	if err != nil || strings.Contains(ans.Reply.Text, "居委会咨询") || !strings.Contains(ans.Reply.Text, "推进中") {
		t.Errorf("a status question got the staff's subsidy answer: %v\n%s", err, ans.Reply.Text)
	}
}

// TestRepliesAreTraceable: every sentence a reply can contain is either
// words of a source (the newsletter, the knowledge file, a staff record) or
// one of the assistant's own phrases (phrases.go), whose variable parts
// are themselves from a source (or a ticket number, a date, a figure).
func TestRepliesAreTraceable(t *testing.T) {
	kb, err := content.Default()
	if err != nil {
		t.Fatal(err)
	}
	staffAnswer := "加装电梯的补贴按市、区规定执行，具体金额请到居委会咨询。"
	kb.Topics = append(kb.Topics, content.Topic{ID: "learned-q7", Title: "加装电梯补贴多少钱", Answer: staffAnswer,
		Questions: []string{"加装电梯补贴多少钱"}, StaffAnswered: "2025-03-01", About: "elevator"})
	store := storagetest.New(t)
	ctx := context.Background()
	if _, err := store.SeedProjects(ctx, kb.Projects); err != nil {
		t.Fatal(err)
	}
	note := "3号楼已完成加装，正在协调5号楼。"
	if err := store.UpdateProject(ctx, "elevator", communitybot.ProjectEvent{By: "王", Status: communitybot.StatusInProgress, Progress: 40, Note: note}); err != nil {
		t.Fatal(err)
	}
	a, err := assistant.New(kb, store, assistant.Options{})
	if err != nil {
		t.Fatal(err)
	}
	esc := &escalations{}
	a.SetHooks(assistant.Hooks{Escalate: esc.hook})

	// The sources, flattened: everything a reply may quote.
	var corpus strings.Builder
	corpus.WriteString(content.Newsletter().Text())
	for _, tp := range kb.Topics {
		corpus.WriteString(tp.Title + "\n" + tp.Answer + "\n")
	}
	for _, p := range kb.Projects {
		corpus.WriteString(p.Name + "\n" + p.Summary + "\n" + p.Note + "\n" + string(p.Status) + "\n")
	}
	corpus.WriteString(note + "\n" + staffAnswer + "\n" + qa.StaffLabel("2025-03-01") + "\n" + content.SourceName + "\n推进中\n规划中\n已完工\n暂停\n")
	for _, m := range kb.Menu {
		corpus.WriteString(m.Label + "\n")
	}
	src := squash(corpus.String())
	// An elided quote must be in order within one text of the sources,
	// not pieced together from several.
	var units []string
	for _, u := range strings.Split(corpus.String(), "\n") {
		if u = squash(u); u != "" {
			units = append(units, u)
		}
	}
	units = append(units, squash(content.Newsletter().Text()))
	quoted := func(v string) bool {
		if !strings.Contains(v, elision) {
			return strings.Contains(src, v)
		}
		for _, u := range units {
			if inOrder(u, v) {
				return true
			}
		}
		return false
	}

	var patterns [][]string // literal parts and holes ("%s", "%d")
	for _, p := range assistant.Phrases() {
		for _, sn := range sentences(plain(p)) {
			patterns = append(patterns, splitHoles(squash(sn)))
		}
	}
	value := regexp.MustCompile(`^(Q-\d+|\d+%?|\d{4}-\d{2}-\d{2}\d{2}\d{2}|进展|完成时间|什么时候完成|进展怎么样)$`)
	okValue := func(v string) bool {
		return v != "" && (quoted(v) || value.MatchString(v) || labelled(v))
	}
	traceable := func(s string) bool {
		s = squash(s)
		if s == "" || quoted(s) {
			return true
		}
		for _, p := range patterns {
			if matchHoles(s, p, okValue) {
				return true
			}
		}
		return false
	}

	// The check itself must reject what no source says.
	for _, invented := range []string{"施永根今年五十岁。", "电梯加装的补贴是每户两万元。", "简报原文：「张庙街道办事处位于泗塘路100号」",
		"简报原文：「施永根对“比学赶超”活动的内涵及其目标抛砖引玉……今年五十岁」", "简报原文：「以干深化学……以学促进干」",
		"抱歉，关于「电梯加装」的费用和补贴，我手上的资料（2021年街道简报）里没有写，不能随意回答。另外补贴是五万元。"} {
		for _, s := range sentences(invented) {
			if traceable(s) && (strings.ContainsAny(s, "五两万号") || strings.Contains(s, "……")) {
				t.Fatalf("the check accepts the invented %q", s)
			}
		}
	}

	var qs []string
	for _, path := range []string{"../qa/testdata/dev.json", "../qa/testdata/dev2.json", "../qa/testdata/heldout-own.json", "../qa/testdata/kinds.json", "../qa/testdata/kinds-fresh.json", "../qa/testdata/kinds-third.json"} {
		cases, err := qatest.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			qs = append(qs, c.Q)
		}
	}
	qs = append(qs, offTopicQuestions(t)...)
	qs = append(qs, "加装电梯补贴多少钱", "电梯加装进展怎么样", "电梯加装什么时候完成", "那架空线呢", "什么时候完成", "楼道堆物谁来管？", "施书记电话多少", "五个张庙什么时候完成")
	checked := 0
	for i, q := range qs {
		ans, err := a.Ask(ctx, int64(800+i%5), int64(800+i%5), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sentences(plain(ans.Reply.Text)) {
			checked++
			if !traceable(s) {
				t.Errorf("Ask(%q): sentence %q is in no source and is no phrase of the assistant", q, s)
			}
		}
	}
	t.Logf("%d sentences of %d replies checked", checked, len(qs))
}

// splitHoles cuts a phrase into literal parts and the holes %s and %d.
func splitHoles(p string) []string {
	var out []string
	for {
		i := strings.IndexAny(p, "%")
		if i < 0 || i+1 >= len(p) {
			if p != "" {
				out = append(out, p)
			}
			return out
		}
		if i > 0 {
			out = append(out, p[:i])
		}
		switch p[i+1] {
		case 's', 'd':
			out = append(out, p[i:i+2])
			p = p[i+2:]
		default: // %% is a literal percent sign
			out = append(out, "%")
			p = p[i+2:]
		}
	}
}

// matchHoles reports whether s is the phrase parts with every hole filled
// by a value ok accepts, trying every way to fill them.
func matchHoles(s string, parts []string, ok func(string) bool) bool {
	if len(parts) == 0 {
		return s == ""
	}
	p := parts[0]
	if p != "%s" && p != "%d" {
		return strings.HasPrefix(s, p) && matchHoles(s[len(p):], parts[1:], ok)
	}
	for i := range len(s) + 1 {
		if i < len(s) && !utf8.RuneStart(s[i]) {
			continue
		}
		if ok(s[:i]) && matchHoles(s[i:], parts[1:], ok) {
			return true
		}
	}
	return false
}

// labelled accepts the assistant's fixed labels that fill a phrase (what
// a detail or a missing fact is called).
func labelled(v string) bool {
	for _, l := range assistant.Labels() {
		if squash(l) == v {
			return true
		}
	}
	return false
}

// elision stands for a quote's "……" after squash: the words left out.
const elision = "\x00"

// inOrder reports whether every part of s between elisions is in src, in
// that order: 「A……B」 quotes A, leaves words out, then quotes B.
func inOrder(src, s string) bool {
	at := 0
	for _, part := range strings.Split(s, elision) {
		if part == "" {
			continue
		}
		i := strings.Index(src[at:], part)
		if i < 0 {
			return false
		}
		at += i + len(part)
	}
	return true
}

// squash drops whitespace and the punctuation that differs between a
// source and a reply that quotes it (quote marks, commas, list marks); a
// quote's "……" becomes one elision mark.
func squash(s string) string {
	s = strings.ReplaceAll(s, "……", elision)
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(" \t\n·•“”‘’「」《》\"'，,、；;。！？!?（）()…", r) {
			return -1
		}
		return r
	}, s)
}

var _ = fmt.Sprint

// TestKindsThroughAsk runs qa/testdata/kinds.json, kinds-fresh.json and
// kinds-third.json through Ask: the reply and whether a ticket was made.
func TestKindsThroughAsk(t *testing.T) {
	for _, path := range []string{"../qa/testdata/kinds.json", "../qa/testdata/kinds-fresh.json", "../qa/testdata/kinds-third.json"} {
		t.Run(path, func(t *testing.T) {
			cases, err := qatest.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			a, esc := newEscalating(t)
			passed := 0
			for i, c := range cases {
				before := esc.count()
				ans, err := a.Ask(context.Background(), int64(8200+i), int64(8200+i), c.Q)
				if err != nil {
					t.Fatal(err)
				}
				why := c.Check(plain(ans.Reply.Text))
				if why == "" {
					why = c.CheckTicket(esc.count() > before)
				}
				if why != "" {
					t.Errorf("%s: Ask(%q): %s\n%s", c.ID, c.Q, why, plain(ans.Reply.Text))
					continue
				}
				passed++
			}
			t.Logf("%s through Ask: %d/%d", path, passed, len(cases))
		})
	}
}

// TestHeldOutLead runs the lead's blind set through Ask: 110 questions
// written from the newsletter alone by someone who never saw the knowledge
// file or the engine (on-topic facts, project status, facts the page lacks,
// off-topic, complaints). Its first run scored 98/110; the kinds of its
// misses (not the questions) were then described to the Q&A rounds, so the
// set is no longer blind. The floor keeps what was reached: 110/110, with
// no off-topic question handed to staff.
func TestHeldOutLead(t *testing.T) {
	const floor = 110
	passed, total := askSet(t, "../qa/testdata/heldout-lead.json", 9100, func(c qatest.Case, _ assistant.Answer, escalated bool) string {
		if strings.HasPrefix(c.ID, "h-off-") && escalated {
			t.Errorf("%s: off-topic %q was handed to staff", c.ID, c.Q)
		}
		return ""
	})
	t.Logf("lead's held-out set through Ask: %d/%d", passed, total)
	if passed < floor {
		t.Errorf("lead's held-out set: %d/%d, below the %d reached", passed, total, floor)
	}
}

// askSet asks every question of the set at path through Ask, each from a
// new user (ids from base), and returns how many passed: the reply has the
// case's phrases and judge finds nothing else wrong (escalated: the
// question was handed to staff). Misses are logged.
func askSet(t *testing.T, path string, base int64, judge func(c qatest.Case, ans assistant.Answer, escalated bool) string) (passed, total int) {
	t.Helper()
	cases, err := qatest.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		a, esc := newEscalating(t)
		ans, err := a.Ask(context.Background(), base+int64(i), base+int64(i), c.Q)
		if err != nil {
			t.Fatal(err)
		}
		why := c.Check(plain(ans.Reply.Text)) + judge(c, ans, esc.count() > 0)
		if why != "" {
			t.Logf("miss %s: Ask(%q): %s\n%s", c.ID, c.Q, why, plain(ans.Reply.Text))
			continue
		}
		passed++
	}
	return passed, len(cases)
}

// TestBlindSets runs five sets written by helpers who read only the
// newsletter, never the knowledge file, the engine or each other's sets
// (qa/testdata/blind-a.json: colloquial residents, typos, stories before
// the question; blind-b: detail askers, English, questions asked as
// several; blind-c: no punctuation, traditional characters, paraphrases).
// blind-d, a realistic mix, was written and run once on the finished
// round, as its measure; blind-e (the most asked subjects, each in many
// wordings) after the review's folds. First runs, before any change made
// for them: a 35/45 on-topic, b 36/45, c 38/50; d 45/50 (60/68 in all);
// e 41/50 (57/68). Answerable questions must be answered with the page's
// words; off-topic ones refused without a ticket; those the page cannot
// answer ("ticket": true) handed to staff. The floors are what is reached
// now.
func TestBlindSets(t *testing.T) {
	floors := map[string]int{"a": 57, "b": 57, "c": 62, "d": 62, "e": 60}
	for _, set := range []string{"a", "b", "c", "d", "e"} {
		t.Run(set, func(t *testing.T) {
			passed, total := askSet(t, "../qa/testdata/blind-"+set+".json", 9500, func(c qatest.Case, ans assistant.Answer, escalated bool) string {
				switch {
				case c.OffTopic && (!ans.OffTopic || escalated):
					return " not refused as off-topic"
				case c.ForStaff() && (ans.Answered || !escalated):
					return " not handed to staff"
				case !c.OffTopic && !c.ForStaff() && !ans.Answered:
					return " not answered"
				}
				return ""
			})
			t.Logf("blind set %s through Ask: %d/%d", set, passed, total)
			if passed < floors[set] {
				t.Errorf("blind set %s: %d/%d, below the %d reached", set, passed, total, floors[set])
			}
		})
	}
}
