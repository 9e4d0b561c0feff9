package bot

import (
	"testing"
	"time"
)

func TestLogThrottle(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lt := newLogThrottle(10 * time.Second)
	lt.now = func() time.Time { return now }
	step := func(d time.Duration, wantOK bool, wantHeld int64) {
		t.Helper()
		now = now.Add(d)
		if ok, held := lt.allow(); ok != wantOK || held != wantHeld {
			t.Fatalf("at +%v: allow() = %v, %d; want %v, %d", d, ok, held, wantOK, wantHeld)
		}
	}
	step(0, true, 0)
	for range 99 {
		step(time.Millisecond, false, 0)
	}
	step(10*time.Second, true, 99) // the next line says how many were held back
	step(time.Second, false, 0)
	step(9*time.Second, true, 1)
}
