package staff_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/content"
	"github.com/zhangmiao/communitybot/staff"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

// latePoster stands in for bot.DeskPoster before the Bot exists: posts fail
// as temporary until ready is closed. It records whether the desk looked
// at it at all (a Post attempt or a Ready call), so a test knows the desk
// has had its chance to post before the poster became ready.
type latePoster struct {
	ready chan struct{}

	mu      sync.Mutex
	touched chan struct{} // closed on the first Post or Ready call
	posts   map[int64][]string
	nextID  int
}

func newLatePoster() *latePoster {
	return &latePoster{ready: make(chan struct{}), touched: make(chan struct{}), posts: map[int64][]string{}}
}

func (p *latePoster) touch() {
	select {
	case <-p.touched:
	default:
		close(p.touched)
	}
}

func (p *latePoster) Ready() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.touch()
	return p.ready
}

var errNotStarted = errors.New("bot not started")

func (p *latePoster) Post(_ context.Context, chatID int64, r communitybot.Reply) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.touch()
	select {
	case <-p.ready:
	default:
		return 0, errNotStarted
	}
	p.posts[chatID] = append(p.posts[chatID], r.Text)
	p.nextID++
	return p.nextID, nil
}

func (p *latePoster) sent(chatID int64) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.posts[chatID]...)
}

type noReload struct{}

func (noReload) Reload(*content.KnowledgeBase) error { return nil }

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTicketsWaitingBeforeThePosterIsReady: tickets created while the Bot
// does not exist yet (the desk starts first) are all posted, once each,
// when it does; none is lost to a post tried too early.
func TestTicketsWaitingBeforeThePosterIsReady(t *testing.T) {
	ctx := context.Background()
	store := storagetest.New(t)
	kb, err := content.Default()
	if err != nil {
		t.Fatal(err)
	}
	const staffChat = -1001
	poster := newLatePoster()
	svc, err := staff.New(staff.Deps{Store: store, Base: kb, QA: noReload{}, Poster: poster},
		staff.Config{StaffChatID: staffChat, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		q := fmt.Sprintf("第%d个没人答得上的问题", i)
		if _, err := svc.Escalate(ctx, communitybot.Question{ChatID: int64(i), UserID: int64(i), Text: q, Normalized: q}); err != nil {
			t.Fatal(err)
		}
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { svc.Run(runCtx); close(done) }()
	defer func() { stop(); <-done }()

	<-poster.touched // the desk has had its chance to post too early
	close(poster.ready)
	waitFor(t, "all five tickets posted", func() bool {
		for no := int64(1); no <= 5; no++ {
			if tk, err := store.Ticket(ctx, no); err != nil || tk.StaffMessageID == 0 {
				return false
			}
		}
		return true
	})
	posts := poster.sent(staffChat)
	if len(posts) != 5 {
		t.Fatalf("staff chat got %d posts, want 5: %q", len(posts), posts)
	}
	for i, p := range posts {
		if !containsTicket(p, int64(i+1)) {
			t.Errorf("post %d is not %s, oldest first: %s", i+1, communitybot.TicketNo(int64(i+1)), p)
		}
	}
	seen := map[string]bool{}
	for _, p := range posts {
		for no := int64(1); no <= 5; no++ {
			if containsTicket(p, no) {
				if seen[communitybot.TicketNo(no)] {
					t.Errorf("%s posted twice", communitybot.TicketNo(no))
				}
				seen[communitybot.TicketNo(no)] = true
			}
		}
	}
	if len(seen) != 5 {
		t.Errorf("posted tickets = %v, want Q-0001…Q-0005", seen)
	}
}

func containsTicket(post string, no int64) bool {
	return strings.Contains(post, "居民提问 "+communitybot.TicketNo(no)+"</b>")
}

// TestWebTicketIsMarkedAndRelayedToTheWebChat: a web visitor's ticket
// reaches the staff chat marked as from the web page, and the answer goes
// to the visitor's web chat id, which only that visitor may rate.
func TestWebTicketIsMarkedAndRelayedToTheWebChat(t *testing.T) {
	ctx := context.Background()
	store := storagetest.New(t)
	kb, err := content.Default()
	if err != nil {
		t.Fatal(err)
	}
	const staffChat = -1001
	poster := newLatePoster()
	close(poster.ready)
	svc, err := staff.New(staff.Deps{Store: store, Base: kb, QA: noReload{}, Poster: poster},
		staff.Config{StaffChatID: staffChat, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	visitor := communitybot.WebID(7)
	no, err := svc.Escalate(ctx, communitybot.Question{ChatID: visitor, UserID: visitor, Text: "小区门口的路灯坏了", Normalized: "小区门口的路灯坏了"})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { svc.Run(runCtx); close(done) }()
	defer func() { stop(); <-done }()
	waitFor(t, "ticket posted", func() bool { return len(poster.sent(staffChat)) == 1 })
	if p := poster.sent(staffChat)[0]; !strings.Contains(p, "来自网页版（网页访客 W-7）") || !strings.Contains(p, no) {
		t.Fatalf("staff post = %s; want it marked as from the web page", p)
	}
	n, _ := communitybot.ParseTicketNo(no)
	if _, err := svc.Answer(ctx, staff.Actor{UserID: 1, Name: "王老师"}, n, "已报修，明天修好。", "s:1"); err != nil {
		t.Fatal(err)
	}
	if got := poster.sent(visitor); len(got) != 1 || !strings.Contains(got[0], "已报修") {
		t.Fatalf("relayed to the web chat: %q", got)
	}
	if _, err := svc.Rate(ctx, 7, n, communitybot.RatingGood); !errors.Is(err, communitybot.ErrForbidden) {
		t.Fatalf("Telegram user 7 rating web visitor 7's ticket: %v, want ErrForbidden", err)
	}
	if _, err := svc.Rate(ctx, visitor, n, communitybot.RatingGood); err != nil {
		t.Fatalf("the visitor's rating: %v", err)
	}
}
