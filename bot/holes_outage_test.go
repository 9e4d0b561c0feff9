package bot_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/bot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
)

// TestUnanswerableQuestionDuringOutage: a question the bot cannot answer,
// asked while Redis refuses connections, cannot become a ticket. The
// resident is told so, politely, and asked to send it again later; no
// ticket number is promised. Sent again once Redis is back, it becomes a
// ticket as usual.
func TestUnanswerableQuestionDuringOutage(t *testing.T) {
	srv, store := privateRedis(t, "outage-ticket:")
	e := newStaffEnvOn(t, store, withConfig(func(c *bot.Config) { c.LeaseTTL = 2 * time.Second }))
	u := resident()
	chat := tgtest.PrivateChat(u)
	mustContain(t, "before the outage", e.ask(chat, u, "五个张庙是什么").PlainText, "美丽张庙")
	waitInboxEmpty(t, store)

	srv.Stop()
	r := e.ask(chat, u, "街道办事处的电话是多少")
	mustContain(t, "unanswerable during the outage", r.PlainText, "抱歉", "暂时无法把您的问题转交给街道工作人员", "稍后再发送一次")
	for _, promise := range []string{"Q-0", "已转交街道工作人员", "问题编号"} {
		if containsAny(r.PlainText, promise) {
			t.Errorf("the reply promises what did not happen (%q):\n%s", promise, r.PlainText)
		}
	}

	srv.Start()
	eventually(t, func() bool { return store.Ping(context.Background()) == nil })
	if _, err := store.Ticket(context.Background(), 1); !errors.Is(err, communitybot.ErrNotFound) {
		t.Fatalf("a ticket exists for a question the resident was told to send again: %v", err)
	}
	eventually(t, func() bool {
		return containsAny(e.ask(chat, u, "街道办事处的电话是多少").PlainText, "问题编号 Q-0001")
	})
}
