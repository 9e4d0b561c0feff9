// Package intake takes updates in: the inbound twin of delivery.
//
// Every update the bot receives is written to a durable inbox in Redis
// (Append) before it is confirmed to Telegram, and acknowledged only after
// its handler finished, so a crash or a SIGKILL loses nothing; an update id
// seen in the last day is not stored twice (Telegram delivers at least
// once).
//
// The inbox has Partitions fixed partitions, by chat. Live replicas find
// each other through a heartbeat set in Redis and split the partitions
// evenly between them (rendezvous hashing with a cap, so every replica
// computes the same split from the same member list); each partition is
// read by one replica at a time, which holds its lease. When a replica
// joins, leaves or dies, partitions move within seconds: the old owner
// stops reading, finishes what it has in hand and releases the lease (or
// the lease expires), and only then can the new owner take it, which first
// handles what the old one read but did not acknowledge. So one chat's
// updates stay in order across the handover.
//
// Within a replica the unit of order is the chat, not the partition: each
// chat with updates waiting has a queue and a goroutine that handles them
// one at a time, in the order Telegram sent them. A chat that waits (a
// reply sleeping out a 429, a retry backoff) holds only itself; hundreds
// of chats are in flight at once, bounded by Config.ActiveChats.
// Acknowledgements, with the writes their handlers deferred, are batched:
// one round trip carries every update finished while the previous one was
// on the wire. An update whose handler keeps failing for a reason that
// should clear up is retried with a growing pause (its chat waits, no
// other) and after Config.GiveUpAfter moved to the dead-letter stream.
package intake

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/storage"
)

// Partitions is the number of inbox partitions. It is fixed, not
// configured, so that every replica puts a chat's updates in the same
// partition (order and duplicate detection both rely on that). It is the
// unit of work replicas split between them, not a unit of order: within a
// partition, chats are handled independently.
const Partitions = 16

// PartitionOf maps a chat to its inbox partition.
func PartitionOf(chatID int64) int {
	p := chatID % Partitions
	if p < 0 {
		p = -p
	}
	return int(p)
}

// Update is one update from Telegram, as the intake sees it.
type Update struct {
	ID      int64  // update_id
	Chat    int64  // the chat whose order it belongs to; 0 for updates without one
	Payload []byte // the update's JSON as Telegram sent it
	// Attempt is 1 the first time an update is handled and counts up when
	// an earlier attempt failed (see Handler).
	Attempt int
}

// Handler handles one update. It returns the writes it deferred (nil:
// none), which reach Redis in the same round trip as the update's
// acknowledgement, and before the chat's next update is handled. It
// returns an error only when the update should be handled again later
// (Telegram or Redis unreachable): the update is then retried, its chat
// waiting, until GiveUpAfter.
type Handler func(ctx context.Context, u Update) (*storage.Batch, error)

// Store is what the intake keeps in Redis (storage.Store).
type Store interface {
	// InboxAppend stores items not stored in the last day and returns how
	// many were new.
	InboxAppend(ctx context.Context, items []storage.InboxItem) (int, error)
	InboxPrepare(ctx context.Context, partition int) error
	// InboxPending pages through entries read but not acknowledged;
	// InboxRead waits up to block for entries nobody read yet.
	InboxPending(ctx context.Context, partition int, after string, count int) ([]storage.InboxEntry, error)
	InboxRead(ctx context.Context, partition, count int, block time.Duration) ([]storage.InboxEntry, error)
	// InboxAck acknowledges entries with their deferred writes in one
	// round trip; on error the writes stay in their batches.
	InboxAck(ctx context.Context, done []storage.InboxDone) error
	InboxDeadLetter(ctx context.Context, partition int, e storage.InboxEntry, why string) error
	InboxOrphans(ctx context.Context, first int) ([]int, error)
	InboxEntries(ctx context.Context, partition int) ([]storage.InboxEntry, error)
	InboxRemove(ctx context.Context, partition int, ids ...string) error
	// InboxBacklog counts the updates stored in the first n partitions
	// and not acknowledged yet.
	InboxBacklog(ctx context.Context, n int) (int64, error)

	// Heartbeat records member as alive and returns the live members.
	Heartbeat(ctx context.Context, group, member string, ttl time.Duration) ([]string, error)
	LeaveGroup(ctx context.Context, group, member string) error
	// HoldLeases takes free leases and renews owner's, reporting which
	// owner holds now.
	HoldLeases(ctx context.Context, names []string, owner string, ttl time.Duration) ([]bool, error)
	ReleaseLeases(ctx context.Context, names []string, owner string) error
}

