package storage

import (
	"context"
	_ "embed"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/zhangmiao/communitybot"
)

//go:embed lua/create_ticket.lua
var createTicketLua string

var createTicket = redis.NewScript(createTicketLua)

// ticketCreation is what CreateTicket keeps in the process so that a ticket
// usually costs one round trip, with no lock shared by all chats:
//
//   - numbers: ticket numbers come from blocks of the counter reserved with
//     INCRBY. A block is one number when tickets are rare, so numbers stay
//     consecutive, and doubles (up to maxTicketBlock) while tickets come
//     faster than one a second, so under load a reservation is one round
//     trip per many tickets. A number not used (the question was a repeat,
//     or the user has too many open tickets) goes back to the pool. So
//     numbers are unique but, with several replicas, not in creation order,
//     and a replica that stops leaves the rest of its block unused.
//   - recent: each user's recent ticket numbers as last seen, so the
//     script gets their keys without a read first. The script checks the
//     list against Redis and sends the right one back when it is stale
//     (another replica made a ticket for the user), and the call is made
//     again with it; an unknown user is first tried as one without
//     tickets.
//   - users: a user's tickets are created one at a time in the process
//     (a lock per stripe of users), so the list is never stale from our
//     own doing.
type ticketCreation struct {
	numMu    sync.Mutex
	free     []int64 // reserved numbers not used yet, ascending
	block    int64   // size of the last reservation
	reserved time.Time

	recentMu sync.Mutex
	recent   map[int64][]string

	userLocks [256]sync.Mutex
}

// maxTicketBlock bounds a reservation of ticket numbers (the numbers a
// stopped replica leaves unused).
const maxTicketBlock = 64

// maxRecentUsers bounds the recent-ticket cache; past it, it starts over.
const maxRecentUsers = 4096

// recentTickets is how many of a user's latest tickets the open-ticket
// limit and the repeat check look at.
const recentTickets = 20

func (tc *ticketCreation) number(ctx context.Context, s *Store) (int64, error) {
	tc.numMu.Lock()
	defer tc.numMu.Unlock()
	if len(tc.free) == 0 {
		n := int64(1)
		if !tc.reserved.IsZero() && time.Since(tc.reserved) < time.Second {
			n = min(max(tc.block, 1)*2, maxTicketBlock)
		}
		last, err := s.rdb.IncrBy(ctx, s.ticketSeqKey(), n).Result()
		if err != nil {
			return 0, err
		}
		tc.block, tc.reserved = n, time.Now()
		for no := last - n + 1; no <= last; no++ {
			tc.free = append(tc.free, no)
		}
	}
	no := tc.free[0]
	tc.free = tc.free[1:]
	return no, nil
}

// giveBack returns an unused number to the pool, smallest first out.
func (tc *ticketCreation) giveBack(no int64) {
	tc.numMu.Lock()
	defer tc.numMu.Unlock()
	i, _ := slices.BinarySearch(tc.free, no)
	tc.free = slices.Insert(tc.free, i, no)
}

func (tc *ticketCreation) recentOf(user int64) []string {
	tc.recentMu.Lock()
	defer tc.recentMu.Unlock()
	return tc.recent[user]
}

func (tc *ticketCreation) setRecent(user int64, nos []string) {
	tc.recentMu.Lock()
	defer tc.recentMu.Unlock()
	if tc.recent == nil || len(tc.recent) >= maxRecentUsers {
		tc.recent = map[int64][]string{}
	}
	tc.recent[user] = nos
}

func (tc *ticketCreation) lockUser(user int64) func() {
	m := &tc.userLocks[uint64(user)%uint64(len(tc.userLocks))]
	m.Lock()
	return m.Unlock
}

// CreateTicket stores a new open ticket for t (No, Status and CreatedAt are
// set here) and returns it. When the user already has an open ticket with
// the same normalized question, that one is returned with reused set. A
// user with maxOpen open tickets gets ErrTooManyOpen. With post set the
// ticket is queued for posting to the staff chat (ClaimUnposted).
//
// Usually one round trip (see ticketCreation); ticket numbers are unique,
// consecutive within a replica while it runs.
func (s *Store) CreateTicket(ctx context.Context, t communitybot.Ticket, maxOpen int, post bool) (communitybot.Ticket, bool, error) {
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.now()
	}
	postFlag := "0"
	if post {
		postFlag = "1"
	}
	fields := []any{"chat", t.ChatID, "user", t.UserID, "uname", t.UserName, "ctitle", t.ChatTitle,
		"q", t.Question, "norm", t.Normalized, "at", t.CreatedAt.UnixMilli(), "kind", string(t.Kind)}
	tc := &s.ticketMaker
	defer tc.lockUser(t.UserID)()
	no, err := tc.number(ctx, s)
	if err != nil {
		return communitybot.Ticket{}, false, fmt.Errorf("create ticket: number: %w", err)
	}
	used := false
	defer func() {
		if !used {
			tc.giveBack(no)
		}
	}()
	recent := tc.recentOf(t.UserID)
	// The list can only be stale when another replica creates tickets for
	// the same user at the same moment; the bound guards against a bug.
	for range 10 {
		keys := []string{s.ticketOpenKey(), s.userTicketsKey(t.UserID), s.ticketUnpostedKey(), s.ticketKey(no)}
		args := []any{t.Normalized, maxOpen, t.CreatedAt.UnixMilli(), postFlag, no, len(recent)}
		for _, rno := range recent {
			keys = append(keys, s.ticketPrefix()+rno)
			args = append(args, rno)
		}
		res, err := s.script(ctx, createTicket, keys, append(args, fields...)...).Slice()
		if err != nil {
			// The ticket may have been created (a timeout after Redis ran
			// the script): the number is not given back.
			used = true
			return communitybot.Ticket{}, false, fmt.Errorf("create ticket: %w", err)
		}
		if len(res) < 2 {
			used = true
			return communitybot.Ticket{}, false, fmt.Errorf("create ticket: script replied %d values", len(res))
		}
		code, _ := res[1].(int64)
		switch code {
		case 0:
			used = true
			tc.setRecent(t.UserID, append([]string{strconv.FormatInt(no, 10)}, recent[:min(len(recent), recentTickets-1)]...))
			t.No, t.Status = no, communitybot.TicketOpen
			return t, false, nil
		case 1:
			tc.setRecent(t.UserID, recent)
			return decodeTicket(hashOf(res)), true, nil
		case 2:
			tc.setRecent(t.UserID, recent)
			return communitybot.Ticket{}, false, ErrTooManyOpen
		case 3:
			recent = stringsOf(res)
			continue
		}
		return communitybot.Ticket{}, false, fmt.Errorf("create ticket: script replied code %d", code)
	}
	return communitybot.Ticket{}, false, fmt.Errorf("create ticket: the user's tickets keep changing: %w", communitybot.ErrConflict)
}

// stringsOf returns the list a script sent as its third value.
func stringsOf(res []any) []string {
	if len(res) < 3 {
		return nil
	}
	vals, _ := res[2].([]any)
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// hashOf returns the flat HGETALL a script sent as its third value.
func hashOf(res []any) map[string]string {
	kv := stringsOf(res)
	m := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}
