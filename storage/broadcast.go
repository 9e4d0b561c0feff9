package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/zhangmiao/communitybot"
)

// Broadcasts are written to Redis before anything is sent:
//
//	{bc}:b:<id>      hash: the broadcast (JSON under "def"), its counters
//	                 (delivered, blocked, failed, skipped, migrated), how
//	                 many chunks are left, the progress message id, whether
//	                 the summary is out
//	{bc}:b:<id>:rl   the broadcast's report lock (LockReport)
//	{bc}:b:<id>:st   hash: chat id → outcome (d delivered, b blocked,
//	                 f failed, s skipped; a digit n while a long message's
//	                 first n parts are out)
//	{bc}:q           stream of chunks of recipients (the audience snapshot),
//	                 read by the workers of every replica through one
//	                 consumer group
//	{bc}:r           stream of reports to the admin (progress message at the
//	                 start, summary at the end; a broadcast without
//	                 recipients has only the summary), read before chunks
//	{bc}:recent      sorted set of recent broadcast ids, for /broadcasts
//	{bc}:once:<key>  the broadcast created under a once key (a scheduled
//	                 fire, a handled update), so a retry creates nothing
//
// Everything shares the {bc} hash tag, so creating a broadcast (once key,
// record and every chunk) is one Lua script: it happens entirely or not
// at all, and on a Cluster it runs on one node.

const (
	deliveryGroup = "deliver"
	// BroadcastRetention is how long a broadcast's record and per-recipient
	// state are kept for /broadcasts and for finishing it after a restart.
	BroadcastRetention = 30 * 24 * time.Hour
	onceTTL            = 8 * 24 * time.Hour
	recentKept         = 200
)

// Delivery task types.
const (
	TaskChunk = "c" // deliver to a chunk of recipients
	TaskStart = "s" // send the progress message to the broadcast's ReportTo
	TaskFinal = "f" // send the summary to ReportTo
)

// Recipient outcomes, as stored per recipient.
const (
	StateDelivered = "d"
	StateBlocked   = "b"
	StateFailed    = "f"
	StateSkipped   = "s"
)

// DeliveryTask is one entry of the delivery stream.
type DeliveryTask struct {
	EntryID     string
	Type        string // TaskChunk, TaskStart or TaskFinal
	BroadcastID string
	ChatIDs     []int64 // TaskChunk only
}

func (s *Store) bcKey(parts ...string) string {
	return s.key(append([]string{"{bc}"}, parts...)...)
}
func (s *Store) broadcastKey(id string) string      { return s.bcKey("b", id) }
func (s *Store) broadcastStateKey(id string) string { return s.bcKey("b", id, "st") }
func (s *Store) deliveryStreamKey() string          { return s.bcKey("q") }
func (s *Store) reportStreamKey() string            { return s.bcKey("r") }

// streamOf is the stream a task lives in: reports have their own, read
// first, so an admin hears that a broadcast started even while earlier
// broadcasts' chunks fill the queue.
func (s *Store) streamOf(t *DeliveryTask) string {
	if t.Type == TaskChunk {
		return s.deliveryStreamKey()
	}
	return s.reportStreamKey()
}
func (s *Store) pauseKey() string { return s.bcKey("pause") }

// createBroadcast writes a broadcast and its chunks in one step. With a
// once key, a second call returns the first broadcast's id instead.
//
// KEYS: once, meta, stream, recent, report stream
// ARGV: id, has-once, once-ttl, retention, created-ms, report, def, total, chunks...
var createBroadcast = redis.NewScript(`
if ARGV[2] == '1' then
  local prev = redis.call('GET', KEYS[1])
  if prev then return prev end
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
end
local nchunks = #ARGV - 8
redis.call('HSET', KEYS[2], 'def', ARGV[7], 'total', ARGV[8], 'chunks', nchunks, 'report', ARGV[6], 'created', ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[4])
redis.call('ZADD', KEYS[4], ARGV[5], ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[4], 0, -` + strconv.Itoa(recentKept+1) + `)
if ARGV[6] == '1' and nchunks > 0 then
  redis.call('XADD', KEYS[5], '*', 't', 's', 'b', ARGV[1])
end
for i = 9, #ARGV do
  redis.call('XADD', KEYS[3], '*', 't', 'c', 'b', ARGV[1], 'c', ARGV[i])
end
if nchunks == 0 then
  redis.call('HSET', KEYS[2], 'finished', ARGV[5])
  if ARGV[6] == '1' then
    redis.call('XADD', KEYS[5], '*', 't', 'f', 'b', ARGV[1])
  end
end
return ARGV[1]`)

