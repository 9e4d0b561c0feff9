package storage

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/zhangmiao/communitybot"
)

// Tickets are a hash each, numbered by a counter, indexed by a sorted set
// of open tickets (oldest first, for staff) and one per user (newest first,
// for /ticket). Every ticket key shares the {tk} hash tag, so the scripts
// below, which read a user's recent tickets while creating one, run on
// Redis Cluster too. A staff-chat message id maps to its ticket with a key
// of its own, so a staff member's reply finds the ticket in one GET.

func (s *Store) ticketSeqKey() string      { return s.key("{tk}", "seq") }
func (s *Store) ticketPrefix() string      { return s.key("{tk}", "t") + ":" }
func (s *Store) ticketKey(no int64) string { return s.ticketPrefix() + strconv.FormatInt(no, 10) }
func (s *Store) ticketOpenKey() string     { return s.key("{tk}", "open") }
func (s *Store) ticketUnpostedKey() string { return s.key("{tk}", "unposted") }
func (s *Store) ticketPostingKey() string  { return s.key("{tk}", "posting") }
func (s *Store) userTicketsKey(userID int64) string {
	return s.key("{tk}", "u", strconv.FormatInt(userID, 10))
}
func (s *Store) staffMessageKey(chatID int64, msgID int) string {
	return s.key("{tk}", "m", strconv.FormatInt(chatID, 10), strconv.Itoa(msgID))
}

// staffMessageTTL bounds how long a reply to an old staff-chat post still
// finds its ticket; /answer works for any open ticket regardless.
const staffMessageTTL = 180 * 24 * time.Hour

// Ticket errors beyond the shared kinds, so callers can tell the resident
// exactly why a rating or an answer was refused.
var (
	// ErrTicketNotAnswered: the ticket is still open.
	ErrTicketNotAnswered = fmt.Errorf("ticket not answered yet: %w", communitybot.ErrConflict)
	// ErrTicketDone: the ticket was already answered, rated or learned.
	ErrTicketDone = fmt.Errorf("ticket already done: %w", communitybot.ErrConflict)
	// ErrTooManyOpen: the user has too many open tickets for a new one.
	ErrTooManyOpen = fmt.Errorf("too many open tickets: %w", communitybot.ErrConflict)
)

// Ticket returns a ticket by number, or an error wrapping
// communitybot.ErrNotFound.
func (s *Store) Ticket(ctx context.Context, no int64) (communitybot.Ticket, error) {
	m, err := s.rdb.HGetAll(ctx, s.ticketKey(no)).Result()
	if err != nil {
		return communitybot.Ticket{}, fmt.Errorf("ticket %d: %w", no, err)
	}
	if len(m) == 0 {
		return communitybot.Ticket{}, fmt.Errorf("ticket %d: %w", no, communitybot.ErrNotFound)
	}
	return decodeTicket(m), nil
}

func (s *Store) tickets(ctx context.Context, nos []string) ([]communitybot.Ticket, error) {
	if len(nos) == 0 {
		return nil, nil
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(nos))
	for i, no := range nos {
		cmds[i] = pipe.HGetAll(ctx, s.ticketPrefix()+no)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("tickets: %w", err)
	}
	out := make([]communitybot.Ticket, 0, len(nos))
	for _, c := range cmds {
		if m := c.Val(); len(m) > 0 {
			out = append(out, decodeTicket(m))
		}
	}
	return out, nil
}

// OpenTickets returns up to n open tickets, oldest first, and how many are
// open in all.
func (s *Store) OpenTickets(ctx context.Context, n int) ([]communitybot.Ticket, int64, error) {
	pipe := s.rdb.Pipeline()
	nosCmd := pipe.ZRange(ctx, s.ticketOpenKey(), 0, int64(n)-1)
	countCmd := pipe.ZCard(ctx, s.ticketOpenKey())
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, 0, fmt.Errorf("open tickets: %w", err)
	}
	list, err := s.tickets(ctx, nosCmd.Val())
	return list, countCmd.Val(), err
}

// OpenTicketCount returns how many tickets are open and when the oldest
// was created (zero when none).
func (s *Store) OpenTicketCount(ctx context.Context) (int64, time.Time, error) {
	pipe := s.rdb.Pipeline()
	countCmd := pipe.ZCard(ctx, s.ticketOpenKey())
	oldestCmd := pipe.ZRangeWithScores(ctx, s.ticketOpenKey(), 0, 0)
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, time.Time{}, fmt.Errorf("open ticket count: %w", err)
	}
	var oldest time.Time
	if z := oldestCmd.Val(); len(z) == 1 {
		oldest = time.UnixMilli(int64(z[0].Score))
	}
	return countCmd.Val(), oldest, nil
}

// UserTickets returns a user's latest n tickets, newest first.
func (s *Store) UserTickets(ctx context.Context, userID int64, n int) ([]communitybot.Ticket, error) {
	nos, err := s.rdb.ZRevRange(ctx, s.userTicketsKey(userID), 0, int64(n)-1).Result()
	if err != nil {
		return nil, fmt.Errorf("tickets of user %d: %w", userID, err)
	}
	return s.tickets(ctx, nos)
}

