// Command deliverybench measures a broadcast's fan-out: the real delivery
// engine, sending through the real go-telegram/bot client to the fake Bot
// API (bot/tgtest), on a real Redis under a key prefix of its own that is
// deleted afterwards.
//
//	go run ./cmd/deliverybench -n 10000 -rate 5000             # throughput, Redis ops per message
//	go run ./cmd/deliverybench -n 600 -rate 30 -flood          # Telegram's real limits: about 20 s
//	go run ./cmd/deliverybench -n 0 -replies 600 -rate 30 -flood             # a burst of 600 replies
//	go run ./cmd/deliverybench -n 600 -replies 100 -rate 30 -flood           # replies during an announcement
//	go run ./cmd/deliverybench -ha cluster -n 100000 -rate 100000 # on a private Redis Cluster
//
// -redis takes any REDIS_URL the bot accepts (redis+sentinel://…,
// redis+cluster://…); -ha sentinel or -ha cluster starts a private
// Sentinel group or Cluster (storage/storagetest's fixtures, from the
// installed redis-server) for the run and removes it afterwards.
//
// With -flood the fake Bot API enforces Telegram's limits (30 messages/s in
// total, 1/s per chat, 20/min per group) and answers 429 past them, so the
// run shows whether the shared limiter keeps under them. -replies sends
// that many replies (one each to as many residents, at once, through the
// same Sender) one second into the broadcast, and reports how long they
// took and whether every one went out before the broadcast finished.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/bot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
	"github.com/zhangmiao/communitybot/delivery"
	"github.com/zhangmiao/communitybot/outbound"
	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

