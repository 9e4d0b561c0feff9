package bot_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/bot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
)

func TestSetStatusStoresHistoryAndPushes(t *testing.T) {
	e := newStaffEnv(t)
	ctx := context.Background()
	e.subscribeProject("elevator")

	r := e.adminSays("/setstatus 电梯加装 推进中 60% 3号楼电梯已完成井道施工，<b>下周</b>吊装")
	mustContain(t, "/setstatus reply", r.PlainText, "已更新", "电梯加装", "60%", "已推送")

	hist, err := e.store.ProjectHistory(ctx, "elevator", 10)
	if err != nil || len(hist) != 2 {
		t.Fatalf("history = %+v, %v; want the seed entry and the update", hist, err)
	}
	last := hist[1]
	if last.Status != communitybot.StatusInProgress || last.Progress != 60 || last.By != "王主任" ||
		last.Note != "3号楼电梯已完成井道施工，<b>下周</b>吊装" || last.At.IsZero() {
		t.Errorf("history entry = %+v", last)
	}

	bs := e.notifier.broadcasts()
	if len(bs) != 1 {
		t.Fatalf("broadcasts = %d, want 1", len(bs))
	}
	b := bs[0]
	if b.Kind != "project-update" || b.Topic != communitybot.ProjectTopic("elevator") || b.CreatedBy != e.admin.ID {
		t.Errorf("broadcast = %+v", b)
	}
	if !strings.Contains(b.Reply.Text, "&lt;b&gt;下周&lt;/b&gt;") || !strings.Contains(b.Reply.Text, "60%") {
		t.Errorf("broadcast text not escaped or lacks progress: %s", b.Reply.Text)
	}

	// A note keeps status and progress, and both show in /project.
	r = e.adminSays("/projectnote 4 本周六上午在小区广场召开加梯意见征询会")
	mustContain(t, "/projectnote reply", r.PlainText, "已更新", "电梯加装")
	u := resident()
	card := e.ask(tgtest.PrivateChat(u), u, "/project 电梯加装")
	mustContain(t, "/project after updates", card.PlainText, "推进中", "约 60%", "意见征询会", "街道工作人员",
		"3号楼电梯已完成井道施工，<b>下周</b>吊装", "更新记录", "2021年街道简报")
	if strings.Contains(card.PlainText, "王主任") {
		t.Errorf("staff member's name shown to residents:\n%s", card.PlainText)
	}
	if len(e.notifier.broadcasts()) != 2 {
		t.Errorf("the note was not pushed: %d broadcasts", len(e.notifier.broadcasts()))
	}

	if got := e.auditActions(); strings.Join(got, ",") != "setstatus elevator,projectnote elevator" {
		t.Errorf("audit = %q", got)
	}
}

// TestProjectUpdateDeliveredToSubscribers delivers through a stand-in for
// the delivery engine that sends with the real Sender, to check the pushed
// message as a subscriber reads it.
func TestProjectUpdateDeliveredToSubscribers(t *testing.T) {
	e := newStaffEnv(t)
	ctx := context.Background()
	e.notifier.deliver = func(ctx context.Context, b communitybot.Broadcast) error {
		return e.store.EachSubscriber(ctx, b.Topic, 100, func(ids []int64) error {
			for _, id := range ids {
				if _, err := e.sender().Post(ctx, id, b.Reply); err != nil {
					return err
				}
			}
			return nil
		})
	}
	sub, other := resident(), resident()
	e.ask(tgtest.PrivateChat(sub), sub, "/start")
	e.ask(tgtest.PrivateChat(other), other, "/start")
	if _, err := e.store.Subscribe(ctx, sub.ID, communitybot.ProjectTopic("overhead-cables")); err != nil {
		t.Fatal(err)
	}
	e.adminSays("/setstatus 架空线入地 已完工 100% 全部路段完工")
	msgs, err := e.api.WaitSent(ctxT(t), sub.ID, 2)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "push", msgs[1].PlainText, "项目动态：架空线入地", "已完工", "100%", "全部路段完工", "/project 5")
	if len(msgs[1].Buttons()) != 1 || msgs[1].Buttons()[0].CallbackData != "h:overhead-cables" {
		t.Errorf("push buttons = %+v", msgs[1].Buttons())
	}
	if n := len(e.api.Sent(other.ID)); n != 1 {
		t.Errorf("a non-subscriber got %d messages, want only the /start reply", n)
	}
}

