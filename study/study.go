// Package study is the party members' daily study (每日学习): which item a
// member studies today, scoring answers, streaks, leaderboards, the weekly
// summary per branch, and the scheduled jobs that push them.
//
// It builds the replies members see (communitybot.Reply, no Telegram
// types) and depends on storage through the small Store interface. The
// daily prompt is a broadcast whose message is made per recipient at
// delivery time by Render, so each member gets their own item.
package study

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/zhangmiao/communitybot"
)

// BroadcastKind is the Kind of the daily prompt broadcast; the delivery
// engine renders it per recipient with Service.Render.
const BroadcastKind = "study"

// SummaryKind is the Kind of the weekly summary broadcasts.
const SummaryKind = "study-summary"

// Store is what the study needs from storage.
type Store interface {
	Account(ctx context.Context, userID int64) (communitybot.Account, error)
	Accounts(ctx context.Context, ids []int64) ([]communitybot.Account, error)
	UsersWithRoles(ctx context.Context, roles ...communitybot.Role) ([]int64, error)
	Users(ctx context.Context, ids []int64) (map[int64]communitybot.User, error)
	SubscribedAmong(ctx context.Context, t communitybot.Topic, chatIDs []int64) (map[int64]bool, error)

	AssignStudyItem(ctx context.Context, userID int64, day string, bank []string) (string, error)
	StudyAssignment(ctx context.Context, userID int64, day string) (string, error)
	RecordStudyRead(ctx context.Context, e communitybot.StudyEvent) (communitybot.StudyResult, error)
	RecordStudyAnswer(ctx context.Context, e communitybot.StudyEvent) (communitybot.StudyResult, error)
	StudyAnswered(ctx context.Context, userID int64, day string) (option int, ok bool, err error)
	StudyStats(ctx context.Context, userID int64, week string) (communitybot.StudyStats, error)
	StudyTop(ctx context.Context, week string, branches bool, n int) ([]communitybot.Standing, error)
	StudyBoard(ctx context.Context, week string, branches bool) ([]communitybot.Standing, error)
	StudyPlace(ctx context.Context, week string, branches bool, id string) (communitybot.Standing, bool, error)

	StudyItems(ctx context.Context) ([]communitybot.StudyItem, error)
	AddStudyItem(ctx context.Context, it communitybot.StudyItem) (communitybot.StudyItem, error)
	DeleteStudyItem(ctx context.Context, id string) (bool, error)
}

// Options tune a Service. Zero values take the documented defaults.
type Options struct {
	// Location decides where a day and a week start; Asia/Shanghai's
	// offset (UTC+8) when nil.
	Location *time.Location
	// Now replaces the clock (tests).
	Now func() time.Time
	// Points are the points awarded; DefaultPoints when nil.
	Points *Points
	// DailyAt and WeeklyAt are the times ("08:00") of the daily prompt and
	// of the Monday summary; defaults 08:00 and 09:00.
	DailyAt, WeeklyAt string
	// Reload re-reads the content file's study items for /reloadstudy;
	// nil (no CONTENT_FILE: the built-in content is used) makes
	// /reloadstudy explain that it needs CONTENT_FILE.
	Reload func() ([]communitybot.StudyItem, error)
	// Audit records the admins' changes to the bank; nil records nothing.
	Audit  Auditor
	Logger *slog.Logger
}

// Auditor records admin actions (staff.Service). Record must not fail the
// action it records.
type Auditor interface {
	Record(ctx context.Context, e communitybot.AuditEntry)
}

// Points are what a member earns.
type Points struct {
	Read    int64 // once a day, for opening /study or for answering
	Correct int64 // for a correct answer
}

// DefaultPoints: reading is worth something, knowing the answer more.
var DefaultPoints = Points{Read: 1, Correct: 2}

// Service runs the daily study.
type Service struct {
	store   Store
	opts    Options
	content atomic.Pointer[[]communitybot.StudyItem]
	log     *slog.Logger
}

