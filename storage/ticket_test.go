package storage_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

func TestTicketLifecycle(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		q := communitybot.Ticket{ChatID: 10, UserID: 10, Question: "垃圾几点清运？", Normalized: "垃圾几点清运"}
		t1, reused, err := s.CreateTicket(ctx, q, 2, true)
		if err != nil || reused || t1.No != 1 || t1.Status != communitybot.TicketOpen {
			t.Fatalf("CreateTicket = %+v, %v, %v", t1, reused, err)
		}
		// The same question again: the same ticket.
		again, reused, err := s.CreateTicket(ctx, q, 2, true)
		if err != nil || !reused || again.No != 1 || again.Question != q.Question {
			t.Fatalf("repeat CreateTicket = %+v, %v, %v", again, reused, err)
		}
		q2 := q
		q2.Question, q2.Normalized, q2.Kind = "路灯坏了", "路灯坏了", communitybot.TicketRequest
		if t2, _, err := s.CreateTicket(ctx, q2, 2, false); err != nil || t2.No != 2 {
			t.Fatalf("second ticket = %+v, %v", t2, err)
		}
		// The kind is stored: staff see a request marked as one.
		if t2, err := s.Ticket(ctx, 2); err != nil || t2.Kind != communitybot.TicketRequest {
			t.Fatalf("request ticket = %+v, %v; want kind request", t2, err)
		}
		if t1, err := s.Ticket(ctx, 1); err != nil || t1.Kind != communitybot.TicketQuestion {
			t.Fatalf("question ticket = %+v, %v; want kind question", t1, err)
		}
		q3 := q
		q3.Normalized = "别的问题"
		if _, _, err := s.CreateTicket(ctx, q3, 2, true); !errors.Is(err, storage.ErrTooManyOpen) {
			t.Fatalf("third open ticket: err = %v, want ErrTooManyOpen", err)
		}
		other := q3
		other.UserID = 11
		if t3, _, err := s.CreateTicket(ctx, other, 2, true); err != nil || t3.No != 3 {
			t.Fatalf("another user's ticket = %+v, %v", t3, err)
		}

		// Only tickets created with post=true are queued, each leased to
		// one caller at a time.
		claimed, err := s.ClaimUnposted(ctx, 10, time.Minute)
		if err != nil || len(claimed) != 2 || claimed[0] != 1 || claimed[1] != 3 {
			t.Fatalf("ClaimUnposted = %v, %v; want tickets 1 and 3", claimed, err)
		}
		if again, _ := s.ClaimUnposted(ctx, 10, time.Minute); len(again) != 0 {
			t.Fatalf("claimed twice: %v", again)
		}
		if err := s.ReleaseUnposted(ctx, 1); err != nil {
			t.Fatal(err)
		}
		if back, _ := s.ClaimUnposted(ctx, 10, time.Minute); len(back) != 1 || back[0] != 1 {
			t.Fatalf("released = %v", back)
		}

		if err := s.SetTicketPost(ctx, 1, -100, 55); err != nil {
			t.Fatal(err)
		}
		if no, err := s.TicketByStaffMessage(ctx, -100, 55); err != nil || no != 1 {
			t.Fatalf("TicketByStaffMessage = %d, %v", no, err)
		}
		if _, err := s.TicketByStaffMessage(ctx, -100, 56); !errors.Is(err, communitybot.ErrNotFound) {
			t.Fatalf("unknown staff message: %v", err)
		}

		open, total, err := s.OpenTickets(ctx, 10)
		if err != nil || total != 3 || len(open) != 3 || open[0].No != 1 {
			t.Fatalf("OpenTickets = %+v, %d, %v", open, total, err)
		}

		// Rating before the answer is refused.
		if err := s.RateTicket(ctx, 1, 10, communitybot.RatingGood); !errors.Is(err, storage.ErrTicketNotAnswered) {
			t.Fatalf("rate open ticket: %v", err)
		}
		first, err := s.AnswerTicket(ctx, 1, "早上7点", "王主任", 7, "-100:60")
		if err != nil || !first {
			t.Fatalf("AnswerTicket = %v, %v", first, err)
		}
		// The same source again (an update handled twice) is not an error.
		if first, err := s.AnswerTicket(ctx, 1, "早上7点", "王主任", 7, "-100:60"); err != nil || first {
			t.Fatalf("repeat AnswerTicket = %v, %v", first, err)
		}
		if _, err := s.AnswerTicket(ctx, 1, "别的答案", "李", 8, "-100:61"); !errors.Is(err, storage.ErrTicketDone) {
			t.Fatalf("second answer: %v", err)
		}
		if _, err := s.AnswerTicket(ctx, 99, "x", "李", 8, "s"); !errors.Is(err, communitybot.ErrNotFound) {
			t.Fatalf("answer unknown ticket: %v", err)
		}
		if n, oldest, _ := s.OpenTicketCount(ctx); n != 2 || oldest.IsZero() {
			t.Fatalf("OpenTicketCount = %d, %v", n, oldest)
		}
		if err := s.MarkTicketRelayed(ctx, 1); err != nil {
			t.Fatal(err)
		}

		if err := s.RateTicket(ctx, 1, 11, communitybot.RatingGood); !errors.Is(err, communitybot.ErrForbidden) {
			t.Fatalf("rating by another user: %v", err)
		}
		if err := s.RateTicket(ctx, 1, 10, communitybot.RatingBad); err != nil {
			t.Fatal(err)
		}
		if err := s.RateTicket(ctx, 1, 10, communitybot.RatingGood); !errors.Is(err, storage.ErrTicketDone) {
			t.Fatalf("second rating: %v", err)
		}
		got, err := s.Ticket(ctx, 1)
		if err != nil || got.Status != communitybot.TicketAnswered || got.Answer != "早上7点" || got.AnsweredBy != "王主任" ||
			got.AnsweredID != 7 || !got.Relayed || got.Rating != communitybot.RatingBad || got.StaffChatID != -100 ||
			got.StaffMessageID != 55 || got.AnsweredAt.IsZero() || got.CreatedAt.IsZero() {
			t.Fatalf("Ticket = %+v, %v", got, err)
		}
		mine, err := s.UserTickets(ctx, 10, 5)
		if err != nil || len(mine) != 2 || mine[0].No != 2 {
			t.Fatalf("UserTickets = %+v, %v; want 2 then 1", mine, err)
		}

		// Learning: once, and only from an answered ticket.
		answeredAt := time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)
		e := communitybot.LearnedEntry{ID: "learned-q1", Kind: communitybot.LearnTopic, Title: "清运时间", Answer: "早上7点", AnsweredAt: answeredAt, Question: "垃圾几点清运？", Ticket: 1, By: "王主任"}
		if err := s.Learn(ctx, e); err != nil {
			t.Fatal(err)
		}
		if err := s.Learn(ctx, e); !errors.Is(err, storage.ErrTicketDone) {
			t.Fatalf("learn twice: %v", err)
		}
		e2 := e
		e2.Ticket, e2.ID = 2, "learned-q2"
		if err := s.Learn(ctx, e2); !errors.Is(err, storage.ErrTicketNotAnswered) {
			t.Fatalf("learn open ticket: %v", err)
		}
		entries, err := s.LearnedEntries(ctx)
		if err != nil || len(entries) != 1 || entries[0].Title != "清运时间" || entries[0].Kind != communitybot.LearnTopic || entries[0].At.IsZero() ||
			!entries[0].AnsweredAt.Equal(answeredAt) || entries[0].Answer != "早上7点" {
			t.Fatalf("LearnedEntries = %+v, %v", entries, err)
		}
		if v, _ := s.KnowledgeVersion(ctx); v != 1 {
			t.Fatalf("KnowledgeVersion = %d, want 1", v)
		}
	})
}

