package delivery_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/bot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
	"github.com/zhangmiao/communitybot/delivery"
	"github.com/zhangmiao/communitybot/outbound"
	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

func testLogger() *slog.Logger {
	if os.Getenv("TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// fixture is an engine on the real Redis, posting through the real
// go-telegram/bot client to the fake Bot API.
type fixture struct {
	t      *testing.T
	api    *tgtest.Server
	store  *storage.Store
	poster *bot.Sender
	engine *delivery.Engine
	cfg    delivery.Config
	stop   func()
}

func newFixture(t *testing.T, opts ...func(*delivery.Config)) *fixture {
	t.Helper()
	api := tgtest.New()
	t.Cleanup(api.Close)
	store := storagetest.New(t)
	cfg := delivery.Config{
		Workers: 3, ChunkSize: 7, ClaimIdle: 2 * time.Second, ProgressEvery: 50 * time.Millisecond,
		ReadBlock: 200 * time.Millisecond, Logger: testLogger(),
	}
	for _, o := range opts {
		o(&cfg)
	}
	f := &fixture{t: t, api: api, store: store, poster: newSender(t, api, store, 2000), cfg: cfg, stop: func() {}}
	f.engine = delivery.New(store, f.poster, cfg)
	return f
}

// newSender returns the path every message takes, as the bot wires it:
// the outbound policy over the shared send gate (rate messages a second;
// the per-chat and per-group limits raised for tests) and the ChatFate
// over store.
func newSender(t *testing.T, api *tgtest.Server, store *storage.Store, rate int) *bot.Sender {
	t.Helper()
	gate := store.SendGate(storage.SendGateConfig{Rate: rate,
		PerChat:  storage.RateLimit{Rate: 1000, Period: time.Second},
		PerGroup: storage.RateLimit{Rate: 1000, Period: time.Second}})
	policy := outbound.New(gate, outbound.NewChatSubscriptions(store, testLogger()), outbound.Config{
		Rate: rate, BroadcastBudget: 20 * time.Second, Logger: testLogger()})
	s, err := bot.NewSender(bot.SenderConfig{Token: api.Token(), APIURL: api.URL(), Logger: testLogger()}, policy)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// start runs the engine's workers until stop or the test's end.
func (f *fixture) start() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := f.engine.Run(ctx); err != nil {
			f.t.Errorf("Run: %v", err)
		}
	}()
	f.stop = func() {
		cancel()
		<-done
	}
	f.t.Cleanup(f.stop)
}

func (f *fixture) subscribe(t communitybot.Topic, ids ...int64) {
	f.t.Helper()
	for _, id := range ids {
		if _, err := f.store.Subscribe(context.Background(), id, t); err != nil {
			f.t.Fatal(err)
		}
	}
}

// wait waits until the broadcast has finished and returns its status.
func (f *fixture) wait(id string) communitybot.BroadcastStatus {
	f.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, err := f.engine.Status(context.Background(), id)
		if err != nil {
			f.t.Fatal(err)
		}
		if st.Finished() {
			return st
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("broadcast %s not finished: %+v", id, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func ids(from, n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(from + i)
	}
	return out
}

func (f *fixture) wantDeliveries(chats []int64, want int) {
	f.t.Helper()
	for _, id := range chats {
		if got := f.api.DeliveryCount(id); got != want {
			f.t.Errorf("chat %d got %d messages, want %d", id, got, want)
		}
	}
}

func TestBroadcastReachesEverySubscriberOnce(t *testing.T) {
	f := newFixture(t)
	const admin = 900001
	users := ids(100001, 60)
	group := int64(-4001)
	f.subscribe(communitybot.TopicAnnouncements, users...)
	f.subscribe(communitybot.TopicAnnouncements, group)
	f.subscribe(communitybot.TopicReminders, 555) // another topic: not in the audience
	f.start()

	b, err := f.engine.Enqueue(context.Background(), communitybot.Broadcast{
		Kind: communitybot.KindAnnouncement, Topic: communitybot.TopicAnnouncements,
		Reply: communitybot.Reply{Text: "📢 <b>公告</b>\n\n周六上午 9 点社区体检"}, CreatedBy: admin, ReportTo: admin,
	})
	if err != nil || b.ID == "" {
		t.Fatalf("Enqueue = %+v, %v", b, err)
	}
	st := f.wait(b.ID)
	if st.Total != 61 || st.Delivered != 61 || st.Blocked+st.Failed+st.Skipped != 0 {
		t.Errorf("status = %+v, want 61 delivered", st)
	}
	f.wantDeliveries(append(users, group), 1)
	if n := f.api.DeliveryCount(555); n != 0 {
		t.Errorf("a reminders subscriber got %d announcement messages", n)
	}
	if msgs := f.api.Sent(users[0]); len(msgs) != 1 || !strings.Contains(msgs[0].PlainText, "社区体检") {
		t.Errorf("user's message = %+v", msgs)
	}

	// The admin gets one progress message that turns into the summary.
	if err := f.api.WaitUntil(ctxT(t), func() bool {
		msgs := f.api.Sent(admin)
		return len(msgs) == 1 && strings.Contains(msgs[0].PlainText, "发送完成")
	}); err != nil {
		t.Fatalf("admin's report: %+v", f.api.Sent(admin))
	}
	summary := f.api.Sent(admin)[0].PlainText
	for _, want := range []string{"公告 #" + b.ID, "共 61 位接收者", "送达 61", "用时"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, summary)
		}
	}
	recent, err := f.engine.Recent(context.Background(), 5)
	if err != nil || len(recent) != 1 || recent[0].ID != b.ID {
		t.Errorf("Recent = %+v, %v", recent, err)
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestBlockedChatsAreUnsubscribedAndMigratedGroupsMoved(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.store.SeedProjects(ctx, []communitybot.Project{{ID: "elevator", Number: 1, Name: "电梯加装", Status: communitybot.StatusInProgress, Progress: communitybot.NoProgress}}); err != nil {
		t.Fatal(err)
	}
	elevator := communitybot.ProjectTopic("elevator")
	users := ids(200001, 5)
	const oldGroup, newGroup = int64(-5001), int64(-1001000005001)
	f.subscribe(communitybot.TopicAnnouncements, append(users, oldGroup)...)
	f.subscribe(elevator, users[2], oldGroup)
	f.api.SetBlocked(users[2], true)
	f.api.Migrate(oldGroup, newGroup)
	f.start()

	b, err := f.engine.Enqueue(ctx, communitybot.Broadcast{Kind: communitybot.KindAnnouncement, Topic: communitybot.TopicAnnouncements, Reply: communitybot.Reply{Text: "通知"}})
	if err != nil {
		t.Fatal(err)
	}
	st := f.wait(b.ID)
	if st.Total != 6 || st.Delivered != 5 || st.Blocked != 1 || st.Migrated != 1 || st.Failed != 0 {
		t.Errorf("status = %+v; want 5 delivered (one migrated), 1 blocked", st)
	}
	if n := f.api.DeliveryCount(newGroup); n != 1 {
		t.Errorf("migrated group got %d messages at its new id, want 1", n)
	}
	all := []communitybot.Topic{communitybot.TopicAnnouncements, communitybot.TopicReminders, elevator}
	if got, _ := f.store.SubscribedTopics(ctx, users[2], all); len(got) != 0 {
		t.Errorf("blocked chat still subscribes to %v", got)
	}
	if got, _ := f.store.SubscribedTopics(ctx, oldGroup, all); len(got) != 0 {
		t.Errorf("old group id still subscribes to %v", got)
	}
	if got, _ := f.store.SubscribedTopics(ctx, newGroup, all); !slices.Equal(got, []communitybot.Topic{communitybot.TopicAnnouncements, elevator}) {
		t.Errorf("new group id subscribes to %v, want announcements and elevator", got)
	}

	// The next broadcast goes to the new id directly and skips the blocked user.
	b2, _ := f.engine.Enqueue(ctx, communitybot.Broadcast{Kind: communitybot.KindAnnouncement, Topic: communitybot.TopicAnnouncements, Reply: communitybot.Reply{Text: "第二条"}})
	if st := f.wait(b2.ID); st.Total != 5 || st.Delivered != 5 || st.Migrated != 0 {
		t.Errorf("second broadcast = %+v, want 5 delivered", st)
	}
}

func TestTransientFailuresAreRetriedWithoutDuplicates(t *testing.T) {
	for _, tc := range []struct {
		name  string
		kinds []tgtest.Fault
	}{
		{"429", []tgtest.Fault{tgtest.Fault429}},
		{"5xx", []tgtest.Fault{tgtest.Fault500, tgtest.FaultBadGateway}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			users := ids(300001, 20)
			f.subscribe(communitybot.TopicReminders, users...)
			f.api.SetFaults(tgtest.Faults{Rate: 0.2, Kinds: tc.kinds, RetryAfter: 1, Methods: []string{"sendMessage"}, Seed: 7})
			f.start()
			b, err := f.engine.Enqueue(context.Background(), communitybot.Broadcast{Kind: communitybot.KindReminder, Topic: communitybot.TopicReminders, Reply: communitybot.Reply{Text: "提醒"}})
			if err != nil {
				t.Fatal(err)
			}
			st := f.wait(b.ID)
			if st.Delivered != 20 || st.Failed != 0 {
				t.Errorf("status = %+v, want all 20 delivered", st)
			}
			if f.api.FaultsInjected() == 0 {
				t.Fatal("no fault was injected; the test proves nothing")
			}
			f.wantDeliveries(users, 1)
		})
	}
}

func TestPermanentFailureIsCountedNotRetried(t *testing.T) {
	f := newFixture(t)
	f.subscribe(communitybot.TopicAnnouncements, 1, 2)
	f.start()
	// Malformed HTML: Telegram answers 400 "can't parse entities".
	b, err := f.engine.Enqueue(context.Background(), communitybot.Broadcast{Kind: "x", Topic: communitybot.TopicAnnouncements, Reply: communitybot.Reply{Text: "<b>未闭合"}})
	if err != nil {
		t.Fatal(err)
	}
	if st := f.wait(b.ID); st.Failed != 2 || st.Delivered != 0 {
		t.Errorf("status = %+v, want 2 failed", st)
	}
}

func TestDeadWorkersChunkIsTakenOver(t *testing.T) {
	f := newFixture(t, func(c *delivery.Config) { c.ClaimIdle = 300 * time.Millisecond; c.ChunkSize = 100 })
	ctx := context.Background()
	users := ids(400001, 10)
	f.subscribe(communitybot.TopicAnnouncements, users...)
	if err := f.store.DeliveryPrepare(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := f.engine.Enqueue(ctx, communitybot.Broadcast{Kind: communitybot.KindAnnouncement, Topic: communitybot.TopicAnnouncements, Reply: communitybot.Reply{Text: "通知"}})
	if err != nil {
		t.Fatal(err)
	}
	// A worker reads the chunk, delivers to (and marks) three recipients,
	// and dies.
	task, err := f.store.ReadTask(ctx, "dead-replica-w0", time.Second)
	if err != nil || task == nil || len(task.ChatIDs) != 10 {
		t.Fatalf("ReadTask = %+v, %v", task, err)
	}
	for _, id := range task.ChatIDs[:3] {
		if _, err := f.poster.Post(ctx, id, communitybot.Reply{Text: "通知"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.MarkRecipient(ctx, "dead-replica-w0", task, id, storage.StateDelivered, false); err != nil {
			t.Fatal(err)
		}
	}
	f.start()
	st := f.wait(b.ID)
	if st.Delivered != 10 {
		t.Errorf("status = %+v, want 10 delivered", st)
	}
	f.wantDeliveries(users, 1)
	if n, _ := f.store.DeliveryBacklog(ctx); n != 0 {
		t.Errorf("delivery backlog = %d after the broadcast finished", n)
	}
}

func TestStopMidBroadcastAndResume(t *testing.T) {
	f := newFixture(t, func(c *delivery.Config) { c.ClaimIdle = 5 * time.Second })
	f.poster = newSender(t, f.api, f.store, 50)
	f.engine = delivery.New(f.store, f.poster, f.cfg)
	users := ids(500001, 40)
	f.subscribe(communitybot.TopicAnnouncements, users...)
	f.start()
	b, err := f.engine.Enqueue(context.Background(), communitybot.Broadcast{Kind: communitybot.KindAnnouncement, Topic: communitybot.TopicAnnouncements, Reply: communitybot.Reply{Text: "通知"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.api.WaitUntil(ctxT(t), func() bool { return len(f.api.AllSent()) >= 10 }); err != nil {
		t.Fatal(err)
	}
	f.stop()
	if st, _ := f.engine.Status(context.Background(), b.ID); st.Finished() {
		t.Fatal("the broadcast finished before the stop; the test proves nothing")
	}
	// A new engine (a restarted replica) resumes at once: the stopped
	// workers handed their chunks back.
	f.engine = delivery.New(f.store, f.poster, f.cfg)
	f.start()
	if st := f.wait(b.ID); st.Delivered != 40 {
		t.Errorf("status = %+v, want 40 delivered", st)
	}
	f.wantDeliveries(users, 1)
}

func TestRendererMakesEachRecipientsMessage(t *testing.T) {
	f := newFixture(t)
	members := ids(600001, 6)
	f.subscribe(communitybot.TopicStudy, members...)
	f.engine.RegisterRenderer(communitybot.KindStudy, func(ctx context.Context, chatID int64) (communitybot.Reply, bool, error) {
		if chatID == members[4] {
			return communitybot.Reply{}, false, nil // no longer a member
		}
		return communitybot.Reply{Text: fmt.Sprintf("今日学习 %d", chatID), Buttons: [][]communitybot.Button{{{Text: "答题", Data: "q:1"}}}}, true, nil
	})
	f.start()
	if _, err := f.engine.Enqueue(context.Background(), communitybot.Broadcast{Kind: "unknown-kind", Topic: communitybot.TopicStudy}); err == nil {
		t.Error("Enqueue of an empty message without a renderer succeeded")
	}
	b, err := f.engine.Enqueue(context.Background(), communitybot.Broadcast{Kind: communitybot.KindStudy, Topic: communitybot.TopicStudy})
	if err != nil {
		t.Fatal(err)
	}
	st := f.wait(b.ID)
	if st.Delivered != 5 || st.Skipped != 1 {
		t.Errorf("status = %+v, want 5 delivered, 1 skipped", st)
	}
	for _, id := range members {
		msgs := f.api.Sent(id)
		if id == members[4] {
			if len(msgs) != 0 {
				t.Errorf("skipped member got %d messages", len(msgs))
			}
			continue
		}
		if len(msgs) != 1 || msgs[0].PlainText != fmt.Sprintf("今日学习 %d", id) || len(msgs[0].Buttons()) != 1 {
			t.Errorf("member %d got %+v", id, msgs)
		}
	}
}

func TestLongMessageGoesOutInPartsOnce(t *testing.T) {
	f := newFixture(t)
	users := ids(700001, 3)
	f.subscribe(communitybot.TopicAnnouncements, users...)
	f.start()
	long := strings.Repeat("张庙街道社区通知。\n", 600) // about 6,000 characters
	b, err := f.engine.Enqueue(context.Background(), communitybot.Broadcast{Kind: communitybot.KindAnnouncement, Topic: communitybot.TopicAnnouncements, Reply: communitybot.Reply{Text: long}})
	if err != nil {
		t.Fatal(err)
	}
	if st := f.wait(b.ID); st.Delivered != 3 {
		t.Errorf("status = %+v", st)
	}
	f.wantDeliveries(users, 2)
}

func TestEnqueueUnderOnceKeyIsIdempotent(t *testing.T) {
	f := newFixture(t)
	f.subscribe(communitybot.TopicAnnouncements, 1, 2, 3)
	ctx := communitybot.WithOnceKey(context.Background(), "update:42")
	b1, err := f.engine.Enqueue(ctx, communitybot.Broadcast{Kind: communitybot.KindAnnouncement, Topic: communitybot.TopicAnnouncements, Reply: communitybot.Reply{Text: "一次"}})
	if err != nil {
		t.Fatal(err)
	}
	b2, err := f.engine.Enqueue(ctx, communitybot.Broadcast{Kind: communitybot.KindAnnouncement, Topic: communitybot.TopicAnnouncements, Reply: communitybot.Reply{Text: "一次"}})
	if err != nil || b2.ID != b1.ID {
		t.Fatalf("second Enqueue = %+v, %v; want broadcast %s", b2, err, b1.ID)
	}
	f.start()
	f.wait(b1.ID)
	f.wantDeliveries([]int64{1, 2, 3}, 1)
}

func TestOnOutcomeCountsFinalOutcomes(t *testing.T) {
	f := newFixture(t)
	f.subscribe(communitybot.TopicAnnouncements, 11, 12, 13)
	f.api.SetBlocked(13, true)
	var mu sync.Mutex
	got := map[string]int{}
	f.engine.OnOutcome(func(kind, outcome string) {
		mu.Lock()
		got[kind+"/"+outcome]++
		mu.Unlock()
	})
	f.start()
	b, err := f.engine.Enqueue(context.Background(), communitybot.Broadcast{Kind: communitybot.KindAnnouncement, Topic: communitybot.TopicAnnouncements, Reply: communitybot.Reply{Text: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	f.wait(b.ID)
	mu.Lock()
	defer mu.Unlock()
	if got["announcement/delivered"] != 2 || got["announcement/blocked"] != 1 || len(got) != 2 {
		t.Errorf("outcomes = %v", got)
	}
}
