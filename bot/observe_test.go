package bot_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/bot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
)

// TestObserverSetWhileSending: the metrics hook may be set while another
// goroutine already sends through the Sender (the staff desk runs before
// the Bot is attached); under -race this is a data race unless the hook is
// published safely. Calls after it is set are reported.
func TestObserverSetWhileSending(t *testing.T) {
	h := newHarness(t)
	b, err := bot.New(h.cfg, h.store, h.router)
	if err != nil {
		t.Fatal(err)
	}
	s := b.Sender()
	u := resident()
	h.api.AddUser(tgtest.User{ID: u.ID, FirstName: u.FirstName})
	ctx := context.Background()

	var wg sync.WaitGroup
	wg.Go(func() {
		for range 20 {
			if _, err := s.Send(ctx, u.ID, communitybot.Reply{Text: "测试"}, bot.SendOptions{}); err != nil {
				t.Error(err)
				return
			}
		}
	})
	var calls atomic.Int64
	s.SetObserver(func(method string, o bot.Outcome) {
		if method == "sendMessage" && o == bot.OutcomeOK {
			calls.Add(1)
		}
	})
	wg.Wait()
	before := calls.Load()
	if _, err := s.Send(ctx, u.ID, communitybot.Reply{Text: "测试"}, bot.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != before+1 {
		t.Fatalf("observer saw %d calls after the last send, want %d", calls.Load(), before+1)
	}
}
