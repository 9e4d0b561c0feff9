package storage

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The inbox is where every update taken from Telegram is written before it
// is confirmed to Telegram (offset advanced, or webhook answered 200). It is
// split into partitions by chat, one Redis stream each, and each partition is
// read by one replica at a time (package intake holds the partition leases
// and keeps each chat's updates in order). A consumer group per stream
// remembers what an owner read but did not acknowledge, so a new owner of
// the partition resumes exactly there. Entries are acknowledged one by one,
// in any order (different chats finish at different times).
//
// Telegram delivers at least once (unconfirmed updates and unanswered
// webhooks are sent again), so each update id is remembered for a day and a
// second copy is not stored.

const (
	inboxGroup = "workers"
	// inboxConsumer is the same for every owner of a partition: the lease
	// guarantees one owner at a time, and a shared name lets the next owner
	// read its predecessor's pending entries with a plain XREADGROUP 0.
	inboxConsumer = "owner"
	seenTTL       = 24 * time.Hour // Telegram keeps unconfirmed updates for 24 h
)

// InboxItem is one update to store.
type InboxItem struct {
	UpdateID  int64
	Partition int
	Chat      int64  // the chat whose order the update belongs to (0: none)
	Payload   []byte // the update's JSON as Telegram sent it
}

// InboxEntry is one stored update read back by a partition's owner.
type InboxEntry struct {
	ID       string // stream entry id, for InboxAck
	UpdateID int64
	Chat     int64 // 0 for entries stored by a release that did not record it
	Payload  []byte
}

// InboxDone is one handled entry to acknowledge, with the writes its
// handler deferred (nil: none).
type InboxDone struct {
	Partition int
	ID        string
	Writes    *Batch
}

func (s *Store) inboxStreamKey(p int) string { return s.key(fmt.Sprintf("{in%d}", p), "stream") }
func (s *Store) inboxSeenKey(p int, updateID int64) string {
	return s.key(fmt.Sprintf("{in%d}", p), "seen", strconv.FormatInt(updateID, 10))
}
func (s *Store) pollerOffsetKey() string { return s.key("poller", "offset") }

var inboxAppend = redis.NewScript(`
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  redis.call('XADD', KEYS[2], '*', 'id', ARGV[2], 'u', ARGV[3], 'c', ARGV[4])
  return 1
end
return 0`)

// InboxAppend stores updates, skipping any whose update id was already
// stored in the last 24 hours. It returns how many were new. All items go
// in one round trip.
func (s *Store) InboxAppend(ctx context.Context, items []InboxItem) (int, error) {
	cmds := make([]*redis.Cmd, len(items))
	err := s.execScripts(ctx, []*redis.Script{inboxAppend}, func(pipe redis.Pipeliner) {
		for i, it := range items {
			cmds[i] = inboxAppend.EvalSha(ctx, pipe,
				[]string{s.inboxSeenKey(it.Partition, it.UpdateID), s.inboxStreamKey(it.Partition)},
				int(seenTTL.Seconds()), it.UpdateID, it.Payload, it.Chat)
		}
	})
	if err != nil {
		return 0, fmt.Errorf("inbox append: %w", err)
	}
	added := 0
	for _, c := range cmds {
		if n, _ := c.Int(); n == 1 {
			added++
		}
	}
	return added, nil
}

// SavePollerOffset records the next getUpdates offset, for a poller that
// takes over. It is a hint, not a guarantee: Telegram keeps every update
// it has not seen confirmed and hands it out again, and the inbox drops
// what it already stored, so an old offset costs a refetch, never a loss.
// It must only be written after the updates before it are stored.
func (s *Store) SavePollerOffset(ctx context.Context, offset int64) error {
	if err := s.rdb.Set(ctx, s.pollerOffsetKey(), offset, 0).Err(); err != nil {
		return fmt.Errorf("poller offset: %w", err)
	}
	return nil
}

