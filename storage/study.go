package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/zhangmiao/communitybot"
)

// Party study keeps every key under one hash tag, {study}: an answer
// updates the member's day mark, their stats and four leaderboards in one
// Lua script, which on Redis Cluster needs one slot. The data is small (a
// few hash fields per member and day, one sorted-set entry per member and
// branch), so one slot is plenty for a subdistrict's party members.
//
// Days ("20260131") and weeks (the Monday, "20260126") are computed by the
// caller in the bot's time zone and passed in, so one clock decides.

const (
	studyDayTTL    = 8 * 24 * time.Hour  // day marks: a week of participation figures
	studyTodayTTL  = 3 * 24 * time.Hour  // a day's assignment: long enough to recognise yesterday's buttons
	studyWeekTTL   = 36 * 24 * time.Hour // weekly boards: last week's is read on Monday, with margin
	studyExtraBase = "add-"              // ids of items added in the bot (content.AddedStudyPrefix)
)

func (s *Store) studyKey(parts ...string) string {
	return s.key(append([]string{"{study}"}, parts...)...)
}
func (s *Store) studyTodayKey(userID int64, day string) string {
	return s.studyKey("today", uidField(userID), day)
}
func (s *Store) studySeenKey(userID int64) string  { return s.studyKey("seen", uidField(userID)) }
func (s *Store) studyStatsKey(userID int64) string { return s.studyKey("stats", uidField(userID)) }
func (s *Store) studyDayKey(day string) string     { return s.studyKey("day", day) }

// studyBoardKey names a leaderboard: members or branches, all-time (week
// "") or of the week starting on the given Monday.
func (s *Store) studyBoardKey(week string, branches bool) string {
	kind := "lb"
	if branches {
		kind = "blb"
	}
	if week == "" {
		return s.studyKey(kind, "all")
	}
	return s.studyKey(kind, "week", week)
}

// AssignStudyItem returns the item a user studies on day. The first call
// of the day picks the first item of bank (ids in bank order) that the
// user has not had yet and records it as seen; when every item has been
// seen, the seen-set starts over. Later calls that day return the same
// item, also when several replicas ask at once. An assigned item that has
// left the bank is replaced. It returns "" for an empty bank.
func (s *Store) AssignStudyItem(ctx context.Context, userID int64, day string, bank []string) (string, error) {
	if len(bank) == 0 {
		return "", nil
	}
	args := make([]any, 0, len(bank)+1)
	args = append(args, studyTodayTTL.Milliseconds())
	for _, id := range bank {
		args = append(args, id)
	}
	id, err := s.runScript(ctx, assignStudy, []string{s.studyTodayKey(userID, day), s.studySeenKey(userID)}, args...).Text()
	if err != nil {
		return "", fmt.Errorf("assign study item to %d: %w", userID, err)
	}
	return id, nil
}

var assignStudy = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur then
  for i = 2, #ARGV do
    if ARGV[i] == cur then return cur end
  end
end
local pick
for i = 2, #ARGV do
  if redis.call('SISMEMBER', KEYS[2], ARGV[i]) == 0 then
    pick = ARGV[i]
    break
  end
end
if not pick then
  redis.call('DEL', KEYS[2])
  pick = ARGV[2]
