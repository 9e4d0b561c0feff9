package storage_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

func TestBroadcastLifecycle(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		if err := s.DeliveryPrepare(ctx); err != nil {
			t.Fatal(err)
		}
		b := communitybot.Broadcast{Kind: "announcement", Topic: communitybot.TopicAnnouncements, Reply: communitybot.Reply{Text: "通知"}, ReportTo: 42}
		got, created, err := s.CreateBroadcast(ctx, b, []int64{1, 2, 3, 2, 4, 5}, 2)
		if err != nil || !created || got.ID == "" || got.CreatedAt.IsZero() {
			t.Fatalf("CreateBroadcast = %+v, %v, %v", got, created, err)
		}
		st, err := s.BroadcastStatus(ctx, got.ID)
		if err != nil || st.Total != 5 || st.Reply.Text != "通知" || st.ReportTo != 42 || st.Finished() {
			t.Fatalf("BroadcastStatus = %+v, %v", st, err)
		}

		// The start report comes first, then the chunks in order.
		var tasks []*storage.DeliveryTask
		for {
			task, err := s.ReadTask(ctx, "w1", 10*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			if task == nil {
				break
			}
			tasks = append(tasks, task)
		}
		if len(tasks) != 4 || tasks[0].Type != storage.TaskStart {
			t.Fatalf("tasks = %+v, want start + 3 chunks", tasks)
		}
		var audience []int64
		for _, task := range tasks[1:] {
			audience = append(audience, task.ChatIDs...)
		}
		if !slices.Equal(audience, []int64{1, 2, 3, 4, 5}) {
			t.Fatalf("audience = %v", audience)
		}

		// A dead worker's task is claimed by another after it idles.
		if task, _ := s.ClaimTask(ctx, "w2", time.Hour); task != nil {
			t.Fatalf("claimed a fresh task: %+v", task)
		}
		time.Sleep(20 * time.Millisecond)
		claimed, err := s.ClaimTask(ctx, "w2", 10*time.Millisecond)
		if err != nil || claimed == nil {
			t.Fatalf("ClaimTask = %v, %v", claimed, err)
		}
		if owns, _ := s.TouchTask(ctx, "w2", claimed); !owns {
			t.Error("TouchTask: the claimer does not own the task")
		}

		// Marks are counted once, partial parts are not counted.
		for _, m := range []struct {
			chat    int64
			state   string
			applied bool
		}{{1, "1", true}, {1, storage.StateDelivered, true}, {1, storage.StateDelivered, false}, {2, storage.StateBlocked, true}, {3, storage.StateFailed, true}, {4, storage.StateSkipped, true}, {4, storage.StateDelivered, false}} {
			mark, err := s.MarkRecipient(ctx, "w2", claimed, m.chat, m.state, false)
			if err != nil || !mark.Owns || mark.Applied != m.applied {
				t.Fatalf("MarkRecipient(%d, %s) = %+v, %v; want owned, applied %v", m.chat, m.state, mark, err, m.applied)
			}
		}
		if _, err := s.MarkRecipient(ctx, "w2", claimed, 5, storage.StateDelivered, true); err != nil {
			t.Fatal(err)
		}
		states, pause, err := s.RecipientStates(ctx, got.ID, []int64{1, 2, 3, 4, 5, 6})
		if err != nil || pause != 0 || !slices.Equal(states, []string{"d", "b", "f", "s", "d", ""}) {
			t.Fatalf("RecipientStates = %v, %v, %v", states, pause, err)
		}
		if err := s.SendGate(storage.SendGateConfig{}).Pause(ctx, 0, 2*time.Second); err != nil {
			t.Fatal(err)
		}
		if _, pause, _ := s.RecipientStates(ctx, got.ID, []int64{1}); pause <= time.Second {
			t.Errorf("pause = %v after a global 2s pause", pause)
		}

		for i, task := range tasks {
			left, err := s.FinishTask(ctx, task)
			if err != nil {
				t.Fatal(err)
			}
			if i > 0 && left != 3-i {
				t.Errorf("chunk %d: left = %d, want %d", i, left, 3-i)
			}
		}
		if left, _ := s.FinishTask(ctx, tasks[3]); left != -1 {
			t.Errorf("second FinishTask = %d, want -1", left)
		}
		final, err := s.ReadTask(ctx, "w1", 10*time.Millisecond)
		if err != nil || final == nil || final.Type != storage.TaskFinal || final.BroadcastID != got.ID {
			t.Fatalf("after the last chunk: %+v, %v; want the final report", final, err)
		}
		st, _ = s.BroadcastStatus(ctx, got.ID)
		if !st.Finished() || st.Delivered != 2 || st.Blocked != 1 || st.Failed != 1 || st.Skipped != 1 || st.Migrated != 1 || st.Done() != 5 {
			t.Fatalf("final status = %+v", st)
		}
		recent, err := s.RecentBroadcasts(ctx, 5)
		if err != nil || len(recent) != 1 || recent[0].ID != got.ID {
			t.Fatalf("RecentBroadcasts = %+v, %v", recent, err)
		}
		if _, err := s.BroadcastStatus(ctx, "nope"); !errors.Is(err, communitybot.ErrNotFound) {
			t.Errorf("BroadcastStatus(nope) = %v, want ErrNotFound", err)
		}
	})
}

