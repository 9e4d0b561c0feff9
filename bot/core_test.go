package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot/qa/qatest"

	"github.com/go-telegram/bot/models"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/bot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
)

func TestStartHelpAndMenu(t *testing.T) {
	h := newHarness(t)
	u := resident()
	chat := tgtest.PrivateChat(u)

	start := h.ask(chat, u, "/start")
	mustContain(t, "/start", start.PlainText, "张庙街道社区助手", "/help")
	if len(start.Buttons()) < 4 {
		t.Fatalf("/start keyboard has %d buttons, want the topic menu", len(start.Buttons()))
	}
	for _, b := range start.Buttons() {
		if b.CallbackData == "" || len(b.CallbackData) > 64 {
			t.Errorf("button %q has callback data %q", b.Text, b.CallbackData)
		}
	}

	// The command menu is published with setMyCommands.
	if err := h.api.WaitUntil(ctxT(t), func() bool { return len(h.api.Commands(nil)) > 0 }); err != nil {
		t.Fatal("command menu never published")
	}
	got := map[string]bool{}
	for _, c := range h.api.Commands(nil) {
		got[c.Command] = true
		if c.Description == "" {
			t.Errorf("command %s has no description", c.Command)
		}
	}
	for _, want := range []string{"start", "help", "goals", "projects", "project"} {
		if !got[want] {
			t.Errorf("command menu lacks /%s: %v", want, got)
		}
	}

	help := h.ask(chat, u, "/help")
	mustContain(t, "/help", help.PlainText, "/projects", "/project", "/goals")

	goals := h.ask(chat, u, "/goals")
	mustContain(t, "/goals", goals.PlainText, "新时代人民社区")
}

func TestFreeTextAndFollowUps(t *testing.T) {
	h := newHarness(t)
	u := resident()
	chat := tgtest.PrivateChat(u)

	r := h.ask(chat, u, "五个张庙是什么？")
	mustContain(t, "五个张庙", r.PlainText, "美丽张庙", "和谐张庙", "宜居张庙", "智慧张庙", "活力张庙")

	r = h.ask(chat, u, "电梯加装进展怎么样")
	mustContain(t, "电梯加装进展", r.PlainText, "电梯加装", "推进中")

	r = h.ask(chat, u, "那架空线呢？")
	mustContain(t, "那架空线呢", r.PlainText, "架空线入地", "推进中")
	if strings.Contains(r.PlainText, "电梯加装") && !strings.Contains(r.PlainText, "架空线") {
		t.Errorf("follow-up answered about the previous project: %s", r.PlainText)
	}

	r = h.ask(chat, u, "什么时候完成")
	mustContain(t, "什么时候完成 (after 架空线)", r.PlainText, "架空线入地", "还没有公布")

	// Another user in another chat has no such context.
	other := resident()
	r = h.ask(tgtest.PrivateChat(other), other, "什么时候完成")
	mustContain(t, "什么时候完成 without context", r.PlainText, "您想了解哪个项目的完成时间")
	if len(r.Buttons()) == 0 {
		t.Error("no project buttons offered")
	}
}

func TestConversationSurvivesRestart(t *testing.T) {
	h := newHarness(t)
	u := resident()
	chat := tgtest.PrivateChat(u)
	h.ask(chat, u, "泗塘一村老旧公房成套改造现在怎么样了")
	h.restart()
	r := h.ask(chat, u, "什么时候能完工？")
	mustContain(t, "follow-up after restart", r.PlainText, "泗塘一村", "还没有公布")
}

func TestOffTopicFallbackIsRecorded(t *testing.T) {
	h := newHarness(t)
	u := resident()
	chat := tgtest.PrivateChat(u)
	r := h.ask(chat, u, "今天午饭吃什么好")
	mustContain(t, "off-topic", r.PlainText, "抱歉")
	if strings.Contains(r.PlainText, "五个张庙") {
		t.Errorf("off-topic question answered with campaign text: %s", r.PlainText)
	}
	// The record is written with the update's acknowledgement, just after
	// the reply: counted as off-topic, not listed for staff as a gap.
	eventually(t, func() bool {
		n, _ := h.store.QuestionCountsDays(context.Background(), time.Now(), 1)
		return n.Asked == 1
	})
	n, err := h.store.QuestionCountsDays(context.Background(), time.Now(), 1)
	if err != nil || n.OffTopic != 1 || n.Answered != 0 {
		t.Fatalf("QuestionCountsDays = %+v, %v; want the lunch question counted off-topic", n, err)
	}
	if qs, err := h.store.Unanswered(context.Background(), 10); err != nil || len(qs) != 0 {
		t.Fatalf("Unanswered = %+v, %v; want none (off-topic is not a gap for staff)", qs, err)
	}
}

