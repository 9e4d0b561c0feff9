package study

import (
	"context"
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"

	"github.com/zhangmiao/communitybot"
)

// Replies are Telegram HTML: everything from the content, from admins or
// from users (names, branches) is escaped here.

var esc = html.EscapeString

func letter(i int) string { return string(rune('A' + i)) }

// dayLabel is a day as members read it: 1月31日.
func dayLabel(t time.Time) string { return fmt.Sprintf("%d月%d日", t.Month(), t.Day()) }

func weekLabel(monday time.Time) string {
	return dayLabel(monday) + "—" + dayLabel(monday.AddDate(0, 0, 6))
}

func header(it communitybot.StudyItem, day time.Time) string {
	return "📚 <b>每日学习</b> · " + dayLabel(day) + "\n<b>" + esc(it.Title) + "</b>\n\n" + esc(it.Text)
}

// prompt is the item with its question and one button per option.
func (s *Service) prompt(it communitybot.StudyItem, qi int, day time.Time) communitybot.Reply {
	q := it.Questions[qi]
	var b strings.Builder
	b.WriteString(header(it, day))
	b.WriteString("\n\n❓ <b>")
	b.WriteString(esc(q.Prompt))
	b.WriteString("</b>\n请点击下方按钮作答（每天计分一次）。")
	rows := make([][]communitybot.Button, len(q.Options))
	for i, o := range q.Options {
		rows[i] = []communitybot.Button{{Text: letter(i) + ". " + o, Data: answerData(dayOf(day), it.ID, qi, i)}}
	}
	return communitybot.Reply{Text: b.String(), Buttons: rows}
}

// questionWithMarks lists the options with the right one and the member's
// choice (-1: none) marked.
func questionWithMarks(q communitybot.StudyQuestion, chosen int) string {
	var b strings.Builder
	b.WriteString("❓ <b>")
	b.WriteString(esc(q.Prompt))
	b.WriteString("</b>")
	for i, o := range q.Options {
		fmt.Fprintf(&b, "\n%s. %s", letter(i), esc(o))
		switch {
		case q.Correct(i) && i == chosen:
			b.WriteString(" ✅（您的选择）")
		case q.Correct(i):
			b.WriteString(" ✅")
		case i == chosen:
			b.WriteString(" ❌（您的选择）")
		}
	}
	return b.String()
}

// answeredReply shows the answer and explanation without scoring.
func (s *Service) answeredReply(it communitybot.StudyItem, qi int, day time.Time, chosen int, note string) communitybot.Reply {
	q := it.Questions[qi]
	text := header(it, day) + "\n\n" + questionWithMarks(q, chosen) +
		"\n\nℹ️ " + esc(note) +
		"\n💡 <b>解析</b>：" + esc(q.Explanation)
	return communitybot.Reply{Text: text}
}

// scoredReply is the prompt edited after the day's scored answer.
func (s *Service) scoredReply(it communitybot.StudyItem, qi int, day time.Time, chosen int, res communitybot.StudyResult) communitybot.Reply {
	q := it.Questions[qi]
	var b strings.Builder
	b.WriteString(header(it, day))
	b.WriteString("\n\n")
	b.WriteString(questionWithMarks(q, chosen))
	b.WriteString("\n\n")
	switch {
	case q.Correct(chosen):
		fmt.Fprintf(&b, "🎉 回答正确！本次获得 %d 分。", res.Points)
	case res.Points > 0:
		fmt.Fprintf(&b, "😔 回答错误，正确答案是 %s。参与学习获得 %d 分，明天继续加油！", letter(q.Answer), res.Points)
	default:
		fmt.Fprintf(&b, "😔 回答错误，正确答案是 %s。明天继续加油！", letter(q.Answer))
	}
	b.WriteString("\n💡 <b>解析</b>：")
	b.WriteString(esc(q.Explanation))
	if res.Streak > 1 {
		fmt.Fprintf(&b, "\n🔥 您已连续学习 %d 天。", res.Streak)
	}
	b.WriteString("\n\n查看排名：/rank　我的学习：/mystats")
	return communitybot.Reply{Text: b.String()}
}

// liveStreak is the stored streak if it is still alive: its last day is
// today or yesterday.
func liveStreak(st communitybot.StudyStats, now time.Time) int64 {
	if st.LastDay == dayOf(now) || st.LastDay == prevDay(now) {
		return st.Streak
	}
	return 0
}

// Stats is /mystats.
func (s *Service) Stats(ctx context.Context, userID int64) (communitybot.Reply, error) {
	now := s.now()
	acct, err := s.store.Account(ctx, userID)
	if err != nil {
		return communitybot.Reply{}, err
	}
	st, err := s.store.StudyStats(ctx, userID, weekOf(now))
	if err != nil {
		return communitybot.Reply{}, err
	}
	place, ranked, err := s.store.StudyPlace(ctx, "", false, strconv.FormatInt(userID, 10))
	if err != nil {
		return communitybot.Reply{}, err
	}
	var b strings.Builder
	b.WriteString("📊 <b>我的学习</b>\n")
	if acct.Branch != "" {
		fmt.Fprintf(&b, "\n所在支部：%s", esc(acct.Branch))
	}
	fmt.Fprintf(&b, "\n总积分：%d 分", st.Points)
	if ranked {
		fmt.Fprintf(&b, "（总榜第 %d 名）", place.Place)
	}
	fmt.Fprintf(&b, "\n本周积分：%d 分", st.WeekPoints)
	fmt.Fprintf(&b, "\n连续学习：%d 天（最长 %d 天）", liveStreak(st, now), st.BestStreak)
	if st.Answered > 0 {
		fmt.Fprintf(&b, "\n累计答题：%d 天，答对 %d 次，正确率 %d%%", st.Answered, st.Correct, st.Accuracy())
	} else {
		b.WriteString("\n累计答题：还没有答过题")
	}
	if st.LastDay != dayOf(now) {
		b.WriteString("\n\n今天还没有作答，发送 /study 开始今天的学习吧。")
	} else {
		b.WriteString("\n\n今天的学习已完成，明天继续！")
	}
	return communitybot.Reply{Text: b.String()}, nil
}

