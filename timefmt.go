package communitybot

import (
	"fmt"
	"time"
)

var weekdayNames = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// FormatTime renders a time as admins and residents read it in a
// confirmation or a list: 12月7日（周一）09:00, with the year when it is not
// now's (2027年1月5日（周二）09:00). Both are shown in t's location.
func FormatTime(t, now time.Time) string {
	s := fmt.Sprintf("%d月%d日（%s）%s", t.Month(), t.Day(), weekdayNames[t.Weekday()], t.Format("15:04"))
	if t.Year() != now.In(t.Location()).Year() {
		s = fmt.Sprintf("%d年", t.Year()) + s
	}
	return s
}
