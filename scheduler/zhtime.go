package scheduler

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/zhangmiao/communitybot"
)

// The Chinese ways staff write a time, read by a small scanner rather than
// a library: github.com/olebedev/when (the kept Go library with Chinese
// rules, v1.1.0) panics with "slice bounds out of range" on 明天9点,
// 下周一9点, 今晚8点 and every other phrase below except 12月1日下午3点半,
// and has no recurring forms at all.
//
// One-off:   [day] [part of day] clock
//   day:     今天 明天 后天 大后天 · 今晚 今早 明早 明晚 · [这|本|下|下下]周一…周日
//            (also 星期一, 礼拜一; 下个周一) · [2027年]12月7日 · 15号
//   part:    凌晨 早上 上午 中午 下午 傍晚 晚上 …
//   clock:   9点 9点半 9点15 9点15分 9点一刻 9:15 九点 两点半
// Recurring: 每天 · 每周一 · 每周一、三、五 · 每周一至周五 · 工作日[每天] ·
//            每周末 · 每月1号, then [part of day] clock.
//
// A day with no clock after it (明天 体检) is an error that says what is
// missing, not a guess.

// natural is a time read by parseNatural: a one-off time or a cron spec.
type natural struct {
	at   time.Time
	spec string
}

// zhScanner walks a string; every method either consumes what it read and
// reports true, or leaves the position unchanged.
type zhScanner struct {
	s string
	i int
}

func (sc *zhScanner) rest() string { return sc.s[sc.i:] }

// lit consumes the first of words that the input starts with. List longer
// words before their prefixes.
func (sc *zhScanner) lit(words ...string) (string, bool) {
	for _, w := range words {
		if strings.HasPrefix(sc.rest(), w) {
			sc.i += len(w)
			return w, true
		}
	}
	return "", false
}

func (sc *zhScanner) space() {
	for sc.i < len(sc.s) {
		r, n := utf8.DecodeRuneInString(sc.rest())
		if !unicode.IsSpace(r) {
			return
		}
		sc.i += n
	}
}

// digits reads 1 to max ASCII or full-width digits. More digits than max
// is no number: 12345 is not a day or an hour.
func (sc *zhScanner) digits(max int) (int, bool) {
	v, n, j := 0, 0, sc.i
	for j < len(sc.s) {
		r, size := utf8.DecodeRuneInString(sc.s[j:])
		var d int
		switch {
		case r >= '0' && r <= '9':
			d = int(r - '0')
		case r >= '０' && r <= '９':
			d = int(r - '０')
		default:
			goto done
		}
		if n == max {
			return 0, false
		}
		v, n, j = v*10+d, n+1, j+size
	}
done:
	if n == 0 {
		return 0, false
	}
	sc.i = j
	return v, true
}

var cnDigits = map[rune]int{'零': 0, '〇': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}

// cnNumber reads a Chinese number from 0 to 99: 九, 十, 十五, 二十, 二十三,
// 零五 (as in 九点零五).
func (sc *zhScanner) cnNumber() (int, bool) {
	var rs []rune
	j := sc.i
	for j < len(sc.s) && len(rs) < 3 {
		r, size := utf8.DecodeRuneInString(sc.s[j:])
		if _, ok := cnDigits[r]; !ok && r != '十' {
			break
		}
		rs = append(rs, r)
		j += size
	}
	// Take the longest prefix that is a well-formed number.
	for k := len(rs); k > 0; k-- {
		if v, ok := cnValue(rs[:k]); ok {
			sc.i += len(string(rs[:k]))
			return v, true
		}
	}
	return 0, false
}

