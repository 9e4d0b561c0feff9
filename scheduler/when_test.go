package scheduler_test

import (
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/scheduler"
)

var fiveFields = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// wed is the fixed now of the natural-time tests: Wednesday 2 December
// 2026, 10:00 in Shanghai.
var wed = time.Date(2026, 12, 2, 10, 0, 0, 0, shanghai)

func at(month time.Month, day, hour, minute int) time.Time {
	return time.Date(2026, month, day, hour, minute, 0, 0, shanghai)
}

// TestParseWhenNatural: the times staff actually type, one-off and
// recurring, resolved against a fixed now in TIMEZONE.
func TestParseWhenNatural(t *testing.T) {
	tests := []struct {
		args     string
		wantAt   time.Time
		wantSpec string
		wantText string
	}{
		// One-off.
		{args: "下周一9点 开会", wantAt: at(12, 7, 9, 0), wantText: "开会"},
		{args: "周六下午2点 义诊", wantAt: at(12, 5, 14, 0), wantText: "义诊"},
		{args: "今晚8点 停水通知", wantAt: at(12, 2, 20, 0), wantText: "停水通知"},
		{args: "明早7点半 体检空腹", wantAt: at(12, 3, 7, 30), wantText: "体检空腹"},
		{args: "后天上午10点 开会", wantAt: at(12, 4, 10, 0), wantText: "开会"},
		{args: "明天9点体检", wantAt: at(12, 3, 9, 0), wantText: "体检"},
		{args: "明天9点3号楼停水", wantAt: at(12, 3, 9, 0), wantText: "3号楼停水"},
		{args: "明天9点30分3号楼停水", wantAt: at(12, 3, 9, 30), wantText: "3号楼停水"},
		{args: "明天9点30 开会", wantAt: at(12, 3, 9, 30), wantText: "开会"},
		{args: "明天 下午3点半，在居委会开会", wantAt: at(12, 3, 15, 30), wantText: "在居委会开会"},
		{args: "明天下午两点 开会", wantAt: at(12, 3, 14, 0), wantText: "开会"},
		{args: "明晚7点15分 放映", wantAt: at(12, 3, 19, 15), wantText: "放映"},
		{args: "今天下午3点一刻 x", wantAt: at(12, 2, 15, 15), wantText: "x"},
		{args: "大后天中午12点 x", wantAt: at(12, 5, 12, 0), wantText: "x"},
		{args: "周三下午3点 今天的周三", wantAt: at(12, 2, 15, 0), wantText: "今天的周三"},
		{args: "周三9点 已过的周三是下周", wantAt: at(12, 9, 9, 0), wantText: "已过的周三是下周"},
		{args: "周一9点 下一个周一", wantAt: at(12, 7, 9, 0), wantText: "下一个周一"},
		{args: "本周日上午10点 x", wantAt: at(12, 6, 10, 0), wantText: "x"},
		{args: "这周五 18:30 x", wantAt: at(12, 4, 18, 30), wantText: "x"},
		{args: "下下周二9点 x", wantAt: at(12, 15, 9, 0), wantText: "x"},
		{args: "下个星期一 9点 x", wantAt: at(12, 7, 9, 0), wantText: "x"},
		{args: "礼拜天早上8点 x", wantAt: at(12, 6, 8, 0), wantText: "x"},
		{args: "12月7日下午3点 x", wantAt: at(12, 7, 15, 0), wantText: "x"},
		{args: "2027年1月5日9点 x", wantAt: time.Date(2027, 1, 5, 9, 0, 0, 0, shanghai), wantText: "x"},
		{args: "15号上午9点 x", wantAt: at(12, 15, 9, 0), wantText: "x"},
		{args: "1号上午9点 下个月的1号", wantAt: time.Date(2027, 1, 1, 9, 0, 0, 0, shanghai), wantText: "下个月的1号"},
		{args: "下午3点 今天", wantAt: at(12, 2, 15, 0), wantText: "今天"},
		{args: "9点 明天的9点", wantAt: at(12, 3, 9, 0), wantText: "明天的9点"},
		{args: "晚上八点半 x", wantAt: at(12, 2, 20, 30), wantText: "x"},
		{args: "12-07 09:00 x", wantAt: at(12, 7, 9, 0), wantText: "x"},
		{args: "30分钟后 x", wantAt: wed.Add(30 * time.Minute), wantText: "x"},
		{args: "1天2小时 x", wantAt: wed.Add(26 * time.Hour), wantText: "x"},
		{args: "1.5h x", wantAt: wed.Add(90 * time.Minute), wantText: "x"},
		// Recurring.
		{args: "每周一上午9点 例会", wantSpec: "0 9 * * 1", wantText: "例会"},
		{args: "每天早上8点 早操", wantSpec: "0 8 * * *", wantText: "早操"},
		{args: "每月1号上午10点 缴费", wantSpec: "0 10 1 * *", wantText: "缴费"},
		{args: "工作日每天8点 上班", wantSpec: "0 8 * * 1-5", wantText: "上班"},
		{args: "每个工作日 8:30 上班", wantSpec: "30 8 * * 1-5", wantText: "上班"},
		{args: "每周一、三、五 18:00 广场舞", wantSpec: "0 18 * * 1,3,5", wantText: "广场舞"},
		{args: "每周一三五晚上7点 x", wantSpec: "0 19 * * 1,3,5", wantText: "x"},
		{args: "每周一至周五 下午5点 x", wantSpec: "0 17 * * 1-5", wantText: "x"},
		{args: "每周日晚上8点 x", wantSpec: "0 20 * * 0", wantText: "x"},
		{args: "每周一7点 七点不是周日", wantSpec: "0 7 * * 1", wantText: "七点不是周日"},
		{args: "每周末上午10点 x", wantSpec: "0 10 * * 6,0", wantText: "x"},
		{args: "每月15日下午2点半 x", wantSpec: "30 14 15 * *", wantText: "x"},
		{args: "每日 21:00 x", wantSpec: "0 21 * * *", wantText: "x"},
		// Cron stays available; weekday 0–7, 7 is Sunday.
		{args: "0 9 * * 7 周日例会", wantSpec: "0 9 * * 0", wantText: "周日例会"},
		{args: "0 9 * * 5-7 x", wantSpec: "0 9 * * 0,5,6", wantText: "x"},
		{args: "0 9 * * 1-7 x", wantSpec: "0 9 * * *", wantText: "x"},
		{args: "0 9 * * 0 x", wantSpec: "0 9 * * 0", wantText: "x"},
		{args: "0 9 * * MON-FRI x", wantSpec: "0 9 * * MON-FRI", wantText: "x"},
	}
	for _, tc := range tests {
		t.Run(tc.args, func(t *testing.T) {
			w, text, err := scheduler.ParseWhen(tc.args, wed, shanghai, fiveFields, 5)
			if err != nil {
				t.Fatalf("ParseWhen(%q): %v", tc.args, err)
			}
			if !w.At.Equal(tc.wantAt) || w.Spec != tc.wantSpec || text != tc.wantText {
				t.Errorf("ParseWhen(%q) = at %v spec %q text %q; want at %v spec %q text %q", tc.args, w.At, w.Spec, text, tc.wantAt, tc.wantSpec, tc.wantText)
			}
			if w.Recurring() {
				if _, err := fiveFields.Parse(w.Spec); err != nil {
					t.Errorf("spec %q is not what the scheduler can reload: %v", w.Spec, err)
				}
			}
		})
	}
}

