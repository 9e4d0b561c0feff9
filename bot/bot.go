// Package bot connects the community bot to Telegram. It is the only
// package that imports go-telegram/bot.
//
// Updates flow through a durable inbox in Redis (see UPDATE-FLOW in the
// README): an intake (the long poller, elected among replicas, or the
// webhook handler) writes each update to the inbox before Telegram is told
// it was received, and partition workers run it through go-telegram/bot's
// router and our handlers, acknowledging it only when it is handled. So a
// crash or a shutdown loses no update, one chat's updates are handled in
// order, and a second replica is a matter of starting it.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/outbound"
	"github.com/zhangmiao/communitybot/storage"
)

// Mode says how updates reach the bot.
type Mode string

// Update intake modes.
const (
	ModePolling Mode = "polling"
	ModeWebhook Mode = "webhook"
)

// Config configures a Bot. Zero values take the documented defaults.
type Config struct {
	Token  string
	APIURL string // Bot API server base URL; default https://api.telegram.org
	Mode   Mode   // default ModePolling

	// Webhook mode: Telegram posts updates to WebhookURL; the bot listens on
	// WebhookListen and serves the URL's path there, and rejects requests
	// without the WebhookSecret header with 401.
	WebhookURL    string
	WebhookSecret string
	WebhookListen string // default ":8080"

	Workers        int           // updates handled at once by this replica; default 8
	PollTimeout    time.Duration // getUpdates long-poll timeout; default 25s
	LeaseTTL       time.Duration // poller and partition leases; default 6s (a dead replica is replaced within ~7s)
	HandlerTimeout time.Duration // one update's handling, retries included; default 2m
	// GiveUpAfter is how long an update that keeps failing for a reason
	// that should clear up (Telegram or Redis unreachable) is retried
	// before it is moved to the dead-letter stream; default 30m.
	GiveUpAfter time.Duration
	ReplicaID   string // identifies this process in leases; default host-pid-random

	// A user may send FloodLimit messages (and three times as many button
	// presses) per FloodWindow; more are not handled, and the user is told
	// once. Admins are exempt. Defaults: 15 per minute. FloodLimit < 0
	// turns the check off.
	FloodLimit  int
	FloodWindow time.Duration

	// RequestTimeout bounds one Bot API call other than getUpdates (a
	// call that hangs is retried by the Sender); default 15s.
	RequestTimeout time.Duration

	// OnFault, when set, is told of every fault the bot meets and copes
	// with (metrics); see Bot.OnFault for the kinds.
	OnFault func(kind string)

	// Sender is the path every reply takes, built before the Bot and
	// shared with everything else that sends (NewSender). Default: a
	// Sender with no shared limiter and no ChatFate (tests, tools).
	Sender *Sender

	Logger *slog.Logger
	// Transport carries every Bot API request; default: a pool sized for
	// the workers.
	Transport http.RoundTripper
}

func (c *Config) setDefaults() {
	if c.APIURL == "" {
		c.APIURL = "https://api.telegram.org"
	}
	c.APIURL = strings.TrimRight(c.APIURL, "/")
	if c.Mode == "" {
		c.Mode = ModePolling
	}
	if c.WebhookListen == "" {
		c.WebhookListen = ":8080"
	}
	if c.Workers <= 0 {
		c.Workers = 8
	}
	if c.PollTimeout <= 0 {
		c.PollTimeout = 25 * time.Second
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = 6 * time.Second
	}
	if c.HandlerTimeout <= 0 {
		c.HandlerTimeout = 2 * time.Minute
	}
	if c.GiveUpAfter <= 0 {
		c.GiveUpAfter = 30 * time.Minute
	}
	if c.ReplicaID == "" {
		c.ReplicaID = communitybot.NewReplicaID()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.FloodLimit == 0 {
		c.FloodLimit = 15
	}
	if c.FloodWindow <= 0 {
		c.FloodWindow = time.Minute
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 15 * time.Second
	}
	if c.Transport == nil {
		c.Transport = newTransport(c.Workers)
	}
}

// newTransport returns a transport with a connection pool sized for our
// workers. go-telegram/bot's default client keeps 2 idle connections per
// host, so under load it opens a new (TLS) connection for almost every call.
func newTransport(workers int) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 4 * workers
	tr.MaxIdleConnsPerHost = 4 * workers
	tr.IdleConnTimeout = 90 * time.Second
	return tr
}

