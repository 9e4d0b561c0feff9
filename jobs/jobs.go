// Package jobs is what admins send to many chats and when: /announce (now,
// to the 公告 subscribers), /schedule (a reminder to the 提醒 subscribers,
// once or recurring), /jobs and /cancel (the scheduled jobs), and
// /broadcasts (the latest broadcasts and how their delivery went). It
// decides and words every answer and records each change in the audit
// log; the delivery engine sends, the scheduler keeps time (both behind
// small interfaces declared here). It knows no channel: it takes the
// caller (communitybot.Caller) and what they typed and returns a
// communitybot.Reply or an error with a user-safe message.
package jobs

import (
	"context"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/zhangmiao/communitybot"
)

// Broadcaster is what the commands need from the delivery engine.
type Broadcaster interface {
	// Enqueue stores a broadcast for delivery; under a once key
	// (communitybot.WithOnceKey) the same key enqueues once.
	Enqueue(ctx context.Context, b communitybot.Broadcast) (communitybot.Broadcast, error)
	Recent(ctx context.Context, n int) ([]communitybot.BroadcastStatus, error)
}

// Scheduler is what the commands need from the scheduler.
type Scheduler interface {
	// ScheduleMessage parses "<when> <text>" and stores a job that sends
	// the text to the 提醒 subscribers; errors carry user-safe messages.
	ScheduleMessage(ctx context.Context, args string, createdBy, reportTo int64) (communitybot.ScheduledJob, error)
	Jobs(ctx context.Context) ([]communitybot.ScheduledJob, error)
	// Cancel removes an admin job; ErrNotFound or ErrForbidden (built-in)
	// errors carry user-safe messages.
	Cancel(ctx context.Context, id string) (communitybot.ScheduledJob, error)
}

// Store counts a topic's subscribers (storage.Store).
type Store interface {
	SubscriberCount(ctx context.Context, t communitybot.Topic) (int64, error)
}

// Auditor records admin actions (staff.Service). Record must not fail the
// action it records.
type Auditor interface {
	Record(ctx context.Context, e communitybot.AuditEntry)
}

// Options configure a Service.
type Options struct {
	// Location is where times are read and shown; UTC when nil.
	Location *time.Location
	// PublishedOnWeb tells /announce that announcements are also read on
	// the web page (its 公告 tab lists the broadcast records): an
	// announcement with no subscriber is still recorded, for the page.
	PublishedOnWeb bool
	// Audit records every change; nil records nothing.
	Audit Auditor
	// Now replaces the clock (tests).
	Now func() time.Time
}

// Service serves the admins' broadcast and job commands. The channel
// checks that the caller is an admin before any of them runs; the ones
// that change something (Announce, Schedule, Cancel) should run once per
// incoming message (the channel's duty: a handled-again update must get
// the first reply, and runs under a once key so the broadcast is stored
// once).
type Service struct {
	engine Broadcaster
	sched  Scheduler
	store  Store
	opts   Options
}

// New returns a Service.
func New(engine Broadcaster, sched Scheduler, store Store, o Options) *Service {
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{engine: engine, sched: sched, store: store, opts: o}
}

func (s *Service) audit(ctx context.Context, by communitybot.Caller, action, target, detail string) {
	if s.opts.Audit != nil {
		s.opts.Audit.Record(ctx, by.Audit(action, target, detail))
	}
}

// AnnouncementText renders an admin's announcement as it is sent.
func AnnouncementText(text string) string {
	return "📢 <b>张庙街道公告</b>\n\n" + html.EscapeString(text)
}

// Announce sends text now to the 公告 subscribers (/announce <text>). The
// delivery engine reports progress to the caller's chat in a message of
// its own, so the reply is empty unless there is nobody to send to.
func (s *Service) Announce(ctx context.Context, by communitybot.Caller, text string) (communitybot.Reply, error) {
	if err := communitybot.CheckMessageText(text, "公告内容", "/announce 本周六上午九点在社区活动中心举行志愿服务活动。"); err != nil {
		return communitybot.Reply{}, err
	}
	n, countErr := s.store.SubscriberCount(ctx, communitybot.TopicAnnouncements)
	nobody := countErr == nil && n == 0
	if nobody && !s.opts.PublishedOnWeb {
		// A broadcast to no one would only show "0 / 0" and clutter
		// /broadcasts; the audit log keeps what was meant to be said.
		s.audit(ctx, by, "announce", "", "（无人订阅，未发送）"+text)
		return communitybot.Reply{Text: "目前还没有居民或群订阅「公告」，这条公告没有发给任何人。\n居民发送 /subscribe 即可订阅公告（群里由群管理员订阅）；有订阅者后，请重新发送 /announce。"}, nil
	}
	reportTo := by.ChatID
	if nobody {
		reportTo = 0 // a "0 of 0" summary would say nothing; the reply below does
	}
	b, err := s.engine.Enqueue(ctx, communitybot.Broadcast{
		Kind:      communitybot.KindAnnouncement,
		Topic:     communitybot.TopicAnnouncements,
		Reply:     communitybot.Reply{Text: AnnouncementText(text)},
		CreatedBy: by.UserID,
		ReportTo:  reportTo,
	})
	if err != nil {
		return communitybot.Reply{}, err
	}
	s.audit(ctx, by, "announce", "#"+b.ID, text)
	if nobody {
		return communitybot.Reply{Text: "公告已发布在网页版的「公告」页。目前还没有 Telegram 居民或群订阅「公告」，所以没有推送消息；居民发送 /subscribe 即可订阅。"}, nil
	}
	// The engine's first act is to post the progress message to the
	// caller, so the admin sees one message that fills in, not two.
	return communitybot.Reply{}, nil
}

