package bot_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/bot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
	"github.com/zhangmiao/communitybot/content"
	"github.com/zhangmiao/communitybot/membership"
	"github.com/zhangmiao/communitybot/study"
)

// studyHarness is the real bot with membership and the daily study
// registered, a settable study clock, and a stand-in for the delivery
// engine that sends through the real Sender, so members see the pushes
// exactly as Telegram would show them.
type studyHarness struct {
	*harness
	svc    *study.Service
	engine *sendingEngine
	clock  *testClock
	bank   []communitybot.StudyItem
}

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

// registerMembership registers roles and invites as cmd/communitybot
// does, telling users through the harness's Sender.
func registerMembership(h *harness, studyTime string) {
	dir := bot.NewDirectory(h.router, h.store, h.sender(), testLogger())
	cmds := membership.NewCommands(membership.New(h.store, membership.Options{}), membership.CommandOptions{
		Location: shanghai, StudyTime: studyTime, Notify: poster{h}, Menus: dir, Audit: h.audit(),
	})
	bot.RegisterMembership(h.router, cmds, dir, h.store)
}

func newStudyHarness(t *testing.T, opts ...harnessOption) *studyHarness {
	t.Helper()
	kb, err := content.Default()
	if err != nil {
		t.Fatal(err)
	}
	sh := &studyHarness{clock: &testClock{t: time.Date(2026, 1, 28, 10, 0, 0, 0, shanghai)}, bank: kb.Study}
	h := newHarness(t, append([]harnessOption{func(h *harness) {
		svc, err := study.New(h.store, kb.Study, study.Options{Location: shanghai, Now: sh.clock.Now, Audit: h.audit(), Logger: testLogger()})
		if err != nil {
			t.Fatal(err)
		}
		sh.svc = svc
		registerMembership(h, "08:00")
		bot.RegisterStudy(h.router, svc, h.store)
	}}, opts...)...)
	sh.harness = h
	// The bot's Sender: the one outgoing path, with its retries, as the
	// delivery engine uses it.
	sh.engine = &sendingEngine{h: h, sender: h.sender(), render: map[string]func(context.Context, int64) (communitybot.Reply, bool, error){
		study.BroadcastKind: sh.svc.Render,
	}}
	return sh
}

// sendingEngine stands in for issue 3's delivery engine: it sends a
// broadcast at once, rendering empty messages per recipient.
type sendingEngine struct {
	h      *harness
	sender *bot.Sender
	render map[string]func(context.Context, int64) (communitybot.Reply, bool, error)
	sent   []communitybot.Broadcast
}

func (e *sendingEngine) Enqueue(ctx context.Context, b communitybot.Broadcast) (communitybot.Broadcast, error) {
	audience := b.ChatIDs
	if len(audience) == 0 {
		if err := e.h.store.EachSubscriber(ctx, b.Topic, 100, func(ids []int64) error {
			audience = append(audience, ids...)
			return nil
		}); err != nil {
			return b, err
		}
	}
	for _, id := range audience {
		reply := b.Reply
		if reply.Text == "" {
			r, ok, err := e.render[b.Kind](ctx, id)
			if err != nil {
				return b, err
			}
			if !ok {
				continue
			}
			reply = r
		}
		if _, err := e.sender.Send(ctx, id, reply, bot.SendOptions{}); err != nil {
			return b, err
		}
	}
	b.ID = strconv.Itoa(len(e.sent) + 1)
	e.sent = append(e.sent, b)
	return b, nil
}

// pressed presses a button and returns how the bot answered the press.
func (h *harness) pressed(chat tgtest.Chat, u tgtest.User, msg tgtest.Message, data string) tgtest.CallbackAnswer {
	h.t.Helper()
	id := h.api.PressButton(chat, u, msg.Model, data).CallbackQuery.ID
	var got tgtest.CallbackAnswer
	err := h.api.WaitUntil(ctxT(h.t), func() bool {
		for _, a := range h.api.CallbackAnswers() {
			if a.QueryID == id {
				got = a
				return true
			}
		}
		return false
	})
	if err != nil {
		h.t.Fatalf("button %q never answered: %v", data, err)
	}
	return got
}

