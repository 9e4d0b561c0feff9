package storage

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/zhangmiao/communitybot"
)

// The web page's conversations. Each visitor (numbered by a counter; the
// id features see is communitybot.WebID(n)) has:
//
//	{web}:v:<n>:st        hash: seq, the last number given to a message
//	{web}:v:<n>:log       sorted set of the conversation, score = seq,
//	                      member "<seq>|<payload>", the latest WebLogKept
//	{web}:v:<n>:q         list of inputs not handled yet, oldest first,
//	                      "<seq>|<payload>"
//	{web}:v:<n>:c:<cid>   the seq a client message id was stored as, for a
//	                      day: a browser that retries a POST stores nothing twice
//	{web}:v:<n>:lock      who is handling the visitor's queue
//	{web}:pending         sorted set: visitor → when its queue last became
//	                      non-empty; swept by every replica
//	{web}:rate:…          flood counters (fixed windows) per visitor and per IP
//
// Payloads are the web package's JSON; storage only orders and keeps them.
// Every key shares the {web} hash tag, so each step below is one atomic Lua
// script, also on a Cluster (there on one node: a subdistrict's web
// conversations are small). A visitor's keys expire WebRetention after
// their last message.

var (
	//go:embed lua/web_submit.lua
	webSubmitLua string
	//go:embed lua/web_complete.lua
	webCompleteLua string
	//go:embed lua/web_append.lua
	webAppendLua string
	//go:embed lua/web_unlock.lua
	webUnlockLua string

	webSubmit   = redis.NewScript(webSubmitLua)
	webComplete = redis.NewScript(webCompleteLua)
	webAppend   = redis.NewScript(webAppendLua)
	webUnlock   = redis.NewScript(webUnlockLua)
)

const (
	// WebLogKept is how many messages of a web conversation are kept.
	WebLogKept = 200
	// WebRetention is how long a silent visitor's conversation is kept.
	WebRetention = 180 * 24 * time.Hour
	// webMarkTTL is how long a client message id is remembered.
	webMarkTTL = 24 * time.Hour
)

// Web flood errors: the input was not stored.
var (
	ErrWebVisitorFlood = fmt.Errorf("web visitor over the flood limit: %w", communitybot.ErrConflict)
	ErrWebIPFlood      = fmt.Errorf("web address over the flood limit: %w", communitybot.ErrConflict)
	// ErrWebNotOwner: the input was finished by someone else, or the
	// caller's lock ran out.
	ErrWebNotOwner = fmt.Errorf("web input no longer the caller's: %w", communitybot.ErrConflict)
)

func (s *Store) webKey(parts ...string) string { return s.key(append([]string{"{web}"}, parts...)...) }
func (s *Store) webVisitorKey(n int64, what string) string {
	return s.webKey("v", strconv.FormatInt(n, 10), what)
}
func (s *Store) webPendingKey() string { return s.webKey("pending") }
func (s *Store) webNotifyChannel() string {
	return s.webKey("notify")
}

// WebRecord is one stored message of a web conversation, or one input.
type WebRecord struct {
	Seq  int64
	Data []byte
}

func parseWebRecord(member string) (WebRecord, bool) {
	i := bytes.IndexByte([]byte(member), '|')
	if i <= 0 {
		return WebRecord{}, false
	}
	seq, err := strconv.ParseInt(member[:i], 10, 64)
	if err != nil {
		return WebRecord{}, false
	}
	return WebRecord{Seq: seq, Data: []byte(member[i+1:])}, true
}

// NewWebVisitor numbers a new web visitor (1, 2, …).
func (s *Store) NewWebVisitor(ctx context.Context) (int64, error) {
	n, err := s.rdb.Incr(ctx, s.webKey("seq")).Result()
	if err != nil {
		return 0, fmt.Errorf("new web visitor: %w", err)
	}
	return n, nil
}

// WebLimit bounds one kind of input: at most Visitor inputs per visitor
// and IP per address in each Window (fixed windows; 0 means no limit).
type WebLimit struct {
	Kind        string // counted apart: "text", "press"
	Visitor, IP int
	Window      time.Duration
}

// WebInput is an input to store with WebSubmit.
type WebInput struct {
	ClientID string // the browser's id for this message, kept for a day
	IP       string // the sender's address, for the per-address limit
	Log      []byte // what the conversation shows
	Queue    []byte // what the handler reads
}

