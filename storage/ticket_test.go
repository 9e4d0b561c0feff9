package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/storage"
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
		q2.Question, q2.Normalized = "路灯坏了", "路灯坏了"
		if t2, _, err := s.CreateTicket(ctx, q2, 2, false); err != nil || t2.No != 2 {
			t.Fatalf("second ticket = %+v, %v", t2, err)
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

		// Only tickets created with post=true are queued, each claimed once.
		claimed, err := s.ClaimUnposted(ctx, 10)
		if err != nil || len(claimed) != 2 {
			t.Fatalf("ClaimUnposted = %v, %v; want tickets 1 and 3", claimed, err)
		}
		if again, _ := s.ClaimUnposted(ctx, 10); len(again) != 0 {
			t.Fatalf("claimed twice: %v", again)
		}
		s.RequeueUnposted(ctx, 1)
		if back, _ := s.ClaimUnposted(ctx, 10); len(back) != 1 || back[0] != 1 {
			t.Fatalf("requeued = %v", back)
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
		e := communitybot.LearnedEntry{ID: "learned-q1", Kind: communitybot.LearnTopic, Title: "清运时间", Answer: "早上7点", Question: "垃圾几点清运？", Ticket: 1, By: "王主任"}
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
		if err != nil || len(entries) != 1 || entries[0].Title != "清运时间" || entries[0].Kind != communitybot.LearnTopic || entries[0].At.IsZero() {
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
		asked, answered, err := s.QuestionCountsDays(ctx, time.Now(), 7)
		if err != nil || asked != 4 || answered != 1 {
			t.Fatalf("QuestionCountsDays = %d, %d, %v", asked, answered, err)
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
