// Package staff is what the subdistrict's staff do through the bot: keep
// project status true (/setstatus, /projectnote, /addproject, each pushed
// to the project's subscribers), answer the questions the bot could not
// (tickets posted to the staff chat, answers relayed to the resident and
// rated), teach the Q&A from answered tickets (/learn), read the numbers
// (/stats) and the audit log of every admin action (/audit).
//
// It knows nothing of Telegram: it returns communitybot.Replies and
// user-safe errors, and reaches chats through the small Poster interface
// that package bot implements. Every dependency is a small interface
// declared here, so the delivery engine (Notifier) and the statistics of
// other features (BroadcastStats, StudyStats) plug in without this package
// importing them.
package staff

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/content"
)

// Notifier queues a broadcast for durable, rate-limited delivery to its
// audience (the delivery engine's Enqueue).
type Notifier interface {
	Enqueue(ctx context.Context, b communitybot.Broadcast) (communitybot.Broadcast, error)
}

// ErrUndeliverable marks a Poster error that waiting will not fix: the bot
// was blocked or removed from the chat, or the chat id is wrong. It is
// communitybot's send error of that name (one set of send errors).
var ErrUndeliverable = communitybot.ErrUndeliverable

// Poster sends a message to a chat and returns its message id. Errors
// wrap ErrUndeliverable when retrying is pointless; any other error is
// temporary.
type Poster interface {
	Post(ctx context.Context, chatID int64, r communitybot.Reply) (messageID int, err error)
}

// Readier is implemented by a Poster that can only post once something
// else has started (bot.DeskPoster, before the Bot exists): Run posts no
// ticket until Ready's channel is closed, so none is tried, and failed,
// before the poster can work.
type Readier interface {
	Ready() <-chan struct{}
}

// Reloader rebuilds the Q&A from a knowledge base (assistant.Reload).
type Reloader interface {
	Reload(kb *content.KnowledgeBase) error
}

// Observer is told what happens, for metrics. metrics.Metrics implements it.
type Observer interface {
	ObserveTicket(event string)
	ObserveAdminAction(action string)
	Fault(source string)
}

type noObserver struct{}

func (noObserver) ObserveTicket(string)      {}
func (noObserver) ObserveAdminAction(string) {}
func (noObserver) Fault(string)              {}

// Actor is the staff member (or resident) behind a request.
type Actor = communitybot.Actor

// Config tunes a Service. Zero values take the documented defaults.
type Config struct {
	// StaffChatID is where tickets are posted and answered by reply. 0:
	// tickets are still created, listed by /tickets and answered with
	// /answer, but not posted anywhere.
	StaffChatID int64
	// MaxOpenPerUser bounds one resident's open tickets, so one person
	// cannot flood the staff chat; default 3.
	MaxOpenPerUser int
	// Location is where times are shown and days begin; default UTC.
	Location *time.Location
	// PollInterval is how often a replica checks for knowledge changes made
	// by another replica and retries unposted tickets; default 10s.
	PollInterval time.Duration
	Logger       *slog.Logger
	Now          func() time.Time
}

// Deps are the Service's collaborators. Store, Base and QA are required.
type Deps struct {
	Store Store
	// Base is the content file's knowledge base; learned entries and
	// staff-added projects are merged onto a copy of it.
	Base     *content.KnowledgeBase
	QA       Reloader
	Notifier Notifier // nil: project changes are stored but not pushed
	Poster   Poster   // nil: tickets are not posted, answers not relayed
	Observer Observer
	// Statistics of other features; nil shows "—" in /stats.
	Broadcasts BroadcastStats
	Study      StudyStats
}

// Service carries out staff actions. It is safe for concurrent use.
type Service struct {
	d   Deps
	cfg Config
	log *slog.Logger
	obs Observer

	kbVersion atomic.Int64 // knowledge version the Q&A was last built from
	reloadMu  sync.Mutex
	wake      chan struct{}
}

// New returns a Service. Call LoadKnowledge once at startup and Run in the
// background.
func New(d Deps, cfg Config) (*Service, error) {
	if d.Store == nil || d.Base == nil || d.QA == nil {
		return nil, errors.New("staff: Store, Base and QA are required")
	}
	if cfg.MaxOpenPerUser <= 0 {
		cfg.MaxOpenPerUser = 3
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	obs := d.Observer
	if obs == nil {
		obs = noObserver{}
	}
	return &Service{d: d, cfg: cfg, log: cfg.Logger, obs: obs, wake: make(chan struct{}, 1)}, nil
}

// SetNotifier plugs in the delivery engine once it exists. Call it before
// the bot runs.
func (s *Service) SetNotifier(n Notifier) { s.d.Notifier = n }

// SetStats plugs in other features' statistics for /stats.
func (s *Service) SetStats(b BroadcastStats, st StudyStats) { s.d.Broadcasts, s.d.Study = b, st }

// StaffChatID returns the configured staff chat (0 for none).
func (s *Service) StaffChatID() int64 { return s.cfg.StaffChatID }

// Run posts tickets to the staff chat as they come (and retries those that
// could not be posted), and keeps the Q&A in step with knowledge changes
// made on other replicas, until ctx ends. With a Poster that is a Readier,
// posting starts when it is ready.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.PollInterval)
	defer t.Stop()
	ready := s.posterReady()
	for {
		if ready != nil && closed(ready) {
			ready = nil // a nil channel never fires in the select below
		}
		if ready == nil {
			s.postPending(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-ready:
		case <-s.wake:
		case <-t.C:
			s.syncKnowledge(ctx)
		}
	}
}

func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// posterReady returns a channel closed once the Poster can post.
func (s *Service) posterReady() <-chan struct{} {
	if r, ok := s.d.Poster.(Readier); ok {
		return r.Ready()
	}
	done := make(chan struct{})
	close(done)
	return done
}

func (s *Service) fmtTime(t time.Time) string { return t.In(s.cfg.Location).Format("2006-01-02 15:04") }

// internal wraps an unexpected error with context; the bot logs it and
// apologises.
func internal(what string, err error) error { return fmt.Errorf("%s: %w", what, err) }
