package study

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zhangmiao/communitybot"
)

// Enqueuer is the delivery engine as the study jobs use it: a broadcast is
// stored durably and delivered in the background at Telegram's limits.
type Enqueuer interface {
	Enqueue(ctx context.Context, b communitybot.Broadcast) (communitybot.Broadcast, error)
}

// JobSpec is a recurring job in the scheduler's shape: Spec is a 5-field
// cron spec in the bot's time zone; Run gets the scheduled fire time.
type JobSpec struct {
	ID   string
	Spec string
	Run  func(ctx context.Context, fire time.Time) error
}

// Job ids, stable: the scheduler keys its once-per-fire lock on them.
const (
	DailyJobID  = "study-daily"
	WeeklyJobID = "study-weekly"
)

// Jobs returns the study's scheduled jobs: the daily prompt at DailyAt and
// the weekly summary on Mondays at WeeklyAt, both enqueued on enq.
func (s *Service) Jobs(enq Enqueuer) []JobSpec {
	return []JobSpec{
		{ID: DailyJobID, Spec: cronAt(s.opts.DailyAt, "*"), Run: s.DailyJob(enq)},
		{ID: WeeklyJobID, Spec: cronAt(s.opts.WeeklyAt, "1"), Run: s.WeeklyJob(enq)},
	}
}

func cronAt(clock, weekday string) string {
	h, m, _ := ParseClock(clock) // checked by New
	return fmt.Sprintf("%d %d * * %s", m, h, weekday)
}

// DailyJob enqueues the day's study prompt to the subscribers of the study
// topic. The message is empty: the engine asks Render for each recipient
// at delivery time, so each member gets their own item.
func (s *Service) DailyJob(enq Enqueuer) func(ctx context.Context, fire time.Time) error {
	return func(ctx context.Context, fire time.Time) error {
		b, err := enq.Enqueue(ctx, communitybot.Broadcast{Kind: BroadcastKind, Topic: communitybot.TopicStudy, CreatedAt: fire})
		if err != nil {
			return fmt.Errorf("study: enqueue daily prompt: %w", err)
		}
		s.log.Info("daily study prompt enqueued", "broadcast", b.ID, "fire", fire)
		return nil
	}
}

// WeeklyJob enqueues last week's summary to each branch's members.
func (s *Service) WeeklyJob(enq Enqueuer) func(ctx context.Context, fire time.Time) error {
	return func(ctx context.Context, fire time.Time) error {
		summaries, err := s.WeeklySummaries(ctx, fire)
		if err != nil {
			return err
		}
		var errs []error
		for _, sum := range summaries {
			if _, err := enq.Enqueue(onceForBranch(ctx, sum.Branch), sum.Broadcast); err != nil {
				errs = append(errs, fmt.Errorf("study: enqueue summary of %s for %d chats: %w", sum.Branch, len(sum.ChatIDs), err))
			}
		}
		s.log.Info("weekly study summaries enqueued", "branches", len(summaries), "failed", len(errs))
		return errors.Join(errs...)
	}
}

// onceForBranch gives each branch's summary its own once key under the
// fire's: the fire is one event, but it creates one broadcast per branch,
// and under the shared key every branch after the first would get the
// first branch's broadcast back and nothing would be queued for it. A
// retried fire derives the same keys, so it still creates nothing new.
func onceForBranch(ctx context.Context, branch string) context.Context {
	if key, ok := communitybot.OnceKey(ctx); ok {
		return communitybot.WithOnceKey(ctx, key+":branch:"+branch)
	}
	return ctx
}

// BranchSummary is one branch's weekly summary broadcast.
type BranchSummary struct {
	Branch string
	communitybot.Broadcast
}

