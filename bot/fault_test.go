package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/bot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
	"github.com/zhangmiao/communitybot/intake"
)

// TestRedisOutage stops Redis for five seconds. The bot keeps answering
// from the content where it can, says plainly what it cannot read, and
// goes back to normal by itself when Redis returns.
func TestRedisOutage(t *testing.T) {
	srv, store := privateRedis(t, "outage:")
	var faults faultLog
	h := newHarnessOn(t, store, withConfig(func(c *bot.Config) { c.LeaseTTL = 2 * time.Second }), withFaultLog(&faults),
		withRouter(func(rt *bot.Router) {
			rt.Command(bot.Command{Name: "members", Role: communitybot.RoleAdmin, Handle: func(ctx context.Context, r *bot.Request) error {
				return r.Reply(ctx, communitybot.Reply{Text: "名单"})
			}})
		}))
	u := resident()
	chat := tgtest.PrivateChat(u)
	r := h.ask(chat, u, "电梯加装进展怎么样")
	mustContain(t, "before the outage", r.PlainText, "登记状态为推进中")

	// Stop Redis only once that answer is acknowledged: stopping it in
	// between would (rightly) have the question answered again afterwards.
	waitInboxEmpty(t, store)
	srv.Stop()
	down := time.Now()
	r = h.ask(chat, u, "五个张庙是什么")
	mustContain(t, "topic during the outage", r.PlainText, "美丽张庙")
	r = h.ask(chat, u, "架空线入地进展怎么样")
	mustContain(t, "project during the outage", r.PlainText, "架空线入地", "暂时无法读取")
	if strings.Contains(r.PlainText, "登记状态为") {
		t.Errorf("claimed a live status while redis was down: %s", r.PlainText)
	}
	// A command that needs Redis (a role check) gets an apology, and the
	// residents after it are still answered.
	r = h.ask(chat, u, "/members")
	mustContain(t, "a staff command during the outage", r.PlainText, "稍后再试")
	r = h.ask(chat, u, "六大板块是指？")
	mustContain(t, "a question after the failed command", r.PlainText, "美丽环保")
	time.Sleep(time.Until(down.Add(5 * time.Second))) // the outage lasts five seconds
	srv.Start()

	// go-redis redials by itself and the store's circuit closes at its
	// next probe; until then answers say the live status is unavailable.
	eventually(t, func() bool {
		pctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return store.Ping(pctx) == nil
	})
	r = h.ask(chat, u, "社区养老进展怎么样")
	mustContain(t, "once redis answers again", r.PlainText, "登记状态为推进中")
	if faults.count("redis_inbox") == 0 || faults.count("degraded") < 2 {
		t.Errorf("the outage was not reported as faults: %+v", faults.kinds)
	}
	r = h.ask(chat, u, "/project 4")
	mustContain(t, "after the outage", r.PlainText, "电梯加装", "更新记录")
}

// TestFloodControl: a user who sends 50 messages in a burst is answered up
// to the limit, told once to slow down, and does not hold up others.
func TestFloodControl(t *testing.T) {
	var faults faultLog
	h := newHarness(t, withConfig(func(c *bot.Config) { c.FloodLimit, c.FloodWindow = 10, time.Minute }), withFaultLog(&faults))
	flooder := resident()
	other := tgtest.User{ID: flooder.ID + intake.Partitions, FirstName: "邻居"} // same partition
	fchat := tgtest.PrivateChat(flooder)
	for i := range 50 {
		h.api.SendText(fchat, flooder, []string{"五个张庙", "五大行动", "六大板块"}[i%3])
	}
	r := h.ask(tgtest.PrivateChat(other), other, "工作主线是什么")
	mustContain(t, "other user during a flood", r.PlainText, "聚合力")

	// Wait until every flood update was taken and handled: a marker from
	// the flooder is dropped too, so wait on the inbox instead.
	eventually(t, func() bool {
		return h.api.Pending() == 0 && len(h.api.Sent(fchat.ID)) >= 11
	})
	h.ask(tgtest.PrivateChat(other), other, "/projects") // the partition is past the burst now
	msgs := h.api.Sent(fchat.ID)
	if len(msgs) != 11 {
		t.Fatalf("flooder got %d messages, want 10 answers and 1 notice", len(msgs))
	}
	notices := 0
	for _, m := range msgs {
		if m.PlainText == bot.FloodNotice {
			notices++
		}
	}
	if notices != 1 {
		t.Fatalf("flooder got %d notices, want 1", notices)
	}
	if faults.count("flood") != 1 {
		t.Errorf("flood reported %d times, want once", faults.count("flood"))
	}
}

