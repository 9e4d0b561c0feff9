package storage_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

// backends runs f against the real Redis and against the embedded one, since
// the bot runs on both and Lua, streams and TTLs must behave the same; with
// REDIS_HA_TESTS=1 also on a Sentinel group and a Cluster, through the
// bot's own URL parsing (storage.Open), so every script and transaction
// is checked for keys outside one slot (CROSSSLOT) on a real cluster.
func backends(t *testing.T, f func(t *testing.T, s *storage.Store)) {
	t.Run("redis", func(t *testing.T) { f(t, storagetest.New(t)) })
	if storagetest.HAEnabled() {
		t.Run("sentinel", func(t *testing.T) { f(t, storagetest.NewAt(t, storagetest.SharedSentinel(t).URL())) })
		t.Run("cluster", func(t *testing.T) { f(t, storagetest.NewAt(t, storagetest.SharedCluster(t).URL())) })
	}
	t.Run("embedded", func(t *testing.T) {
		s, err := storage.OpenEmbedded(storage.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		f(t, s)
	})
}

func TestNewClientURLs(t *testing.T) {
	tests := []struct {
		url     string
		wantErr string
	}{
		{"redis://127.0.0.1:6379/0", ""},
		{"rediss://user:secret@example.org:6380/1", ""},
		{"redis+sentinel://s1:26379?master_name=mymaster&addr=s2:26379", ""},
		{"redis+cluster://n1:7000?addr=n2:7000", ""},
		{"redis+sentinel://s1:26379", "master_name"},
		{"redis+sentinel://s1:26379?master_name=m&route_by_latency=true", "master"},
		{"redis+sentinel://s1:26379?master_name=m&replica_only=true", "master"},
		{"redis+cluster://n1:7000?read_only=true", "master"},
		{"redis+cluster://n1:7000?route_randomly=true", "master"},
		{"http://example.org", "scheme"},
		{"redis+ring://x", "unknown mode"},
		{"redis://:hunter2@h:6379/notanumber", "invalid database"},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			c, err := storage.NewClient(tc.url)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("NewClient(%q) = %v, want no error", tc.url, err)
				}
				c.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("NewClient(%q) error = %v, want one containing %q", tc.url, err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "secret") {
				t.Fatalf("NewClient(%q) error leaks the password: %v", tc.url, err)
			}
		})
	}
}

func TestOpenUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err := storage.Open(ctx, "redis://:topsecret@127.0.0.1:1/0", storage.Options{})
	if err == nil {
		t.Fatal("Open on a closed port succeeded")
	}
	if strings.Contains(err.Error(), "topsecret") {
		t.Fatalf("error leaks the password: %v", err)
	}
}