// RankSize is how many lines a leaderboard shows.
const RankSize = 10

// Rank is /rank: the members' board of this week (or all time) and the
// member's own place.
func (s *Service) Rank(ctx context.Context, userID int64, allTime bool) (communitybot.Reply, error) {
	now := s.now()
	week, title := weekOf(now), "🏆 <b>本周积分榜</b>（"+weekLabel(weekStart(now))+"）"
	if allTime {
		week, title = "", "🏆 <b>总积分榜</b>"
	}
	top, err := s.store.StudyTop(ctx, week, false, RankSize)
	if err != nil {
		return communitybot.Reply{}, err
	}
	ids := make([]int64, 0, len(top))
	for _, st := range top {
		if id, err := strconv.ParseInt(st.ID, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	users, err := s.store.Users(ctx, ids)
	if err != nil {
		return communitybot.Reply{}, err
	}
	me, ranked, err := s.store.StudyPlace(ctx, week, false, strconv.FormatInt(userID, 10))
	if err != nil {
		return communitybot.Reply{}, err
	}
	var b strings.Builder
	b.WriteString(title)
	b.WriteString("\n")
	if len(top) == 0 {
		b.WriteString("\n还没有人获得积分。发送 /study 开始学习，争当第一名！")
	}
	for _, st := range top {
		id, _ := strconv.ParseInt(st.ID, 10, 64)
		name := users[id].DisplayName()
		mark := ""
		if id == userID {
			mark = "（您）"
		}
		fmt.Fprintf(&b, "\n%s %s%s · %d 分", medal(st.Place), esc(name), mark, st.Points)
	}
	b.WriteString("\n\n")
	switch {
	case ranked:
		fmt.Fprintf(&b, "您：第 %d 名 · %d 分", me.Place, me.Points)
	case allTime:
		b.WriteString("您还没有积分，发送 /study 开始学习吧。")
	default:
		b.WriteString("您本周还没有积分，发送 /study 开始今天的学习吧。")
	}
	other := communitybot.Button{Text: "查看总榜", Data: "rank:all"}
	if allTime {
		other = communitybot.Button{Text: "查看本周榜", Data: "rank:week"}
	}
	return communitybot.Reply{Text: b.String(), Buttons: [][]communitybot.Button{{other, {Text: "支部排行", Data: "brank:week"}}}}, nil
}

// BranchRank is /branchrank: the branches' board and the member's branch.
func (s *Service) BranchRank(ctx context.Context, userID int64, allTime bool) (communitybot.Reply, error) {
	now := s.now()
	week, title := weekOf(now), "🚩 <b>本周支部排行</b>（"+weekLabel(weekStart(now))+"）"
	if allTime {
		week, title = "", "🚩 <b>支部总排行</b>"
	}
	top, err := s.store.StudyTop(ctx, week, true, RankSize)
	if err != nil {
		return communitybot.Reply{}, err
	}
	acct, err := s.store.Account(ctx, userID)
	if err != nil {
		return communitybot.Reply{}, err
	}
	var b strings.Builder
	b.WriteString(title)
	b.WriteString("\n")
	if len(top) == 0 {
		b.WriteString("\n还没有支部获得积分。")
	}
	for _, st := range top {
		mark := ""
		if st.ID == acct.Branch {
			mark = "（本支部）"
		}
		fmt.Fprintf(&b, "\n%s %s%s · %d 分", medal(st.Place), esc(st.ID), mark, st.Points)
	}
	b.WriteString("\n\n")
	if acct.Branch == "" {
		b.WriteString("您还没有所属支部，积分不计入支部排行。")
	} else if me, ok, err := s.store.StudyPlace(ctx, week, true, acct.Branch); err != nil {
		return communitybot.Reply{}, err
	} else if ok {
		fmt.Fprintf(&b, "「%s」：第 %d 名 · %d 分", esc(acct.Branch), me.Place, me.Points)
	} else {
		fmt.Fprintf(&b, "「%s」暂时还没有积分，一起来学习吧！", esc(acct.Branch))
	}
	other := communitybot.Button{Text: "查看总排行", Data: "brank:all"}
	if allTime {
		other = communitybot.Button{Text: "查看本周排行", Data: "brank:week"}
	}
	return communitybot.Reply{Text: b.String(), Buttons: [][]communitybot.Button{{other, {Text: "个人排行", Data: "rank:week"}}}}, nil
}

func medal(place int) string {
	switch place {
	case 1:
		return "🥇"
	case 2:
		return "🥈"
	case 3:
		return "🥉"
	}
	return strconv.Itoa(place) + "."
}