func cnValue(rs []rune) (int, bool) {
	d := func(r rune) (int, bool) { v, ok := cnDigits[r]; return v, ok }
	switch len(rs) {
	case 1:
		if rs[0] == '十' {
			return 10, true
		}
		return d(rs[0])
	case 2:
		if rs[0] == '十' { // 十五
			v, ok := d(rs[1])
			return 10 + v, ok && v > 0
		}
		if rs[1] == '十' { // 二十
			v, ok := d(rs[0])
			return v * 10, ok && v > 1
		}
		if rs[0] == '零' || rs[0] == '〇' { // 零五
			v, ok := d(rs[1])
			return v, ok
		}
	case 3:
		if rs[1] == '十' { // 二十三
			a, ok1 := d(rs[0])
			b, ok2 := d(rs[2])
			return a*10 + b, ok1 && ok2 && a > 1 && b > 0
		}
	}
	return 0, false
}

// number reads digits (at most max) or a Chinese number.
func (sc *zhScanner) number(max int) (int, bool) {
	if v, ok := sc.digits(max); ok {
		return v, true
	}
	return sc.cnNumber()
}

// parts of the day, longest first.
var dayParts = []string{"凌晨", "清晨", "早上", "早晨", "上午", "中午", "下午", "傍晚", "晚上", "夜里", "夜间", "早", "晚"}

// clock reads 9点, 9点半, 9点15(分), 9点一刻, 9:15, 九点零五 and returns the
// hour and minute as written.
func (sc *zhScanner) clock() (hour, minute int, ok bool) {
	save := sc.i
	h, ok := sc.number(2)
	if !ok {
		return 0, 0, false
	}
	sc.space()
	sep, ok := sc.lit("点钟", "点", "點", "时", ":", "：")
	if !ok {
		sc.i = save
		return 0, 0, false
	}
	if sep == ":" || sep == "：" {
		at := sc.i
		m, ok := sc.digits(2)
		if !ok || sc.i-at != 2 { // 9:05, not 9:5
			sc.i = save
			return 0, 0, false
		}
		return h, m, true
	}
	if w, ok := sc.lit("半", "一刻", "三刻", "整"); ok {
		return h, map[string]int{"半": 30, "一刻": 15, "三刻": 45, "整": 0}[w], true
	}
	at := sc.i
	if m, ok := sc.number(2); ok {
		if _, ok := sc.lit("分钟", "分"); ok {
			return h, m, true
		}
		// 9点3号楼停水: the number belongs to the text, not the clock.
		if _, counted := sc.lit("号", "楼", "栋", "幢", "个", "人", "名", "位", "次", "天", "日", "月", "年", "户", "%", "％"); !counted {
			return h, m, true
		}
	}
	sc.i = at
	return h, 0, true
}

