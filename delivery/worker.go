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

// sendTimeout bounds a report's Bot API calls (the policy bounds each
// attempt, and never cuts one short for shutdown: not knowing whether
// Telegram accepted a message is worse than finishing the call).
const sendTimeout = 30 * time.Second

// renderBudget is how long a recipient whose message cannot be rendered
// (the renderer's store is unreachable) is retried before it counts as
// failed.
const renderBudget = 2 * time.Minute

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
	// A 429's pause is the send gate's to honour; the state read gives it too.
	states, _, err := w.e.store.RecipientStates(ctx, t.BroadcastID, t.ChatIDs)
	if err != nil {
		w.log.Warn("cannot read recipient states", "broadcast", t.BroadcastID, "err", err)
		sleep(ctx, time.Second)
		return false
	}
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

// Why a send stopped before its attempt (the last look, see deliver).
var (
	errStop = errors.New("worker stops: the task is not surely ours")
	errDone = errors.New("recipient already served")
)

// skipTo: the previous owner of the task sent more parts than we knew.
type skipTo struct{ part int }

func (s *skipTo) Error() string { return "parts already out: " + strconv.Itoa(s.part) }

// deliver sends the broadcast to one recipient of task t and records the
// outcome. It returns false if the worker must stop working on the task:
// it is stopping, Redis is unreachable, or another worker took the task
// over. The task then stays pending.
func (w *worker) deliver(ctx context.Context, t *storage.DeliveryTask, bc communitybot.BroadcastStatus, chat int64, partsDone int) bool {
	mark := func(state string, migrated bool) bool { return w.mark(ctx, t, bc, chat, state, migrated) }

	reply := bc.Reply
	if reply.Text == "" {
		render, ok := w.e.renderer(bc.Kind)
		if !ok {
			w.log.Error("no renderer for a broadcast kind", "kind", bc.Kind, "broadcast", bc.ID)
			return mark(storage.StateFailed, false)
		}
		start, backoff := time.Now(), 500*time.Millisecond
		for {
			r, ok, err := render(ctx, chat)
			if err == nil && !ok {
				return mark(storage.StateSkipped, false)
			}
			if err == nil {
				reply = r
				break
			}
			if time.Since(start) > renderBudget {
				w.log.Warn("giving up on a recipient whose message cannot be rendered", "broadcast", bc.ID, "chat_id", chat, "err", err)
				return mark(storage.StateFailed, false)
			}
			sleep(ctx, backoff+rand.N(backoff/2))
			backoff = min(backoff*2, 30*time.Second)
			if ctx.Err() != nil {
				return false
			}
		}
	}

	parts := w.poster.Parts(reply)
	target, migrated := chat, false
	for p := partsDone; p < len(parts); {
		// Last look before each attempt goes out (the limits may have kept
		// us waiting): a worker that lost its task stops here, and one
		// that took a task over skips what the previous owner sent after
		// the chunk was read. Only a message already in flight when the
		// task changed hands can go out twice.
		before := func(ctx context.Context, _ int64) error {
			owns, state, ok := w.check(ctx, t, chat)
			switch {
			case !ok:
				return errStop
			case !owns:
				w.log.Warn("delivery task was taken over by another worker; stopping", "entry", t.EntryID, "broadcast", bc.ID)
				return errStop
			}
			if done, final := parseState(state); final {
				return errDone
			} else if done > p {
				return &skipTo{part: done}
			}
			return nil
		}
		to, err := w.poster.Deliver(ctx, target, parts[p], before)
		if to != target && to != 0 {
			target, migrated = to, true // the group became a supergroup
		}
		var skip *skipTo
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
		case errors.Is(err, errDone):
			return true
		case errors.As(err, &skip):
			p = skip.part
		case errors.Is(err, errStop), ctx.Err() != nil:
			return false
		case errors.Is(err, communitybot.ErrChatGone):
			return mark(storage.StateBlocked, false) // the policy's ChatFate unsubscribed it
		default: // rejected, migrated twice, or transient failures past the budget
			w.log.Warn("broadcast message not delivered", "broadcast", bc.ID, "chat_id", target, "err", err)
			return mark(storage.StateFailed, false)
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
