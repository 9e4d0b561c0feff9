package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
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

// TestKillDuringBurst SIGKILLs the bot while a burst of updates is being
// handled and starts it again: every update is answered, and an update is
// answered twice only if the kill fell between its reply and its
// acknowledgement (at most one per chat: a chat's next update waits for
// the previous one's acknowledgement).
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

// partitionOwners returns the pid in each inbox partition's lease (0: none).
func partitionOwners(ctx context.Context, s *storage.Store, prefix string) [intake.Partitions]int {
	var out [intake.Partitions]int
	for p := range intake.Partitions {
		owner, err := s.Client().Get(ctx, prefix+"lease:inbox:"+strconv.Itoa(p)).Result()
		if err != nil {
			continue
		}
		// "host-pid-random"
		if parts := strings.Split(owner, "-"); len(parts) >= 3 {
			out[p], _ = strconv.Atoi(parts[len(parts)-2])
		}
	}
	return out
}

func count(owners [intake.Partitions]int, pid int) int {
	n := 0
	for _, o := range owners {
		if o == pid {
			n++
		}
	}
	return n
}

// TestTwoReplicasShareTheInbox runs two processes on one Redis under a
// steady load: each owns half the inbox partitions and answers about half
// the chats; when one is SIGKILLed the other takes every partition and
// every question is answered, none lost.
func TestTwoReplicasShareTheInbox(t *testing.T) {
	api := tgtest.New()
	defer api.Close()
	prefix := storagetest.Reserve(t)
	p := watchPrograms(t, 3*time.Minute)
	a := p.startChild("a", botEnv(api, prefix))
	b := p.startChild("b", botEnv(api, prefix))
	ctx := p.ctx
	s, err := storage.Open(ctx, storagetest.URL(), storage.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pa, pb := a.cmd.Process.Pid, b.cmd.Process.Pid
	var owners [intake.Partitions]int
	for owners = partitionOwners(ctx, s, prefix); count(owners, pa) != 8 || count(owners, pb) != 8; owners = partitionOwners(ctx, s, prefix) {
		if ctx.Err() != nil {
			t.Fatalf("partitions never split evenly: %v (a=%d, b=%d)", owners, pa, pb)
		}
		time.Sleep(50 * time.Millisecond)
	}

	const chats = 60
	var users []tgtest.User
	for i := range chats {
		users = append(users, tgtest.User{ID: int64(8200 + i), FirstName: "居民"})
	}
	// A steady load: a question every 5 ms, round robin over the chats,
	// five per chat (under the flood limit).
	ask := func(rounds int) {
		for range rounds {
			for _, u := range users {
				api.SendText(tgtest.PrivateChat(u), u, "五个张庙是什么")
				time.Sleep(5 * time.Millisecond)
			}
		}
	}
	answered := func(u tgtest.User) int {
		n := 0
		for _, m := range api.Sent(u.ID) {
			if strings.Contains(m.PlainText, "美丽张庙") {
				n++
			}
		}
		return n
	}
	waitAnswered := func(per int) {
		t.Helper()
		if err := api.WaitUntil(ctx, func() bool {
			for _, u := range users {
				if answered(u) < per {
					return false
				}
			}
			return true
		}); err != nil {
			t.Fatalf("not every question answered (%d each expected): %v", per, err)
		}
	}
	ask(5)
	waitAnswered(5)
	byOwner := map[int]int{}
	for _, u := range users {
		byOwner[owners[intake.PartitionOf(u.ID)]] += answered(u)
	}
	t.Logf("answers by replica: a %d, b %d (of %d)", byOwner[pa], byOwner[pb], chats*5)
	for _, pid := range []int{pa, pb} {
		if byOwner[pid] < chats*5/4 {
			t.Errorf("replica %d answered %d of %d; each should answer about half", pid, byOwner[pid], chats*5)
		}
	}

	b.kill(t)
	killed := time.Now()
	go ask(5)
	for count(partitionOwners(ctx, s, prefix), pa) != intake.Partitions {
		if ctx.Err() != nil {
			t.Fatalf("the survivor never took every partition: %v", partitionOwners(ctx, s, prefix))
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("the survivor owned all %d partitions %s after the kill", intake.Partitions, time.Since(killed).Round(100*time.Millisecond))
	waitAnswered(10)
	t.Logf("every question answered %s after the kill", time.Since(killed).Round(100*time.Millisecond))
	for _, u := range users {
		if n := answered(u); n > 11 {
			t.Errorf("chat %d got %d answers to 10 questions; at most one (in hand at the kill) may repeat", u.ID, n)
		}
	}
}