// waitEdited waits until a message has been edited n times and returns it.
func (h *harness) waitEdited(chatID int64, messageID, n int) tgtest.Message {
	h.t.Helper()
	var got tgtest.Message
	err := h.api.WaitUntil(ctxT(h.t), func() bool {
		for _, m := range h.api.Sent(chatID) {
			if m.MessageID == messageID && m.Edits >= n {
				got = m
				return true
			}
		}
		return false
	})
	if err != nil {
		h.t.Fatalf("message %d not edited %d times: %v", messageID, n, err)
	}
	return got
}

// fireDaily runs the daily job as the scheduler would and returns the
// prompt the member received.
func (sh *studyHarness) fireDaily(member tgtest.User) tgtest.Message {
	sh.t.Helper()
	before := len(sh.api.Sent(member.ID))
	job := sh.svc.Jobs(sh.engine)[0]
	if err := job.Run(ctxT(sh.t), sh.clock.Now()); err != nil {
		sh.t.Fatalf("daily job: %v", err)
	}
	msgs, err := sh.api.WaitSent(ctxT(sh.t), member.ID, before+1)
	if err != nil {
		sh.t.Fatalf("no study prompt: %v", err)
	}
	return msgs[before]
}

// correctData returns the callback data of the right and of a wrong
// option of a prompt, looked up in the content by the item the buttons name.
func (sh *studyHarness) correctData(prompt tgtest.Message) (right, wrong string) {
	sh.t.Helper()
	btns := prompt.Buttons()
	if len(btns) < 2 {
		sh.t.Fatalf("prompt has %d buttons", len(btns))
	}
	parts := strings.Split(btns[0].CallbackData, ":")
	q, _ := strconv.Atoi(parts[3])
	idx := slices.IndexFunc(sh.bank, func(it communitybot.StudyItem) bool { return it.ID == parts[2] })
	if idx < 0 {
		sh.t.Fatalf("prompt names unknown item %q", parts[2])
	}
	answer := sh.bank[idx].Questions[q].Answer
	for i, b := range btns {
		if i == answer {
			right = b.CallbackData
		} else if wrong == "" {
			wrong = b.CallbackData
		}
	}
	return right, wrong
}

func (sh *studyHarness) makeAdmin(u tgtest.User) {
	sh.t.Helper()
	if err := sh.store.SetAccount(context.Background(), communitybot.Account{UserID: u.ID, Role: communitybot.RoleAdmin}); err != nil {
		sh.t.Fatal(err)
	}
}

func commandNames(cmds []models.BotCommand) []string {
	var out []string
	for _, c := range cmds {
		out = append(out, c.Command)
	}
	return out
}

var joinLine = regexp.MustCompile(`/join ([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})`)