end
redis.call('SADD', KEYS[2], pick)
redis.call('SET', KEYS[1], pick, 'PX', ARGV[1])
return pick`)

// StudyAssignment returns the item assigned to a user on day, "" if none.
func (s *Store) StudyAssignment(ctx context.Context, userID int64, day string) (string, error) {
	id, err := s.rdb.Get(ctx, s.studyTodayKey(userID, day)).Result()
	if isNil(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("study assignment of %d: %w", userID, err)
	}
	return id, nil
}

// RecordStudyRead awards the reading points of the day once: the first
// /study of the day. It never fails because of a repeat.
func (s *Store) RecordStudyRead(ctx context.Context, e communitybot.StudyEvent) (communitybot.StudyResult, error) {
	return s.recordStudy(ctx, "read", e)
}

// RecordStudyAnswer records the day's one scored answer, atomically: of
// several presses (two devices, a retried update) exactly one scores. The
// first answer of the day also counts as reading when /study was not
// opened. A repeat returns Scored false and the option answered first.
func (s *Store) RecordStudyAnswer(ctx context.Context, e communitybot.StudyEvent) (communitybot.StudyResult, error) {
	return s.recordStudy(ctx, "answer", e)
}

func (s *Store) recordStudy(ctx context.Context, mode string, e communitybot.StudyEvent) (communitybot.StudyResult, error) {
	keys := []string{
		s.studyDayKey(e.Day), s.studyStatsKey(e.UserID),
		s.studyBoardKey("", false), s.studyBoardKey(e.Week, false),
		s.studyBoardKey("", true), s.studyBoardKey(e.Week, true),
	}
	correct := 0
	if e.Correct {
		correct = 1
	}
	res, err := s.runScript(ctx, recordStudy, keys, mode, e.UserID, correct, e.ReadPoints, e.CorrectPoints,
		e.Day, e.PrevDay, e.Branch, studyDayTTL.Milliseconds(), studyWeekTTL.Milliseconds(), e.Option).Int64Slice()
	if err != nil {
		return communitybot.StudyResult{}, fmt.Errorf("record study %s of %d: %w", mode, e.UserID, err)
	}
	return communitybot.StudyResult{Scored: res[0] == 1, Points: res[1], Streak: res[2], PrevOption: int(res[3])}, nil
}

// recordStudy: KEYS day marks, stats, member board all/week, branch board
// all/week. ARGV mode, uid, correct, read points, correct points, day,
// previous day, branch, day TTL, week TTL, option. Returns {scored,
// points, streak, previous option}.
var recordStudy = redis.NewScript(`
local uid = ARGV[2]
if ARGV[1] == 'answer' then
  local prev = redis.call('HGET', KEYS[1], 'a:' .. uid)
  if prev then
    return {0, 0, tonumber(redis.call('HGET', KEYS[2], 'streak') or '0'), tonumber(prev)}
  end
  redis.call('HSET', KEYS[1], 'a:' .. uid, ARGV[11])
  redis.call('HINCRBY', KEYS[1], 'n:answered', 1)
  if ARGV[3] == '1' then redis.call('HINCRBY', KEYS[1], 'n:correct', 1) end
end
local pts = 0
if redis.call('HSETNX', KEYS[1], 'r:' .. uid, 1) == 1 then
  redis.call('HINCRBY', KEYS[1], 'n:read', 1)
  pts = pts + tonumber(ARGV[4])
end
redis.call('PEXPIRE', KEYS[1], ARGV[9])
local streak = tonumber(redis.call('HGET', KEYS[2], 'streak') or '0')
if ARGV[1] == 'answer' then
  redis.call('HINCRBY', KEYS[2], 'answered', 1)
  if ARGV[3] == '1' then
    redis.call('HINCRBY', KEYS[2], 'correct', 1)
    pts = pts + tonumber(ARGV[5])
  end
  local last = redis.call('HGET', KEYS[2], 'last')
  if last == ARGV[7] then
    streak = streak + 1
  elseif last ~= ARGV[6] then
    streak = 1
  end
  local best = tonumber(redis.call('HGET', KEYS[2], 'best') or '0')
  if streak > best then best = streak end
  redis.call('HSET', KEYS[2], 'last', ARGV[6], 'streak', streak, 'best', best)
end
if pts > 0 then
  redis.call('ZINCRBY', KEYS[3], pts, uid)
  redis.call('ZINCRBY', KEYS[4], pts, uid)
  redis.call('PEXPIRE', KEYS[4], ARGV[10])
  if ARGV[8] ~= '' then
    redis.call('ZINCRBY', KEYS[5], pts, ARGV[8])
    redis.call('ZINCRBY', KEYS[6], pts, ARGV[8])
    redis.call('PEXPIRE', KEYS[6], ARGV[10])
  end
