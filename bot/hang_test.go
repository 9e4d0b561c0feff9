package bot_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot/bot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
	"github.com/zhangmiao/communitybot/metrics"
)

// TestRedisHang stops a private redis-server with SIGSTOP: it keeps its
// port and connections and answers nothing, which go-redis's defaults
// would wait out on every call. Residents still get content answers while
// it hangs, /readyz says 503, and after SIGCONT answers are live again.
func TestRedisHang(t *testing.T) {
	srv, store := privateRedis(t, "hang:")
	ready := httptest.NewServer(metrics.New(testLogger()).Handler(store.Ping))
	t.Cleanup(ready.Close)
	readyz := func() int {
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(ready.URL + "/readyz")
		if err != nil {
			t.Fatalf("/readyz: %v", err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	h := newHarnessOn(t, store, withConfig(func(c *bot.Config) { c.LeaseTTL = 2 * time.Second }))
	u := resident()
	chat := tgtest.PrivateChat(u)
	r := h.ask(chat, u, "电梯加装进展怎么样")
	mustContain(t, "before the hang", r.PlainText, "登记状态为推进中")
	waitInboxEmpty(t, store) // acknowledged, so not answered again after the hang
	if code := readyz(); code != http.StatusOK {
		t.Fatalf("/readyz before the hang = %d", code)
	}

	srv.Suspend()
	hung := time.Now()
	r = h.ask(chat, u, "五个张庙是什么")
	mustContain(t, "topic while redis hangs", r.PlainText, "美丽张庙")
	t.Logf("first answer %v into the hang (a figure for the README, not a check)", time.Since(hung).Round(time.Millisecond))
	r = h.ask(chat, u, "架空线入地进展怎么样")
	mustContain(t, "project while redis hangs", r.PlainText, "架空线入地", "暂时无法读取")
	if strings.Contains(r.PlainText, "登记状态为") {
		t.Errorf("claimed a live status while redis hung: %s", r.PlainText)
	}
	asked := time.Now()
	if code := readyz(); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz while redis hangs = %d, want 503", code)
	}
	t.Logf("/readyz answered in %v", time.Since(asked).Round(time.Millisecond))
	r = h.ask(chat, u, "六大板块是指？")
	mustContain(t, "a later question while redis hangs", r.PlainText, "美丽环保")

	srv.Continue()
	eventually(t, func() bool {
		pctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return store.Ping(pctx) == nil
	})
	// Writes the client gave up on during the hang were still in Redis's
	// socket and are applied on SIGCONT, so updates answered meanwhile may
	// be in the inbox and answered once more: look for the live answer
	// among what follows.
	before := len(h.api.Sent(chat.ID))
	h.api.SendText(chat, u, "社区养老进展怎么样")
	if err := h.api.WaitUntil(ctxT(t), func() bool {
		for _, m := range h.api.Sent(chat.ID)[before:] {
			if strings.Contains(m.PlainText, "登记状态为推进中") {
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("no live answer after SIGCONT: %v", err)
	}
	if code := readyz(); code != http.StatusOK {
		t.Errorf("/readyz after SIGCONT = %d", code)
	}
}