func TestStudyJourney(t *testing.T) {
	sh := newStudyHarness(t)
	admin := resident()
	admin.FirstName = "管理员"
	sh.makeAdmin(admin)
	adminChat := tgtest.PrivateChat(admin)
	u := resident()
	u.FirstName = "<张三>"
	chat := tgtest.PrivateChat(u)

	// Before joining: no member commands in /help, /study refused.
	help := sh.ask(chat, u, "/help")
	if strings.Contains(help.PlainText, "/study") || strings.Contains(help.PlainText, "/grant") || !strings.Contains(help.PlainText, "/join") {
		t.Fatalf("resident /help:\n%s", help.PlainText)
	}
	mustContain(t, "resident /study", sh.ask(chat, u, "/study").PlainText, "仅面向已登记的党员", "/join")

	// The admin makes an invite; the resident joins with it.
	inv := sh.ask(adminChat, admin, "/invite 第一党支部")
	m := joinLine.FindStringSubmatch(inv.PlainText)
	if m == nil {
		t.Fatalf("no /join line in the invite:\n%s", inv.PlainText)
	}
	welcome := sh.ask(chat, u, "/join "+strings.ToLower(m[1]))
	mustContain(t, "join", welcome.PlainText, "欢迎", "第一党支部", "08:00", "/study")
	if a, _ := sh.store.Account(context.Background(), u.ID); a.Role != communitybot.RoleMember || a.Branch != "第一党支部" {
		t.Fatalf("account after join: %+v", a)
	}
	menu := commandNames(sh.api.Commands(&models.BotCommandScopeChat{ChatID: u.ID}))
	for _, want := range []string{"study", "rank", "branchrank", "mystats", "help"} {
		if !slices.Contains(menu, want) {
			t.Errorf("member's menu lacks /%s: %v", want, menu)
		}
	}
	if slices.Contains(menu, "grant") || slices.Contains(menu, "invite") {
		t.Errorf("member's menu shows admin commands: %v", menu)
	}
	help = sh.ask(chat, u, "/help")
	mustContain(t, "member /help", help.PlainText, "/study", "/rank", "/mystats")
	if strings.Contains(help.PlainText, "/grant") {
		t.Errorf("member /help shows /grant")
	}
	// The code was single use.
	other := resident()
	mustContain(t, "reused code", sh.ask(tgtest.PrivateChat(other), other, "/join "+m[1]).PlainText, "已经被使用过了")

	// A resident subscribed to the study topic anyway gets no prompt.
	if _, err := sh.store.Subscribe(context.Background(), other.ID, communitybot.TopicStudy); err != nil {
		t.Fatal(err)
	}
	otherBefore := len(sh.api.Sent(other.ID))

	// 08:00: the job fires; the member receives today's prompt.
	prompt := sh.fireDaily(u)
	mustContain(t, "prompt", prompt.PlainText, "每日学习", "1月28日", sh.bank[0].Title)
	if n := len(sh.api.Sent(other.ID)); n != otherBefore {
		t.Errorf("a resident received %d study messages", n-otherBefore)
	}
	right, wrong := sh.correctData(prompt)

	// The right answer scores once; the message shows right/wrong and the
	// explanation.
	ans := sh.pressed(chat, u, prompt, right)
	if !strings.Contains(ans.Text, "回答正确") {
		t.Fatalf("answer toast %+v", ans)
	}
	edited := sh.waitEdited(u.ID, prompt.MessageID, 1)
	mustContain(t, "edited prompt", edited.PlainText, "回答正确", "本次获得 3 分", "解析", "✅（您的选择）")
	if len(edited.Buttons()) != 0 {
		t.Errorf("the answered prompt still has buttons")
	}
	// A second answer (another option of the same prompt) scores nothing.
	ans = sh.pressed(chat, u, prompt, wrong)
	if !strings.Contains(ans.Text, "不计分") {
		t.Fatalf("second answer toast %+v", ans)
	}
	edited = sh.waitEdited(u.ID, prompt.MessageID, 2)
	mustContain(t, "second answer", edited.PlainText, "已经作答过了", "不再计分")

	// /study shows the same item, already answered; no more points.
	again := sh.ask(chat, u, "/study")
	mustContain(t, "/study after answering", again.PlainText, sh.bank[0].Title, "已经作答过了")
	stats := sh.ask(chat, u, "/mystats")
	mustContain(t, "/mystats", stats.PlainText, "总积分：3 分", "第一党支部", "连续学习：1 天", "正确率 100%")

	// A second member, granted by @username, also studies.
	v := resident()
	v.Username, v.FirstName = "lisi_zm", "李四"
	vchat := tgtest.PrivateChat(v)
	sh.ask(vchat, v, "你好") // the bot learns @lisi_zm
	before := len(sh.api.Sent(v.ID))
	granted := sh.ask(adminChat, admin, "/grant @LiSi_ZM member 第二党支部")
	mustContain(t, "/grant", granted.PlainText, "李四", "@lisi_zm", "第二党支部", "党员")
	if msgs, err := sh.api.WaitSent(ctxT(t), v.ID, before+1); err != nil || !strings.Contains(msgs[before].PlainText, "第二党支部") {
		t.Fatalf("the new member was not told: %v", err)
	}
	vprompt := sh.ask(vchat, v, "/study")
	_, vwrong := sh.correctData(vprompt)
	if ans := sh.pressed(vchat, v, vprompt, vwrong); !strings.Contains(ans.Text, "回答错误") {
		t.Fatalf("wrong answer toast %+v", ans)
	}

	// The leaderboards show both, names escaped, with the member's place.
	rank := sh.ask(chat, u, "/rank")
	if !strings.Contains(rank.Text, "&lt;张三&gt;（您） · 3 分") || !strings.Contains(rank.PlainText, "李四 · 1 分") || !strings.Contains(rank.PlainText, "您：第 1 名 · 3 分") {
		t.Fatalf("/rank:\n%s", rank.Text)
	}
	sh.pressed(chat, u, rank, "rank:all")
	board := sh.waitEdited(u.ID, rank.MessageID, 1)
	mustContain(t, "all-time board", board.PlainText, "总积分榜", "您：第 1 名 · 3 分")
	br := sh.ask(vchat, v, "/branchrank")
	mustContain(t, "/branchrank", br.PlainText, "🥇 第一党支部 · 3 分", "第二党支部（本支部） · 1 分")

	// Monday 09:00: each branch gets last week's summary.
	sh.clock.Set(time.Date(2026, 2, 2, 9, 0, 0, 0, shanghai))
	before = len(sh.api.Sent(u.ID))
	if err := sh.svc.Jobs(sh.engine)[1].Run(ctxT(t), sh.clock.Now()); err != nil {
		t.Fatal(err)
	}
	msgs, err := sh.api.WaitSent(ctxT(t), u.ID, before+1)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "weekly summary", msgs[before].PlainText, "上周学习小结", "第一党支部", "1月26日—2月1日", "共获得 3 分", "<张三> · 3 分")
	if strings.Contains(msgs[before].PlainText, "李四") {
		t.Error("a branch's summary names another branch's member")
	}
}