// WebSubmit stores a visitor's input once per client id: in the
// conversation, in the queue of inputs to handle, and in the pending set.
// It returns the input's seq; dup is true when the client id was stored
// before (nothing is stored again and no limit is counted). Over a limit
// it stores nothing and returns ErrWebVisitorFlood or ErrWebIPFlood.
func (s *Store) WebSubmit(ctx context.Context, visitor int64, in WebInput, lim WebLimit) (seq int64, dup bool, err error) {
	keys := []string{
		s.webVisitorKey(visitor, "st"), s.webVisitorKey(visitor, "log"), s.webVisitorKey(visitor, "q"),
		s.webVisitorKey(visitor, "c:"+in.ClientID), s.webPendingKey(),
		s.webKey("rate", "v", strconv.FormatInt(visitor, 10), lim.Kind), s.webKey("rate", "ip", in.IP),
	}
	window := lim.Window
	if window <= 0 {
		window = time.Minute
	}
	res, err := s.runScript(ctx, webSubmit, keys, in.Log, in.Queue, s.now().UnixMilli(), webMarkTTL.Milliseconds(),
		lim.Visitor, lim.IP, window.Milliseconds(), WebLogKept, WebRetention.Milliseconds(), visitor).Int64Slice()
	if err != nil {
		return 0, false, fmt.Errorf("web submit %d: %w", visitor, err)
	}
	switch res[1] {
	case 1:
		return res[0], true, nil
	case 2:
		return 0, false, ErrWebVisitorFlood
	case 3:
		return 0, false, ErrWebIPFlood
	}
	return res[0], false, nil
}

// WebLock makes the caller the one handling a visitor's queue for ttl,
// unless someone else is. token identifies the caller.
func (s *Store) WebLock(ctx context.Context, visitor int64, token string, ttl time.Duration) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, s.webVisitorKey(visitor, "lock"), token, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("web lock %d: %w", visitor, err)
	}
	return ok, nil
}

// WebUnlock releases the visitor's lock if token still holds it.
func (s *Store) WebUnlock(ctx context.Context, visitor int64, token string) error {
	if err := s.runScript(ctx, webUnlock, []string{s.webVisitorKey(visitor, "lock")}, token).Err(); err != nil && !isNil(err) {
		return fmt.Errorf("web unlock %d: %w", visitor, err)
	}
	return nil
}

// WebNextInput returns the oldest input of the visitor not handled yet;
// ok is false when there is none.
func (s *Store) WebNextInput(ctx context.Context, visitor int64) (WebRecord, bool, error) {
	v, err := s.rdb.LIndex(ctx, s.webVisitorKey(visitor, "q"), 0).Result()
	if isNil(err) {
		return WebRecord{}, false, nil
	}
	if err != nil {
		return WebRecord{}, false, fmt.Errorf("web next input %d: %w", visitor, err)
	}
	r, ok := parseWebRecord(v)
	if !ok {
		return WebRecord{}, false, fmt.Errorf("web next input %d: malformed entry", visitor)
	}
	return r, true, nil
}

