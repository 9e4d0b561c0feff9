package storage_test

import (
	"context"
	"errors"
	"testing"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/storage"
)

// TestDeleteProject: only staff-added projects are deleted, with their
// history and subscriptions; their numbers are never given again.
func TestDeleteProject(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		seed := []communitybot.Project{{ID: "elevator", Number: 1, Name: "电梯加装", Status: communitybot.StatusInProgress, Progress: -1}}
		if _, err := s.SeedProjects(ctx, seed); err != nil {
			t.Fatal(err)
		}
		add := func(name string) communitybot.Project {
			t.Helper()
			p, err := s.AddProject(ctx, communitybot.Project{Name: name, Summary: "简介", Status: communitybot.StatusPlanning, Progress: communitybot.NoProgress, UpdatedBy: "王"})
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		p2, p3 := add("口袋公园"), add("社区花园")
		if _, err := s.Subscribe(ctx, 42, communitybot.ProjectTopic(p3.ID)); err != nil {
			t.Fatal(err)
		}
		v, _ := s.KnowledgeVersion(ctx)

		if err := s.DeleteProject(ctx, "elevator"); !errors.Is(err, storage.ErrContentProject) {
			t.Fatalf("DeleteProject(content) = %v, want ErrContentProject", err)
		}
		if err := s.DeleteProject(ctx, "nope"); !errors.Is(err, communitybot.ErrNotFound) {
			t.Fatalf("DeleteProject(unknown) = %v, want ErrNotFound", err)
		}
		if err := s.DeleteProject(ctx, p3.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Project(ctx, p3.ID); !errors.Is(err, communitybot.ErrNotFound) {
			t.Fatalf("Project(deleted) = %v", err)
		}
		if h, _ := s.ProjectHistory(ctx, p3.ID, 10); len(h) != 0 {
			t.Errorf("history kept: %+v", h)
		}
		if n, _ := s.SubscriberCount(ctx, communitybot.ProjectTopic(p3.ID)); n != 0 {
			t.Errorf("%d subscribers kept", n)
		}
		if added, _ := s.AddedProjects(ctx); len(added) != 1 || added[0].ID != p2.ID {
			t.Errorf("AddedProjects = %+v", added)
		}
		if after, _ := s.KnowledgeVersion(ctx); after != v+1 {
			t.Errorf("KnowledgeVersion %d → %d, want one bump", v, after)
		}
		// The highest number was deleted: the next project still gets a new one.
		if p4 := add("街心花园"); p4.Number != 4 || p4.ID != "project-4" {
			t.Fatalf("project added after a delete = %s #%d, want project-4 #4", p4.ID, p4.Number)
		}
		if err := s.DeleteProject(ctx, p3.ID); !errors.Is(err, communitybot.ErrNotFound) {
			t.Fatalf("second delete = %v, want ErrNotFound", err)
		}
	})
}

// TestUnlearn: a learned entry is removed and its ticket can be learned
// again.
func TestUnlearn(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		tk, _, err := s.CreateTicket(ctx, communitybot.Ticket{ChatID: 1, UserID: 1, Question: "食堂几点开门", Normalized: "食堂几点开门"}, 3, false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AnswerTicket(ctx, tk.No, "十点", "王", 9, "src"); err != nil {
			t.Fatal(err)
		}
		e := communitybot.LearnedEntry{ID: "learned-q1", Kind: communitybot.LearnTopic, Title: "食堂", Answer: "十点", Question: tk.Question, Ticket: tk.No, By: "王"}
		if err := s.Learn(ctx, e); err != nil {
			t.Fatal(err)
		}
		v, _ := s.KnowledgeVersion(ctx)
		got, err := s.Unlearn(ctx, "learned-q1")
		if err != nil || got.Title != "食堂" || got.Ticket != tk.No {
			t.Fatalf("Unlearn = %+v, %v", got, err)
		}
		if list, _ := s.LearnedEntries(ctx); len(list) != 0 {
			t.Errorf("entries left: %+v", list)
		}
		if after, _ := s.KnowledgeVersion(ctx); after != v+1 {
			t.Errorf("KnowledgeVersion %d → %d", v, after)
		}
		if _, err := s.Unlearn(ctx, "learned-q1"); !errors.Is(err, communitybot.ErrNotFound) {
			t.Fatalf("second Unlearn = %v, want ErrNotFound", err)
		}
		if err := s.Learn(ctx, e); err != nil {
			t.Fatalf("learning the ticket again: %v", err)
		}
	})
}

// TestClearProgress: an event may withdraw the published progress.
func TestClearProgress(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		if _, err := s.SeedProjects(ctx, []communitybot.Project{{ID: "elevator", Number: 1, Name: "电梯加装", Status: communitybot.StatusInProgress, Progress: 60}}); err != nil {
			t.Fatal(err)
		}
		ev := communitybot.ProjectEvent{Status: communitybot.StatusPlanning, Progress: communitybot.NoProgress, ClearProgress: true, Note: "重新规划", By: "王"}
		if err := s.UpdateProject(ctx, "elevator", ev); err != nil {
			t.Fatal(err)
		}
		p, _ := s.Project(ctx, "elevator")
		if p.HasProgress() || p.Status != communitybot.StatusPlanning {
			t.Fatalf("project after clearing = %+v", p)
		}
		h, _ := s.ProjectHistory(ctx, "elevator", 1)
		if len(h) != 1 || !h[0].ClearProgress {
			t.Fatalf("history = %+v", h)
		}
		bad := communitybot.ProjectEvent{Progress: 30, ClearProgress: true}
		if err := s.UpdateProject(ctx, "elevator", bad); !errors.Is(err, communitybot.ErrInvalid) {
			t.Fatalf("progress and clear at once = %v", err)
		}
	})
}

// TestTopUnansweredWording: the top questions carry their latest wording.
func TestTopUnansweredWording(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		for _, text := range []string{"<b>加粗</b>的问题", "别的问题", "<b>加粗</b> 的问题！"} {
			if err := s.RecordQuestion(ctx, communitybot.Question{Text: text, Normalized: map[bool]string{true: "别的问题", false: "b加粗b的问题"}[text == "别的问题"]}); err != nil {
				t.Fatal(err)
			}
		}
		top, err := s.TopUnanswered(ctx, 2)
		if err != nil || len(top) != 2 || top[0].Text != "<b>加粗</b> 的问题！" || top[0].Count != 2 || top[1].Text != "别的问题" {
			t.Fatalf("TopUnanswered = %+v, %v", top, err)
		}
	})
}
