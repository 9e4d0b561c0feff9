// Command loadgen measures the bot under load: simulated residents send
// questions through a fake Telegram Bot API (bot/tgtest) to the real bot
// (intake, Redis inbox, workers, Q&A, sender) on a real Redis, and loadgen
// reports updates handled per second, end-to-end latency (p50, p99) and
// Redis round trips per update.
//
//	go run ./cmd/loadgen -users 200 -questions 10
//
// With -startup BINARY it instead runs a built communitybot against the
// fake Bot API and reports its startup time, first answer, idle RSS and
// graceful shutdown time:
//
//	go build -o /tmp/communitybot ./cmd/communitybot && go run ./cmd/loadgen -startup /tmp/communitybot
//
// It writes under its own key prefix and deletes it at the end.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime/pprof"
	"slices"
	"sync"
	"time"

	"github.com/zhangmiao/communitybot/assistant"
	"github.com/zhangmiao/communitybot/bot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
	"github.com/zhangmiao/communitybot/content"
	"github.com/zhangmiao/communitybot/storage"
)

// mixes of what residents ask. "mixed": topics, projects (which read their
// live status), follow-ups and an off-topic question; "plain": topic
// questions only, answered from the content.
var mixes = map[string][]string{
	"mixed": {
		"五个张庙是什么？", "电梯加装进展怎么样", "那架空线呢？", "什么时候完成", "张庙的四个定位",
		"五大行动有哪些", "比学赶超是什么意思", "泗塘一村成套改造到哪一步了", "今天午饭吃什么好", "工作主线是什么",
	},
	"plain": {"五个张庙是什么？", "张庙的四个定位", "五大行动有哪些", "比学赶超是什么意思", "工作主线是什么", "六大板块是指？"},
}

