package study_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/bot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
	"github.com/zhangmiao/communitybot/delivery"
	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/study"
)

// The scheduler runs a fire under one once key; the weekly job enqueues a
// broadcast per branch under it. Every branch must get its own summary,
// and a re-run of the same fire (another replica retrying it) must create
// nothing new.
func TestWeeklyJobReachesEveryBranchOncePerFire(t *testing.T) {
	f := newFixture(t, items(3))
	f.member(1, "一支部")
	f.member(2, "一支部")
	f.member(3, "二支部")
	f.member(4, "三支部")
	f.clock.Set(time.Date(2026, 1, 28, 8, 0, 0, 0, shanghai))
	f.answer(1, 0)
	f.answer(3, 0)
	fire := time.Date(2026, 2, 2, 9, 0, 0, 0, shanghai)
	f.clock.Set(fire)

	api := tgtest.New()
	t.Cleanup(api.Close)
	log := slog.New(slog.DiscardHandler)
	b, err := bot.New(bot.Config{Token: api.Token(), APIURL: api.URL(), Logger: log}, f.store, bot.NewRouter(f.store, log))
	if err != nil {
		t.Fatal(err)
	}
	engine := delivery.New(f.store, b.Sender(), delivery.Config{
		Workers: 2, ReadBlock: 100 * time.Millisecond, Logger: log,
	})

	ctx := communitybot.WithOnceKey(f.ctx, storage.FireOnceKey(study.WeeklyJobID, fire))
	job := f.svc.WeeklyJob(engine)
	for range 2 { // the fire and its retry
		if err := job(ctx, fire); err != nil {
			t.Fatal(err)
		}
	}
	recent, err := f.store.RecentBroadcasts(f.ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(recent) != 3 {
		t.Fatalf("%d broadcasts after the fire and its retry, want one per branch (3): %+v", len(recent), recent)
	}

	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = engine.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })

	want := map[int64]string{1: "一支部", 2: "一支部", 3: "二支部", 4: "三支部"}
	waitCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := api.WaitUntil(waitCtx, func() bool {
		for id := range want {
			if api.DeliveryCount(id) == 0 {
				return false
			}
		}
		return true
	}); err != nil {
		t.Fatalf("not every member got a summary: %v", err)
	}
	for id, branch := range want {
		msgs := api.Sent(id)
		if len(msgs) != 1 || !strings.Contains(msgs[0].PlainText, "上周学习小结 · "+branch) {
			t.Errorf("member %d of %s got %+v, want their branch's summary once", id, branch, msgs)
		}
	}
}