func TestAuditSeenAndStats(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		for i, a := range []string{"setstatus", "answer", "learn"} {
			if err := s.AppendAudit(ctx, communitybot.AuditEntry{UserID: int64(i + 1), Name: "王", Action: a, Target: "t", Detail: "d"}); err != nil {
				t.Fatal(err)
			}
		}
		list, err := s.Audit(ctx, 2)
		if err != nil || len(list) != 2 || list[0].Action != "learn" || list[1].Action != "answer" || list[0].UserID != 3 || list[0].At.IsZero() {
			t.Fatalf("Audit = %+v, %v", list, err)
		}

		for _, id := range []int64{1, 2, 2, 3} {
			if err := s.SeenUser(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		total, today, week, err := s.UsersSeen(ctx, time.Now())
		if err != nil || total != 3 || today != 3 || week != 3 {
			t.Fatalf("UsersSeen = %d %d %d, %v", total, today, week, err)
		}

		for _, q := range []communitybot.Question{
			{Text: "a", Normalized: "a", Answered: true}, {Text: "b", Normalized: "b"}, {Text: "b", Normalized: "b"}, {Text: "c", Normalized: "c"},
		} {
			if err := s.RecordQuestion(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		n, err := s.QuestionCountsDays(ctx, time.Now(), 7)
		if err != nil || n.Asked != 4 || n.Answered != 1 || n.OnTopic()-n.Answered != 3 {
			t.Fatalf("QuestionCountsDays = %+v, %v", n, err)
		}
		top, err := s.TopUnanswered(ctx, 1)
		if err != nil || len(top) != 1 || top[0].Normalized != "b" || top[0].Count != 2 {
			t.Fatalf("TopUnanswered = %+v, %v", top, err)
		}
	})
}

func TestAddProject(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		seed := []communitybot.Project{{ID: "elevator", Number: 1, Name: "电梯加装", Status: communitybot.StatusInProgress, Progress: -1}}
		if _, err := s.SeedProjects(ctx, seed); err != nil {
			t.Fatal(err)
		}
		p, err := s.AddProject(ctx, communitybot.Project{Name: "口袋公园", Aliases: []string{"街心花园"}, Summary: "简介",
			Status: communitybot.StatusPlanning, Progress: communitybot.NoProgress, Note: "新增项目", UpdatedBy: "王"})
		if err != nil || p.ID != "project-2" || p.Number != 2 || p.Name != "口袋公园" || p.UpdatedBy != "王" || p.Aliases[0] != "街心花园" {
			t.Fatalf("AddProject = %+v, %v", p, err)
		}
		hist, _ := s.ProjectHistory(ctx, p.ID, 5)
		if len(hist) != 1 || hist[0].Status != communitybot.StatusPlanning || hist[0].By != "王" {
			t.Fatalf("history = %+v", hist)
		}
		added, err := s.AddedProjects(ctx)
		if err != nil || len(added) != 1 || added[0].ID != "project-2" {
			t.Fatalf("AddedProjects = %+v, %v", added, err)
		}
		if v, _ := s.KnowledgeVersion(ctx); v != 1 {
			t.Fatalf("KnowledgeVersion = %d", v)
		}
		if _, err := s.AddProject(ctx, communitybot.Project{Name: "x", Status: "完成了", Progress: -1}); !errors.Is(err, communitybot.ErrInvalid) {
			t.Fatalf("invalid status: %v", err)
		}
	})
}

