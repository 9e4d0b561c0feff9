package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot/bot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

// botEnv is the environment of a child bot on api and the test Redis
// under prefix (see kill_test.go for startChild).
func botEnv(api *tgtest.Server, prefix string, extra ...string) []string {
	return append([]string{
		"TELEGRAM_BOT_TOKEN=" + api.Token(), "TELEGRAM_API_URL=" + api.URL(),
		"REDIS_URL=" + storagetest.URL(), "REDIS_PREFIX=" + prefix,
		"LOG_LEVEL=warn", "WORKERS=4", "HTTP_ADDR=off",
	}, extra...)
}

// TestKillDuringBurst SIGKILLs the bot while a burst of updates is being
// handled and starts it again: every update is answered, and an update is
// answered twice only if the kill fell between its reply and its
// acknowledgement (at most one per inbox partition).
func TestKillDuringBurst(t *testing.T) {
	api := tgtest.New()
	defer api.Close()
	prefix := storagetest.Reserve(t)
	p := watchPrograms(t, 90*time.Second)
	first := p.startChild("first", botEnv(api, prefix))

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
	ctx := p.ctx
	p.check("the first 20 replies", api.WaitUntil(ctx, func() bool { return len(api.AllSent()) >= 20 }))
	first.kill(t)
	killedAt := len(api.AllSent())
	p.startChild("second", botEnv(api, prefix))

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
			p.check(fmt.Sprintf("chat %d", chat.ID), err)
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
		for _, n := range names {
			if seen[n] == 0 {
				t.Errorf("chat %d: /project for %s never answered", chat.ID, n)
			}
			duplicates += max(0, seen[n]-1)
		}
	}
	t.Logf("killed after %d of %d replies; %d duplicate replies after restart", killedAt, chats*7, duplicates)
	if duplicates > 4 { // one in-flight update per partition (WORKERS=4)
		t.Errorf("%d duplicate replies; at most one per partition (4) may be repeated", duplicates)
	}
}

// TestLeaderTakeover runs two replicas on one Redis: one polls, and when
// it is killed the other takes over and answers.
func TestLeaderTakeover(t *testing.T) {
	api := tgtest.New()
	defer api.Close()
	prefix := storagetest.Reserve(t)
	p := watchPrograms(t, 60*time.Second)
	a := p.startChild("a", botEnv(api, prefix))
	b := p.startChild("b", botEnv(api, prefix))
	u := tgtest.User{ID: 8100, FirstName: "居民"}
	chat := tgtest.PrivateChat(u)
	ctx := p.ctx
	api.SendText(chat, u, "五个张庙是什么")
	_, err := api.WaitSent(ctx, chat.ID, 1)
	p.check("the first answer", err)

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
	p.check("the inbox drained", waitInboxEmpty(ctx, s))
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
		p.check("an answer after the leader died", err)
	}
	t.Logf("follower (pid %d) answered %s after the leader was killed", follower.cmd.Process.Pid, time.Since(killed).Round(100*time.Millisecond))
}

// waitInboxEmpty waits until every stored update was acknowledged.
func waitInboxEmpty(ctx context.Context, s *storage.Store) error {
	for {
		n, err := s.InboxBacklog(ctx, bot.Partitions)
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