// Config tunes an Intake. Zero values take the defaults in brackets.
type Config struct {
	// ActiveChats bounds how many chats this replica handles at once
	// [200]; further chats with updates wait their turn in memory, and
	// at most 4×ActiveChats updates are read ahead of their handling.
	ActiveChats int
	// LeaseTTL is the life of a partition lease and of a replica's
	// membership entry [6s]; both are renewed every third of it, so a dead
	// replica's partitions move within about LeaseTTL + LeaseTTL/3.
	LeaseTTL time.Duration
	// GiveUpAfter is how long an update whose handler keeps failing is
	// retried before it is moved to the dead-letter stream [30m].
	GiveUpAfter time.Duration
	ReplicaID   string        // this replica in leases and membership [random]
	ReadBatch   int           // entries read per round trip [100]
	ReadBlock   time.Duration // how long a partition read waits for new entries [2s]
	// MaxBacklog is how many updates stored and not yet handled (all
	// replicas together) make Room wait [ActiveChats × live replicas]:
	// about what the replicas can have in hand at once.
	MaxBacklog int
	// StopTimeout bounds a graceful stop: what a handler still has in hand
	// after it is abandoned (left for the next owner) [2m].
	StopTimeout time.Duration
	// ChatOf finds the chat of a stored update that does not say (stored
	// by an older release); nil: such updates share chat 0's order.
	ChatOf func(payload []byte) (int64, error)
	// OnFault is told of every fault the intake copes with: "redis_inbox"
	// (the inbox cannot be read or acknowledged), "update_dropped" (an
	// update given up and moved to the dead-letter stream).
	OnFault func(kind string)
	Logger  *slog.Logger
}

