// Command communitybot runs the Zhangmiao community bot.
//
// With TELEGRAM_BOT_TOKEN it talks to Telegram (long polling, or a webhook
// with WEBHOOK_URL). Without one it starts in console mode: a person chats
// with the same bot in the terminal, through a local Bot API stand-in, on
// an embedded Redis, with no network needed. See the README for every
// environment variable.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"
	_ "time/tzdata" // TIMEZONE works in minimal images without /usr/share/zoneinfo

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/assistant"
	"github.com/zhangmiao/communitybot/bot"
	"github.com/zhangmiao/communitybot/content"
	"github.com/zhangmiao/communitybot/metrics"
	"github.com/zhangmiao/communitybot/storage"
)

// defaultGOGC is the GC target when the GOGC variable is not set.
const defaultGOGC = 70

func main() {
	if len(os.Args) > 1 {
		// Configuration is by environment only; arguments get the usage.
		usage(os.Stdout)
		if a := os.Args[1]; a != "-h" && a != "-help" && a != "--help" && a != "help" {
			fmt.Fprintf(os.Stderr, "error: unexpected argument %q (configure with environment variables)\n", a)
			os.Exit(2)
		}
		return
	}
	if os.Getenv("GOGC") == "" {
		// Less than the runtime's default heap headroom: under load
		// (hundreds of chats in flight) the heap is mostly short-lived
		// garbage, and collecting at +70% instead of +100% keeps the
		// process under 50 MB of RSS for a few percent of CPU (README,
		// "Benchmarks"; +50% was needed before the pinyin table lost its
		// per-character pointers).
		debug.SetGCPercent(defaultGOGC)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// run wires the bot and runs it until ctx is cancelled. It is separate from
// main so tests can run the whole program in-process.
func run(ctx context.Context, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) (runErr error) {
	cfg, err := parseConfig(getenv)
	if err != nil {
		return err
	}
	// main prints what run returns: it holds no secret either.
	defer func() { runErr = newScrubber(secretsOf(cfg)).err(runErr) }()
	log := newLogger(cfg, stderr)
	for _, n := range cfg.Notes {
		log.Warn(n)
	}
	storage.RouteLogs(log.With("component", "redis"))

	var closers closeStack
	defer closers.closeAll(log)

	kb, err := loadContent(cfg)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	closers.push("redis", store.Close)

	if created, err := store.SeedProjects(ctx, kb.Projects); err != nil {
		log.Warn("projects not seeded; answers will use the content's descriptions until redis is back", "err", err)
	} else if created > 0 {
		log.Info("seeded projects from content", "created", created)
	}

	asst, err := assistant.New(kb, store, assistant.Options{
		ConversationTTL: cfg.ConversationTTL, Location: cfg.Location, Logger: log.With("component", "assistant"),
	})
	if err != nil {
		return err
	}
	// Console mode talks to a local Bot API stand-in: start it first, so
	// the Sender is built with its address like any other.
	if cfg.Mode == ModeConsole {
		api := newConsoleAPI(log)
		defer api.Close()
		cfg.Token, cfg.APIURL = api.Token(), api.URL()
		return runWired(ctx, cfg, kb, store, asst, log, &closers, func(botCfg bot.Config, router *bot.Router, alongside func(context.Context) func(), webAddr string) error {
			return runConsole(ctx, api, botCfg, store, router, stdin, stdout, log, alongside, webAddr)
		})
	}
	return runWired(ctx, cfg, kb, store, asst, log, &closers, func(botCfg bot.Config, router *bot.Router, alongside func(context.Context) func(), _ string) error {
		b, err := bot.New(botCfg, store, router)
		if err != nil {
			return err
		}
		// What runs beside the bot stops when the bot does, also when the
		// bot fails (a rejected token): otherwise the process would hang
		// instead of exiting for its supervisor to restart it.
		sideCtx, stopSide := context.WithCancel(ctx)
		defer stopSide()
		wait := alongside(sideCtx)
		defer wait()
		defer stopSide() // runs before wait
		log.Info("starting", "mode", cfg.Mode, "api", communitybot.RedactURL(cfg.APIURL), "redis", describeRedis(cfg))
		return b.Run(ctx)
	})
}

// runWired builds everything that sends, in order: the metrics, the Sender
// (the one way out), then every feature handed that Sender at
// construction, and the Bot's configuration; start runs the Bot with what
// runs beside it (the delivery workers and the scheduler).
func runWired(ctx context.Context, cfg Config, kb *content.KnowledgeBase, store *storage.Store, asst *assistant.Assistant,
	log *slog.Logger, closers *closeStack, start func(cfg bot.Config, router *bot.Router, alongside func(context.Context) func(), webAddr string) error) error {
	m := metrics.New(log.With("component", "metrics"))
	sender, err := newSender(cfg, store, m, log)
	if err != nil {
		return err
	}
	router := bot.NewRouter(store, log.With("component", "router"))
	bot.RegisterCore(router, asst)
	if err := store.EnsureAdmins(ctx, cfg.AdminIDs); err != nil {
		log.Warn("ADMIN_IDS not applied; restart once redis is reachable", "err", err)
	}
	staffW, err := newDesk(ctx, cfg, kb, store, sender, m, asst, log) // first: the audit log of every admin command
	if err != nil {
		return err
	}
	dl := wireDelivery(cfg, store, sender, router, asst, staffW.svc, log)
	studySvc, err := wireStudy(cfg, kb, store, sender, router, staffW.svc, log)
	if err != nil {
		return err
	}
	if err := wireStaff(ctx, cfg, store, staffW, router, log, closers); err != nil {
		return err
	}
	connectFeatures(dl, store, studySvc, staffW)
	webAddr, err := wireWeb(ctx, cfg, store, asst, staffW, router, log, closers)
	if err != nil {
		return err
	}

	botCfg := bot.Config{
		Token: cfg.Token, APIURL: cfg.APIURL, Mode: bot.ModePolling,
		WebhookURL: cfg.WebhookURL, WebhookSecret: cfg.WebhookSecret, WebhookListen: cfg.WebhookListen,
		ActiveChats: cfg.ActiveChats, Logger: log.With("component", "bot"), Sender: sender, OnFault: m.Fault,
	}
	if cfg.Mode == ModeWebhook {
		botCfg.Mode = bot.ModeWebhook
	}
	return start(botCfg, router, dl.start, webAddr)
}

func usage(w io.Writer) {
	fmt.Fprint(w, "communitybot: the Zhangmiao community Telegram bot.\n\n"+
		"Without TELEGRAM_BOT_TOKEN it runs in console mode: chat with it in this terminal.\n\n"+
		"Environment variables:\n")
	for _, v := range EnvVars {
		fmt.Fprintf(w, "  %-20s default %s\n      %s\n", v.Name, v.Default, v.Doc)
	}
}

// newLogger writes to w at the configured level and format, with every
// line scrubbed of the token and the URLs' passwords (scrubHandler).
func newLogger(cfg Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(scrubHandler{next: h, s: newScrubber(secretsOf(cfg))})
}

func loadContent(cfg Config) (*content.KnowledgeBase, error) {
	if cfg.ContentFile == "" {
		return content.Default()
	}
	return content.LoadFile(cfg.ContentFile)
}

func openStore(ctx context.Context, cfg Config, log *slog.Logger) (*storage.Store, error) {
	opts := storage.Options{Prefix: cfg.RedisPrefix, Location: cfg.Location,
		CommandTimeout: cfg.Outbound.RedisTimeout, Logger: log.With("component", "redis")}
	if cfg.RedisURL == "" {
		log.Warn("REDIS_URL is not set: using an embedded in-process Redis; NOTHING SURVIVES A RESTART (conversations, subscriptions, project updates)")
		return storage.OpenEmbedded(opts)
	}
	openCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return storage.Open(openCtx, cfg.RedisURL, opts)
}

func describeRedis(cfg Config) string {
	if cfg.RedisURL == "" {
		return "embedded"
	}
	return communitybot.RedactURL(cfg.RedisURL)
}

// closeStack closes what run opened, last opened first, each with a
// deadline so a stuck close cannot hang shutdown.
type closeStack []struct {
	name string
	fn   func() error
}

func (s *closeStack) push(name string, fn func() error) {
	*s = append(*s, struct {
		name string
		fn   func() error
	}{name, fn})
}

func (s *closeStack) closeAll(log *slog.Logger) {
	for i := len(*s) - 1; i >= 0; i-- {
		c := (*s)[i]
		done := make(chan error, 1)
		go func() { done <- c.fn() }()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				log.Warn("close failed", "what", c.name, "err", err)
			}
		case <-time.After(5 * time.Second):
			log.Warn("close timed out", "what", c.name)
		}
	}
}
