package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/bot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
	"github.com/zhangmiao/communitybot/delivery"
	"github.com/zhangmiao/communitybot/jobs"
	"github.com/zhangmiao/communitybot/scheduler"
	"github.com/zhangmiao/communitybot/storage"
)

// withDelivery wires the subscription and admin commands to a real
// delivery engine and scheduler that run beside the bot.
func withDelivery(engine **delivery.Engine, opts ...func(*jobs.Options)) harnessOption {
	return func(h *harness) {
		loc, _ := time.LoadLocation("Asia/Shanghai")
		if h.senderRate == 0 {
			h.senderRate, h.senderLimits = 500, [2]storage.RateLimit{{Rate: 100, Period: time.Second}, {Rate: 100, Period: time.Second}}
		}
		e := delivery.New(h.store, h.sender(), delivery.Config{
			ReadBlock:     200 * time.Millisecond,
			ProgressEvery: 100 * time.Millisecond, Location: loc, Logger: testLogger(),
		})
		s := scheduler.New(h.store, e, scheduler.Config{Location: loc, SweepEvery: 200 * time.Millisecond, Logger: testLogger()})
		registerSubscriptions(h)
		o := jobs.Options{Location: loc, Audit: h.audit()}
		for _, f := range opts {
			f(&o)
		}
		bot.RegisterAdminBroadcast(h.router, jobs.New(e, s, h.store, o), h.store)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{}, 2)
		go func() { e.Run(ctx); done <- struct{}{} }()
		go func() { s.Run(ctx); done <- struct{}{} }()
		h.t.Cleanup(func() { cancel(); <-done; <-done })
		*engine = e
	}
}

func (h *harness) makeAdmin(u tgtest.User) {
	h.t.Helper()
	if err := h.store.EnsureAdmins(context.Background(), []int64{u.ID}); err != nil {
		h.t.Fatal(err)
	}
}

func TestAnnounceReachesSubscribersAndReportsToTheAdmin(t *testing.T) {
	var engine *delivery.Engine
	h := newHarness(t, withDelivery(&engine))
	ctx := context.Background()
	admin := resident()
	h.makeAdmin(admin)
	adminChat := tgtest.PrivateChat(admin)
	var subs []tgtest.User
	for range 5 {
		u := resident()
		subs = append(subs, u)
		mustContain(t, "subscribe", h.ask(tgtest.PrivateChat(u), u, "/subscribe 公告").PlainText, "已订阅")
	}
	blocked := subs[4]
	h.api.SetBlocked(blocked.ID, true)

	// A resident cannot announce; nothing is stored.
	outsider := resident()
	r := h.ask(tgtest.PrivateChat(outsider), outsider, "/announce 假公告")
	mustContain(t, "resident /announce", r.PlainText, "仅限街道管理员")
	// Bad input from an admin changes nothing either.
	mustContain(t, "empty", h.ask(adminChat, admin, "/announce").PlainText, "公告内容不能为空")
	mustContain(t, "too long", h.ask(adminChat, admin, "/announce "+strings.Repeat("长", 4097)).PlainText, "太长了（4097 字）")
	if recent, _ := engine.Recent(ctx, 10); len(recent) != 0 {
		t.Fatalf("bad /announce created broadcasts: %+v", recent)
	}

	before := len(h.api.Sent(adminChat.ID))
	h.api.SendText(adminChat, admin, "/announce 本周六上午 9 点在社区活动中心 <体检>")
	for _, u := range subs[:4] {
		msgs, err := h.api.WaitSent(ctxT(t), u.ID, 2) // the subscribe reply, then the announcement
		if err != nil {
			t.Fatalf("subscriber %d: %v", u.ID, err)
		}
		mustContain(t, "announcement", msgs[1].PlainText, "张庙街道公告", "社区活动中心 <体检>")
	}
	if !eventuallyOK(func() bool {
		msgs := h.api.Sent(adminChat.ID)
		return len(msgs) == before+1 && strings.Contains(msgs[before].PlainText, "发送完成")
	}) {
		t.Fatalf("admin's report: %+v", h.api.Sent(adminChat.ID)[before:])
	}
	summary := h.api.Sent(adminChat.ID)[before].PlainText
	mustContain(t, "summary", summary, "共 5 位接收者", "送达 4", "1 位已屏蔽或移除机器人（已自动退订）")
	if got := h.topics(blocked.ID); len(got) != 0 {
		t.Errorf("blocked subscriber still subscribed: %v", got)
	}
	list := h.ask(adminChat, admin, "/broadcasts")
	mustContain(t, "/broadcasts", list.PlainText, "公告", "已完成", "共 5，送达 4，已屏蔽 1，失败 0")
}