// TestUnpostedQueueLosesNothing: a ticket leaves the posting queue only when
// its post is recorded or it is dropped; a claim that is released, or whose
// caller died (the lease runs out), leaves it to be claimed again.
func TestUnpostedQueueLosesNothing(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	s := storagetest.New(t, func(o *storage.Options) { o.Now = func() time.Time { return now } })
	for i := 1; i <= 5; i++ {
		q := fmt.Sprintf("问题%d", i)
		if _, _, err := s.CreateTicket(ctx, communitybot.Ticket{ChatID: int64(i), UserID: int64(i), Question: q, Normalized: q}, 3, true); err != nil {
			t.Fatal(err)
		}
	}
	if oldest, err := s.ClaimUnposted(ctx, 1, time.Minute); err != nil || !slices.Equal(oldest, []int64{1}) {
		t.Fatalf("ClaimUnposted(1) = %v, %v; want the oldest ticket", oldest, err)
	}
	if err := s.ReleaseUnposted(ctx, 1); err != nil {
		t.Fatal(err)
	}
	claimed, err := s.ClaimUnposted(ctx, 3, time.Minute)
	if err != nil || !slices.Equal(claimed, []int64{1, 2, 3}) {
		t.Fatalf("ClaimUnposted(3) = %v, %v", claimed, err)
	}
	rest, err := s.ClaimUnposted(ctx, 10, time.Minute)
	if err != nil || len(rest) != 2 {
		t.Fatalf("second caller got %v, %v; want the two unclaimed tickets", rest, err)
	}
	// The first caller posts one ticket and dies holding the others;
	// the second releases what it claimed.
	if err := s.SetTicketPost(ctx, claimed[0], -100, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseUnposted(ctx, rest...); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ClaimUnposted(ctx, 10, time.Minute); !slices.Equal(got, rest) {
		t.Fatalf("after release: claimed %v, want %v", got, rest)
	}
	now = now.Add(2 * time.Minute) // every lease has run out
	got, err := s.ClaimUnposted(ctx, 10, time.Minute)
	if err != nil || len(got) != 4 || slices.Contains(got, claimed[0]) {
		t.Fatalf("after the leases ran out: claimed %v, %v; want the four unposted tickets", got, err)
	}
	for _, no := range got[:3] {
		if err := s.SetTicketPost(ctx, no, -100, int(no)+10); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DropUnposted(ctx, got[3]); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Minute)
	if left, err := s.ClaimUnposted(ctx, 10, time.Minute); err != nil || len(left) != 0 {
		t.Fatalf("queue after posting and dropping everything = %v, %v", left, err)
	}
}

// TestConcurrentTicketsOfOneUser: the open-ticket limit and the reuse of a
// ticket for the same question hold when one user's questions are
// escalated at once (the script retries when its declared keys went stale).
func TestConcurrentTicketsOfOneUser(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		var wg sync.WaitGroup
		nos := make([]int64, 12)
		errs := make([]error, 12)
		for i := range 12 {
			wg.Go(func() {
				q := fmt.Sprintf("问题%d", i%4) // four distinct questions, three times each
				tk, _, err := s.CreateTicket(ctx, communitybot.Ticket{ChatID: 7, UserID: 7, Question: q, Normalized: q}, 3, true)
				nos[i], errs[i] = tk.No, err
			})
		}
		wg.Wait()
		distinct := map[int64]bool{}
		refused := 0
		for i, err := range errs {
			switch {
			case errors.Is(err, storage.ErrTooManyOpen):
				refused++
			case err != nil:
				t.Fatalf("CreateTicket %d: %v", i, err)
			default:
				distinct[nos[i]] = true
			}
		}
		if len(distinct) != 3 || refused != 3 {
			t.Fatalf("tickets %v, %d refused; want 3 tickets and the fourth question refused 3 times", distinct, refused)
		}
		mine, err := s.UserTickets(ctx, 7, 10)
		if err != nil || len(mine) != 3 {
			t.Fatalf("UserTickets = %+v, %v", mine, err)
		}
	})
}

