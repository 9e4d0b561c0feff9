package staff

import (
	"context"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/zhangmiao/communitybot"
)

// BroadcastSummary is one recent broadcast as /stats shows it.
type BroadcastSummary struct {
	ID         string
	Kind       string
	Topic      communitybot.Topic
	CreatedAt  time.Time
	Recipients int64
	Delivered  int64
	Blocked    int64
	Failed     int64
	Done       bool
}

// BroadcastStats reports the latest broadcasts (the delivery engine's
// store).
type BroadcastStats interface {
	RecentBroadcasts(ctx context.Context, n int) ([]BroadcastSummary, error)
}

// StudySummary is party-study participation as /stats shows it.
type StudySummary struct {
	Members           int64 // party members who receive the study prompt
	ParticipantsToday int64 // members who answered today's quiz
	ParticipantsWeek  int64 // distinct members who answered in the last 7 days
}

// StudyStats reports study participation (the party-study feature).
type StudyStats interface {
	StudyParticipation(ctx context.Context, t time.Time) (StudySummary, error)
}

const unavailable = "（暂时无法读取）"

// Stats renders the numbers staff need (/stats). Each section is read on
// its own, so one failing source leaves the others readable.
func (s *Service) Stats(ctx context.Context) (communitybot.Reply, error) {
	now := s.cfg.Now()
	var b strings.Builder
	fmt.Fprintf(&b, "📊 <b>运营数据</b>（%s）\n", s.fmtTime(now))

	b.WriteString("\n<b>用户</b>\n")
	if total, today, week, err := s.d.Store.UsersSeen(ctx, now); err != nil {
		b.WriteString(unavailable + "\n")
	} else {
		fmt.Fprintf(&b, "使用过的居民：累计约 %d 人，今天 %d 人，近 7 天 %d 人\n", total, today, week)
	}
	members, err1 := s.d.Store.CountWithRole(ctx, communitybot.RoleMember)
	admins, err2 := s.d.Store.CountWithRole(ctx, communitybot.RoleAdmin)
	if err1 != nil || err2 != nil {
		b.WriteString("党员和管理员：" + unavailable + "\n")
	} else {
		fmt.Fprintf(&b, "登记党员 %d 人，管理员 %d 人\n", members, admins)
	}

	b.WriteString("\n<b>订阅</b>\n")
	b.WriteString(s.subscriptionLines(ctx))

	b.WriteString("\n<b>提问</b>\n")
	for _, span := range []struct {
		label string
		days  int
	}{{"今天", 1}, {"近 7 天", 7}} {
		n, err := s.d.Store.QuestionCountsDays(ctx, now, span.days)
		switch {
		case err != nil:
			fmt.Fprintf(&b, "%s：%s\n", span.label, unavailable)
		case n.Asked == 0:
			fmt.Fprintf(&b, "%s：0 条\n", span.label)
		default:
			fmt.Fprintf(&b, "%s：%d 条", span.label, n.Asked)
			if on := n.OnTopic(); on > 0 {
				fmt.Fprintf(&b, "，已回答 %d 条（占街道相关问题的 %.0f%%）", n.Answered, 100*float64(n.Answered)/float64(on))
			}
			if n.OffTopic > 0 {
				fmt.Fprintf(&b, "，与街道工作无关 %d 条（已说明，不转交）", n.OffTopic)
			}
			b.WriteString("\n")
		}
	}
	if top, err := s.d.Store.TopUnanswered(ctx, 5); err != nil {
		b.WriteString("未答热门问题：" + unavailable + "\n")
	} else if len(top) > 0 {
		b.WriteString("未答热门问题：\n")
		for i, q := range top {
			text := q.Text
			if strings.TrimSpace(text) == "" {
				text = q.Normalized // asked long ago: only its normal form is left
			}
			fmt.Fprintf(&b, "%d. %s（%d 次）\n", i+1, html.EscapeString(truncate(oneLine(text), 40)), q.Count)
		}
	}
	if n, oldest, err := s.d.Store.OpenTicketCount(ctx); err != nil {
		b.WriteString("待答复问题：" + unavailable + "\n")
	} else if n == 0 {
		b.WriteString("待答复问题：0 个\n")
	} else {
		fmt.Fprintf(&b, "待答复问题：%d 个，最早的已等 %s（/tickets）\n", n, age(now.Sub(oldest)))
	}

	b.WriteString("\n<b>最近推送</b>\n")
	b.WriteString(s.broadcastLines(ctx))

	b.WriteString("\n<b>党员学习</b>\n")
	b.WriteString(s.studyLines(ctx, now))
	return communitybot.Reply{Text: strings.TrimRight(b.String(), "\n")}, nil
}

