package scheduler_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/delivery"
	"github.com/zhangmiao/communitybot/scheduler"
	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

func TestParseWhen(t *testing.T) {
	now := time.Date(2026, 11, 30, 10, 0, 0, 0, shanghai)
	parser := cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	tests := []struct {
		args     string
		wantAt   time.Time
		wantSpec string
		wantText string
		wantErr  string
	}{
		{args: "2026-12-01 09:00 明天体检", wantAt: time.Date(2026, 12, 1, 9, 0, 0, 0, shanghai), wantText: "明天体检"},
		{args: "2026/12/1 09:00 斜杠日期", wantAt: time.Date(2026, 12, 1, 9, 0, 0, 0, shanghai), wantText: "斜杠日期"},
		{args: "30m 半小时后\n第二行", wantAt: now.Add(30 * time.Minute), wantText: "半小时后\n第二行"},
		{args: "2h 两小时后", wantAt: now.Add(2 * time.Hour), wantText: "两小时后"},
		{args: "1h30m x", wantAt: now.Add(90 * time.Minute), wantText: "x"},
		{args: "1d 明天", wantAt: now.Add(24 * time.Hour), wantText: "明天"},
		{args: "30分钟 中文单位", wantAt: now.Add(30 * time.Minute), wantText: "中文单位"},
		{args: "2小时 中文单位", wantAt: now.Add(2 * time.Hour), wantText: "中文单位"},
		{args: "0 9 * * 1 每周一例会", wantSpec: "0 9 * * 1", wantText: "每周一例会"},
		{args: "@daily 每天", wantSpec: "@daily", wantText: "每天"},
		{args: "0 9 * * 1 9点开会", wantSpec: "0 9 * * 1", wantText: "9点开会"},
		{args: "", wantErr: "请写上发送时间"},
		{args: "2020-01-01 09:00 过去", wantErr: "已经过去了"},
		{args: "2026-11-30 09:59 刚过去", wantErr: "已经过去了"},
		{args: "2026-13-01 09:00 坏月份", wantErr: "看不懂时间"},
		{args: "2026-12-01 明天", wantErr: "看不懂时间"},
		{args: "2028-01-01 09:00 太远", wantErr: "一年以内"},
		{args: "61 9 * * 1 坏分钟", wantErr: "第 1 段（分）的 61 超出范围"},
		{args: "0 25 * * * 坏小时", wantErr: "第 2 段（时）的 25 超出范围"},
		{args: "9:00 早会", wantAt: time.Date(2026, 12, 1, 9, 0, 0, 0, shanghai), wantText: "早会"},
		{args: "11:30 午会", wantAt: time.Date(2026, 11, 30, 11, 30, 0, 0, shanghai), wantText: "午会"},
		{args: "12-01 09:00 月日", wantAt: time.Date(2026, 12, 1, 9, 0, 0, 0, shanghai), wantText: "月日"},
		{args: "11-29 09:00 明年", wantAt: time.Date(2027, 11, 29, 9, 0, 0, 0, shanghai), wantText: "明年"},
		{args: "2026年12月1日9点 中文", wantAt: time.Date(2026, 12, 1, 9, 0, 0, 0, shanghai), wantText: "中文"},
		{args: "12月1日下午3点半 开会", wantAt: time.Date(2026, 12, 1, 15, 30, 0, 0, shanghai), wantText: "开会"},
		{args: "明天9点 体检", wantAt: time.Date(2026, 12, 1, 9, 0, 0, 0, shanghai), wantText: "体检"},
		{args: "明天 下午2点 开会", wantAt: time.Date(2026, 12, 1, 14, 0, 0, 0, shanghai), wantText: "开会"},
		{args: "今天9点 已过", wantErr: "已经过去了"},
		{args: "2月30日9点 不存在", wantErr: "看不懂时间"},
		{args: "@sometimes x", wantErr: "看不懂周期"},
		{args: "30s 太短", wantErr: "太短"},
		{args: "明天 九点", wantAt: time.Date(2026, 12, 1, 9, 0, 0, 0, shanghai)},
		{args: "明天 体检", wantErr: "“明天”后面请写上几点"},
		{args: "0 hello", wantErr: "看不懂时间"},
	}
	for _, tc := range tests {
		t.Run(tc.args, func(t *testing.T) {
			w, text, err := scheduler.ParseWhen(tc.args, now, shanghai, parser, 5)
			if tc.wantErr != "" {
				msg, _ := communitybot.UserMessage(err)
				if err == nil || !strings.Contains(msg, tc.wantErr) {
					t.Fatalf("ParseWhen(%q) = %+v, %v; want an error with %q", tc.args, w, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseWhen(%q): %v", tc.args, err)
			}
			if !w.At.Equal(tc.wantAt) || w.Spec != tc.wantSpec || text != tc.wantText {
				t.Errorf("ParseWhen(%q) = at %v spec %q text %q; want at %v spec %q text %q", tc.args, w.At, w.Spec, text, tc.wantAt, tc.wantSpec, tc.wantText)
			}
		})
	}
}

// recorder is an Enqueuer that records broadcasts.
type recorder struct {
	mu   sync.Mutex
	got  []communitybot.Broadcast
	keys []string
}

func (r *recorder) Enqueue(ctx context.Context, b communitybot.Broadcast) (communitybot.Broadcast, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k, _ := communitybot.OnceKey(ctx)
	r.got = append(r.got, b)
	r.keys = append(r.keys, k)
	b.ID = "x"
	return b, nil
}

func (r *recorder) broadcasts() []communitybot.Broadcast {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]communitybot.Broadcast(nil), r.got...)
}