func TestConversation(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		c, err := s.Conversation(ctx, 42, 42)
		if err != nil || c != (communitybot.Conversation{}) {
			t.Fatalf("Conversation(new chat) = %+v, %v; want zero, nil", c, err)
		}
		at := time.UnixMilli(time.Now().UnixMilli())
		want := communitybot.Conversation{Topic: "five-zhangmiao", Project: "elevator", Intent: 2, UpdatedAt: at}
		if err := s.SaveConversation(ctx, 42, 42, want, time.Minute); err != nil {
			t.Fatal(err)
		}
		if other, _ := s.Conversation(ctx, 42, 7); other != (communitybot.Conversation{}) {
			t.Fatalf("another user in the same chat sees %+v, want no context", other)
		}
		got, err := s.Conversation(ctx, 42, 42)
		if err != nil || !got.UpdatedAt.Equal(want.UpdatedAt) || got.Topic != want.Topic || got.Project != want.Project || got.Intent != want.Intent {
			t.Fatalf("Conversation = %+v, %v; want %+v", got, err, want)
		}
		// Expiry: a short TTL really expires (wall clock, also on the embedded Redis).
		if err := s.SaveConversation(ctx, 43, 43, want, 50*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			got, err := s.Conversation(ctx, 43, 43)
			if err != nil {
				t.Fatal(err)
			}
			if got == (communitybot.Conversation{}) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("conversation did not expire")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

func sampleProjects() []communitybot.Project {
	return []communitybot.Project{
		{ID: "elevator", Number: 2, Name: "电梯加装", Aliases: []string{"加梯"}, Summary: "老楼加装电梯", Status: communitybot.StatusInProgress, Progress: communitybot.NoProgress, Note: "尚未公布进度"},
		{ID: "sitang", Number: 1, Name: "泗塘一村老旧公房成套改造", Summary: "成套改造", Status: communitybot.StatusInProgress, Progress: communitybot.NoProgress},
	}
}

func TestProjects(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		n, err := s.SeedProjects(ctx, sampleProjects())
		if err != nil || n != 2 {
			t.Fatalf("SeedProjects = %d, %v; want 2, nil", n, err)
		}
		list, err := s.Projects(ctx)
		if err != nil || len(list) != 2 || list[0].ID != "sitang" || list[1].ID != "elevator" {
			t.Fatalf("Projects = %+v, %v; want sitang then elevator", list, err)
		}
		if p := list[1]; p.Name != "电梯加装" || p.Number != 2 || p.HasProgress() || p.Status != communitybot.StatusInProgress || len(p.Aliases) != 1 {
			t.Fatalf("seeded project = %+v", p)
		}

		// Staff update: status and progress change, history grows.
		ev := communitybot.ProjectEvent{By: "王老师", Status: communitybot.StatusInProgress, Progress: 60, Note: "3号楼已开工"}
		if err := s.UpdateProject(ctx, "elevator", ev); err != nil {
			t.Fatal(err)
		}
		// A note-only event keeps the status and the progress figure.
		if err := s.UpdateProject(ctx, "elevator", communitybot.ProjectEvent{By: "王老师", Progress: communitybot.NoProgress, Note: "5号楼完成意见征询"}); err != nil {
			t.Fatal(err)
		}
		p, err := s.Project(ctx, "elevator")
		if err != nil || p.Progress != 60 || p.Status != communitybot.StatusInProgress || p.Note != "5号楼完成意见征询" || p.UpdatedBy != "王老师" {
			t.Fatalf("Project after updates = %+v, %v", p, err)
		}

		// Reseeding (a content reload) must not reset live fields or history.
		changed := sampleProjects()
		changed[0].Summary = "新的说明"
		if n, err := s.SeedProjects(ctx, changed); err != nil || n != 0 {
			t.Fatalf("re-SeedProjects = %d, %v; want 0, nil", n, err)
		}
		p, _ = s.Project(ctx, "elevator")
		if p.Progress != 60 || p.Summary != "新的说明" {
			t.Fatalf("after reseed: progress %d summary %q; want 60, 新的说明", p.Progress, p.Summary)
		}

		hist, err := s.ProjectHistory(ctx, "elevator", 5)
		if err != nil || len(hist) != 3 {
			t.Fatalf("ProjectHistory = %+v, %v; want 3 events", hist, err)
		}
		if hist[0].By != storage.SeedBy || hist[1].Progress != 60 || hist[2].Note != "5号楼完成意见征询" {
			t.Fatalf("history = %+v", hist)
		}
		if hist, _ := s.ProjectHistory(ctx, "elevator", 1); len(hist) != 1 || hist[0].Note != "5号楼完成意见征询" {
			t.Fatalf("ProjectHistory(1) = %+v, want the newest event", hist)
		}
	})
}

func TestUpdateProjectErrors(t *testing.T) {
	s := storagetest.New(t)
	ctx := context.Background()
	if _, err := s.SeedProjects(ctx, sampleProjects()); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateProject(ctx, "nope", communitybot.ProjectEvent{Status: communitybot.StatusDone, Progress: communitybot.NoProgress}); !errors.Is(err, communitybot.ErrNotFound) {
		t.Fatalf("UpdateProject(unknown) = %v, want ErrNotFound", err)
	}
	bad := []communitybot.ProjectEvent{
		{Status: "差不多了", Progress: communitybot.NoProgress},
		{Status: communitybot.StatusDone, Progress: 140},
		{Status: communitybot.StatusDone, Progress: communitybot.NoProgress, Note: strings.Repeat("长", communitybot.MaxNoteRunes+1)},
	}
	for _, ev := range bad {
		err := s.UpdateProject(ctx, "elevator", ev)
		if !errors.Is(err, communitybot.ErrInvalid) {
			t.Errorf("UpdateProject(%+v) = %v, want ErrInvalid", ev, err)
		}
		if _, ok := communitybot.UserMessage(err); !ok {
			t.Errorf("UpdateProject(%+v) error has no user message", ev)
		}
	}
	if hist, _ := s.ProjectHistory(ctx, "elevator", 10); len(hist) != 1 {
		t.Fatalf("bad updates changed history: %+v", hist)
	}
}

func TestRecordQuestion(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		now := time.Now()
		for _, q := range []communitybot.Question{
			{ChatID: 1, UserID: 1, Text: "五个张庙是什么", Answered: true, At: now},
			{ChatID: 1, UserID: 1, Text: "午饭吃什么", Normalized: "午饭吃什么", At: now},
			{ChatID: 2, UserID: 2, Text: "午饭吃什么？", Normalized: "午饭吃什么", At: now},
			// Off-topic: counted apart and never listed for staff.
			{ChatID: 3, UserID: 3, Text: "帮我写首诗", Normalized: "帮我写首诗", OffTopic: true, At: now},
		} {
			if err := s.RecordQuestion(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		n, err := s.QuestionCountsDays(ctx, now, 1)
		if err != nil || n != (storage.QuestionCounts{Asked: 4, Answered: 1, OffTopic: 1}) || n.OnTopic()-n.Answered != 2 {
			t.Fatalf("QuestionCountsDays = %+v, %v; want 4 asked, 1 answered, 1 off-topic", n, err)
		}
		if top, err := s.TopUnanswered(ctx, 10); err != nil || len(top) != 1 || top[0].Normalized != "午饭吃什么" {
			t.Fatalf("TopUnanswered = %+v, %v; want the lunch question alone", top, err)
		}
		un, err := s.Unanswered(ctx, 10)
		if err != nil || len(un) != 2 || un[0].Text != "午饭吃什么？" || un[0].ChatID != 2 {
			t.Fatalf("Unanswered = %+v, %v; want the two lunch questions, newest first", un, err)
		}
	})
}