func TestScheduleJobsAndCancel(t *testing.T) {
	var engine *delivery.Engine
	h := newHarness(t, withDelivery(&engine))
	ctx := context.Background()
	admin := resident()
	h.makeAdmin(admin)
	chat := tgtest.PrivateChat(admin)

	r := h.ask(chat, admin, "/schedule 2h 下午三点在居委会开会")
	mustContain(t, "/schedule 2h", r.PlainText, "已安排提醒 #", "订阅了「提醒」", "下午三点在居委会开会", "/cancel")
	r = h.ask(chat, admin, "/schedule 0 9 * * 1 每周一例会")
	mustContain(t, "/schedule cron", r.PlainText, "已创建周期提醒 #2：每周一 09:00", "下次", "（周一）09:00")
	for _, bad := range []struct{ cmd, want string }{
		{"/schedule 2020-01-01 09:00 过去", "已经过去了"},
		{"/schedule 61 9 * * 1 坏", "超出范围"},
		{"/schedule 下周 开会", "看不懂时间"},
		{"/schedule 213504d 溢出", "一年以内"},
		{"/schedule 30m", "提醒内容不能为空"},
		{"/cancel 999", "没有编号为 999 的提醒或定时任务"},
		{"/cancel", "请写上要取消的任务编号"},
	} {
		mustContain(t, bad.cmd, h.ask(chat, admin, bad.cmd).PlainText, bad.want)
	}
	jobs := h.ask(chat, admin, "/jobs")
	mustContain(t, "/jobs", jobs.PlainText, "提醒 #1 · 一次性", "提醒 #2 · 周期 · 每周一 09:00", "下次")
	mustContain(t, "/cancel 1", h.ask(chat, admin, "/cancel 1").PlainText, "已取消提醒 #1")
	if js, _ := h.store.Jobs(ctx); len(js) != 1 || js[0].ID != "2" {
		t.Errorf("jobs after cancel = %+v", js)
	}
	resident := resident()
	mustContain(t, "resident /jobs", h.ask(tgtest.PrivateChat(resident), resident, "/jobs").PlainText, "仅限街道管理员")
	mustContain(t, "resident /cancel", h.ask(tgtest.PrivateChat(resident), resident, "/cancel 2").PlainText, "仅限街道管理员")
	if js, _ := h.store.Jobs(ctx); len(js) != 1 {
		t.Errorf("a resident's /cancel changed the jobs: %+v", js)
	}

	// A one-off that fell due goes to the reminder subscribers.
	sub := resident
	h.ask(tgtest.PrivateChat(sub), sub, "/subscribe 提醒")
	before := len(h.api.Sent(sub.ID))
	if err := h.store.SaveJob(ctx, communitybot.ScheduledJob{ID: "50", At: time.Now().Add(time.Second).Truncate(time.Second), Text: "马上开会", CreatedAt: time.Now(), ReportTo: admin.ID}); err != nil {
		t.Fatal(err)
	}
	msgs, err := h.api.WaitSent(ctxT(t), sub.ID, before+1)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "reminder", msgs[before].PlainText, "提醒", "马上开会")
}

