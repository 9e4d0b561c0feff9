package bot

import (
	"context"
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"

	"github.com/zhangmiao/communitybot"
)

// Broadcaster is what the admin commands need from the delivery engine.
type Broadcaster interface {
	Enqueue(ctx context.Context, b communitybot.Broadcast) (communitybot.Broadcast, error)
	Recent(ctx context.Context, n int) ([]communitybot.BroadcastStatus, error)
}

// JobScheduler is what the admin commands need from the scheduler.
type JobScheduler interface {
	// ScheduleMessage parses "<when> <text>" and stores a job that sends
	// the text to the 提醒 subscribers; errors carry user-safe messages.
	ScheduleMessage(ctx context.Context, args string, createdBy, reportTo int64) (communitybot.ScheduledJob, error)
	Jobs(ctx context.Context) ([]communitybot.ScheduledJob, error)
	// Cancel removes an admin job; ErrNotFound or ErrForbidden (built-in)
	// errors carry user-safe messages.
	Cancel(ctx context.Context, id string) (communitybot.ScheduledJob, error)
}

// AnnouncementText renders an admin's announcement as it is sent.
func AnnouncementText(text string) string {
	return "📢 <b>张庙街道公告</b>\n\n" + html.EscapeString(text)
}

// BroadcastStore is what the admins' broadcast commands keep and read
// besides the engine and the scheduler (storage.Store): their replies per
// update (see replyOnce) and how many chats subscribe to a topic.
type BroadcastStore interface {
	ReplyStore
	SubscriberCount(ctx context.Context, t communitybot.Topic) (int64, error)
}

// BroadcastOption changes how the admins' broadcast commands behave.
type BroadcastOption func(*adminBroadcast)

// PublishedOnWeb tells /announce that announcements are also read on the
// web page (its 公告 tab lists the broadcast records): an announcement
// with no Telegram subscriber is still recorded, for the page.
func PublishedOnWeb() BroadcastOption { return func(a *adminBroadcast) { a.web = true } }

// RegisterAdminBroadcast registers the admins' commands: /announce,
// /schedule, /jobs, /cancel and /broadcasts. The router checks the admin
// role before any of them runs. /announce, /schedule and /cancel change
// something: each takes effect, is audited and replies once per update.
func RegisterAdminBroadcast(rt *Router, engine Broadcaster, sched JobScheduler, store BroadcastStore, loc *time.Location, opts ...BroadcastOption) {
	if loc == nil {
		loc = time.UTC
	}
	a := &adminBroadcast{rt: rt, engine: engine, sched: sched, store: store, loc: loc}
	for _, o := range opts {
		o(a)
	}
	rt.Command(Command{Name: "announce", Description: "发布公告（管理员）：/announce 内容", Role: communitybot.RoleAdmin, Handle: a.announce})
	rt.Command(Command{Name: "schedule", Description: "定时提醒（管理员）：/schedule 时间 内容", Role: communitybot.RoleAdmin, Handle: a.schedule})
	rt.Command(Command{Name: "jobs", Description: "查看定时任务（管理员）", Role: communitybot.RoleAdmin, Handle: a.jobs})
	rt.Command(Command{Name: "cancel", Description: "取消定时任务（管理员）：/cancel 编号", Role: communitybot.RoleAdmin, Handle: a.cancel})
	rt.Command(Command{Name: "broadcasts", Description: "最近的群发记录（管理员）", Role: communitybot.RoleAdmin, Handle: a.broadcasts})
}

type adminBroadcast struct {
	rt     *Router
	engine Broadcaster
	sched  JobScheduler
	store  BroadcastStore
	loc    *time.Location
	web    bool // announcements are also shown on the web page (PublishedOnWeb)
}

// onceForUpdate makes what the handler creates idempotent per update: a
// crash after the broadcast is stored but before the update is
// acknowledged handles the update again, and must not announce twice.
func onceForUpdate(ctx context.Context, r *Request) context.Context {
	return communitybot.WithOnceKey(ctx, "update:"+strconv.FormatInt(r.UpdateID, 10))
}