// PollerOffset returns the getUpdates offset the last poller recorded, or 0.
func (s *Store) PollerOffset(ctx context.Context) (int64, error) {
	n, err := s.rdb.Get(ctx, s.pollerOffsetKey()).Int64()
	if isNil(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("poller offset: %w", err)
	}
	return n, nil
}

// InboxPrepare creates the partition's consumer group if it does not exist.
func (s *Store) InboxPrepare(ctx context.Context, partition int) error {
	err := s.rdb.XGroupCreateMkStream(ctx, s.inboxStreamKey(partition), inboxGroup, "0").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("inbox %d: create group: %w", partition, err)
	}
	return nil
}

// InboxRead waits up to block for entries of a partition that no owner has
// read yet and returns up to count of them, or none when nothing arrived.
func (s *Store) InboxRead(ctx context.Context, partition, count int, block time.Duration) ([]InboxEntry, error) {
	return s.inboxRead(ctx, partition, ">", count, block)
}

// InboxPending returns up to count entries of a partition that were read
// but never acknowledged (a previous owner died or gave the partition up
// mid-way), oldest first, starting after the entry id after ("0": from
// the first). A new owner pages through them before reading new entries.
func (s *Store) InboxPending(ctx context.Context, partition int, after string, count int) ([]InboxEntry, error) {
	return s.inboxRead(ctx, partition, after, count, -1) // no BLOCK: pending entries are there or not
}

func (s *Store) inboxRead(ctx context.Context, partition int, start string, count int, block time.Duration) ([]InboxEntry, error) {
	res, err := s.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group:    inboxGroup,
		Consumer: inboxConsumer,
		Streams:  []string{s.inboxStreamKey(partition), start},
		Count:    int64(count),
		Block:    block,
	}).Result()
	if isNil(err) {
		return nil, nil
	}
	if err != nil {
		if strings.HasPrefix(err.Error(), "NOGROUP") {
			// The stream was removed under us (Redis restarted without
			// persistence): recreate the group and report nothing.
			return nil, errors.Join(fmt.Errorf("inbox %d: group missing", partition), s.InboxPrepare(ctx, partition))
		}
		return nil, fmt.Errorf("inbox %d: read: %w", partition, err)
	}
	var out []InboxEntry
	for _, st := range res {
		for _, m := range st.Messages {
			out = append(out, entryOf(m))
		}
	}
	// miniredis ignores COUNT for pending entries.
	return out[:min(len(out), count)], nil
}

func entryOf(m redis.XMessage) InboxEntry {
	id, _ := strconv.ParseInt(str(m.Values["id"]), 10, 64)
	chat, _ := strconv.ParseInt(str(m.Values["c"]), 10, 64)
	return InboxEntry{ID: m.ID, UpdateID: id, Chat: chat, Payload: []byte(str(m.Values["u"]))}
}

// InboxAck marks handled entries done and removes them from their
// partitions, together with the writes their handlers deferred, all in one
// round trip. The deferred writes leave their batches only when Redis took
// them, so a failed acknowledgement can be retried with them.
func (s *Store) InboxAck(ctx context.Context, done []InboxDone) error {
	if len(done) == 0 {
		return nil
	}
	pipe := s.rdb.Pipeline()
	taken := make([]int, len(done))
	ids := map[int][]string{}
	var order []int
	for i, d := range done {
		if d.Writes != nil {
			ops := d.Writes.peek()
			taken[i] = len(ops)
			for _, op := range ops {
				op(ctx, pipe)
			}
		}
		if d.ID == "" {
			continue
		}
		if _, ok := ids[d.Partition]; !ok {
			order = append(order, d.Partition)
		}
		ids[d.Partition] = append(ids[d.Partition], d.ID)
	}
	for _, p := range order {
		key := s.inboxStreamKey(p)
		pipe.XAck(ctx, key, inboxGroup, ids[p]...)
		pipe.XDel(ctx, key, ids[p]...)
	}
	if pipe.Len() == 0 {
		return nil
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("inbox ack of %d updates: %w", len(done), err)
	}
	for i, d := range done {
		if d.Writes != nil {
			d.Writes.drop(taken[i])
		}
	}
	return nil
}

