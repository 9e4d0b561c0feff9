// Package delivery sends broadcasts — announcements, reminders, project
// updates, daily study prompts — to every recipient once, at Telegram's
// rate limits, across restarts and replicas.
//
// A broadcast is written to Redis before anything is sent: the message,
// the audience (a snapshot of the topic's subscribers, cut into chunks,
// each chunk an entry of a Redis stream) and per-recipient state. Workers
// of every replica read chunks through one consumer group; a worker keeps
// its chunk claimed while it works, marks each recipient right after
// Telegram accepts the message, and acknowledges the chunk at the end. A
// worker or replica that dies leaves its chunk pending; another claims it
// (XAUTOCLAIM) and skips the recipients already marked. A worker that only
// stalled (a GC pause, a network partition) and wakes up after its task
// was taken over learns so — from its next touch, the check it makes
// right before each send, or the mark of the message it had in flight —
// and stops. So a kill loses nothing, and a recipient can get a message
// twice only if it was in flight, between Telegram accepting it and the
// mark being written, when its worker died or stalled past ClaimIdle.
//
// Every message goes out through the Poster (bot.Sender) under the one
// outbound policy shared with replies (package outbound): the global limit
// shared by all replicas, taken only when replies leave room, one message
// per second per chat and 20 per minute per group, pauses after a 429,
// backoff on 5xx and timeouts within a budget, and the one ChatFate: a 403
// unsubscribes the chat, a group that became a supergroup has its
// subscriptions moved and gets the message at its new id. The engine only
// decides per recipient what the outcome means and records it.
package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/storage"
)

// Renderer makes a broadcast's message for one recipient at delivery time
// (the daily study prompt: each member gets a different item). ok=false
// skips the recipient (e.g. no longer a member); an error is retried like a
// temporary send failure.
type Renderer func(ctx context.Context, chatID int64) (reply communitybot.Reply, ok bool, err error)

// Poster sends messages under the outbound policy (bot.Sender). Errors are
// communitybot's send errors.
type Poster interface {
	// Parts cuts a reply into messages Telegram accepts.
	Parts(r communitybot.Reply) []communitybot.Reply
	// Deliver sends one part to chatID as a broadcast message: it waits
	// for the shared limits, retries what the policy retries, and runs
	// before right before every attempt (an error from it stops the send
	// and is returned). It returns the chat the message went to (a
	// migrated group's new id). communitybot.ErrChatGone means the chat
	// was unsubscribed; other ErrUndeliverable errors and ErrTelegramDown
	// (the retry budget is spent) mean it will not go out.
	Deliver(ctx context.Context, chatID int64, r communitybot.Reply, before func(ctx context.Context, chat int64) error) (int64, error)
	// Post sends a report to an admin and returns its message id.
	Post(ctx context.Context, chatID int64, r communitybot.Reply) (messageID int, err error)
	// Edit replaces a report the bot sent; ErrRejected when it is gone.
	Edit(ctx context.Context, chatID int64, messageID int, r communitybot.Reply) error
}

// Store is what the engine keeps in Redis (storage.Store).
type Store interface {
	CreateBroadcast(ctx context.Context, b communitybot.Broadcast, audience []int64, chunkSize int) (communitybot.Broadcast, bool, error)
	EachSubscriber(ctx context.Context, t communitybot.Topic, batch int, fn func(ids []int64) error) error
	BroadcastStatus(ctx context.Context, id string) (communitybot.BroadcastStatus, error)
	RecentBroadcasts(ctx context.Context, n int) ([]communitybot.BroadcastStatus, error)
	ReportState(ctx context.Context, id string) (storage.ReportState, error)
	SetProgressMessage(ctx context.Context, id string, messageID int) error
	SetFinalReported(ctx context.Context, id string) error
	LockReport(ctx context.Context, id, owner string, ttl time.Duration) (bool, error)
	UnlockReport(ctx context.Context, id, owner string) error
	ProgressSlot(ctx context.Context, id string, every time.Duration) (bool, error)

	DeliveryPrepare(ctx context.Context) error
	PruneConsumers(ctx context.Context, minIdle time.Duration) (int, error)
	RemoveConsumers(ctx context.Context, names []string) error
	ReadTask(ctx context.Context, consumer string, block time.Duration) (*storage.DeliveryTask, error)
	ClaimTask(ctx context.Context, consumer string, minIdle time.Duration) (*storage.DeliveryTask, error)
	TouchTask(ctx context.Context, consumer string, t *storage.DeliveryTask) (bool, error)
	ReleaseTask(ctx context.Context, consumer string, t *storage.DeliveryTask) error
	FinishTask(ctx context.Context, t *storage.DeliveryTask) (int, error)
	RecipientStates(ctx context.Context, broadcastID string, ids []int64) ([]string, time.Duration, error)
	CheckRecipient(ctx context.Context, consumer string, t *storage.DeliveryTask, chatID int64) (owns bool, state string, err error)
	MarkRecipient(ctx context.Context, consumer string, t *storage.DeliveryTask, chatID int64, state string, migrated bool) (storage.Mark, error)
}

