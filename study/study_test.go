package study_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/content"
	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/storage/storagetest"
	"github.com/zhangmiao/communitybot/study"
)

var shanghai = mustLoad("Asia/Shanghai")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

type fixture struct {
	t     *testing.T
	store *storage.Store
	svc   *study.Service
	clock *clock
	ctx   context.Context
}

func items(n int) []communitybot.StudyItem {
	var out []communitybot.StudyItem
	for i := range n {
		out = append(out, communitybot.StudyItem{
			ID: fmt.Sprintf("item-%d", i), Title: fmt.Sprintf("第%d课", i), Text: "学习内容",
			Questions: []communitybot.StudyQuestion{{Prompt: "问题", Options: []string{"对", "错"}, Answer: 0, Explanation: "解析"}},
		})
	}
	return out
}

func newFixture(t *testing.T, bank []communitybot.StudyItem) *fixture {
	t.Helper()
	f := &fixture{t: t, store: storagetest.New(t), clock: &clock{t: time.Date(2026, 1, 26, 8, 0, 0, 0, shanghai)}, ctx: context.Background()}
	svc, err := study.New(f.store, bank, study.Options{Location: shanghai, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

func (f *fixture) member(id int64, branch string) {
	f.t.Helper()
	if err := f.store.SetAccount(f.ctx, communitybot.Account{UserID: id, Role: communitybot.RoleMember, Branch: branch}); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.store.Subscribe(f.ctx, id, communitybot.TopicStudy); err != nil {
		f.t.Fatal(err)
	}
}

// prompt renders the day's push for a member and returns it.
func (f *fixture) prompt(id int64) communitybot.Reply {
	f.t.Helper()
	r, ok, err := f.svc.Render(f.ctx, id)
	if err != nil || !ok {
		f.t.Fatalf("Render(%d) = %v, %v", id, ok, err)
	}
	return r
}

// answer presses option opt of the day's prompt.
func (f *fixture) answer(id int64, opt int) (communitybot.Reply, string, error) {
	f.t.Helper()
	p := f.prompt(id)
	return f.svc.Answer(f.ctx, id, p.Buttons[opt][0].Data)
}

func (f *fixture) stats(id int64) communitybot.StudyStats {
	f.t.Helper()
	st, err := f.store.StudyStats(f.ctx, id, "")
	if err != nil {
		f.t.Fatal(err)
	}
	return st
}

func TestStreakAcrossDays(t *testing.T) {
	f := newFixture(t, items(10))
	f.member(1, "一支部")
	at := func(y int, m time.Month, d, h, min int) { f.clock.Set(time.Date(y, m, d, h, min, 0, 0, shanghai)) }

	at(2026, 1, 26, 23, 59) // a minute before midnight in Shanghai
	edit, notice, err := f.answer(1, 0)
	if err != nil || !strings.Contains(edit.Text, "回答正确") || !strings.Contains(notice, "3 分") {
		t.Fatalf("first answer: %q %q %v", edit.Text, notice, err)
	}
	at(2026, 1, 27, 0, 1) // two minutes later, but the next day
	edit, _, _ = f.answer(1, 1)
	if !strings.Contains(edit.Text, "回答错误") || !strings.Contains(edit.Text, "连续学习 2 天") {
		t.Fatalf("next day: %q, want wrong and a 2-day streak", edit.Text)
	}
	at(2026, 1, 27, 23, 0) // same day: nothing scores
	edit, notice, err = f.answer(1, 0)
	if err != nil || !strings.Contains(edit.Text, "不再计分") || !strings.Contains(notice, "不计分") {
		t.Fatalf("second answer of the day: %q %q %v", edit.Text, notice, err)
	}
	if st := f.stats(1); st.Points != 4 || st.Answered != 2 || st.Correct != 1 || st.Streak != 2 {
		t.Fatalf("stats = %+v, want 4 points, 2 answered, 1 correct, streak 2", st)
	}

	at(2026, 1, 29, 8, 0) // skipped the 28th: the streak starts over
	if _, _, err := f.answer(1, 0); err != nil {
		t.Fatal(err)
	}
	if st := f.stats(1); st.Streak != 1 || st.BestStreak != 2 {
		t.Fatalf("after a gap: %+v, want streak 1, best 2", st)
	}
	// /mystats shows a broken streak as 0 once a whole day passed.
	at(2026, 1, 30, 22, 0)
	if r, _ := f.svc.Stats(f.ctx, 1); !strings.Contains(r.Text, "连续学习：1 天") {
		t.Fatalf("yesterday's streak is still alive:\n%s", r.Text)
	}
	at(2026, 1, 31, 0, 30)
	if r, _ := f.svc.Stats(f.ctx, 1); !strings.Contains(r.Text, "连续学习：0 天（最长 2 天）") || !strings.Contains(r.Text, "正确率 67%") {
		t.Fatalf("stats after missing a day:\n%s", r.Text)
	}
}

func TestRotationWithoutRepeats(t *testing.T) {
	f := newFixture(t, items(5))
	f.member(1, "一支部")
	f.member(2, "一支部")
	day := time.Date(2026, 2, 2, 8, 0, 0, 0, shanghai)
	var got []string
	for d := range 12 {
		f.clock.Set(day.AddDate(0, 0, d))
		p := f.prompt(1)
		// /study that day shows the same item as the push.
		open, err := f.svc.Open(f.ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		title := between(p.Text, "<b>", "</b>", 2)
		if between(open.Text, "<b>", "</b>", 2) != title {
			t.Fatalf("day %d: push %q, /study %q", d, title, between(open.Text, "<b>", "</b>", 2))
		}
		got = append(got, title)
		if d == 6 {
			// An admin adds an item mid-pass: it comes after the file's.
			if _, _, err := f.svc.AddItem(f.ctx, "标题：新增一课\n内容：新增内容\n题目：问题\nA. 对\nB. 错\n答案：A\n解析：解析"); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := []string{"第0课", "第1课", "第2课", "第3课", "第4课", "第0课", "第1课", "第2课", "第3课", "第4课", "新增一课", "第0课"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("12 days gave\n%v, want\n%v", got, want)
	}
	// Another member's rotation is their own.
	f.clock.Set(day.AddDate(0, 0, 12))
	if title := between(f.prompt(2).Text, "<b>", "</b>", 2); title != "第0课" {
		t.Fatalf("member 2 starts with %q, want 第0课", title)
	}
}

// between returns the n-th (1-based) text between open and close.
func between(s, open, close string, n int) string {
	for i := 0; i < n; i++ {
		j := strings.Index(s, open)
		if j < 0 {
			return ""
		}
		s = s[j+len(open):]
	}
	k := strings.Index(s, close)
	if k < 0 {
		return ""
	}
	return s[:k]
}

func TestAnswersThatDoNotScore(t *testing.T) {
	f := newFixture(t, items(3))
	f.member(1, "一支部")
	p1 := f.prompt(1).Buttons[0][0].Data
	yesterday := strings.Replace(p1, "20260126", "20260125", 1)

	tests := []struct {
		name, data string
		want       string // in the error's user message, or in the edit
	}{
		{"malformed", "quiz:nonsense", "按钮无效"},
		{"unknown item", "quiz:20260126:no-such-item:0:0", "不在题库"},
		{"option out of range", strings.TrimSuffix(p1, ":0") + ":7", "不在题库"},
		{"question out of range", strings.Replace(p1, ":0:0", ":5:0", 1), "不在题库"},
		{"someone else's item", "quiz:20260126:item-2:0:0", "不是您今天的题目"},
		{"today's item under yesterday's date", yesterday, "不显示答案"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			edit, _, err := f.svc.Answer(f.ctx, 1, tc.data)
			msg, _ := communitybot.UserMessage(err)
			if !strings.Contains(msg+edit.Text, tc.want) {
				t.Fatalf("Answer(%q) = %q, %v; want %q", tc.data, edit.Text, err, tc.want)
			}
			if err != nil && !errors.Is(err, communitybot.ErrInvalid) {
				t.Fatalf("Answer(%q) error kind: %v", tc.data, err)
			}
		})
	}
	if st := f.stats(1); st.Points != 0 || st.Answered != 0 {
		t.Fatalf("rejected presses scored: %+v", st)
	}
}

func TestRenderSkipsNonMembers(t *testing.T) {
	f := newFixture(t, items(2))
	if _, ok, err := f.svc.Render(f.ctx, 77); ok || err != nil {
		t.Fatalf("Render(resident) = %v, %v; want skipped", ok, err)
	}
	if _, ok, err := f.svc.Render(f.ctx, -100123); ok || err != nil {
		t.Fatalf("Render(group) = %v, %v; want skipped", ok, err)
	}
	f.member(78, "")
	r, ok, err := f.svc.Render(f.ctx, 78)
	if !ok || err != nil || len(r.Buttons) != 2 {
		t.Fatalf("Render(member) = %+v, %v, %v", r, ok, err)
	}
	// Pushing is not reading: no points until /study or an answer.
	if st := f.stats(78); st.Points != 0 {
		t.Fatalf("the push gave %d points", st.Points)
	}
	// An empty bank sends nothing rather than failing the broadcast.
	empty := newFixture(t, nil)
	empty.member(5, "")
	if _, ok, err := empty.svc.Render(empty.ctx, 5); ok || err != nil {
		t.Fatalf("Render(empty bank) = %v, %v", ok, err)
	}
}

func TestOpenAwardsReadingOnce(t *testing.T) {
	f := newFixture(t, items(2))
	f.member(1, "一支部")
	r, err := f.svc.Open(f.ctx, 1)
	if err != nil || !strings.Contains(r.Text, "获得 1 分") || len(r.Buttons) != 2 {
		t.Fatalf("first /study = %q, %v", r.Text, err)
	}
	r, _ = f.svc.Open(f.ctx, 1)
	if strings.Contains(r.Text, "获得") {
		t.Fatalf("second /study awarded again: %q", r.Text)
	}
	// After answering, /study shows the result instead of buttons.
	if _, _, err := f.answer(1, 0); err != nil {
		t.Fatal(err)
	}
	r, _ = f.svc.Open(f.ctx, 1)
	if len(r.Buttons) != 0 || !strings.Contains(r.Text, "已经作答过了") || !strings.Contains(r.Text, "✅（您的选择）") {
		t.Fatalf("/study after answering = %q, %v", r.Text, r.Buttons)
	}
	if st := f.stats(1); st.Points != 3 {
		t.Fatalf("points = %d, want 1 for reading + 2 for the answer", st.Points)
	}
}

func TestRanksAndNames(t *testing.T) {
	f := newFixture(t, items(2))
	for i, name := range []string{"<b>张三</b>", "", "王五"} {
		id := int64(i + 1)
		f.member(id, []string{"一支部", "二支部", "一支部"}[i])
		if err := f.store.RecordUser(f.ctx, communitybot.User{ID: id, FirstName: name, Username: map[int64]string{2: "lisi"}[id]}); err != nil {
			t.Fatal(err)
		}
	}
	f.answer(1, 0) // 3 points
	f.answer(2, 1) // 1 point
	f.answer(3, 0) // 3 points
	r, err := f.svc.Rank(f.ctx, 2, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"🥇 &lt;b&gt;张三&lt;/b&gt; · 3 分", "🥇 王五 · 3 分", "🥉 @lisi（您） · 1 分", "您：第 3 名 · 1 分"} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("/rank lacks %q:\n%s", want, r.Text)
		}
	}
	if strings.Contains(r.Text, "<b>张三") {
		t.Error("a name was not escaped")
	}
	r, _ = f.svc.BranchRank(f.ctx, 2, false)
	for _, want := range []string{"🥇 一支部 · 6 分", "🥈 二支部（本支部） · 1 分", "「二支部」：第 2 名 · 1 分"} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("/branchrank lacks %q:\n%s", want, r.Text)
		}
	}
	// Next week the weekly board is empty, the all-time one is not.
	f.clock.Set(time.Date(2026, 2, 2, 8, 0, 0, 0, shanghai))
	if r, _ := f.svc.Rank(f.ctx, 1, false); !strings.Contains(r.Text, "还没有人获得积分") {
		t.Errorf("new week's board:\n%s", r.Text)
	}
	if r, _ := f.svc.Rank(f.ctx, 1, true); !strings.Contains(r.Text, "总积分榜") || !strings.Contains(r.Text, "您：第 1 名 · 3 分") {
		t.Errorf("all-time board:\n%s", r.Text)
	}
}

// fakeEngine records what the jobs enqueue.
type fakeEngine struct {
	mu  sync.Mutex
	got []communitybot.Broadcast
}

func (e *fakeEngine) Enqueue(_ context.Context, b communitybot.Broadcast) (communitybot.Broadcast, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	b.ID = fmt.Sprint(len(e.got) + 1)
	e.got = append(e.got, b)
	return b, nil
}

func TestJobs(t *testing.T) {
	store := storagetest.New(t)
	svc, err := study.New(store, items(1), study.Options{Location: shanghai, DailyAt: "07:30", WeeklyAt: "09:05"})
	if err != nil {
		t.Fatal(err)
	}
	eng := &fakeEngine{}
	jobs := svc.Jobs(eng)
	if len(jobs) != 2 || jobs[0].ID != study.DailyJobID || jobs[0].Spec != "30 7 * * *" || jobs[1].ID != study.WeeklyJobID || jobs[1].Spec != "5 9 * * 1" {
		t.Fatalf("Jobs() = %+v", jobs)
	}
	if err := jobs[0].Run(context.Background(), time.Now()); err != nil {
		t.Fatal(err)
	}
	b := eng.got[0]
	if b.Kind != study.BroadcastKind || b.Topic != communitybot.TopicStudy || b.Reply.Text != "" || len(b.ChatIDs) != 0 {
		t.Fatalf("daily broadcast = %+v, want an empty study broadcast to the topic", b)
	}
	if _, err := study.New(store, nil, study.Options{DailyAt: "8点"}); err == nil {
		t.Fatal("New accepted a malformed time")
	}
}

func TestWeeklySummaries(t *testing.T) {
	f := newFixture(t, items(3))
	f.member(1, "一支部")
	f.member(2, "一支部")
	f.member(3, "二支部")
	f.member(4, "一支部") // does not study
	f.member(5, "三支部") // unsubscribed: gets no summary
	if _, err := f.store.Unsubscribe(f.ctx, 5, communitybot.TopicStudy); err != nil {
		t.Fatal(err)
	}
	if err := f.store.SetAccount(f.ctx, communitybot.Account{UserID: 6, Role: communitybot.RoleAdmin}); err != nil {
		t.Fatal(err) // an admin without a branch: no summary
	}
	if err := f.store.RecordUser(f.ctx, communitybot.User{ID: 1, FirstName: "张三"}); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(time.Date(2026, 1, 28, 8, 0, 0, 0, shanghai)) // Wednesday
	f.answer(1, 0)                                            // 3
	f.answer(2, 1)                                            // 1
	f.answer(3, 0)                                            // 3
	f.clock.Set(time.Date(2026, 2, 2, 9, 0, 0, 0, shanghai))  // Monday, a new week
	f.answer(3, 0)                                            // this week's: not in last week's summary

	got, err := f.svc.WeeklySummaries(f.ctx, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d summaries, want one per branch with subscribed members: %+v", len(got), got)
	}
	one, two := got[0], got[1]
	if fmt.Sprint(one.ChatIDs) != "[1 2 4]" || fmt.Sprint(two.ChatIDs) != "[3]" {
		t.Fatalf("audiences %v and %v", one.ChatIDs, two.ChatIDs)
	}
	for _, want := range []string{"一支部", "1月26日—2月1日", "3 位党员中有 2 位参加了学习，共获得 4 分", "在 2 个支部中排第 1 名", "🥇 张三 · 3 分", "🥈 用户0002 · 1 分"} {
		if !strings.Contains(one.Reply.Text, want) {
			t.Errorf("summary of 一支部 lacks %q:\n%s", want, one.Reply.Text)
		}
	}
	if !strings.Contains(two.Reply.Text, "共获得 3 分") || one.Kind != study.SummaryKind {
		t.Errorf("summary of 二支部:\n%s", two.Reply.Text)
	}

	eng := &fakeEngine{}
	if err := f.svc.WeeklyJob(eng)(f.ctx, f.clock.Now()); err != nil || len(eng.got) != 2 {
		t.Fatalf("WeeklyJob enqueued %d, %v", len(eng.got), err)
	}
}

func TestParseItem(t *testing.T) {
	ok := "标题：五个张庙\n内容：第一段\n第二段\n\n题目：下列哪一项属于\n“五个张庙”？\nA. 宜居张庙\nｂ、文明张庙\n答案：a\n解析：宜居张庙是其中之一。\n题目：第二题\nA：对\nB）错\n答案：B\n解析：因为。"
	it, err := study.ParseItem(ok)
	if err != nil {
		t.Fatal(err)
	}
	if it.Title != "五个张庙" || it.Text != "第一段\n第二段" || len(it.Questions) != 2 {
		t.Fatalf("ParseItem() = %+v", it)
	}
	q := it.Questions[0]
	if q.Prompt != "下列哪一项属于“五个张庙”？" || len(q.Options) != 2 || q.Options[1] != "文明张庙" || q.Answer != 0 || q.Explanation != "宜居张庙是其中之一。" {
		t.Fatalf("question 1 = %+v", q)
	}
	if it.Questions[1].Answer != 1 {
		t.Fatalf("question 2 = %+v", it.Questions[1])
	}
	if err := content.ValidateStudyItem(it); err != nil {
		t.Fatalf("parsed item invalid: %v", err)
	}

	bad := []struct{ text, want string }{
		{"随便写点什么\n再写一行", "第 1 行"},
		{"标题：测试 内容：五个张庙 题目：哪个？ A. 宜居张庙 B. 文明张庙 答案：A 解析：x", "各占一行"},
		{"标题：x\nA. 选项", "选项要写在"},
		{"标题：x\n答案：A", "要写在题目和选项之后"},
		{"标题：x\n题目：q\nA. 甲\nC. 丙", "顺序"},
		{"标题：x\n题目：q\nA. 甲\nB. 乙\n答案：甲", "选项字母"},
		{"标题：x\n题目：q\nA. 甲\nB. 乙\n题目：q2", "第 1 题还没有写“答案：”"},
		{"标题：x\n题目：q\nA. 甲\nB. 乙", "还没有写“答案：”"},
	}
	for _, tc := range bad {
		_, err := study.ParseItem(tc.text)
		msg, _ := communitybot.UserMessage(err)
		if !errors.Is(err, communitybot.ErrInvalid) || !strings.Contains(msg, tc.want) {
			t.Errorf("ParseItem(%q) = %v, want a message with %q", tc.text, err, tc.want)
		}
	}
}

func TestAddAndDeleteItems(t *testing.T) {
	f := newFixture(t, items(1))
	_, _, err := f.svc.AddItem(f.ctx, "标题：x\n内容：y\n题目：q\nA. 甲\nB. 甲\n答案：C\n解析：z")
	if msg, _ := communitybot.UserMessage(err); !strings.Contains(msg, "答案请写选项字母") && !strings.Contains(msg, "重复") {
		t.Fatalf("AddItem(bad) = %v", err)
	}
	_, _, err = f.svc.AddItem(f.ctx, "标题：x\n内容：y\n题目：q\nA. 甲\nB. 甲\n答案：B\n解析：z")
	if msg, _ := communitybot.UserMessage(err); !strings.Contains(msg, "重复") {
		t.Fatalf("AddItem(duplicate options) = %v", err)
	}
	it, reply, err := f.svc.AddItem(f.ctx, "标题：<新>\n内容：y\n题目：q\nA. 甲\nB. 乙\n答案：B\n解析：z")
	if err != nil || !strings.HasPrefix(it.ID, content.AddedStudyPrefix) || !strings.Contains(reply.Text, "&lt;新&gt;") {
		t.Fatalf("AddItem() = %+v, %q, %v", it, reply.Text, err)
	}
	if bank, _ := f.svc.Bank(f.ctx); len(bank) != 2 {
		t.Fatalf("bank has %d items", len(bank))
	}
	if err := f.svc.DeleteItem(f.ctx, "item-0"); err == nil {
		t.Fatal("deleted an item of the content file")
	}
	if err := f.svc.DeleteItem(f.ctx, it.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteItem(f.ctx, it.ID); !errors.Is(err, communitybot.ErrNotFound) {
		t.Fatalf("second delete = %v", err)
	}
}
