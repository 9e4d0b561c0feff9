package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/zhangmiao/communitybot"
)

// Learned FAQ entries are a list of JSON records, in the order staff made
// them, under the tickets' {tk} hash tag: making one marks its ticket in the
// same script, so a ticket is learned once. The knowledge version is a
// counter every replica polls, so a /learn or /addproject on one replica
// reaches the Q&A of all of them.

func (s *Store) learnedKey() string          { return s.key("{tk}", "learned") }
func (s *Store) knowledgeVersionKey() string { return s.key("kb", "version") }

type learnedRecord struct {
	ID       string `json:"id"`
	Kind     string `json:"k"`
	Target   string `json:"t,omitempty"`
	Question string `json:"q,omitempty"`
	Title    string `json:"ti,omitempty"`
	Answer   string `json:"a,omitempty"`
	Answered int64  `json:"aat,omitempty"` // when staff answered, ms
	Ticket   int64  `json:"tk,omitempty"`
	By       string `json:"by"`
	ByID     int64  `json:"bid"`
	At       int64  `json:"at"`
}

var learnFromTicket = redis.NewScript(`
local t = redis.call('HMGET', KEYS[1], 'status', 'learned')
if not t[1] then return -1 end
if t[1] ~= 'answered' then return -3 end
if t[2] and t[2] ~= '' then return 0 end
redis.call('HSET', KEYS[1], 'learned', ARGV[1])
redis.call('RPUSH', KEYS[2], ARGV[2])
return 1`)

// Learn stores a learned entry made from its ticket (e.Ticket) and bumps
// the knowledge version. The ticket must be answered and not learned yet:
// otherwise ErrTicketNotAnswered or ErrTicketDone; an unknown ticket gives
// an error wrapping communitybot.ErrNotFound.
func (s *Store) Learn(ctx context.Context, e communitybot.LearnedEntry) error {
	if e.At.IsZero() {
		e.At = s.now()
	}
	var answered int64
	if !e.AnsweredAt.IsZero() {
		answered = e.AnsweredAt.UnixMilli()
	}
	raw, err := json.Marshal(learnedRecord{ID: e.ID, Kind: string(e.Kind), Target: e.Target, Question: e.Question,
		Title: e.Title, Answer: e.Answer, Answered: answered, Ticket: e.Ticket, By: e.By, ByID: e.ByID, At: e.At.UnixMilli()})
	if err != nil {
		return err
	}
	n, err := s.runScript(ctx, learnFromTicket, []string{s.ticketKey(e.Ticket), s.learnedKey()}, e.ID, raw).Int()
	if err != nil {
		return fmt.Errorf("learn from ticket %d: %w", e.Ticket, err)
	}
	switch n {
	case 1:
		_, err := s.BumpKnowledgeVersion(ctx)
		return err
	case 0:
		return ErrTicketDone
	case -3:
		return ErrTicketNotAnswered
	}
	return fmt.Errorf("ticket %d: %w", e.Ticket, communitybot.ErrNotFound)
}

// LearnedEntries returns every learned entry, oldest first. A record that
// cannot be read is skipped rather than failing the whole knowledge base.
func (s *Store) LearnedEntries(ctx context.Context) ([]communitybot.LearnedEntry, error) {
	raws, err := s.rdb.LRange(ctx, s.learnedKey(), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("learned entries: %w", err)
	}
	out := make([]communitybot.LearnedEntry, 0, len(raws))
	for _, raw := range raws {
		var r learnedRecord
		if err := json.Unmarshal([]byte(raw), &r); err != nil {
			continue
		}
		out = append(out, r.entry())
	}
	return out, nil
}

// KnowledgeVersion returns the counter bumped by every change to the
// learned entries or the staff-added projects (0 before the first).
func (s *Store) KnowledgeVersion(ctx context.Context) (int64, error) {
	n, err := s.rdb.Get(ctx, s.knowledgeVersionKey()).Int64()
	if isNil(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("knowledge version: %w", err)
	}
	return n, nil
}

// BumpKnowledgeVersion tells every replica to rebuild its knowledge base.
func (s *Store) BumpKnowledgeVersion(ctx context.Context) (int64, error) {
	n, err := s.rdb.Incr(ctx, s.knowledgeVersionKey()).Result()
	if err != nil {
		return 0, fmt.Errorf("bump knowledge version: %w", err)
	}
	return n, nil
}

// unlearn removes one learned record (ARGV[1], the exact stored JSON) and,
// if its ticket still names it (ARGV[2]), clears the ticket's mark so the
// ticket can be learned again. Returns the number of records removed.
//
// KEYS: learned list, ticket.
var unlearn = redis.NewScript(`
local n = redis.call('LREM', KEYS[1], 1, ARGV[1])
if n > 0 and redis.call('HGET', KEYS[2], 'learned') == ARGV[2] then
  redis.call('HSET', KEYS[2], 'learned', '')
end
return n`)

// Unlearn removes the learned entry with this id, frees its ticket to be
// learned again, bumps the knowledge version and returns the entry. An
// unknown id (or one removed meanwhile) gives an error wrapping
// communitybot.ErrNotFound.
func (s *Store) Unlearn(ctx context.Context, id string) (communitybot.LearnedEntry, error) {
	raws, err := s.rdb.LRange(ctx, s.learnedKey(), 0, -1).Result()
	if err != nil {
		return communitybot.LearnedEntry{}, fmt.Errorf("learned entries: %w", err)
	}
	for _, raw := range raws {
		var r learnedRecord
		if json.Unmarshal([]byte(raw), &r) != nil || r.ID != id {
			continue
		}
		n, err := s.runScript(ctx, unlearn, []string{s.learnedKey(), s.ticketKey(r.Ticket)}, raw, r.ID).Int()
		if err != nil {
			return communitybot.LearnedEntry{}, fmt.Errorf("unlearn %s: %w", id, err)
		}
		if n == 0 {
			break // removed by someone else between the read and the script
		}
		if _, err := s.BumpKnowledgeVersion(ctx); err != nil {
			return communitybot.LearnedEntry{}, err
		}
		return r.entry(), nil
	}
	return communitybot.LearnedEntry{}, fmt.Errorf("learned entry %s: %w", id, communitybot.ErrNotFound)
}

func (r learnedRecord) entry() communitybot.LearnedEntry {
	e := communitybot.LearnedEntry{ID: r.ID, Kind: communitybot.LearnKind(r.Kind), Target: r.Target,
		Question: r.Question, Title: r.Title, Answer: r.Answer, Ticket: r.Ticket, By: r.By, ByID: r.ByID, At: time.UnixMilli(r.At)}
	if r.Answered > 0 {
		e.AnsweredAt = time.UnixMilli(r.Answered)
	}
	return e
}
