package delivery

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/storage"
)

// sendTimeout bounds one Bot API call. A call is never cancelled by
// shutdown: cutting it off could leave us not knowing whether Telegram
// accepted the message.
const sendTimeout = 30 * time.Second

type worker struct {
	e        *Engine
	poster   Poster
	consumer string
	log      *slog.Logger
}

func (w *worker) run(ctx context.Context) {
	for ctx.Err() == nil {
		// A dead worker's task first: it has waited longest.
		t, err := w.e.store.ClaimTask(ctx, w.consumer, w.e.cfg.ClaimIdle)
		if err == nil && t == nil {
			t, err = w.e.store.ReadTask(ctx, w.consumer, w.e.cfg.ReadBlock)
		}
		if err != nil {
			if ctx.Err() == nil {
				w.log.Warn("cannot read the delivery queue", "err", err)
				sleep(ctx, time.Second+rand.N(time.Second))
			}
			continue
		}
		if t != nil {
			w.handle(ctx, t)
		}
	}
}

// handle works on one task while keeping it claimed. If the worker stops
// (shutdown) or loses the task to another worker (it looked dead), the
// task is left pending and not acknowledged.
func (w *worker) handle(ctx context.Context, t *storage.DeliveryTask) {
	taskCtx, lost := context.WithCancel(ctx)
	defer lost()
	go w.keepClaimed(taskCtx, lost, t)

	var done bool
	switch t.Type {
	case storage.TaskChunk:
		done = w.chunk(taskCtx, t)
	case storage.TaskStart, storage.TaskFinal:
		done = w.report(taskCtx, t)
	default:
		w.log.Error("dropping a delivery task of unknown type", "type", t.Type, "entry", t.EntryID)
		done = true
	}
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if !done {
		if ctx.Err() != nil {
			if err := w.e.store.ReleaseTask(bg, w.consumer, t); err != nil {
				w.log.Warn("could not hand the task back; it is taken over after the claim timeout", "err", err)
			}
		}
		return
	}
	left, err := w.e.store.FinishTask(bg, t)
	if err != nil {
		// The task stays pending and is claimed again; its recipients are
		// marked, so nothing is sent twice.
		w.log.Warn("cannot acknowledge a delivery task", "entry", t.EntryID, "err", err)
		return
	}
	if t.Type == storage.TaskChunk && left > 0 {
		w.progress(bg, t.BroadcastID)
	}
}

// keepClaimed touches the task every ClaimIdle/3 so other workers see it
// is alive, and cancels the work if the task was taken over.
func (w *worker) keepClaimed(ctx context.Context, lost context.CancelFunc, t *storage.DeliveryTask) {
	tick := time.NewTicker(w.e.cfg.ClaimIdle / 3)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		owns, err := w.e.store.TouchTask(ctx, w.consumer, t)
		if err == nil && !owns && ctx.Err() == nil {
			w.log.Warn("delivery task was taken over by another worker", "entry", t.EntryID)
			lost()
			return
		}
	}
}

// chunk delivers to a chunk's recipients and reports whether all have an
// outcome.
func (w *worker) chunk(ctx context.Context, t *storage.DeliveryTask) bool {
	bc, err := w.e.store.BroadcastStatus(ctx, t.BroadcastID)
	if errors.Is(err, communitybot.ErrNotFound) {
		w.log.Warn("dropping a chunk of a broadcast that no longer exists", "broadcast", t.BroadcastID)
		return true
	}
	if err != nil {
		w.log.Warn("cannot read a broadcast", "broadcast", t.BroadcastID, "err", err)
		sleep(ctx, time.Second)
		return false
	}
	states, pause, err := w.e.store.RecipientStates(ctx, t.BroadcastID, t.ChatIDs)
	if err != nil {
		w.log.Warn("cannot read recipient states", "broadcast", t.BroadcastID, "err", err)
		sleep(ctx, time.Second)
		return false
	}
	sleep(ctx, pause)
	for i, chat := range t.ChatIDs {
		if ctx.Err() != nil {
			return false
		}
		partsDone, final := parseState(states[i])
		if final {
			continue
		}
		if !w.deliver(ctx, t, bc, chat, partsDone) {
			return false
		}
	}
	return true
}

// parseState reads a stored recipient state: a final outcome, or the
// number of parts of a long message already out.
func parseState(s string) (partsDone int, final bool) {
	switch s {
	case "":
		return 0, false
	case storage.StateDelivered, storage.StateBlocked, storage.StateFailed, storage.StateSkipped:
		return 0, true
	}
	n, _ := strconv.Atoi(s)
	return n, false
}

