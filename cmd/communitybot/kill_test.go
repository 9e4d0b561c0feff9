package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

// TestKilledMidBroadcastDeliversEveryMessageOnce runs the real program as a
// child process against the fake Bot API (which lives here, in the parent,
// so its per-chat delivery counts survive the kill), starts an
// announcement to 400 subscribers, SIGKILLs the child a third of the way
// through, starts a new child, and counts the messages each chat got.
// Every chat must get the announcement; a chat may get it twice only if
// the kill fell between Telegram accepting it and the mark being written,
// which is at most one message in flight per delivery worker.
func TestKilledMidBroadcastDeliversEveryMessageOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	const subscribers, workers = 400, 4
	api := tgtest.New()
	t.Cleanup(api.Close)
	prefix := storagetest.Prefix(t)
	ctx := context.Background()
	store, err := storage.Open(ctx, storagetest.URL(), storage.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		storagetest.Cleanup(t, store.Client(), prefix)
		store.Close()
	})
	chats := make([]int64, subscribers)
	for i := range chats {
		chats[i] = 7_100_000_000 + int64(i)
		if _, err := store.Subscribe(ctx, chats[i], communitybot.TopicAnnouncements); err != nil {
			t.Fatal(err)
		}
	}
	admin := tgtest.User{ID: 990001, FirstName: "管理员"}
	env := []string{
		"TELEGRAM_BOT_TOKEN=" + api.Token(), "TELEGRAM_API_URL=" + api.URL(),
		"REDIS_URL=" + storagetest.URL(), "REDIS_PREFIX=" + prefix,
		fmt.Sprintf("ADMIN_IDS=%d", admin.ID), "TELEGRAM_RATE=100", "DELIVERY_PER_CHAT=100",
		fmt.Sprintf("DELIVERY_WORKERS=%d", workers), "DELIVERY_CLAIM_IDLE=2s", "LOG_LEVEL=debug", "HTTP_ADDR=off",
	}
	p := watchPrograms(t, 4*time.Minute)
	delivered := func() (total int) {
		for _, id := range chats {
			total += api.DeliveryCount(id)
		}
		return total
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for !cond() {
			if p.ctx.Err() != nil {
				p.check(fmt.Sprintf("waiting for %s (delivered %d of %d)", what, delivered(), subscribers), context.Cause(p.ctx))
			}
			time.Sleep(2 * time.Millisecond)
		}
	}

	first := p.startChild("first", env)
	api.SendText(tgtest.PrivateChat(admin), admin, "/announce 本周六上午九点社区体检，请带好医保卡。")
	waitFor("a third of the deliveries", func() bool { return delivered() >= subscribers/3 })
	first.kill(t)
	atKill := delivered()
	if atKill >= subscribers {
		t.Fatalf("the broadcast finished before the kill (%d delivered); the test proves nothing", atKill)
	}
	t.Logf("killed the first process after %d of %d deliveries", atKill, subscribers)

	second := p.startChild("second", env)
	waitFor("every subscriber", func() bool {
		for _, id := range chats {
			if api.DeliveryCount(id) == 0 {
				return false
			}
		}
		return true
	})
	waitFor("the admin's summary", func() bool {
		for _, m := range api.Sent(admin.ID) {
			if strings.Contains(m.PlainText, "发送完成") {
				return true
			}
		}
		return false
	})
	if err := second.terminate(); err != nil {
		t.Errorf("second process did not stop cleanly: %v", err)
	}

	dups := 0
	for _, id := range chats {
		switch n := api.DeliveryCount(id); {
		case n == 2:
			dups++
		case n > 2:
			t.Errorf("chat %d got the announcement %d times", id, n)
		}
	}
	t.Logf("duplicates: %d (kill between Telegram accepting and the mark being written)", dups)
	if dups > workers {
		t.Errorf("%d chats got the announcement twice; at most %d (one in flight per worker) may", dups, workers)
	}
	st, err := store.RecentBroadcasts(ctx, 5)
	if err != nil || len(st) != 1 || !st[0].Finished() || st[0].Delivered != subscribers {
		t.Errorf("broadcasts = %+v, %v; want one, finished, %d delivered", st, err, subscribers)
	}
}