func TestAdminCommandErrorsChangeNothing(t *testing.T) {
	e := newStaffEnv(t)
	ctx := context.Background()
	long := strings.Repeat("很长的说明", 201) // 1005 characters
	cases := []struct{ cmd, want string }{
		{"/setstatus 不存在的工程 推进中 说明", "没有找到项目"},
		{"/setstatus 99 推进中 说明", "没有编号为 99 的项目"},
		{"/setstatus 电梯加装 快完了 说明", "状态只能是"},
		{"/setstatus 电梯加装 推进中 150% 说明", "进度应为 0 到 100"},
		{"/setstatus 电梯加装 推进中 60%", "请写上说明"},
		{"/setstatus", "请写上项目、状态和说明"},
		{"/setstatus 电梯加装 推进中 " + long, "备注太长了（1005 字）"},
		{"/projectnote 不存在的工程 有新进展", "没有找到项目"},
		{"/projectnote 电梯加装 " + long, "备注太长了"},
		{"/projectnote 电梯加装", "请写上说明内容"},
		{"/addproject 只有名称", "请写上项目名称和简介"},
		{"/addproject 电梯加装 | 重名的项目", "已被项目 4"},
		{"/addproject 新项目 | 简介 | 加梯", "已被项目 4"},
		{"/answer Q-9999 答复", "没有编号为 Q-9999 的问题"},
		{"/answer abc 答复", "Q-0042"},
		{"/learn Q-9999 goals", "没有编号为 Q-9999 的问题"},
		{"/learn Q-9999", "请写上问题编号和要加入的话题"},
	}
	before, _ := e.store.ProjectHistory(ctx, "elevator", 100)
	projectsBefore, _ := e.store.Projects(ctx)
	for _, c := range cases {
		r := e.adminSays(c.cmd)
		if !strings.Contains(r.PlainText, c.want) {
			t.Errorf("%.60s: reply %q lacks %q", c.cmd, r.PlainText, c.want)
		}
		if strings.Contains(r.PlainText, "系统暂时出了点问题") {
			t.Errorf("%.60s: answered with the apology for an internal error", c.cmd)
		}
	}
	after, _ := e.store.ProjectHistory(ctx, "elevator", 100)
	projectsAfter, _ := e.store.Projects(ctx)
	if len(after) != len(before) || len(projectsAfter) != len(projectsBefore) {
		t.Errorf("bad commands changed state: history %d→%d, projects %d→%d", len(before), len(after), len(projectsBefore), len(projectsAfter))
	}
	if n := len(e.notifier.broadcasts()); n != 0 {
		t.Errorf("bad commands pushed %d broadcasts", n)
	}
	if got := e.auditActions(); len(got) != 0 {
		t.Errorf("bad commands were audited as actions: %q", got)
	}
}

func TestNonAdminsChangeNothing(t *testing.T) {
	e := newStaffEnv(t)
	ctx := context.Background()
	member := resident()
	if err := e.store.SetAccount(ctx, communitybot.Account{UserID: member.ID, Role: communitybot.RoleMember}); err != nil {
		t.Fatal(err)
	}
	// A ticket exists, so /answer and /learn have something to act on.
	asker := resident()
	e.ask(tgtest.PrivateChat(asker), asker, "居委会几点上班")

	before, _ := e.store.ProjectHistory(ctx, "elevator", 100)
	cmds := []string{
		"/setstatus 电梯加装 已完工 100% 完工了", "/projectnote 电梯加装 有新进展", "/addproject 口袋公园 | 简介",
		"/answer Q-0001 随便答", "/learn Q-0001 new 标题", "/tickets", "/stats", "/audit", "/topics",
	}
	for _, u := range []tgtest.User{resident(), member} {
		for _, c := range cmds {
			r := e.ask(tgtest.PrivateChat(u), u, c)
			mustContain(t, c, r.PlainText, "仅限街道管理员")
		}
	}
	// The same in the staff chat: a non-admin's reply to a ticket post.
	post := e.waitTicketPost(1)
	outsider := resident()
	before2 := len(e.api.Sent(e.staffChat.ID))
	e.api.ReplyText(e.staffChat, outsider, post.Model, "我来答：吃面")
	msgs, err := e.api.WaitSent(ctxT(t), e.staffChat.ID, before2+1)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "outsider reply", msgs[before2].PlainText, "仅限街道管理员")

	after, _ := e.store.ProjectHistory(ctx, "elevator", 100)
	projects, _ := e.store.Projects(ctx)
	tk, _ := e.store.Ticket(ctx, 1)
	if len(after) != len(before) || len(projects) != 7 || tk.Status != communitybot.TicketOpen || len(e.notifier.broadcasts()) != 0 {
		t.Errorf("non-admins changed state: history %d→%d, %d projects, ticket %s, %d broadcasts",
			len(before), len(after), len(projects), tk.Status, len(e.notifier.broadcasts()))
	}
	if got := len(e.api.Sent(asker.ID)); got != 1 {
		t.Errorf("the asker got %d messages, want only the fallback", got)
	}
	denied := 0
	for _, a := range e.auditActions() {
		if strings.HasPrefix(a, "denied ") {
			denied++
		}
	}
	if denied != 2*len(cmds) {
		t.Errorf("audit has %d denied entries, want %d: %q", denied, 2*len(cmds), e.auditActions())
	}
}

