package bot

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// heldLease is the poller lease while this replica holds it,
// renewed in the background by keep.
//
// A holder must not act on a lease it cannot be sure of: the key expires
// TTL after the last renewal Redis applied, and another replica may take it
// then. valid reports false once two thirds of the TTL have passed since
// the last renewal Redis confirmed (timed from when that renewal was sent,
// so a slow answer cannot stretch it), which leaves a third of the TTL as a
// margin for clocks and scheduling.
type heldLease struct {
	name      string
	ttl       time.Duration
	confirmed atomic.Int64 // unix nanoseconds at which the last confirmed renewal was sent
	unsure    atomic.Bool  // a renewal failed since the last confirmed one
}

func newHeldLease(name string, ttl time.Duration, acquiredAt time.Time) *heldLease {
	l := &heldLease{name: name, ttl: ttl}
	l.confirmed.Store(acquiredAt.UnixNano())
	return l
}

// valid reports whether the lease is surely still ours at now.
func (l *heldLease) valid(now time.Time) bool {
	return now.Sub(time.Unix(0, l.confirmed.Load())) < 2*l.ttl/3
}

// keep renews the lease every third of its TTL, each attempt bounded by
// that third, and calls lost when the lease is gone: another replica holds
// it, or (unless holdWhileUnreachable) it is no longer valid.
//
// The poller holds its lease while Redis is unreachable: it answers
// residents directly then, and no other replica can take the lease over
// meanwhile (unless only this replica lost Redis; the poller then steps
// down when Telegram reports a second poller, see lead). When Redis is
// back and the key is gone (expired, or a restart without persistence),
// the lease is taken again.
func (b *Bot) keep(ctx context.Context, lost func(), l *heldLease, holdWhileUnreachable bool, log *slog.Logger) {
	t := time.NewTicker(l.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		sent := time.Now()
		rctx, cancel := context.WithTimeout(ctx, l.ttl/3)
		ok, err := b.store.RenewLease(rctx, l.name, b.cfg.ReplicaID, l.ttl)
		if err == nil && !ok && holdWhileUnreachable {
			ok, err = b.store.AcquireLease(rctx, l.name, b.cfg.ReplicaID, l.ttl)
		}
		cancel()
		if ctx.Err() != nil {
			return
		}
		switch {
		case err == nil && ok:
			if l.unsure.Swap(false) {
				log.Info("redis reachable again; lease renewed", "lease", l.name)
			}
			l.confirmed.Store(sent.UnixNano())
		case err == nil:
			log.Warn("lease lost to another replica", "lease", l.name)
			lost()
			return
		default:
			if !l.unsure.Swap(true) {
				log.Warn("cannot renew lease: redis unreachable", "lease", l.name, "err", err)
			}
			if !holdWhileUnreachable && !l.valid(time.Now()) {
				log.Warn("lease given up: redis did not confirm it in time", "lease", l.name)
				lost()
				return
			}
		}
	}
}