func (s *Service) subscriptionLines(ctx context.Context) string {
	var b strings.Builder
	var parts []string
	for _, t := range communitybot.FixedTopics {
		n, err := s.d.Store.SubscriberCount(ctx, t)
		if err != nil {
			return unavailable + "\n"
		}
		parts = append(parts, fmt.Sprintf("%s %d", t.Label(), n))
	}
	b.WriteString(strings.Join(parts, "，") + "\n")
	projects, err := s.d.Store.Projects(ctx)
	if err != nil {
		return b.String() + "项目订阅：" + unavailable + "\n"
	}
	parts = parts[:0]
	for _, p := range projects {
		n, err := s.d.Store.SubscriberCount(ctx, communitybot.ProjectTopic(p.ID))
		if err != nil {
			return b.String() + "项目订阅：" + unavailable + "\n"
		}
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", html.EscapeString(p.Name), n))
		}
	}
	if len(parts) == 0 {
		b.WriteString("项目订阅：暂无\n")
	} else {
		b.WriteString("项目订阅：" + strings.Join(parts, "，") + "\n")
	}
	return b.String()
}

func (s *Service) broadcastLines(ctx context.Context) string {
	if s.d.Broadcasts == nil {
		return "—（推送功能接入后显示）\n"
	}
	list, err := s.d.Broadcasts.RecentBroadcasts(ctx, 5)
	if err != nil {
		return unavailable + "\n"
	}
	if len(list) == 0 {
		return "暂无推送\n"
	}
	var b strings.Builder
	for _, bc := range list {
		state := "发送中"
		if bc.Done {
			state = "已完成"
		}
		audience := "订阅「" + bc.Topic.Label() + "」的用户"
		switch _, isProject := bc.Topic.ProjectID(); {
		case bc.Topic == "":
			audience = "指定对象"
		case isProject:
			audience = "该项目的订阅者"
		}
		fmt.Fprintf(&b, "• %s %s → %s：送达 %d/%d，已屏蔽 %d，失败 %d（%s）\n", bc.CreatedAt.In(s.cfg.Location).Format("01-02 15:04"),
			html.EscapeString(communitybot.KindLabel(bc.Kind)), html.EscapeString(audience), bc.Delivered, bc.Recipients, bc.Blocked, bc.Failed, state)
	}
	return b.String()
}

func (s *Service) studyLines(ctx context.Context, now time.Time) string {
	if s.d.Study == nil {
		return "—（学习功能接入后显示）\n"
	}
	st, err := s.d.Study.StudyParticipation(ctx, now)
	if err != nil {
		return unavailable + "\n"
	}
	share := func(n int64) string {
		if st.Members == 0 {
			return "—"
		}
		return fmt.Sprintf("%.0f%%", 100*float64(n)/float64(st.Members))
	}
	return fmt.Sprintf("参与学习的党员 %d 人：今天答题 %d 人（%s），近 7 天 %d 人（%s）\n",
		st.Members, st.ParticipantsToday, share(st.ParticipantsToday), st.ParticipantsWeek, share(st.ParticipantsWeek))
}

// oneLine folds a multi-line question into one line for a list.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
