package bot_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/bot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
	"github.com/zhangmiao/communitybot/delivery"
	"github.com/zhangmiao/communitybot/storage"
)

// The Sender's limit in these tests is 20 messages a second while the fake
// Bot API enforces Telegram's 30: the margin keeps a busy machine's jitter
// from mattering, and without the limiter the same burst draws dozens of
// 429s.
const testRate = 20

var fast = storage.RateLimit{Rate: 1000, Period: time.Second}

// askAll sends one question from each of n fresh residents at once and
// returns them.
func (h *harness) askAll(n int, text string) []tgtest.User {
	users := make([]tgtest.User, n)
	for i := range users {
		users[i] = resident()
		h.api.SendText(tgtest.PrivateChat(users[i]), users[i], text)
	}
	return users
}

// TestReplyBurstStaysUnderTelegramsLimit: many residents writing at once
// are all answered, through the shared limiter, without a single 429.
func TestReplyBurstStaysUnderTelegramsLimit(t *testing.T) {
	h := newHarness(t, withSender(testRate, fast, fast))
	h.api.SetFloodLimits(&tgtest.FloodLimits{GlobalPerSecond: 30, PerChatPerSecond: 1})
	sentBefore := len(h.api.AllSent())
	callsBefore := h.api.Calls("sendMessage")
	users := h.askAll(60, "五个张庙是什么")
	for _, u := range users {
		if _, err := h.api.WaitSent(ctxT(t), u.ID, 1); err != nil {
			t.Fatalf("resident %d not answered: %v", u.ID, err)
		}
	}
	sent, calls := len(h.api.AllSent())-sentBefore, h.api.Calls("sendMessage")-callsBefore
	if sent != len(users) || calls != sent {
		t.Errorf("%d replies took %d sendMessage calls: %d answered 429", sent, calls, calls-sent)
	}
}