func TestAddProjectIsAnswerable(t *testing.T) {
	e := newStaffEnv(t)
	r := e.adminSays("/addproject 规划中 口袋 公园改造 | 在泗塘路口建设一处口袋公园，供居民休憩。 | 口袋公园、街心花园")
	mustContain(t, "/addproject", r.PlainText, "已新增项目 8", "口袋 公园改造", "规划中")

	u := resident()
	chat := tgtest.PrivateChat(u)
	for _, ref := range []string{"8", "口袋 公园改造", "街心花园", "project-8"} {
		card := e.ask(chat, u, "/project "+ref)
		mustContain(t, "/project "+ref, card.PlainText, "口袋 公园改造", "规划中", "供居民休憩")
	}
	list := e.ask(chat, u, "/projects")
	mustContain(t, "/projects", list.PlainText, "8. 口袋 公园改造")
	ans := e.ask(chat, u, "口袋公园现在进展怎么样")
	mustContain(t, "Q&A about the new project", ans.PlainText, "口袋 公园改造", "规划中")

	// A name with a space works in the admin commands too.
	r = e.adminSays("/projectnote 口袋 公园改造 方案已公示")
	mustContain(t, "/projectnote with a spaced name", r.PlainText, "已更新 8.「口袋 公园改造」", "方案已公示")
	r = e.adminSays("/setstatus 口袋 公园改造 推进中 10% 已开工")
	mustContain(t, "/setstatus with a spaced name", r.PlainText, "推进中", "10%")
	if got := e.auditActions(); strings.Join(got, ",") != "addproject project-8,projectnote project-8,setstatus project-8" {
		t.Errorf("audit = %q", got)
	}

	// It survives a redeploy.
	e.restart()
	ans = e.ask(chat, u, "街心花园什么时候建好")
	mustContain(t, "after restart", ans.PlainText, "口袋 公园改造")
}

func TestStatsAndAudit(t *testing.T) {
	e := newStaffEnv(t)
	ctx := context.Background()
	u1, u2 := resident(), resident()
	e.ask(tgtest.PrivateChat(u1), u1, "五个张庙是什么？")
	e.ask(tgtest.PrivateChat(u1), u1, "居委会几点上班")
	e.ask(tgtest.PrivateChat(u2), u2, "居委会几点上班")
	e.ask(tgtest.PrivateChat(u2), u2, "电梯加装进展怎么样")
	member := resident()
	if err := e.store.SetAccount(ctx, communitybot.Account{UserID: member.ID, Role: communitybot.RoleMember}); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []struct {
		chat  int64
		topic communitybot.Topic
	}{{u1.ID, communitybot.TopicAnnouncements}, {u2.ID, communitybot.TopicAnnouncements}, {u1.ID, communitybot.ProjectTopic("elevator")}} {
		if _, err := e.store.Subscribe(ctx, sub.chat, sub.topic); err != nil {
			t.Fatal(err)
		}
	}
	e.adminSays("/setstatus 4 推进中 50% 过半")

	s := e.adminSays("/stats")
	mustContain(t, "/stats", s.PlainText,
		"使用过的居民：累计约 3 人，今天 3 人，近 7 天 3 人", // two residents and the admin
		"登记党员 1 人，管理员 1 人",
		"公告 2，提醒 0，每日学习 0", "项目订阅：电梯加装 1",
		"今天：4 条，已回答 2 条（占街道相关问题的 50%）", "近 7 天：4 条，已回答 2 条（占街道相关问题的 50%）",
		"居委会几点上班（2 次）",
		"待答复问题：2 个",
		"最近推送", "—（推送功能接入后显示）", "党员学习", "—（学习功能接入后显示）")

	a := e.adminSays("/audit")
	mustContain(t, "/audit", a.PlainText, "王主任", "更新项目状态 4.「电梯加装」 [elevator]", "推进中，50%，说明：过半")
}

var metricLine = regexp.MustCompile(`(?m)^(communitybot_[a-z_]+(?:\{[^}]*\})?) ([0-9.e+-]+)$`)

// metricValues parses a /metrics page into series → value.
func metricValues(page string) map[string]float64 {
	out := map[string]float64{}
	for _, m := range metricLine.FindAllStringSubmatch(page, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		out[m[1]] = v
	}
	return out
}