// broadcastDef is the stored form of a broadcast's fixed part.
type broadcastDef struct {
	ID        string             `json:"id"`
	Kind      string             `json:"kind"`
	Topic     communitybot.Topic `json:"topic,omitempty"`
	Reply     communitybot.Reply `json:"reply"`
	CreatedBy int64              `json:"by,omitempty"`
	CreatedAt time.Time          `json:"at"`
	ReportTo  int64              `json:"report,omitempty"`
	Title     string             `json:"title,omitempty"`
}

// CreateBroadcast stores b with its audience, cut into chunks of about
// chunkSize recipients, and queues it for the delivery workers. b.ID and
// b.CreatedAt are set on the returned broadcast. A chat listed twice gets
// one message.
//
// If ctx carries a once key (communitybot.WithOnceKey) and a broadcast was
// already created under it, nothing is written and that broadcast is
// returned with created = false: a retried scheduled fire or a re-handled
// update does not send twice. The check and the creation are one atomic
// step.
func (s *Store) CreateBroadcast(ctx context.Context, b communitybot.Broadcast, audience []int64, chunkSize int) (_ communitybot.Broadcast, created bool, err error) {
	if chunkSize <= 0 {
		chunkSize = 50
	}
	seq, err := s.rdb.Incr(ctx, s.bcKey("seq")).Result()
	if err != nil {
		return b, false, fmt.Errorf("broadcast id: %w", err)
	}
	b.ID = strconv.FormatInt(seq, 10)
	if b.CreatedAt.IsZero() {
		b.CreatedAt = s.now()
	}
	def, err := json.Marshal(broadcastDef{ID: b.ID, Kind: b.Kind, Topic: b.Topic, Reply: b.Reply, CreatedBy: b.CreatedBy, CreatedAt: b.CreatedAt, ReportTo: b.ReportTo, Title: b.Title})
	if err != nil {
		return b, false, fmt.Errorf("broadcast %s: %w", b.ID, err)
	}
	audience = dedupe(audience)
	onceKey, hasOnce := communitybot.OnceKey(ctx)
	report := "0"
	if b.ReportTo != 0 {
		report = "1"
	}
	args := []any{b.ID, boolArg(hasOnce), int(onceTTL.Seconds()), int(BroadcastRetention.Seconds()), b.CreatedAt.UnixMilli(), report, string(def), len(audience)}
	for start := 0; start < len(audience); start += chunkSize {
		args = append(args, joinIDs(audience[start:min(start+chunkSize, len(audience))]))
	}
	keys := []string{s.bcKey("once", onceKey), s.broadcastKey(b.ID), s.deliveryStreamKey(), s.bcKey("recent"), s.reportStreamKey()}
	id, err := s.runScript(ctx, createBroadcast, keys, args...).Text()
	if err != nil {
		return b, false, fmt.Errorf("create broadcast: %w", err)
	}
	if id != b.ID {
		st, err := s.BroadcastStatus(ctx, id)
		if err != nil {
			return b, false, err
		}
		return st.Broadcast, false, nil
	}
	return b, true, nil
}

func boolArg(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func dedupe(ids []int64) []int64 {
	seen := make(map[int64]struct{}, len(ids))
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if _, dup := seen[id]; !dup && id != 0 {
			seen[id] = struct{}{}
			out = append(out, id)
		}
	}
	return out
}

func joinIDs(ids []int64) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	return b.String()
}

