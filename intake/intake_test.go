package intake_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot/intake"
	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

// ledger records what handlers did, per chat, across instances.
type ledger struct {
	mu      sync.Mutex
	byChat  map[int64][]int64 // update ids in the order they were handled
	byOwner map[string]int
	running map[int64]bool // a chat with an update in hand
	overlap int            // a chat's update started while another of its updates was in hand
}

func newLedger() *ledger {
	return &ledger{byChat: map[int64][]int64{}, byOwner: map[string]int{}, running: map[int64]bool{}}
}

// handler returns an intake handler for owner that records each update,
// taking a little random time.
func (l *ledger) handler(owner string, work time.Duration) intake.Handler {
	return func(ctx context.Context, u intake.Update) (*storage.Batch, error) {
		l.mu.Lock()
		if l.running[u.Chat] {
			l.overlap++
		}
		l.running[u.Chat] = true
		l.mu.Unlock()
		if work > 0 {
			time.Sleep(rand.N(work))
		}
		l.mu.Lock()
		l.running[u.Chat] = false
		l.byChat[u.Chat] = append(l.byChat[u.Chat], u.ID)
		l.byOwner[owner]++
		l.mu.Unlock()
		return nil, nil
	}
}

func (l *ledger) total() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, ids := range l.byChat {
		n += len(ids)
	}
	return n
}

func (l *ledger) owner(name string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.byOwner[name]
}

// openSecond opens another client on s's prefix: a second replica.
func openSecond(t *testing.T, s *storage.Store) *storage.Store {
	t.Helper()
	s2, err := storage.Open(context.Background(), storagetest.URL(), storage.Options{Prefix: s.Prefix()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s2.Close() })
	return s2
}

func run(t *testing.T, in *intake.Intake) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); in.Run(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("intake did not stop within 30s")
		}
	}
	t.Cleanup(stop)
	return stop
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func update(id, chat int64) intake.Update {
	return intake.Update{ID: id, Chat: chat, Payload: []byte(fmt.Sprintf(`{"update_id":%d}`, id))}
}

func testConfig(id string) intake.Config {
	return intake.Config{ReplicaID: id, LeaseTTL: 1500 * time.Millisecond, ReadBlock: 200 * time.Millisecond, StopTimeout: 10 * time.Second}
}

// TestPerChatOrderUnderConcurrency: 20 chats × 200 numbered updates, all
// stored at once, handlers taking random time: each chat's updates are
// handled once each, in order, never two at once, while chats run side by
// side.
func TestPerChatOrderUnderConcurrency(t *testing.T) {
	s := storagetest.New(t)
	const chats, per = 20, 200
	var ups []intake.Update
	for n := range per {
		for c := range chats {
			ups = append(ups, update(int64(1+n*chats+c), int64(1000+c)))
		}
	}
	l := newLedger()
	in := intake.New(testConfig("a"), s, l.handler("a", time.Millisecond))
	if _, err := in.Append(context.Background(), ups); err != nil {
		t.Fatal(err)
	}
	var peak atomic.Int64
	run(t, in)
	waitFor(t, "every update", func() bool {
		peak.Store(max(peak.Load(), int64(in.ActiveChats())))
		return l.total() == chats*per
	})
	waitFor(t, "every acknowledgement", func() bool { return in.Handled() == chats*per })
	for c := range chats {
		got := l.byChat[int64(1000+c)]
		if len(got) != per {
			t.Fatalf("chat %d: %d updates handled, want %d", 1000+c, len(got), per)
		}
		for n, id := range got {
			if want := int64(1 + n*chats + c); id != want {
				t.Fatalf("chat %d: update #%d is %d, want %d (out of order)", 1000+c, n, id, want)
			}
		}
	}
	if l.overlap != 0 {
		t.Errorf("%d times a chat's update started while another of its updates was in hand", l.overlap)
	}
	if peak.Load() < 2 {
		t.Errorf("at most %d chat(s) were active at once; chats should run side by side", peak.Load())
	}
	n, err := s.InboxBacklog(context.Background(), intake.Partitions)
	if err != nil || n != 0 {
		t.Errorf("inbox backlog after all were handled = %d, %v; want 0", n, err)
	}
}