func TestProjectsCommands(t *testing.T) {
	h := newHarness(t)
	u := resident()
	chat := tgtest.PrivateChat(u)

	list := h.ask(chat, u, "/projects")
	mustContain(t, "/projects", list.PlainText, "泗塘一村老旧公房成套改造", "电梯加装", "架空线入地", "社区养老", "推进中")
	if n := len(list.Buttons()); n != 7 {
		t.Errorf("/projects has %d buttons, want one per project (7)", n)
	}

	// Staff update shows up with its history.
	if err := h.store.UpdateProject(context.Background(), "elevator", communitybot.ProjectEvent{
		By: "街道管理办", Status: communitybot.StatusInProgress, Progress: 40, Note: "<b>3号楼</b> & 5号楼已开工",
	}); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"电梯加装", "4", "４", "加梯", "elevator"} {
		r := h.ask(chat, u, "/project "+ref)
		mustContain(t, "/project "+ref, r.PlainText, "电梯加装", "40%", "<b>3号楼</b> & 5号楼已开工", "更新记录", "2021年街道简报")
	}

	bad := h.ask(chat, u, "/project 不存在的工程")
	mustContain(t, "/project unknown", bad.PlainText, "没有找到", "/projects")
	empty := h.ask(chat, u, "/project")
	mustContain(t, "/project without argument", empty.PlainText, "/project 电梯加装")
	outOfRange := h.ask(chat, u, "/project 99")
	mustContain(t, "/project 99", outOfRange.PlainText, "没有编号为 99 的项目")
}

func TestButtons(t *testing.T) {
	h := newHarness(t)
	u := resident()
	chat := tgtest.PrivateChat(u)
	start := h.ask(chat, u, "/start")

	var topicData string
	for _, b := range start.Buttons() {
		if strings.HasPrefix(b.CallbackData, "t:") {
			topicData = b.CallbackData
			break
		}
	}
	if topicData == "" {
		t.Fatal("no topic button in /start")
	}
	r := h.press(chat, u, start, topicData)
	if r.PlainText == "" {
		t.Fatal("empty reply to a topic button")
	}
	answers := h.waitCallbackAnswers(1)
	if answers[0].Text != "" {
		t.Errorf("topic button answered with %q, want a silent answer", answers[0].Text)
	}

	list := h.ask(chat, u, "/projects")
	card := h.press(chat, u, list, list.Buttons()[3].CallbackData)
	mustContain(t, "project button", card.PlainText, "状态")

	// Forged or stale data: a polite alert, no message, no crash.
	for i, data := range []string{"p:no-such-project", "zz:1", "t:../../etc", "m:everything"} {
		before := len(h.api.Sent(chat.ID))
		h.api.PressButton(chat, u, start.Model, data)
		answers := h.waitCallbackAnswers(i + 3)
		last := answers[len(answers)-1]
		if !last.ShowAlert || !strings.Contains(last.Text, "/start") && !strings.Contains(last.Text, "/projects") {
			t.Errorf("forged %q answered %+v, want an alert pointing to /start or /projects", data, last)
		}
		if n := len(h.api.Sent(chat.ID)); n != before {
			t.Errorf("forged %q sent %d messages", data, n-before)
		}
	}
	// The bot still answers afterwards.
	r = h.ask(chat, u, "五大行动是什么")
	mustContain(t, "after forged buttons", r.PlainText, "学习大讨论")
}

func TestUnknownCommandAndCommandAddressing(t *testing.T) {
	h := newHarness(t)
	u := resident()
	chat := tgtest.PrivateChat(u)
	r := h.ask(chat, u, "/foo")
	mustContain(t, "/foo", r.PlainText, "没有 /foo 这个命令", "/help")

	r = h.ask(chat, u, "/foo<b>x</b>")
	if strings.Contains(r.Text, "<b>x</b>") {
		t.Errorf("echoed markup unescaped: %s", r.Text)
	}

	// A group with other bots.
	group := tgtest.GroupChat(-1001, "张庙居民群")
	before := len(h.api.Sent(group.ID))
	h.api.SendText(group, u, "/help@some_other_bot")
	h.api.SendText(group, u, "大家好，今天开会吗") // not addressed to the bot
	r = h.ask(group, u, "/help@"+h.api.Bot().Username)
	mustContain(t, "/help@ourbot", r.PlainText, "使用帮助")
	if n := len(h.api.Sent(group.ID)); n != before+1 {
		t.Fatalf("group got %d messages, want only the /help@ourbot reply", n-before)
	}
	if r.ReplyToMessageID == 0 {
		t.Error("group reply is not a reply to the user's message")
	}
	r = h.ask(group, u, "@"+h.api.Bot().Username+" 五个张庙是什么")
	mustContain(t, "mention in group", r.PlainText, "美丽张庙")
	// Replying to the bot's message also addresses it.
	before = len(h.api.Sent(group.ID))
	h.api.ReplyText(group, u, r.Model, "六大板块呢")
	msgs, err := h.api.WaitSent(ctxT(t), group.ID, before+1)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "reply to bot", msgs[before].PlainText, "美丽环保")
}

