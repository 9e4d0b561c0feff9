package scheduler

import (
	"fmt"
	"strconv"
	"strings"
)

var weekdayLabels = []string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// Describe renders a recurring spec in Chinese (每天 08:00, 每周一 09:00,
// 工作日（周一至周五）08:00, 每月1日 10:00), so an admin can check that the
// bot read the time as meant. A spec it cannot put in words is shown as
// 「cron 周期 <spec>」.
func Describe(spec string) string {
	fallback := "cron 周期 " + spec
	switch strings.ToLower(spec) {
	case "@daily", "@midnight":
		return "每天 00:00"
	case "@weekly":
		return "每周日 00:00"
	case "@monthly":
		return "每月1日 00:00"
	case "@yearly", "@annually":
		return "每年1月1日 00:00"
	case "@hourly":
		return "每小时整点"
	}
	f := strings.Fields(spec)
	if len(f) == 6 && f[0] == "0" { // leading seconds (tests)
		f = f[1:]
	}
	if len(f) != 5 {
		return fallback
	}
	minute, err1 := strconv.Atoi(f[0])
	hour, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || minute < 0 || minute > 59 || hour < 0 || hour > 23 {
		return fallback
	}
	clock := fmt.Sprintf("%02d:%02d", hour, minute)
	dom, month, dow := f[2], f[3], f[4]
	if month != "*" {
		m, err1 := strconv.Atoi(month)
		d, err2 := strconv.Atoi(dom)
		if err1 != nil || err2 != nil || dow != "*" {
			return fallback
		}
		return fmt.Sprintf("每年%d月%d日 %s", m, d, clock)
	}
	switch {
	case dom == "*" && (dow == "*" || dow == "?"):
		return "每天 " + clock
	case dom == "*" || dom == "?":
		days, ok := weekdaysOf(dow)
		if !ok {
			return fallback
		}
		if strings.HasSuffix(days, "）") {
			return days + clock
		}
		return days + " " + clock
	case dow == "*" || dow == "?":
		d, err := strconv.Atoi(dom)
		if err != nil {
			return fallback
		}
		return fmt.Sprintf("每月%d日 %s", d, clock)
	}
	return fallback
}

// weekdaysOf renders a day-of-week field of numbers, ranges and lists,
// Monday first: 1-5 is 工作日（周一至周五）, 6,0 is 每周六、周日.
func weekdaysOf(dow string) (string, bool) {
	var days [7]bool
	for _, item := range strings.Split(dow, ",") {
		a, b, isRange := strings.Cut(item, "-")
		lo, err1 := strconv.Atoi(a)
		hi, err2 := lo, error(nil)
		if isRange {
			hi, err2 = strconv.Atoi(b)
		}
		if err1 != nil || err2 != nil || lo < 0 || hi > 7 || lo > hi {
			return "", false
		}
		for d := lo; d <= hi; d++ {
			days[d%7] = true
		}
	}
	var names []string
	for _, d := range []int{1, 2, 3, 4, 5, 6, 0} {
		if days[d] {
			names = append(names, weekdayLabels[d])
		}
	}
	switch strings.Join(names, "") {
	case "周一周二周三周四周五":
		return "工作日（周一至周五）", true
	case "周一周二周三周四周五周六周日":
		return "每天", true
	}
	return "每" + strings.Join(names, "、"), true
}
