package bot_test

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/qa/qatest"

	"github.com/zhangmiao/communitybot/assistant"
	"github.com/zhangmiao/communitybot/bot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
	"github.com/zhangmiao/communitybot/content"
	"github.com/zhangmiao/communitybot/intake"
	"github.com/zhangmiao/communitybot/outbound"
	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

// harness runs the real bot (intake, inbox, workers, handlers) against the
// fake Bot API and the real Redis.
type harness struct {
	t      *testing.T
	api    *tgtest.Server
	store  *storage.Store
	asst   *assistant.Assistant
	router *bot.Router
	cfg    bot.Config
	stop   func()
	onBot  []func(*bot.Bot) // called with each bot before it runs

	// The Sender, built once as cmd/communitybot builds it (the outbound
	// policy over the store's send gate and ChatFate) on first use, with
	// these settings: senderRate messages a second (0: no limit),
	// senderLimits the per-chat and per-group limits of broadcasts,
	// observe told every attempt.
	senderRate   int
	senderLimits [2]storage.RateLimit
	observe      func(method string, o outbound.Outcome)
	snd          *bot.Sender

	// auditLog is where the features' admin actions are recorded once the
	// staff side is wired (staffEnv); features get it through audit().
	auditLog interface {
		Record(ctx context.Context, e communitybot.AuditEntry)
	}
}

// lateAudit is the harness's audit log for features built before the
// staff side: it forwards to auditLog when there is one.
type lateAudit struct{ h *harness }

func (a lateAudit) Record(ctx context.Context, e communitybot.AuditEntry) {
	if a.h.auditLog != nil {
		a.h.auditLog.Record(ctx, e)
	}
}

func (h *harness) audit() lateAudit { return lateAudit{h} }

// poster posts through the harness's Sender, looked up when it posts
// (the Sender may be built after the feature that posts).
type poster struct{ h *harness }

func (p poster) Post(ctx context.Context, chatID int64, r communitybot.Reply) (int, error) {
	return p.h.snd.Post(ctx, chatID, r)
}

// sender returns the harness's Sender, building it on first use.
func (h *harness) sender() *bot.Sender {
	h.t.Helper()
	if h.snd != nil {
		return h.snd
	}
	gate := h.store.SendGate(storage.SendGateConfig{Rate: h.senderRate, PerChat: h.senderLimits[0], PerGroup: h.senderLimits[1]})
	policy := outbound.New(gate, outbound.NewChatSubscriptions(h.store, testLogger()), outbound.Config{
		Rate: h.senderRate, ReplyBudget: h.cfg.HandlerTimeout / 2, Observe: h.observe, Logger: testLogger(),
	})
	s, err := bot.NewSender(bot.SenderConfig{Token: h.api.Token(), APIURL: h.api.URL(), Logger: testLogger()}, policy)
	if err != nil {
		h.t.Fatal(err)
	}
	h.snd = s
	return s
}

// withSender sets the Sender's limits: rate messages a second in all, and
// the broadcasts' per-chat and per-group limits.
func withSender(rate int, perChat, perGroup storage.RateLimit) harnessOption {
	return func(h *harness) { h.senderRate, h.senderLimits = rate, [2]storage.RateLimit{perChat, perGroup} }
}

type harnessOption func(*harness)

// withRouter lets a test register extra handlers before the bot starts.
func withRouter(f func(*bot.Router)) harnessOption {
	return func(h *harness) { f(h.router) }
}

func withConfig(f func(*bot.Config)) harnessOption {
	return func(h *harness) { f(&h.cfg) }
}

func TestMain(m *testing.M) {
	// go-redis logs failed dials to stderr by itself; tests that stop Redis
	// would flood the output.
	storage.RouteLogs(testLogger())
	// The end-to-end tests mostly wait (long polls, shutdowns), so more of
	// them than CPUs run at once, unless -parallel says otherwise.
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		_ = flag.Set("test.parallel", "6")
	}
	os.Exit(m.Run())
}