// New returns a Service whose bank is items (from the content file)
// followed by the items admins added in the bot.
func New(store Store, items []communitybot.StudyItem, opts Options) (*Service, error) {
	if opts.Location == nil {
		opts.Location = time.FixedZone("CST", 8*3600)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Points == nil {
		opts.Points = &DefaultPoints
	}
	if opts.DailyAt == "" {
		opts.DailyAt = "08:00"
	}
	if opts.WeeklyAt == "" {
		opts.WeeklyAt = "09:00"
	}
	if opts.Points.Read < 0 || opts.Points.Correct < 0 {
		return nil, errors.New("study: points must not be negative")
	}
	for _, at := range []string{opts.DailyAt, opts.WeeklyAt} {
		if _, _, err := ParseClock(at); err != nil {
			return nil, fmt.Errorf("study: %w", err)
		}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{store: store, opts: opts, log: opts.Logger}
	s.SetContent(items)
	return s, nil
}

// SetContent replaces the content file's part of the bank (a content
// reload). Members keep their seen-sets: items with the same id are not
// repeated.
func (s *Service) SetContent(items []communitybot.StudyItem) {
	items = slices.Clone(items)
	s.content.Store(&items)
}

// ParseClock parses "08:00" (24-hour, minutes required).
func ParseClock(v string) (hour, minute int, err error) {
	t, perr := time.Parse("15:04", strings.TrimSpace(v))
	if perr != nil {
		return 0, 0, fmt.Errorf("want a time of day like 08:00, got %q", v)
	}
	return t.Hour(), t.Minute(), nil
}

// Bank returns every item in the order members get them: the content
// file's, then those added in the bot.
func (s *Service) Bank(ctx context.Context) ([]communitybot.StudyItem, error) {
	extra, err := s.store.StudyItems(ctx)
	if err != nil {
		return nil, err
	}
	base := *s.content.Load()
	bank := make([]communitybot.StudyItem, 0, len(base)+len(extra))
	bank = append(bank, base...)
	return append(bank, extra...), nil
}

func find(bank []communitybot.StudyItem, id string) (communitybot.StudyItem, bool) {
	for _, it := range bank {
		if it.ID == id {
			return it, true
		}
	}
	return communitybot.StudyItem{}, false
}

// Days and weeks in the bot's time zone.

func (s *Service) now() time.Time { return s.opts.Now().In(s.opts.Location) }

func dayOf(t time.Time) string { return t.Format("20060102") }

// prevDay is the calendar day before t's, by date arithmetic, so a day
// with a daylight-saving change is still one day.
func prevDay(t time.Time) string {
	y, m, d := t.Date()
	return dayOf(time.Date(y, m, d-1, 12, 0, 0, 0, t.Location()))
}

// weekStart is the Monday of t's week, at noon (safe for date arithmetic).
func weekStart(t time.Time) time.Time {
	y, m, d := t.Date()
	back := (int(t.Weekday()) + 6) % 7 // Monday 0 … Sunday 6
	return time.Date(y, m, d-back, 12, 0, 0, 0, t.Location())
}

func weekOf(t time.Time) string { return dayOf(weekStart(t)) }

func parseDay(day string, loc *time.Location) (time.Time, bool) {
	t, err := time.ParseInLocation("20060102", day, loc)
	return t, err == nil
}

// questionIndex picks which of an item's questions a member answers on a
// day: spread over members and days, fixed for one member and day.
func questionIndex(userID int64, day string, n int) int {
	if n <= 1 {
		return 0
	}
	h := uint64(userID)*0x9E3779B97F4A7C15 ^ 0xC2B2AE3D27D4EB4F
	for i := 0; i < len(day); i++ {
		h = (h ^ uint64(day[i])) * 0x100000001B3
	}
	return int(h % uint64(n))
}

// today assigns (once per day) and returns the member's item for the day.
func (s *Service) today(ctx context.Context, userID int64, now time.Time) (communitybot.StudyItem, int, error) {
	bank, err := s.Bank(ctx)
	if err != nil {
		return communitybot.StudyItem{}, 0, err
	}
	if len(bank) == 0 {
		return communitybot.StudyItem{}, 0, communitybot.Errorf(communitybot.ErrNotFound, "学习题库暂时是空的，请稍后再来。")
	}
	ids := make([]string, len(bank))
	for i, it := range bank {
		ids[i] = it.ID
	}
	day := dayOf(now)
	id, err := s.store.AssignStudyItem(ctx, userID, day, ids)
	if err != nil {
		return communitybot.StudyItem{}, 0, err
	}
	it, ok := find(bank, id)
	if !ok { // the bank changed between the two calls
		return communitybot.StudyItem{}, 0, fmt.Errorf("assigned study item %q is not in the bank", id)
	}
	return it, questionIndex(userID, day, len(it.Questions)), nil
}

// Open is /study: today's item for the member (the same as today's push),
// and the reading points of the day the first time.
func (s *Service) Open(ctx context.Context, userID int64) (communitybot.Reply, error) {
	now := s.now()
	acct, err := s.store.Account(ctx, userID)
	if err != nil {
		return communitybot.Reply{}, err
	}
	it, q, err := s.today(ctx, userID, now)
	if err != nil {
		return communitybot.Reply{}, err
	}
	res, err := s.store.RecordStudyRead(ctx, s.event(acct, now))
	if err != nil {
		return communitybot.Reply{}, err
	}
	answered, done, err := s.store.StudyAnswered(ctx, userID, dayOf(now))
	if err != nil {
		return communitybot.Reply{}, err
	}
	if done {
		// Answered already (from the push): show the result, no buttons.
		return s.answeredReply(it, q, now, answered, "今天的题目您已经作答过了，明天再来吧。"), nil
	}
	reply := s.prompt(it, q, now)
	if res.Points > 0 {
		reply.Text += fmt.Sprintf("\n\n📖 阅读今日学习内容，获得 %d 分。", res.Points)
	}
	return reply, nil
}

func (s *Service) event(acct communitybot.Account, now time.Time) communitybot.StudyEvent {
	return communitybot.StudyEvent{
		UserID: acct.UserID, Branch: acct.Branch,
		Day: dayOf(now), PrevDay: prevDay(now), Week: weekOf(now),
		ReadPoints: s.opts.Points.Read, CorrectPoints: s.opts.Points.Correct,
	}
}

// Render makes the daily prompt for one recipient of the study broadcast
// (the delivery engine's per-recipient renderer). A chat whose user is no
// longer a member is skipped (ok false). Pushing is not reading: no points
// are given until the member opens /study or answers.
func (s *Service) Render(ctx context.Context, chatID int64) (communitybot.Reply, bool, error) {
	if chatID <= 0 { // groups and channels: the study is personal
		return communitybot.Reply{}, false, nil
	}
	acct, err := s.store.Account(ctx, chatID)
	if err != nil {
		return communitybot.Reply{}, false, err
	}
	if !acct.Role.Allows(communitybot.RoleMember) {
		return communitybot.Reply{}, false, nil
	}
	now := s.now()
	it, q, err := s.today(ctx, chatID, now)
	if err != nil {
		var ue *communitybot.Error
		if errors.As(err, &ue) { // an empty bank: nothing to send
			return communitybot.Reply{}, false, nil
		}
		return communitybot.Reply{}, false, err
	}
	return s.prompt(it, q, now), true, nil
}

// CallbackPrefix starts the data of the answer buttons:
// "quiz:<day>:<item>:<question>:<option>".
const CallbackPrefix = "quiz"

func answerData(day, item string, q, opt int) string {
	return fmt.Sprintf("%s:%s:%s:%d:%d", CallbackPrefix, day, item, q, opt)
}

type answerRef struct {
	day, item string
	q, opt    int
}

func parseAnswerData(data string) (answerRef, bool) {
	parts := strings.Split(data, ":")
	if len(parts) != 5 || parts[0] != CallbackPrefix || len(parts[1]) != 8 || parts[2] == "" {
		return answerRef{}, false
	}
	q, err1 := strconv.Atoi(parts[3])
	opt, err2 := strconv.Atoi(parts[4])
	if err1 != nil || err2 != nil || q < 0 || opt < 0 {
		return answerRef{}, false
	}
	return answerRef{day: parts[1], item: parts[2], q: q, opt: opt}, true
}

// Answer is a press of an answer button. It returns the edit of the
// prompt (nil Text for none) and a short notice for the press. Callback
// data is not trusted: only an answer to the member's own item of today,
// the first of the day, scores; a second answer, yesterday's button or a
// forged one scores nothing and says so. No answer is shown for an item
// before checking that it is the member's own: today's item only through
// today's button, an earlier day's only for the item that day assigned.
func (s *Service) Answer(ctx context.Context, userID int64, data string) (edit communitybot.Reply, notice string, err error) {
	const forged = "这个按钮无效，本次不计分。请发送 /study 查看今天的题目。"
	ref, ok := parseAnswerData(data)
	if !ok {
		return edit, "", communitybot.Errorf(communitybot.ErrInvalid, forged)
	}
	bank, err := s.Bank(ctx)
	if err != nil {
		return edit, "", err
	}
	it, ok := find(bank, ref.item)
	if !ok || ref.q >= len(it.Questions) || ref.opt >= len(it.Questions[ref.q].Options) {
		return edit, "", communitybot.Errorf(communitybot.ErrInvalid, "这道题已经不在题库里了，本次不计分。请发送 /study 查看今天的题目。")
	}
	now := s.now()
	day, ok := parseDay(ref.day, s.opts.Location)
	if !ok {
		return edit, "", communitybot.Errorf(communitybot.ErrInvalid, forged)
	}
	if ref.day != dayOf(now) {
		return s.staleAnswer(ctx, userID, ref, it, day, now)
	}
	assigned, err := s.store.StudyAssignment(ctx, userID, ref.day)
	if err != nil {
		return edit, "", err
	}
	if assigned != ref.item || questionIndex(userID, ref.day, len(it.Questions)) != ref.q {
		return edit, "", communitybot.Errorf(communitybot.ErrInvalid, "这不是您今天的题目，本次不计分。请发送 /study 查看您今天的题目。")
	}
	acct, err := s.store.Account(ctx, userID)
	if err != nil {
		return edit, "", err
	}
	question := it.Questions[ref.q]
	ev := s.event(acct, now)
	ev.Option, ev.Correct = ref.opt, question.Correct(ref.opt)
	res, err := s.store.RecordStudyAnswer(ctx, ev)
	if err != nil {
		return edit, "", err
	}
	if !res.Scored {
		msg := "今天的题目您已经作答过了，本次不再计分。"
		return s.answeredReply(it, ref.q, now, res.PrevOption, msg), "今天已作答，本次不计分", nil
	}
	edit = s.scoredReply(it, ref.q, now, ref.opt, res)
	switch {
	case ev.Correct:
		notice = fmt.Sprintf("回答正确，获得 %d 分！", res.Points)
	case res.Points > 0:
		notice = fmt.Sprintf("回答错误，参与学习获得 %d 分", res.Points)
	default:
		notice = "回答错误，看看解析吧"
	}
	return edit, notice, nil
}

// staleAnswer handles a button of another day than today. A genuine
// button of an earlier day (the item assigned to the member that day, and
// not today's item) shows that item's answer, too late to score. Anything
// else is forged (a future day, another day's date on today's item, an
// item the member never had that day) and shows no answer at all:
// otherwise today's right option could be read off before answering.
func (s *Service) staleAnswer(ctx context.Context, userID int64, ref answerRef, it communitybot.StudyItem, day, now time.Time) (communitybot.Reply, string, error) {
	const notYours = "这个按钮不是您当天的题目，本次不计分，也不显示答案。今天的题目请发送 /study 查看。"
	if ref.day > dayOf(now) { // both are YYYYMMDD
		return communitybot.Reply{}, "", communitybot.Errorf(communitybot.ErrInvalid, notYours)
	}
	then, err := s.store.StudyAssignment(ctx, userID, ref.day)
	if err != nil {
		return communitybot.Reply{}, "", err
	}
	if then != ref.item || questionIndex(userID, ref.day, len(it.Questions)) != ref.q {
		return communitybot.Reply{}, "", communitybot.Errorf(communitybot.ErrInvalid, notYours)
	}
	// Today's item is assigned now if it was not yet, so that an item
	// shown here can never become today's afterwards (a new round of the
	// bank may repeat an item).
	today, _, err := s.today(ctx, userID, now)
	if err != nil {
		return communitybot.Reply{}, "", err
	}
	if today.ID == ref.item {
		return communitybot.Reply{}, "", communitybot.Errorf(communitybot.ErrInvalid, notYours)
	}
	msg := fmt.Sprintf("这是%s的题目，作答时间已过，本次不计分。今天的题目请发送 /study 查看。", dayLabel(day))
	return s.answeredReply(it, ref.q, day, -1, msg), "本次不计分", nil
}