func splitIDs(s string) []int64 {
	var out []int64
	for _, f := range strings.Split(s, ",") {
		if id, err := strconv.ParseInt(f, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// BroadcastStatus returns a broadcast and its counters, or ErrNotFound.
func (s *Store) BroadcastStatus(ctx context.Context, id string) (communitybot.BroadcastStatus, error) {
	m, err := s.rdb.HGetAll(ctx, s.broadcastKey(id)).Result()
	if err != nil {
		return communitybot.BroadcastStatus{}, fmt.Errorf("broadcast %s: %w", id, err)
	}
	return parseBroadcast(id, m)
}

func parseBroadcast(id string, m map[string]string) (communitybot.BroadcastStatus, error) {
	if m["def"] == "" {
		return communitybot.BroadcastStatus{}, fmt.Errorf("broadcast %s: %w", id, communitybot.ErrNotFound)
	}
	var d broadcastDef
	if err := json.Unmarshal([]byte(m["def"]), &d); err != nil {
		return communitybot.BroadcastStatus{}, fmt.Errorf("broadcast %s: %w", id, err)
	}
	n := func(k string) int { v, _ := strconv.Atoi(m[k]); return v }
	st := communitybot.BroadcastStatus{
		Broadcast: communitybot.Broadcast{ID: d.ID, Kind: d.Kind, Topic: d.Topic, Reply: d.Reply, CreatedBy: d.CreatedBy, CreatedAt: d.CreatedAt, ReportTo: d.ReportTo, Title: d.Title},
		Total:     n("total"), Delivered: n("delivered"), Blocked: n("blocked"), Failed: n("failed"), Skipped: n("skipped"), Migrated: n("migrated"),
	}
	if ms, err := strconv.ParseInt(m["finished"], 10, 64); err == nil {
		st.FinishedAt = time.UnixMilli(ms)
	}
	return st, nil
}

// RecentBroadcasts returns up to n broadcasts, newest first.
func (s *Store) RecentBroadcasts(ctx context.Context, n int) ([]communitybot.BroadcastStatus, error) {
	ids, err := s.rdb.ZRevRange(ctx, s.bcKey("recent"), 0, int64(n-1)).Result()
	if err != nil {
		return nil, fmt.Errorf("recent broadcasts: %w", err)
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGetAll(ctx, s.broadcastKey(id))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("recent broadcasts: %w", err)
	}
	var out []communitybot.BroadcastStatus
	for i, c := range cmds {
		if st, err := parseBroadcast(ids[i], c.Val()); err == nil {
			out = append(out, st)
		}
	}
	return out, nil
}

// ReportState is what was reported to a broadcast's ReportTo so far.
type ReportState struct {
	MessageID int  // the progress message, 0 if none was sent yet
	Final     bool // the summary is out (the progress message edited into it, or posted anew)
}

// ReportState returns what was reported to the broadcast's ReportTo so far.
// Read it holding the report lock (LockReport).
func (s *Store) ReportState(ctx context.Context, id string) (ReportState, error) {
	v, err := s.rdb.HMGet(ctx, s.broadcastKey(id), "pmsg", "rdone").Result()
	if err != nil {
		return ReportState{}, fmt.Errorf("broadcast %s: report state: %w", id, err)
	}
	msgID, _ := strconv.Atoi(str(v[0]))
	return ReportState{MessageID: msgID, Final: str(v[1]) == "1"}, nil
}

// SetProgressMessage records the id of the broadcast's progress message.
func (s *Store) SetProgressMessage(ctx context.Context, id string, messageID int) error {
	if err := s.rdb.HSet(ctx, s.broadcastKey(id), "pmsg", messageID).Err(); err != nil {
		return fmt.Errorf("broadcast %s: progress message: %w", id, err)
	}
	return nil
}

// SetFinalReported records that the broadcast's summary is out.
func (s *Store) SetFinalReported(ctx context.Context, id string) error {
	if err := s.rdb.HSet(ctx, s.broadcastKey(id), "rdone", 1).Err(); err != nil {
		return fmt.Errorf("broadcast %s: summary reported: %w", id, err)
	}
	return nil
}

// LockReport takes the broadcast's report lock for owner, for at most ttl,
// and reports whether it got it. The start report, the progress edits and
// the summary each run under it: two workers must not post two messages
// nor let a late progress edit overwrite the summary.
func (s *Store) LockReport(ctx context.Context, id, owner string, ttl time.Duration) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, s.reportLockKey(id), owner, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("broadcast %s: report lock: %w", id, err)
	}
	return ok, nil
}

// unlockIfOwner deletes a lock held by ARGV[1].
var unlockIfOwner = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// UnlockReport releases the broadcast's report lock if owner holds it.
func (s *Store) UnlockReport(ctx context.Context, id, owner string) error {
	if err := s.runScript(ctx, unlockIfOwner, []string{s.reportLockKey(id)}, owner).Err(); err != nil {
		return fmt.Errorf("broadcast %s: report unlock: %w", id, err)
	}
	return nil
}

func (s *Store) reportLockKey(id string) string { return s.bcKey("b", id, "rl") }

// ProgressSlot reports whether the caller may edit the broadcast's
// progress message now: at most once per every, across all workers and
// replicas, so an admin's chat is not flooded with edits.
func (s *Store) ProgressSlot(ctx context.Context, id string, every time.Duration) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, s.bcKey("b", id, "pl"), 1, every).Result()
	if err != nil {
		return false, fmt.Errorf("broadcast %s: progress slot: %w", id, err)
	}
	return ok, nil
}

