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
const whenHelp = "时间可以写成：\n" +
	"• 某个时间：明天9点、今晚8点、明早7点半、后天上午10点、下周一9点、周六下午2点、12月7日下午3点、15号上午9点、2026-12-01 09:00、9:00（今天或明天）\n" +
	"• 多久以后：30分钟、2小时、1天，或 30m、2h、1h30m、1d（一年以内）\n" +
	"• 每天/每周/每月：每天早上8点、工作日每天8点、每周一上午9点、每周一、三、五 18:00、每周末上午10点、每月1号上午10点\n" +
	"• 也可以用 cron 格式（分 时 日 月 周；周写 0–7，0 和 7 都是周日）：0 9 * * 1 表示每周一 9:00\n" +
	"例如：/schedule 明天下午3点 在居委会开会"

var (
	dateLike    = regexp.MustCompile(`^\d{2,4}[-/.年]\d{1,2}`)
	cronField   = regexp.MustCompile(`^[0-9*/,\-?A-Za-z]+$`)
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

// ParseWhen reads "<when> <text>": a Chinese time (明天9点, 下周一9点,
// 今晚8点, 每周一上午9点, 工作日每天8点, 每月1号上午10点; see zhtime.go), a
// date and time ("2026-12-01 09:00"), a relative time ("30m", "2h",
// "1h30m", "1d", "30分钟", "2小时"), or a cron spec ("0 9 * * 1",
// "@daily"), all in loc, and returns it with the rest of args. Errors
// carry a user-safe Chinese message; a one-off time in the past or more
// than a year from now is one. fields is the number of cron fields: 5, or
// 6 with a leading seconds field. A recurring When's Spec is what the
// parser accepts and what is stored (weekday 7 is written 0).
func ParseWhen(args string, now time.Time, loc *time.Location, parser cron.Parser, fields int) (When, string, error) {
	args = strings.TrimSpace(args)
	if args == "" {
		return When{}, "", communitybot.Errorf(communitybot.ErrInvalid, "请写上发送时间和提醒内容。\n%s", whenHelp)
	}
	now = now.In(loc)
	first, _, _ := cutFields(args, 1)

	// How staff write times: 明天9点, 每周一上午9点, 9:00, 12-01 09:00.
	if n, rest, matched, err := parseNatural(args, now, loc, fields); matched {
		if err != nil {
			return When{}, "", err
		}
		if n.spec != "" {
			sched, err := parser.Parse(n.spec)
			if err != nil {
				return When{}, "", fmt.Errorf("natural spec %q: %w", n.spec, err)
			}
			return When{Spec: n.spec, Schedule: sched}, rest, nil
		}
		return checkOneOff(n.at, rest, now)
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
		if strings.EqualFold(first[0], "@every") {
			// @every counts from each replica's start: the replicas would
			// not agree on the fire times, and a fire would go out twice.
			return When{}, "", communitybot.Errorf(communitybot.ErrInvalid, "不支持 @every。请写成每天/每周的时间，或 5 段的 cron 格式，例如 0 */2 * * * 表示每两小时整点。\n%s", whenHelp)
		}
		sched, err := parser.Parse(first[0])
		if err != nil {
			return When{}, "", communitybot.Errorf(communitybot.ErrInvalid, "看不懂周期“%s”。可以用 @daily（每天 0 点）、@weekly（每周日 0 点）、@monthly（每月1日 0 点），或 5 段的 cron 格式。\n%s", truncate(first[0], 20), whenHelp)
		}
		_, rest, _ := cutFields(args, 1)
		return When{Spec: first[0], Schedule: sched}, rest, nil
	}
	if spec, rest, ok := cutFields(args, fields); ok && allCronFields(spec) {
		spec[len(spec)-1] = normalizeWeekday(spec[len(spec)-1])
		joined := strings.Join(spec, " ")
		sched, err := parser.Parse(joined)
		if err == nil {
			return When{Spec: joined, Schedule: sched}, rest, nil
		}
		if looksLikeCron(spec) {
			why := cronFieldProblem(spec, fields)
			if why == "" {
				why = "请检查每一段的写法"
			}
			return When{}, "", communitybot.Errorf(communitybot.ErrInvalid, "周期“%s”不对：%s（依次是 %s，例如 0 9 * * 1 表示每周一 9:00）。\n%s", truncate(joined, 40), why, fieldNames(fields), whenHelp)
		}
	}
	if n := leadingCronFields(args, fields); n >= 2 && n < fields {
		spec, _, _ := cutFields(args, n)
		if looksLikeCron(spec) {
			return When{}, "", communitybot.Errorf(communitybot.ErrInvalid, "周期“%s”只有 %d 段：cron 格式需要 %d 段，依次是 %s（例如 0 9 * * 1 表示每周一 9:00），后面再写提醒内容。\n%s", truncate(strings.Join(spec, " "), 40), n, fields, fieldNames(fields), whenHelp)
		}
	}

	// A relative time.
	if d, ok := parseSpan(first[0]); ok {
		latest := now.AddDate(1, 0, 0)
		if d > latest.Sub(now) {
			return When{}, "", tooFar(latest)
		}
		if d < time.Minute {
			return When{}, "", communitybot.Errorf(communitybot.ErrInvalid, "“%s”太短了：最早可以安排在 1 分钟以后。", truncate(first[0], 20))
		}
		_, rest, _ := cutFields(args, 1)
		return When{At: now.Add(d).Truncate(time.Second)}, rest, nil
	}
	return When{}, "", communitybot.Errorf(communitybot.ErrInvalid, "看不懂时间“%s”。\n%s", truncate(first[0], 20), whenHelp)
}

func tooFar(latest time.Time) error {
	return communitybot.Errorf(communitybot.ErrInvalid, "最多只能安排一年以内的提醒（最晚到 %s）。", latest.Format("2006-01-02 15:04"))
}

// checkOneOff accepts a one-off time between now and a year from now.
func checkOneOff(at time.Time, rest string, now time.Time) (When, string, error) {
	if !at.After(now) {
		return When{}, "", communitybot.Errorf(communitybot.ErrInvalid, "这个时间（%s）已经过去了，请写一个将来的时间。现在是 %s。", at.Format("2006-01-02 15:04"), now.Format("2006-01-02 15:04"))
	}
	if latest := now.AddDate(1, 0, 0); at.After(latest) {
		return When{}, "", tooFar(latest)
	}
	return When{At: at}, rest, nil
}

// date builds a time, reporting false for a day that does not exist
// (2月30日) instead of rolling it over.
func date(year, month, day, hour, minute int, loc *time.Location) (time.Time, bool) {
	t := time.Date(year, time.Month(month), day, hour, minute, 0, 0, loc)
	return t, t.Month() == time.Month(month) && t.Day() == day
}

// cronFieldNames and cronLimits describe the five fields of a spec; a
// 6-field spec (tests) has a leading seconds field.
var (
	cronFieldNames = []string{"分", "时", "日", "月", "周"}
	cronLimits     = [][2]int{{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 7}}
)

func fieldSpecs(fields int) ([]string, [][2]int) {
	if fields == 6 {
		return append([]string{"秒"}, cronFieldNames...), append([][2]int{{0, 59}}, cronLimits...)
	}
	return cronFieldNames, cronLimits
}

func fieldNames(fields int) string {
	names, _ := fieldSpecs(fields)
	return strings.Join(names, " ")
}

var (
	cronMonths   = []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}
	cronWeekdays = []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}
)