func TestResidentCannotScoreOrRunAdminActions(t *testing.T) {
	sh := newStudyHarness(t)
	ctx := context.Background()
	admin := resident()
	sh.makeAdmin(admin)
	r := resident()
	chat := tgtest.PrivateChat(r)

	// Menus: the default one (residents) and the resident's chat have no
	// member or admin commands.
	start := sh.ask(chat, r, "/start")
	if err := sh.api.WaitUntil(ctxT(t), func() bool { return len(sh.api.Commands(nil)) > 0 }); err != nil {
		t.Fatal(err)
	}
	def := commandNames(sh.api.Commands(nil))
	for _, no := range []string{"study", "rank", "branchrank", "mystats", "grant", "revoke", "invite", "addstudy"} {
		if slices.Contains(def, no) {
			t.Errorf("the default menu shows /%s: %v", no, def)
		}
	}
	if own := sh.api.Commands(&models.BotCommandScopeChat{ChatID: r.ID}); len(own) != 0 {
		t.Errorf("a resident has a menu of their own: %v", commandNames(own))
	}
	help := sh.ask(chat, r, "/help")
	for _, no := range []string{"/study", "/rank", "/mystats", "/grant", "/invite", "/addstudy"} {
		if strings.Contains(help.PlainText, no) {
			t.Errorf("resident /help shows %s", no)
		}
	}

	// Member and admin commands are refused.
	for cmd, want := range map[string]string{
		"/study": "仅面向已登记的党员", "/rank": "仅面向已登记的党员", "/mystats": "仅面向已登记的党员",
		"/grant " + strconv.FormatInt(r.ID, 10) + " admin": "仅限街道管理员",
		"/invite 第一党支部":                                    "仅限街道管理员", "/addstudy 标题：x": "仅限街道管理员",
	} {
		mustContain(t, cmd, sh.ask(chat, r, cmd).PlainText, want)
	}
	if a, _ := sh.store.Account(ctx, r.ID); a.Role != communitybot.RoleResident {
		t.Fatalf("a resident changed their own role: %+v", a)
	}

	// A forged answer button for today's real item scores nothing.
	forged := fmt.Sprintf("quiz:20260128:%s:0:%d", sh.bank[0].ID, sh.bank[0].Questions[0].Answer)
	ans := sh.pressed(chat, r, start, forged)
	if !ans.ShowAlert || !strings.Contains(ans.Text, "仅面向已登记的党员") {
		t.Fatalf("forged answer answered %+v", ans)
	}
	if st, _ := sh.store.StudyStats(ctx, r.ID, ""); st.Points != 0 || st.Answered != 0 {
		t.Fatalf("a forged answer scored: %+v", st)
	}
	if _, ok, _ := sh.store.StudyAnswered(ctx, r.ID, "20260128"); ok {
		t.Fatal("a forged answer was recorded")
	}

	// A forged admin button (withdraw an invite) does nothing, for a
	// resident and for a member alike.
	inv := sh.ask(tgtest.PrivateChat(admin), admin, "/invite 第一党支部")
	code := strings.ReplaceAll(joinLine.FindStringSubmatch(inv.PlainText)[1], "-", "")
	if ans := sh.pressed(chat, r, start, "inv:x:"+code); !ans.ShowAlert || !strings.Contains(ans.Text, "仅限街道管理员") {
		t.Fatalf("resident's forged cancel answered %+v", ans)
	}
	m := resident()
	if _, _, err := membership.New(sh.store, membership.Options{}).Grant(ctx, admin.ID, m.ID, communitybot.RoleMember, "第二党支部"); err != nil {
		t.Fatal(err)
	}
	mchat := tgtest.PrivateChat(m)
	mstart := sh.ask(mchat, m, "/start")
	// Granted behind the bot's back (as ADMIN_IDS does, or a release that
	// changed the commands): the member's first message brings their menu.
	if menu := commandNames(sh.api.Commands(&models.BotCommandScopeChat{ChatID: m.ID})); !slices.Contains(menu, "study") {
		t.Errorf("member's menu after their first message: %v", menu)
	}
	if ans := sh.pressed(mchat, m, mstart, "inv:x:"+code); !ans.ShowAlert || !strings.Contains(ans.Text, "仅限街道管理员") {
		t.Fatalf("member's forged cancel answered %+v", ans)
	}
	// The invite still works.
	mustContain(t, "join after forged cancels", sh.ask(chat, r, "/join "+code).PlainText, "欢迎")

	// A member pressing a forged answer for an item that is not theirs
	// today scores nothing either.
	notTheirs := fmt.Sprintf("quiz:20260128:%s:0:0", sh.bank[5].ID)
	if ans := sh.pressed(mchat, m, mstart, notTheirs); !ans.ShowAlert || !strings.Contains(ans.Text, "不计分") {
		t.Fatalf("member's forged answer answered %+v", ans)
	}
	if st, _ := sh.store.StudyStats(ctx, m.ID, ""); st.Points != 0 {
		t.Fatalf("a forged answer scored: %+v", st)
	}
}