// DeliveryPrepare creates the delivery streams' consumer group.
func (s *Store) DeliveryPrepare(ctx context.Context) error {
	for _, key := range []string{s.reportStreamKey(), s.deliveryStreamKey()} {
		err := s.rdb.XGroupCreateMkStream(ctx, key, deliveryGroup, "0").Err()
		if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
			return fmt.Errorf("delivery queue: create group: %w", err)
		}
	}
	return nil
}

func parseTask(m redis.XMessage) DeliveryTask {
	t := DeliveryTask{EntryID: m.ID, Type: str(m.Values["t"]), BroadcastID: str(m.Values["b"])}
	if t.Type == TaskChunk {
		t.ChatIDs = splitIDs(str(m.Values["c"]))
	}
	return t
}

// ReadTask takes the next new delivery task for consumer — a report if
// one waits, else a chunk, waiting up to block for one — and returns nil
// when none arrived. The task stays pending for consumer until FinishTask.
func (s *Store) ReadTask(ctx context.Context, consumer string, block time.Duration) (*DeliveryTask, error) {
	if t, err := s.readStream(ctx, s.reportStreamKey(), consumer, -1); t != nil || err != nil {
		return t, err
	}
	return s.readStream(ctx, s.deliveryStreamKey(), consumer, block)
}

func (s *Store) readStream(ctx context.Context, key, consumer string, block time.Duration) (*DeliveryTask, error) {
	res, err := s.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: deliveryGroup, Consumer: consumer,
		Streams: []string{key, ">"}, Count: 1, Block: block,
	}).Result()
	if isNil(err) {
		return nil, nil
	}
	if err != nil {
		if strings.HasPrefix(err.Error(), "NOGROUP") {
			return nil, errors.Join(errors.New("delivery queue: group missing"), s.DeliveryPrepare(ctx))
		}
		return nil, fmt.Errorf("delivery queue: read: %w", err)
	}
	for _, st := range res {
		for _, m := range st.Messages {
			t := parseTask(m)
			return &t, nil
		}
	}
	return nil, nil
}

// ClaimTask takes over a task another consumer read but has not finished
// nor touched for minIdle (its worker died, or its replica was killed). It
// returns nil when there is none.
func (s *Store) ClaimTask(ctx context.Context, consumer string, minIdle time.Duration) (*DeliveryTask, error) {
	for _, key := range []string{s.reportStreamKey(), s.deliveryStreamKey()} {
		msgs, _, err := s.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
			Stream: key, Group: deliveryGroup, Consumer: consumer,
			MinIdle: minIdle, Start: "0-0", Count: 1,
		}).Result()
		if isNil(err) {
			continue
		}
		if err != nil {
			if strings.HasPrefix(err.Error(), "NOGROUP") {
				return nil, errors.Join(errors.New("delivery queue: group missing"), s.DeliveryPrepare(ctx))
			}
			return nil, fmt.Errorf("delivery queue: claim: %w", err)
		}
		for _, m := range msgs {
			t := parseTask(m)
			return &t, nil
		}
	}
	return nil, nil
}

// claimIfOwner resets the idle time of a task's entry (to ARGV[4] ms, or 0)
// only if consumer still holds it. A plain XCLAIM with min-idle 0 always
// transfers the entry: a worker that stalled past the claim timeout would
// take its task back from the worker that took it over, and both would
// send.
//
// KEYS: stream   ARGV: group, entry, consumer, idle in ms (empty: 0)
var claimIfOwner = redis.NewScript(`
if #redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1, ARGV[3]) == 0 then
  return 0
end
if ARGV[4] == '' then
  redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[3], 0, ARGV[2], 'JUSTID')
else
  redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[3], 0, ARGV[2], 'IDLE', ARGV[4], 'JUSTID')
end
return 1`)