func TestMetricsMoveWithTrafficAndFaults(t *testing.T) {
	e := newStaffEnv(t)
	before := metricValues(e.scrape())
	u := resident()
	e.ask(tgtest.PrivateChat(u), u, "五个张庙是什么？")
	e.ask(tgtest.PrivateChat(u), u, "居委会几点上班")
	e.ask(tgtest.PrivateChat(u), u, "今天午饭吃什么好")            // off-topic: neither answered nor a fallback
	e.ask(tgtest.PrivateChat(u), u, "/setstatus 4 推进中 说明") // refused: user_error
	e.waitStaffPost(1)

	// A Telegram fault: half of the sends fail with 500 and are retried.
	e.api.SetFaults(tgtest.Faults{Rate: 0.5, Kinds: []tgtest.Fault{tgtest.Fault500}, Methods: []string{"sendMessage"}, Seed: 3})
	for _, q := range []string{"五大行动", "六大板块是指？", "四个定位"} {
		e.ask(tgtest.PrivateChat(u), u, q)
	}
	e.api.SetFaults(tgtest.Faults{})
	if e.api.FaultsInjected() == 0 {
		t.Fatal("no fault injected; the test proves nothing")
	}

	// A counter may move just after the reply a test waited for (the
	// handler's own metrics are recorded when it returns), so poll.
	var page string
	moved := func(series string, atLeast float64) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			page = e.scrape()
			d := metricValues(page)[series] - before[series]
			if d >= atLeast {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("%s moved by %v, want at least %v", series, d, atLeast)
				return
			}
		}
	}
	moved(`communitybot_updates_handled_total{kind="text",outcome="ok"}`, 5)
	moved(`communitybot_updates_handled_total{kind="command:setstatus",outcome="user_error"}`, 1)
	moved(`communitybot_handler_duration_seconds_count{kind="text"}`, 5)
	moved(`communitybot_questions_total{result="answered"}`, 4)
	moved(`communitybot_questions_total{result="fallback"}`, 1)
	moved(`communitybot_questions_total{result="off_topic"}`, 1)
	moved(`communitybot_tickets_total{event="created"}`, 1)
	moved(`communitybot_tickets_total{event="posted"}`, 1)
	moved(`communitybot_telegram_calls_total{method="sendMessage",outcome="ok"}`, 6)
	moved(`communitybot_telegram_calls_total{method="sendMessage",outcome="retried"}`, float64(e.api.FaultsInjected()))
	moved(`communitybot_faults_total{source="telegram"}`, float64(e.api.FaultsInjected()))
	moved(`communitybot_admin_actions_total{action="denied"}`, 1)
	if _, ok := metricValues(page)[`communitybot_deliveries_total{result="delivered"}`]; ok {
		t.Errorf("deliveries counted with no delivery engine")
	}
	for _, want := range []string{`communitybot_queue_depth{queue="inbox"} `, "go_goroutines", "process_cpu_seconds_total"} {
		if !strings.Contains(page, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// The delivery engine's hook.
	e.metrics.ObserveDelivery("delivered")
	e.metrics.ObserveDelivery("failed")
	after2 := metricValues(e.scrape())
	if after2[`communitybot_deliveries_total{result="delivered"}`] != 1 || after2[`communitybot_faults_total{source="delivery"}`] != 1 {
		t.Errorf("delivery hook did not move the counters: %v", after2)
	}
}

// withRehandle makes the first handling of every update that carries one of
// the commands end as a temporary failure after the handler has done
// everything, reply included: the bot handles the update again, as it does
// after a crash between the reply and the inbox acknowledgement or after a
// reply that failed for a while.
func withRehandle(commands ...string) harnessOption {
	return func(h *harness) {
		var mu sync.Mutex
		handled := map[int64]bool{}
		h.router.Use(func(next bot.HandlerFunc) bot.HandlerFunc {
			return func(ctx context.Context, r *bot.Request) error {
				err := next(ctx, r)
				if err != nil || !slices.Contains(commands, r.Command) {
					return err
				}
				mu.Lock()
				first := !handled[r.UpdateID]
				handled[r.UpdateID] = true
				mu.Unlock()
				if first {
					return fmt.Errorf("test: handled but not acknowledged: %w", bot.ErrTemporary)
				}
				return nil
			}
		})
	}
}

// askRehandled sends text and returns the replies of its two handlings
// (see withRehandle).
func (h *harness) askRehandled(chat tgtest.Chat, user tgtest.User, text string) (first, second tgtest.Message) {
	h.t.Helper()
	before := len(h.api.Sent(chat.ID))
	h.api.SendText(chat, user, text)
	msgs, err := h.api.WaitSent(ctxT(h.t), chat.ID, before+2)
	if err != nil {
		h.t.Fatalf("%q: want a reply from each of two handlings: %v", text, err)
	}
	return msgs[before], msgs[before+1]
}

// sameReply fails the test unless a re-handled update replied what the
// first handling did.
func sameReply(t *testing.T, what string, first, second tgtest.Message) {
	t.Helper()
	if first.Text != second.Text || !slices.Equal(first.Buttons(), second.Buttons()) {
		t.Errorf("%s handled again replied differently:\nfirst:  %s %v\nsecond: %s %v", what, first.Text, first.Buttons(), second.Text, second.Buttons())
	}
}

// TestProjectCommandsHandledTwiceChangeOnce: /setstatus, /projectnote and
// /addproject handled a second time (crash before the acknowledgement, a
// reply that failed for a while) add no second history entry, audit line,
// push or project, and reply as the first time.
func TestProjectCommandsHandledTwiceChangeOnce(t *testing.T) {
	e := newStaffEnv(t, withRehandle("setstatus", "projectnote", "addproject"))
	ctx := context.Background()
	chat := tgtest.PrivateChat(e.admin)
	e.subscribeProject("elevator")

	first, second := e.askRehandled(chat, e.admin, "/setstatus 电梯加装 推进中 60% 3号楼电梯已完成井道施工")
	mustContain(t, "/setstatus", first.PlainText, "已更新", "已推送")
	sameReply(t, "/setstatus", first, second)
	first, second = e.askRehandled(chat, e.admin, "/projectnote 4 本周六上午召开加梯意见征询会")
	mustContain(t, "/projectnote", first.PlainText, "已更新", "意见征询会")
	sameReply(t, "/projectnote", first, second)
	if hist, err := e.store.ProjectHistory(ctx, "elevator", 10); err != nil || len(hist) != 3 {
		t.Errorf("history has %d entries, %v; want the seed entry and one per command", len(hist), err)
	}
	if n := len(e.notifier.broadcasts()); n != 2 {
		t.Errorf("%d project pushes, want 2 (one per command)", n)
	}

	projects, _ := e.store.Projects(ctx)
	first, second = e.askRehandled(chat, e.admin, "/addproject 口袋公园改造 | 在泗塘路口建设一处口袋公园")
	mustContain(t, "/addproject", first.PlainText, "已新增项目")
	sameReply(t, "/addproject", first, second)
	if after, _ := e.store.Projects(ctx); len(after) != len(projects)+1 {
		t.Errorf("%d projects after /addproject, want %d", len(after), len(projects)+1)
	}
	want := "setstatus elevator,projectnote elevator,addproject project-" + strconv.Itoa(len(projects)+1)
	if got := e.auditActions(); strings.Join(got, ",") != want {
		t.Errorf("audit = %q, want %q", got, want)
	}
}

// TestSetStatusWhoseReplyFailsChangesOnce: when Telegram refuses the reply
// for a while, the update is handled again until the reply goes out; the
// project changes, and is pushed, once.
func TestSetStatusWhoseReplyFailsChangesOnce(t *testing.T) {
	var handlings atomic.Int64
	e := newStaffEnv(t,
		withConfig(func(c *bot.Config) { c.HandlerTimeout = 2 * time.Second }), // the Sender gives up after 1s
		withRouter(func(rt *bot.Router) {
			rt.Use(func(next bot.HandlerFunc) bot.HandlerFunc {
				return func(ctx context.Context, r *bot.Request) error {
					if r.Command == "setstatus" {
						handlings.Add(1)
					}
					return next(ctx, r)
				}
			})
		}))
	chat := tgtest.PrivateChat(e.admin)
	e.subscribeProject("elevator")
	e.api.SetFaults(tgtest.Faults{Rate: 1, Methods: []string{"sendMessage"}})
	e.api.SendText(chat, e.admin, "/setstatus 电梯加装 推进中 60% 3号楼电梯已完成井道施工")
	eventually(t, func() bool { return handlings.Load() >= 3 }) // failed to reply twice, handled a third time
	e.api.SetFaults(tgtest.Faults{})
	msgs, err := e.api.WaitSent(ctxT(t), chat.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "/setstatus reply", msgs[0].PlainText, "已更新", "已推送")
	if hist, err := e.store.ProjectHistory(context.Background(), "elevator", 10); err != nil || len(hist) != 2 {
		t.Errorf("history has %d entries, %v; want the seed entry and one update", len(hist), err)
	}
	if n := len(e.notifier.broadcasts()); n != 1 {
		t.Errorf("%d project pushes, want 1", n)
	}
	if got := e.auditActions(); len(got) != 1 {
		t.Errorf("audit = %q, want one setstatus", got)
	}
}

// TestSetStatusProgressRules: a progress that is not a whole percentage
// is refused rather than read into the note; a bare number is the
// progress only when a note follows; going back to 规划中 withdraws the
// figure, 已完工 means 100%.
func TestSetStatusProgressRules(t *testing.T) {
	e := newStaffEnv(t)
	ctx := context.Background()
	u := resident()
	chat := tgtest.PrivateChat(u)
	progress := func() int {
		t.Helper()
		p, err := e.store.Project(ctx, "elevator")
		if err != nil {
			t.Fatal(err)
		}
		return p.Progress
	}
	hist, _ := e.store.ProjectHistory(ctx, "elevator", 100)

	for _, bad := range []struct{ cmd, want string }{
		{"/setstatus 4 推进中 50.5% 小数", "进度应为 0 到 100 之间的整数（例如 60%），收到的是“50.5%”"},
		{"/setstatus 4 推进中 六十% 说明", "进度应为 0 到 100 之间的整数"},
		{"/setstatus 4 推进中 60", "只写了“60”：如果这是进度，请在后面写上说明，例如 /setstatus 4 推进中 60% 说明"},
		{"/setstatus 4 已完工 90% 还差收尾", "“已完工”的进度应为 100%"},
	} {
		r := e.adminSays(bad.cmd)
		mustContain(t, bad.cmd, r.PlainText, bad.want, "用法：/setstatus")
	}
	if after, _ := e.store.ProjectHistory(ctx, "elevator", 100); len(after) != len(hist) {
		t.Fatalf("refused commands changed the history: %d → %d entries", len(hist), len(after))
	}

	r := e.adminSays("/setstatus 4 推进中 60 测试无百分号")
	mustContain(t, "bare progress", r.PlainText, "推进中，60%，说明：测试无百分号")
	if got := progress(); got != 60 {
		t.Fatalf("progress after a bare 60 = %d", got)
	}
	r = e.adminSays("/setstatus 4 推进中 2024 年底前完成")
	mustContain(t, "a number that is no progress", r.PlainText, "说明：2024 年底前完成")
	e.adminSays("/setstatus 4 暂停 等待居民意见")
	if got := progress(); got != 60 {
		t.Fatalf("暂停 without a progress changed it to %d", got)
	}

	r = e.adminSays("/setstatus 4 规划中 重新规划")
	mustContain(t, "back to planning", r.PlainText, "规划中，不再显示进度")
	if got := progress(); got != communitybot.NoProgress {
		t.Fatalf("progress after 规划中 = %d, want none", got)
	}
	card := e.ask(chat, u, "/project 4")
	mustContain(t, "/project after 规划中", card.PlainText, "状态：规划中", "进度：暂未公布具体数字", "重新规划")
	if strings.Contains(card.PlainText, "约 60%") {
		t.Errorf("规划中 still shows the old progress:\n%s", card.PlainText)
	}

	e.adminSays("/setstatus 4 已完工 全部完工")
	if got := progress(); got != 100 {
		t.Fatalf("progress after 已完工 = %d, want 100", got)
	}
	mustContain(t, "/project after 已完工", e.ask(chat, u, "/project 4").PlainText, "已完工", "100%")
}

// TestProjectUpdateWithoutSubscribers: with nobody subscribed the admin
// hears so and nothing is queued; with a subscriber it is pushed.
func TestProjectUpdateWithoutSubscribers(t *testing.T) {
	e := newStaffEnv(t)
	r := e.adminSays("/setstatus 4 推进中 60% 3号楼井道施工")
	mustContain(t, "no subscribers", r.PlainText, "目前还没有居民订阅这个项目，更新已保存，居民查询时就能看到。")
	if strings.Contains(r.PlainText, "已推送") || len(e.notifier.broadcasts()) != 0 {
		t.Fatalf("pushed to nobody: %q, %d broadcasts", r.PlainText, len(e.notifier.broadcasts()))
	}
	e.subscribeProject("elevator")
	r = e.adminSays("/projectnote 4 周六召开意见征询会")
	mustContain(t, "a subscriber", r.PlainText, "已推送给订阅该项目的居民")
	if n := len(e.notifier.broadcasts()); n != 1 {
		t.Errorf("%d broadcasts, want 1", n)
	}
}

// TestAddProjectRefusesUnreachableNames: a name or alias that is a topic's
// title, keyword or question (small talk included), or a mistyped status,
// is refused, and the greeting still gets its answer.
func TestAddProjectRefusesUnreachableNames(t *testing.T) {
	e := newStaffEnv(t)
	ctx := context.Background()
	for _, c := range []struct{ cmd, want string }{
		{"/addproject 新项目A | 简介 | 你好、谢谢", "“你好”与问答条目「"},
		{"/addproject 五个张庙 | 测试冲突", "“五个张庙”与问答条目「“五个张庙”」的标题相同"},
		{"/addproject 新项目B | 简介 | 口袋、A!", "“A!”太短了"},
		{"/addproject 开工 新项目 | 简介", "“开工”不是可用的状态"},
		{"/addproject 筹建中 新项目 | 简介", "“筹建中”不是可用的状态"},
		{"/addproject 蕰藻浜 | 简介", "检索关键词"},
	} {
		r := e.adminSays(c.cmd)
		mustContain(t, c.cmd, r.PlainText, c.want)
	}
	if ps, _ := e.store.Projects(ctx); len(ps) != 7 {
		t.Fatalf("%d projects after refused /addproject, want 7", len(ps))
	}
	u := resident()
	greet := e.ask(tgtest.PrivateChat(u), u, "你好")
	if strings.Contains(greet.PlainText, "新项目") {
		t.Errorf("a greeting answered with a project:\n%s", greet.PlainText)
	}
	// A status written right is taken, and a name may start with a word
	// that only looks like one when it is not separated.
	mustContain(t, "status given", e.adminSays("/addproject 推进中 口袋公园改造 | 在泗塘路口建设一处口袋公园").PlainText, "已新增项目 8", "推进中")
}

// TestDeleteProjectAndUnlearn: /delproject removes a staff-added project
// (never a content one, never reusing its number); /unlearn takes back
// what /learn taught, and the ticket can be learned again.
func TestDeleteProjectAndUnlearn(t *testing.T) {
	e := newStaffEnv(t)
	ctx := context.Background()
	u := resident()
	chat := tgtest.PrivateChat(u)

	mustContain(t, "content project", e.adminSays("/delproject 4").PlainText, "来自内容文件，不能在机器人里删除", "/setstatus 4 暂停")
	mustContain(t, "no argument", e.adminSays("/delproject").PlainText, "用法：/delproject")
	mustContain(t, "unknown", e.adminSays("/delproject 不存在的项目").PlainText, "没有找到项目")

	e.adminSays("/addproject 口袋公园改造 | 在泗塘路口建设一处口袋公园 | 街心花园")
	sub := e.subscribeProject("project-8")
	_ = sub
	mustContain(t, "/delproject 8", e.adminSays("/delproject 街心花园").PlainText, "已删除项目 8.「口袋公园改造」", "编号 8 不会再分给新项目")
	mustContain(t, "/project 8 after delete", e.ask(chat, u, "/project 8").PlainText, "没有")
	if n, _ := e.store.SubscriberCount(ctx, communitybot.ProjectTopic("project-8")); n != 0 {
		t.Errorf("the deleted project keeps %d subscribers", n)
	}
	if strings.Contains(e.ask(chat, u, "街心花园什么时候建好").PlainText, "口袋公园改造") {
		t.Error("the Q&A still answers with the deleted project")
	}
	mustContain(t, "next number", e.adminSays("/addproject 社区花园 | 在小区里建设一处花园").PlainText, "已新增项目 9")
	mustContain(t, "deleted again", e.adminSays("/delproject 8").PlainText, "没有编号为 8 的项目")

	// Teach the bot from a ticket, then take it back.
	q := "社区食堂几点开门"
	no := regexp.MustCompile(`Q-\d{4}`).FindString(e.ask(chat, u, q).PlainText)
	id := "learned-q" + strings.TrimLeft(no[2:], "0")
	e.adminSays("/answer " + no + " 社区食堂每天上午10点半开门。")
	mustContain(t, "/learn", e.adminSays("/learn "+no+" new 社区食堂营业时间").PlainText, "新建问答条目")
	fresh := resident()
	mustContain(t, "learned", e.ask(tgtest.PrivateChat(fresh), fresh, q).PlainText, "上午10点半开门")
	list := e.adminSays("/unlearn")
	mustContain(t, "/unlearn list", list.PlainText, id, "问答条目「社区食堂营业时间」，来自 "+no)
	mustContain(t, "/unlearn", e.adminSays("/unlearn "+id).PlainText, "已从问答库移出 "+id, "问题 "+no+" 以后可以重新用 /learn 加入")
	fresh = resident()
	if r := e.ask(tgtest.PrivateChat(fresh), fresh, q); strings.Contains(r.PlainText, "上午10点半开门") || !strings.Contains(r.PlainText, "问题编号") {
		t.Errorf("the Q&A still answers with the unlearned entry:\n%s", r.PlainText)
	}
	mustContain(t, "again", e.adminSays("/unlearn "+no).PlainText, "问答库里没有条目 "+id)
	mustContain(t, "bad ref", e.adminSays("/unlearn 午饭").PlainText, "用法：/unlearn")
	mustContain(t, "learn again", e.adminSays("/learn "+no+" contact-staff").PlainText, "已把 "+no+" 加入问答库，归在「联系工作人员」下")
}

// TestStatsShowsWhatResidentsTyped: the most repeated unanswered
// questions are shown as last typed (escaped), not in their normal form;
// off-topic questions are counted apart and not listed.
func TestStatsShowsWhatResidentsTyped(t *testing.T) {
	e := newStaffEnv(t)
	u1, u2 := resident(), resident()
	e.ask(tgtest.PrivateChat(u1), u1, "<b>居委会</b>几点上班")
	e.ask(tgtest.PrivateChat(u2), u2, "<b>居委会</b>几点上班！")
	e.ask(tgtest.PrivateChat(u1), u1, "今天午饭吃什么好")
	eventually(t, func() bool { // questions are recorded just after the reply
		n, _ := e.store.QuestionCountsDays(context.Background(), time.Now(), 1)
		return n.Asked == 3
	})
	s := e.adminSays("/stats")
	// The lunch question is off-topic: counted, never listed as a gap.
	mustContain(t, "/stats", s.PlainText, "1. <b>居委会</b>几点上班！（2 次）", "今天：3 条，已回答 0 条（占街道相关问题的 0%），与街道工作无关 1 条（已说明，不转交）")
	if strings.Contains(s.PlainText, "午饭") {
		t.Errorf("/stats lists an off-topic question as unanswered:\n%s", s.PlainText)
	}
	if strings.Contains(s.PlainText, "b居委会b") || !strings.Contains(s.Text, "&lt;b&gt;居委会&lt;/b&gt;几点上班！") {
		t.Errorf("/stats shows the normal form or unescaped text:\n%s", s.Text)
	}
}

// TestAskHandsQuestionToStaff: /ask makes a ticket at once, in a private
// chat or a group, posted to the staff chat and answered like any other.
func TestAskHandsQuestionToStaff(t *testing.T) {
	e := newStaffEnv(t)
	u := resident()
	chat := tgtest.PrivateChat(u)
	mustContain(t, "/ticket before", e.ask(chat, u, "/ticket").PlainText, "/ask")
	mustContain(t, "empty /ask", e.ask(chat, u, "/ask").PlainText, "请在 /ask 后面写上您的问题")
	mustContain(t, "long /ask", e.ask(chat, u, "/ask "+strings.Repeat("长", 501)).PlainText, "问题太长了（501 字）")
	// A question the Q&A could answer still goes to a person.
	r := e.ask(chat, u, "/ask 五个张庙是什么？我想听工作人员讲讲")
	mustContain(t, "/ask", r.PlainText, "已转交街道工作人员，问题编号 Q-0001", "/ticket Q-0001")
	post := e.waitTicketPost(1)
	mustContain(t, "staff post", post.PlainText, "Q-0001", "五个张庙是什么？我想听工作人员讲讲")
	mustContain(t, "same again", e.ask(chat, u, "/ask 五个张庙是什么？我想听工作人员讲讲").PlainText, "Q-0001")

	group := tgtest.SupergroupChat(-1009000000777, "泗塘一村居民群")
	r = e.ask(group, u, "/ask 小区门口的路灯坏了找谁修")
	mustContain(t, "/ask in a group", r.PlainText, "Q-0002")
	e.ask(chat, u, "/ask 第三个问题")
	mustContain(t, "cap", e.ask(chat, u, "/ask 第四个问题").PlainText, "您已有 3 个问题在等待工作人员答复")

	e.api.ReplyText(e.staffChat, e.admin, e.waitTicketPost(2).Model, "已报修，明天修好。")
	msgs, err := e.api.WaitSent(ctxT(t), group.ID, 2)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "relayed to the group", msgs[1].PlainText, "已报修，明天修好。")
}

