package bot_test

import (
	"context"
	"sync"
	"testing"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/bot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
	"github.com/zhangmiao/communitybot/outbound"
)

// outcomeLog records what the Sender's policy reports per attempt, as the
// metrics would count it.
type outcomeLog struct {
	mu  sync.Mutex
	got map[string]int // "method outcome"
}

func (l *outcomeLog) record(method string, o outbound.Outcome) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.got == nil {
		l.got = map[string]int{}
	}
	l.got[method+" "+string(o)]++
}

func (l *outcomeLog) count(method string, o outbound.Outcome) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.got[method+" "+string(o)]
}

// TestSenderReportsEveryAttempt: the observer the Sender is built with is
// told each attempt's outcome under one label per outcome: a 429 is
// "throttled", a 500 "retried", the success "ok".
func TestSenderReportsEveryAttempt(t *testing.T) {
	var outcomes outcomeLog
	h := newHarness(t, func(h *harness) { h.observe = outcomes.record })
	u := resident()
	h.api.AddUser(tgtest.User{ID: u.ID, FirstName: u.FirstName})
	ctx := context.Background()
	for _, f := range []tgtest.Fault{tgtest.Fault429, tgtest.Fault500} {
		injected := h.api.FaultsInjected()
		h.api.SetFaults(tgtest.Faults{Rate: 1, Kinds: []tgtest.Fault{f}, Methods: []string{"sendMessage"}})
		done := make(chan error, 1)
		go func() {
			_, err := h.sender().Send(ctx, u.ID, communitybot.Reply{Text: "测试"}, bot.SendOptions{})
			done <- err
		}()
		eventually(t, func() bool { return h.api.FaultsInjected() > injected })
		h.api.SetFaults(tgtest.Faults{})
		if err := <-done; err != nil {
			t.Fatalf("send after a %s: %v", f, err)
		}
	}
	for _, want := range []outbound.Outcome{outbound.Throttled, outbound.Retried, outbound.OK} {
		if outcomes.count("sendMessage", want) == 0 {
			t.Errorf("no sendMessage attempt reported as %q: %v", want, outcomes.got)
		}
	}
	if n := outcomes.count("sendMessage", outbound.OK); n != 2 {
		t.Errorf("%d sends reported ok, want 2", n)
	}
}