// weekdayNames maps 一…日 to 1…7 (Sunday is 7, the end of a Chinese week).
var weekdayNames = map[string]int{"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "日": 7, "天": 7, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "6": 6, "7": 7}

func (sc *zhScanner) weekdayName() (int, bool) {
	w, ok := sc.lit("一", "二", "三", "四", "五", "六", "日", "天", "1", "2", "3", "4", "5", "6", "7")
	if !ok {
		return 0, false
	}
	return weekdayNames[w], true
}

func (sc *zhScanner) weekWord() bool {
	_, ok := sc.lit("周", "星期", "礼拜")
	return ok
}

// hourOf applies the part of the day to an hour as written: 下午2点 is
// 14:00, 晚上8点 20:00, 中午1点 13:00. ok is false for a clock that does not
// exist or a part that contradicts it (上午15点, 晚上12点).
func hourOf(part string, h, m int) (int, bool) {
	if m < 0 || m > 59 || h < 0 || h > 23 {
		return 0, false
	}
	switch part {
	case "":
		return h, true
	case "凌晨":
		if h == 12 {
			return 0, true
		}
		return h, h <= 6
	case "清晨", "早上", "早晨", "早":
		return h, h >= 4 && h <= 11
	case "上午":
		return h, h >= 5 && h <= 12
	case "中午":
		if h >= 1 && h <= 2 {
			return h + 12, true
		}
		return h, h >= 11 && h <= 14
	case "下午", "傍晚":
		if h >= 1 && h <= 11 {
			return h + 12, true
		}
		return h, h >= 12
	case "晚上", "夜里", "夜间", "晚":
		if h >= 5 && h <= 11 {
			return h + 12, true
		}
		return h, h >= 17
	}
	return 0, false
}

// parseNatural reads a Chinese time at the start of args. matched is
// false when args does not start with one (a cron spec, 30m, 2026-12-01);
// a matched time that cannot be used (25点, 2月30日, 明天 with no clock)
// is an error with a user-safe message. fields is the number of cron
// fields of a recurring spec (6: a leading seconds field, in tests).
func parseNatural(args string, now time.Time, loc *time.Location, fields int) (n natural, rest string, matched bool, err error) {
	sc := &zhScanner{s: args}
	if dom, dow, ok := sc.recurrence(); ok {
		dayEnd := sc.i
		h, m, part, found := sc.timeOfDay()
		if !found {
			return natural{}, "", true, noClock(args[:dayEnd] + part)
		}
		hour, ok := hourOf(part, h, m)
		if !ok {
			return natural{}, "", true, badClock(args[:sc.i])
		}
		spec := fmt.Sprintf("%d %d %s * %s", m, hour, dom, dow)
		if fields == 6 {
			spec = "0 " + spec
		}
		return natural{spec: spec}, restAfter(sc), true, nil
	}

	day, haveDay := sc.day()
	dayEnd := sc.i
	h, m, part, found := sc.timeOfDay()
	switch {
	case !found && !haveDay && part == "":
		return natural{}, "", false, nil // neither a day nor a clock
	case !found:
		return natural{}, "", true, noClock(args[:dayEnd] + part)
	}
	if day.implied != "" {
		if part != "" && part != day.implied {
			return natural{}, "", true, badClock(args[:sc.i])
		}
		part = day.implied
	}
	hour, valid := hourOf(part, h, m)
	if !valid {
		return natural{}, "", true, badClock(args[:sc.i])
	}
	if !haveDay {
		// A clock alone: today, or tomorrow once it has passed.
		at := time.Date(now.Year(), now.Month(), now.Day(), hour, m, 0, 0, loc)
		if !at.After(now) {
			at = time.Date(now.Year(), now.Month(), now.Day()+1, hour, m, 0, 0, loc)
		}
		return natural{at: at}, restAfter(sc), true, nil
	}
	at, err := day.resolve(now, loc, hour, m, args[:dayEnd])
	if err != nil {
		return natural{}, "", true, err
	}
	return natural{at: at}, restAfter(sc), true, nil
}

// restAfter is the text after the time, without the space or punctuation
// that separated them (明天9点，体检).
func restAfter(sc *zhScanner) string {
	return strings.TrimSpace(strings.TrimLeftFunc(sc.rest(), func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("，,：:、。", r)
	}))
}

func badClock(what string) error {
	return communitybot.Errorf(communitybot.ErrInvalid, "“%s”不是有效的时间：小时应在 0 到 23 之间、分钟在 0 到 59 之间，上午/下午/晚上要和钟点对得上（例如 下午2点、晚上8点、20:00）。", truncate(strings.TrimSpace(what), 20))
}

// timeOfDay reads [part of day] clock after the day. found is false,
// and nothing consumed, when there is no clock; part is what was read
// before it, for the caller's message.
func (sc *zhScanner) timeOfDay() (h, m int, part string, found bool) {
	start := sc.i
	sc.space()
	part, _ = sc.lit(dayParts...)
	sc.space()
	h, m, ok := sc.clock()
	if !ok {
		sc.i = start
		return 0, 0, part, false
	}
	return h, m, part, true
}

// noClock is the error for a day or part of the day with no clock after
// it (明天 体检): it names what was written, never guesses an hour.
func noClock(written string) error {
	w := truncate(strings.TrimSpace(written), 20)
	return communitybot.Errorf(communitybot.ErrInvalid, "“%s”后面请写上几点，例如 %s9点 或 %s下午3点半。\n%s", w, w, w, whenHelp)
}

