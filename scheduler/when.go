package scheduler

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/robfig/cron/v3"

	"github.com/zhangmiao/communitybot"
)

// When is a parsed schedule: a one-off time, or a recurring cron spec.
type When struct {
	At       time.Time     // one-off
	Spec     string        // recurring: the cron spec as given
	Schedule cron.Schedule // recurring
}

// Recurring reports whether w repeats.
func (w When) Recurring() bool { return w.Spec != "" }

// whenHelp ends every parse error: what the admin can write instead.
const whenHelp = "时间可以写成：\n• 具体时间：2026-12-01 09:00、12-01 09:00、12月1日下午3点、明天9点、9:00（今天或明天）\n• 多久以后：30m（30 分钟）、2h（2 小时）、1h30m、1d（1 天），也可写 30分钟、2小时\n• 周期（cron 格式，分 时 日 月 周）：0 9 * * 1 表示每周一 9:00\n例如：/schedule 2h 下午三点在居委会开会"

var (
	dateLike    = regexp.MustCompile(`^\d{2,4}[-/.年]\d{1,2}`)
	cronField   = regexp.MustCompile(`^[0-9*/,\-?A-Za-z]+$`)
	chineseSpan = regexp.MustCompile(`^(\d+)\s*(分钟|分|小时|时|天|日)$`)
	dateLayouts = []string{"2006-01-02 15:04", "2006-1-2 15:04", "2006/01/02 15:04", "2006/1/2 15:04", "2006.01.02 15:04", "2006.1.2 15:04", "2006-01-02 15:04:05"}
)

// cutFields splits off the first n whitespace-separated fields of s and
// returns them and the rest, trimmed but with its inner line breaks kept.
func cutFields(s string, n int) ([]string, string, bool) {
	rest := strings.TrimLeftFunc(s, unicode.IsSpace)
	var fields []string
	for range n {
		if rest == "" {
			return nil, "", false
		}
		end := strings.IndexFunc(rest, unicode.IsSpace)
		if end < 0 {
			end = len(rest)
		}
		fields = append(fields, rest[:end])
		rest = strings.TrimLeftFunc(rest[end:], unicode.IsSpace)
	}
	return fields, strings.TrimRightFunc(rest, unicode.IsSpace), true
}

// ParseWhen reads "<when> <text>": a time ("2026-12-01 09:00", in loc), a
// relative time ("30m", "2h", "1h30m", "1d", "30分钟", "2小时"), or a cron
// spec ("0 9 * * 1", "@daily"), and returns it with the rest of args.
// Errors carry a user-safe Chinese message; a time in the past is one.
// fields is the number of cron fields: 5, or 6 with a leading seconds field.
func ParseWhen(args string, now time.Time, loc *time.Location, parser cron.Parser, fields int) (When, string, error) {
	args = strings.TrimSpace(args)
	if args == "" {
		return When{}, "", communitybot.Errorf(communitybot.ErrInvalid, "请写上发送时间和提醒内容。\n%s", whenHelp)
	}
	now = now.In(loc)
	first, _, _ := cutFields(args, 1)

	// How people write times: 9:00, 12-01 09:00, 明天9点, 12月1日下午3点半.
	if at, rest, ok := parseCasualTime(args, now, loc); ok {
		return checkOneOff(at, rest, now)
	}

	// A date and a time.
	if dateLike.MatchString(first[0]) {
		two, rest, ok := cutFields(args, 2)
		if !ok {
			return When{}, "", communitybot.Errorf(communitybot.ErrInvalid, "请在日期后面写上几点几分，例如 2026-12-01 09:00。\n%s", whenHelp)
		}
		at, err := parseDateTime(two[0]+" "+two[1], loc)
		if err != nil {
			return When{}, "", communitybot.Errorf(communitybot.ErrInvalid, "看不懂时间“%s %s”。\n%s", truncate(two[0], 20), truncate(two[1], 20), whenHelp)
		}
		return checkOneOff(at, rest, now)
	}

	// A cron descriptor (@daily) or spec (0 9 * * 1).
	if strings.HasPrefix(first[0], "@") {
		sched, err := parser.Parse(first[0])
		if err != nil {
			return When{}, "", communitybot.Errorf(communitybot.ErrInvalid, "看不懂周期“%s”。可以用 @daily（每天 0 点）、@weekly（每周日 0 点），或 5 段的 cron 格式。\n%s", truncate(first[0], 20), whenHelp)
		}
		_, rest, _ := cutFields(args, 1)
		return When{Spec: first[0], Schedule: sched}, rest, nil
	}
	if spec, rest, ok := cutFields(args, fields); ok && allCronFields(spec) {
		sched, err := parser.Parse(strings.Join(spec, " "))
		if err == nil {
			return When{Spec: strings.Join(spec, " "), Schedule: sched}, rest, nil
		}
		if looksLikeCron(spec) {
			if why := cronFieldProblem(spec, fields); why != "" {
				return When{}, "", communitybot.Errorf(communitybot.ErrInvalid, "周期“%s”不对：%s（例如 0 9 * * 1 表示每周一 9:00）。\n%s", truncate(strings.Join(spec, " "), 40), why, whenHelp)
			}
			return When{}, "", communitybot.Errorf(communitybot.ErrInvalid, "周期“%s”的格式不对：需要 %d 段，依次是 分 时 日 月 周（例如 0 9 * * 1 表示每周一 9:00）。\n%s", truncate(strings.Join(spec, " "), 40), fields, whenHelp)
		}
	}

	// A relative time.
	if d, ok := parseSpan(first[0]); ok {
		if d < time.Minute {
			return When{}, "", communitybot.Errorf(communitybot.ErrInvalid, "“%s”太短了：最早可以安排在 1 分钟以后。", truncate(first[0], 20))
		}
		if d > 366*24*time.Hour {
			return When{}, "", communitybot.Errorf(communitybot.ErrInvalid, "最多只能安排一年以内的提醒。")
		}
		_, rest, _ := cutFields(args, 1)
		return When{At: now.Add(d).Truncate(time.Second)}, rest, nil
	}
	return When{}, "", communitybot.Errorf(communitybot.ErrInvalid, "看不懂时间“%s”。\n%s", truncate(first[0], 20), whenHelp)
}