// cronFieldProblem names, in words an admin understands, the first thing
// wrong in a spec the cron parser refused: a number out of range, a range
// whose start is after its end, a step that is not a positive number, a
// name that is not a month or weekday. It returns "" if it finds none.
func cronFieldProblem(spec []string, fields int) string {
	names, limits := fieldSpecs(fields)
	for i, f := range spec {
		if i >= len(names) {
			break
		}
		if why := cronItemProblem(f, i, names[i], limits[i], len(names)); why != "" {
			return fmt.Sprintf("第 %d 段（%s）%s", i+1, names[i], why)
		}
	}
	return ""
}

func cronItemProblem(field string, i int, name string, lim [2]int, n int) string {
	value := func(v string) (int, string) {
		if x, err := strconv.Atoi(v); err == nil {
			if x < lim[0] || x > lim[1] {
				return 0, fmt.Sprintf("的 %d 超出范围，应在 %d 到 %d 之间", x, lim[0], lim[1])
			}
			return x, ""
		}
		var list []string
		switch {
		case i == n-2:
			list = cronMonths
		case i == n-1:
			list = cronWeekdays
		}
		for k, w := range list {
			if strings.EqualFold(v, w) {
				if i == n-2 {
					return k + 1, ""
				}
				return k, ""
			}
		}
		if len(v) > 12 {
			v = v[:12] + "…"
		}
		if len(list) > 0 {
			return 0, fmt.Sprintf("的“%s”看不懂：请写数字，或英文缩写（%s…）", v, strings.Join(list[:3], "、"))
		}
		return 0, fmt.Sprintf("的“%s”看不懂：请写 %d 到 %d 的数字或 *", v, lim[0], lim[1])
	}
	for _, item := range strings.Split(field, ",") {
		if item == "" {
			return "有多余的逗号"
		}
		rng, step, hasStep := strings.Cut(item, "/")
		if hasStep {
			if x, err := strconv.Atoi(step); err != nil || x <= 0 {
				return fmt.Sprintf("的步长“/%s”应为正整数", truncate(step, 12))
			}
		}
		if rng == "*" || rng == "?" {
			continue
		}
		lo, hi, isRange := strings.Cut(rng, "-")
		a, why := value(lo)
		if why != "" {
			return why
		}
		if isRange {
			b, why := value(hi)
			if why != "" {
				return why
			}
			if a > b {
				return fmt.Sprintf("的范围 %s 开头大于结尾", truncate(rng, 12))
			}
		}
	}
	return ""
}