// Bot is the Telegram side of the community bot.
type Bot struct {
	cfg          Config
	api          *tgbot.Bot
	poller       *http.Client  // getUpdates: no client timeout, each call has its own deadline
	flood        *floodGuard   // messages
	floodButtons *floodGuard   // button presses
	redisDown    atomic.Bool   // a Redis outage was logged (partition leases)
	slots        chan struct{} // one per update being handled: at most Workers at once
	onFault      func(kind string)
	store        *storage.Store
	log          *slog.Logger
	router       *Router
	sender       *Sender

	mu       sync.RWMutex
	username string // the bot's @username, known after getMe
}

// New returns a Bot that routes requests with router. It makes no network
// call; Run does.
func New(cfg Config, store *storage.Store, router *Router) (*Bot, error) {
	cfg.setDefaults()
	if cfg.Token == "" {
		return nil, errors.New("bot: empty token")
	}
	if cfg.Mode != ModePolling && cfg.Mode != ModeWebhook {
		return nil, fmt.Errorf("bot: unknown mode %q", cfg.Mode)
	}
	if cfg.Mode == ModeWebhook {
		if _, err := url.ParseRequestURI(cfg.WebhookURL); err != nil {
			return nil, fmt.Errorf("bot: webhook URL: %w", err)
		}
		if cfg.WebhookSecret == "" {
			return nil, errors.New("bot: webhook mode needs a secret")
		}
	}
	b := &Bot{cfg: cfg, store: store, log: cfg.Logger, router: router,
		poller: &http.Client{Transport: cfg.Transport}, flood: newFloodGuard(cfg.FloodLimit, cfg.FloodWindow),
		floodButtons: newFloodGuard(3*cfg.FloodLimit, cfg.FloodWindow),
		slots:        make(chan struct{}, cfg.Workers)}
	api, err := tgbot.New(cfg.Token,
		tgbot.WithServerURL(cfg.APIURL),
		tgbot.WithSkipGetMe(), // Run calls getMe with retries instead of failing New
		tgbot.WithHTTPClient(cfg.PollTimeout, &http.Client{Timeout: cfg.RequestTimeout, Transport: cfg.Transport}),
		tgbot.WithNotAsyncHandlers(), // ProcessUpdate runs the handler in the calling worker
		tgbot.WithDefaultHandler(b.handleUpdate),
		tgbot.WithMiddlewares(b.recoverMiddleware),
		tgbot.WithErrorsHandler(func(err error) { b.log.Error("telegram client", "err", err) }),
	)
	if err != nil {
		return nil, fmt.Errorf("bot: %w", err)
	}
	b.api = api
	b.sender = cfg.Sender
	b.onFault = cfg.OnFault
	if b.sender == nil {
		policy := outbound.New(nil, nil, outbound.Config{ReplyBudget: cfg.HandlerTimeout / 2, Logger: cfg.Logger.With("component", "sender")})
		b.sender, err = NewSender(SenderConfig{Token: cfg.Token, APIURL: cfg.APIURL, RequestTimeout: cfg.RequestTimeout,
			Transport: cfg.Transport, Logger: cfg.Logger.With("component", "sender")}, policy)
		if err != nil {
			return nil, fmt.Errorf("bot: %w", err)
		}
	}
	return b, nil
}