// deliver sends the broadcast to one recipient of task t and records the
// outcome. It returns false if the worker must stop working on the task:
// it is stopping, Redis is unreachable, or another worker took the task
// over. The task then stays pending.
func (w *worker) deliver(ctx context.Context, t *storage.DeliveryTask, bc communitybot.BroadcastStatus, chat int64, partsDone int) bool {
	reply := bc.Reply
	target, migrated := chat, false
	var failingSince time.Time
	backoff := 500 * time.Millisecond
	// retry waits after a temporary failure and reports whether to go on;
	// past the retry budget the recipient counts as failed.
	retry := func(what string, err error) (goOn bool, failed bool) {
		if failingSince.IsZero() {
			failingSince = time.Now()
		}
		if time.Since(failingSince) > w.e.cfg.RetryBudget {
			w.log.Warn("giving up on a recipient", "broadcast", bc.ID, "chat_id", chat, "what", what, "err", err)
			return false, true
		}
		sleep(ctx, backoff+rand.N(backoff/2))
		backoff = min(backoff*2, 30*time.Second)
		return ctx.Err() == nil, false
	}

	mark := func(state string, migrated bool) bool { return w.mark(ctx, t, bc, chat, state, migrated) }

	if reply.Text == "" {
		render, ok := w.e.renderer(bc.Kind)
		if !ok {
			w.log.Error("no renderer for a broadcast kind", "kind", bc.Kind, "broadcast", bc.ID)
			return mark(storage.StateFailed, false)
		}
		for {
			r, ok, err := render(ctx, chat)
			if err == nil && !ok {
				return mark(storage.StateSkipped, false)
			}
			if err == nil {
				reply = r
				break
			}
			goOn, failed := retry("render", err)
			if failed {
				return mark(storage.StateFailed, false)
			}
			if !goOn {
				return false
			}
		}
	}

	parts := w.poster.Parts(reply)
	for p := partsDone; p < len(parts); {
		if !w.acquire(ctx, target) {
			return false
		}
		// Last look before the message goes out (the rate limit may have
		// kept us waiting): a worker that lost its task stops here, and
		// one that took a task over skips what the previous owner sent
		// after the chunk was read. Only a message already in flight when
		// the task changed hands can go out twice.
		owns, state, ok := w.check(ctx, t, chat)
		if !ok {
			return false
		}
		if !owns {
			w.log.Warn("delivery task was taken over by another worker; stopping", "entry", t.EntryID, "broadcast", bc.ID)
			return false
		}
		if done, final := parseState(state); final {
			return true
		} else if done > p {
			p = done
			continue
		}
		sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
		_, err := w.poster.Post(sendCtx, target, parts[p])
		cancel()
		var tooMany *communitybot.RetryAfterError
		var moved *communitybot.ChatMigratedError
		switch {
		case err == nil:
			p++
			state := storage.StateDelivered
			if p < len(parts) {
				state = strconv.Itoa(p)
			}
			if !mark(state, migrated && p == len(parts)) {
				return false
			}
			failingSince, backoff = time.Time{}, 500*time.Millisecond
		case errors.As(err, &tooMany):
			// Everyone waits: the limit is the bot's, not this chat's.
			pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if perr := w.e.store.PauseDeliveries(pctx, tooMany.After); perr != nil {
				w.log.Warn("cannot share a 429 pause", "err", perr)
			}
			cancel()
			w.log.Info("telegram asked to slow down", "retry_after", tooMany.After)
			sleep(ctx, tooMany.After)
			if ctx.Err() != nil {
				return false
			}
		case errors.As(err, &moved) && !migrated:
			w.moveChat(ctx, target, moved.To)
			target, migrated = moved.To, true
		case errors.As(err, &moved): // moved again: something is wrong, do not chase it
			w.log.Warn("chat migrated twice in one delivery", "broadcast", bc.ID, "chat_id", chat, "to", moved.To)
			return mark(storage.StateFailed, false)
		case errors.Is(err, communitybot.ErrChatGone):
			w.chatGone(ctx, target)
			return mark(storage.StateBlocked, false)
		case errors.Is(err, communitybot.ErrRejected):
			w.log.Warn("telegram rejected a broadcast message", "broadcast", bc.ID, "chat_id", target, "err", err)
			return mark(storage.StateFailed, false)
		default:
			goOn, failed := retry("send", err)
			if failed {
				return mark(storage.StateFailed, false)
			}
			if !goOn {
				return false
			}
		}
	}
	return true
}