// normalizeWeekday rewrites a day-of-week field that uses 7 for Sunday
// (robfig/cron only knows 0–6): 7 → 0, 5-7 → 0,5,6, 1-7 → *. A field it
// cannot read is returned unchanged, for the parser to refuse.
func normalizeWeekday(field string) string {
	if !strings.Contains(field, "7") {
		return field
	}
	var days [8]bool
	for _, item := range strings.Split(field, ",") {
		rng, stepText, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			x, err := strconv.Atoi(stepText)
			if err != nil || x <= 0 {
				return field
			}
			step = x
		}
		lo, hi := 0, 7
		if rng != "*" {
			a, b, isRange := strings.Cut(rng, "-")
			x, err1 := strconv.Atoi(a)
			y, err2 := x, error(nil)
			if isRange {
				y, err2 = strconv.Atoi(b)
			} else if hasStep {
				y = 7
			}
			if err1 != nil || err2 != nil || x < 0 || y > 7 || x > y {
				return field
			}
			lo, hi = x, y
		} else if !hasStep {
			return field // * already means every day
		}
		for d := lo; d <= hi; d += step {
			days[d%7] = true
		}
	}
	var out []string
	for d := range 7 {
		if days[d] {
			out = append(out, strconv.Itoa(d))
		}
	}
	if len(out) == 7 {
		return "*"
	}
	return strings.Join(out, ",")
}

// leadingCronFields counts how many of the first fields of args look like
// cron fields (digits, *, /, ',' and '-' only), at most max.
func leadingCronFields(args string, max int) int {
	fs, _, _ := cutFields(args, max)
	if fs == nil {
		rest := strings.Fields(args)
		if len(rest) > max {
			rest = rest[:max]
		}
		fs = rest
	}
	n := 0
	for _, f := range fs {
		if strings.Trim(f, "0123456789*/,-?") != "" {
			break
		}
		n++
	}
	return n
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

// spanUnits are the units of a relative time, longest first.
var spanUnits = []struct {
	word string
	d    time.Duration
}{
	{"个小时", time.Hour}, {"小时", time.Hour}, {"分钟", time.Minute}, {"秒钟", time.Second},
	{"天", 24 * time.Hour}, {"分", time.Minute}, {"秒", time.Second},
	{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second},
}

// maxSpan is more than any schedule may be ahead; longer spans are
// reported as this, so nothing overflows (213504d is 2^63 ns and more).
const maxSpan = 2 * 366 * 24 * time.Hour

// parseSpan reads a relative time: one or more numbers with units (1h30m,
// 1.5h, 1d, 30分钟, 2小时, 1天2小时), optionally followed by 后/以后/之后.
// A span longer than maxSpan is returned as maxSpan.
func parseSpan(s string) (time.Duration, bool) {
	for _, suffix := range []string{"以后", "之后", "后"} {
		if t, ok := strings.CutSuffix(s, suffix); ok {
			s = t
			break
		}
	}
	if s == "" {
		return 0, false
	}
	var total float64 // seconds; float so that no sum can overflow
	for s != "" {
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
		num, err := strconv.ParseFloat(s[:i], 64)
		if i == 0 || err != nil || s[0] == '.' {
			return 0, false
		}
		s = s[i:]
		unit := time.Duration(0)
		for _, u := range spanUnits {
			if t, ok := strings.CutPrefix(s, u.word); ok {
				unit, s = u.d, t
				break
			}
		}
		if unit == 0 {
			return 0, false
		}
		total += num * unit.Seconds()
	}
	if total <= 0 {
		return 0, false
	}
	if total >= maxSpan.Seconds() {
		return maxSpan, true
	}
	return time.Duration(total * float64(time.Second)), true
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