// TestSlowChatHoldsOnlyItself: one chat's handler blocks (a reply waiting
// out a long 429); 50 other chats, many in the same partition, are all
// handled meanwhile, and the slow chat's next update waits behind its first.
func TestSlowChatHoldsOnlyItself(t *testing.T) {
	s := storagetest.New(t)
	release := make(chan struct{})
	l := newLedger()
	record := l.handler("a", 0)
	const slow = int64(16 * 1000)
	in := intake.New(testConfig("a"), s, func(ctx context.Context, u intake.Update) (*storage.Batch, error) {
		if u.Chat == slow && u.ID == 1 {
			<-release
		}
		return record(ctx, u)
	})
	run(t, in)
	ups := []intake.Update{update(1, slow), update(2, slow)}
	for c := range 50 {
		ups = append(ups, update(int64(10+c), int64(16*(c+1)))) // chats 16, 32…: the slow chat's partition 0
	}
	if _, err := in.Append(context.Background(), ups); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the 50 other chats", func() bool { return l.total() == 50 })
	l.mu.Lock()
	slowDone := len(l.byChat[slow])
	l.mu.Unlock()
	if slowDone != 0 {
		t.Fatalf("the slow chat's second update was handled before its first (%d handled)", slowDone)
	}
	close(release)
	waitFor(t, "the slow chat", func() bool { return l.total() == 52 })
	if got := l.byChat[slow]; !slices.Equal(got, []int64{1, 2}) {
		t.Errorf("slow chat handled %v, want [1 2]", got)
	}
}