func start(t *testing.T, s *scheduler.Scheduler) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return stop
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestTwoReplicasFireEachTimeOnce(t *testing.T) {
	store := storagetest.New(t)
	var mu sync.Mutex
	fires := map[time.Time]int{}
	job := scheduler.Job{ID: "tick", Spec: "* * * * * *", Run: func(ctx context.Context, fire time.Time) error {
		if _, ok := communitybot.OnceKey(ctx); !ok {
			t.Error("job context lacks the fire's once key")
		}
		mu.Lock()
		fires[fire]++
		mu.Unlock()
		return nil
	}}
	for i := range 2 {
		s := scheduler.New(store, &recorder{}, scheduler.Config{Location: shanghai, Seconds: true, SweepEvery: 300 * time.Millisecond, ReplicaID: string(rune('a' + i))})
		s.Register(job)
		start(t, s)
	}
	waitFor(t, "three fires", func() bool { mu.Lock(); defer mu.Unlock(); return len(fires) >= 3 })
	time.Sleep(1500 * time.Millisecond) // let both replicas' cron entries wake a few more times
	mu.Lock()
	defer mu.Unlock()
	for fire, n := range fires {
		if n != 1 {
			t.Errorf("fire %v ran %d times, want once", fire, n)
		}
	}
}

func TestAdminJobFiresOnceAcrossReplicasAndIsRemoved(t *testing.T) {
	store := storagetest.New(t)
	rec := &recorder{}
	var scheds []*scheduler.Scheduler
	for i := range 2 {
		s := scheduler.New(store, rec, scheduler.Config{Location: shanghai, SweepEvery: 200 * time.Millisecond, ReplicaID: string(rune('a' + i))})
		scheds = append(scheds, s)
		start(t, s)
	}
	// Stored directly with a near time: /schedule accepts one minute ahead
	// at the earliest.
	ctx := context.Background()
	at := time.Now().Add(1500 * time.Millisecond).Truncate(time.Second)
	if err := store.SaveJob(ctx, communitybot.ScheduledJob{ID: "77", At: at, Text: "<开会>", Topic: communitybot.TopicReminders, Kind: communitybot.KindReminder, ReportTo: 9, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the job to fire and be removed", func() bool {
		_, err := store.Job(ctx, "77")
		return errors.Is(err, communitybot.ErrNotFound)
	})
	time.Sleep(500 * time.Millisecond)
	got := rec.broadcasts()
	if len(got) != 1 {
		t.Fatalf("%d broadcasts, want 1: %+v", len(got), got)
	}
	b := got[0]
	if b.Topic != communitybot.TopicReminders || b.ReportTo != 9 || !strings.Contains(b.Reply.Text, "&lt;开会&gt;") || strings.Contains(b.Reply.Text, "原定于") {
		t.Errorf("broadcast = %+v", b)
	}
	if jobs, _ := scheds[1].Jobs(ctx); len(jobs) != 0 {
		t.Errorf("jobs after the one-off fired: %+v", jobs)
	}
}