// acquire waits until chat may get a message: its own limits first
// (rarely binding in a broadcast), then the global one, so a global slot
// is not taken and then left unused.
func (w *worker) acquire(ctx context.Context, chat int64) bool {
	limits := []struct {
		name string
		l    storage.RateLimit
	}{{"tg:chat:" + strconv.FormatInt(chat, 10), w.e.cfg.PerChat}}
	if chat < 0 {
		limits = append(limits, struct {
			name string
			l    storage.RateLimit
		}{"tg:group:" + strconv.FormatInt(chat, 10), w.e.cfg.PerGroup})
	}
	limits = append(limits, struct {
		name string
		l    storage.RateLimit
	}{"tg:all", storage.RateLimit{Rate: w.e.cfg.Rate, Period: time.Second}})
	for _, lim := range limits {
		for {
			wait, err := w.e.store.Allow(ctx, lim.name, lim.l)
			if err != nil {
				if ctx.Err() != nil {
					return false
				}
				w.log.Warn("rate limiter unreachable", "err", err)
				wait = time.Second
			}
			if wait == 0 {
				break
			}
			sleep(ctx, wait)
			if ctx.Err() != nil {
				return false
			}
		}
	}
	return true
}

// check asks, retrying briefly, whether the worker still owns task t and
// what chat's state is; ok is false when Redis did not answer.
func (w *worker) check(ctx context.Context, t *storage.DeliveryTask, chat int64) (owns bool, state string, ok bool) {
	for attempt := range 3 {
		owns, state, err := w.e.store.CheckRecipient(ctx, w.consumer, t, chat)
		if err == nil {
			return owns, state, true
		}
		if ctx.Err() != nil {
			return false, "", false
		}
		w.log.Warn("cannot check a recipient", "broadcast", t.BroadcastID, "chat_id", chat, "attempt", attempt+1, "err", err)
		sleep(ctx, time.Duration(attempt+1)*500*time.Millisecond)
	}
	return false, "", false
}

// mark records a recipient's outcome, retrying briefly; it must be
// written before the next recipient, or a takeover would send again. It
// returns false if the worker must stop: the outcome could not be written,
// or another worker took the task over while this message was in flight
// (the outcome is recorded all the same).
func (w *worker) mark(ctx context.Context, t *storage.DeliveryTask, bc communitybot.BroadcastStatus, chat int64, state string, migrated bool) bool {
	for attempt := range 5 {
		mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		m, err := w.e.store.MarkRecipient(mctx, w.consumer, t, chat, state, migrated)
		cancel()
		if err == nil {
			if name, final := outcomeNames[state]; final && m.Applied {
				if f := w.e.outcome.Load(); f != nil {
					(*f)(bc.Kind, name)
				}
			}
			if !m.Owns {
				w.log.Warn("delivery task was taken over by another worker; stopping", "entry", t.EntryID, "broadcast", bc.ID)
				return false
			}
			sleep(ctx, m.Pause) // another worker hit a 429
			return true
		}
		w.log.Warn("cannot record a delivery", "broadcast", bc.ID, "chat_id", chat, "attempt", attempt+1, "err", err)
		sleep(ctx, time.Duration(attempt+1)*500*time.Millisecond)
	}
	return false
}

var outcomeNames = map[string]string{
	storage.StateDelivered: "delivered", storage.StateBlocked: "blocked",
	storage.StateFailed: "failed", storage.StateSkipped: "skipped",
}

// chatGone ends every subscription of a chat that blocked or removed the bot.
func (w *worker) chatGone(ctx context.Context, chat int64) {
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	topics, err := w.e.store.AllTopics(bg)
	if err != nil {
		w.log.Warn("project topics unavailable; unsubscribing from the fixed topics", "err", err)
	}
	n, err := w.e.store.UnsubscribeAll(bg, chat, topics)
	if err != nil {
		w.log.Warn("cannot unsubscribe a chat that blocked the bot", "chat_id", chat, "err", err)
		return
	}
	w.log.Info("chat blocked or removed the bot; unsubscribed", "chat_id", chat, "subscriptions", n)
}

// moveChat moves a migrated group's subscriptions to its new id.
func (w *worker) moveChat(ctx context.Context, from, to int64) {
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	topics, err := w.e.store.AllTopics(bg)
	if err != nil {
		w.log.Warn("project topics unavailable; moving the fixed topics", "err", err)
	}
	if err := w.e.store.MoveSubscriptions(bg, from, to, topics); err != nil {
		w.log.Warn("cannot move a migrated group's subscriptions", "from", from, "to", to, "err", err)
		return
	}
	w.log.Info("group became a supergroup; subscriptions moved", "from", from, "to", to)
}