// A worker that stalled past the claim timeout must not take its task
// back from the worker that took it over: it learns it lost the task when
// it touches it, right before a send, and when it records an outcome.
func TestTaskOwnership(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		if err := s.DeliveryPrepare(ctx); err != nil {
			t.Fatal(err)
		}
		b, _, err := s.CreateBroadcast(ctx, communitybot.Broadcast{Kind: "x", Reply: communitybot.Reply{Text: "x"}}, []int64{1, 2, 3}, 10)
		if err != nil {
			t.Fatal(err)
		}
		task, err := s.ReadTask(ctx, "a", 10*time.Millisecond)
		if err != nil || task == nil {
			t.Fatalf("ReadTask = %+v, %v", task, err)
		}
		if owns, err := s.TouchTask(ctx, "a", task); err != nil || !owns {
			t.Fatalf("reader's TouchTask = %v, %v", owns, err)
		}
		if owns, state, err := s.CheckRecipient(ctx, "a", task, 1); err != nil || !owns || state != "" {
			t.Fatalf("reader's CheckRecipient = %v, %q, %v", owns, state, err)
		}
		time.Sleep(20 * time.Millisecond)
		taken, err := s.ClaimTask(ctx, "b", 10*time.Millisecond)
		if err != nil || taken == nil || taken.EntryID != task.EntryID {
			t.Fatalf("ClaimTask = %+v, %v", taken, err)
		}

		if owns, err := s.TouchTask(ctx, "a", task); err != nil || owns {
			t.Errorf("stale TouchTask = %v, %v; want not owned", owns, err)
		}
		if owns, _ := s.TouchTask(ctx, "b", taken); !owns {
			t.Error("the stale worker's touch took the task back from its new owner")
		}
		if owns, _, err := s.CheckRecipient(ctx, "a", task, 1); err != nil || owns {
			t.Errorf("stale CheckRecipient = %v, %v; want not owned", owns, err)
		}
		// The stale worker's message in flight is recorded, and it is told
		// to stop; the new owner sees the recipient served.
		mark, err := s.MarkRecipient(ctx, "a", task, 1, storage.StateDelivered, false)
		if err != nil || mark.Owns || !mark.Applied {
			t.Errorf("stale MarkRecipient = %+v, %v; want applied, not owned", mark, err)
		}
		if owns, state, _ := s.CheckRecipient(ctx, "b", taken, 1); !owns || state != storage.StateDelivered {
			t.Errorf("owner's CheckRecipient = %v, %q; want owned, delivered", owns, state)
		}
		// Shutting down, the stale worker does not hand back a task it
		// no longer holds.
		if err := s.ReleaseTask(ctx, "a", task); err != nil {
			t.Fatal(err)
		}
		if again, _ := s.ClaimTask(ctx, "c", time.Minute); again != nil {
			t.Errorf("a stale release made the owner's task claimable: %+v", again)
		}
		if owns, _ := s.TouchTask(ctx, "b", taken); !owns {
			t.Error("the owner lost its task to a stale release")
		}
		if _, err := s.FinishTask(ctx, taken); err != nil {
			t.Fatal(err)
		}
		if owns, _ := s.TouchTask(ctx, "b", taken); owns {
			t.Error("TouchTask of a finished task reports it owned")
		}
		if st, _ := s.BroadcastStatus(ctx, b.ID); !st.Finished() {
			t.Errorf("status = %+v, want finished", st)
		}
	})
}