// claimUnposted leases up to ARGV[1] queued tickets to one caller, the
// oldest of a sample of the queue (all of it while it holds fewer than
// claimSample tickets beyond those leased). A ticket stays in the queue
// (KEYS[1]) until its post is recorded (SetTicketPost) or it no longer
// needs one (DropUnposted), so no failure of the caller's loses it; the
// lease (KEYS[2], ticket → expiry) only keeps two replicas from posting
// the same ticket at once, and a replica that dies mid-post leaves a lease
// that simply runs out.
//
// KEYS: unposted, leases. ARGV: n, now-ms, lease-ms, sample.
var claimUnposted = redis.NewScript(`
local now = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local leased = redis.call('ZCARD', KEYS[2])
local sample = redis.call('SRANDMEMBER', KEYS[1], tonumber(ARGV[4]) + leased)
table.sort(sample, function(a, b) return tonumber(a) < tonumber(b) end)
local out = {}
for _, no in ipairs(sample) do
  if #out >= tonumber(ARGV[1]) then break end
  if not redis.call('ZSCORE', KEYS[2], no) then
    redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), no)
    out[#out + 1] = no
  end
end
return out`)

// claimSample bounds how much of the posting queue one claim looks at.
const claimSample = 100

// ClaimUnposted leases up to n tickets waiting to be posted to the staff
// chat, oldest first, for lease. They stay queued: the caller records each
// post with SetTicketPost (which dequeues it), drops a ticket that needs no
// post with DropUnposted, and gives back what it did not post with
// ReleaseUnposted. Another replica cannot claim a leased ticket until the
// lease runs out.
func (s *Store) ClaimUnposted(ctx context.Context, n int, lease time.Duration) ([]int64, error) {
	vals, err := s.runScript(ctx, claimUnposted, []string{s.ticketUnpostedKey(), s.ticketPostingKey()},
		n, s.now().UnixMilli(), lease.Milliseconds(), max(n, claimSample)).StringSlice()
	if err != nil && !isNil(err) {
		return nil, fmt.Errorf("claim unposted tickets: %w", err)
	}
	out := make([]int64, 0, len(vals))
	for _, v := range vals {
		if no, err := strconv.ParseInt(v, 10, 64); err == nil {
			out = append(out, no)
		}
	}
	return out, nil
}

// ReleaseUnposted ends the caller's lease on tickets it did not post; they
// stay queued and are claimable at once.
func (s *Store) ReleaseUnposted(ctx context.Context, nos ...int64) error {
	if len(nos) == 0 {
		return nil
	}
	members := make([]any, len(nos))
	for i, no := range nos {
		members[i] = no
	}
	if err := s.rdb.ZRem(ctx, s.ticketPostingKey(), members...).Err(); err != nil {
		return fmt.Errorf("release unposted tickets: %w", err)
	}
	return nil
}

// DropUnposted takes a ticket out of the posting queue without a post (it
// was answered or removed before it could be posted).
func (s *Store) DropUnposted(ctx context.Context, no int64) error {
	_, err := s.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.SRem(ctx, s.ticketUnpostedKey(), no)
		pipe.ZRem(ctx, s.ticketPostingKey(), no)
		return nil
	})
	if err != nil {
		return fmt.Errorf("drop ticket %d from the posting queue: %w", no, err)
	}
	return nil
}

// SetTicketPost records where a ticket was posted in the staff chat, so a
// staff member's reply to that message finds it, and takes it out of the
// posting queue, in one step.
func (s *Store) SetTicketPost(ctx context.Context, no, chatID int64, msgID int) error {
	_, err := s.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.HSet(ctx, s.ticketKey(no), "schat", chatID, "smsg", msgID)
		pipe.Set(ctx, s.staffMessageKey(chatID, msgID), no, staffMessageTTL)
		pipe.SRem(ctx, s.ticketUnpostedKey(), no)
		pipe.ZRem(ctx, s.ticketPostingKey(), no)
		return nil
	})
	if err != nil {
		return fmt.Errorf("ticket %d post: %w", no, err)
	}
	return nil
}

// TicketPostInFlight reports whether ticket no is being posted to the
// staff chat right now: claimed by a poster (ClaimUnposted) whose lease
// has not run out, and not recorded yet (SetTicketPost).
func (s *Store) TicketPostInFlight(ctx context.Context, no int64) (bool, error) {
	until, err := s.rdb.ZScore(ctx, s.ticketPostingKey(), strconv.FormatInt(no, 10)).Result()
	if isNil(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("ticket %d posting: %w", no, err)
	}
	return int64(until) > s.now().UnixMilli(), nil
}

