package staff_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot/assistant"
	"github.com/zhangmiao/communitybot/content"
	"github.com/zhangmiao/communitybot/qa"
	"github.com/zhangmiao/communitybot/staff"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

// TestProjectNotesAreQuoted: a note staff post with /projectnote (or
// /setstatus) is indexed as a staff record at once, and a resident's
// question it answers gets it, attributed with its date; before the note
// the same question is a ticket.
func TestProjectNotesAreQuoted(t *testing.T) {
	store := storagetest.New(t)
	ctx := context.Background()
	kb, err := content.Default()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.SeedProjects(ctx, kb.Projects); err != nil {
		t.Fatal(err)
	}
	a, err := assistant.New(kb, store, assistant.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	svc, err := staff.New(staff.Deps{Store: store, Base: kb, QA: a}, staff.Config{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	svc.LoadKnowledge(ctx)
	a.SetHooks(assistant.Hooks{Escalate: svc.Escalate})

	q := "加梯意见征询会在哪里开"
	before, err := a.Ask(ctx, 1, 1, q)
	if err != nil || before.Answered || before.Ticket == "" {
		t.Fatalf("before the note: %+v, %v", before, err)
	}
	admin := staff.Actor{UserID: 9, Name: "王"}
	if _, err := svc.ProjectNote(ctx, admin, "电梯加装 本周六上午在小区广场召开加梯意见征询会"); err != nil {
		t.Fatal(err)
	}
	after, err := a.Ask(ctx, 2, 2, q)
	if err != nil || !after.Answered {
		t.Fatalf("after the note: %+v, %v", after, err)
	}
	label := qa.RecordLabel("电梯加装", "2025-03-01")
	if !strings.Contains(after.Reply.Text, "小区广场") || !strings.Contains(after.Reply.Text, label) {
		t.Errorf("after the note, %q got:\n%s\nwant the note attributed %q", q, after.Reply.Text, label)
	}
	// A new process (or another replica) indexes the notes from storage.
	a2, err := assistant.New(kb, store, assistant.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc2, err := staff.New(staff.Deps{Store: store, Base: kb, QA: a2}, staff.Config{})
	if err != nil {
		t.Fatal(err)
	}
	svc2.LoadKnowledge(ctx)
	if ans, _ := a2.Ask(ctx, 3, 3, "意见征询会在什么地方召开"); !ans.Answered || !strings.Contains(ans.Reply.Text, "小区广场") {
		t.Errorf("a new process does not quote the note:\n%s", ans.Reply.Text)
	}
}