func TestBroadcastOnceKey(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := communitybot.WithOnceKey(context.Background(), storage.FireOnceKey("j1", time.Unix(1700000000, 0)))
		b := communitybot.Broadcast{Kind: "reminder", Reply: communitybot.Reply{Text: "x"}}
		first, created, err := s.CreateBroadcast(ctx, b, []int64{1, 2}, 10)
		if err != nil || !created {
			t.Fatal(created, err)
		}
		again, created, err := s.CreateBroadcast(ctx, b, []int64{1, 2, 3}, 10)
		if err != nil || created || again.ID != first.ID {
			t.Fatalf("second create = %+v, %v, %v; want the first broadcast back", again, created, err)
		}
		if n, _ := s.DeliveryBacklog(ctx); n != 1 {
			t.Errorf("backlog = %d, want the first broadcast's one chunk", n)
		}
		// An empty audience finishes at once.
		empty, _, err := s.CreateBroadcast(context.Background(), communitybot.Broadcast{Kind: "x", ReportTo: 1}, nil, 10)
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := s.BroadcastStatus(ctx, empty.ID); !st.Finished() || st.Total != 0 {
			t.Errorf("empty broadcast = %+v", st)
		}
	})
}

// A broadcast without recipients queues only its summary: there is
// nothing to show progress of. The report lock keeps the reports of one
// broadcast apart.
func TestReports(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		if err := s.DeliveryPrepare(ctx); err != nil {
			t.Fatal(err)
		}
		empty, _, err := s.CreateBroadcast(ctx, communitybot.Broadcast{Kind: "x", Reply: communitybot.Reply{Text: "x"}, ReportTo: 1}, nil, 10)
		if err != nil {
			t.Fatal(err)
		}
		var tasks []string
		for {
			task, err := s.ReadTask(ctx, "w", 10*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			if task == nil {
				break
			}
			tasks = append(tasks, task.Type+":"+task.BroadcastID)
		}
		if want := []string{storage.TaskFinal + ":" + empty.ID}; !slices.Equal(tasks, want) {
			t.Errorf("tasks of a broadcast without recipients = %v, want %v", tasks, want)
		}

		if rs, err := s.ReportState(ctx, empty.ID); err != nil || rs != (storage.ReportState{}) {
			t.Fatalf("ReportState = %+v, %v; want nothing reported", rs, err)
		}
		if ok, err := s.LockReport(ctx, empty.ID, "a", time.Minute); err != nil || !ok {
			t.Fatalf("LockReport(a) = %v, %v", ok, err)
		}
		if ok, _ := s.LockReport(ctx, empty.ID, "b", time.Minute); ok {
			t.Fatal("two workers hold the report lock")
		}
		if err := s.UnlockReport(ctx, empty.ID, "b"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.LockReport(ctx, empty.ID, "b", time.Minute); ok {
			t.Fatal("a worker released a report lock it did not hold")
		}
		if err := s.SetProgressMessage(ctx, empty.ID, 77); err != nil {
			t.Fatal(err)
		}
		if err := s.SetFinalReported(ctx, empty.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.UnlockReport(ctx, empty.ID, "a"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.LockReport(ctx, empty.ID, "b", time.Minute); !ok {
			t.Fatal("the report lock is not free after its holder released it")
		}
		if rs, _ := s.ReportState(ctx, empty.ID); rs != (storage.ReportState{MessageID: 77, Final: true}) {
			t.Errorf("ReportState = %+v, want message 77, summary out", rs)
		}
	})
}

func TestJobsAndFires(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		id, err := s.NextJobID(ctx)
		if err != nil || id != "1" {
			t.Fatalf("NextJobID = %q, %v", id, err)
		}
		at := time.Date(2030, 1, 2, 9, 0, 0, 0, time.UTC)
		once := communitybot.ScheduledJob{ID: id, At: at, Text: "开会", Topic: communitybot.TopicReminders, Kind: "reminder", CreatedBy: 7, ReportTo: 7}
		daily := communitybot.ScheduledJob{ID: "study-daily", Spec: "0 8 * * *", BuiltIn: true}
		for _, j := range []communitybot.ScheduledJob{once, daily} {
			if err := s.SaveJob(ctx, j); err != nil {
				t.Fatal(err)
			}
		}
		jobs, err := s.Jobs(ctx)
		if err != nil || len(jobs) != 2 || jobs[0].ID != "1" || !jobs[0].At.Equal(at) || jobs[1].Spec != "0 8 * * *" {
			t.Fatalf("Jobs = %+v, %v", jobs, err)
		}

		ok, err := s.ClaimFire(ctx, "study-daily", at, "a", time.Minute)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		if ok, _ := s.ClaimFire(ctx, "study-daily", at, "b", time.Minute); ok {
			t.Fatal("a second replica claimed the same fire")
		}
		if err := s.ReleaseFire(ctx, "study-daily", at, "b"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.ClaimFire(ctx, "study-daily", at, "b", time.Minute); ok {
			t.Fatal("a replica released a fire it did not hold")
		}
		if err := s.CompleteFire(ctx, "study-daily", at, false); err != nil {
			t.Fatal(err)
		}
		if done, _ := s.FireDone(ctx, "study-daily", at); !done {
			t.Error("FireDone = false after CompleteFire")
		}
		if ok, _ := s.ClaimFire(ctx, "study-daily", at, "b", time.Minute); ok {
			t.Fatal("a done fire was claimed again")
		}
		j, err := s.Job(ctx, "study-daily")
		if err != nil || !j.LastFire.Equal(at) {
			t.Fatalf("Job = %+v, %v; want LastFire %v", j, err, at)
		}

		if err := s.CompleteFire(ctx, "1", at, true); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Job(ctx, "1"); !errors.Is(err, communitybot.ErrNotFound) {
			t.Errorf("one-off job after its fire: %v, want ErrNotFound", err)
		}
		if existed, _ := s.DeleteJob(ctx, "study-daily"); !existed {
			t.Error("DeleteJob reported no job")
		}
	})
}

// Consumers of replicas long gone are deleted unless they hold a task.
// Real Redis only: miniredis does not report a consumer's idle time (and
// an embedded store starts empty, so nothing accumulates there).
func TestPruneConsumers(t *testing.T) {
	s := storagetest.New(t)
	ctx := context.Background()
	consumersFixture(t, s)
	if n, err := s.PruneConsumers(ctx, time.Hour); err != nil || n != 0 {
		t.Errorf("PruneConsumers(1h) = %d, %v; want none deleted, all are recent", n, err)
	}
	time.Sleep(20 * time.Millisecond)
	if n, err := s.PruneConsumers(ctx, 10*time.Millisecond); err != nil || n != 1 {
		t.Errorf("PruneConsumers = %d, %v; want the idle one deleted", n, err)
	}
	if got := consumerNames(t, s); !slices.Equal(got, []string{"holds"}) {
		t.Errorf("consumers = %v, want the one holding a task", got)
	}
}

// A replica that stops deletes its consumers, except one holding a task.
func TestRemoveConsumers(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		consumersFixture(t, s)
		if err := s.RemoveConsumers(context.Background(), []string{"holds", "done", "never-existed"}); err != nil {
			t.Fatal(err)
		}
		if got := consumerNames(t, s); !slices.Equal(got, []string{"holds"}) {
			t.Errorf("consumers = %v, want the one holding a task", got)
		}
	})
}