// Schedule stores a reminder to the 提醒 subscribers (/schedule <when>
// <text>) and says when it will be sent, in words, so that a misreading
// (下午 taken for 上午, the wrong 周一) is caught now, with the one number
// the reminder goes by in /jobs, /cancel and its reports.
func (s *Service) Schedule(ctx context.Context, by communitybot.Caller, args string) (communitybot.Reply, error) {
	j, err := s.sched.ScheduleMessage(ctx, args, by.UserID, by.ChatID)
	if err != nil {
		return communitybot.Reply{}, err
	}
	var b strings.Builder
	if j.Recurring() {
		fmt.Fprintf(&b, "✅ 已创建周期提醒 #%s：%s", j.ID, html.EscapeString(j.Every))
		if !j.Next.IsZero() {
			fmt.Fprintf(&b, "，下次 %s", s.when(j.Next))
		}
		b.WriteString(" 发送。\n")
	} else {
		fmt.Fprintf(&b, "✅ 已安排提醒 #%s：将于 %s 发送。\n", j.ID, s.when(j.At))
	}
	n, err := s.store.SubscriberCount(ctx, communitybot.TopicReminders)
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
	when := s.when(j.At) + " 发送"
	if j.Recurring() {
		when = j.Every + "（" + j.Spec + "）"
	}
	s.audit(ctx, by, "schedule", "#"+j.ID, "“"+j.Text+"”，"+when)
	return communitybot.Reply{Text: b.String()}, nil
}

func (s *Service) when(t time.Time) string {
	return communitybot.FormatTime(t.In(s.opts.Location), s.opts.Now())
}

// Jobs lists the scheduled jobs, admins' and built-in, with their
// schedule in words and their next run (/jobs).
func (s *Service) Jobs(ctx context.Context) (communitybot.Reply, error) {
	jobs, err := s.sched.Jobs(ctx)
	if err != nil {
		return communitybot.Reply{}, err
	}
	if len(jobs) == 0 {
		return communitybot.Reply{Text: "目前没有定时任务。用 /schedule 时间 内容 创建，例如：/schedule 明天上午9点 社区体检，请带好医保卡。"}, nil
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
			fmt.Fprintf(&b, " · 下次 %s", s.when(j.Next))
		} else {
			b.WriteString(" · 等待补发")
		}
		if j.Text != "" {
			fmt.Fprintf(&b, "\n　%s", html.EscapeString(truncate(j.Text, 40)))
		}
	}
	b.WriteString("\n\n取消：/cancel 提醒编号，例如 /cancel 3（内置任务由环境变量配置）")
	return communitybot.Reply{Text: b.String()}, nil
}

// Cancel removes an admin's job (/cancel <id>).
func (s *Service) Cancel(ctx context.Context, by communitybot.Caller, args string) (communitybot.Reply, error) {
	id := strings.TrimPrefix(strings.TrimSpace(args), "#")
	if id == "" {
		return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrInvalid, "请写上要取消的任务编号，例如：/cancel 3。发送 /jobs 可查看全部定时任务。")
	}
	j, err := s.sched.Cancel(ctx, id)
	if err != nil {
		return communitybot.Reply{}, err
	}
	s.audit(ctx, by, "cancel", "#"+j.ID, j.Text)
	return communitybot.Reply{Text: fmt.Sprintf("已取消提醒 #%s：%s", html.EscapeString(j.ID), html.EscapeString(truncate(j.Text, 60)))}, nil
}

// Broadcasts lists the latest broadcasts with delivered / blocked / failed
// counts (/broadcasts).
func (s *Service) Broadcasts(ctx context.Context) (communitybot.Reply, error) {
	list, err := s.engine.Recent(ctx, 10)
	if err != nil {
		return communitybot.Reply{}, err
	}
	if len(list) == 0 {
		return communitybot.Reply{Text: "还没有群发记录。用 /announce 内容 发布公告。"}, nil
	}
	var b strings.Builder
	b.WriteString("<b>最近的群发</b>\n")
	for _, st := range list {
		state := "发送中"
		if st.Finished() {
			state = "已完成"
		}
		fmt.Fprintf(&b, "\n%s · %s · %s\n　共 %d，送达 %d，已屏蔽 %d，失败 %d", html.EscapeString(st.Label()),
			st.CreatedAt.In(s.opts.Location).Format("01-02 15:04"), state, st.Total, st.Delivered, st.Blocked, st.Failed)
		if st.Skipped > 0 {
			fmt.Fprintf(&b, "，跳过 %d", st.Skipped)
		}
	}
	return communitybot.Reply{Text: b.String()}, nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