// TouchTask tells other consumers that consumer is still working on the
// task (it resets the entry's idle time), so it is not claimed away while
// a long chunk waits on the rate limit. It reports whether consumer still
// owns the task; if another consumer took it over (or it was finished),
// nothing changes and the caller must stop working on it.
func (s *Store) TouchTask(ctx context.Context, consumer string, t *DeliveryTask) (bool, error) {
	owns, err := s.runScript(ctx, claimIfOwner, []string{s.streamOf(t)}, deliveryGroup, t.EntryID, consumer, "").Int()
	if err != nil {
		return false, fmt.Errorf("delivery queue: touch: %w", err)
	}
	return owns == 1, nil
}

// checkRecipient reports whether consumer still holds the task and the
// recipient's stored state.
//
// KEYS: stream, state   ARGV: group, entry, consumer, chat
var checkRecipient = redis.NewScript(`
if #redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1, ARGV[3]) == 0 then
  return {0, ''}
end
return {1, redis.call('HGET', KEYS[2], ARGV[4]) or ''}`)

// CheckRecipient is asked right before a message goes out: it reports
// whether consumer still owns the task and the recipient's state now ("",
// a final outcome, or the parts already out). A worker that lost its task
// stops before sending; one that owns it skips a recipient another worker
// already served. One round trip.
func (s *Store) CheckRecipient(ctx context.Context, consumer string, t *DeliveryTask, chatID int64) (owns bool, state string, err error) {
	res, err := values(2)(s.runScript(ctx, checkRecipient, []string{s.streamOf(t), s.broadcastStateKey(t.BroadcastID)},
		deliveryGroup, t.EntryID, consumer, chatID).Slice())
	if err != nil {
		return false, "", fmt.Errorf("broadcast %s: check %d: %w", t.BroadcastID, chatID, err)
	}
	n, _ := res[0].(int64)
	return n == 1, str(res[1]), nil
}

// finishTask acknowledges a task and, for the broadcast's last chunk,
// marks the broadcast finished and queues its summary.
//
// KEYS: task's stream, meta, report stream   ARGV: group, entry, is-chunk, broadcast id, now-ms
var finishTask = redis.NewScript(`
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
if acked == 1 and ARGV[3] == '1' and redis.call('EXISTS', KEYS[2]) == 1 then
  local left = redis.call('HINCRBY', KEYS[2], 'chunks', -1)
  if left == 0 then
    redis.call('HSET', KEYS[2], 'finished', ARGV[5])
    if redis.call('HGET', KEYS[2], 'report') == '1' then
      redis.call('XADD', KEYS[3], '*', 't', 'f', 'b', ARGV[4])
    end
  end
  return left
end
return -1`)

// FinishTask acknowledges a task. For a chunk it returns how many chunks
// of the broadcast are left (0: this was the last, and the summary is
// queued), or -1 if the task had already been acknowledged.
func (s *Store) FinishTask(ctx context.Context, t *DeliveryTask) (int, error) {
	left, err := s.runScript(ctx, finishTask, []string{s.streamOf(t), s.broadcastKey(t.BroadcastID), s.reportStreamKey()},
		deliveryGroup, t.EntryID, boolArg(t.Type == TaskChunk), t.BroadcastID, s.now().UnixMilli()).Int()
	if err != nil {
		return 0, fmt.Errorf("delivery queue: ack %s: %w", t.EntryID, err)
	}
	return left, nil
}

// RecipientStates returns the stored outcome of each chat in ids ("" for
// none yet), and how long all deliveries must pause after a 429 (0 for no
// pause). One round trip.
func (s *Store) RecipientStates(ctx context.Context, broadcastID string, ids []int64) ([]string, time.Duration, error) {
	fields := make([]string, len(ids))
	for i, id := range ids {
		fields[i] = strconv.FormatInt(id, 10)
	}
	pipe := s.rdb.Pipeline()
	get := pipe.HMGet(ctx, s.broadcastStateKey(broadcastID), fields...)
	pause := pipe.PTTL(ctx, s.pauseKey())
	if _, err := pipe.Exec(ctx); err != nil && !isNil(err) {
		return nil, 0, fmt.Errorf("broadcast %s: states: %w", broadcastID, err)
	}
	out := make([]string, len(ids))
	for i, v := range get.Val() {
		out[i] = str(v)
	}
	return out, max(pause.Val(), 0), nil
}

