package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/go-telegram/bot/models"

	"github.com/zhangmiao/communitybot/bot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
	"github.com/zhangmiao/communitybot/intake"
	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestWebhookMode(t *testing.T) {
	addr := freeAddr(t)
	const secret = "s3cret_TOKEN-1"
	hookURL := "http://" + addr + "/telegram/hook"
	h := newHarness(t, withConfig(func(c *bot.Config) {
		c.Mode, c.WebhookURL, c.WebhookSecret, c.WebhookListen = bot.ModeWebhook, hookURL, secret, addr
	}))
	u := resident()
	chat := tgtest.PrivateChat(u)

	// Telegram (the fake) delivers through the webhook it was given.
	r := h.ask(chat, u, "五个张庙是什么")
	mustContain(t, "via webhook", r.PlainText, "美丽张庙")

	update := func(id int64, text string) []byte {
		raw, _ := json.Marshal(models.Update{ID: id, Message: &models.Message{
			ID: int(id), Date: 1, Chat: models.Chat{ID: chat.ID, Type: "private"},
			From: &models.User{ID: u.ID, FirstName: "居民"}, Text: text,
		}})
		return raw
	}
	post := func(secretHeader string, body []byte) int {
		req, _ := http.NewRequest(http.MethodPost, hookURL, bytes.NewReader(body))
		if secretHeader != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secretHeader)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	before := len(h.api.Sent(chat.ID))
	if code := post("", update(900001, "五大行动")); code != http.StatusUnauthorized {
		t.Errorf("missing secret: HTTP %d, want 401", code)
	}
	if code := post("wrong", update(900002, "五大行动")); code != http.StatusUnauthorized {
		t.Errorf("wrong secret: HTTP %d, want 401", code)
	}
	if code := post(secret, []byte("{not json")); code != http.StatusBadRequest {
		t.Errorf("malformed update: HTTP %d, want 400", code)
	}
	// The same update twice (Telegram retrying): acknowledged twice, answered once.
	if code := post(secret, update(900003, "五大行动")); code != http.StatusOK {
		t.Fatalf("good update: HTTP %d, want 200", code)
	}
	if code := post(secret, update(900003, "五大行动")); code != http.StatusOK {
		t.Fatalf("redelivered update: HTTP %d, want 200", code)
	}
	if _, err := h.api.WaitSent(ctxT(t), chat.ID, before+1); err != nil {
		t.Fatal(err)
	}
	marker := h.ask(chat, u, "六大板块")
	mustContain(t, "marker", marker.PlainText, "美丽环保")
	msgs := h.api.Sent(chat.ID)[before:]
	if len(msgs) != 2 {
		var texts []string
		for _, m := range msgs {
			texts = append(texts, m.PlainText[:min(len(m.PlainText), 30)])
		}
		t.Fatalf("got %d replies (%q), want 2: one for the twice-delivered update, one for the marker", len(msgs), texts)
	}
	mustContain(t, "deduplicated update", msgs[0].PlainText, "学习大讨论")
}

func TestRedeliveredUpdateAnsweredOnce(t *testing.T) {
	var faults faultLog
	h := newHarness(t, withFaultLog(&faults))
	u := resident()
	chat := tgtest.PrivateChat(u)
	first := h.api.SendText(chat, u, "五大行动")
	if _, err := h.api.WaitSent(ctxT(t), chat.ID, 1); err != nil {
		t.Fatal(err)
	}
	// Telegram hands the same update out again (at-least-once delivery).
	h.api.InjectUpdate(first)
	marker := h.ask(chat, u, "六大板块")
	mustContain(t, "marker", marker.PlainText, "美丽环保")
	if n := len(h.api.Sent(chat.ID)); n != 2 {
		t.Fatalf("%d replies, want 2 (the duplicate update must not be answered)", n)
	}
	// Counted by the poller right after storing, which may be just after
	// a worker answered the marker.
	eventually(t, func() bool { return faults.count("duplicate_update") >= 1 })
	if faults.count("duplicate_update") != 1 {
		t.Errorf("duplicate reported %d times, want once", faults.count("duplicate_update"))
	}
}