func main() {
	// A flag set of our own: the OpenCC package (through qa) registers a
	// global -dir flag that has nothing to do with this tool.
	flags := flag.NewFlagSet(os.Args[0], flag.ExitOnError)
	n := flags.Int("n", 10000, "recipients")
	rate := flags.Int("rate", 5000, "TELEGRAM_RATE: messages per second in total")
	replies := flags.Int("replies", 0, "replies sent at once, one second into the broadcast")
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
	if err := bench(*n, *replies, *rate, *workers, *chunk, *flood, *redisURL, *verbose); err != nil {
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

func bench(n, replies, rate, workers, chunk int, flood bool, redisURL string, verbose bool) error {
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
	// Wired as cmd/communitybot wires it: one Sender, over the shared gate.
	gate := store.SendGate(storage.SendGateConfig{Rate: rate,
		PerChat:  storage.RateLimit{Rate: 1, Period: time.Second},
		PerGroup: storage.RateLimit{Rate: 20, Period: time.Minute}})
	policy := outbound.New(gate, outbound.NewChatSubscriptions(store, logger), outbound.Config{Rate: rate, Logger: logger})
	sender, err := bot.NewSender(bot.SenderConfig{Token: api.Token(), APIURL: api.URL(), Logger: logger}, policy)
	if err != nil {
		return err
	}
	engine := delivery.New(store, sender, delivery.Config{
		Workers: workers, ChunkSize: chunk, ReadBlock: 100 * time.Millisecond, Logger: logger,
	})
	if n > 0 { // without a broadcast, the workers' polling would blur the replies' Redis commands
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { engine.Run(runCtx); close(done) }()
		defer func() { stop(); <-done }()
		time.Sleep(200 * time.Millisecond) // workers waiting on the queue, as in a running bot
	}

	// Load the gate's script once, as a running bot has: the first calls
	// after a Redis restart pay an EVAL each.
	if _, _, err := gate.Admit(ctx, 1, false); err != nil {
		return err
	}
	// And open the connection pool (each new connection costs a few setup
	// commands), as a bot under load has.
	var warm sync.WaitGroup
	for range 64 {
		warm.Go(func() { _ = store.Ping(ctx) })
	}
	warm.Wait()
	_, subBytes, err := store.MemoryUnderPrefix(ctx)
	if err != nil {
		return err
	}
	ops := store.CountCommands()
	start := time.Now()
	var bc communitybot.Broadcast
	if n > 0 {
		if bc, err = engine.Enqueue(ctx, communitybot.Broadcast{Kind: communitybot.KindAnnouncement, Topic: communitybot.TopicAnnouncements, Reply: communitybot.Reply{Text: "📢 <b>张庙街道公告</b>\n\n本周六上午九点社区体检。"}}); err != nil {
			return err
		}
	}
	enqueued := time.Since(start)
	queuedKeys, queuedBytes, err := store.MemoryUnderPrefix(ctx)
	if err != nil {
		return err
	}

	// The reply burst: residents who wrote at once, each answered once.
	var burst replyBurst
	if replies > 0 {
		if n > 0 {
			time.Sleep(time.Second) // the fan-out is under way
		}
		burst = sendReplies(ctx, sender, store, replies)
	}
	var st communitybot.BroadcastStatus
	for n > 0 {
		if st, err = engine.Status(ctx, bc.ID); err != nil {
			return err
		}
		if st.Finished() {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(start)
	redisOps := ops() - burst.commands
	_, doneBytes, err := store.MemoryUnderPrefix(ctx)
	if err != nil {
		return err
	}
	if replies > 0 {
		fmt.Printf("replies             %d sent at once: all out in %v (median %v), %.2f Redis commands per reply; every reply out before the broadcast finished: %v\n",
			replies, burst.slowest.Round(time.Millisecond), burst.median.Round(time.Millisecond), float64(burst.commands)/float64(replies),
			n == 0 || burst.lastAt.Before(st.FinishedAt))
		if burst.failed > 0 {
			return fmt.Errorf("%d replies failed", burst.failed)
		}
	}
	if n == 0 {
		calls := api.Calls("sendMessage")
		fmt.Printf("sendMessage calls   %d (%d refused with 429 or failed)\n", calls, calls-replies)
		return nil
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
	fmt.Printf("recipients          %d (workers %d, chunk %d, TELEGRAM_RATE %d/s, Telegram limits enforced: %v)\n", n, workers, chunk, rate, flood)
	fmt.Printf("enqueue             %v (audience snapshot + %d chunks written)\n", enqueued.Round(time.Millisecond), (n+chunk-1)/chunk)
	fmt.Printf("redis memory        subscriptions %.1f bytes each; with the broadcast queued %.1f, delivered %.1f bytes per recipient (%d keys)\n",
		float64(subBytes)/float64(n), float64(queuedBytes)/float64(n), float64(doneBytes)/float64(n), queuedKeys)
	fmt.Printf("total time          %v\n", elapsed.Round(time.Millisecond))
	fmt.Printf("throughput          %.0f messages/s\n", float64(n)/elapsed.Seconds())
	fmt.Printf("redis commands      %d (%.2f per message)\n", redisOps, float64(redisOps)/float64(n))
	fmt.Printf("sendMessage calls   %d (%d refused with 429 or failed)\n", calls, calls-delivered-replies)
	fmt.Printf("outcome             delivered %d, failed %d, missing %d, duplicated %d\n", st.Delivered, st.Failed, missing, dups)
	if missing > 0 || dups > 0 || st.Delivered != n {
		return fmt.Errorf("lost or duplicated messages")
	}
	return nil
}

// replyBurst is the outcome of sendReplies.
type replyBurst struct {
	slowest, median time.Duration
	lastAt          time.Time
	failed          int
	commands        int64 // Redis commands while the replies went out (a running broadcast's included)
}

// sendReplies sends n replies at once, one to each of n residents, the way
// the bot answers them (Sender.Send), and waits for all.
func sendReplies(ctx context.Context, sender *bot.Sender, store *storage.Store, n int) replyBurst {
	count := store.CountCommands()
	start := time.Now()
	took := make([]time.Duration, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = sender.Send(ctx, 9_000_000_000+int64(i), communitybot.Reply{Text: "您好！泗塘一村老旧公房成套改造正在推进中。"}, bot.SendOptions{})
			took[i] = time.Since(start)
		})
	}
	wg.Wait()
	b := replyBurst{commands: count(), lastAt: time.Now()}
	slices.Sort(took)
	b.slowest, b.median = took[n-1], took[n/2]
	for _, err := range errs {
		if err != nil {
			b.failed++
		}
	}
	return b
}