// TestDeadLetter: an update whose handler keeps failing is retried, then
// moved to the dead-letter stream after GiveUpAfter; the chat's next update
// is handled after it.
func TestDeadLetter(t *testing.T) {
	s := storagetest.New(t)
	var faults sync.Map
	l := newLedger()
	record := l.handler("a", 0)
	var attempts atomic.Int64
	cfg := testConfig("a")
	cfg.GiveUpAfter = 1500 * time.Millisecond
	cfg.OnFault = func(kind string) { faults.Store(kind, true) }
	in := intake.New(cfg, s, func(ctx context.Context, u intake.Update) (*storage.Batch, error) {
		if u.ID == 1 {
			attempts.Add(1)
			if u.Attempt != int(attempts.Load()) {
				t.Errorf("attempt %d reported as %d", attempts.Load(), u.Attempt)
			}
			return nil, errors.New("telegram down, for this test")
		}
		return record(ctx, u)
	})
	run(t, in)
	if _, err := in.Append(context.Background(), []intake.Update{update(1, 77), update(2, 77), update(3, 78)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the other updates", func() bool { return l.total() == 2 })
	if attempts.Load() < 2 {
		t.Errorf("the failing update was tried %d times, want retries", attempts.Load())
	}
	if n, err := s.DeadLetters(context.Background()); err != nil || n != 1 {
		t.Fatalf("DeadLetters = %d, %v; want 1", n, err)
	}
	if _, ok := faults.Load("update_dropped"); !ok {
		t.Error("update_dropped not reported")
	}
	if got := l.byChat[77]; !slices.Equal(got, []int64{2}) {
		t.Errorf("chat 77 handled %v, want [2] after the dead letter", got)
	}
}

// deadStore is a replica's store that stops answering at once, as if its
// process was SIGKILLed: no lease is renewed or released, nothing is
// acknowledged.
type deadStore struct {
	*storage.Store
	dead atomic.Bool
}

var errDead = errors.New("replica killed, for this test")

func (d *deadStore) Heartbeat(ctx context.Context, g, m string, ttl time.Duration) ([]string, error) {
	if d.dead.Load() {
		return nil, errDead
	}
	return d.Store.Heartbeat(ctx, g, m, ttl)
}

func (d *deadStore) LeaveGroup(ctx context.Context, g, m string) error {
	if d.dead.Load() {
		return errDead
	}
	return d.Store.LeaveGroup(ctx, g, m)
}

func (d *deadStore) HoldLeases(ctx context.Context, names []string, owner string, ttl time.Duration) ([]bool, error) {
	if d.dead.Load() {
		return nil, errDead
	}
	return d.Store.HoldLeases(ctx, names, owner, ttl)
}

func (d *deadStore) ReleaseLeases(ctx context.Context, names []string, owner string) error {
	if d.dead.Load() {
		return errDead
	}
	return d.Store.ReleaseLeases(ctx, names, owner)
}

func (d *deadStore) InboxAck(ctx context.Context, done []storage.InboxDone) error {
	if d.dead.Load() {
		return errDead
	}
	return d.Store.InboxAck(ctx, done)
}

func (d *deadStore) InboxRead(ctx context.Context, p, count int, block time.Duration) ([]storage.InboxEntry, error) {
	if d.dead.Load() {
		return nil, errDead
	}
	return d.Store.InboxRead(ctx, p, count, block)
}

// TestReplicasShareAndTakeOver: two replicas (separate clients) under a
// steady load each own half the partitions and handle about half the
// updates; when one dies (stops answering, releases nothing) the other
// takes every partition once the dead one's leases expire, and every
// update is handled, the dead replica's unacknowledged ones included, in
// order per chat.
func TestReplicasShareAndTakeOver(t *testing.T) {
	sa := storagetest.New(t)
	sb := &deadStore{Store: openSecond(t, sa)}
	l := newLedger()
	a := intake.New(testConfig("a"), sa, l.handler("a", 2*time.Millisecond))
	var bDead atomic.Bool
	recordB := l.handler("b", 2*time.Millisecond)
	unblock := make(chan struct{})
	b := intake.New(testConfig("b"), sb, func(ctx context.Context, u intake.Update) (*storage.Batch, error) {
		if bDead.Load() {
			<-unblock // a killed process handles nothing more
			return nil, errDead
		}
		return recordB(ctx, u)
	})
	run(t, a)
	run(t, b)
	t.Cleanup(func() { close(unblock) }) // before b is stopped
	waitFor(t, "an even split", func() bool { return len(a.Owned()) == 8 && len(b.Owned()) == 8 })

	// A steady load: 100 chats, round robin.
	const chats = 100
	var sent atomic.Int64
	load := func(n int) {
		for range n {
			id := sent.Add(1)
			if _, err := a.Append(context.Background(), []intake.Update{update(id, 5000+id%chats)}); err != nil {
				t.Error(err)
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
	load(1000)
	waitFor(t, "the first 1000", func() bool { return l.total() == 1000 })
	na, nb := l.owner("a"), l.owner("b")
	t.Logf("split: a handled %d, b %d", na, nb)
	if na < 300 || nb < 300 {
		t.Errorf("a handled %d and b %d of 1000; each should handle about half", na, nb)
	}

	bDead.Store(true)
	sb.dead.Store(true)
	killed := time.Now()
	go load(1000)
	waitFor(t, "a to own every partition", func() bool { return len(a.Owned()) == intake.Partitions })
	t.Logf("a owned all %d partitions %s after b died", intake.Partitions, time.Since(killed).Round(100*time.Millisecond))
	waitFor(t, "every update", func() bool { return sent.Load() == 2000 && l.total() >= 2000 })
	l.mu.Lock()
	defer l.mu.Unlock()
	seen := map[int64]bool{}
	for chat, ids := range l.byChat {
		// An update the dead replica handled but did not acknowledge is
		// handled again (a repeated reply, never a lost one); first
		// handlings are in order.
		var first []int64
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				first = append(first, id)
			}
		}
		if !slices.IsSorted(first) {
			t.Errorf("chat %d: handled out of order: %v", chat, ids)
		}
	}
	for id := int64(1); id <= 2000; id++ {
		if !seen[id] {
			t.Errorf("update %d was never handled", id)
		}
	}
}

// TestGracefulHandover: when a second replica joins, the first hands half
// its partitions over without losing or reordering anything; when one
// stops, the other takes its partitions at once (no lease to wait out).
func TestGracefulHandover(t *testing.T) {
	sa := storagetest.New(t)
	sb := openSecond(t, sa)
	l := newLedger()
	a := intake.New(testConfig("a"), sa, l.handler("a", 2*time.Millisecond))
	run(t, a)
	waitFor(t, "a to own everything", func() bool { return len(a.Owned()) == intake.Partitions })
	var sent atomic.Int64
	const chats = 40
	stopLoad := make(chan struct{})
	loadDone := make(chan struct{})
	go func() {
		defer close(loadDone)
		for {
			select {
			case <-stopLoad:
				return
			default:
			}
			id := sent.Add(1)
			if _, err := a.Append(context.Background(), []intake.Update{update(id, 9000+id%chats)}); err != nil {
				t.Error(err)
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	b := intake.New(testConfig("b"), sb, l.handler("b", 2*time.Millisecond))
	stopB := run(t, b)
	waitFor(t, "an even split", func() bool { return len(a.Owned()) == 8 && len(b.Owned()) == 8 })
	waitFor(t, "b to handle some", func() bool { return l.owner("b") > 100 })
	stopB()
	waitFor(t, "a to own everything again", func() bool { return len(a.Owned()) == intake.Partitions })
	close(stopLoad)
	<-loadDone
	waitFor(t, "every update", func() bool { return int64(l.total()) == sent.Load() })
	l.mu.Lock()
	defer l.mu.Unlock()
	for chat, ids := range l.byChat {
		if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
			t.Errorf("chat %d: handled %v; want each once, in order", chat, ids)
		}
	}
}

// TestRoomWaitsForTheBacklog: with MaxBacklog updates stored and not
// handled, Room waits (the poller fetches nothing more from Telegram); it
// returns once handling brings the backlog under the bound, and at once
// when there is room.
func TestRoomWaitsForTheBacklog(t *testing.T) {
	s := storagetest.New(t)
	ctx := context.Background()
	cfg := testConfig("a")
	cfg.MaxBacklog = 50
	release := make(chan struct{})
	in := intake.New(cfg, s, func(ctx context.Context, u intake.Update) (*storage.Batch, error) {
		<-release
		return nil, nil
	})
	var ups []intake.Update
	for i := range 60 {
		ups = append(ups, update(int64(1+i), int64(100+i)))
	}
	if _, err := in.Append(ctx, ups); err != nil {
		t.Fatal(err)
	}
	stop := run(t, in)
	returned := make(chan struct{})
	go func() { in.Room(ctx); close(returned) }()
	select {
	case <-returned:
		t.Fatal("Room returned with 60 updates waiting, bound 50")
	case <-time.After(500 * time.Millisecond):
	}
	close(release)
	select {
	case <-returned:
	case <-time.After(30 * time.Second):
		t.Fatal("Room still waiting after the updates were handled")
	}
	waitFor(t, "all handled", func() bool { return in.Handled() == 60 })
	stop() // nothing else talks to Redis now
	trips := s.RoundTrips()
	in.Room(ctx)
	if n := s.RoundTrips() - trips; n != 0 {
		t.Fatalf("Room with an empty inbox made %d round trips, want 0", n)
	}
}

// TestOneChatCannotStopTheIntake: one chat with many updates queued behind
// its update in hand (its replies held up, or a resident sending a lot)
// does not make Room wait for the others: beyond a few, the updates that
// wait for their own chat do not count against the bound.
func TestOneChatCannotStopTheIntake(t *testing.T) {
	s := storagetest.New(t)
	ctx := context.Background()
	cfg := testConfig("a")
	cfg.MaxBacklog = 10
	release := make(chan struct{})
	defer close(release)
	in := intake.New(cfg, s, func(ctx context.Context, u intake.Update) (*storage.Batch, error) {
		<-release
		return nil, nil
	})
	var ups []intake.Update
	for i := range 40 {
		ups = append(ups, update(int64(1+i), 7))
	}
	if _, err := in.Append(ctx, ups); err != nil {
		t.Fatal(err)
	}
	run(t, in)
	waitFor(t, "the chat's updates read", func() bool { return in.ActiveChats() == 1 && in.InHand() == 40 })
	returned := make(chan struct{})
	go func() { in.Room(ctx); close(returned) }()
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		t.Fatal("Room waits behind one chat's 40 queued updates")
	}
}