// TestShutdownLosesNothing stops the bot in the middle of a burst of
// updates and starts it again: every update is answered exactly once.
func TestShutdownLosesNothing(t *testing.T) {
	h := newHarness(t)
	const chats, perChat = 8, 5
	questions := []string{"五个张庙", "五大行动", "六大板块", "工作主线", "四个定位"}
	var users []tgtest.User
	for range chats {
		users = append(users, resident())
	}
	for i := range perChat {
		for _, u := range users {
			h.api.SendText(tgtest.PrivateChat(u), u, questions[i])
		}
	}
	// Stop mid-burst: some answered, some in the inbox, some not fetched.
	if err := h.api.WaitUntil(ctxT(t), func() bool { return len(h.api.AllSent()) >= 3 }); err != nil {
		t.Fatal(err)
	}
	h.stop()
	answered := len(h.api.AllSent())
	if answered >= chats*perChat {
		t.Logf("all %d updates were answered before the stop; the restart path was not exercised", answered)
	}
	h.start()
	for _, u := range users {
		chat := tgtest.PrivateChat(u)
		if _, err := h.api.WaitSent(ctxT(t), chat.ID, perChat); err != nil {
			t.Fatalf("chat %d: %v", chat.ID, err)
		}
		// Per-chat order makes this marker the last reply: any duplicate
		// of an earlier update would arrive before it.
		h.ask(chat, u, "/projects")
		msgs := h.api.Sent(chat.ID)
		if len(msgs) != perChat+1 {
			t.Errorf("chat %d got %d replies, want %d", chat.ID, len(msgs), perChat+1)
		}
		for i := range min(perChat, len(msgs)) {
			if msgs[i].PlainText == "" || strings.Contains(msgs[i].PlainText, "抱歉") {
				t.Errorf("chat %d reply %d: %q", chat.ID, i, msgs[i].PlainText)
			}
		}
	}
}

func TestPerChatOrder(t *testing.T) {
	h := newHarness(t)
	u := resident()
	chat := tgtest.PrivateChat(u)
	for n := 1; n <= 7; n++ {
		h.api.SendText(chat, u, fmt.Sprintf("/project %d", n))
	}
	msgs, err := h.api.WaitSent(ctxT(t), chat.ID, 7)
	if err != nil {
		t.Fatal(err)
	}
	list, err := h.store.Projects(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range msgs[:7] {
		if !strings.Contains(m.PlainText, list[i].Name) {
			t.Errorf("reply %d is not about project %d (%s): %.40s", i, i+1, list[i].Name, m.PlainText)
		}
	}
}

func TestPollerOffsetIsPersisted(t *testing.T) {
	h := newHarness(t)
	u := resident()
	chat := tgtest.PrivateChat(u)
	upd := h.api.SendText(chat, u, "/start")
	if err := h.api.WaitConfirmed(ctxT(t), upd.ID); err != nil {
		t.Fatal(err)
	}
	off, err := h.store.PollerOffset(context.Background())
	if err != nil || off != upd.ID+1 {
		t.Fatalf("PollerOffset = %d, %v; want %d", off, err, upd.ID+1)
	}
}

// TestFewerWorkersStrandNothing: updates stored in a partition beyond the
// configured number (WORKERS was lowered between deployments) are moved and
// answered.
func TestFewerWorkersStrandNothing(t *testing.T) {
	store := storagetest.New(t)
	u := resident()
	raw, _ := json.Marshal(models.Update{ID: 777001, Message: &models.Message{
		ID: 1, Date: 1, Chat: models.Chat{ID: u.ID, Type: "private"}, From: &models.User{ID: u.ID, FirstName: "居民"}, Text: "五大行动有哪些",
	}})
	if _, err := store.InboxAppend(context.Background(), []storage.InboxItem{{UpdateID: 777001, Partition: intake.Partitions + 4, Payload: raw}}); err != nil {
		t.Fatal(err)
	}
	h := newHarnessOn(t, store) // 4 partitions
	msgs, err := h.api.WaitSent(ctxT(t), u.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "stranded update", msgs[0].PlainText, "学习大讨论")
	if n, _ := store.InboxLen(context.Background(), intake.Partitions+4); n != 0 {
		t.Errorf("the old partition still holds %d entries", n)
	}
}