// TicketByStaffMessage returns the number of the ticket posted as message
// msgID in the staff chat, or an error wrapping communitybot.ErrNotFound.
func (s *Store) TicketByStaffMessage(ctx context.Context, chatID int64, msgID int) (int64, error) {
	no, err := s.rdb.Get(ctx, s.staffMessageKey(chatID, msgID)).Int64()
	if isNil(err) {
		return 0, fmt.Errorf("staff message %d/%d: %w", chatID, msgID, communitybot.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("staff message %d/%d: %w", chatID, msgID, err)
	}
	return no, nil
}

// answerTicket closes an open ticket with a staff answer. Returns 1 when
// this call closed it, 2 when the same source (the same staff message,
// handled again) had already closed it, 0 when someone else had, -1 for no
// such ticket.
var answerTicket = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return -1 end
if st == 'answered' then
  if redis.call('HGET', KEYS[1], 'ans_src') == ARGV[6] then return 2 end
  return 0
end
redis.call('HSET', KEYS[1], 'status', 'answered', 'ans', ARGV[2], 'ans_by', ARGV[3], 'ans_id', ARGV[4], 'ans_at', ARGV[5], 'ans_src', ARGV[6])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1`)

// AnswerTicket closes ticket no with answer. source identifies the staff
// message that carried the answer: the same source answering again (an
// update handled a second time) is not an error and returns first=false,
// so the caller can finish relaying. A ticket answered from another source
// gives ErrTicketDone; an unknown one an error wrapping ErrNotFound.
func (s *Store) AnswerTicket(ctx context.Context, no int64, answer, by string, byID int64, source string) (first bool, err error) {
	n, err := s.runScript(ctx, answerTicket, []string{s.ticketKey(no), s.ticketOpenKey()},
		no, answer, by, byID, s.now().UnixMilli(), source).Int()
	if err != nil {
		return false, fmt.Errorf("answer ticket %d: %w", no, err)
	}
	switch n {
	case 1:
		return true, nil
	case 2:
		return false, nil
	case 0:
		return false, ErrTicketDone
	}
	return false, fmt.Errorf("ticket %d: %w", no, communitybot.ErrNotFound)
}

// MarkTicketRelayed records that the answer reached the resident.
func (s *Store) MarkTicketRelayed(ctx context.Context, no int64) error {
	if err := s.rdb.HSet(ctx, s.ticketKey(no), "relayed", 1).Err(); err != nil {
		return fmt.Errorf("ticket %d relayed: %w", no, err)
	}
	return nil
}

var rateTicket = redis.NewScript(`
local t = redis.call('HMGET', KEYS[1], 'status', 'user', 'rating')
if not t[1] then return -1 end
if t[2] ~= ARGV[1] then return -2 end
if t[1] ~= 'answered' then return -3 end
if t[3] and t[3] ~= '' then return 0 end
redis.call('HSET', KEYS[1], 'rating', ARGV[2], 'rated_at', ARGV[3])
return 1`)

// RateTicket records the asker's rating of the answer, once. Errors: a user
// other than the asker gets communitybot.ErrForbidden, an open ticket
// ErrTicketNotAnswered, a second rating ErrTicketDone, an unknown ticket
// ErrNotFound.
func (s *Store) RateTicket(ctx context.Context, no, userID int64, r communitybot.Rating) error {
	if r != communitybot.RatingGood && r != communitybot.RatingBad {
		return fmt.Errorf("rating %q: %w", r, communitybot.ErrInvalid)
	}
	n, err := s.runScript(ctx, rateTicket, []string{s.ticketKey(no)}, userID, string(r), s.now().UnixMilli()).Int()
	if err != nil {
		return fmt.Errorf("rate ticket %d: %w", no, err)
	}
	switch n {
	case 1:
		return nil
	case 0:
		return ErrTicketDone
	case -2:
		return fmt.Errorf("ticket %d: not the asker: %w", no, communitybot.ErrForbidden)
	case -3:
		return ErrTicketNotAnswered
	}
	return fmt.Errorf("ticket %d: %w", no, communitybot.ErrNotFound)
}

func decodeTicket(m map[string]string) communitybot.Ticket {
	i64 := func(k string) int64 { n, _ := strconv.ParseInt(m[k], 10, 64); return n }
	ms := func(k string) time.Time {
		if n := i64(k); n > 0 {
			return time.UnixMilli(n)
		}
		return time.Time{}
	}
	return communitybot.Ticket{
		No: i64("no"), ChatID: i64("chat"), UserID: i64("user"), UserName: m["uname"], ChatTitle: m["ctitle"],
		Question: m["q"], Normalized: m["norm"], CreatedAt: ms("at"),
		Status:      communitybot.TicketStatus(m["status"]),
		StaffChatID: i64("schat"), StaffMessageID: int(i64("smsg")),
		Answer: m["ans"], AnsweredBy: m["ans_by"], AnsweredID: i64("ans_id"), AnsweredAt: ms("ans_at"),
		Relayed: m["relayed"] == "1",
		Rating:  communitybot.Rating(m["rating"]), RatedAt: ms("rated_at"),
		Learned: m["learned"],
		Kind:    communitybot.TicketKind(m["kind"]),
	}
}
