package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot/bot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

// TestRedisOutage stops Redis for five seconds. The bot keeps answering
// from the content where it can, says plainly what it cannot read, and
// goes back to normal by itself when Redis returns.
func TestRedisOutage(t *testing.T) {
	srv := storagetest.StartServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	store, err := storage.Open(ctx, srv.URL(), storage.Options{Prefix: "outage:"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	h := newHarnessOn(t, store, withConfig(func(c *bot.Config) { c.LeaseTTL = 2 * time.Second }))
	u := resident()
	chat := tgtest.PrivateChat(u)
	r := h.ask(chat, u, "电梯加装进展怎么样")
	mustContain(t, "before the outage", r.PlainText, "状态：推进中")

	srv.Stop()
	down := time.Now()
	r = h.ask(chat, u, "五个张庙是什么")
	mustContain(t, "topic during the outage", r.PlainText, "美丽张庙")
	r = h.ask(chat, u, "架空线入地进展怎么样")
	mustContain(t, "project during the outage", r.PlainText, "架空线入地", "实时进度暂时无法读取")
	if strings.Contains(r.PlainText, "状态：") {
		t.Errorf("claimed a live status while redis was down: %s", r.PlainText)
	}
	time.Sleep(time.Until(down.Add(5 * time.Second))) // the outage lasts five seconds
	srv.Start()

	r = h.ask(chat, u, "社区养老进展怎么样")
	mustContain(t, "after the outage", r.PlainText, "社区养老", "状态：推进中")
	r = h.ask(chat, u, "/project 4")
	mustContain(t, "after the outage", r.PlainText, "电梯加装", "更新记录")
}