// checkOneOff accepts a one-off time between now and a year from now.
func checkOneOff(at time.Time, rest string, now time.Time) (When, string, error) {
	if !at.After(now) {
		return When{}, "", communitybot.Errorf(communitybot.ErrInvalid, "这个时间（%s）已经过去了，请写一个将来的时间。现在是 %s。", at.Format("2006-01-02 15:04"), now.Format("2006-01-02 15:04"))
	}
	if at.After(now.AddDate(1, 0, 0)) {
		return When{}, "", communitybot.Errorf(communitybot.ErrInvalid, "最多只能安排一年以内的提醒。")
	}
	return When{At: at}, rest, nil
}

var (
	clockOnly   = regexp.MustCompile(`^(\d{1,2})[:：](\d{2})(?:\s+|$)`)
	monthDay    = regexp.MustCompile(`^(\d{1,2})-(\d{1,2})\s+(\d{1,2})[:：](\d{2})(?:\s+|$)`)
	chineseDate = regexp.MustCompile(`^(?:(\d{4})年)?(\d{1,2})月(\d{1,2})[日号]\s*(早上|上午|中午|下午|晚上)?\s*(\d{1,2})(?:[点时:：](\d{1,2})?分?(半)?)\s*`)
	chineseDay  = regexp.MustCompile(`^(今天|明天|后天)\s*(早上|上午|中午|下午|晚上)?\s*(\d{1,2})(?:[点时:：](\d{1,2})?分?(半)?)\s*`)
)

// parseCasualTime reads the ways people write a time besides
// 2026-12-01 09:00: a clock time (9:00: today, or tomorrow if passed),
// a month and day (12-01 09:00: this year, or next if passed), and Chinese
// forms (12月1日下午3点半, 明天9点). It returns the rest of args.
func parseCasualTime(args string, now time.Time, loc *time.Location) (time.Time, string, bool) {
	hm := func(hour, minute int, half bool, part string) (int, int, bool) {
		if half {
			minute = 30
		}
		if (part == "下午" || part == "晚上") && hour < 12 {
			hour += 12
		}
		if part == "中午" && hour < 6 {
			hour += 12
		}
		return hour, minute, hour >= 0 && hour < 24 && minute >= 0 && minute < 60
	}
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	if m := clockOnly.FindStringSubmatch(args); m != nil {
		h, mi, ok := hm(atoi(m[1]), atoi(m[2]), false, "")
		if !ok {
			return time.Time{}, "", false
		}
		at := time.Date(now.Year(), now.Month(), now.Day(), h, mi, 0, 0, loc)
		if !at.After(now) {
			at = at.AddDate(0, 0, 1)
		}
		return at, strings.TrimSpace(args[len(m[0]):]), true
	}
	if m := monthDay.FindStringSubmatch(args); m != nil {
		h, mi, ok := hm(atoi(m[3]), atoi(m[4]), false, "")
		at, valid := date(now.Year(), atoi(m[1]), atoi(m[2]), h, mi, loc)
		if !ok || !valid {
			return time.Time{}, "", false
		}
		if !at.After(now) {
			at, _ = date(now.Year()+1, atoi(m[1]), atoi(m[2]), h, mi, loc)
		}
		return at, strings.TrimSpace(args[len(m[0]):]), true
	}
	if m := chineseDate.FindStringSubmatch(args); m != nil {
		year := now.Year()
		if m[1] != "" {
			year = atoi(m[1])
		}
		h, mi, ok := hm(atoi(m[5]), atoi(m[6]), m[7] != "", m[4])
		at, valid := date(year, atoi(m[2]), atoi(m[3]), h, mi, loc)
		if !ok || !valid {
			return time.Time{}, "", false
		}
		if m[1] == "" && !at.After(now) {
			at, _ = date(year+1, atoi(m[2]), atoi(m[3]), h, mi, loc)
		}
		return at, strings.TrimSpace(args[len(m[0]):]), true
	}
	if m := chineseDay.FindStringSubmatch(args); m != nil {
		h, mi, ok := hm(atoi(m[3]), atoi(m[4]), m[5] != "", m[2])
		if !ok {
			return time.Time{}, "", false
		}
		days := map[string]int{"今天": 0, "明天": 1, "后天": 2}[m[1]]
		at := time.Date(now.Year(), now.Month(), now.Day()+days, h, mi, 0, 0, loc)
		return at, strings.TrimSpace(args[len(m[0]):]), true
	}
	return time.Time{}, "", false
}