func TestStaleButtonGroupsAndRevoke(t *testing.T) {
	sh := newStudyHarness(t)
	ctx := context.Background()
	admin := resident()
	sh.makeAdmin(admin)
	m := resident()
	m.FirstName = "王五"
	chat := tgtest.PrivateChat(m)

	// An admin grants by replying to the member's message in a group.
	group := tgtest.GroupChat(-1009001, "第三党支部群")
	said := sh.api.SendText(group, m, "大家好")
	before := len(sh.api.Sent(group.ID))
	sh.api.ReplyText(group, admin, *said.Message, "/grant member 第三党支部")
	msgs, err := sh.api.WaitSent(ctxT(t), group.ID, before+1)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "grant by reply", msgs[before].PlainText, "王五", "第三党支部")
	// Invites and the study stay out of groups.
	mustContain(t, "/study in a group", sh.ask(group, m, "/study").PlainText, "私聊")
	mustContain(t, "/invite in a group", sh.ask(group, admin, "/invite 第三党支部").PlainText, "私聊")

	// Yesterday's prompt cannot be answered today.
	prompt := sh.ask(chat, m, "/study")
	right, _ := sh.correctData(prompt)
	sh.clock.Set(sh.clock.Now().Add(24 * time.Hour))
	ans := sh.pressed(chat, m, prompt, right)
	if !strings.Contains(ans.Text, "不计分") {
		t.Fatalf("stale answer toast %+v", ans)
	}
	edited := sh.waitEdited(m.ID, prompt.MessageID, 1)
	mustContain(t, "stale answer", edited.PlainText, "作答时间已过", "解析")
	if st, _ := sh.store.StudyStats(ctx, m.ID, ""); st.Answered != 0 || st.Points != 1 {
		t.Fatalf("stats after a stale answer: %+v, want only yesterday's reading point", st)
	}

	// Revoked: menu back to the default, no more study, no more pushes.
	if len(sh.api.Commands(&models.BotCommandScopeChat{ChatID: m.ID})) == 0 {
		t.Fatal("the member has no menu of their own")
	}
	mustContain(t, "/revoke", sh.ask(tgtest.PrivateChat(admin), admin, "/revoke "+strconv.FormatInt(m.ID, 10)).PlainText, "已撤销", "王五")
	if own := sh.api.Commands(&models.BotCommandScopeChat{ChatID: m.ID}); len(own) != 0 {
		t.Fatalf("a revoked member keeps the menu %v", commandNames(own))
	}
	mustContain(t, "/study after revoke", sh.ask(chat, m, "/study").PlainText, "仅面向已登记的党员")
	if got, _ := sh.store.SubscribedTopics(ctx, m.ID, []communitybot.Topic{communitybot.TopicStudy}); len(got) != 0 {
		t.Fatal("a revoked member is still subscribed to the study")
	}
	// Admins cannot lock themselves out.
	mustContain(t, "self revoke", sh.ask(tgtest.PrivateChat(admin), admin, "/revoke "+strconv.FormatInt(admin.ID, 10)).PlainText, "不能撤销自己")
}