func TestMissedOneOffIsSentLateOnStart(t *testing.T) {
	store := storagetest.New(t)
	ctx := context.Background()
	at := time.Now().Add(-3 * time.Hour).Truncate(time.Minute)
	if err := store.SaveJob(ctx, communitybot.ScheduledJob{ID: "5", At: at, Text: "体检", CreatedAt: at.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	start(t, scheduler.New(store, rec, scheduler.Config{Location: shanghai}))
	waitFor(t, "the late fire", func() bool { return len(rec.broadcasts()) == 1 })
	b := rec.broadcasts()[0]
	if !strings.Contains(b.Reply.Text, "原定于 "+at.In(shanghai).Format("2006-01-02 15:04")) || b.Topic != communitybot.TopicReminders {
		t.Errorf("late broadcast = %+v, want the late note", b)
	}
	if rec.keys[0] != storage.FireOnceKey("5", at) {
		t.Errorf("once key = %q", rec.keys[0])
	}
}

func TestMissedRecurringFireIsCaughtUpOnce(t *testing.T) {
	store := storagetest.New(t)
	ctx := context.Background()
	now := time.Now().In(shanghai)
	// A daily job that last fired three days ago: only the latest missed
	// fire is sent, not three.
	spec := now.Add(-time.Hour).Format("4 15") + " * * *"
	last := now.Add(-time.Hour).Truncate(time.Minute).AddDate(0, 0, -3)
	if err := store.SaveJob(ctx, communitybot.ScheduledJob{ID: "daily", Spec: spec, BuiltIn: true, CreatedAt: last.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := store.CompleteFire(ctx, "daily", last, false); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var fires []time.Time
	s := scheduler.New(store, &recorder{}, scheduler.Config{Location: shanghai, SweepEvery: 100 * time.Millisecond})
	s.Register(scheduler.Job{ID: "daily", Spec: spec, Run: func(ctx context.Context, fire time.Time) error {
		mu.Lock()
		fires = append(fires, fire)
		mu.Unlock()
		return nil
	}})
	start(t, s)
	waitFor(t, "the catch-up fire", func() bool { mu.Lock(); defer mu.Unlock(); return len(fires) > 0 })
	time.Sleep(500 * time.Millisecond) // several more sweeps
	mu.Lock()
	defer mu.Unlock()
	want := now.Add(-time.Hour).Truncate(time.Minute)
	if len(fires) != 1 || !fires[0].Equal(want) {
		t.Errorf("fires = %v, want only %v", fires, want)
	}
}

func TestReplicaDiedMidJob(t *testing.T) {
	store := storagetest.New(t)
	ctx := context.Background()
	engine := delivery.New(store, nil, delivery.Config{}) // never run: nothing is sent
	store.Subscribe(ctx, 1, communitybot.TopicReminders)
	at := time.Now().Add(-time.Minute).Truncate(time.Second)
	if err := store.SaveJob(ctx, communitybot.ScheduledJob{ID: "9", At: at, Text: "提醒", CreatedAt: at.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// The dead replica claimed the fire with a short lease and created the
	// broadcast, then died before recording the fire as done.
	if ok, err := store.ClaimFire(ctx, "9", at, "dead", 700*time.Millisecond); err != nil || !ok {
		t.Fatal(ok, err)
	}
	fireCtx := communitybot.WithOnceKey(ctx, storage.FireOnceKey("9", at))
	first, err := engine.Enqueue(fireCtx, communitybot.Broadcast{Kind: communitybot.KindReminder, Topic: communitybot.TopicReminders, Reply: communitybot.Reply{Text: "提醒"}})
	if err != nil {
		t.Fatal(err)
	}
	start(t, scheduler.New(store, engine, scheduler.Config{Location: shanghai, SweepEvery: 100 * time.Millisecond}))
	waitFor(t, "the fire to be taken over and completed", func() bool {
		_, err := store.Job(ctx, "9")
		return errors.Is(err, communitybot.ErrNotFound)
	})
	recent, err := engine.Recent(ctx, 10)
	if err != nil || len(recent) != 1 || recent[0].ID != first.ID {
		t.Fatalf("broadcasts = %+v, %v; want only the dead replica's %s", recent, err, first.ID)
	}
}

func TestPanickingJobKeepsRunning(t *testing.T) {
	store := storagetest.New(t)
	var mu sync.Mutex
	runs := 0
	s := scheduler.New(store, &recorder{}, scheduler.Config{Location: shanghai, Seconds: true})
	s.Register(scheduler.Job{ID: "boom", Spec: "* * * * * *", Run: func(ctx context.Context, fire time.Time) error {
		mu.Lock()
		runs++
		n := runs
		mu.Unlock()
		if n == 1 {
			panic("first run fails")
		}
		return nil
	}})
	start(t, s)
	waitFor(t, "runs after the panic", func() bool { mu.Lock(); defer mu.Unlock(); return runs >= 3 })
}

func TestScheduleMessageValidatesAndCancels(t *testing.T) {
	store := storagetest.New(t)
	ctx := context.Background()
	s := scheduler.New(store, &recorder{}, scheduler.Config{Location: shanghai})
	start(t, s)
	for _, tc := range []struct{ args, want string }{
		{"2020-01-01 09:00 过去的时间", "已经过去了"},
		{"*/5 * * * * 太频繁", "不能少于 1 小时"},
		{"30m", "提醒内容不能为空"},
		{"30m " + strings.Repeat("长", 4097), "太长了（4097 字）"},
		{"下周 开会", "看不懂时间"},
	} {
		_, err := s.ScheduleMessage(ctx, tc.args, 1, 1)
		msg, ok := communitybot.UserMessage(err)
		if !ok || !strings.Contains(msg, tc.want) {
			t.Errorf("ScheduleMessage(%.30q) = %v; want %q", tc.args, err, tc.want)
		}
	}
	if jobs, _ := s.Jobs(ctx); len(jobs) != 0 {
		t.Fatalf("bad input created jobs: %+v", jobs)
	}

	once := communitybot.WithOnceKey(ctx, "update:1")
	j, err := s.ScheduleMessage(once, "0 9 * * 1 每周一例会", 1, 1)
	if err != nil || j.ID == "" || j.Spec != "0 9 * * 1" || j.Next.IsZero() || j.Next.In(shanghai).Weekday() != time.Monday {
		t.Fatalf("ScheduleMessage = %+v, %v", j, err)
	}
	again, err := s.ScheduleMessage(once, "0 9 * * 1 每周一例会", 1, 1)
	if err != nil || again.ID != j.ID {
		t.Errorf("re-handled update created job %q, want %q back", again.ID, j.ID)
	}
	s.Register(scheduler.Job{ID: "study-daily", Spec: "0 8 * * *", Run: func(context.Context, time.Time) error { return nil }})
	jobs, err := s.Jobs(ctx)
	if err != nil || len(jobs) != 2 {
		t.Fatalf("Jobs = %+v, %v", jobs, err)
	}
	if _, err := s.Cancel(ctx, "study-daily"); !errors.Is(err, communitybot.ErrForbidden) {
		t.Errorf("Cancel(built-in) = %v, want ErrForbidden", err)
	}
	if _, err := s.Cancel(ctx, "404"); !errors.Is(err, communitybot.ErrNotFound) {
		t.Errorf("Cancel(404) = %v, want ErrNotFound", err)
	}
	if _, err := s.Cancel(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	if jobs, _ := s.Jobs(ctx); len(jobs) != 1 || jobs[0].ID != "study-daily" {
		t.Errorf("jobs after cancel = %+v", jobs)
	}
}

func TestDailySpec(t *testing.T) {
	for in, want := range map[string]string{"08:00": "0 8 * * *", "8:30": "30 8 * * *", "23:59": "59 23 * * *"} {
		if got, err := scheduler.DailySpec(in); err != nil || got != want {
			t.Errorf("DailySpec(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "25:00", "8点", "08:00:00"} {
		if _, err := scheduler.DailySpec(bad); err == nil {
			t.Errorf("DailySpec(%q) succeeded", bad)
		}
	}
}