// TestManyUsersCreateTicketsAtOnce: hundreds of chats handled at once by
// one replica each hand a question to staff; every ticket is created, with
// its own number (the optimistic retry used to give up on contention).
func TestManyUsersCreateTicketsAtOnce(t *testing.T) {
	s := storagetest.New(t)
	ctx := context.Background()
	const users = 300
	var wg sync.WaitGroup
	nos := make([]int64, users)
	errs := make([]error, users)
	for i := range users {
		wg.Go(func() {
			tk, _, err := s.CreateTicket(ctx, communitybot.Ticket{ChatID: int64(3000 + i), UserID: int64(3000 + i),
				Question: "今天午饭吃什么好", Normalized: "今天午饭吃什么好"}, 3, false)
			nos[i], errs[i] = tk.No, err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("user %d: CreateTicket: %v", 3000+i, err)
		}
	}
	slices.Sort(nos)
	for i, no := range nos {
		if no != int64(i+1) {
			t.Fatalf("ticket numbers %v…; want 1..%d, each once", nos[:min(len(nos), 10)], users)
		}
	}
}

// TestTicketCostsOneRoundTrip: once a replica creates tickets steadily, a
// ticket is one round trip (the script; numbers come in reserved blocks),
// and tickets of different users wait for no lock of each other's. It used
// to be two under a process-wide mutex (a read, then the script).
func TestTicketCostsOneRoundTrip(t *testing.T) {
	s := storagetest.New(t)
	ctx := context.Background()
	const users = 200
	for i := range users { // warm up: the block of numbers grows
		if _, _, err := s.CreateTicket(ctx, communitybot.Ticket{ChatID: int64(100 + i), UserID: int64(100 + i),
			Question: "小区停车怎么收费", Normalized: "小区停车怎么收费"}, 3, false); err != nil {
			t.Fatal(err)
		}
	}
	trips := s.RoundTrips()
	for i := range users {
		if _, _, err := s.CreateTicket(ctx, communitybot.Ticket{ChatID: int64(100 + i), UserID: int64(100 + i),
			Question: "路灯坏了找谁", Normalized: "路灯坏了找谁"}, 3, false); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.RoundTrips() - trips; n > users+users/8 {
		t.Fatalf("%d tickets took %d round trips, want about one each", users, n)
	}
}

// TestTicketsFromTwoReplicas: two stores on the same keys (two replicas)
// create tickets for the same users at once. Every number is used once,
// the open-ticket limit and the repeat check see the other replica's
// tickets (its cached list of a user's tickets goes stale and is
// refreshed by the script).
func TestTicketsFromTwoReplicas(t *testing.T) {
	a := storagetest.New(t)
	b := storage.NewFromClient(a.Client(), storage.Options{Prefix: a.Prefix()})
	ctx := context.Background()
	const users, perUser = 20, 6
	type made struct {
		no     int64
		reused bool
		err    error
	}
	var mu sync.Mutex
	var all []made
	var wg sync.WaitGroup
	for _, s := range []*storage.Store{a, b} {
		for u := range users {
			wg.Go(func() {
				for q := range perUser {
					// Questions 0..3, so 4 and 5 repeat 0 and 1.
					text := fmt.Sprintf("问题%d", q%4)
					tk, reused, err := s.CreateTicket(ctx, communitybot.Ticket{ChatID: int64(500 + u), UserID: int64(500 + u),
						Question: text, Normalized: text}, 3, false)
					mu.Lock()
					all = append(all, made{tk.No, reused, err})
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	created := map[int64]bool{}
	for _, m := range all {
		switch {
		case errors.Is(m.err, storage.ErrTooManyOpen), m.reused:
		case m.err != nil:
			t.Fatalf("CreateTicket: %v", m.err)
		default:
			if created[m.no] {
				t.Fatalf("ticket number %d created twice", m.no)
			}
			created[m.no] = true
		}
	}
	if len(created) != 3*users {
		t.Fatalf("%d tickets created, want 3 per user (the limit), %d", len(created), 3*users)
	}
	for u := range users {
		open, err := a.UserTickets(ctx, int64(500+u), 10)
		if err != nil || len(open) != 3 {
			t.Fatalf("user %d: %d tickets, %v; want 3", 500+u, len(open), err)
		}
		seen := map[string]bool{}
		for _, tk := range open {
			if seen[tk.Normalized] {
				t.Fatalf("user %d has two open tickets for %q", 500+u, tk.Normalized)
			}
			seen[tk.Normalized] = true
		}
	}
}