// TestScheduleShowsOneNumber: a reminder goes by one number — its job's —
// in the /schedule confirmation, /jobs, the progress message, the summary
// and /broadcasts, although its broadcast has a number of its own (an
// announcement took broadcast #1 first). The confirmation says the time
// in words.
func TestScheduleShowsOneNumber(t *testing.T) {
	var engine *delivery.Engine
	h := newHarness(t, withDelivery(&engine))
	ctx := context.Background()
	admin := resident()
	h.makeAdmin(admin)
	chat := tgtest.PrivateChat(admin)
	sub := resident()
	h.ask(tgtest.PrivateChat(sub), sub, "/subscribe 提醒")
	h.ask(tgtest.PrivateChat(sub), sub, "/subscribe 公告")

	before := len(h.api.Sent(chat.ID))
	h.api.SendText(chat, admin, "/announce 先发一条公告，占用群发 #1")
	if !eventuallyOK(func() bool {
		msgs := h.api.Sent(chat.ID)
		return len(msgs) > before && strings.Contains(msgs[len(msgs)-1].PlainText, "发送完成")
	}) {
		t.Fatal("the announcement's summary never came")
	}

	r := h.ask(chat, admin, "/schedule 下周一上午9点 社区例会")
	mustContain(t, "/schedule", r.PlainText, "已安排提醒 #1：将于", "（周一）09:00 发送", "都标为「提醒 #1」", "/cancel 1")
	mustContain(t, "/jobs", h.ask(chat, admin, "/jobs").PlainText, "提醒 #1 · 一次性", "（周一）09:00", "社区例会")

	// Every text the admin is shown from here on, edits included.
	events, unsubscribe := h.api.Subscribe()
	var shown []string
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for e := range events {
			if e.ChatID == chat.ID && (e.Kind == tgtest.EventMessageSent || e.Kind == tgtest.EventMessageEdited) {
				shown = append(shown, e.Message.PlainText)
			}
		}
	}()

	// Bring the reminder forward so that it fires now.
	j, err := h.store.Job(ctx, "1")
	if err != nil {
		t.Fatal(err)
	}
	j.At = time.Now().Add(time.Second).Truncate(time.Second)
	if err := h.store.SaveJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	before = len(h.api.Sent(chat.ID))
	var report string
	if !eventuallyOK(func() bool {
		msgs := h.api.Sent(chat.ID)
		if len(msgs) <= before {
			return false
		}
		report = msgs[before].PlainText
		// The progress message is edited into the summary.
		for _, m := range h.api.Sent(chat.ID)[before:] {
			if strings.Contains(m.PlainText, "发送完成") {
				report = m.PlainText
				return true
			}
		}
		return false
	}) {
		t.Fatalf("no summary of the reminder; last report: %s", report)
	}
	mustContain(t, "summary", report, "提醒 #1 发送完成")
	unsubscribe()
	<-collected
	if len(shown) == 0 {
		t.Fatal("no report was seen")
	}
	for _, text := range shown {
		if strings.Contains(text, "#2") || !strings.Contains(text, "提醒 #1") {
			t.Errorf("a report does not go by the reminder's number #1: %s", text)
		}
	}
	list := h.ask(chat, admin, "/broadcasts").PlainText
	mustContain(t, "/broadcasts", list, "提醒 #1", "公告 #1")
	if strings.Contains(list, "#2") {
		t.Errorf("/broadcasts shows the reminder's broadcast number: %s", list)
	}
}

// TestAnnounceAndScheduleWithoutSubscribers: an announcement to nobody is
// not sent (nor listed as a broadcast) and the admin is told why; /schedule
// says how many chats will get the reminder.
func TestAnnounceAndScheduleWithoutSubscribers(t *testing.T) {
	var engine *delivery.Engine
	h := newHarness(t, withDelivery(&engine))
	ctx := context.Background()
	admin := resident()
	h.makeAdmin(admin)
	chat := tgtest.PrivateChat(admin)

	r := h.ask(chat, admin, "/announce 周六上午社区体检")
	mustContain(t, "/announce to nobody", r.PlainText, "目前还没有居民或群订阅「公告」，这条公告没有发给任何人", "/subscribe")
	if recent, _ := engine.Recent(ctx, 10); len(recent) != 0 {
		t.Errorf("an announcement to nobody was stored: %+v", recent)
	}
	r = h.ask(chat, admin, "/schedule 2h 下午三点开会")
	mustContain(t, "/schedule to nobody", r.PlainText, "已安排提醒 #1", "目前还没有人订阅")

	u := resident()
	mustContain(t, "subscribe", h.ask(tgtest.PrivateChat(u), u, "/subscribe 提醒").PlainText, "已订阅")
	r = h.ask(chat, admin, "/schedule 3h 四点开会")
	mustContain(t, "/schedule", r.PlainText, "已安排提醒 #2", "（目前 1 个）")

	mustContain(t, "/unsubscribe unknown", h.ask(tgtest.PrivateChat(u), u, "/unsubscribe 不存在").PlainText, "没有找到“不存在”", "/mysubs")
}

// TestAnnounceWithoutSubscribersIsPublishedOnWeb: with the web page on, an
// announcement nobody on Telegram subscribes to is still recorded, for the
// page's 公告 tab, and the admin is told where it went.
func TestAnnounceWithoutSubscribersIsPublishedOnWeb(t *testing.T) {
	var engine *delivery.Engine
	h := newHarness(t, withDelivery(&engine, func(o *jobs.Options) { o.PublishedOnWeb = true }))
	admin := resident()
	h.makeAdmin(admin)
	r := h.ask(tgtest.PrivateChat(admin), admin, "/announce 周六上午社区体检")
	mustContain(t, "/announce with the web page", r.PlainText, "已发布在网页版", "没有 Telegram 居民或群订阅")
	recent, err := engine.Recent(context.Background(), 10)
	if err != nil || len(recent) != 1 || recent[0].Kind != communitybot.KindAnnouncement || !strings.Contains(recent[0].Reply.Text, "社区体检") {
		t.Fatalf("broadcast records = %+v, %v; want the announcement", recent, err)
	}
}