func testLogger() *slog.Logger {
	if os.Getenv("TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func newHarness(t *testing.T, opts ...harnessOption) *harness {
	t.Helper()
	return newHarnessOn(t, storagetest.New(t), opts...)
}

// newHarnessOn is newHarness on a given store (a private Redis server).
func newHarnessOn(t *testing.T, store *storage.Store, opts ...harnessOption) *harness {
	t.Helper()
	// Each harness has its own fake Telegram and key prefix, and most of
	// a test's time is waiting (long polls, blocked reads, shutdowns), so
	// they run side by side.
	t.Parallel()
	api := tgtest.New()
	t.Cleanup(api.Close)
	kb, err := content.Default()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.SeedProjects(context.Background(), kb.Projects); err != nil {
		t.Fatal(err)
	}
	asst, err := assistant.New(kb, store, assistant.Options{Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, api: api, store: store, asst: asst, router: bot.NewRouter(store, testLogger())}
	bot.RegisterCore(h.router, asst)
	h.cfg = bot.Config{
		Token: api.Token(), APIURL: api.URL(),
		PollTimeout: 2 * time.Second, LeaseTTL: 3 * time.Second, HandlerTimeout: 20 * time.Second,
		Logger: testLogger(),
	}
	for _, o := range opts {
		o(h)
	}
	if h.cfg.Sender == nil {
		h.cfg.Sender = h.sender()
	}
	h.start()
	return h
}

// start runs a bot process (in-process) until restart or test end.
func (h *harness) start() {
	h.t.Helper()
	b, err := bot.New(h.cfg, h.store, h.router)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, f := range h.onBot {
		f(b)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	stopped := false
	h.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				h.t.Errorf("bot.Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			h.t.Error("bot did not stop within 30s")
		}
	}
	h.t.Cleanup(h.stop)
}

// restart stops the bot gracefully and starts a new one on the same Redis
// and Bot API, as a redeploy would.
func (h *harness) restart() {
	h.stop()
	h.start()
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// ask sends text as user in chat and returns the next message the bot
// sends to that chat.
func (h *harness) ask(chat tgtest.Chat, user tgtest.User, text string) tgtest.Message {
	h.t.Helper()
	before := len(h.api.Sent(chat.ID))
	h.api.SendText(chat, user, text)
	msgs, err := h.api.WaitSent(ctxT(h.t), chat.ID, before+1)
	if err != nil {
		h.t.Fatalf("no reply to %q: %v", text, err)
	}
	return msgs[before]
}

// press presses a button of msg and returns the next message sent to the chat.
func (h *harness) press(chat tgtest.Chat, user tgtest.User, msg tgtest.Message, data string) tgtest.Message {
	h.t.Helper()
	before := len(h.api.Sent(chat.ID))
	h.api.PressButton(chat, user, msg.Model, data)
	msgs, err := h.api.WaitSent(ctxT(h.t), chat.ID, before+1)
	if err != nil {
		h.t.Fatalf("no reply to button %q: %v", data, err)
	}
	return msgs[before]
}

// waitCallbackAnswers waits until n button presses were answered.
func (h *harness) waitCallbackAnswers(n int) []tgtest.CallbackAnswer {
	h.t.Helper()
	if err := h.api.WaitUntil(ctxT(h.t), func() bool { return len(h.api.CallbackAnswers()) >= n }); err != nil {
		h.t.Fatalf("waiting for %d callback answers: %v (got %d)", n, err, len(h.api.CallbackAnswers()))
	}
	return h.api.CallbackAnswers()
}

// faultLog records the faults a bot reports (Bot.OnFault), as metrics
// would count them.
type faultLog struct {
	mu    sync.Mutex
	kinds map[string]int
}

func (f *faultLog) record(kind string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.kinds == nil {
		f.kinds = map[string]int{}
	}
	f.kinds[kind]++
}

func (f *faultLog) count(kind string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.kinds[kind]
}

// withFaultLog records the bot's faults in f.
func withFaultLog(f *faultLog) harnessOption {
	return func(h *harness) { h.onBot = append(h.onBot, func(b *bot.Bot) { b.OnFault(f.record) }) }
}

var nextUserID atomic.Int64

// resident returns a fresh user, so tests do not share conversation state.
func resident() tgtest.User {
	return tgtest.User{ID: 500000 + nextUserID.Add(1), FirstName: "居民", LanguageCode: "zh-hans"}
}

// compact removes whitespace, as the quality data's matching rules do.
func compact(s string) string { return qatest.Compact(s) }

func mustContain(t *testing.T, what, text string, phrases ...string) {
	t.Helper()
	for _, p := range phrases {
		if !strings.Contains(compact(text), compact(p)) {
			t.Errorf("%s: reply lacks %q:\n%s", what, p, text)
		}
	}
}

// eventually waits until cond holds, failing the test after 30 s. It is for
// state written just after a reply (deferred writes), not a timing check.
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 30s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// privateRedis starts a redis-server of the test's own (so the test may
// stop, hang or restart it) and opens a store on it under prefix.
func privateRedis(t *testing.T, prefix string) (*storagetest.Server, *storage.Store) {
	t.Helper()
	srv := storagetest.StartServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	store, err := storage.Open(ctx, srv.URL(), storage.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return srv, store
}

// waitInboxEmpty waits until every stored update is acknowledged: a fault
// injected before that would (rightly) have an update answered again.
func waitInboxEmpty(t *testing.T, store *storage.Store) {
	t.Helper()
	eventually(t, func() bool {
		n, err := store.InboxBacklog(context.Background(), intake.Partitions)
		return err == nil && n == 0
	})
}
