// Package web is the bot's second channel: a mobile chat page, served by
// the bot itself, for residents who cannot use Telegram (it opens in
// WeChat's built-in browser from a link or QR code). It talks to the same
// channel-neutral core as package bot: questions go to the assistant,
// tickets and ratings to the staff desk, and their communitybot.Replies are
// rendered for the page (Render) instead of for Telegram. Staff stay in
// Telegram: a web resident's ticket is posted to the staff chat like any
// other, and the staff answer comes back through Post, stored in the
// visitor's conversation and pushed to the open page by Server-Sent Events.
//
// A visitor is anonymous: a number in a signed HttpOnly cookie. Features
// see the visitor as chat and user communitybot.WebID(n), an id range no
// Telegram id can take, so conversation context, flood limits and tickets
// never mix a web visitor with a Telegram user.
//
// Guarantees, as for Telegram updates: a question is stored in Redis
// (storage.Store.WebSubmit) before the browser is told it arrived; a
// retried POST with the same client message id is stored and answered
// once; one visitor's inputs are handled in order, by one handler at a
// time (a lock per visitor), and an input whose request died is handled by
// a sweeper on any replica.
//
// No feature package imports this one; cmd/communitybot wires it.
package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/assistant"
	"github.com/zhangmiao/communitybot/storage"
)

// Assistant answers residents (assistant.Assistant). Errors carrying a
// user-safe message (communitybot.UserMessage) are shown; others are
// logged and the resident gets an apology.
type Assistant interface {
	Ask(ctx context.Context, chatID, userID int64, text string) (assistant.Answer, error)
	Welcome(firstName string) communitybot.Reply
	Help(commands string) communitybot.Reply
	Goals(ctx context.Context, chatID, userID int64) (communitybot.Reply, error)
	Topic(ctx context.Context, chatID, userID int64, id string) (communitybot.Reply, error)
	Project(ctx context.Context, chatID, userID int64, id string) (communitybot.Reply, error)
	ProjectList(ctx context.Context) (communitybot.Reply, error)
	ResolveProject(ctx context.Context, ref string) (string, error)
}

// Desk is the residents' side of the staff desk (staff.Service), with the
// same error contract as Assistant.
type Desk interface {
	Ask(ctx context.Context, chatID, userID int64, text string) (communitybot.Reply, error)
	MyTicket(ctx context.Context, userID int64, admin bool, ref string) (communitybot.Reply, error)
	Rate(ctx context.Context, userID, no int64, r communitybot.Rating) (communitybot.Reply, error)
	// ReportRating tells the staff chat, best effort.
	ReportRating(ctx context.Context, no int64, r communitybot.Rating)
}

// Store keeps the web conversations and reads what the 公告 and 项目 tabs
// show (storage.Store). Errors are temporary unless documented otherwise
// there.
type Store interface {
	NewWebVisitor(ctx context.Context) (int64, error)
	WebSubmit(ctx context.Context, visitor int64, in storage.WebInput, lim storage.WebLimit) (int64, bool, error)
	WebLock(ctx context.Context, visitor int64, token string, ttl time.Duration) (bool, error)
	WebUnlock(ctx context.Context, visitor int64, token string) error
	WebNextInput(ctx context.Context, visitor int64) (storage.WebRecord, bool, error)
	WebComplete(ctx context.Context, batch *storage.Batch, visitor int64, token string, seq int64, answers [][]byte) (seqs []int64, left int, err error)
	WebAppend(ctx context.Context, visitor int64, msgs ...[]byte) ([]int64, error)
	WebHistory(ctx context.Context, visitor int64, n int) ([]storage.WebRecord, error)
	WebMessagesAfter(ctx context.Context, visitor, after int64, n int) ([]storage.WebRecord, error)
	WebPending(ctx context.Context, idle time.Duration, n int) ([]int64, error)
	WebNotifications(ctx context.Context, fn func(visitor int64)) error

	RecentBroadcasts(ctx context.Context, n int) ([]communitybot.BroadcastStatus, error)
	Projects(ctx context.Context) ([]communitybot.Project, error)
	ProjectHistory(ctx context.Context, id string, n int) ([]communitybot.ProjectEvent, error)
}

// Config tunes a Server. Zero values take the documented defaults.
type Config struct {
	// Secret signs visitor cookies; at least MinSecretBytes. Required.
	Secret []byte
	// TelegramCommand tells whether a command exists in Telegram and who
	// may use it there, so the page can point to Telegram for it rather
	// than call it unknown. nil: every command the page lacks is unknown.
	TelegramCommand func(name string) (communitybot.Role, bool)
	// TrustProxy takes the client's address from the last X-Forwarded-For
	// entry and HTTPS from X-Forwarded-Proto: set it only behind a reverse
	// proxy that sets them, or anyone could pick their address.
	TrustProxy bool
	// Limits per minute: texts and presses per visitor (15 and 45, as in
	// Telegram), inputs per client address (120: many residents share a
	// carrier's address).
	TextsPerMinute, PressesPerMinute, PerAddressPerMinute int
	// MaxStreams bounds the open event streams of this server (1000), and
	// MaxStreamsPerVisitor one visitor's (4: a few tabs).
	MaxStreams, MaxStreamsPerVisitor int
	// Location is where times are shown; default Asia/Shanghai.
	Location *time.Location
	Logger   *slog.Logger
	Now      func() time.Time
}

