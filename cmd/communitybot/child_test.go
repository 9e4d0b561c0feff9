package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot/bot/tgtest"
	"github.com/zhangmiao/communitybot/intake"
	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

// botEnv is the environment of a child bot on api and the test Redis
// under prefix (see kill_test.go for startChild).
func botEnv(api *tgtest.Server, prefix string, extra ...string) []string {
	return append([]string{
		"TELEGRAM_BOT_TOKEN=" + api.Token(), "TELEGRAM_API_URL=" + api.URL(),
		"REDIS_URL=" + storagetest.URL(), "REDIS_PREFIX=" + prefix,
		"LOG_LEVEL=warn", "HTTP_ADDR=off",
	}, extra...)
}

func (c *child) kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = c.cmd.Wait()
}

func waitCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// TestKillDuringBurst SIGKILLs the bot while a burst of updates is being
// handled and starts it again: every update is answered, and an update is
// answered twice only if the kill fell between its reply and its
// acknowledgement (at most one per chat: a chat's next update waits for
// the previous one's acknowledgement).
func TestKillDuringBurst(t *testing.T) {
	api := tgtest.New()
	defer api.Close()
	prefix := storagetest.Reserve(t)
	first := startChild(t, "first", botEnv(api, prefix))

	const chats = 20
	// Each chat asks for projects 1..7 in order; the replies name them.
	var users []tgtest.User
	for i := range chats {
		u := tgtest.User{ID: int64(7000 + i), FirstName: "居民"}
		users = append(users, u)
		for n := 1; n <= 7; n++ {
			api.SendText(tgtest.PrivateChat(u), u, "/project "+strconv.Itoa(n))
		}
	}
	ctx := waitCtx(t, 60*time.Second)
	if err := api.WaitUntil(ctx, func() bool { return len(api.AllSent()) >= 20 }); err != nil {
		t.Fatal(err)
	}
	first.kill(t)
	killedAt := len(api.AllSent())
	startChild(t, "second", botEnv(api, prefix))

	names := []string{"泗塘一村", "两个美丽", "社区养老", "电梯加装", "架空线入地", "智航", "智慧湾"}
	duplicates := 0
	for _, u := range users {
		chat := tgtest.PrivateChat(u)
		before := len(api.Sent(chat.ID))
		api.SendText(chat, u, "/start") // a marker: per-chat order puts its reply last
		if err := api.WaitUntil(ctx, func() bool {
			msgs := api.Sent(chat.ID)
			return len(msgs) > before && strings.Contains(msgs[len(msgs)-1].PlainText, "社区助手")
		}); err != nil {
			t.Fatalf("chat %d: %v", chat.ID, err)
		}
		msgs := api.Sent(chat.ID)
		replies := msgs[:len(msgs)-1]
		seen := map[string]int{}
		for _, m := range replies {
			for _, n := range names {
				if strings.Contains(m.PlainText, n) {
					seen[n]++
					break
				}
			}
		}
		repeated := 0
		for _, n := range names {
			if seen[n] == 0 {
				t.Errorf("chat %d: /project for %s never answered", chat.ID, n)
			}
			repeated += max(0, seen[n]-1)
		}
		if repeated > 1 {
			t.Errorf("chat %d: %d repeated replies; at most one (the update in hand at the kill) may be", chat.ID, repeated)
		}
		duplicates += repeated
	}
	t.Logf("killed after %d of %d replies; %d duplicate replies after restart", killedAt, chats*7, duplicates)
}

// TestLeaderTakeover runs two replicas on one Redis: one polls, and when
// it is killed the other takes over and answers.
func TestLeaderTakeover(t *testing.T) {
	api := tgtest.New()
	defer api.Close()
	prefix := storagetest.Reserve(t)
	a := startChild(t, "a", botEnv(api, prefix))
	b := startChild(t, "b", botEnv(api, prefix))
	u := tgtest.User{ID: 8100, FirstName: "居民"}
	chat := tgtest.PrivateChat(u)
	ctx := waitCtx(t, 60*time.Second)
	api.SendText(chat, u, "五个张庙是什么")
	if _, err := api.WaitSent(ctx, chat.ID, 1); err != nil {
		t.Fatal(err)
	}

	// Who leads? The lease holds "host-pid-random".
	s, err := storage.Open(ctx, storagetest.URL(), storage.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	owner, err := s.Client().Get(ctx, prefix+"lease:poller").Result()
	if err != nil {
		t.Fatal(err)
	}
	leader, follower := a, b
	if strings.Contains(owner, "-"+strconv.Itoa(b.cmd.Process.Pid)+"-") {
		leader, follower = b, a
	} else if !strings.Contains(owner, "-"+strconv.Itoa(a.cmd.Process.Pid)+"-") {
		t.Fatalf("lease owner %q is neither child", owner)
	}
	// Kill only once the first answer is acknowledged, or the follower
	// would (rightly) answer it again and that reply would be read here.
	if err := waitInboxEmpty(ctx, s); err != nil {
		t.Fatal(err)
	}
	leader.kill(t)
	killed := time.Now()
	api.SendText(chat, u, "五大行动有哪些")
	if err := api.WaitUntil(ctx, func() bool {
		for _, m := range api.Sent(chat.ID) {
			if strings.Contains(m.PlainText, "学习大讨论") {
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("no answer after the leader died: %v", err)
	}
	t.Logf("follower (pid %d) answered %s after the leader was killed", follower.cmd.Process.Pid, time.Since(killed).Round(100*time.Millisecond))
}

// waitInboxEmpty waits until every stored update was acknowledged.
func waitInboxEmpty(ctx context.Context, s *storage.Store) error {
	for {
		n, err := s.InboxBacklog(ctx, intake.Partitions)
		if err == nil && n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("inbox not drained: %d left: %w", n, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