func (a *adminBroadcast) announce(ctx context.Context, r *Request) error {
	if err := communitybot.CheckMessageText(r.Args, "公告内容", "/announce 本周六上午九点在社区活动中心举行志愿服务活动。"); err != nil {
		return err
	}
	return replyOnce(ctx, a.store, r, func(ctx context.Context) (communitybot.Reply, error) {
		n, countErr := a.store.SubscriberCount(ctx, communitybot.TopicAnnouncements)
		nobody := countErr == nil && n == 0
		if nobody && !a.web {
			// A broadcast to no one would only show "0 / 0" and clutter
			// /broadcasts; the audit log keeps what was meant to be said.
			a.rt.record(ctx, r, "announce", "", "（无人订阅，未发送）"+r.Args)
			return communitybot.Reply{Text: "目前还没有居民或群订阅「公告」，这条公告没有发给任何人。\n居民发送 /subscribe 即可订阅公告（群里由群管理员订阅）；有订阅者后，请重新发送 /announce。"}, nil
		}
		reportTo := r.ChatID
		if nobody {
			reportTo = 0 // a "0 of 0" summary would say nothing; the reply below does
		}
		b, err := a.engine.Enqueue(ctx, communitybot.Broadcast{
			Kind:      communitybot.KindAnnouncement,
			Topic:     communitybot.TopicAnnouncements,
			Reply:     communitybot.Reply{Text: AnnouncementText(r.Args)},
			CreatedBy: r.UserID,
			ReportTo:  reportTo,
		})
		if err != nil {
			return communitybot.Reply{}, err
		}
		a.rt.record(ctx, r, "announce", "#"+b.ID, r.Args)
		if nobody {
			return communitybot.Reply{Text: "公告已发布在网页版的「公告」页。目前还没有 Telegram 居民或群订阅「公告」，所以没有推送消息；居民发送 /subscribe 即可订阅。"}, nil
		}
		// The engine's first act is to post the progress message here,
		// so the admin sees one message that fills in, not two.
		return communitybot.Reply{}, nil
	})
}

func (a *adminBroadcast) schedule(ctx context.Context, r *Request) error {
	return replyOnce(ctx, a.store, r, func(ctx context.Context) (communitybot.Reply, error) {
		j, err := a.sched.ScheduleMessage(ctx, r.Args, r.UserID, r.ChatID)
		if err != nil {
			return communitybot.Reply{}, err
		}
		// The time as the bot understood it, in words, so that a misreading
		// (下午 taken for 上午, the wrong 周一) is caught now; and the one
		// number the reminder goes by in /jobs, /cancel and its reports.
		var b strings.Builder
		if j.Recurring() {
			fmt.Fprintf(&b, "✅ 已创建周期提醒 #%s：%s", j.ID, html.EscapeString(j.Every))
			if !j.Next.IsZero() {
				fmt.Fprintf(&b, "，下次 %s", a.when(j.Next))
			}
			b.WriteString(" 发送。\n")
		} else {
			fmt.Fprintf(&b, "✅ 已安排提醒 #%s：将于 %s 发送。\n", j.ID, a.when(j.At))
		}
		n, err := a.store.SubscriberCount(ctx, communitybot.TopicReminders)
		switch {
		case err != nil:
			b.WriteString("接收对象：订阅了「提醒」的居民和群。")
		case n == 0:
			b.WriteString("接收对象：订阅了「提醒」的居民和群，但目前还没有人订阅；到时仍无人订阅的话，这条提醒不会发给任何人。居民发送 /subscribe 即可订阅。")
		default:
			fmt.Fprintf(&b, "接收对象：订阅了「提醒」的居民和群（目前 %d 个）。", n)
		}
		fmt.Fprintf(&b, "发送时会告诉您进度和结果，都标为「提醒 #%s」。\n", j.ID)
		fmt.Fprintf(&b, "内容：%s\n\n查看全部定时任务：/jobs　取消：/cancel %s", html.EscapeString(truncate(j.Text, 200)), j.ID)
		when := a.when(j.At) + " 发送"
		if j.Recurring() {
			when = j.Every + "（" + j.Spec + "）"
		}
		a.rt.record(ctx, r, "schedule", "#"+j.ID, "“"+j.Text+"”，"+when)
		return communitybot.Reply{Text: b.String()}, nil
	})
}