const (
	// MaxInputRunes bounds a typed message; the assistant reads at most
	// assistant.MaxQuestionRunes of a question.
	MaxInputRunes = assistant.MaxQuestionRunes
	// maxBody caps a request body: a question of MaxInputRunes Chinese
	// characters is 1.5 KB of UTF-8, its JSON a little more.
	maxBody = 8 << 10
	// historyShown is how much of the conversation a page load shows.
	historyShown = 100
	// lockTTL is how long a handler owns a visitor's queue without
	// finishing an input; answers take milliseconds.
	lockTTL = 30 * time.Second
	// handleWait is how long a POST waits for its answer before telling
	// the browser it was received (202); the answer then comes by the
	// event stream.
	handleWait = 10 * time.Second
	// sweepEvery and sweepIdle: how often each replica looks for inputs
	// whose request died, and how old they must be.
	sweepEvery = 2 * time.Second
	sweepIdle  = 5 * time.Second
)

// Server serves the page and handles its visitors' inputs. It is safe for
// concurrent use.
type Server struct {
	a     Assistant
	desk  Desk
	store Store
	cfg   Config
	sign  signer
	log   *slog.Logger
	hub   *hub

	bg sync.WaitGroup // best-effort work after an answer (rating reports)
}

// New returns a Server. Call Run for its background work.
func New(a Assistant, desk Desk, store Store, cfg Config) (*Server, error) {
	if a == nil || desk == nil || store == nil {
		return nil, errors.New("web: assistant, desk and store are required")
	}
	if len(cfg.Secret) < MinSecretBytes {
		return nil, fmt.Errorf("web: the cookie secret must have at least %d bytes", MinSecretBytes)
	}
	if cfg.TextsPerMinute <= 0 {
		cfg.TextsPerMinute = 15
	}
	if cfg.PressesPerMinute <= 0 {
		cfg.PressesPerMinute = 45
	}
	if cfg.PerAddressPerMinute <= 0 {
		cfg.PerAddressPerMinute = 120
	}
	if cfg.MaxStreams <= 0 {
		cfg.MaxStreams = 1000
	}
	if cfg.MaxStreamsPerVisitor <= 0 {
		cfg.MaxStreamsPerVisitor = 4
	}
	if cfg.Location == nil {
		loc, err := time.LoadLocation("Asia/Shanghai")
		if err != nil {
			return nil, err
		}
		cfg.Location = loc
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Server{a: a, desk: desk, store: store, cfg: cfg, sign: signer{cfg.Secret}, log: cfg.Logger, hub: newHub()}, nil
}

// Run listens for new messages of any replica (to push them to open pages)
// and sweeps up inputs whose request died, until ctx ends.
func (s *Server) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() {
		for backoff := time.Second; ctx.Err() == nil; {
			err := s.store.WebNotifications(ctx, s.hub.wake)
			if err == nil || ctx.Err() != nil {
				break
			}
			s.log.Warn("web notifications interrupted; open pages fall back to their periodic check", "err", err)
			s.hub.wakeAll() // anything published meanwhile is read by the streams themselves
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 30*time.Second)
		}
	})
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			s.bg.Wait()
			return
		case <-t.C:
			s.sweep(ctx)
		}
	}
}

func (s *Server) sweep(ctx context.Context) {
	ids, err := s.store.WebPending(ctx, sweepIdle, 50)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("web: pending inputs unreadable; will retry", "err", err)
		}
		return
	}
	for _, v := range ids {
		if ctx.Err() != nil {
			return
		}
		if err := s.drain(ctx, v); err != nil {
			s.log.Warn("web: pending input not handled; will retry", "visitor", v, "err", err)
		}
	}
}

// Post adds a message to a web visitor's conversation and pushes it to the
// visitor's open pages: the staff answer to a ticket (staff.Poster). It
// returns the message's number in the conversation. chatID must be a web
// id (communitybot.ChannelOf); anything else wraps communitybot.ErrInvalid.
func (s *Server) Post(ctx context.Context, chatID int64, r communitybot.Reply) (int, error) {
	v := communitybot.WebVisitorNo(chatID)
	if v == 0 {
		return 0, fmt.Errorf("web post to chat %d: not a web visitor: %w", chatID, communitybot.ErrInvalid)
	}
	m := message{From: fromStaff, Text: r.Text, Buttons: r.Buttons, At: s.cfg.Now().UnixMilli()}
	seqs, err := s.store.WebAppend(ctx, v, m.encode())
	if err != nil {
		return 0, err
	}
	return int(seqs[0]), nil
}

func newToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
