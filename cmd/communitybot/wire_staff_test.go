package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

func TestParseConfigStaff(t *testing.T) {
	c, err := parseConfig(env())
	if err != nil || c.HTTPAddr != "" || c.StaffChatID != 0 {
		t.Fatalf("console defaults: %+v, %v; want no HTTP server, no staff chat", c, err)
	}
	c, err = parseConfig(env("TELEGRAM_BOT_TOKEN", "1:a", "STAFF_CHAT_ID", "-1001234567890"))
	if err != nil || c.HTTPAddr != ":9090" || c.StaffChatID != -1001234567890 {
		t.Fatalf("polling: %+v, %v", c, err)
	}
	c, err = parseConfig(env("TELEGRAM_BOT_TOKEN", "1:a", "HTTP_ADDR", "off"))
	if err != nil || c.HTTPAddr != "" {
		t.Fatalf("HTTP_ADDR=off: %q, %v", c.HTTPAddr, err)
	}
	for _, tc := range []struct{ name, k, v string }{
		{"staff chat not a number", "STAFF_CHAT_ID", "staff"},
		{"staff chat zero", "STAFF_CHAT_ID", "0"},
		{"http addr without port", "HTTP_ADDR", "localhost"},
		{"http addr same as webhook", "HTTP_ADDR", ":8080"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseConfig(env("TELEGRAM_BOT_TOKEN", "1:a", "WEBHOOK_URL", "https://x.org/h", "WEBHOOK_SECRET", "s", tc.k, tc.v))
			if err == nil || !strings.Contains(err.Error(), tc.k) {
				t.Fatalf("parseConfig = %v, want an error naming %s", err, tc.k)
			}
		})
	}
	names := map[string]bool{}
	for _, v := range EnvVars {
		names[v.Name] = true
	}
	if !names["STAFF_CHAT_ID"] || !names["HTTP_ADDR"] {
		t.Error("EnvVars lacks STAFF_CHAT_ID or HTTP_ADDR")
	}
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestRunServesStaffSide runs the program as deployed: a question it cannot
// answer is posted to STAFF_CHAT_ID, an admin's reply reaches the resident,
// and /metrics, /healthz and /readyz answer on HTTP_ADDR and stop with the
// program.
func TestRunServesStaffSide(t *testing.T) {
	api := tgtest.New()
	defer api.Close()
	prefix := storagetest.Prefix(t)
	admin := tgtest.User{ID: 4242, FirstName: "值班员"}
	staffChat := tgtest.SupergroupChat(-1005550001, "员工群")
	helper := storagetest.New(t)
	seed := storage.NewFromClient(helper.Client(), storage.Options{Prefix: prefix})
	if err := seed.SetAccount(context.Background(), communitybot.Account{UserID: admin.ID, Role: communitybot.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { storagetest.Cleanup(t, helper.Client(), prefix) })

	p := watchPrograms(t, 60*time.Second)
	bot := p.start("bot", nil, nil,
		"TELEGRAM_BOT_TOKEN", api.Token(), "TELEGRAM_API_URL", api.URL(),
		"REDIS_URL", storagetest.URL(), "REDIS_PREFIX", prefix,
		"STAFF_CHAT_ID", "-1005550001", "HTTP_ADDR", "127.0.0.1:0")
	wctx := p.ctx
	// The port is the kernel's choice; the program logs it.
	var addr string
	listening := regexp.MustCompile(`msg="metrics and health endpoints listening" addr=(\S+)`)
	p.waitFor("the HTTP server's address in the log", func() bool {
		m := listening.FindStringSubmatch(bot.Logs())
		if m != nil {
			addr = m[1]
		}
		return m != nil
	})

	u := tgtest.User{ID: 88, FirstName: "居民"}
	api.SendText(tgtest.PrivateChat(u), u, "居委会几点上班")
	posts, err := api.WaitSent(wctx, staffChat.ID, 1)
	p.check("a post in the staff chat", err)
	// The desk records the post just after Telegram accepted it; a reply
	// before that would not be taken for an answer.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := seed.TicketByStaffMessage(wctx, staffChat.ID, posts[0].Model.ID); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the staff post was never recorded as the ticket's")
		}
	}
	api.ReplyText(staffChat, admin, posts[0].Model, "食堂今天有面条。")
	msgs, err := api.WaitSent(wctx, u.ID, 2)
	p.check("the relayed answer", err)
	if !strings.Contains(msgs[1].PlainText, "食堂今天有面条。") {
		t.Errorf("relay = %s", msgs[1].PlainText)
	}

	base := "http://" + addr
	if code, _ := httpGet(t, base+"/healthz"); code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	if code, _ := httpGet(t, base+"/readyz"); code != 200 {
		t.Errorf("/readyz = %d", code)
	}
	for _, want := range []string{`communitybot_tickets_total{event="relayed"} 1`, `communitybot_questions_total{result="fallback"} 1`,
		`communitybot_queue_depth{queue="inbox"}`, `communitybot_telegram_calls_total{method="sendMessage",outcome="ok"}`} {
		// The relay is counted just after the message is sent: poll.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			code, page := httpGet(t, base+"/metrics")
			if code == 200 && strings.Contains(page, want) {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("/metrics (%d) lacks %s", code, want)
				break
			}
		}
	}

	if err := bot.shutdown(); err != nil {
		t.Fatalf("run: %v", err)
	}
	if code, _ := httpGet(t, base+"/healthz"); code != 0 {
		t.Errorf("HTTP server still answers after shutdown (%d)", code)
	}
}