// OnFault sets a function told of every fault the bot meets and copes
// with (metrics): "redis_inbox" (the inbox cannot be written or read),
// "degraded" (an update handled without the inbox while Redis is down),
// "telegram_poll" (getUpdates failed), "duplicate_update" (Telegram sent an
// update again), "flood" (a user slowed down), "panic" (a handler
// panicked), "update_dropped" (an update given up after GiveUpAfter and
// moved to the dead-letter stream). Each is
// also logged where it happens. Call it before Run.
func (b *Bot) OnFault(f func(kind string)) { b.onFault = f }

func (b *Bot) fault(kind string) {
	if b.onFault != nil {
		b.onFault(kind)
	}
}

// Sender returns the path all outgoing messages take: Config.Sender, or
// the default one New built.
func (b *Bot) Sender() *Sender { return b.sender }

// Username returns the bot's @username once Run has called getMe.
func (b *Bot) Username() string {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.username
}

// Run connects to Telegram and handles updates until ctx is cancelled. On
// cancellation it stops taking updates, lets each worker finish the update
// in hand, and returns; updates not yet handled stay in the inbox for the
// next start.
func (b *Bot) Run(ctx context.Context) error {
	me, err := b.getMe(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped before we were connected
		}
		return err
	}
	b.mu.Lock()
	b.username = me.Username
	b.mu.Unlock()
	b.log.Info("connected to telegram", "bot", "@"+me.Username, "mode", b.cfg.Mode, "replica", b.cfg.ReplicaID)

	if err := b.publishCommands(ctx); err != nil {
		b.log.Warn("could not publish the command menu", "err", err)
	}

	b.adoptOrphans(ctx) // before intake, so moved updates come first
	var wg sync.WaitGroup
	errc := make(chan error, 1)
	intakeCtx, stopIntake := context.WithCancel(ctx)
	defer stopIntake()
	switch b.cfg.Mode {
	case ModePolling:
		wg.Go(func() { b.poll(intakeCtx) })
	case ModeWebhook:
		if err := b.setWebhook(ctx); err != nil {
			return err
		}
		ln, err := net.Listen("tcp", b.cfg.WebhookListen)
		if err != nil {
			return fmt.Errorf("webhook listen %s: %w", b.cfg.WebhookListen, err)
		}
		srv := b.webhookServer()
		wg.Go(func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				select {
				case errc <- err:
				default:
				}
			}
		})
		wg.Go(func() {
			<-intakeCtx.Done()
			shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = srv.Shutdown(shutCtx) // lets requests in flight finish storing their update
		})
		b.log.Info("webhook listening", "addr", ln.Addr().String(), "path", webhookPath(b.cfg.WebhookURL))
	}
	for p := range Partitions {
		wg.Go(func() { b.work(ctx, p) })
	}
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	stopIntake()
	wg.Wait()
	return runErr
}

// getMe identifies the bot, retrying while Telegram is unreachable. A token
// Telegram rejects stops the bot at once.
func (b *Bot) getMe(ctx context.Context) (*models.User, error) {
	var me *models.User
	err := b.sender.call(ctx, "getMe", func(ctx context.Context) error {
		var err error
		me, err = b.api.GetMe(ctx)
		return err
	})
	if errors.Is(err, tgbot.ErrorUnauthorized) || errors.Is(err, tgbot.ErrorNotFound) {
		return nil, errors.New("telegram rejected the bot token (check TELEGRAM_BOT_TOKEN)")
	}
	if err != nil {
		return nil, fmt.Errorf("getMe: %w", err)
	}
	return me, nil
}

// publishCommands sets the command menu shown in Telegram's input field.
func (b *Bot) publishCommands(ctx context.Context) error {
	var cmds []models.BotCommand
	for _, c := range b.router.Commands(communitybot.RoleResident) {
		cmds = append(cmds, models.BotCommand{Command: c.Name, Description: c.Description})
	}
	return b.sender.call(ctx, "setMyCommands", func(ctx context.Context) error {
		_, err := b.api.SetMyCommands(ctx, &tgbot.SetMyCommandsParams{Commands: cmds})
		return err
	})
}