end
return {1, pts, streak, -1}`)

// StudyAnswered returns the option a member answered on day, if any.
func (s *Store) StudyAnswered(ctx context.Context, userID int64, day string) (int, bool, error) {
	opt, err := s.rdb.HGet(ctx, s.studyDayKey(day), "a:"+uidField(userID)).Int()
	if isNil(err) {
		return -1, false, nil
	}
	if err != nil {
		return -1, false, fmt.Errorf("study answer of %d: %w", userID, err)
	}
	return opt, true, nil
}

// StudyStats returns a member's record; Points and WeekPoints come from the
// boards. Streak is the stored one: the caller decides whether it is still
// alive (LastDay today or yesterday).
func (s *Store) StudyStats(ctx context.Context, userID int64, week string) (communitybot.StudyStats, error) {
	pipe := s.rdb.Pipeline()
	h := pipe.HGetAll(ctx, s.studyStatsKey(userID))
	all := pipe.ZScore(ctx, s.studyBoardKey("", false), uidField(userID))
	wk := pipe.ZScore(ctx, s.studyBoardKey(week, false), uidField(userID))
	if _, err := pipe.Exec(ctx); err != nil && !isNil(err) {
		return communitybot.StudyStats{}, fmt.Errorf("study stats of %d: %w", userID, err)
	}
	m := h.Val()
	n := func(k string) int64 { v, _ := strconv.ParseInt(m[k], 10, 64); return v }
	return communitybot.StudyStats{
		Points: int64(all.Val()), WeekPoints: int64(wk.Val()),
		Answered: n("answered"), Correct: n("correct"),
		Streak: n("streak"), BestStreak: n("best"), LastDay: m["last"],
	}, nil
}

// StudyTop returns the first n of a board (see studyBoardKey), or all of
// it for n <= 0, best first with places; equal points share a place.
func (s *Store) StudyTop(ctx context.Context, week string, branches bool, n int) ([]communitybot.Standing, error) {
	stop := int64(n) - 1
	if n <= 0 {
		stop = -1
	}
	zs, err := s.rdb.ZRevRangeWithScores(ctx, s.studyBoardKey(week, branches), 0, stop).Result()
	if err != nil {
		return nil, fmt.Errorf("study board: %w", err)
	}
	out := make([]communitybot.Standing, len(zs))
	for i, z := range zs {
		place := i + 1
		if i > 0 && int64(z.Score) == out[i-1].Points {
			place = out[i-1].Place
		}
		out[i] = communitybot.Standing{ID: fmt.Sprint(z.Member), Points: int64(z.Score), Place: place}
	}
	return out, nil
}

// StudyBoard returns a whole board, best first (the weekly summary).
func (s *Store) StudyBoard(ctx context.Context, week string, branches bool) ([]communitybot.Standing, error) {
	return s.StudyTop(ctx, week, branches, 0)
}

// StudyPlace returns the standing of one member (a decimal user id) or
// branch on a board; ok is false when it has no points there.
func (s *Store) StudyPlace(ctx context.Context, week string, branches bool, id string) (communitybot.Standing, bool, error) {
	key := s.studyBoardKey(week, branches)
	score, err := s.rdb.ZScore(ctx, key, id).Result()
	if isNil(err) {
		return communitybot.Standing{ID: id}, false, nil
	}
	if err != nil {
		return communitybot.Standing{}, false, fmt.Errorf("study place: %w", err)
	}
	above, err := s.rdb.ZCount(ctx, key, "("+strconv.FormatFloat(score, 'f', -1, 64), "+inf").Result()
	if err != nil {
		return communitybot.Standing{}, false, fmt.Errorf("study place: %w", err)
	}
	return communitybot.Standing{ID: id, Points: int64(score), Place: int(above) + 1}, true, nil
}

// StudyDay returns a day's participation figures.
func (s *Store) StudyDay(ctx context.Context, day string) (communitybot.StudyDay, error) {
	vals, err := s.rdb.HMGet(ctx, s.studyDayKey(day), "n:read", "n:answered", "n:correct").Result()
	if err != nil {
		return communitybot.StudyDay{}, fmt.Errorf("study day %s: %w", day, err)
	}
	n := func(v any) int64 {
		str, _ := v.(string)
		x, _ := strconv.ParseInt(str, 10, 64)
		return x
	}
	return communitybot.StudyDay{Read: n(vals[0]), Answered: n(vals[1]), Correct: n(vals[2])}, nil
}

// Items admins add in the bot live in one hash, id → JSON, with ids
// "add-<n>" from a counter, so their order is the order they were added.

func (s *Store) studyExtraKey() string    { return s.studyKey("extra") }
func (s *Store) studyExtraSeqKey() string { return s.studyKey("extra-seq") }

type studyItemRecord struct {
	Title     string                `json:"t"`
	Text      string                `json:"x"`
	Questions []studyQuestionRecord `json:"q"`
}

type studyQuestionRecord struct {
	Prompt      string   `json:"p"`
	Options     []string `json:"o"`
	Answer      int      `json:"a"`
	Explanation string   `json:"e"`
}

// addStudyItem numbers and stores an item. With a once key (an admin's
// update handled again) it stores nothing the second time and returns the
// first call's id.
//
// KEYS: once, seq, items. ARGV: has-once, once-ttl, id prefix, record.
var addStudyItem = redis.NewScript(`
if ARGV[1] == '1' then
  local prev = redis.call('GET', KEYS[1])
  if prev then return prev end