func TestAddStudyEndToEnd(t *testing.T) {
	sh := newStudyHarness(t)
	admin := resident()
	sh.makeAdmin(admin)
	chat := tgtest.PrivateChat(admin)
	mustContain(t, "/addstudy usage", sh.ask(chat, admin, "/addstudy").PlainText, "标题：", "答案：A")
	bad := sh.ask(chat, admin, "/addstudy\n标题：五大行动\n内容：学习大讨论、工作大调研、干部大培训、能力大比武、岗位大建功。\n题目：哪一项是五大行动之一？\nA. 能力大比武\nB. 能力大比武\n答案：A\n解析：五大行动包括能力大比武。")
	mustContain(t, "bad /addstudy", bad.PlainText, "重复")
	ok := sh.ask(chat, admin, "/addstudy\n标题：五大行动\n内容：学习大讨论、工作大调研、干部大培训、能力大比武、岗位大建功。\n题目：哪一项是五大行动之一？\nA. 技能大赛\nB. 能力大比武\n答案：B\n解析：五大行动包括能力大比武。")
	mustContain(t, "/addstudy", ok.PlainText, "已加入学习题库", "add-1", fmt.Sprintf("题库现有 %d 条", len(sh.bank)+1))
	list := sh.ask(chat, admin, "/studylist")
	mustContain(t, "/studylist", list.PlainText, "add-1 五大行动")
	mustContain(t, "/delstudy", sh.ask(chat, admin, "/delstudy add-1").PlainText, "已从学习题库删除")
	mustContain(t, "/delstudy content item", sh.ask(chat, admin, "/delstudy "+sh.bank[0].ID).PlainText, "只能删除在机器人里添加的题目")
}

// TestMemberAndStudyCommandsHandledTwiceChangeOnce: /invite, /grant,
// /revoke, /addstudy and /delstudy handled a second time (crash before the
// acknowledgement, a reply that failed for a while) mint no second code,
// notify no one twice, add no second item, and reply as the first time.
func TestMemberAndStudyCommandsHandledTwiceChangeOnce(t *testing.T) {
	sh := newStudyHarness(t, withRehandle("invite", "grant", "revoke", "addstudy", "delstudy"))
	ctx := context.Background()
	admin := resident()
	sh.makeAdmin(admin)
	chat := tgtest.PrivateChat(admin)

	first, second := sh.askRehandled(chat, admin, "/invite 第一党支部")
	mustContain(t, "/invite", first.PlainText, "第一党支部", "/join")
	sameReply(t, "/invite", first, second) // one code, not two

	m := resident()
	m.FirstName = "赵六"
	sh.ask(tgtest.PrivateChat(m), m, "你好")
	id := strconv.FormatInt(m.ID, 10)
	notices := func() int { return len(sh.api.Sent(m.ID)) - 1 } // the first message answered 你好
	first, second = sh.askRehandled(chat, admin, "/grant "+id+" member 第二党支部")
	mustContain(t, "/grant", first.PlainText, "赵六", "第二党支部")
	sameReply(t, "/grant", first, second)
	if n := notices(); n != 1 {
		t.Errorf("the member was told %d times of the grant, want once", n)
	}
	first, second = sh.askRehandled(chat, admin, "/revoke "+id)
	mustContain(t, "/revoke", first.PlainText, "已撤销", "赵六")
	sameReply(t, "/revoke", first, second)
	if n := notices(); n != 2 {
		t.Errorf("the member got %d notices after grant and revoke, want 2", n)
	}

	first, second = sh.askRehandled(chat, admin, "/addstudy\n标题：五大行动\n内容：学习大讨论、工作大调研、干部大培训、能力大比武、岗位大建功。\n题目：哪一项是五大行动之一？\nA. 技能大赛\nB. 能力大比武\n答案：B\n解析：五大行动包括能力大比武。")
	mustContain(t, "/addstudy", first.PlainText, "已加入学习题库", "add-1")
	sameReply(t, "/addstudy", first, second)
	if items, err := sh.store.StudyItems(ctx); err != nil || len(items) != 1 {
		t.Errorf("study items added = %d, %v; want 1", len(items), err)
	}
	first, second = sh.askRehandled(chat, admin, "/delstudy add-1")
	mustContain(t, "/delstudy", first.PlainText, "已从学习题库删除")
	sameReply(t, "/delstudy", first, second)
}