// TestParseWhenRefuses: every refusal is a clear Chinese message that
// says what is wrong, and nothing overflows.
func TestParseWhenRefuses(t *testing.T) {
	tests := []struct{ args, wantErr string }{
		{"213504d 溢出", "一年以内"},
		{"9999999999999999999d x", "一年以内"},
		{"106751d x", "一年以内"},
		{"367d x", "一年以内"},
		{"2562048h x", "一年以内"},
		{"9223372036854775807m x", "一年以内"},
		{"99999999天 x", "一年以内"},
		{"367天后 x", "一年以内"},
		{"2027-12-03 09:00 x", "一年以内"},
		{"2030年1月1日9点 x", "一年以内"},
		{"30s x", "太短"},
		{"30ms x", "看不懂时间"},
		{"0 9 * * 8 x", "第 5 段（周）的 8 超出范围，应在 0 到 7 之间"},
		{"0 9 * * 5-2 x", "第 5 段（周）的范围 5-2 开头大于结尾"},
		{"*/0 9 * * * x", "第 1 段（分）的步长“/0”应为正整数"},
		{"0 9 * * FOO x", "第 5 段（周）的“FOO”看不懂"},
		{"0 9 32 * * x", "第 3 段（日）的 32 超出范围"},
		{"0 9 * * 开会", "只有 4 段"},
		{"@every 2h x", "不支持 @every"},
		{"明天 体检", "“明天”后面请写上几点"},
		{"每周一 例会", "“每周一”后面请写上几点"},
		{"下午 开会", "“下午”后面请写上几点"},
		{"明天25点 x", "不是有效的时间"},
		{"上午15点 x", "不是有效的时间"},
		{"晚上12点 x", "不是有效的时间"},
		{"今晚早上8点 x", "不是有效的时间"},
		{"每天25点 x", "不是有效的时间"},
		{"2月30日9点 x", "没有这一天"},
		{"今天9点 x", "已经过去了"},
		{"这周一9点 x", "已经过去了"},
		{"9:5 x", "看不懂时间"},
	}
	for _, tc := range tests {
		t.Run(tc.args, func(t *testing.T) {
			w, _, err := scheduler.ParseWhen(tc.args, wed, shanghai, fiveFields, 5)
			msg, safe := communitybot.UserMessage(err)
			if err == nil || !safe || !strings.Contains(msg, tc.wantErr) {
				t.Fatalf("ParseWhen(%q) = %+v, %v; want a user-safe error with %q", tc.args, w, err, tc.wantErr)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"0 9 * * 1", "每周一 09:00"},
		{"0 8 * * *", "每天 08:00"},
		{"0 10 1 * *", "每月1日 10:00"},
		{"0 8 * * 1-5", "工作日（周一至周五）08:00"},
		{"0 18 * * 1,3,5", "每周一、周三、周五 18:00"},
		{"0 10 * * 6,0", "每周六、周日 10:00"},
		{"0 9 * * 0,5,6", "每周五、周六、周日 09:00"},
		{"30 14 1 6 *", "每年6月1日 14:30"},
		{"0 0 9 * * 1", "每周一 09:00"},
		{"@daily", "每天 00:00"},
		{"@weekly", "每周日 00:00"},
		{"*/15 9 * * *", "cron 周期 */15 9 * * *"},
		{"0 9 1 * 1", "cron 周期 0 9 1 * 1"},
		{"0 9 * * MON", "cron 周期 0 9 * * MON"},
	}
	for _, tc := range tests {
		if got := scheduler.Describe(tc.spec); got != tc.want {
			t.Errorf("Describe(%q) = %q, want %q", tc.spec, got, tc.want)
		}
	}
}

// FuzzParseWhen: no input panics; whatever is accepted is either a
// one-off between now and a year from now or a spec the scheduler can
// reload; the text is what followed the time; a refusal is user-safe.
func FuzzParseWhen(f *testing.F) {
	for _, s := range []string{"213504d x", "下周一9点 开会", "每周一上午9点 例会", "0 9 * * 7 x", "明天 九点", "12月7日下午3点半 x",
		"1h30m x", "9999999999999999999h", "每周一、三、五 18:00 x", "15号上午9点 x", "@daily x", "2026-12-01 09:00 x", "周1", "每月三十一号9点 x"} {
		f.Add(s)
	}
	latest := wed.AddDate(1, 0, 0)
	f.Fuzz(func(t *testing.T, args string) {
		w, text, err := scheduler.ParseWhen(args, wed, shanghai, fiveFields, 5)
		if err != nil {
			if _, safe := communitybot.UserMessage(err); !safe {
				t.Fatalf("ParseWhen(%q): error without a user message: %v", args, err)
			}
			return
		}
		if !strings.HasSuffix(strings.TrimSpace(args), text) {
			t.Fatalf("ParseWhen(%q): text %q is not the end of the input", args, text)
		}
		if w.Recurring() {
			if _, err := fiveFields.Parse(w.Spec); err != nil {
				t.Fatalf("ParseWhen(%q): spec %q does not reload: %v", args, w.Spec, err)
			}
			_ = scheduler.Describe(w.Spec)
			return
		}
		if !w.At.After(wed) || w.At.After(latest) {
			t.Fatalf("ParseWhen(%q) = %v: outside now … a year from now", args, w.At)
		}
	})
}
