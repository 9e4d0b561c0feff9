// Package outbound is the one policy every message the bot sends follows,
// replies and broadcasts alike: when it may go (a shared limiter that puts
// replies ahead of broadcasts, and pauses after a 429), what is retried
// (429: after retry_after; 5xx, network errors and timeouts: with backoff,
// within a budget; 400 and 403: never), and what a lost or moved chat
// means (one ChatFate: a 403 ends every subscription, a migrated group
// keeps them under its new id and gets the message there).
//
// It knows nothing of Telegram's types: the caller's op returns
// communitybot's send errors (package bot translates go-telegram/bot's),
// and the shared state lives behind the small Gate interface
// (storage.SendGate, in Redis, shared by every replica). Without a Gate,
// or while it is unreachable, a local gate in memory paces this replica
// alone, so a Redis outage never stops a reply.
package outbound

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/zhangmiao/communitybot"
)

// Class says what a call is, which decides its turn and its budget.
type Class int

// Classes of calls.
const (
	// Reply is a message a resident waits for (an answer, an edit, a
	// button's toast, a notice). Replies take the global limit ahead of
	// broadcasts.
	Reply Class = iota
	// Broadcast is one recipient's message of a fan-out: it takes the
	// global limit only when replies leave room, and the chat's own
	// limits too.
	Broadcast
	// Control is a call that is no message (getMe, setMyCommands,
	// getChatMember, webhooks): retried like the others, but it takes no
	// slot of the limiter and a 403 on it says nothing about the chat.
	Control
)

func (c Class) String() string {
	switch c {
	case Reply:
		return "reply"
	case Broadcast:
		return "broadcast"
	case Control:
		return "control"
	}
	return fmt.Sprintf("Class(%d)", int(c))
}

// Outcome is how one attempt of a call ended: the label of
// communitybot_telegram_calls_total.
type Outcome string

// Outcomes, one per attempt.
const (
	OK        Outcome = "ok"
	Throttled Outcome = "throttled" // 429: waited retry_after and tried again
	Retried   Outcome = "retried"   // 5xx, network error or timeout: tried again after a backoff
	Forbidden Outcome = "forbidden" // 403: blocked, kicked, deactivated (the chat's subscriptions end)
	Migrated  Outcome = "migrated"  // the group became a supergroup (subscriptions move, the message is sent there)
	Rejected  Outcome = "rejected"  // another 4xx: not retried
	Failed    Outcome = "failed"    // transient failures outlived the budget: given up
)

// Gate is the limiter and the pauses every replica shares (storage.SendGate).
type Gate interface {
	// Admit asks whether a message to chat may go. For a reply it reserves
	// the next free slot of the global limit and returns ok with how long
	// to wait for it; for a broadcast it takes a slot only when no reply
	// waits ahead (ok, and the wait) and otherwise returns !ok with how
	// long to wait before asking again. While a pause (global, or the
	// chat's) runs it returns !ok and the pause's rest. One round trip.
	Admit(ctx context.Context, chat int64, broadcast bool) (ok bool, wait time.Duration, err error)
	// Pause makes every message to chat wait d, or every message at all
	// when chat is 0.
	Pause(ctx context.Context, chat int64, d time.Duration) error
}

// ChatFate is what becomes of a chat the bot lost or that moved: one
// handler for replies, broadcasts and the staff desk alike (ChatSubscriptions).
type ChatFate interface {
	// Gone: the bot may not write to chat any more (403).
	Gone(ctx context.Context, chat int64) error
	// Moved: the group became the supergroup to.
	Moved(ctx context.Context, from, to int64) error
}

// Config tunes a Policy. Zero values take the defaults in brackets.
type Config struct {
	// Rate paces the local gate: messages per second of this replica when
	// there is no Gate or it does not answer [0: no limit]. Use the
	// shared limit's rate.
	Rate int
	// ReplyBudget bounds the time a reply or control call spends waiting
	// and retrying, 429 waits included [60s]; past it the call fails
	// with communitybot.ErrTelegramDown and the caller may try later.
	ReplyBudget time.Duration
	// BroadcastBudget bounds how long a broadcast message is retried on
	// 5xx, network errors and timeouts [2m]; 429 waits do not count (a
	// broadcast is not in a hurry, and the limit is always lifted).
	BroadcastBudget time.Duration
	// AttemptTimeout bounds one attempt [30s]. An attempt is never cut
	// short by the caller's context: not knowing whether Telegram took a
	// message is worse than finishing the call.
	AttemptTimeout time.Duration
	// GateTimeout bounds one Gate call [1s]; past it this replica paces
	// itself (the local gate) for that message. Falling back books slots
	// the shared schedule does not know of, so it must not happen when
	// Redis is merely busy (a burst of replies queueing for connections):
	// keep it at the Redis client's command timeout, which a Redis that
	// hangs reaches anyway before its circuit opens.
	GateTimeout time.Duration
	// MinBackoff and MaxBackoff bound the pause between retries of a
	// transient failure, doubling from one to the other, with jitter
	// [500ms, 30s].
	MinBackoff, MaxBackoff time.Duration
	// Observe, when set, is told the outcome of every attempt (metrics).
	// It must be quick.
	Observe func(method string, o Outcome)
	Logger  *slog.Logger
}