// TestJoinByAdminsAndMembers: an admin redeeming an invite is told they
// need none and how to take a branch, and the code stays usable; a member
// with another branch's code moves there and is told what happens to
// their points.
func TestJoinByAdminsAndMembers(t *testing.T) {
	sh := newStudyHarness(t)
	admin := resident()
	sh.makeAdmin(admin)
	adminChat := tgtest.PrivateChat(admin)
	code := joinLine.FindStringSubmatch(sh.ask(adminChat, admin, "/invite 一支部").PlainText)[1]

	r := sh.ask(adminChat, admin, "/join "+code)
	mustContain(t, "admin /join", r.PlainText, "您已经是管理员，无需使用邀请码", "仍可转给要登记的党员",
		fmt.Sprintf("/grant %d admin 一支部", admin.ID))
	if a, _ := sh.store.Account(context.Background(), admin.ID); a.Role != communitybot.RoleAdmin || a.Branch != "" {
		t.Fatalf("admin account after /join: %+v", a)
	}
	u := resident()
	mustContain(t, "the code is still good", sh.ask(tgtest.PrivateChat(u), u, "/join "+code).PlainText, "欢迎", "一支部")

	code2 := joinLine.FindStringSubmatch(sh.ask(adminChat, admin, "/invite 二支部").PlainText)[1]
	r = sh.ask(tgtest.PrivateChat(u), u, "/join "+code2)
	mustContain(t, "member moves", r.PlainText, "您已从「一支部」转入「二支部」", "个人积分和连续学习天数都保留", "计入「二支部」")
}

// TestJoinIsListedForResidentsOnly: /join is in residents' menu and /help,
// not in members' or admins' (it still answers them).
func TestJoinIsListedForResidentsOnly(t *testing.T) {
	sh := newStudyHarness(t)
	ctx := context.Background()
	r, m, a := resident(), resident(), resident()
	sh.makeAdmin(a)
	if err := sh.store.SetAccount(ctx, communitybot.Account{UserID: m.ID, Role: communitybot.RoleMember, Branch: "一支部"}); err != nil {
		t.Fatal(err)
	}
	mustContain(t, "resident /help", sh.ask(tgtest.PrivateChat(r), r, "/help").PlainText, "/join")
	for _, u := range []tgtest.User{m, a} {
		help := sh.ask(tgtest.PrivateChat(u), u, "/help")
		if strings.Contains(help.PlainText, "/join") {
			t.Errorf("/help of %d lists /join:\n%s", u.ID, help.PlainText)
		}
		menu := commandNames(sh.api.Commands(&models.BotCommandScopeChat{ChatID: u.ID}))
		if len(menu) == 0 || slices.Contains(menu, "join") {
			t.Errorf("menu of %d: %v", u.ID, menu)
		}
	}
	if def := commandNames(sh.api.Commands(nil)); !slices.Contains(def, "join") {
		t.Errorf("the residents' menu lacks /join: %v", def)
	}
	mustContain(t, "member /join still answers", sh.ask(tgtest.PrivateChat(m), m, "/join").PlainText, "请在 /join 后面写上邀请码")
}

// TestStudyAdminCommandsExplainThemselves: /reloadstudy without a content
// file says what it needs; /addstudy on one line says to use lines.
func TestStudyAdminCommandsExplainThemselves(t *testing.T) {
	sh := newStudyHarness(t)
	admin := resident()
	sh.makeAdmin(admin)
	chat := tgtest.PrivateChat(admin)
	mustContain(t, "/reloadstudy", sh.ask(chat, admin, "/reloadstudy").PlainText, "CONTENT_FILE", "/addstudy")
	r := sh.ask(chat, admin, "/addstudy 标题：测试 内容：五个张庙 题目：哪个？ A. 宜居张庙 B. 文明张庙 答案：A 解析：x")
	mustContain(t, "one-line /addstudy", r.PlainText, "各占一行", "标题：“五个张庙”", "答案：A")
	if bank, _ := sh.svc.Bank(context.Background()); len(bank) != len(sh.bank) {
		t.Errorf("the bank changed: %d items", len(bank))
	}
}