func (a *adminBroadcast) when(t time.Time) string {
	return communitybot.FormatTime(t.In(a.loc), time.Now())
}

func (a *adminBroadcast) jobs(ctx context.Context, r *Request) error {
	jobs, err := a.sched.Jobs(ctx)
	if err != nil {
		return err
	}
	if len(jobs) == 0 {
		return r.Reply(ctx, communitybot.Reply{Text: "目前没有定时任务。用 /schedule 时间 内容 创建，例如：/schedule 明天上午9点 社区体检，请带好医保卡。"})
	}
	var b strings.Builder
	b.WriteString("<b>定时任务</b>\n")
	for _, j := range jobs {
		kind := "一次性"
		switch {
		case j.BuiltIn:
			kind = "内置 · " + html.EscapeString(j.Every)
		case j.Recurring():
			kind = "周期 · " + html.EscapeString(j.Every)
		}
		name := "提醒 #" + html.EscapeString(j.ID) // as in its confirmation and reports
		if j.BuiltIn {
			name = "#" + html.EscapeString(j.ID)
		}
		fmt.Fprintf(&b, "\n%s · %s", name, kind)
		if !j.Next.IsZero() {
			fmt.Fprintf(&b, " · 下次 %s", a.when(j.Next))
		} else {
			b.WriteString(" · 等待补发")
		}
		if j.Text != "" {
			fmt.Fprintf(&b, "\n　%s", html.EscapeString(truncate(j.Text, 40)))
		}
	}
	b.WriteString("\n\n取消：/cancel 提醒编号，例如 /cancel 3（内置任务由环境变量配置）")
	return r.Reply(ctx, communitybot.Reply{Text: b.String()})
}

func (a *adminBroadcast) cancel(ctx context.Context, r *Request) error {
	id := strings.TrimPrefix(strings.TrimSpace(r.Args), "#")
	if id == "" {
		return communitybot.Errorf(communitybot.ErrInvalid, "请写上要取消的任务编号，例如：/cancel 3。发送 /jobs 可查看全部定时任务。")
	}
	return replyOnce(ctx, a.store, r, func(ctx context.Context) (communitybot.Reply, error) {
		j, err := a.sched.Cancel(ctx, id)
		if err != nil {
			return communitybot.Reply{}, err
		}
		a.rt.record(ctx, r, "cancel", "#"+j.ID, j.Text)
		return communitybot.Reply{Text: fmt.Sprintf("已取消提醒 #%s：%s", html.EscapeString(j.ID), html.EscapeString(truncate(j.Text, 60)))}, nil
	})
}

func (a *adminBroadcast) broadcasts(ctx context.Context, r *Request) error {
	list, err := a.engine.Recent(ctx, 10)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return r.Reply(ctx, communitybot.Reply{Text: "还没有群发记录。用 /announce 内容 发布公告。"})
	}
	var b strings.Builder
	b.WriteString("<b>最近的群发</b>\n")
	for _, st := range list {
		state := "发送中"
		if st.Finished() {
			state = "已完成"
		}
		fmt.Fprintf(&b, "\n%s · %s · %s\n　共 %d，送达 %d，已屏蔽 %d，失败 %d", html.EscapeString(st.Label()),
			st.CreatedAt.In(a.loc).Format("01-02 15:04"), state, st.Total, st.Delivered, st.Blocked, st.Failed)
		if st.Skipped > 0 {
			fmt.Fprintf(&b, "，跳过 %d", st.Skipped)
		}
	}
	return r.Reply(ctx, communitybot.Reply{Text: b.String()})
}
