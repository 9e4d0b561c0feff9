package main

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

// haBackends runs f on the shared Sentinel group and the shared Cluster
// (REDIS_HA_TESTS=1), in parallel, with the URL the bot gets as REDIS_URL.
func haBackends(t *testing.T, f func(t *testing.T, url string)) {
	storagetest.RequireHA(t)
	t.Run("sentinel", func(t *testing.T) {
		t.Parallel()
		f(t, storagetest.SharedSentinel(t).URL())
	})
	t.Run("cluster", func(t *testing.T) {
		t.Parallel()
		f(t, storagetest.SharedCluster(t).URL())
	})
}

// runningBot is run() in this process against a fake Bot API.
type runningBot struct {
	t      *testing.T
	api    *tgtest.Server
	logs   *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

// startBot runs the program with REDIS_URL=url under a prefix of its own
// and the extra environment (name, value pairs). It fails the test at once
// with the program's error if run returns early.
func startBot(t *testing.T, api *tgtest.Server, url, prefix string, extra ...string) *runningBot {
	t.Helper()
	kv := append([]string{
		"TELEGRAM_BOT_TOKEN", api.Token(), "TELEGRAM_API_URL", api.URL(),
		"REDIS_URL", url, "REDIS_PREFIX", prefix, "HTTP_ADDR", "off", "LOG_LEVEL", "warn",
	}, extra...)
	ctx, cancel := context.WithCancel(context.Background())
	b := &runningBot{t: t, api: api, logs: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() { b.done <- run(ctx, env(kv...), strings.NewReader(""), io.Discard, b.logs) }()
	t.Cleanup(func() {
		b.stop()
		if t.Failed() {
			t.Logf("bot logs:\n%s", tail(b.logs.String(), 150))
		}
	})
	return b
}

// stop cancels run and waits for it; it fails the test if run failed.
func (b *runningBot) stop() {
	if b.cancel == nil {
		return
	}
	b.cancel()
	b.cancel = nil
	select {
	case err := <-b.done:
		if err != nil {
			b.t.Errorf("run: %v", err)
		}
	case <-time.After(30 * time.Second):
		b.t.Errorf("run did not return 30 s after cancel")
	}
}

// exited fails the test if run already returned.
func (b *runningBot) exited() {
	b.t.Helper()
	select {
	case err := <-b.done:
		b.cancel = nil
		b.t.Fatalf("the program exited early: %v\nlogs:\n%s", err, tail(b.logs.String(), 40))
	default:
	}
}

// ask sends text as u in u's private chat and returns the next message
// the bot sends there.
func (b *runningBot) ask(u tgtest.User, text string) tgtest.Message {
	b.t.Helper()
	return b.askIn(tgtest.PrivateChat(u), u, text)
}

func (b *runningBot) askIn(chat tgtest.Chat, u tgtest.User, text string) tgtest.Message {
	b.t.Helper()
	before := len(b.api.Sent(chat.ID))
	b.api.SendText(chat, u, text)
	return b.waitMessage(chat.ID, before, fmt.Sprintf("a reply to %q", text))
}

// waitMessage waits for the message number n (from 0) in chat.
func (b *runningBot) waitMessage(chat int64, n int, what string) tgtest.Message {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	msgs, err := b.api.WaitSent(ctx, chat, n+1)
	if err != nil {
		b.exited()
		b.t.Fatalf("no %s: %v", what, err)
	}
	return msgs[n]
}

// waitFor polls cond for up to limit.
func (b *runningBot) waitFor(what string, limit time.Duration, cond func() bool) {
	b.t.Helper()
	for deadline := time.Now().Add(limit); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.exited()
			b.t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
	}
}

func mustHave(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Fatalf("%s: %q lacks %q", what, got, w)
		}
	}
}