// WeeklySummaries builds, for each branch with members, the summary of the
// week before fire's, addressed to those of its members who take the daily
// study. Members without a branch get none.
func (s *Service) WeeklySummaries(ctx context.Context, fire time.Time) ([]BranchSummary, error) {
	monday := weekStart(fire.In(s.opts.Location)).AddDate(0, 0, -7)
	week := dayOf(monday)

	ids, err := s.store.UsersWithRoles(ctx, communitybot.RoleMember, communitybot.RoleAdmin)
	if err != nil {
		return nil, err
	}
	accts, err := s.store.Accounts(ctx, ids)
	if err != nil {
		return nil, err
	}
	subscribed, err := s.store.SubscribedAmong(ctx, communitybot.TopicStudy, ids)
	if err != nil {
		return nil, err
	}
	members := map[string][]int64{}
	for _, a := range accts {
		if a.Branch != "" && a.Role.Allows(communitybot.RoleMember) {
			members[a.Branch] = append(members[a.Branch], a.UserID)
		}
	}
	if len(members) == 0 {
		return nil, nil
	}
	memberBoard, err := s.store.StudyBoard(ctx, week, false)
	if err != nil {
		return nil, err
	}
	points := make(map[int64]int64, len(memberBoard))
	for _, st := range memberBoard {
		if id, err := strconv.ParseInt(st.ID, 10, 64); err == nil {
			points[id] = st.Points
		}
	}
	branchBoard, err := s.store.StudyBoard(ctx, week, true)
	if err != nil {
		return nil, err
	}
	places := make(map[string]communitybot.Standing, len(branchBoard))
	for _, st := range branchBoard {
		places[st.ID] = st
	}
	users, err := s.store.Users(ctx, ids)
	if err != nil {
		return nil, err
	}

	branches := make([]string, 0, len(members))
	for br := range members {
		branches = append(branches, br)
	}
	sort.Strings(branches)
	var out []BranchSummary
	for _, br := range branches {
		var audience []int64
		for _, id := range members[br] {
			if subscribed[id] {
				audience = append(audience, id)
			}
		}
		if len(audience) == 0 {
			continue
		}
		sort.Slice(audience, func(i, j int) bool { return audience[i] < audience[j] })
		text := summaryText(br, monday, members[br], points, places[br], len(branchBoard), users)
		out = append(out, BranchSummary{Branch: br, Broadcast: communitybot.Broadcast{
			Kind: SummaryKind, ChatIDs: audience, Reply: communitybot.Reply{Text: text}, CreatedAt: fire,
		}})
	}
	return out, nil
}

func summaryText(branch string, monday time.Time, members []int64, points map[int64]int64, place communitybot.Standing, ranked int, users map[int64]communitybot.User) string {
	var b strings.Builder
	fmt.Fprintf(&b, "📅 <b>上周学习小结</b> · %s\n（%s）\n", esc(branch), weekLabel(monday))
	type row struct {
		id  int64
		pts int64
	}
	var active []row
	for _, id := range members {
		if p := points[id]; p > 0 {
			active = append(active, row{id, p})
		}
	}
	if len(active) == 0 {
		b.WriteString("\n本支部上周还没有人参加每日学习。新的一周，大家一起来学习吧！")
	} else {
		sort.Slice(active, func(i, j int) bool {
			if active[i].pts != active[j].pts {
				return active[i].pts > active[j].pts
			}
			return active[i].id < active[j].id
		})
		fmt.Fprintf(&b, "\n本支部 %d 位党员中有 %d 位参加了学习，共获得 %d 分", len(members), len(active), place.Points)
		if place.Place > 0 {
			fmt.Fprintf(&b, "，在 %d 个支部中排第 %d 名", ranked, place.Place)
		}
		b.WriteString("。\n\n本支部积分前三：")
		p := 0
		for i, r := range active[:min(3, len(active))] {
			if i == 0 || r.pts != active[i-1].pts {
				p = i + 1 // equal points share a place
			}
			fmt.Fprintf(&b, "\n%s %s · %d 分", medal(p), esc(users[r.id].DisplayName()), r.pts)
		}
		b.WriteString("\n\n新的一周，继续比学赶超，争当先锋！")
	}
	b.WriteString("\n发送 /study 开始今天的学习，/branchrank 查看支部排行。")
	return b.String()
}
