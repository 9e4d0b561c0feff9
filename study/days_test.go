package study

import (
	"testing"
	"time"
)

func TestDaysAndWeeks(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		at                time.Time
		loc               *time.Location
		day, prev, monday string
	}{
		// 23:59 and 00:01 in Shanghai are 15:59 and 16:01 UTC: different days.
		{time.Date(2026, 1, 26, 15, 59, 0, 0, time.UTC), sh, "20260126", "20260125", "20260126"},
		{time.Date(2026, 1, 26, 16, 1, 0, 0, time.UTC), sh, "20260127", "20260126", "20260126"},
		// Sunday night belongs to the week that started on Monday.
		{time.Date(2026, 2, 1, 15, 59, 0, 0, time.UTC), sh, "20260201", "20260131", "20260126"},
		{time.Date(2026, 2, 1, 16, 0, 0, 0, time.UTC), sh, "20260202", "20260201", "20260202"},
		// Year and leap-day boundaries.
		{time.Date(2026, 1, 1, 0, 0, 0, 0, sh), sh, "20260101", "20251231", "20251229"},
		{time.Date(2024, 3, 1, 9, 0, 0, 0, sh), sh, "20240301", "20240229", "20240226"},
		// A day with a daylight-saving change is still one day.
		{time.Date(2026, 3, 9, 0, 30, 0, 0, ny), ny, "20260309", "20260308", "20260309"},
		{time.Date(2026, 3, 8, 3, 30, 0, 0, ny), ny, "20260308", "20260307", "20260302"},
	}
	for _, tc := range tests {
		local := tc.at.In(tc.loc)
		if got := dayOf(local); got != tc.day {
			t.Errorf("dayOf(%v) = %s, want %s", local, got, tc.day)
		}
		if got := prevDay(local); got != tc.prev {
			t.Errorf("prevDay(%v) = %s, want %s", local, got, tc.prev)
		}
		if got := weekOf(local); got != tc.monday {
			t.Errorf("weekOf(%v) = %s, want %s", local, got, tc.monday)
		}
	}
}

func TestAnswerData(t *testing.T) {
	data := answerData("20260131", "five-zhangmiao", 1, 3)
	if len(data) > 64 {
		t.Fatalf("callback data %q is %d bytes, over Telegram's 64", data, len(data))
	}
	// The longest id the content allows still fits.
	if long := answerData("20260131", "a234567890123456789012345678901234567890", 4, 3); len(long) > 64 {
		t.Fatalf("callback data with a 40-byte id is %d bytes", len(long))
	}
	ref, ok := parseAnswerData(data)
	if !ok || ref != (answerRef{day: "20260131", item: "five-zhangmiao", q: 1, opt: 3}) {
		t.Fatalf("parseAnswerData(%q) = %+v, %v", data, ref, ok)
	}
	for _, bad := range []string{"", "quiz", "quiz:20260131:x:0", "quiz:2026013:x:0:1", "quiz:20260131::0:1",
		"quiz:20260131:x:-1:0", "quiz:20260131:x:0:b", "rank:20260131:x:0:1", "quiz:20260131:x:0:1:2"} {
		if _, ok := parseAnswerData(bad); ok {
			t.Errorf("parseAnswerData(%q) accepted", bad)
		}
	}
}

func TestQuestionIndexIsStable(t *testing.T) {
	seen := map[int]bool{}
	for uid := int64(1); uid <= 50; uid++ {
		q := questionIndex(uid, "20260131", 3)
		if q < 0 || q >= 3 || q != questionIndex(uid, "20260131", 3) {
			t.Fatalf("questionIndex(%d) = %d", uid, q)
		}
		seen[q] = true
	}
	if len(seen) != 3 {
		t.Errorf("50 members only ever get questions %v of 3", seen)
	}
	if questionIndex(7, "20260131", 1) != 0 {
		t.Error("a one-question item must use question 0")
	}
}