func (c *Config) setDefaults() {
	if c.ActiveChats <= 0 {
		c.ActiveChats = 200
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = 6 * time.Second
	}
	if c.GiveUpAfter <= 0 {
		c.GiveUpAfter = 30 * time.Minute
	}
	if c.ReplicaID == "" {
		c.ReplicaID = communitybot.NewReplicaID()
	}
	if c.ReadBatch <= 0 {
		c.ReadBatch = 100
	}
	if c.ReadBlock <= 0 {
		c.ReadBlock = 2 * time.Second
	}
	if c.StopTimeout <= 0 {
		c.StopTimeout = 2 * time.Minute
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// membersGroup names the intake's replica set in Redis.
const membersGroup = "intake"

// Intake stores updates and runs them through the handler: see the package
// comment.
type Intake struct {
	cfg     Config
	store   Store
	handler Handler
	log     *slog.Logger
	chats   *scheduler
	acks    *acker
	ahead   chan struct{} // one per update read and not finished: bounds memory
	runCtx  context.Context

	mu    sync.Mutex
	owned map[int]*partition // written by Run's goroutine only; read by Owned
	// handled counts updates handled and acknowledged by this replica.
	handled atomic.Int64
	down    atomic.Bool // a Redis outage was logged

	replicas atomic.Int64 // live replicas at the last heartbeat
	roomMu   sync.Mutex
	backlog  int64         // as last counted in Redis, plus what Append added since
	progress chan struct{} // closed (and replaced) when acknowledgements land
}

// New returns an Intake that hands updates to h. It makes no network call.
func New(cfg Config, store Store, h Handler) *Intake {
	cfg.setDefaults()
	in := &Intake{cfg: cfg, store: store, handler: h, log: cfg.Logger,
		ahead: make(chan struct{}, 4*cfg.ActiveChats), owned: map[int]*partition{}, progress: make(chan struct{})}
	in.chats = newScheduler(cfg.ActiveChats, in.handle)
	in.acks = &acker{in: in, kick: make(chan struct{}, 1)}
	return in
}

func (in *Intake) fault(kind string) {
	if in.cfg.OnFault != nil {
		in.cfg.OnFault(kind)
	}
}

// Append stores updates in the inbox and returns how many were new (the
// others were stored in the last day already: Telegram sent them again).
// All go in one round trip. Confirm the updates to Telegram only after it
// returned without error.
func (in *Intake) Append(ctx context.Context, ups []Update) (int, error) {
	items := make([]storage.InboxItem, len(ups))
	for i, u := range ups {
		items[i] = storage.InboxItem{UpdateID: u.ID, Partition: PartitionOf(u.Chat), Chat: u.Chat, Payload: u.Payload}
	}
	n, err := in.store.InboxAppend(ctx, items)
	in.roomMu.Lock()
	in.backlog += int64(n)
	in.roomMu.Unlock()
	return n, err
}

// Room waits while the inbox holds MaxBacklog updates or more that no
// replica has handled yet and that wait for room rather than for their own
// chat, or until ctx ends. The poller calls it before each getUpdates: an
// update Telegram still holds is as safe as one in the inbox (Telegram
// keeps it for a day), and one not fetched yet takes no memory and keeps
// no resident's later question queued behind a backlog in our inbox.
//
// A chat's updates queued behind its update in hand (a chat sleeping out
// a 429, a resident sending much) count only up to a few, so no chat can
// stop the intake for the others. Only this replica's queues are known
// here, which is one reason the bound grows with the live replicas. Without a
// count from Redis (an outage) it does not wait. It costs a round trip
// only while the backlog may be near the bound.
func (in *Intake) Room(ctx context.Context) {
	bound := int64(in.cfg.MaxBacklog)
	if bound <= 0 {
		bound = int64(in.cfg.ActiveChats) * max(in.replicas.Load(), 1)
	}
	for ctx.Err() == nil {
		in.roomMu.Lock()
		estimate, progress := in.backlog, in.progress
		in.roomMu.Unlock()
		held := int64(in.chats.heldByChats())
		if estimate-held < bound {
			return
		}
		n, err := in.store.InboxBacklog(ctx, Partitions)
		if err != nil {
			return
		}
		in.roomMu.Lock()
		in.backlog = n
		in.roomMu.Unlock()
		if n-held < bound {
			return
		}
		// Wait for acknowledgements here, or a while for other replicas'.
		t := time.NewTimer(100 * time.Millisecond)
		select {
		case <-progress:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
}

// handledSome wakes Room's waiters after n acknowledgements landed.
func (in *Intake) handledSome(n int) {
	in.roomMu.Lock()
	in.backlog = max(in.backlog-int64(n), 0)
	close(in.progress)
	in.progress = make(chan struct{})
	in.roomMu.Unlock()
}

// Owned returns the partitions this replica reads now, in order.
func (in *Intake) Owned() []int {
	in.mu.Lock()
	defer in.mu.Unlock()
	var out []int
	for n := range Partitions {
		if p := in.owned[n]; p != nil && !p.draining {
			out = append(out, n)
		}
	}
	return out
}

// Handled returns how many updates this replica handled and acknowledged.
func (in *Intake) Handled() int64 { return in.handled.Load() }

// ActiveChats returns how many chats have updates queued or in hand.
func (in *Intake) ActiveChats() int { return in.chats.active() }

// InHand returns how many updates this replica has read from the inbox and
// not finished yet.
func (in *Intake) InHand() int { return len(in.ahead) }

// Run takes part in handling the inbox until ctx is cancelled. On
// cancellation it leaves the replica set, stops reading, lets every chat
// finish the update in hand (up to StopTimeout), acknowledges, releases
// its leases (another replica takes over at once) and returns; what is
// left stays in the inbox.
func (in *Intake) Run(ctx context.Context) {
	in.runCtx = ctx
	ackDone := make(chan struct{})
	stopAcks := make(chan struct{})
	go func() { defer close(ackDone); in.acks.run(stopAcks) }()

	tick := in.cfg.LeaseTTL / 3
	t := time.NewTimer(0)
	defer t.Stop()
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-t.C:
			in.rebalance(ctx, false)
			t.Reset(tick)
		}
	}

	// Shutdown: leave at once so the others take over our partitions as
	// soon as we release them, and keep our leases renewed while chats
	// finish what they hold, so nobody takes a partition mid-update.
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), in.cfg.StopTimeout+5*time.Second)
	defer cancel()
	if err := in.store.LeaveGroup(stopCtx, membersGroup, in.cfg.ReplicaID); err != nil {
		in.log.Warn("cannot leave the replica set; the others take over when our entry expires", "err", err)
	}
	deadline := time.Now().Add(in.cfg.StopTimeout)
	for in.ownsAny() && time.Now().Before(deadline) {
		in.rebalance(stopCtx, true)
		select {
		case <-time.After(min(tick, 100*time.Millisecond)):
		case <-stopCtx.Done():
		}
	}
	if in.ownsAny() {
		in.log.Warn("stopping with updates still in hand; the next owner handles them again")
	}
	close(stopAcks)
	<-ackDone
}

