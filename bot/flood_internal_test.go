package bot

import (
	"testing"
	"time"
)

func TestFloodGuard(t *testing.T) {
	now := time.Unix(1000, 0)
	g := newFloodGuard(3, time.Minute)
	g.now = func() time.Time { return now }
	want := []floodVerdict{floodAllow, floodAllow, floodAllow, floodNotify, floodDrop, floodDrop}
	for i, w := range want {
		if got := g.check(1); got != w {
			t.Fatalf("message %d: verdict %d, want %d", i+1, got, w)
		}
	}
	if got := g.check(2); got != floodAllow {
		t.Fatalf("another user: verdict %d, want allow", got)
	}
	now = now.Add(time.Minute)
	if got := g.check(1); got != floodAllow {
		t.Fatalf("next window: verdict %d, want allow", got)
	}
	g.sweep(now.Add(2 * time.Minute))
	if len(g.users) != 0 {
		t.Fatalf("sweep left %d windows", len(g.users))
	}
	off := newFloodGuard(-1, time.Minute)
	for range 100 {
		if off.check(1) != floodAllow {
			t.Fatal("a disabled guard limited a user")
		}
	}
}