// TestHAFlows runs the program on Sentinel and on Cluster (REDIS_URL
// redis+sentinel://… and redis+cluster://…, parsed by the bot itself) through
// every flow that touches Redis in its own way: a question with a
// follow-up, subscribing, /announce to 1,000 subscribers, a reminder
// scheduled by an admin, the daily study with its boards, and a ticket
// whose answer is relayed from the staff chat.
func TestHAFlows(t *testing.T) {
	haBackends(t, func(t *testing.T, url string) {
		const subscribers = 1000
		admin := tgtest.User{ID: 8801, FirstName: "管理员"}
		staffChat := tgtest.SupergroupChat(-1005550002, "员工群")
		api := tgtest.New()
		t.Cleanup(api.Close)
		prefix := storagetest.ReserveAt(t, url)
		store := storagetest.NewAt(t, url)
		seed := storage.NewFromClient(store.Client(), storage.Options{Prefix: prefix})
		ctx := context.Background()
		chats := make([]int64, subscribers)
		for i := range chats {
			chats[i] = 7_200_000_000 + int64(i)
			if _, err := seed.Subscribe(ctx, chats[i], communitybot.TopicAnnouncements); err != nil {
				t.Fatal(err)
			}
		}
		b := startBot(t, api, url, prefix,
			"ADMIN_IDS", fmt.Sprint(admin.ID), "STAFF_CHAT_ID", fmt.Sprint(staffChat.ID),
			"TELEGRAM_RATE", "2000", "DELIVERY_PER_CHAT", "100")

		// A reminder first: its minute runs while the other flows do.
		sub := tgtest.User{ID: 8802, FirstName: "居民甲"}
		mustHave(t, "/subscribe 提醒", b.ask(sub, "/subscribe 提醒").PlainText, "已订阅")
		mustHave(t, "/schedule", b.ask(admin, "/schedule 1m 集群测试提醒：明早九点居委会开会").PlainText, "已安排提醒")
		remindersBefore := len(api.Sent(sub.ID))

		// A question and its follow-up.
		r := tgtest.User{ID: 8803, FirstName: "居民乙"}
		mustHave(t, "question", b.ask(r, "电梯加装进展怎么样").PlainText, "电梯加装")
		mustHave(t, "follow-up", b.ask(r, "那架空线呢？").PlainText, "架空线入地")

		// An announcement to 1,000 subscribers.
		b.ask(admin, "/announce 本周六上午九点社区体检，请带好医保卡。")
		b.waitFor("every subscriber's announcement", 120*time.Second, func() bool {
			for _, id := range chats {
				if api.DeliveryCount(id) == 0 {
					return false
				}
			}
			return true
		})
		b.waitFor("the admin's summary", 30*time.Second, func() bool {
			for _, m := range api.Sent(admin.ID) {
				if strings.Contains(m.PlainText, "发送完成") {
					return true
				}
			}
			return false
		})
		for _, id := range chats[:3] {
			mustHave(t, "announcement", api.Sent(id)[0].PlainText, "社区体检")
		}

		// The daily study: invited, joined, answered, on the boards.
		member := tgtest.User{ID: 8804, FirstName: "党员丙"}
		code := regexp.MustCompile(`/join (\S+)`).FindStringSubmatch(b.ask(admin, "/invite 第一党支部").PlainText)
		if code == nil {
			t.Fatal("/invite gave no code")
		}
		mustHave(t, "/join", b.ask(member, "/join "+code[1]).PlainText, "第一党支部")
		prompt := b.ask(member, "/study")
		mustHave(t, "/study", prompt.PlainText, "每日学习")
		btns := prompt.Buttons()
		if len(btns) < 2 {
			t.Fatalf("study prompt has %d buttons", len(btns))
		}
		api.PressButton(tgtest.PrivateChat(member), member, prompt.Model, btns[0].CallbackData)
		b.waitFor("the answered prompt", 30*time.Second, func() bool {
			for _, m := range api.Sent(member.ID) {
				if m.MessageID == prompt.MessageID && m.Edits > 0 {
					return true
				}
			}
			return false
		})
		mustHave(t, "/rank", b.ask(member, "/rank").PlainText, "党员丙（您）", "您：第 1 名")
		mustHave(t, "/branchrank", b.ask(member, "/branchrank").PlainText, "第一党支部")
		mustHave(t, "/mystats", b.ask(member, "/mystats").PlainText, "第一党支部", "连续学习：1 天")

		// A ticket: posted to the staff chat, answered by a reply, relayed.
		asker := tgtest.User{ID: 8805, FirstName: "居民丁"}
		fallback := b.ask(asker, "街道办事处的电话是多少")
		ticket := regexp.MustCompile(`Q-\d+`).FindString(fallback.PlainText)
		if ticket == "" {
			t.Fatalf("fallback names no ticket: %s", fallback.PlainText)
		}
		post := b.waitMessage(staffChat.ID, 0, "post in the staff chat")
		mustHave(t, "staff post", post.PlainText, ticket, "街道办事处的电话是多少")
		b.waitFor("the staff post recorded", 10*time.Second, func() bool {
			_, err := seed.TicketByStaffMessage(ctx, staffChat.ID, post.Model.ID)
			return err == nil
		})
		before := len(api.Sent(asker.ID))
		api.ReplyText(staffChat, admin, post.Model, "食堂今天有面条。")
		mustHave(t, "relayed answer", b.waitMessage(asker.ID, before, "relayed answer").PlainText, "食堂今天有面条。")

		// The reminder, a minute after it was scheduled.
		mustHave(t, "reminder", b.waitMessage(sub.ID, remindersBefore, "reminder").PlainText, "明早九点居委会开会")
		b.stop()
	})
}