func (in *Intake) ownsAny() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.owned) > 0
}

// rebalance renews this replica's membership and leases, takes the
// partitions it should own and nobody holds, and gives up those it should
// not own any more. Two round trips. With stopping set it owns nothing.
func (in *Intake) rebalance(ctx context.Context, stopping bool) {
	in.mu.Lock()
	for n, p := range in.owned {
		select {
		case <-p.drained:
			delete(in.owned, n)
		default:
		}
	}
	in.mu.Unlock()

	sent := time.Now()
	var want map[int]bool
	if !stopping {
		members, err := in.store.Heartbeat(ctx, membersGroup, in.cfg.ReplicaID, in.cfg.LeaseTTL)
		if err != nil {
			in.unreachable(ctx, err)
			return
		}
		in.replicas.Store(int64(len(members)))
		want = map[int]bool{}
		for _, n := range assign(members, Partitions)[in.cfg.ReplicaID] {
			want[n] = true
		}
	}
	var names []string
	var parts []int
	in.mu.Lock()
	for n := range Partitions {
		if want[n] || in.owned[n] != nil {
			names = append(names, leaseName(n))
			parts = append(parts, n)
		}
	}
	in.mu.Unlock()
	if len(names) == 0 {
		return
	}
	held, err := in.store.HoldLeases(ctx, names, in.cfg.ReplicaID, in.cfg.LeaseTTL)
	if err != nil {
		in.unreachable(ctx, err)
		return
	}
	if in.down.Swap(false) {
		in.log.Info("redis reachable again; partition leases renewed")
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	for i, n := range parts {
		p := in.owned[n]
		switch {
		case p != nil && held[i]:
			p.confirm(sent)
			if !want[n] && !p.draining {
				in.log.Debug("handing a partition over", "partition", n)
				p.draining = true
				go in.drain(p, true)
			}
		case p != nil:
			// Our lease expired and another replica took it.
			if !p.draining {
				in.log.Warn("partition lease lost to another replica", "partition", n)
				p.draining = true
				go in.drain(p, false)
			}
		case held[i]:
			p = newPartition(in.runCtx, n, in.cfg.LeaseTTL, sent)
			in.owned[n] = p
			in.log.Debug("took a partition", "partition", n)
			go in.read(p)
		}
	}
}

// unreachable handles a failed renewal: partitions whose lease this
// replica can no longer be sure of stop handling (their updates stay in the
// inbox for whoever holds the lease next).
func (in *Intake) unreachable(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return
	}
	if !in.down.Swap(true) {
		in.log.Warn("cannot reach redis for the partition leases", "err", err)
		in.fault("redis_inbox")
	}
	now := time.Now()
	in.mu.Lock()
	defer in.mu.Unlock()
	for n, p := range in.owned {
		if !p.valid(now) && !p.draining {
			in.log.Warn("partition given up: redis did not confirm its lease in time", "partition", n)
			p.draining = true
			go in.drain(p, false)
		}
	}
}