// TestErrorsSayWhatToDo: refusals name the next step.
func TestErrorsSayWhatToDo(t *testing.T) {
	e := newStaffEnv(t)
	u := resident()
	e.ask(tgtest.PrivateChat(u), u, "居委会几点上班")
	mustContain(t, "/ticket abc", e.ask(tgtest.PrivateChat(u), u, "/ticket abc").PlainText, "Q-0042", "只发送 /ticket 可查看您的问题列表")
	mustContain(t, "/answer without text", e.adminSays("/answer Q-0001").PlainText, "请在编号后面写上答复内容", "用法：/answer Q-0042 答复内容")
	mustContain(t, "/answer bad number", e.adminSays("/answer abc 答复").PlainText, "Q-0042", "用法：/answer")
}

// TestSetStatusAcceptsStaffSynonyms: the words staff actually type for a
// status are stored, pushed and confirmed as one of the four.
func TestSetStatusAcceptsStaffSynonyms(t *testing.T) {
	e := newStaffEnv(t)
	ctx := context.Background()
	for _, tc := range []struct {
		word string
		want communitybot.ProjectStatus
	}{
		{"完成", communitybot.StatusDone}, {"完工", communitybot.StatusDone}, {"已完成", communitybot.StatusDone},
		{"进行中", communitybot.StatusInProgress}, {"在建", communitybot.StatusInProgress}, {"施工中", communitybot.StatusInProgress},
		{"计划中", communitybot.StatusPlanning}, {"筹备中", communitybot.StatusPlanning},
		{"停工", communitybot.StatusPaused}, {"暂缓", communitybot.StatusPaused},
	} {
		r := e.adminSays("/setstatus 电梯加装 " + tc.word + " 状态说明" + tc.word)
		mustContain(t, "/setstatus "+tc.word, r.PlainText, "已更新", string(tc.want))
		p, err := e.store.Project(ctx, "elevator")
		if err != nil || p.Status != tc.want || p.Note != "状态说明"+tc.word {
			t.Errorf("/setstatus 电梯加装 %s: project = %+v, %v; want status %s", tc.word, p, err, tc.want)
		}
	}
	mustContain(t, "unknown word", e.adminSays("/setstatus 电梯加装 快完了 说明").PlainText, "状态只能是", "完成、进行中")
	// /addproject reads its status through the same table.
	mustContain(t, "/addproject 在建", e.adminSays("/addproject 在建 口袋公园改造 | 在泗塘路口建设一处口袋公园").PlainText, "状态：推进中")
}