// markRecipient records a recipient's outcome unless it already has a
// final one, counts it once, and says whether the consumer still holds the
// task.
//
// KEYS: state, meta, pause, stream
// ARGV: chat, state, counter, counter2, retention, group, entry, consumer
var markRecipient = redis.NewScript(`
local old = redis.call('HGET', KEYS[1], ARGV[1])
local final = {d=true, b=true, f=true, s=true}
local applied = 0
if not (old and final[old]) then
  applied = 1
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('EXPIRE', KEYS[1], ARGV[5])
  if final[ARGV[2]] then
    if ARGV[3] ~= '' then redis.call('HINCRBY', KEYS[2], ARGV[3], 1) end
    if ARGV[4] ~= '' then redis.call('HINCRBY', KEYS[2], ARGV[4], 1) end
  end
end
local owns = 0
if #redis.call('XPENDING', KEYS[4], ARGV[6], ARGV[7], ARGV[7], 1, ARGV[8]) == 1 then owns = 1 end
return {owns, redis.call('PTTL', KEYS[3]), applied}`)

// counterOf names the counter a final state adds to.
var counterOf = map[string]string{StateDelivered: "delivered", StateBlocked: "blocked", StateFailed: "failed", StateSkipped: "skipped"}

// Mark is what a worker learns when it records an outcome.
type Mark struct {
	// Owns is false when another consumer took the task over (or it was
	// finished): the worker must stop, or it would send to recipients the
	// new owner is serving.
	Owns bool
	// Pause is how long all deliveries must wait after a 429 (0: none).
	Pause time.Duration
	// Applied is false when the recipient already had a final outcome
	// (another worker recorded it first): nothing changed, nothing counted.
	Applied bool
}

// MarkRecipient records the outcome of one recipient of task t, worked on
// by consumer: a final state (which is counted once, however often it is
// marked) or, for a message sent in several parts, the number of parts out
// so far. migrated adds to the migrated counter too. The outcome is
// recorded even if consumer no longer owns the task (the message did go
// out); Mark.Owns tells it to stop. One round trip.
func (s *Store) MarkRecipient(ctx context.Context, consumer string, t *DeliveryTask, chatID int64, state string, migrated bool) (Mark, error) {
	second := ""
	if migrated {
		second = "migrated"
	}
	res, err := values(3)(s.runScript(ctx, markRecipient,
		[]string{s.broadcastStateKey(t.BroadcastID), s.broadcastKey(t.BroadcastID), s.pauseKey(), s.streamOf(t)},
		chatID, state, counterOf[state], second, int(BroadcastRetention.Seconds()), deliveryGroup, t.EntryID, consumer).Slice())
	if err != nil {
		return Mark{}, fmt.Errorf("broadcast %s: mark %d: %w", t.BroadcastID, chatID, err)
	}
	owns, _ := res[0].(int64)
	applied, _ := res[2].(int64)
	m := Mark{Owns: owns == 1, Applied: applied == 1}
	if ms, ok := res[1].(int64); ok && ms > 0 {
		m.Pause = time.Duration(ms) * time.Millisecond
	}
	return m, nil
}

// values checks that a script replied with n values.
func values(n int) func(res []any, err error) ([]any, error) {
	return func(res []any, err error) ([]any, error) {
		if err == nil && len(res) != n {
			err = fmt.Errorf("script replied %d values, want %d", len(res), n)
		}
		return res, err
	}
}

// extendPause sets a pause (the global one, or a chat's: SendGate.Pause)
// to at least ARGV[1] ms.
var extendPause = redis.NewScript(`
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 1`)

// DeliveryBacklog returns how many delivery tasks (chunks and reports)
// wait, read or not.
func (s *Store) DeliveryBacklog(ctx context.Context) (int64, error) {
	pipe := s.rdb.Pipeline()
	q := pipe.XLen(ctx, s.deliveryStreamKey())
	r := pipe.XLen(ctx, s.reportStreamKey())
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, fmt.Errorf("delivery backlog: %w", err)
	}
	return q.Val() + r.Val(), nil
}