// drain stops a partition: no more reads, nothing new started; it waits
// until every update read from it was handled and acknowledged or left in
// the inbox, then releases the lease if asked to.
func (in *Intake) drain(p *partition, release bool) {
	p.cancel()
	<-p.readerDone
	p.outstanding.Wait()
	if release {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := in.store.ReleaseLeases(ctx, []string{p.name}, in.cfg.ReplicaID); err != nil {
			in.log.Warn("cannot release a partition lease; it expires by itself", "partition", p.n, "err", err)
		}
	}
	close(p.drained)
}

func leaseName(n int) string { return "inbox:" + strconv.Itoa(n) }

// partition is one inbox partition this replica holds the lease of.
type partition struct {
	n      int
	name   string
	ttl    time.Duration
	ctx    context.Context // cancelled when the partition is given up
	cancel context.CancelFunc
	// confirmed is when (unix ns) the last renewal Redis confirmed was
	// sent: the lease is surely ours until two thirds of the TTL after it,
	// which leaves a third as a margin for clocks and scheduling.
	confirmed   atomic.Int64
	outstanding sync.WaitGroup // updates read and not finished
	readerDone  chan struct{}
	drained     chan struct{}
	draining    bool // Intake.mu
}

func newPartition(ctx context.Context, n int, ttl time.Duration, acquired time.Time) *partition {
	p := &partition{n: n, name: leaseName(n), ttl: ttl, readerDone: make(chan struct{}), drained: make(chan struct{})}
	p.ctx, p.cancel = context.WithCancel(context.WithoutCancel(ctx))
	p.confirm(acquired)
	return p
}

func (p *partition) confirm(sent time.Time) { p.confirmed.Store(sent.UnixNano()) }

// valid reports whether the lease is surely still ours at now.
func (p *partition) valid(now time.Time) bool {
	return now.Sub(time.Unix(0, p.confirmed.Load())) < 2*p.ttl/3
}

// active reports whether new work may start on the partition.
func (p *partition) active(now time.Time) bool { return p.ctx.Err() == nil && p.valid(now) }

// read feeds a partition's updates to their chats' queues: first what a
// previous owner read but did not acknowledge, then new updates.
func (in *Intake) read(p *partition) {
	defer close(p.readerDone)
	log := in.log.With("partition", p.n)
	failing := false
	fail := func(err error) {
		if !failing {
			log.Warn("cannot read the inbox; retrying every second", "err", err)
			in.fault("redis_inbox")
		}
		failing = true
		sleep(p.ctx, time.Second)
	}
	for p.ctx.Err() == nil {
		err := in.store.InboxPrepare(p.ctx, p.n)
		if err == nil {
			break
		}
		fail(err)
	}
	after := "0"
	for p.ctx.Err() == nil {
		entries, err := in.store.InboxPending(p.ctx, p.n, after, in.cfg.ReadBatch)
		if err != nil {
			fail(err)
			continue
		}
		if len(entries) == 0 {
			break
		}
		after = entries[len(entries)-1].ID
		if !in.submit(p, entries) {
			return
		}
	}
	for p.ctx.Err() == nil {
		if !p.valid(time.Now()) {
			// Unsure of the lease: read nothing until it is renewed or
			// given up.
			sleep(p.ctx, 100*time.Millisecond)
			continue
		}
		entries, err := in.store.InboxRead(p.ctx, p.n, in.cfg.ReadBatch, in.cfg.ReadBlock)
		if err != nil {
			if p.ctx.Err() == nil {
				fail(err)
			}
			continue
		}
		if failing {
			log.Info("inbox readable again")
			failing = false
		}
		if !in.submit(p, entries) {
			return
		}
	}
}

// submit queues entries on their chats, waiting while too many updates are
// read ahead of their handling. It reports false when the partition was
// given up meanwhile; the entries not queued stay in the inbox.
func (in *Intake) submit(p *partition, entries []storage.InboxEntry) bool {
	for _, e := range entries {
		select {
		case in.ahead <- struct{}{}:
		case <-p.ctx.Done():
			return false
		}
		if e.Chat == 0 && in.cfg.ChatOf != nil {
			if chat, err := in.cfg.ChatOf(e.Payload); err == nil {
				e.Chat = chat
			}
		}
		p.outstanding.Add(1)
		in.chats.push(e.Chat, &item{p: p, e: e})
	}
	return true
}