// date builds a time, reporting false for a day that does not exist
// (2月30日) instead of rolling it over.
func date(year, month, day, hour, minute int, loc *time.Location) (time.Time, bool) {
	t := time.Date(year, time.Month(month), day, hour, minute, 0, 0, loc)
	return t, t.Month() == time.Month(month) && t.Day() == day
}

// cronFieldProblem names the first field of a cron spec whose number is out
// of range, in words an admin understands, or "".
func cronFieldProblem(spec []string, fields int) string {
	names := []string{"分", "时", "日", "月", "周"}
	limits := [][2]int{{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 7}}
	if fields == 6 {
		names = append([]string{"秒"}, names...)
		limits = append([][2]int{{0, 59}}, limits...)
	}
	numbers := regexp.MustCompile(`\d+`)
	for i, f := range spec {
		if i >= len(names) {
			break
		}
		for _, n := range numbers.FindAllString(f, -1) {
			v, _ := strconv.Atoi(n)
			if v < limits[i][0] || v > limits[i][1] {
				return fmt.Sprintf("第 %d 段（%s）的 %d 超出范围，应在 %d 到 %d 之间", i+1, names[i], v, limits[i][0], limits[i][1])
			}
		}
	}
	return ""
}

func parseDateTime(s string, loc *time.Location) (time.Time, error) {
	s = strings.NewReplacer("年", "-", "月", "-", "日", "").Replace(s)
	var err error
	for _, layout := range dateLayouts {
		var t time.Time
		if t, err = time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}

// parseSpan reads a relative time: Go durations plus days ("1d") and the
// Chinese units 分钟/小时/天.
func parseSpan(s string) (time.Duration, bool) {
	if m := chineseSpan.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil {
			return 0, false
		}
		unit := map[string]time.Duration{"分钟": time.Minute, "分": time.Minute, "小时": time.Hour, "时": time.Hour, "天": 24 * time.Hour, "日": 24 * time.Hour}[m[2]]
		return time.Duration(n) * unit, true
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, false
		}
		return time.Duration(n) * 24 * time.Hour, true
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, false
	}
	return d, true
}

func allCronFields(fs []string) bool {
	for _, f := range fs {
		if !cronField.MatchString(f) {
			return false
		}
	}
	return true
}

// looksLikeCron tells a malformed cron spec ("61 9 * * 1") from text that
// merely starts with numbers: most of its fields hold cron syntax.
func looksLikeCron(fs []string) bool {
	n := 0
	for _, f := range fs {
		if strings.ContainsAny(f, "*/,") {
			n++
		}
	}
	return n >= 2
}

// checkInterval rejects recurring schedules that would fire more often
// than min: a reminder every minute would drive residents away.
func checkInterval(s cron.Schedule, now time.Time, min time.Duration) error {
	t := s.Next(now)
	if t.IsZero() {
		return communitybot.Errorf(communitybot.ErrInvalid, "这个周期永远不会触发，请检查日期。")
	}
	for range 20 {
		n := s.Next(t)
		if n.IsZero() {
			break
		}
		if n.Sub(t) < min {
			return communitybot.Errorf(communitybot.ErrInvalid, "为避免打扰居民，周期提醒的间隔不能少于 %s。", spanLabel(min))
		}
		t = n
	}
	return nil
}

func spanLabel(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d 小时", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%d 分钟", d/time.Minute)
	}
	return d.String()
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// DailySpec turns a time of day ("08:00", "8:30") into the cron spec of a
// job that runs daily at that time, for built-in jobs configured by env
// (STUDY_TIME). The error names what is wrong, in English, for a config
// error.
func DailySpec(hhmm string) (string, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(hhmm))
	if err != nil {
		return "", fmt.Errorf("want a time of day like 08:00, got %q", hhmm)
	}
	return fmt.Sprintf("%d %d * * *", t.Minute(), t.Hour()), nil
}