// recurrence reads 每天, 每周一, 每周一、三, 每周一至周五, 工作日[每天],
// 每周末 or 每月1号 and returns the cron day-of-month and day-of-week
// fields.
func (sc *zhScanner) recurrence() (dom, dow string, ok bool) {
	save := sc.i
	fail := func() (string, string, bool) { sc.i = save; return "", "", false }
	if _, ok := sc.lit("每天", "每日", "天天"); ok {
		return "*", "*", true
	}
	every := false
	if _, ok := sc.lit("每个", "每"); ok {
		every = true
	}
	if _, ok := sc.lit("工作日"); ok {
		sc.lit("每天", "每日")
		return "*", "1-5", true
	}
	if _, ok := sc.lit("周末", "双休日"); ok {
		if !every {
			return fail() // 周末 alone is this weekend, not every one
		}
		sc.lit("每天", "每日")
		return "*", "6,0", true
	}
	if !every {
		return fail()
	}
	if _, ok := sc.lit("月"); ok {
		d, ok := sc.digits(2)
		if !ok {
			d, ok = sc.cnNumber()
		}
		if !ok {
			return fail()
		}
		if _, ok := sc.lit("日", "号"); !ok || d < 1 || d > 31 {
			return fail()
		}
		return fmt.Sprint(d), "*", true
	}
	if !sc.weekWord() {
		return fail()
	}
	days, ok := sc.weekdayList()
	if !ok {
		return fail()
	}
	return "*", days, true
}

// weekdayList reads 一, 一、三、五, 一三五, 一至五 (or 一到周五) after 每周 and
// returns the cron day-of-week field (Sunday as 0).
func (sc *zhScanner) weekdayList() (string, bool) {
	first, ok := sc.weekdayName()
	if !ok {
		return "", false
	}
	save := sc.i
	if _, ok := sc.lit("至", "到", "-", "~", "～"); ok {
		sc.weekWord()
		last, ok := sc.weekdayName()
		if ok && last > first {
			switch {
			case last == 7 && first == 1:
				return "*", true
			case last == 7 && first == 6:
				return "6,0", true
			case last == 7:
				return fmt.Sprintf("%d-6,0", first), true
			}
			return fmt.Sprintf("%d-%d", first, last), true
		}
		sc.i = save
	}
	list := []int{first}
	for {
		save := sc.i
		_, sep := sc.lit("、", "，", ",", "和", "及")
		week := sc.weekWord()
		at := sc.i
		d, ok := sc.weekdayName()
		// 每周一9点: a digit right after a day is the clock, not a day.
		if !ok || (!sep && !week && sc.s[at] < utf8.RuneSelf) {
			sc.i = save
			break
		}
		list = append(list, d)
	}
	var b strings.Builder
	seen := map[int]bool{}
	for _, d := range list {
		d %= 7
		if seen[d] {
			continue
		}
		seen[d] = true
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, d)
	}
	return b.String(), true
}

// zhDay is a day read before the clock, resolved once the clock is known.
type zhDay struct {
	kind    string // "offset", "week", "date", "dom"
	offset  int    // days from today (offset)
	weeks   int    // 0 this week, 1 next, 2 the one after (week); -1: the coming one
	weekday int    // 1…7 (week)
	year    int    // 0: this year, or next once passed (date)
	month   int
	dom     int
	implied string // the part of day a word carries: 今晚 is 晚上
}

