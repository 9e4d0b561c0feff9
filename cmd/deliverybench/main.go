// Command deliverybench measures a broadcast's fan-out: the real delivery
// engine, sending through the real go-telegram/bot client to the fake Bot
// API (bot/tgtest), on a real Redis under a key prefix of its own that is
// deleted afterwards.
//
//	go run ./cmd/deliverybench -n 10000 -rate 5000             # throughput, Redis ops per message
//	go run ./cmd/deliverybench -n 600 -rate 30 -flood          # Telegram's real limits: about 20 s
//	go run ./cmd/deliverybench -ha cluster -n 100000 -rate 100000 # on a private Redis Cluster
//
// -redis takes any REDIS_URL the bot accepts (redis+sentinel://…,
// redis+cluster://…); -ha sentinel or -ha cluster starts a private
// Sentinel group or Cluster (storage/storagetest's fixtures, from the
// installed redis-server) for the run and removes it afterwards.
//
// With -flood the fake Bot API enforces Telegram's limits (30 messages/s in
// total, 1/s per chat, 20/min per group) and answers 429 past them, so the
// run shows whether the shared limiter keeps under them.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/bot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
	"github.com/zhangmiao/communitybot/delivery"
	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

func main() {
	// A flag set of our own: the OpenCC package (through qa) registers a
	// global -dir flag that has nothing to do with this tool.
	flags := flag.NewFlagSet(os.Args[0], flag.ExitOnError)
	n := flags.Int("n", 10000, "recipients")
	rate := flags.Int("rate", 5000, "DELIVERY_RATE: messages per second in total")
	workers := flags.Int("workers", 8, "delivery workers")
	chunk := flags.Int("chunk", 50, "recipients per chunk")
	flood := flags.Bool("flood", false, "make the fake Bot API enforce Telegram's limits (429 past them)")
	redisURL := flags.String("redis", "redis://127.0.0.1:6379/0", "Redis URL (any REDIS_URL the bot accepts)")
	ha := flags.String("ha", "", "sentinel or cluster: run on a private Sentinel group or Cluster instead of -redis")
	verbose := flags.Bool("v", false, "log the engine's warnings")
	_ = flags.Parse(os.Args[1:])
	switch *ha {
	case "":
	case "sentinel", "cluster":
		url, err := startHA(*ha)
		if err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(1)
		}
		*redisURL = url
		fmt.Printf("redis               private %s: %s\n", *ha, url)
	default:
		fmt.Fprintf(os.Stderr, "error: -ha must be sentinel or cluster, not %q\n", *ha)
		os.Exit(2)
	}
	if err := bench(*n, *rate, *workers, *chunk, *flood, *redisURL, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		stopHA()
		os.Exit(1)
	}
	stopHA()
}

// stopHA stops what startHA started (its servers also die with this
// process: they are started with a parent-death signal).
var stopHA = func() {}

// startHA starts a private Sentinel group or Cluster and returns its URL.
func startHA(kind string) (string, error) {
	if kind == "sentinel" {
		s, err := storagetest.NewSentinel()
		if err != nil {
			return "", err
		}
		stopHA = s.Stop
		return s.URL(), nil
	}
	c, err := storagetest.NewCluster()
	if err != nil {
		return "", err
	}
	stopHA = c.Stop
	return c.URL(), nil
}

func bench(n, rate, workers, chunk int, flood bool, redisURL string, verbose bool) error {
	ctx := context.Background()
	var opts []tgtest.Option
	if flood {
		opts = append(opts, tgtest.WithFloodLimits(tgtest.DefaultFloodLimits))
	}
	api := tgtest.New(opts...)
	defer api.Close()
	var b [4]byte
	_, _ = rand.Read(b[:])
	store, err := storage.Open(ctx, redisURL, storage.Options{Prefix: "bench:" + hex.EncodeToString(b[:]) + ":"})
	if err != nil {
		return err
	}
	defer store.Close()
	defer store.DropPrefix(context.Background())

	chats := make([]int64, n)
	for i := range chats {
		chats[i] = 8_000_000_000 + int64(i)
		if _, err := store.Subscribe(ctx, chats[i], communitybot.TopicAnnouncements); err != nil {
			return err
		}
	}
	logger := slog.New(slog.DiscardHandler)
	if verbose {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	tg, err := bot.New(bot.Config{Token: api.Token(), APIURL: api.URL(), Logger: logger}, store, bot.NewRouter(nil, logger))
	if err != nil {
		return err
	}
	engine := delivery.New(store, delivery.Config{
		Workers: workers, ChunkSize: chunk, Rate: rate,
		PerChat:   storage.RateLimit{Rate: 1, Period: time.Second},
		PerGroup:  storage.RateLimit{Rate: 20, Period: time.Minute},
		ReadBlock: 100 * time.Millisecond, Logger: logger,
	})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { engine.Run(runCtx, tg.Poster()); close(done) }()
	defer func() { stop(); <-done }()
	time.Sleep(200 * time.Millisecond) // workers waiting on the queue, as in a running bot

	_, subBytes, err := store.MemoryUnderPrefix(ctx)
	if err != nil {
		return err
	}
	ops := store.CountCommands()
	start := time.Now()
	bc, err := engine.Enqueue(ctx, communitybot.Broadcast{Kind: communitybot.KindAnnouncement, Topic: communitybot.TopicAnnouncements, Reply: communitybot.Reply{Text: "📢 <b>张庙街道公告</b>\n\n本周六上午九点社区体检。"}})
	if err != nil {
		return err
	}
	enqueued := time.Since(start)
	queuedKeys, queuedBytes, err := store.MemoryUnderPrefix(ctx)
	if err != nil {
		return err
	}
	var st communitybot.BroadcastStatus
	for {
		if st, err = engine.Status(ctx, bc.ID); err != nil {
			return err
		}
		if st.Finished() {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(start)
	redisOps := ops()
	_, doneBytes, err := store.MemoryUnderPrefix(ctx)
	if err != nil {
		return err
	}

	delivered, dups, missing := 0, 0, 0
	for _, id := range chats {
		c := api.DeliveryCount(id)
		delivered += c
		if c == 0 {
			missing++
		}
		if c > 1 {
			dups++
		}
	}
	calls := api.Calls("sendMessage")
	fmt.Printf("recipients          %d (workers %d, chunk %d, DELIVERY_RATE %d/s, Telegram limits enforced: %v)\n", n, workers, chunk, rate, flood)
	fmt.Printf("enqueue             %v (audience snapshot + %d chunks written)\n", enqueued.Round(time.Millisecond), (n+chunk-1)/chunk)
	fmt.Printf("redis memory        subscriptions %.1f bytes each; with the broadcast queued %.1f, delivered %.1f bytes per recipient (%d keys)\n",
		float64(subBytes)/float64(n), float64(queuedBytes)/float64(n), float64(doneBytes)/float64(n), queuedKeys)
	fmt.Printf("total time          %v\n", elapsed.Round(time.Millisecond))
	fmt.Printf("throughput          %.0f messages/s\n", float64(n)/elapsed.Seconds())
	fmt.Printf("redis commands      %d (%.2f per message)\n", redisOps, float64(redisOps)/float64(n))
	fmt.Printf("sendMessage calls   %d (%d refused with 429 or failed)\n", calls, calls-delivered)
	fmt.Printf("outcome             delivered %d, failed %d, missing %d, duplicated %d\n", st.Delivered, st.Failed, missing, dups)
	if missing > 0 || dups > 0 || st.Delivered != n {
		return fmt.Errorf("lost or duplicated messages")
	}
	return nil
}