// item is one update read from a partition.
type item struct {
	p *partition
	e storage.InboxEntry
}

// finish releases what an item holds once it is acknowledged, given up, or
// left in the inbox for the next owner.
func (in *Intake) finish(it *item) {
	<-in.ahead
	it.p.outstanding.Done()
}

// handle runs one update through the handler, retrying while it fails,
// and queues its acknowledgement. It runs in its chat's goroutine and
// returns a channel closed once the acknowledgement (with the handler's
// deferred writes) reached Redis, or nil.
func (in *Intake) handle(it *item) <-chan struct{} {
	p := it.p
	var since time.Time
	for attempt := 1; ; attempt++ {
		// After a hand-over, a lost lease or one we cannot be sure of,
		// start nothing: the update stays pending for the next owner.
		if !p.active(time.Now()) {
			in.finish(it)
			return nil
		}
		batch, err := in.handler(in.runCtx, Update{ID: it.e.UpdateID, Chat: it.e.Chat, Payload: it.e.Payload, Attempt: attempt})
		if err == nil {
			return in.acks.add(it, batch)
		}
		if since.IsZero() {
			since = time.Now()
		}
		if time.Since(since) >= in.cfg.GiveUpAfter {
			in.deadLetter(it, attempt, since, err)
			in.finish(it)
			return nil
		}
		in.log.Warn("update not handled, will retry", "update_id", it.e.UpdateID, "chat_id", it.e.Chat, "attempt", attempt, "err", err)
		// Only this chat waits.
		sleep(p.ctx, min(time.Duration(attempt)*time.Second, time.Minute))
	}
}

// deadLetter gives an update up: it is moved to the dead-letter stream
// (kept for staff to look at) and acknowledged.
func (in *Intake) deadLetter(it *item, attempts int, since time.Time, cause error) {
	in.log.Error("giving up on an update; moved to the dead-letter stream", "partition", it.p.n, "update_id", it.e.UpdateID,
		"attempts", attempts, "since", since, "err", cause)
	in.fault("update_dropped")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := in.store.InboxDeadLetter(ctx, it.p.n, it.e, cause.Error()); err != nil {
		in.log.Warn("cannot move an update to the dead-letter stream; the next owner tries it again", "update_id", it.e.UpdateID, "err", err)
	}
}

// AdoptOrphans moves updates left in partitions beyond Partitions (an
// older release used more) into the current ones, so none is stranded.
// Replicas that do it at once are harmless: the target partition's
// update-id marks drop the second copy. Call it before updates are
// appended and Run starts, so the moved (older) updates come first.
func (in *Intake) AdoptOrphans(ctx context.Context) {
	orphans, err := in.store.InboxOrphans(ctx, Partitions)
	if err != nil {
		in.log.Warn("cannot look for stranded updates", "err", err)
		return
	}
	for _, n := range orphans {
		entries, err := in.store.InboxEntries(ctx, n)
		if err != nil {
			in.log.Warn("cannot read stranded updates", "partition", n, "err", err)
			continue
		}
		ups := make([]Update, 0, len(entries))
		ids := make([]string, 0, len(entries))
		for _, e := range entries {
			ids = append(ids, e.ID)
			if e.Chat == 0 && in.cfg.ChatOf != nil {
				e.Chat, _ = in.cfg.ChatOf(e.Payload)
			}
			ups = append(ups, Update{ID: e.UpdateID, Chat: e.Chat, Payload: e.Payload})
		}
		if _, err := in.Append(ctx, ups); err != nil {
			in.log.Warn("cannot move stranded updates", "partition", n, "err", err)
			continue
		}
		if err := in.store.InboxRemove(ctx, n, ids...); err != nil {
			in.log.Warn("stranded updates moved but not removed; they may be handled twice", "partition", n, "err", err)
		}
		in.log.Info("moved updates from an old partition", "partition", n, "count", len(ups))
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