// Config tunes an Engine. Zero values take the defaults in brackets.
type Config struct {
	Workers   int // delivery workers in this replica [4]
	ChunkSize int // recipients per task [50]
	// ClaimIdle is how long a task must go untouched before another worker
	// takes it over (its worker died) [30s]. A live worker touches its task
	// every ClaimIdle/3.
	ClaimIdle time.Duration
	// ProgressEvery is the least time between two edits of an admin's
	// progress message [5s].
	ProgressEvery time.Duration
	ReadBlock     time.Duration // how long a worker waits for a task per read [2s]
	// ConsumerIdle is how long a consumer of the delivery group that holds
	// no task must have been idle before it is deleted [1h]: each process
	// start adds consumers (one per worker, named after the replica), and
	// a replica that was killed cannot delete its own.
	ConsumerIdle time.Duration
	ReplicaID    string // names this replica's consumers [random]
	Location     *time.Location
	Logger       *slog.Logger
}

func (c *Config) setDefaults() {
	if c.Workers <= 0 {
		c.Workers = 4
	}
	if c.ChunkSize <= 0 {
		c.ChunkSize = 50
	}
	if c.ClaimIdle <= 0 {
		c.ClaimIdle = 30 * time.Second
	}
	if c.ProgressEvery <= 0 {
		c.ProgressEvery = 5 * time.Second
	}
	if c.ReadBlock <= 0 {
		c.ReadBlock = 2 * time.Second
	}
	if c.ConsumerIdle <= 0 {
		c.ConsumerIdle = time.Hour
	}
	if c.ReplicaID == "" {
		c.ReplicaID = communitybot.NewReplicaID()
	}
	if c.Location == nil {
		c.Location = time.UTC
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Engine stores broadcasts and delivers them. Enqueue works at any time;
// delivery happens while Run runs (in this replica or another).
type Engine struct {
	cfg    Config
	store  Store
	poster Poster
	log    *slog.Logger

	mu        sync.RWMutex
	renderers map[string]Renderer

	outcome atomic.Pointer[func(kind, outcome string)]
}

// OnOutcome sets a function told each recipient's final outcome in this
// replica — "delivered", "blocked", "failed" or "skipped" — with the
// broadcast's kind, for metrics. It must be quick; it runs in the worker.
func (e *Engine) OnOutcome(f func(kind, outcome string)) { e.outcome.Store(&f) }

// New returns an Engine over store that sends through poster.
func New(store Store, poster Poster, cfg Config) *Engine {
	cfg.setDefaults()
	return &Engine{cfg: cfg, store: store, poster: poster, log: cfg.Logger, renderers: map[string]Renderer{}}
}

// RegisterRenderer makes broadcasts of this Kind with an empty Reply get
// their message per recipient at delivery time. Register before Run.
func (e *Engine) RegisterRenderer(kind string, r Renderer) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.renderers[kind] = r
}

func (e *Engine) renderer(kind string) (Renderer, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	r, ok := e.renderers[kind]
	return r, ok
}

// Enqueue stores the broadcast — its message, the audience snapshot (b.ChatIDs,
// or else the subscribers of b.Topic right now) and per-recipient state — and
// returns it with ID and CreatedAt set. Delivery happens in the background
// workers. Under a once key (communitybot.WithOnceKey) a second call returns
// the first broadcast and stores nothing.
func (e *Engine) Enqueue(ctx context.Context, b communitybot.Broadcast) (communitybot.Broadcast, error) {
	if b.Kind == "" {
		return b, errors.New("enqueue: broadcast without a kind")
	}
	if b.Reply.Text == "" {
		if _, ok := e.renderer(b.Kind); !ok {
			return b, fmt.Errorf("enqueue %s: empty message and no renderer for the kind", b.Kind)
		}
	}
	audience := b.ChatIDs
	if len(audience) == 0 && b.Topic != "" {
		err := e.store.EachSubscriber(ctx, b.Topic, 1000, func(ids []int64) error {
			audience = append(audience, ids...)
			return nil
		})
		if err != nil {
			return b, fmt.Errorf("enqueue %s: audience: %w", b.Kind, err)
		}
	}
	b.ChatIDs = nil // the audience lives in the stored chunks
	out, created, err := e.store.CreateBroadcast(ctx, b, audience, e.cfg.ChunkSize)
	if err != nil {
		return b, fmt.Errorf("enqueue %s: %w", b.Kind, err)
	}
	if created {
		e.log.Info("broadcast queued", "broadcast", out.ID, "kind", out.Kind, "topic", out.Topic, "recipients", len(audience))
	} else {
		e.log.Info("broadcast already queued under this once key", "broadcast", out.ID, "kind", out.Kind)
	}
	return out, nil
}

// Recent returns up to n recent broadcasts with their counters, newest first.
func (e *Engine) Recent(ctx context.Context, n int) ([]communitybot.BroadcastStatus, error) {
	return e.store.RecentBroadcasts(ctx, n)
}

// Status returns one broadcast with its counters.
func (e *Engine) Status(ctx context.Context, id string) (communitybot.BroadcastStatus, error) {
	return e.store.BroadcastStatus(ctx, id)
}

// Run delivers queued broadcasts with Config.Workers workers until ctx is
// cancelled. On cancellation each worker finishes the message in flight,
// hands its task back (the next worker resumes at the first unmarked
// recipient), and Run returns.
func (e *Engine) Run(ctx context.Context) error {
	for {
		err := e.store.DeliveryPrepare(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return nil
		}
		e.log.Warn("delivery queue not ready; retrying", "err", err)
		sleep(ctx, 2*time.Second)
	}
	var wg sync.WaitGroup
	wg.Go(func() { e.pruneConsumers(ctx) })
	consumers := make([]string, e.cfg.Workers)
	for i := range e.cfg.Workers {
		consumers[i] = fmt.Sprintf("%s-w%d", e.cfg.ReplicaID, i)
		w := &worker{e: e, poster: e.poster, consumer: consumers[i], log: e.log.With("worker", i)}
		wg.Go(func() { w.run(ctx) })
	}
	wg.Wait()
	// Every process start names new consumers: delete this one's, or they
	// pile up in the group. One that holds a task it handed back stays
	// until another worker takes the task over.
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := e.store.RemoveConsumers(bg, consumers); err != nil {
		e.log.Warn("cannot delete this replica's delivery consumers; other replicas prune them later", "err", err)
	}
	return nil
}

// pruneConsumers deletes, at start and then every ConsumerIdle, the
// consumers that hold no task and were idle for ConsumerIdle: those of
// replicas that were killed and could not delete their own.
func (e *Engine) pruneConsumers(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := e.store.PruneConsumers(ctx, e.cfg.ConsumerIdle)
		switch {
		case err != nil && ctx.Err() == nil:
			e.log.Warn("cannot prune idle delivery consumers", "err", err)
		case n > 0:
			e.log.Info("pruned idle delivery consumers", "consumers", n)
		}
		sleep(ctx, e.cfg.ConsumerIdle)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