// TestHostileMessages sends what users might send at all: every message
// gets a clear, polite reply that Telegram accepts, nothing is echoed
// unescaped, and the bot keeps answering.
func TestHostileMessages(t *testing.T) {
	h := newHarness(t)
	u := resident()
	chat := tgtest.PrivateChat(u)
	inputs := map[string]string{
		"4096 chars":       strings.Repeat("张", 4096),
		"emoji only":       "😀😀🙏🏻👍🏽",
		"rtl":              "\u202eمرحبا بالعالم\u202c",
		"zero width":       "五\u200b个\u200d张\ufeff庙是什么",
		"sql injection":    "'; DROP TABLE users; --",
		"html injection":   "<b>加粗</b><script>alert(1)</script>",
		"markdown":         "*粗体* _斜体_ [链接](http://evil.example)",
		"command injected": "/project <i>电梯</i>",
		"unknown cmd html": "/x<b>",
	}
	for name, text := range inputs {
		r := h.ask(chat, u, text)
		if strings.TrimSpace(r.PlainText) == "" {
			t.Errorf("%s: empty reply", name)
		}
		for _, bad := range []string{"<script", "<b>加粗", "<i>电梯"} {
			if strings.Contains(r.Text, bad) {
				t.Errorf("%s: reply echoes markup %q unescaped:\n%s", name, bad, r.Text)
			}
		}
	}
	r := h.ask(chat, u, "五\u200b个\u200d张\ufeff庙是什么")
	mustContain(t, "zero-width characters", r.PlainText, "美丽张庙")
}

// TestStuckUpdateIsGivenUp: an update that keeps failing for a reason that
// should clear up is retried, then moved to the dead-letter stream after
// GiveUpAfter; the chat's later messages are answered, and other chats are
// not held up meanwhile.
func TestStuckUpdateIsGivenUp(t *testing.T) {
	var faults faultLog
	h := newHarness(t, withFaultLog(&faults),
		withConfig(func(c *bot.Config) { c.GiveUpAfter = 3 * time.Second }),
		withRouter(func(rt *bot.Router) {
			rt.Command(bot.Command{Name: "stuck", Hidden: true, Handle: func(ctx context.Context, r *bot.Request) error {
				return fmt.Errorf("telegram down, for this test: %w", bot.ErrTemporary)
			}})
		}))
	u := resident()
	chat := tgtest.PrivateChat(u)
	h.api.SendText(chat, u, "/stuck")
	other := resident()
	r := h.ask(tgtest.PrivateChat(other), other, "五个张庙是什么")
	mustContain(t, "another chat while one update is stuck", r.PlainText, "美丽张庙")

	r = h.ask(chat, u, "五大行动有哪些") // waits behind /stuck, in order
	mustContain(t, "after the stuck update", r.PlainText, "学习大讨论")
	if n, err := h.store.DeadLetters(context.Background()); err != nil || n != 1 {
		t.Fatalf("DeadLetters = %d, %v; want 1", n, err)
	}
	if faults.count("update_dropped") != 1 {
		t.Errorf("update_dropped reported %d times, want 1", faults.count("update_dropped"))
	}
}