// consumersFixture makes two consumers of the delivery group: "holds"
// holds a task, "done" finished its task and holds nothing.
func consumersFixture(t *testing.T, s *storage.Store) {
	t.Helper()
	ctx := context.Background()
	if err := s.DeliveryPrepare(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PruneConsumers(ctx, 0); err != nil || n != 0 {
		t.Fatalf("PruneConsumers on an empty group = %d, %v", n, err)
	}
	for _, c := range []struct {
		name   string
		finish bool
	}{{"holds", false}, {"done", true}} {
		if _, _, err := s.CreateBroadcast(ctx, communitybot.Broadcast{Kind: "x", Reply: communitybot.Reply{Text: "x"}}, []int64{1}, 10); err != nil {
			t.Fatal(err)
		}
		task, err := s.ReadTask(ctx, c.name, 10*time.Millisecond)
		if err != nil || task == nil {
			t.Fatalf("ReadTask = %+v, %v", task, err)
		}
		if c.finish {
			if _, err := s.FinishTask(ctx, task); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := consumerNames(t, s); !slices.Equal(got, []string{"done", "holds"}) {
		t.Fatalf("consumers = %v", got)
	}
}

func consumerNames(t *testing.T, s *storage.Store) []string {
	t.Helper()
	list, err := s.DeliveryConsumers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range list {
		out = append(out, c.Name)
	}
	slices.Sort(out)
	return out
}