func (s *Store) deadLetterKey() string { return s.key("inbox", "dead") }

// maxDeadLetters caps the dead-letter stream.
const maxDeadLetters = 10000

// InboxDeadLetter moves an entry that could not be handled to the
// dead-letter stream (with why) and removes it from its partition.
func (s *Store) InboxDeadLetter(ctx context.Context, partition int, e InboxEntry, why string) error {
	pipe := s.rdb.Pipeline()
	pipe.XAdd(ctx, &redis.XAddArgs{
		Stream: s.deadLetterKey(), MaxLen: maxDeadLetters, Approx: true,
		Values: []any{"id", e.UpdateID, "u", e.Payload, "why", why, "at", s.now().UnixMilli()},
	})
	key := s.inboxStreamKey(partition)
	pipe.XAck(ctx, key, inboxGroup, e.ID)
	pipe.XDel(ctx, key, e.ID)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("inbox %d: dead letter: %w", partition, err)
	}
	return nil
}

// DeadLetters returns how many updates were given up (kept for staff).
func (s *Store) DeadLetters(ctx context.Context) (int64, error) {
	return s.rdb.XLen(ctx, s.deadLetterKey()).Result()
}

// InboxLen returns how many updates wait in a partition (read or not).
func (s *Store) InboxLen(ctx context.Context, partition int) (int64, error) {
	return s.rdb.XLen(ctx, s.inboxStreamKey(partition)).Result()
}

// MaxInboxPartitions bounds the partitions the bot may be configured with
// (and looks for left-over entries in).
const MaxInboxPartitions = 256

// InboxOrphans returns the partitions from first up to MaxInboxPartitions
// that still hold entries: left over when the number of partitions was
// lowered. One round trip.
func (s *Store) InboxOrphans(ctx context.Context, first int) ([]int, error) {
	if first >= MaxInboxPartitions {
		return nil, nil
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.IntCmd, MaxInboxPartitions-first)
	for i := range cmds {
		cmds[i] = pipe.XLen(ctx, s.inboxStreamKey(first+i))
	}
	if _, err := pipe.Exec(ctx); err != nil && !isNil(err) {
		return nil, fmt.Errorf("inbox orphans: %w", err)
	}
	var out []int
	for i, c := range cmds {
		if c.Val() > 0 {
			out = append(out, first+i)
		}
	}
	return out, nil
}

// InboxEntries returns every entry of a partition, read or not, oldest
// first.
func (s *Store) InboxEntries(ctx context.Context, partition int) ([]InboxEntry, error) {
	msgs, err := s.rdb.XRange(ctx, s.inboxStreamKey(partition), "-", "+").Result()
	if err != nil {
		return nil, fmt.Errorf("inbox %d: %w", partition, err)
	}
	out := make([]InboxEntry, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, entryOf(m))
	}
	return out, nil
}

// InboxRemove deletes entries from a partition (after they were moved).
func (s *Store) InboxRemove(ctx context.Context, partition int, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := s.rdb.XDel(ctx, s.inboxStreamKey(partition), ids...).Err(); err != nil {
		return fmt.Errorf("inbox %d: remove: %w", partition, err)
	}
	return nil
}

// InboxBacklog returns how many updates wait in the first n partitions,
// read or not. One round trip.
func (s *Store) InboxBacklog(ctx context.Context, n int) (int64, error) {
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.IntCmd, n)
	for p := range n {
		cmds[p] = pipe.XLen(ctx, s.inboxStreamKey(p))
	}
	if _, err := pipe.Exec(ctx); err != nil && !isNil(err) {
		return 0, fmt.Errorf("inbox backlog: %w", err)
	}
	var total int64
	for _, c := range cmds {
		total += c.Val()
	}
	return total, nil
}