func main() {
	// A flag set of our own: the OpenCC package (through qa) registers a
	// global -dir flag that has nothing to do with this tool.
	flags := flag.NewFlagSet(os.Args[0], flag.ExitOnError)
	users := flags.Int("users", 200, "simulated residents, each in a private chat")
	perUser := flags.Int("questions", 10, "questions each resident asks, one after the other")
	chats := flags.Int("chats", 200, "chats handled at once (ACTIVE_CHATS)")
	redisURL := flags.String("redis", "redis://127.0.0.1:6379/0", "Redis URL")
	mix := flags.String("mix", "mixed", "question mix: mixed or plain")
	startup := flags.String("startup", "", "measure startup, idle RSS and shutdown of this communitybot binary instead")
	cpuProfile := flags.String("cpuprofile", "", "write a CPU profile of the load run to this file")
	_ = flags.Parse(os.Args[1:])
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(1)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if *startup != "" {
		if err := measureStartup(*startup, *redisURL); err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(1)
		}
		return
	}
	questions, ok := mixes[*mix]
	if !ok {
		fmt.Fprintln(os.Stderr, "error: -mix must be mixed or plain")
		os.Exit(2)
	}
	if err := run(*users, *perUser, *chats, *redisURL, questions); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(users, perUser, chats int, redisURL string, questions []string) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var b [4]byte
	_, _ = rand.Read(b[:])
	prefix := "loadgen:" + hex.EncodeToString(b[:]) + ":"
	store, err := storage.Open(ctx, redisURL, storage.Options{Prefix: prefix})
	if err != nil {
		return err
	}
	defer func() {
		store.Close()
		if err := cleanupPrefix(redisURL, prefix); err != nil {
			fmt.Fprintln(os.Stderr, "cleanup:", err)
		}
	}()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	storage.RouteLogs(log)

	kb, err := content.Default()
	if err != nil {
		return err
	}
	if _, err := store.SeedProjects(ctx, kb.Projects); err != nil {
		return err
	}
	asst, err := assistant.New(kb, store, assistant.Options{Logger: log})
	if err != nil {
		return err
	}
	router := bot.NewRouter(store, log)
	bot.RegisterCore(router, asst)

	api := tgtest.New()
	defer api.Close()
	bt, err := bot.New(bot.Config{
		Token: api.Token(), APIURL: api.URL(), ActiveChats: chats, Logger: log,
		FloodLimit: -1, // the simulated residents ask as fast as the bot answers
	}, store, router)
	if err != nil {
		return err
	}
	botDone := make(chan error, 1)
	go func() { botDone <- bt.Run(ctx) }()

	// Replies are matched to questions by chat: each resident waits for
	// the answer before asking the next question.
	events, unsubscribe := api.Subscribe()
	defer unsubscribe()
	var mu sync.Mutex
	waiting := map[int64]chan struct{}{}
	go func() {
		for e := range events {
			if e.Kind != tgtest.EventMessageSent {
				continue
			}
			mu.Lock()
			if ch, ok := waiting[e.ChatID]; ok {
				delete(waiting, e.ChatID)
				close(ch)
			}
			mu.Unlock()
		}
	}()
	ask := func(u tgtest.User, q string) (time.Duration, error) {
		ch := make(chan struct{})
		mu.Lock()
		waiting[u.ID] = ch
		mu.Unlock()
		start := time.Now()
		api.SendText(tgtest.PrivateChat(u), u, q)
		select {
		case <-ch:
			return time.Since(start), nil
		case <-time.After(30 * time.Second):
			return 0, fmt.Errorf("no reply to %q for user %d", q, u.ID)
		}
	}

	// Warm up (connections, scripts, the first getMe) and measure the
	// idle round-trip rate (leases, polling) to subtract it.
	if _, err := ask(tgtest.User{ID: 1, FirstName: "warmup"}, "你好"); err != nil {
		return err
	}
	idleStart, idleTrips, idleCmds := time.Now(), store.RoundTrips(), store.Commands()
	time.Sleep(3 * time.Second)
	idleRate := float64(store.RoundTrips()-idleTrips) / time.Since(idleStart).Seconds()
	idleCmdRate := float64(store.Commands()-idleCmds) / time.Since(idleStart).Seconds()

	var (
		lmu       sync.Mutex
		latencies []time.Duration
		firstErr  error
		wg        sync.WaitGroup
	)
	trips0, cmds0, start := store.RoundTrips(), store.Commands(), time.Now()
	for i := range users {
		u := tgtest.User{ID: int64(1000 + i), FirstName: "居民"}
		wg.Go(func() {
			for j := range perUser {
				d, err := ask(u, questions[(i+j)%len(questions)])
				lmu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				latencies = append(latencies, d)
				lmu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	trips := store.RoundTrips() - trips0
	cmds := store.Commands() - cmds0
	if firstErr != nil {
		return firstErr
	}
	cancel()
	if err := <-botDone; err != nil {
		return err
	}

	n := len(latencies)
	slices.Sort(latencies)
	pct := func(p float64) time.Duration { return latencies[min(n-1, int(float64(n)*p))] }
	busTrips := float64(trips) - idleRate*elapsed.Seconds()
	busCmds := float64(cmds) - idleCmdRate*elapsed.Seconds()
	fmt.Printf("users=%d questions/user=%d active-chats=%d updates=%d\n", users, perUser, chats, n)
	fmt.Printf("elapsed=%s throughput=%.0f updates/s\n", elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds())
	fmt.Printf("latency p50=%s p90=%s p99=%s max=%s\n", pct(0.50).Round(time.Microsecond), pct(0.90).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), latencies[n-1].Round(time.Microsecond))
	fmt.Printf("redis round trips/update=%.2f (all %d trips: %.2f/update; idle %.1f trips/s subtracted)\n", busTrips/float64(n), trips, float64(trips)/float64(n), idleRate)
	fmt.Printf("redis commands/update=%.2f (all %d commands: %.2f/update; idle %.1f commands/s subtracted)\n", busCmds/float64(n), cmds, float64(cmds)/float64(n), idleCmdRate)
	return nil
}

// cleanupPrefix deletes every key under prefix.
func cleanupPrefix(redisURL, prefix string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	store, err := storage.Open(ctx, redisURL, storage.Options{Prefix: prefix})
	if err != nil {
		return err
	}
	defer store.Close()
	return store.DropPrefix(ctx)
}
