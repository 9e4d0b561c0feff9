package outbound

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
)

// fate records what a Policy tells its ChatFate.
type fate struct {
	mu    sync.Mutex
	gone  []int64
	moved [][2]int64
}

func (f *fate) Gone(_ context.Context, chat int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gone = append(f.gone, chat)
	return nil
}

func (f *fate) Moved(_ context.Context, from, to int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.moved = append(f.moved, [2]int64{from, to})
	return nil
}

// script answers successive attempts with errs, then succeeds, recording
// the chat of every attempt.
type script struct {
	errs  []error
	chats []int64
}

func (s *script) op(_ context.Context, chat int64) error {
	s.chats = append(s.chats, chat)
	if len(s.chats) <= len(s.errs) {
		return s.errs[len(s.chats)-1]
	}
	return nil
}

func quick(f ChatFate, outcomes *[]Outcome) *Policy {
	return New(nil, f, Config{ReplyBudget: 2 * time.Second, BroadcastBudget: 2 * time.Second,
		MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
		Observe: func(_ string, o Outcome) { *outcomes = append(*outcomes, o) }})
}

func TestPolicyDecidesPerError(t *testing.T) {
	fiveHundred := errors.New("error response from telegram for method sendMessage, 500 Internal Server Error")
	rejected := errors.Join(communitybot.ErrRejected, errors.New("400 can't parse entities"))
	gone := errors.Join(communitybot.ErrChatGone, errors.New("403 bot was blocked by the user"))
	moved := func(to int64) error {
		return &communitybot.ChatMigratedError{To: to, Err: errors.New("400 group upgraded")}
	}
	for _, tc := range []struct {
		name      string
		class     Class
		errs      []error
		wantErr   error // nil: success
		wantChats []int64
		wantGone  []int64
		wantMoved [][2]int64
		want      []Outcome
	}{
		{"5xx then ok: retried", Reply, []error{fiveHundred, fiveHundred}, nil, []int64{-5, -5, -5}, nil, nil, []Outcome{Retried, Retried, OK}},
		{"400: not retried", Reply, []error{rejected}, communitybot.ErrRejected, []int64{-5}, nil, nil, []Outcome{Rejected}},
		{"403: not retried, the chat is gone", Broadcast, []error{gone}, communitybot.ErrChatGone, []int64{-5}, []int64{-5}, nil, []Outcome{Forbidden}},
		{"403 on a control call says nothing about the chat", Control, []error{gone}, communitybot.ErrChatGone, []int64{-5}, nil, nil, []Outcome{Forbidden}},
		{"migrated: moved and sent at the new id", Reply, []error{moved(-1005)}, nil, []int64{-5, -1005}, nil, [][2]int64{{-5, -1005}}, []Outcome{Migrated, OK}},
		{"migrated twice: rejected", Broadcast, []error{moved(-1005), moved(-1006)}, communitybot.ErrRejected, []int64{-5, -1005}, nil, [][2]int64{{-5, -1005}}, []Outcome{Migrated, Migrated}},
		{"5xx for ever: given up", Reply, repeat(fiveHundred, 100000), communitybot.ErrTelegramDown, nil, nil, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var outcomes []Outcome
			f := &fate{}
			p := quick(f, &outcomes)
			s := &script{errs: tc.errs}
			_, err := p.Do(context.Background(), Call{Method: "sendMessage", Chat: -5, Class: tc.class}, s.op)
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("Do = %v, want %v", err, tc.wantErr)
			}
			if tc.want == nil { // given up: only the last outcome matters
				if len(outcomes) == 0 || outcomes[len(outcomes)-1] != Failed || len(s.chats) >= len(tc.errs) {
					t.Fatalf("outcomes %v after %d attempts, want the last one failed before the script ran out", outcomes, len(s.chats))
				}
				return
			}
			if !equal(s.chats, tc.wantChats) || !equal(f.gone, tc.wantGone) || len(f.moved) != len(tc.wantMoved) || !equal(outcomes, tc.want) {
				t.Errorf("attempts to %v, gone %v, moved %v, outcomes %v; want %v, %v, %v, %v",
					s.chats, f.gone, f.moved, outcomes, tc.wantChats, tc.wantGone, tc.wantMoved, tc.want)
			}
		})
	}
}

func repeat(err error, n int) []error {
	out := make([]error, n)
	for i := range out {
		out[i] = err
	}
	return out
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A 429 is waited out (retry_after) and the message goes out; the pause is
// the chat's, so another chat is not held.
func TestPolicyWaitsOutA429(t *testing.T) {
	var outcomes []Outcome
	p := quick(nil, &outcomes)
	s := &script{errs: []error{&communitybot.RetryAfterError{After: time.Second, Err: errors.New("429")}}}
	if _, err := p.Do(context.Background(), Call{Method: "sendMessage", Chat: 7, Class: Reply}, s.op); err != nil {
		t.Fatal(err)
	}
	if !equal(outcomes, []Outcome{Throttled, OK}) {
		t.Errorf("outcomes = %v", outcomes)
	}
	if w := p.local.paused(8, time.Now()); w != 0 {
		t.Errorf("another chat waits %v after one chat's 429", w)
	}
}

func TestScopeOfA429(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name   string
		events []scopeEvent // before the 429 under test, oldest first
		chat   int64
		global bool
	}{
		{"no chat: the bot's", nil, 0, true},
		{"one chat again and again: the chat's", []scopeEvent{{chat: 1, throttled: true}, {chat: 1, throttled: true}, {chat: 1, throttled: true}}, 1, false},
		{"many chats, most refused: the bot's", []scopeEvent{{chat: 1, throttled: true}, {chat: 2, throttled: true}, {chat: 4}}, 3, true},
		{"many chats, most accepted: theirs", []scopeEvent{{chat: 1, throttled: true}, {chat: 2, throttled: true}, {chat: 4}, {chat: 5}, {chat: 6}, {chat: 7}}, 3, false},
		{"old refusals do not count", []scopeEvent{{at: now.Add(-2 * time.Second), chat: 1, throttled: true}, {at: now.Add(-2 * time.Second), chat: 2, throttled: true}}, 3, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newScopeTracker()
			for _, e := range tc.events {
				if e.at.IsZero() {
					e.at = now
				}
				s.record(e.chat, e.throttled, e.at)
			}
			if got := s.record(tc.chat, true, now); got != tc.global {
				t.Errorf("global = %v, want %v", got, tc.global)
			}
		})
	}
}

// The local gate: replies queue in order at the rate; a broadcast gets a
// slot only when no more than one is reserved ahead.
func TestLocalGatePutsRepliesFirst(t *testing.T) {
	g := newLocalGate(10) // a slot every 100 ms
	now := time.Now()
	var waits []time.Duration
	for range 3 {
		ok, w := g.admit(1, false, now)
		if !ok {
			t.Fatal("a reply was refused")
		}
		waits = append(waits, w)
	}
	if !equal(waits, []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond}) {
		t.Errorf("reply waits = %v, want their slots in order", waits)
	}
	if ok, w := g.admit(2, true, now); ok || w != 200*time.Millisecond {
		t.Errorf("broadcast behind three replies: ok=%v wait=%v, want refused until one slot is left ahead", ok, w)
	}
	if ok, _ := g.admit(2, true, now.Add(200*time.Millisecond)); !ok {
		t.Error("broadcast refused with one slot ahead")
	}
}
