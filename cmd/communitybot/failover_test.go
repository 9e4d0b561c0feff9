package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

// failover describes how to break one HA setup: kill stops the master the
// bot writes to (kill -9), switched waits until its replica serves in its
// place and returns its address.
type failover struct {
	url      string
	kill     func(ctx context.Context) (string, error)
	switched func(old string) (string, error)
}

// TestSentinelFailoverUnderLoad kills the Sentinel group's master with
// SIGKILL while residents ask questions and a broadcast is under way; the
// sentinels promote the replica and the same bot process (no restart)
// carries on: every question is answered, every recipient gets the
// broadcast at least once. The times are logged for the README.
func TestSentinelFailoverUnderLoad(t *testing.T) {
	s := storagetest.StartSentinel(t)
	failoverUnderLoad(t, failover{
		url:  s.URL(),
		kill: s.KillMaster,
		switched: func(old string) (string, error) {
			return s.WaitFailover(old, 60*time.Second)
		},
	}, "{bc}:probe")
}

// TestClusterFailoverUnderLoad kills, with SIGKILL, the Cluster master that
// serves the broadcasts' slot (hash tag {bc}) while residents ask
// questions and a broadcast is under way; its replica takes over and the
// same bot process carries on. As TestSentinelFailoverUnderLoad.
func TestClusterFailoverUnderLoad(t *testing.T) {
	c := storagetest.StartCluster(t)
	slot := storagetest.Slot("{bc}")
	failoverUnderLoad(t, failover{
		url:  c.URL(),
		kill: func(ctx context.Context) (string, error) { return c.KillMasterOf(ctx, slot) },
		switched: func(old string) (string, error) {
			return c.WaitFailover(slot, old, 60*time.Second)
		},
	}, "{bc}:probe")
}

// answer is one question of the steady load and when it was answered.
type answer struct {
	user          int64
	asked, answer time.Time
}

