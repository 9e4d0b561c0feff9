// Package bot connects the community bot to Telegram. It is the only
// package that imports go-telegram/bot.
//
// Updates flow through a durable inbox in Redis (package intake; see
// "Update flow" in the README): the long poller (elected among replicas)
// or the webhook handler writes each update to the inbox before Telegram
// is told it was received, and the intake runs it, one chat's updates in
// order, through go-telegram/bot's router and our handlers, acknowledging
// it only when it is handled. So a crash or a shutdown loses no update,
// chats never wait for each other, and a second replica shares the work.
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
	"github.com/zhangmiao/communitybot/intake"
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

	// ActiveChats bounds how many chats this replica handles at once
	// (each chat's updates one at a time, in order); default 200.
	ActiveChats    int
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
	// Transport carries every Bot API request; default: a pool of
	// maxConns connections.
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
	if c.PollTimeout <= 0 {
		c.PollTimeout = 25 * time.Second
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = 6 * time.Second
	}
	if c.HandlerTimeout <= 0 {
		c.HandlerTimeout = 2 * time.Minute
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
		c.Transport = newTransport(maxConns)
	}
}

// maxConns is how many idle connections to the Bot API are kept for
// reuse. Two cores do not send hundreds of requests at once, so more idle
// ones would only be thrown away later.
const maxConns = 64

// newTransport returns a transport that keeps n idle connections.
// go-telegram/bot's default client keeps 2 idle connections per host, so
// under load it opens a new (TLS) connection for almost every call.
//
// The number of connections in use is not capped: a call that hangs (until
// RequestTimeout) holds its connection, and with a cap a few hung calls
// held every other chat's reply waiting for a free one (measured with 5%
// of sendMessage calls hanging and 16 connections: half the replies took
// 30 s). What is in flight is bounded anyway, by ACTIVE_CHATS (a chat
// sends one message at a time) and the delivery workers.
func newTransport(n int) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = n
	tr.MaxIdleConnsPerHost = n
	tr.IdleConnTimeout = 90 * time.Second
	return tr
}

// Bot is the Telegram side of the community bot.
type Bot struct {
	cfg          Config
	api          *tgbot.Bot
	poller       *http.Client // getUpdates: no client timeout, each call has its own deadline
	flood        *floodGuard  // messages
	floodButtons *floodGuard  // button presses
	in           *intake.Intake
	onFault      atomic.Pointer[func(kind string)]
	unauthorized *logThrottle // the log line of webhook requests without the secret
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
		unauthorized: newLogThrottle(unauthorizedLogEvery)}
	b.in = intake.New(intake.Config{
		ActiveChats: cfg.ActiveChats, LeaseTTL: cfg.LeaseTTL, GiveUpAfter: cfg.GiveUpAfter,
		ReplicaID: cfg.ReplicaID, StopTimeout: cfg.HandlerTimeout, ChatOf: chatOf,
		OnFault: b.fault, Logger: cfg.Logger.With("component", "intake"),
	}, store, b.handleStored)
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
	if f := cfg.OnFault; f != nil {
		b.onFault.Store(&f)
	}
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
// moved to the dead-letter stream), "webhook_unauthorized" (a webhook
// request without the right secret). Each is also logged where it happens
// (webhook_unauthorized at most once per 10 s, with the number held back).
// Call it before Run.
func (b *Bot) OnFault(f func(kind string)) { b.onFault.Store(&f) }

func (b *Bot) fault(kind string) {
	if f := b.onFault.Load(); f != nil {
		(*f)(kind)
	}
}

// unauthorizedLogEvery bounds the log lines of rejected webhook requests.
const unauthorizedLogEvery = 10 * time.Second

// rejectedWebhook counts a webhook request without the right secret and
// logs it, at most once per unauthorizedLogEvery: anyone can post to a
// public URL, and a line per request would let them fill the log.
func (b *Bot) rejectedWebhook(log *slog.Logger, remote string) {
	b.fault("webhook_unauthorized")
	if ok, held := b.unauthorized.allow(); ok {
		log.Warn("webhook request with a wrong or missing secret", "remote", remote,
			"held_back_since_last_line", held, "next_line_in_at_most", unauthorizedLogEvery)
	}
}

// Intake returns the bot's intake (which partitions it reads, how many
// updates it handled).
func (b *Bot) Intake() *intake.Intake { return b.in }

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
// cancellation it stops taking updates, lets each chat finish the update
// in hand, and returns; updates not yet handled stay in the inbox for
// another replica or the next start.
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

	b.in.AdoptOrphans(ctx) // before intake, so moved updates come first
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
	wg.Go(func() { b.in.Run(ctx) })
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