func TestAccounts(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		if r, err := s.Role(ctx, 1); err != nil || r != communitybot.RoleResident {
			t.Fatalf("Role(new) = %v, %v; want resident", r, err)
		}
		if err := s.SetAccount(ctx, communitybot.Account{UserID: 1, Role: communitybot.RoleMember, Branch: "泗塘一村党支部", GrantedBy: 9}); err != nil {
			t.Fatal(err)
		}
		a, err := s.Account(ctx, 1)
		if err != nil || a.Role != communitybot.RoleMember || a.Branch != "泗塘一村党支部" || a.GrantedBy != 9 || a.GrantedAt.IsZero() {
			t.Fatalf("Account = %+v, %v", a, err)
		}
		if err := s.EnsureAdmins(ctx, []int64{2, 1}); err != nil {
			t.Fatal(err)
		}
		admins, _ := s.UsersWithRole(ctx, communitybot.RoleAdmin)
		members, _ := s.UsersWithRole(ctx, communitybot.RoleMember)
		if len(admins) != 2 || len(members) != 0 {
			t.Fatalf("admins %v members %v; want 2 admins, no members", admins, members)
		}
		if err := s.SetAccount(ctx, communitybot.Account{UserID: 2, Role: communitybot.RoleResident}); err != nil {
			t.Fatal(err)
		}
		if r, _ := s.Role(ctx, 2); r != communitybot.RoleResident {
			t.Fatalf("revoked user has role %v", r)
		}
		if admins, _ := s.UsersWithRole(ctx, communitybot.RoleAdmin); len(admins) != 1 {
			t.Fatalf("admins after revoke = %v", admins)
		}
	})
}

// TestChangeRoleRules: the rules of a role change hold inside the script
// that makes it.
func TestChangeRoleRules(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		if err := s.SetAccount(ctx, communitybot.Account{UserID: 1, Role: communitybot.RoleAdmin, Branch: "一支部"}); err != nil {
			t.Fatal(err)
		}
		refused := func(c storage.RoleChange, want communitybot.RoleRefusal) {
			t.Helper()
			if _, _, err := s.ChangeRole(ctx, c); func() communitybot.RoleRefusal { r, _ := communitybot.Refusal(err); return r }() != want {
				t.Fatalf("ChangeRole(%+v) = %v, want refusal %s", c, err, want)
			}
		}
		refused(storage.RoleChange{Actor: 2, Target: 3, Role: communitybot.RoleAdmin}, communitybot.RefusedNotAdmin)
		refused(storage.RoleChange{Actor: 1, Target: 1, Role: communitybot.RoleMember, Branch: "b"}, communitybot.RefusedSelf)
		refused(storage.RoleChange{Actor: 1, Target: 3, Role: communitybot.RoleResident}, communitybot.RefusedNoRole)

		prev, acct, err := s.ChangeRole(ctx, storage.RoleChange{Actor: 1, Target: 3, Role: communitybot.RoleMember, Branch: "二支部"})
		if err != nil || prev.Role != communitybot.RoleResident || acct.Role != communitybot.RoleMember || acct.Branch != "二支部" {
			t.Fatalf("ChangeRole(member) = %+v, %+v, %v", prev, acct, err)
		}
		prev, acct, err = s.ChangeRole(ctx, storage.RoleChange{Actor: 1, Target: 3, Role: communitybot.RoleAdmin, KeepBranch: true})
		if err != nil || prev.Branch != "二支部" || acct.Branch != "二支部" || acct.Role != communitybot.RoleAdmin {
			t.Fatalf("ChangeRole(admin, keep branch) = %+v, %+v, %v", prev, acct, err)
		}
		if ids, _ := s.UsersWithRole(ctx, communitybot.RoleAdmin); len(ids) != 2 {
			t.Fatalf("admins = %v, want 2", ids)
		}
		if ids, _ := s.UsersWithRole(ctx, communitybot.RoleMember); len(ids) != 0 {
			t.Fatalf("members = %v, want none", ids)
		}
		if _, _, err := s.ChangeRole(ctx, storage.RoleChange{Actor: 3, Target: 1, Role: communitybot.RoleResident}); err != nil {
			t.Fatal(err)
		}
		// 1 is no longer an admin: it can change nothing, not even back.
		refused(storage.RoleChange{Actor: 1, Target: 3, Role: communitybot.RoleResident}, communitybot.RefusedNotAdmin)
		if got, _ := s.Account(ctx, 3); got.Role != communitybot.RoleAdmin {
			t.Fatalf("the only admin lost the role: %+v", got)
		}
	})
}
