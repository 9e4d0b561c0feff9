package intake

import (
	"context"
	"sync"
	"time"

	"github.com/zhangmiao/communitybot/storage"
)

// acker writes acknowledgements in batches: while one batch is on the
// wire, the next collects every update finished meanwhile, so under load
// one round trip acknowledges many updates (and carries their handlers'
// deferred writes), and a lone update waits for no timer.
type acker struct {
	in   *Intake
	kick chan struct{}

	mu    sync.Mutex
	queue []ack
}

type ack struct {
	it    *item
	batch *storage.Batch
	done  chan struct{}
}

// maxAckBatch bounds one acknowledgement round trip.
const maxAckBatch = 500

// add queues it's acknowledgement with its deferred writes and returns a
// channel closed once both reached Redis (or were given up).
func (a *acker) add(it *item, batch *storage.Batch) <-chan struct{} {
	done := make(chan struct{})
	a.mu.Lock()
	a.queue = append(a.queue, ack{it: it, batch: batch, done: done})
	a.mu.Unlock()
	select {
	case a.kick <- struct{}{}:
	default:
	}
	return done
}

// run writes queued acknowledgements until stop is closed, then writes
// what is left.
func (a *acker) run(stop <-chan struct{}) {
	for {
		select {
		case <-a.kick:
		case <-stop:
			a.flushAll()
			return
		}
		a.flushAll()
	}
}

func (a *acker) flushAll() {
	for {
		a.mu.Lock()
		n := min(len(a.queue), maxAckBatch)
		batch := a.queue[:n:n]
		a.queue = a.queue[n:]
		if len(a.queue) == 0 {
			a.queue = nil
		}
		a.mu.Unlock()
		if n == 0 {
			return
		}
		a.flush(batch)
	}
}

// flush writes one batch, retrying while Redis does not take it. An
// acknowledgement whose partition this replica can no longer be sure of is
// given up: the next owner handles its update again (a repeated reply,
// never a lost one).
func (a *acker) flush(acks []ack) {
	in := a.in
	done := make([]storage.InboxDone, len(acks))
	for i, k := range acks {
		done[i] = storage.InboxDone{Partition: k.it.p.n, ID: k.it.e.ID, Writes: k.batch}
	}
	logged := false
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := in.store.InboxAck(ctx, done)
		cancel()
		if err == nil {
			for _, k := range acks {
				in.handled.Add(1)
				close(k.done)
				in.finish(k.it)
			}
			in.handledSome(len(acks))
			return
		}
		if !logged {
			in.log.Warn("cannot acknowledge updates; retrying", "count", len(acks), "err", err)
			in.fault("redis_inbox")
			logged = true
		}
		now := time.Now()
		keep, keepDone := acks[:0], done[:0]
		for i, k := range acks {
			if k.it.p.valid(now) {
				keep, keepDone = append(keep, k), append(keepDone, done[i])
				continue
			}
			in.log.Warn("acknowledgement given up with the partition's lease; the update will be handled again",
				"partition", k.it.p.n, "update_id", k.it.e.UpdateID)
			close(k.done)
			in.finish(k.it)
		}
		acks, done = keep, keepDone
		if len(acks) == 0 {
			return
		}
		time.Sleep(wait)
	}
}