func (c *Config) setDefaults() {
	if c.ReplyBudget <= 0 {
		c.ReplyBudget = time.Minute
	}
	if c.BroadcastBudget <= 0 {
		c.BroadcastBudget = 2 * time.Minute
	}
	if c.AttemptTimeout <= 0 {
		c.AttemptTimeout = 30 * time.Second
	}
	if c.GateTimeout <= 0 {
		c.GateTimeout = time.Second
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = 500 * time.Millisecond
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Policy runs calls under the outbound rules. It is safe for concurrent
// use; one Policy serves the whole process.
type Policy struct {
	cfg      Config
	gate     Gate
	fate     ChatFate
	local    *localGate
	window   *windowGuard
	scope    *scopeTracker
	log      *slog.Logger
	gateDown atomic.Bool // the Gate's failure was logged
}

// New returns a Policy over gate (nil: the local gate only) and fate (nil:
// a lost or moved chat changes no subscription).
func New(gate Gate, fate ChatFate, cfg Config) *Policy {
	cfg.setDefaults()
	return &Policy{cfg: cfg, gate: gate, fate: fate, local: newLocalGate(cfg.Rate), window: newWindowGuard(cfg.Rate), scope: newScopeTracker(), log: cfg.Logger}
}

// Call describes one Bot API call for Do.
type Call struct {
	Method string
	// Chat is the chat the call is for; 0 for a call without one.
	Chat  int64
	Class Class
	// NoResend: when the chat migrated, move its subscriptions but do not
	// repeat the call at the new id (an edit: the message is not there).
	NoResend bool
	// Before, when set, runs right before every attempt, after the wait
	// for the limiter, with the chat the attempt goes to; an error stops
	// the call and is returned as is (a broadcast worker's last check
	// that it still owns its task).
	Before func(ctx context.Context, chat int64) error
}

// Do runs op for call until it succeeds, fails for good, or the budget is
// spent, and returns the chat the call went to last (a migrated group's
// new id). Errors: communitybot.ErrChatGone (the ChatFate has been told),
// ErrRejected (also for a group that migrated twice), ErrTelegramDown
// (the budget is spent), *ChatMigratedError with NoResend, Before's error,
// or the context's.
func (p *Policy) Do(ctx context.Context, call Call, op func(ctx context.Context, chat int64) error) (int64, error) {
	chat := call.Chat
	start := time.Now()
	budget := p.cfg.ReplyBudget
	if call.Class == Broadcast {
		budget = p.cfg.BroadcastBudget
	}
	backoff := p.cfg.MinBackoff
	var failingSince time.Time // of the current run of transient failures
	migrated := false
	for attempt := 1; ; attempt++ {
		if call.Class != Control {
			if err := p.admit(ctx, chat, call.Class); err != nil {
				return chat, err
			}
		} else if err := sleep(ctx, p.local.paused(chat, time.Now())); err != nil {
			return chat, err
		}
		if call.Before != nil {
			if err := call.Before(ctx, chat); err != nil {
				return chat, err
			}
		}
		if call.Class != Control {
			// Past the shared schedule, the replica's own departures.
			if err := p.window.depart(ctx); err != nil {
				return chat, err
			}
		}
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.cfg.AttemptTimeout)
		err := op(actx, chat)
		cancel()

		var tooMany *communitybot.RetryAfterError
		var moved *communitybot.ChatMigratedError
		var wait time.Duration
		switch {
		case err == nil:
			p.record(call.Method, OK)
			p.scope.record(chat, false, time.Now())
			return chat, nil
		case errors.As(err, &tooMany):
			after := max(tooMany.After, time.Second)
			if call.Class != Broadcast && time.Since(start)+after > budget {
				p.record(call.Method, Failed)
				return chat, fmt.Errorf("%s: still throttled after %d attempts: %w: %w", call.Method, attempt, communitybot.ErrTelegramDown, err)
			}
			p.record(call.Method, Throttled)
			global := p.scope.record(chat, true, time.Now())
			p.pause(ctx, chat, global, after)
			p.log.Info("telegram asked to slow down", "method", call.Method, "chat_id", chat, "retry_after", after, "global", global)
			// The next admission waits the pause out (the gate's, or the
			// local one's for a control call).
		case errors.As(err, &moved) && call.Class != Control:
			p.record(call.Method, Migrated)
			if migrated { // moved again: something is wrong, do not chase it
				return chat, fmt.Errorf("%s: chat %d migrated twice: %w: %w", call.Method, call.Chat, communitybot.ErrRejected, err)
			}
			p.moved(ctx, chat, moved.To)
			if call.NoResend {
				return moved.To, err
			}
			chat, migrated = moved.To, true
			continue
		case errors.Is(err, communitybot.ErrChatGone):
			p.record(call.Method, Forbidden)
			if call.Class != Control && chat != 0 {
				p.gone(ctx, chat)
			}
			return chat, err
		case errors.Is(err, communitybot.ErrUndeliverable), moved != nil:
			p.record(call.Method, Rejected)
			return chat, err
		case ctx.Err() != nil:
			return chat, ctx.Err()
		default: // 5xx, network errors, timeouts, an HTML error page from a proxy
			if failingSince.IsZero() {
				failingSince = time.Now()
			}
			wait = backoff + rand.N(backoff/2+1)
			backoff = min(backoff*2, p.cfg.MaxBackoff)
			since := failingSince
			if call.Class != Broadcast {
				since = start
			}
			if time.Since(since)+wait > budget {
				p.record(call.Method, Failed)
				return chat, fmt.Errorf("%s after %d attempts: %w: %w", call.Method, attempt, communitybot.ErrTelegramDown, err)
			}
			p.record(call.Method, Retried)
			p.log.Warn("telegram call failed, retrying", "method", call.Method, "chat_id", chat, "attempt", attempt, "wait", wait, "err", err)
		}
		if err := sleep(ctx, wait); err != nil {
			return chat, err
		}
	}
}

// admit waits until the limiter lets a message to chat go.
func (p *Policy) admit(ctx context.Context, chat int64, class Class) error {
	for {
		now := time.Now()
		// A pause this replica knows of is honoured without asking.
		if w := p.local.paused(chat, now); w > 0 {
			if err := sleep(ctx, w); err != nil {
				return err
			}
			continue
		}
		ok, wait := p.ask(ctx, chat, class, now)
		if err := sleep(ctx, wait); err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
}

// ask asks the shared gate, or the local one when there is none or it
// does not answer in time.
func (p *Policy) ask(ctx context.Context, chat int64, class Class, now time.Time) (bool, time.Duration) {
	if p.gate != nil {
		gctx, cancel := context.WithTimeout(ctx, p.cfg.GateTimeout)
		ok, wait, err := p.gate.Admit(gctx, chat, class == Broadcast)
		cancel()
		if err == nil {
			if p.gateDown.Swap(false) {
				p.log.Info("shared send limiter reachable again")
			}
			return ok, wait
		}
		if ctx.Err() != nil {
			return false, 0 // the caller stops; sleep returns at once
		}
		if !p.gateDown.Swap(true) {
			p.log.Warn("shared send limiter unreachable; pacing this replica alone", "err", err)
		}
	}
	return p.local.admit(chat, class == Broadcast, now)
}

// pause records a 429's pause here and, shared, for every replica.
func (p *Policy) pause(ctx context.Context, chat int64, global bool, d time.Duration) {
	if global {
		chat = 0
	}
	p.local.pause(chat, d, time.Now())
	if p.gate == nil {
		return
	}
	gctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.cfg.GateTimeout)
	defer cancel()
	if err := p.gate.Pause(gctx, chat, d); err != nil {
		p.log.Warn("cannot share a 429 pause; only this replica waits", "chat_id", chat, "err", err)
	}
}

func (p *Policy) gone(ctx context.Context, chat int64) {
	if p.fate == nil {
		return
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := p.fate.Gone(fctx, chat); err != nil {
		p.log.Warn("cannot unsubscribe a chat that blocked or removed the bot", "chat_id", chat, "err", err)
	}
}

func (p *Policy) moved(ctx context.Context, from, to int64) {
	if p.fate == nil {
		return
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := p.fate.Moved(fctx, from, to); err != nil {
		p.log.Warn("cannot move a migrated group's subscriptions", "from", from, "to", to, "err", err)
	}
}

func (p *Policy) record(method string, o Outcome) {
	if p.cfg.Observe != nil {
		p.cfg.Observe(method, o)
	}
}

// sleep waits d or until ctx ends, and returns ctx's error if it ended.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
