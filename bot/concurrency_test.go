package bot_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/bot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
)

// TestSlowChatDoesNotDelayOthers: every send to one chat is answered 429
// (retry_after 1) for at least 10 s; 50 other chats asking meanwhile are
// all answered while that chat is still throttled, and the slow chat gets
// its answer, once, when the throttling ends.
func TestSlowChatDoesNotDelayOthers(t *testing.T) {
	h := newHarness(t)
	slow := resident()
	slowChat := tgtest.PrivateChat(slow)
	h.api.SetFaults(tgtest.Faults{Rate: 1, Kinds: []tgtest.Fault{tgtest.Fault429}, RetryAfter: 1,
		Methods: []string{"sendMessage"}, Chats: []int64{slowChat.ID}})
	throttled := time.Now()
	h.api.SendText(slowChat, slow, "五个张庙是什么")
	eventually(t, func() bool { return h.api.FaultsInjected() >= 1 }) // its reply was refused once

	var others []tgtest.User
	for range 50 {
		u := resident()
		others = append(others, u)
		h.api.SendText(tgtest.PrivateChat(u), u, "五大行动有哪些")
	}
	for _, u := range others {
		msgs, err := h.api.WaitSent(ctxT(t), u.ID, 1)
		if err != nil {
			t.Fatalf("chat %d not answered while another chat was throttled: %v", u.ID, err)
		}
		mustContain(t, "a chat beside the throttled one", msgs[0].PlainText, "学习大讨论")
	}
	if n := len(h.api.Sent(slowChat.ID)); n != 0 {
		t.Fatalf("the throttled chat got %d messages while every send to it was refused", n)
	}
	t.Logf("50 chats answered %s into the slow chat's throttling (%d 429s so far)",
		time.Since(throttled).Round(10*time.Millisecond), h.api.FaultsInjected())

	time.Sleep(time.Until(throttled.Add(10 * time.Second))) // the throttling lasts 10 s
	h.api.SetFaults(tgtest.Faults{})
	msgs, err := h.api.WaitSent(ctxT(t), slowChat.ID, 1)
	if err != nil {
		t.Fatal("the slow chat was never answered after the throttling ended:", err)
	}
	mustContain(t, "the slow chat", msgs[0].PlainText, "美丽张庙")
	marker := h.ask(slowChat, slow, "六大板块")
	mustContain(t, "marker", marker.PlainText, "美丽环保")
	if n := len(h.api.Sent(slowChat.ID)); n != 2 {
		t.Errorf("the slow chat got %d messages, want 2 (its answer once, then the marker)", n)
	}
}

// TestOrderPerChatUnderConcurrency: 20 chats each send 200 numbered
// messages at once; every chat gets 200 replies, in the order it sent.
func TestOrderPerChatUnderConcurrency(t *testing.T) {
	h := newHarness(t, withConfig(func(c *bot.Config) { c.FloodLimit = -1 }),
		withRouter(func(rt *bot.Router) {
			rt.Text(func(ctx context.Context, r *bot.Request) error {
				return r.Reply(ctx, communitybot.Reply{Text: "收到" + strings.TrimPrefix(r.Text, "第")})
			})
		}))
	const chats, per = 20, 200
	var users []tgtest.User
	for range chats {
		users = append(users, resident())
	}
	for n := 1; n <= per; n++ {
		for _, u := range users {
			h.api.SendText(tgtest.PrivateChat(u), u, fmt.Sprintf("第%d条", n))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, u := range users {
		msgs, err := h.api.WaitSent(ctx, u.ID, per)
		if err != nil {
			t.Fatalf("chat %d: %v", u.ID, err)
		}
		for i, m := range msgs {
			if want := "收到" + strconv.Itoa(i+1) + "条"; m.PlainText != want {
				t.Fatalf("chat %d: reply %d is %q, want %q (out of order or lost)", u.ID, i+1, m.PlainText, want)
			}
		}
	}
}