// TestRepliesGoAheadOfBroadcast: residents who write while an
// announcement fans out are answered ahead of it, not behind it: every
// reply goes out before the broadcast finishes, and the broadcast sends
// next to nothing while replies wait.
func TestRepliesGoAheadOfBroadcast(t *testing.T) {
	var engine *delivery.Engine
	h := newHarness(t, withSender(testRate, fast, fast), withDelivery(&engine))
	h.api.SetFloodLimits(&tgtest.FloodLimits{GlobalPerSecond: 30})
	ctx := context.Background()
	subscribers := make([]int64, 80)
	for i := range subscribers {
		subscribers[i] = 7_100_000 + int64(i)
		if _, err := h.store.Subscribe(ctx, subscribers[i], communitybot.TopicAnnouncements); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := engine.Enqueue(ctx, communitybot.Broadcast{Kind: communitybot.KindAnnouncement, Topic: communitybot.TopicAnnouncements,
		Reply: communitybot.Reply{Text: "📢 本周六上午九点社区体检。"}}); err != nil {
		t.Fatal(err)
	}
	isSubscriber := func(id int64) bool { return slices.Contains(subscribers, id) }
	if err := h.api.WaitUntil(ctxT(t), func() bool { return len(h.api.AllSent()) >= 10 }); err != nil {
		t.Fatal(err)
	}
	users := h.askAll(30, "六大板块是指？")
	if err := h.api.WaitUntil(ctxT(t), func() bool { return len(h.api.AllSent()) >= len(subscribers)+len(users) }); err != nil {
		t.Fatalf("not everything was sent: %v", err)
	}
	asker := map[int64]bool{}
	for _, u := range users {
		asker[u.ID] = true
	}
	firstReply, lastReply, lastBroadcast := -1, -1, -1
	for i, m := range h.api.AllSent() {
		switch {
		case asker[m.ChatID]:
			if firstReply < 0 {
				firstReply = i
			}
			lastReply = i
		case isSubscriber(m.ChatID):
			lastBroadcast = i
		}
	}
	if lastReply > lastBroadcast {
		t.Errorf("the last reply went out after the broadcast had finished (message %d, broadcast's last %d)", lastReply, lastBroadcast)
	}
	between := 0
	for _, m := range h.api.AllSent()[firstReply : lastReply+1] {
		if isSubscriber(m.ChatID) {
			between++
		}
	}
	// A broadcast worker that had its slot when the replies came still
	// sends (one per worker); beyond that, broadcasts wait.
	if between > 8 {
		t.Errorf("%d broadcast messages went out while %d replies waited, want the replies first", between, len(users))
	}
}

// TestGlobal429PausesRepliesAndBroadcasts: when Telegram refuses messages
// to many chats, the pause is the bot's and shared in Redis: another
// replica's replies and broadcasts wait too. One chat's own 429s pause
// that chat only.
func TestGlobal429PausesRepliesAndBroadcasts(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	otherReplica := h.store.SendGate(storage.SendGateConfig{})

	// One chat over its own limit: only it waits.
	h.api.SetFloodLimits(&tgtest.FloodLimits{PerChatPerSecond: 1})
	one := resident()
	for range 2 {
		if _, err := h.sender().Send(ctx, one.ID, communitybot.Reply{Text: "测试"}, bot.SendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if h.api.Calls("sendMessage") < 3 {
		t.Fatal("the second message to one chat was not refused; the test proves nothing")
	}
	if ok, _, err := otherReplica.Admit(ctx, 42, false); err != nil || !ok {
		t.Errorf("one chat's 429 holds another chat: ok=%v err=%v", ok, err)
	}
	h.api.SetFloodLimits(nil)

	// Telegram refuses everything: the pause is everyone's.
	h.api.SetFaults(tgtest.Faults{Rate: 1, Kinds: []tgtest.Fault{tgtest.Fault429}, RetryAfter: 3, Methods: []string{"sendMessage"}})
	var wg sync.WaitGroup
	for range 4 {
		u := resident()
		wg.Go(func() {
			if _, err := h.sender().Send(ctx, u.ID, communitybot.Reply{Text: "测试"}, bot.SendOptions{}); err != nil {
				t.Error(err)
			}
		})
	}
	eventually(t, func() bool { return h.api.FaultsInjected() >= 3 })
	eventually(t, func() bool {
		ok, _, err := otherReplica.Admit(ctx, 43, false)
		return err == nil && !ok
	})
	if ok, wait, err := otherReplica.Admit(ctx, 44, true); err != nil || ok || wait <= 0 {
		t.Errorf("a broadcast during the global pause: ok=%v wait=%v err=%v, want it held", ok, wait, err)
	}
	h.api.SetFaults(tgtest.Faults{})
	wg.Wait() // and every reply went out after the pause
}

// TestReplyToBlockedChatUnsubscribes: a reply that meets a 403 ends the
// chat's subscriptions, as a broadcast's does (one ChatFate).
func TestReplyToBlockedChatUnsubscribes(t *testing.T) {
	h := newHarness(t, withSubscriptions())
	u := resident()
	ctx := context.Background()
	if _, err := h.store.Subscribe(ctx, u.ID, communitybot.TopicAnnouncements); err != nil {
		t.Fatal(err)
	}
	h.ask(tgtest.PrivateChat(u), u, "你好")
	h.api.SetBlocked(u.ID, true)
	h.api.SendText(tgtest.PrivateChat(u), u, "五个张庙是什么")
	eventually(t, func() bool { return len(h.topics(u.ID)) == 0 })
}

// TestReplyInMigratedGroupGoesToSupergroup: a message to a group that
// became a supergroup goes out at the new id, and the subscriptions move
// with it.
func TestReplyInMigratedGroupGoesToSupergroup(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	const oldID, newID = -4_200_001, -1_004_200_001
	if _, err := h.store.Subscribe(ctx, oldID, communitybot.TopicReminders); err != nil {
		t.Fatal(err)
	}
	h.api.Migrate(oldID, newID)
	if _, err := h.sender().Send(ctx, oldID, communitybot.Reply{Text: "提醒"}, bot.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := len(h.api.Sent(newID)); n != 1 {
		t.Errorf("the supergroup got %d messages, want 1", n)
	}
	if got := h.topics(newID); len(got) != 1 || got[0] != communitybot.TopicReminders {
		t.Errorf("supergroup's topics = %v, want the group's", got)
	}
	if got := h.topics(oldID); len(got) != 0 {
		t.Errorf("old group still subscribed: %v", got)
	}
}