func TestCommandsAfterChineseAndEmoji(t *testing.T) {
	h := newHarness(t)
	u := resident()
	chat := tgtest.PrivateChat(u)
	r := h.ask(chat, u, "／projects")
	mustContain(t, "full-width slash", r.PlainText, "电梯加装")
	r = h.ask(chat, u, "/PROJECT 电梯加装")
	mustContain(t, "upper-case command", r.PlainText, "电梯加装")
	r = h.ask(chat, u, "👋 你好 /help")
	if strings.Contains(r.PlainText, "没有") && strings.Contains(r.PlainText, "命令") {
		t.Errorf("text with a slash later on treated as an unknown command: %s", r.PlainText)
	}
}

func TestPanicIsRecovered(t *testing.T) {
	h := newHarness(t, withRouter(func(rt *bot.Router) {
		rt.Command(bot.Command{Name: "boom", Hidden: true, Handle: func(ctx context.Context, r *bot.Request) error {
			panic("test panic")
		}})
	}))
	u := resident()
	chat := tgtest.PrivateChat(u)
	r := h.ask(chat, u, "/boom")
	mustContain(t, "panic", r.PlainText, "抱歉")
	r = h.ask(chat, u, "五个张庙")
	mustContain(t, "after panic", r.PlainText, "美丽张庙")
}

// TestRepliesSurviveFaults: with a fifth of all Bot API calls failing
// (429 with retry_after, 500, 502 from a proxy, timeouts), every question is
// still answered, and none twice.
func TestRepliesSurviveFaults(t *testing.T) {
	h := newHarness(t, withConfig(func(c *bot.Config) { c.RequestTimeout = time.Second }))
	h.api.SetFaults(tgtest.Faults{
		Rate:  0.2,
		Kinds: []tgtest.Fault{tgtest.Fault429, tgtest.Fault500, tgtest.FaultBadGateway, tgtest.FaultTimeout},
		// A timed-out call is held past the client's 1 s timeout.
		RetryAfter: 1, Seed: 7, TimeoutDelay: 3 * time.Second,
	})
	questions := []string{"五个张庙", "五大行动", "六大板块是指？", "工作主线是什么"}
	var users []tgtest.User
	for range 5 {
		users = append(users, resident())
	}
	for _, q := range questions {
		for _, u := range users {
			h.api.SendText(tgtest.PrivateChat(u), u, q)
		}
	}
	for _, u := range users {
		chat := tgtest.PrivateChat(u)
		msgs, err := h.api.WaitSent(ctxT(t), chat.ID, len(questions))
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range msgs[:len(questions)] {
			if m.PlainText == "" || strings.Contains(m.PlainText, "抱歉") {
				t.Errorf("chat %d reply %d: %q", chat.ID, i, m.PlainText)
			}
		}
	}
	h.api.SetFaults(tgtest.Faults{})
	for _, u := range users { // per-chat order: a duplicate would come before this marker's reply
		h.ask(tgtest.PrivateChat(u), u, "/projects")
		if n := h.api.DeliveryCount(u.ID); n != len(questions)+1 {
			t.Errorf("chat %d: %d messages delivered, want %d (no loss, no duplicates)", u.ID, n, len(questions)+1)
		}
	}
	if h.api.FaultsInjected() == 0 {
		t.Fatal("no faults were injected; the test proves nothing")
	}
	t.Logf("%d faults injected", h.api.FaultsInjected())
}

// TestQualityDataEndToEnd runs every question of both shared quality sets
// through the whole bot (fake Telegram, intake, Q&A, real Redis), each from
// a fresh user, and checks the reply a resident would read. dev2.json holds
// typos, traditional script, Latin-mixed questions, single facts, status
// without invented figures, facts the page lacks and off-topic questions.
func TestQualityDataEndToEnd(t *testing.T) {
	for _, path := range []string{"../qa/testdata/dev.json", "../qa/testdata/dev2.json"} {
		t.Run(path, func(t *testing.T) {
			cases, err := qatest.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			h := newHarness(t)
			passed := 0
			for _, c := range cases {
				u := resident()
				r := h.ask(tgtest.PrivateChat(u), u, c.Q)
				if why := c.Check(r.PlainText); why != "" {
					t.Errorf("%s: %q: %s\nreply: %s", c.ID, c.Q, why, r.PlainText)
					continue
				}
				passed++
			}
			t.Logf("%s end to end: %d/%d passed (%.1f%%)", path, passed, len(cases), 100*float64(passed)/float64(len(cases)))
		})
	}
}

var _ = models.Update{}

func TestForeignCommandInPrivateChat(t *testing.T) {
	h := newHarness(t)
	u := resident()
	r := h.ask(tgtest.PrivateChat(u), u, "/help@some_other_bot")
	mustContain(t, "/help@other in private", r.PlainText, "使用帮助")
}