end
local id = ARGV[3] .. redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[3], id, ARGV[4])
if ARGV[1] == '1' then redis.call('SET', KEYS[1], id, 'EX', ARGV[2]) end
return id`)

// AddStudyItem stores an item added by an admin under a new id and returns
// it with that id. The caller has validated it. Under a once key
// (communitybot.WithOnceKey) a second call stores nothing and returns the
// item with the first call's id, so an update handled again adds no
// duplicate.
func (s *Store) AddStudyItem(ctx context.Context, it communitybot.StudyItem) (communitybot.StudyItem, error) {
	rec := studyItemRecord{Title: it.Title, Text: it.Text}
	for _, q := range it.Questions {
		rec.Questions = append(rec.Questions, studyQuestionRecord{Prompt: q.Prompt, Options: q.Options, Answer: q.Answer, Explanation: q.Explanation})
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		return it, err
	}
	onceKey, hasOnce := communitybot.OnceKey(ctx)
	id, err := s.runScript(ctx, addStudyItem, []string{s.studyKey("once", "add", onceKey), s.studyExtraSeqKey(), s.studyExtraKey()},
		boolArg(hasOnce), int(onceTTL.Seconds()), studyExtraBase, raw).Text()
	if err != nil {
		return it, fmt.Errorf("add study item: %w", err)
	}
	it.ID = id
	return it, nil
}

// deleteStudyItem removes an item; with a once key, a second call removes
// nothing and returns the first call's result.
//
// KEYS: once, items. ARGV: has-once, once-ttl, id.
var deleteStudyItem = redis.NewScript(`
if ARGV[1] == '1' then
  local prev = redis.call('GET', KEYS[1])
  if prev then return tonumber(prev) end
end
local n = redis.call('HDEL', KEYS[2], ARGV[3])
if ARGV[1] == '1' then redis.call('SET', KEYS[1], n, 'EX', ARGV[2]) end
return n`)

// DeleteStudyItem removes an item added in the bot and reports whether it
// existed. Under a once key (communitybot.WithOnceKey) a second call
// removes nothing and reports what the first did, so an update handled
// again gets the same answer.
func (s *Store) DeleteStudyItem(ctx context.Context, id string) (bool, error) {
	onceKey, hasOnce := communitybot.OnceKey(ctx)
	n, err := s.runScript(ctx, deleteStudyItem, []string{s.studyKey("once", "del", onceKey), s.studyExtraKey()},
		boolArg(hasOnce), int(onceTTL.Seconds()), id).Int()
	if err != nil {
		return false, fmt.Errorf("delete study item %s: %w", id, err)
	}
	return n == 1, nil
}

// StudyItems returns the items added in the bot, oldest first. A record
// that cannot be read is skipped rather than failing the whole bank.
func (s *Store) StudyItems(ctx context.Context) ([]communitybot.StudyItem, error) {
	m, err := s.rdb.HGetAll(ctx, s.studyExtraKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("study items: %w", err)
	}
	out := make([]communitybot.StudyItem, 0, len(m))
	for id, raw := range m {
		var rec studyItemRecord
		if json.Unmarshal([]byte(raw), &rec) != nil {
			continue
		}
		it := communitybot.StudyItem{ID: id, Title: rec.Title, Text: rec.Text}
		for _, q := range rec.Questions {
			it.Questions = append(it.Questions, communitybot.StudyQuestion{Prompt: q.Prompt, Options: q.Options, Answer: q.Answer, Explanation: q.Explanation})
		}
		out = append(out, it)
	}
	seq := func(id string) int64 {
		n, _ := strconv.ParseInt(strings.TrimPrefix(id, studyExtraBase), 10, 64)
		return n
	}
	sort.Slice(out, func(i, j int) bool { return seq(out[i].ID) < seq(out[j].ID) })
	return out, nil
}

// SubscribedAmong reports which of chatIDs subscribe to t, in one round
// trip (the weekly summary's audience: a branch's members who still take
// the daily study).
func (s *Store) SubscribedAmong(ctx context.Context, t communitybot.Topic, chatIDs []int64) (map[int64]bool, error) {
	out := make(map[int64]bool, len(chatIDs))
	if len(chatIDs) == 0 {
		return out, nil
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.BoolCmd, len(chatIDs))
	for i, id := range chatIDs {
		cmds[i] = pipe.SIsMember(ctx, s.subscriptionKey(t), id)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("subscribers of %s: %w", t, err)
	}
	for i, c := range cmds {
		if c.Val() {
			out[chatIDs[i]] = true
		}
	}
	return out, nil
}

// StudyAnswerers returns the ids of the users who gave a scored answer on
// each of the given days, as one set (distinct users). One round trip.
func (s *Store) StudyAnswerers(ctx context.Context, days []string) (map[int64]bool, error) {
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.StringSliceCmd, len(days))
	for i, d := range days {
		cmds[i] = pipe.HKeys(ctx, s.studyDayKey(d))
	}
	if _, err := pipe.Exec(ctx); err != nil && len(days) > 0 {
		return nil, fmt.Errorf("study answerers: %w", err)
	}
	out := map[int64]bool{}
	for _, c := range cmds {
		for _, f := range c.Val() {
			if uid, ok := strings.CutPrefix(f, "a:"); ok {
				if id, err := strconv.ParseInt(uid, 10, 64); err == nil {
					out[id] = true
				}
			}
		}
	}
	return out, nil
}