// ReleaseTask hands a task back on shutdown: it stays pending but looks
// long abandoned, so the next worker (of this replica after a restart, or
// of another) claims it at once instead of after the claim timeout. A task
// consumer no longer owns is left alone.
func (s *Store) ReleaseTask(ctx context.Context, consumer string, t *DeliveryTask) error {
	const idle = int64(365 * 24 * time.Hour / time.Millisecond)
	err := s.runScript(ctx, claimIfOwner, []string{s.streamOf(t)}, deliveryGroup, t.EntryID, consumer, idle).Err()
	if err != nil && !isNil(err) {
		return fmt.Errorf("delivery queue: release %s: %w", t.EntryID, err)
	}
	return nil
}

// DeliveryConsumer is a consumer of the delivery group: one delivery
// worker of one replica, now or in the past.
type DeliveryConsumer struct {
	Name    string
	Pending int64         // tasks it holds, in both delivery streams
	Idle    time.Duration // since it last used either stream; negative if unknown
}

// DeliveryConsumers lists the consumers of the delivery group.
func (s *Store) DeliveryConsumers(ctx context.Context) ([]DeliveryConsumer, error) {
	var out []DeliveryConsumer
	at := map[string]int{}
	for _, key := range []string{s.reportStreamKey(), s.deliveryStreamKey()} {
		list, err := s.rdb.XInfoConsumers(ctx, key, deliveryGroup).Result()
		if err != nil {
			if strings.HasPrefix(err.Error(), "NOGROUP") || strings.Contains(err.Error(), "no such key") {
				continue // not prepared yet: no consumers
			}
			return nil, fmt.Errorf("delivery consumers: %w", err)
		}
		for _, c := range list {
			i, seen := at[c.Name]
			if !seen {
				at[c.Name] = len(out)
				out = append(out, DeliveryConsumer{Name: c.Name, Pending: c.Pending, Idle: c.Idle})
				continue
			}
			out[i].Pending += c.Pending
			if c.Idle < out[i].Idle {
				out[i].Idle = c.Idle
			}
		}
	}
	return out, nil
}

// deleteIdleConsumer deletes a consumer that holds no entry of the
// stream. XGROUP DELCONSUMER drops the consumer's pending entries with it,
// so the check and the deletion must be one step.
//
// KEYS: stream   ARGV: group, consumer
var deleteIdleConsumer = redis.NewScript(`
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) > 0 then return 0 end
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
return 1`)

// RemoveConsumers deletes the named consumers of the delivery group from
// each stream in which they hold no task; a consumer holding a task keeps
// it, and stays. A consumer deleted while its worker lives is harmless:
// Redis creates it again when it next reads a task.
func (s *Store) RemoveConsumers(ctx context.Context, names []string) error {
	for _, key := range []string{s.reportStreamKey(), s.deliveryStreamKey()} {
		for _, name := range names {
			err := s.runScript(ctx, deleteIdleConsumer, []string{key}, deliveryGroup, name).Err()
			if err != nil && !strings.HasPrefix(err.Error(), "NOGROUP") && !strings.Contains(err.Error(), "no such key") {
				return fmt.Errorf("delivery queue: remove consumer %s: %w", name, err)
			}
		}
	}
	return nil
}

// PruneConsumers deletes the consumers of the delivery group that hold no
// task and have been idle for at least minIdle (workers of replicas that
// were killed or restarted), and returns how many it deleted. Before Redis
// 7.2 a read that finds nothing does not count as activity, so a live
// worker with nothing to do can be deleted too; that is harmless (see
// RemoveConsumers). A consumer whose idle time is unknown (miniredis) is
// kept.
func (s *Store) PruneConsumers(ctx context.Context, minIdle time.Duration) (int, error) {
	list, err := s.DeliveryConsumers(ctx)
	if err != nil {
		return 0, err
	}
	var idle []string
	for _, c := range list {
		if c.Pending == 0 && c.Idle >= minIdle {
			idle = append(idle, c.Name)
		}
	}
	if err := s.RemoveConsumers(ctx, idle); err != nil {
		return 0, err
	}
	return len(idle), nil
}