// day reads the day before the clock; ok is false when there is none.
// Whether the day exists is checked by resolve.
func (sc *zhScanner) day() (zhDay, bool) {
	save := sc.i
	compact := []struct {
		word    string
		offset  int
		implied string
	}{
		{"今天", 0, ""}, {"今日", 0, ""}, {"今晚上", 0, "晚上"}, {"今晚", 0, "晚上"}, {"今早上", 0, "早上"}, {"今早", 0, "早上"}, {"今晨", 0, "早上"},
		{"大后天", 3, ""}, {"明天", 1, ""}, {"明日", 1, ""}, {"明晚上", 1, "晚上"}, {"明晚", 1, "晚上"}, {"明早上", 1, "早上"}, {"明早", 1, "早上"}, {"明晨", 1, "早上"},
		{"后天", 2, ""},
	}
	for _, c := range compact {
		if _, ok := sc.lit(c.word); ok {
			return zhDay{kind: "offset", offset: c.offset, implied: c.implied}, true
		}
	}
	// [这|本|下|下下][个]周一
	weeks := -1
	switch w, _ := sc.lit("下下个", "下下", "下个", "下", "这个", "这", "本"); w {
	case "下下个", "下下":
		weeks = 2
	case "下个", "下":
		weeks = 1
	case "这个", "这", "本":
		weeks = 0
	}
	if sc.weekWord() {
		if d, ok := sc.weekdayName(); ok {
			return zhDay{kind: "week", weeks: weeks, weekday: d}, true
		}
	}
	sc.i = save
	// [2027年]12月7日, 12-07, 15号
	year := 0
	if y, ok := sc.digits(4); ok {
		if _, ok := sc.lit("年"); ok && y >= 1000 {
			year = y
		} else {
			sc.i = save
		}
	}
	at := sc.i
	if mo, ok := sc.number(2); ok {
		if _, ok := sc.lit("月"); ok {
			if d, ok := sc.number(2); ok {
				if _, ok := sc.lit("日", "号"); ok {
					return zhDay{kind: "date", year: year, month: mo, dom: d}, true
				}
			}
		}
	}
	sc.i = at
	if year == 0 {
		if mo, ok := sc.digits(2); ok {
			if _, ok := sc.lit("-", "/"); ok {
				if d, ok := sc.digits(2); ok && sc.i < len(sc.s) && unicode.IsSpace(rune(sc.s[sc.i])) {
					return zhDay{kind: "date", month: mo, dom: d}, true
				}
			}
		}
		sc.i = at
		if d, ok := sc.number(2); ok {
			if _, ok := sc.lit("号", "日"); ok {
				return zhDay{kind: "dom", dom: d}, true
			}
		}
	}
	sc.i = save
	return zhDay{}, false
}

// resolve turns the day and the clock into a time. written is the day as
// the admin wrote it, for messages.
func (d zhDay) resolve(now time.Time, loc *time.Location, hour, minute int, written string) (time.Time, error) {
	written = truncate(strings.TrimSpace(written), 20)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	at := func(day time.Time) time.Time {
		return time.Date(day.Year(), day.Month(), day.Day(), hour, minute, 0, 0, loc)
	}
	noSuchDay := communitybot.Errorf(communitybot.ErrInvalid, "看不懂时间“%s”：没有这一天。", written)
	switch d.kind {
	case "offset":
		return at(today.AddDate(0, 0, d.offset)), nil
	case "week":
		wd := int(today.Weekday())
		if wd == 0 {
			wd = 7
		}
		if d.weeks < 0 { // the coming one: today if the time is still ahead
			t := at(today.AddDate(0, 0, (d.weekday-wd+7)%7))
			if !t.After(now) {
				t = t.AddDate(0, 0, 7)
			}
			return t, nil
		}
		monday := today.AddDate(0, 0, 1-wd)
		return at(monday.AddDate(0, 0, 7*d.weeks+d.weekday-1)), nil
	case "date":
		year := d.year
		if year == 0 {
			year = now.Year()
		}
		t, ok := date(year, d.month, d.dom, hour, minute, loc)
		if !ok {
			return time.Time{}, noSuchDay
		}
		if d.year == 0 && !t.After(now) {
			if t, ok = date(year+1, d.month, d.dom, hour, minute, loc); !ok {
				return time.Time{}, noSuchDay
			}
		}
		return t, nil
	case "dom":
		// This month, or the next month that has the day once it passed.
		for k := range 3 {
			first := time.Date(now.Year(), now.Month()+time.Month(k), 1, 0, 0, 0, 0, loc)
			if t, ok := date(first.Year(), int(first.Month()), d.dom, hour, minute, loc); ok && t.After(now) {
				return t, nil
			}
		}
		return time.Time{}, noSuchDay
	}
	return time.Time{}, noSuchDay
}