func failoverUnderLoad(t *testing.T, f failover, probeKey string) {
	const (
		subscribers = 1500
		residents   = 50  // each asks every 6 s (10 a minute, well under the flood limit of 15): ~8 questions/s
		rate        = 100 // broadcast messages per second: 15 s of sending
		every       = 6 * time.Second
	)
	api := tgtest.New()
	t.Cleanup(api.Close)
	prefix := storagetest.ReserveAt(t, f.url)
	ctx := context.Background()
	store := storagetest.NewAt(t, f.url)
	seed := storage.NewFromClient(store.Client(), storage.Options{Prefix: prefix})
	chats := make([]int64, subscribers)
	for i := range chats {
		chats[i] = 7_300_000_000 + int64(i)
		if _, err := seed.Subscribe(ctx, chats[i], communitybot.TopicAnnouncements); err != nil {
			t.Fatal(err)
		}
	}
	admin := tgtest.User{ID: 8901, FirstName: "管理员"}
	b := startBot(t, api, f.url, prefix,
		"ADMIN_IDS", fmt.Sprint(admin.ID), "DELIVERY_WORKERS", "4",
		"TELEGRAM_RATE", fmt.Sprint(rate), "DELIVERY_PER_CHAT", "100", "DELIVERY_CLAIM_IDLE", "3s")
	b.ask(admin, "你好") // the bot is up

	// Deliveries over time, to find the longest pause in the broadcast.
	var (
		mu         sync.Mutex
		deliveryAt []time.Time
	)
	delivered := func() (n int) {
		for _, id := range chats {
			if api.DeliveryCount(id) > 0 {
				n++
			}
		}
		return n
	}
	stopWatch := make(chan struct{})
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		last := 0
		for {
			select {
			case <-stopWatch:
				return
			case <-time.After(5 * time.Millisecond):
			}
			if n := delivered(); n > last {
				mu.Lock()
				deliveryAt = append(deliveryAt, time.Now())
				mu.Unlock()
				last = n
			}
		}
	}()

	// The steady load: each resident asks, waits for the answer, and asks
	// again 6 s after the last question, until told to stop.
	var answers []answer
	var unanswered []string
	stopLoad := make(chan struct{})
	var load sync.WaitGroup
	for i := range residents {
		u := tgtest.User{ID: int64(8910 + i), FirstName: "居民"}
		load.Add(1)
		go func() {
			defer load.Done()
			time.Sleep(time.Duration(i) * every / residents) // staggered
			chat := tgtest.PrivateChat(u)
			for {
				select {
				case <-stopLoad:
					return
				default:
				}
				before := len(api.Sent(u.ID))
				asked := time.Now()
				api.SendText(chat, u, "五大行动有哪些")
				wctx, cancel := context.WithTimeout(ctx, 90*time.Second)
				msgs, err := api.WaitSent(wctx, u.ID, before+1)
				cancel()
				mu.Lock()
				if err != nil {
					unanswered = append(unanswered, fmt.Sprintf("user %d asked at %s", u.ID, asked.Format("15:04:05.000")))
					mu.Unlock()
					return
				}
				answers = append(answers, answer{user: u.ID, asked: asked, answer: time.Now()})
				mu.Unlock()
				if !strings.Contains(msgs[before].PlainText, "学习大讨论") {
					t.Errorf("user %d got %q", u.ID, msgs[before].PlainText)
				}
				time.Sleep(time.Until(asked.Add(every)))
			}
		}()
	}

	// Acknowledged writes to the master, to measure what asynchronous
	// replication loses: INCR until the kill, remember the last value
	// Redis confirmed, read it back from the new master.
	probe, err := storage.NewClient(f.url)
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	probeKey = prefix + probeKey
	var lastAck int64
	stopProbe := make(chan struct{})
	probeDone := make(chan struct{})
	go func() {
		defer close(probeDone)
		for {
			select {
			case <-stopProbe:
				return
			default:
			}
			pctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			n, err := probe.Incr(pctx, probeKey).Result()
			cancel()
			if err == nil {
				mu.Lock()
				lastAck = n
				mu.Unlock()
			}
		}
	}()

	time.Sleep(2 * time.Second) // load running on the healthy setup
	b.ask(admin, "/announce 本周六上午九点社区体检，请带好医保卡。")
	b.waitFor("a fifth of the broadcast", 60*time.Second, func() bool { return delivered() >= subscribers/5 })

	killCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	old, err := f.kill(killCtx)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	killedAt := time.Now()
	close(stopProbe)
	<-probeDone
	mu.Lock()
	acked := lastAck
	mu.Unlock()
	atKill := delivered()
	if atKill >= subscribers {
		t.Fatalf("the broadcast finished before the kill; the test proves nothing")
	}
	promoted, err := f.switched(old)
	if err != nil {
		t.Fatalf("no failover: %v", err)
	}
	switchedAt := time.Now()
	t.Logf("killed master %s with %d of %d delivered; %s took over after %v", old, atKill, subscribers, promoted, switchedAt.Sub(killedAt).Round(10*time.Millisecond))

	// Keep the load on for a while after the switch, then let every
	// resident's last question be answered.
	time.Sleep(10 * time.Second)
	close(stopLoad)
	load.Wait()
	b.waitFor("every subscriber's announcement", 120*time.Second, func() bool { return delivered() == subscribers })
	close(stopWatch)
	<-watchDone
	b.exited()

	mu.Lock()
	defer mu.Unlock()
	if len(unanswered) > 0 {
		t.Errorf("%d questions never answered (90 s): %s", len(unanswered), strings.Join(unanswered, "; "))
	}
	// Once Redis has switched, the bot answers again: it must not keep
	// writing to the dead master until some periodic refresh (go-redis's
	// Cluster client did, for up to 60 s). The bound is generous; the
	// measured figures are logged below.
	const answersAgainWithin = 15 * time.Second
	answeredAfter := 0
	for _, a := range answers {
		if a.asked.After(switchedAt) {
			answeredAfter++
			if w := a.answer.Sub(a.asked); w > answersAgainWithin {
				t.Errorf("a question asked %v after the switch waited %v for its answer", a.asked.Sub(switchedAt).Round(time.Millisecond), w.Round(time.Millisecond))
			}
		}
	}
	if answeredAfter == 0 {
		t.Errorf("no question asked after the failover was answered")
	}

	// Figures.
	dups := 0
	for _, id := range chats {
		if api.DeliveryCount(id) > 1 {
			dups++
		}
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	after, err := probe.Get(rctx, probeKey).Int64()
	if err != nil && !errors.Is(err, redis.Nil) {
		t.Errorf("probe read after failover: %v", err)
	}
	var waits []time.Duration
	for _, a := range answers {
		waits = append(waits, a.answer.Sub(a.asked))
	}
	sort.Slice(waits, func(i, j int) bool { return waits[i] < waits[j] })
	t.Logf("FAILOVER %s: master down to replica serving %v; longest wait for an answer %v (p50 %v, %d questions, %d asked after the switch, 0 unanswered: %v); "+
		"longest time without any answer %v; longest pause in the broadcast %v; %d of %d recipients got it twice; "+
		"acknowledged INCRs lost: %d (last acked %d, new master has %d)",
		f.url[:strings.Index(f.url, "://")], switchedAt.Sub(killedAt).Round(10*time.Millisecond),
		waits[len(waits)-1].Round(10*time.Millisecond), waits[len(waits)/2].Round(time.Millisecond), len(answers), answeredAfter, len(unanswered) == 0,
		longestGap(answers, killedAt).Round(10*time.Millisecond), longestTimeGap(deliveryAt).Round(10*time.Millisecond), dups, subscribers,
		max(acked-after, 0), acked, after)
}

// longestGap is the longest time around the kill during which no
// question was answered.
func longestGap(answers []answer, around time.Time) time.Duration {
	var at []time.Time
	for _, a := range answers {
		if a.answer.After(around.Add(-5*time.Second)) && a.answer.Before(around.Add(60*time.Second)) {
			at = append(at, a.answer)
		}
	}
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	return longestTimeGap(at)
}

func longestTimeGap(at []time.Time) time.Duration {
	var gap time.Duration
	for i := 1; i < len(at); i++ {
		gap = max(gap, at[i].Sub(at[i-1]))
	}
	return gap
}
