package bot

import (
	"context"
	"sync"
	"testing"

	"github.com/zhangmiao/communitybot"
)

// ctxReplies is a ReplyStore that, like a Redis client, refuses a call
// whose context is done.
type ctxReplies struct {
	mu sync.Mutex
	m  map[string]string
}

func (s *ctxReplies) ClaimOnce(ctx context.Context, key, value string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.m[key]; ok {
		return v, nil
	}
	s.m[key] = value
	return value, nil
}

func (s *ctxReplies) OnceValue(ctx context.Context, key string) (string, bool, error) {
	if err := ctx.Err(); err != nil {
		return "", false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	return v, ok, nil
}

// TestReplyOnceRecordsAChangeMadePastTheDeadline: a change that finishes
// after the handling's deadline ran out is still recorded, so the next
// handling of the update repeats the reply instead of the change.
func TestReplyOnceRecordsAChangeMadePastTheDeadline(t *testing.T) {
	store := &ctxReplies{m: map[string]string{}}
	if _, err := store.ClaimOnce(canceled(), "guard", "x"); err == nil {
		t.Fatal("the fake store accepts a done context: the test would prove nothing")
	}
	r := &Request{UpdateID: 7, ChatID: 1, MessageID: 2}
	changes := 0
	change := func(ctx context.Context) (communitybot.Reply, error) {
		changes++
		return communitybot.Reply{}, nil // nothing to send: only the record is under test
	}
	ctx, cancel := context.WithCancel(context.Background())
	err := replyOnce(ctx, store, r, func(ctx context.Context) (communitybot.Reply, error) {
		defer cancel() // the deadline runs out while the change is made
		return change(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := replyOnce(context.Background(), store, r, change); err != nil {
		t.Fatal(err)
	}
	if changes != 1 {
		t.Fatalf("the change was made %d times, want once", changes)
	}
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
