package bot_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/assistant"
	"github.com/zhangmiao/communitybot/bot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
	"github.com/zhangmiao/communitybot/intake"
	"github.com/zhangmiao/communitybot/metrics"
	"github.com/zhangmiao/communitybot/outbound"
	"github.com/zhangmiao/communitybot/staff"
	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

// recordingNotifier stands in for the delivery engine: it records every
// broadcast and, when deliver is set, delivers it at once to the topic's
// subscribers through the real Sender (via the Poster).
type recordingNotifier struct {
	mu      sync.Mutex
	got     []communitybot.Broadcast
	deliver func(ctx context.Context, b communitybot.Broadcast) error
}

func (n *recordingNotifier) Enqueue(ctx context.Context, b communitybot.Broadcast) (communitybot.Broadcast, error) {
	n.mu.Lock()
	b.ID = fmt.Sprintf("b%d", len(n.got)+1)
	n.got = append(n.got, b)
	deliver := n.deliver
	n.mu.Unlock()
	if deliver != nil {
		return b, deliver(ctx, b)
	}
	return b, nil
}

func (n *recordingNotifier) broadcasts() []communitybot.Broadcast {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]communitybot.Broadcast(nil), n.got...)
}

// staffEnv is the harness with the staff side wired as cmd/communitybot
// wires it, a staff group chat and an admin.
type staffEnv struct {
	*harness
	svc       *staff.Service
	notifier  *recordingNotifier
	metrics   *metrics.Metrics
	staffChat tgtest.Chat
	admin     tgtest.User
}

func newStaffEnv(t *testing.T, opts ...harnessOption) *staffEnv {
	t.Helper()
	return newStaffEnvOn(t, storagetest.New(t), opts...)
}

// newStaffEnvOn is newStaffEnv on a given store (a private Redis server).
func newStaffEnvOn(t *testing.T, store *storage.Store, opts ...harnessOption) *staffEnv {
	t.Helper()
	e := &staffEnv{
		notifier:  &recordingNotifier{},
		metrics:   metrics.New(testLogger()),
		staffChat: tgtest.SupergroupChat(-1009000000001, "张庙街道工作人员群"),
		admin:     tgtest.User{ID: 900000 + nextUserID.Add(1), FirstName: "王主任"},
	}
	setup := func(h *harness) {
		loc, _ := time.LoadLocation("Asia/Shanghai")
		h.observe = func(method string, o outbound.Outcome) { e.metrics.ObserveTelegramCall(method, string(o)) }
		h.router.ObserveUpdates(e.metrics.ObserveUpdate)
		e.metrics.AddQueue("inbox", func(ctx context.Context) (int64, error) { return h.store.InboxBacklog(ctx, intake.Partitions) })
		h.router.Use(bot.CountUsers(h.store.SeenUser, testLogger()))
		svc, err := staff.New(staff.Deps{
			Store: h.store, Base: h.asst.Knowledge(), QA: h.asst, Poster: h.sender(), Notifier: e.notifier, Observer: e.metrics,
		}, staff.Config{StaffChatID: e.staffChat.ID, Location: loc, PollInterval: 200 * time.Millisecond, Logger: testLogger()})
		if err != nil {
			t.Fatal(err)
		}
		e.svc = svc
		h.auditLog = svc
		svc.LoadKnowledge(context.Background())
		h.asst.SetHooks(assistant.Hooks{Escalate: svc.Escalate, Observe: func(o assistant.Outcome) { e.metrics.ObserveQuestion(string(o)) }})
		bot.RegisterStaff(h.router, svc, h.store)
		bot.RegisterTickets(h.router, svc, h.store)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { svc.Run(ctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
		if err := h.store.SetAccount(context.Background(), communitybot.Account{UserID: e.admin.ID, Role: communitybot.RoleAdmin}); err != nil {
			t.Fatal(err)
		}
	}
	e.harness = newHarnessOn(t, store, append([]harnessOption{setup}, opts...)...)
	return e
}

// adminSays sends a command from the admin in a private chat and returns
// the reply.
func (e *staffEnv) adminSays(text string) tgtest.Message {
	e.t.Helper()
	return e.ask(tgtest.PrivateChat(e.admin), e.admin, text)
}

// waitStaffPost waits for the n-th message (1-based) in the staff chat.
func (e *staffEnv) waitStaffPost(n int) tgtest.Message {
	e.t.Helper()
	msgs, err := e.api.WaitSent(ctxT(e.t), e.staffChat.ID, n)
	if err != nil {
		e.t.Fatalf("staff chat never got message %d: %v", n, err)
	}
	return msgs[n-1]
}

// scrape returns the /metrics page.
func (e *staffEnv) scrape() string {
	e.t.Helper()
	srv := httptest.NewServer(e.metrics.Handler(e.store.Ping))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

// auditActions returns the actions of the audit log, admin actions and
// denied attempts merged, oldest first.
func (e *staffEnv) auditActions() []string {
	e.t.Helper()
	list, err := e.store.Audit(context.Background(), 100)
	if err != nil {
		e.t.Fatal(err)
	}
	denied, _, err := e.store.DeniedAudit(context.Background(), 100)
	if err != nil {
		e.t.Fatal(err)
	}
	list = append(list, denied...)
	sort.SliceStable(list, func(i, j int) bool { return list[i].At.After(list[j].At) }) // newest first, as read
	out := make([]string, 0, len(list))
	for i := len(list) - 1; i >= 0; i-- {
		out = append(out, list[i].Action+" "+list[i].Target)
	}
	return out
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// subscribeProject subscribes a fresh resident to a project's updates, so
// that changes to it are pushed (nobody to push to, nothing is queued).
func (e *staffEnv) subscribeProject(id string) tgtest.User {
	e.t.Helper()
	u := resident()
	if _, err := e.store.Subscribe(context.Background(), u.ID, communitybot.ProjectTopic(id)); err != nil {
		e.t.Fatal(err)
	}
	return u
}

// waitTicketPost waits for the n-th message in the staff chat and until
// the desk has recorded it as a ticket's post: the record is written just
// after Telegram accepted the post, and a reply before it would not be
// taken for an answer.
func (e *staffEnv) waitTicketPost(n int) tgtest.Message {
	e.t.Helper()
	post := e.waitStaffPost(n)
	eventually(e.t, func() bool {
		_, err := e.store.TicketByStaffMessage(context.Background(), e.staffChat.ID, post.Model.ID)
		return err == nil
	})
	return post
}