// WebComplete records the answers to input seq, takes the input off the
// queue and tells open pages, in one step, while token holds the lock;
// otherwise it changes nothing and returns ErrWebNotOwner. The deferred
// writes of batch (conversation context, question counters), when there
// is one, go in the same round trip, before it. It returns the answers'
// seqs and how many inputs are left; with none left the lock is released.
func (s *Store) WebComplete(ctx context.Context, batch *Batch, visitor int64, token string, seq int64, answers [][]byte) (seqs []int64, left int, err error) {
	keys := []string{
		s.webVisitorKey(visitor, "st"), s.webVisitorKey(visitor, "log"), s.webVisitorKey(visitor, "q"),
		s.webVisitorKey(visitor, "lock"), s.webPendingKey(),
	}
	args := []any{token, seq, WebLogKept, WebRetention.Milliseconds(), visitor, s.webNotifyChannel()}
	for _, a := range answers {
		args = append(args, a)
	}
	var ops []func(ctx context.Context, pipe redis.Pipeliner)
	if batch != nil {
		ops = batch.peek()
	}
	var cmd *redis.Cmd
	err = s.execScripts(ctx, []*redis.Script{webComplete}, func(pipe redis.Pipeliner) {
		for _, op := range ops {
			op(ctx, pipe)
		}
		cmd = webComplete.EvalSha(ctx, pipe, keys, args...)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("web complete %d/%d: %w", visitor, seq, err)
	}
	if batch != nil {
		batch.drop(len(ops))
	}
	if n, ok := cmd.Val().(int64); ok && n == -1 {
		return nil, 0, ErrWebNotOwner
	}
	res, err := cmd.Int64Slice()
	if err != nil || len(res) == 0 {
		return nil, 0, fmt.Errorf("web complete %d/%d: %v", visitor, seq, err)
	}
	return res[1:], int(res[0]), nil
}

// WebAppend adds messages to a visitor's conversation that answer no input
// (a staff answer) and tells open pages. It returns their seqs.
func (s *Store) WebAppend(ctx context.Context, visitor int64, msgs ...[]byte) ([]int64, error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	keys := []string{s.webVisitorKey(visitor, "st"), s.webVisitorKey(visitor, "log"), s.webVisitorKey(visitor, "q")}
	args := []any{WebLogKept, WebRetention.Milliseconds(), visitor, s.webNotifyChannel()}
	for _, m := range msgs {
		args = append(args, m)
	}
	seqs, err := s.runScript(ctx, webAppend, keys, args...).Int64Slice()
	if err != nil {
		return nil, fmt.Errorf("web append %d: %w", visitor, err)
	}
	return seqs, nil
}

// WebHistory returns the latest n messages of a visitor's conversation,
// oldest first.
func (s *Store) WebHistory(ctx context.Context, visitor int64, n int) ([]WebRecord, error) {
	vals, err := s.rdb.ZRange(ctx, s.webVisitorKey(visitor, "log"), -int64(n), -1).Result()
	if err != nil {
		return nil, fmt.Errorf("web history %d: %w", visitor, err)
	}
	return webRecords(vals), nil
}

// WebMessagesAfter returns up to n messages with a seq above after,
// oldest first.
func (s *Store) WebMessagesAfter(ctx context.Context, visitor, after int64, n int) ([]WebRecord, error) {
	vals, err := s.rdb.ZRangeByScore(ctx, s.webVisitorKey(visitor, "log"), &redis.ZRangeBy{
		Min: "(" + strconv.FormatInt(after, 10), Max: "+inf", Count: int64(n),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("web messages %d: %w", visitor, err)
	}
	return webRecords(vals), nil
}

func webRecords(vals []string) []WebRecord {
	out := make([]WebRecord, 0, len(vals))
	for _, v := range vals {
		if r, ok := parseWebRecord(v); ok {
			out = append(out, r)
		}
	}
	return out
}

// WebPending returns up to n visitors whose queue has waited longer than
// idle: the request that stored their input died or gave up, and a
// sweeper should handle it.
func (s *Store) WebPending(ctx context.Context, idle time.Duration, n int) ([]int64, error) {
	vals, err := s.rdb.ZRangeByScore(ctx, s.webPendingKey(), &redis.ZRangeBy{
		Min: "-inf", Max: strconv.FormatInt(s.now().Add(-idle).UnixMilli(), 10), Count: int64(n),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("web pending: %w", err)
	}
	out := make([]int64, 0, len(vals))
	for _, v := range vals {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out, nil
}

// WebNotifications calls fn with the visitor number each time a message is
// added to a visitor's conversation, on any replica, until ctx ends. It
// returns only then, or with an error if the subscription cannot be made
// (go-redis re-subscribes by itself after a lost connection; what was
// published meanwhile is missed, so callers also look now and then).
func (s *Store) WebNotifications(ctx context.Context, fn func(visitor int64)) error {
	ps := s.rdb.Subscribe(ctx, s.webNotifyChannel())
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("web notifications: %w", err)
	}
	ch := ps.Channel()
	for {
		select {
		case <-ctx.Done():
			return nil
		case m, ok := <-ch:
			if !ok {
				return errors.New("web notifications: subscription closed")
			}
			if n, err := strconv.ParseInt(m.Payload, 10, 64); err == nil {
				fn(n)
			}
		}
	}
}
