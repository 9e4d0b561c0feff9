// Package scheduler fires scheduled jobs — admins' reminders from
// /schedule and built-in recurring jobs such as the daily study prompt —
// exactly once per fire time across replicas, and catches up on fires
// missed while no replica was running. It is the only package that imports
// robfig/cron.
//
// Every job definition lives in Redis. robfig/cron gives punctual wake-ups
// in each replica; it persists nothing and never catches up, so a sweep
// (at start and every SweepEvery) reloads the jobs and fires any whose
// time has passed without a completed fire: a one-off that fell due while
// the bot was down is sent when it comes back, marked late.
//
// A fire runs on one replica: it is claimed in Redis with a lease keyed by
// job and fire time. The broadcast it creates is tied to the same key (a
// once key, stored atomically with the broadcast), so if the replica dies
// mid-job and another takes the fire over after the lease, the broadcast
// is not created twice; the delivery engine finishes it either way.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/storage"
)

// Job is a built-in recurring job registered by code.
type Job struct {
	ID    string
	Spec  string // cron, 5 fields, in the configured time zone
	Title string // what the job does, in Chinese, for /jobs
	// Run does the job's work for the fire at fire. Its context carries the
	// fire's once key (communitybot.WithOnceKey): a broadcast it enqueues is
	// created once even if Run is retried. A non-nil error leaves the fire
	// to be retried by the next sweep.
	Run func(ctx context.Context, fire time.Time) error
}

// Store is what the scheduler keeps in Redis (storage.Store).
type Store interface {
	NextJobID(ctx context.Context) (string, error)
	SaveJob(ctx context.Context, j communitybot.ScheduledJob) error
	Jobs(ctx context.Context) ([]communitybot.ScheduledJob, error)
	Job(ctx context.Context, id string) (communitybot.ScheduledJob, error)
	DeleteJob(ctx context.Context, id string) (bool, error)
	ClaimFire(ctx context.Context, jobID string, fire time.Time, owner string, lease time.Duration) (bool, error)
	CompleteFire(ctx context.Context, jobID string, fire time.Time, removeJob bool) error
	ReleaseFire(ctx context.Context, jobID string, fire time.Time, owner string) error
	ClaimOnce(ctx context.Context, key, value string) (string, error)
}

// Enqueuer creates broadcasts (delivery.Engine).
type Enqueuer interface {
	Enqueue(ctx context.Context, b communitybot.Broadcast) (communitybot.Broadcast, error)
}

// Config tunes a Scheduler. Zero values take the defaults in brackets.
type Config struct {
	Location    *time.Location // [UTC]; the bot passes TIMEZONE
	JobTimeout  time.Duration  // one run of a job [2m]
	Lease       time.Duration  // how long a claimed fire is held before another replica may retry it [JobTimeout + 30s]
	SweepEvery  time.Duration  // reload jobs and catch up [30s]
	LateAfter   time.Duration  // a fire run later than this after its time says it is late [2m]
	MinInterval time.Duration  // shortest interval of an admin's recurring reminder [1h]
	ReplicaID   string         // [random]
	Logger      *slog.Logger
	// Seconds makes specs 6 fields with leading seconds (tests only).
	Seconds bool
	// Now replaces the clock for parsing and catch-up (tests).
	Now func() time.Time
}

// Scheduler fires jobs. Create it with New, register built-in jobs, and
// call Run.
type Scheduler struct {
	cfg    Config
	store  Store
	engine Enqueuer
	log    *slog.Logger
	parser cron.Parser
	fields int
	cron   *cron.Cron

	sweeps sync.WaitGroup // fires started by the sweep

	mu       sync.Mutex
	runCtx   context.Context // set by Run: jobs' contexts derive from it (STYLE §4)
	builtins map[string]Job
	entries  map[string]scheduled // job id → its cron entry
}

type scheduled struct {
	entry cron.EntryID
	sig   string // what the entry was made from; a changed definition is re-added
}

// New returns a Scheduler that sends admins' jobs through engine.
func New(store Store, engine Enqueuer, cfg Config) *Scheduler {
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.JobTimeout <= 0 {
		cfg.JobTimeout = 2 * time.Minute
	}
	if cfg.Lease <= 0 {
		cfg.Lease = cfg.JobTimeout + 30*time.Second
	}
	if cfg.SweepEvery <= 0 {
		cfg.SweepEvery = 30 * time.Second
	}
	if cfg.LateAfter <= 0 {
		cfg.LateAfter = 2 * time.Minute
	}
	if cfg.MinInterval <= 0 {
		cfg.MinInterval = time.Hour
	}
	if cfg.ReplicaID == "" {
		cfg.ReplicaID = communitybot.NewReplicaID()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Scheduler{cfg: cfg, store: store, engine: engine, log: cfg.Logger, builtins: map[string]Job{}, entries: map[string]scheduled{}}
	opts := cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor
	s.fields = 5
	if cfg.Seconds {
		opts |= cron.Second
		s.fields = 6
	}
	s.parser = cron.NewParser(opts)
	logger := cronLogger{s.log.With("component", "cron")}
	s.cron = cron.New(
		cron.WithLocation(cfg.Location),
		cron.WithParser(s.parser),
		cron.WithLogger(logger),
		// Recover is not in robfig/cron's default chain despite its docs; a
		// panicking job must not stop its next runs. SkipIfStillRunning
		// comes first so a slow run is not stacked up.
		cron.WithChain(cron.SkipIfStillRunning(logger), cron.Recover(logger)),
	)
	return s
}

// Register adds a built-in recurring job. Its definition is stored in Redis
// like an admin's job (so /jobs lists it and every replica agrees on it),
// and it fires exactly once per fire time across replicas. Register panics
// on a malformed spec: a wiring bug, found at startup.
func (s *Scheduler) Register(j Job) {
	sched, err := s.parser.Parse(j.Spec)
	if err != nil {
		panic(fmt.Sprintf("scheduler: job %s: bad spec %q: %v", j.ID, j.Spec, err))
	}
	if j.ID == "" || j.Run == nil {
		panic("scheduler: a job needs an ID and a Run func")
	}
	s.mu.Lock()
	s.builtins[j.ID] = j
	running := s.runCtx != nil
	s.mu.Unlock()
	if running {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.saveBuiltin(ctx, j); err != nil {
			s.log.Warn("built-in job not stored; the next sweep retries", "job", j.ID, "err", err)
		}
		s.ensureEntry(communitybot.ScheduledJob{ID: j.ID, Spec: j.Spec, BuiltIn: true}, sched)
	}
}

func (s *Scheduler) saveBuiltin(ctx context.Context, j Job) error {
	prev, err := s.store.Job(ctx, j.ID)
	if err == nil && prev.BuiltIn && prev.Spec == j.Spec && prev.Text == j.Title {
		return nil // keep CreatedAt: catch-up starts from it
	}
	if err != nil && !errors.Is(err, communitybot.ErrNotFound) {
		return err
	}
	createdAt := s.cfg.Now()
	if err == nil && prev.BuiltIn {
		createdAt = prev.CreatedAt // a new title or spec does not restart catch-up
	}
	return s.store.SaveJob(ctx, communitybot.ScheduledJob{ID: j.ID, Spec: j.Spec, Text: j.Title, BuiltIn: true, Kind: j.ID, CreatedAt: createdAt})
}

// Run fires jobs until ctx is cancelled, then waits (up to JobTimeout) for
// running jobs to finish.
func (s *Scheduler) Run(ctx context.Context) error {
	s.mu.Lock()
	s.runCtx = ctx
	builtins := make([]Job, 0, len(s.builtins))
	for _, j := range s.builtins {
		builtins = append(builtins, j)
	}
	s.mu.Unlock()
	for _, j := range builtins {
		if err := s.saveBuiltin(ctx, j); err != nil {
			s.log.Warn("built-in job not stored; the sweep retries", "job", j.ID, "err", err)
		}
	}
	s.sweep(ctx)
	s.cron.Start()
	tick := time.NewTicker(s.cfg.SweepEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			stopped := s.cron.Stop()
			all := make(chan struct{})
			go func() {
				<-stopped.Done()
				s.sweeps.Wait()
				close(all)
			}()
			select {
			case <-all:
			case <-time.After(s.cfg.JobTimeout):
				s.log.Warn("scheduled jobs still running at shutdown; their fires will be retried")
			}
			return nil
		case <-tick.C:
			s.sweep(ctx)
		}
	}
}

// sweep reloads the jobs from Redis (jobs added or cancelled on another
// replica), keeps the cron entries in step, and fires whatever is overdue.
func (s *Scheduler) sweep(ctx context.Context) {
	jobs, err := s.store.Jobs(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("cannot load scheduled jobs", "err", err)
		}
		return
	}
	now := s.cfg.Now().In(s.cfg.Location)
	live := map[string]bool{}
	s.mu.Lock()
	builtins := s.builtins
	s.mu.Unlock()
	for _, j := range jobs {
		if j.BuiltIn {
			b, ok := builtins[j.ID]
			if !ok {
				continue // registered by another version of the bot
			}
			j.Spec = b.Spec
		}
		sched, err := s.scheduleOf(j)
		if err != nil {
			s.log.Error("stored job has a bad schedule; skipping it", "job", j.ID, "err", err)
			continue
		}
		live[j.ID] = true
		s.ensureEntry(j, sched)
		if fire, ok := overdue(j, sched, now); ok {
			s.sweeps.Go(func() { s.fire(j.ID, fire) })
		}
	}
	// Built-ins not stored yet (Redis was down at start) still fire.
	for id, b := range builtins {
		if !live[id] {
			if err := s.saveBuiltin(ctx, b); err == nil {
				sched, _ := s.parser.Parse(b.Spec)
				s.ensureEntry(communitybot.ScheduledJob{ID: id, Spec: b.Spec, BuiltIn: true}, sched)
				live[id] = true
			}
		}
	}
	s.mu.Lock()
	for id, e := range s.entries {
		if !live[id] {
			s.cron.Remove(e.entry)
			delete(s.entries, id)
		}
	}
	s.mu.Unlock()
}

// overdue returns the fire of j that is past and not completed, if any:
// for a one-off its time, for a recurring job its latest past fire after
// the last completed one (older missed fires are not replayed). Fires
// younger than a few seconds are left to the punctual cron entry.
func overdue(j communitybot.ScheduledJob, sched cron.Schedule, now time.Time) (time.Time, bool) {
	const grace = 3 * time.Second
	if !j.Recurring() {
		return j.At, !j.At.IsZero() && now.Sub(j.At) >= grace && j.LastFire.IsZero()
	}
	// Schedules are read in now's location (the configured time zone):
	// robfig/cron interprets a spec in the location of the time it is given.
	from := j.CreatedAt.In(now.Location())
	if j.LastFire.After(from) {
		from = j.LastFire.In(now.Location())
	}
	var last time.Time
	for t := sched.Next(from); !t.IsZero() && !t.After(now); t = sched.Next(t) {
		last = t
	}
	return last, !last.IsZero() && now.Sub(last) >= grace
}

func (s *Scheduler) scheduleOf(j communitybot.ScheduledJob) (cron.Schedule, error) {
	if j.Recurring() {
		return s.parser.Parse(j.Spec)
	}
	return onceSchedule{at: j.At}, nil
}

// ensureEntry adds j to cron unless it is there with the same definition.
func (s *Scheduler) ensureEntry(j communitybot.ScheduledJob, sched cron.Schedule) {
	sig := j.Spec + "|" + j.At.String()
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.entries[j.ID]; ok {
		if e.sig == sig {
			return
		}
		s.cron.Remove(e.entry)
	}
	id := j.ID
	entry := s.cron.Schedule(sched, cron.FuncJob(func() {
		fire, ok := lastFireTime(sched, s.cfg.Now().In(s.cfg.Location), s.fields)
		if !ok {
			return
		}
		s.fire(id, fire)
	}))
	s.entries[j.ID] = scheduled{entry: entry, sig: sig}
}

// lastFireTime is the fire cron just woke up for: the schedule's latest
// time at or before now. cron's own job gets no fire time, and each
// replica must name the fire the same way for the lock to work.
func lastFireTime(sched cron.Schedule, now time.Time, fields int) (time.Time, bool) {
	if o, ok := sched.(onceSchedule); ok {
		return o.at, !o.at.After(now)
	}
	window := 61 * time.Second
	if fields == 6 {
		window = 2 * time.Second
	}
	var last time.Time
	for t := sched.Next(now.Add(-window)); !t.IsZero() && !t.After(now); t = sched.Next(t) {
		last = t
	}
	return last, !last.IsZero()
}

// fire runs one fire of a job on this replica, if this replica claims it.
func (s *Scheduler) fire(jobID string, fire time.Time) {
	s.mu.Lock()
	parent := s.runCtx
	builtin, isBuiltin := s.builtins[jobID]
	s.mu.Unlock()
	if parent == nil {
		return
	}
	// The job survives shutdown with its own deadline (STYLE §4): stopping
	// half-way would only make another replica redo it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), s.cfg.JobTimeout)
	defer cancel()
	log := s.log.With("job", jobID, "fire", fire.In(s.cfg.Location).Format(time.DateTime))
	claimed, err := s.store.ClaimFire(ctx, jobID, fire, s.cfg.ReplicaID, s.cfg.Lease)
	if err != nil {
		log.Warn("cannot claim a fire; the sweep retries", "err", err)
		return
	}
	if !claimed {
		return // another replica runs it, or it is done
	}
	// Re-read the job: it may have been cancelled on another replica.
	j, err := s.store.Job(ctx, jobID)
	if err != nil {
		if !errors.Is(err, communitybot.ErrNotFound) {
			log.Warn("cannot read the job; the sweep retries", "err", err)
			_ = s.store.ReleaseFire(ctx, jobID, fire, s.cfg.ReplicaID)
		}
		return
	}
	if !j.LastFire.Before(fire) && !j.LastFire.IsZero() {
		_ = s.store.ReleaseFire(ctx, jobID, fire, s.cfg.ReplicaID)
		return
	}
	late := s.cfg.Now().Sub(fire) > s.cfg.LateAfter
	ctx = communitybot.WithOnceKey(ctx, storage.FireOnceKey(jobID, fire))
	switch {
	case j.BuiltIn && isBuiltin:
		err = runSafely(ctx, builtin, fire)
	case j.BuiltIn:
		err = errors.New("built-in job not registered in this replica")
	default:
		err = s.sendMessage(ctx, j, fire, late)
	}
	if err != nil {
		log.Error("scheduled job failed; the sweep retries", "err", err)
		_ = s.store.ReleaseFire(ctx, jobID, fire, s.cfg.ReplicaID)
		return
	}
	if err := s.store.CompleteFire(ctx, jobID, fire, !j.Recurring()); err != nil {
		// The lease lapses and another sweep re-runs the fire; the once
		// key makes that a no-op.
		log.Warn("cannot record a completed fire", "err", err)
		return
	}
	log.Info("scheduled job fired", "late", late)
}

// runSafely runs a built-in job, turning a panic into an error: a fire
// started by the sweep is outside cron's Recover wrapper.
func runSafely(ctx context.Context, j Job, fire time.Time) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("job %s panicked: %v", j.ID, v)
		}
	}()
	return j.Run(ctx, fire)
}

// sendMessage broadcasts an admin's scheduled message to its topic.
func (s *Scheduler) sendMessage(ctx context.Context, j communitybot.ScheduledJob, fire time.Time, late bool) error {
	text := "⏰ <b>提醒</b>\n\n" + html.EscapeString(j.Text)
	if late {
		text += fmt.Sprintf("\n\n<i>（本提醒原定于 %s 发送，因系统暂停而延后送达，敬请谅解。）</i>", fire.In(s.cfg.Location).Format("2006-01-02 15:04"))
	}
	kind := j.Kind
	if kind == "" {
		kind = communitybot.KindReminder
	}
	topic := j.Topic
	if topic == "" {
		topic = communitybot.TopicReminders
	}
	// The admin knows the reminder by its job number (the /schedule
	// confirmation, /jobs, /cancel): its reports use that number, not the
	// broadcast's own.
	title := "提醒 #" + j.ID
	if j.Recurring() {
		title += " · " + communitybot.FormatTime(fire.In(s.cfg.Location), fire)
	}
	_, err := s.engine.Enqueue(ctx, communitybot.Broadcast{Kind: kind, Topic: topic, Reply: communitybot.Reply{Text: text}, CreatedBy: j.CreatedBy, ReportTo: j.ReportTo, Title: title})
	return err
}

// ScheduleMessage parses "<when> <text>" and stores a job that sends the
// text to the 提醒 (reminders) subscribers, reporting to reportTo. Under a
// once key (a re-handled update) it returns the job created the first
// time.
func (s *Scheduler) ScheduleMessage(ctx context.Context, args string, createdBy, reportTo int64) (communitybot.ScheduledJob, error) {
	now := s.cfg.Now()
	w, text, err := ParseWhen(args, now, s.cfg.Location, s.parser, s.fields)
	if err != nil {
		return communitybot.ScheduledJob{}, err
	}
	if err := communitybot.CheckMessageText(text, "提醒内容", "/schedule 明天上午9点 社区体检，请带好医保卡。"); err != nil {
		return communitybot.ScheduledJob{}, err
	}
	if w.Recurring() {
		if err := checkInterval(w.Schedule, now.In(s.cfg.Location), s.cfg.MinInterval); err != nil {
			return communitybot.ScheduledJob{}, err
		}
	}
	id, err := s.store.NextJobID(ctx)
	if err != nil {
		return communitybot.ScheduledJob{}, err
	}
	if key, ok := communitybot.OnceKey(ctx); ok {
		first, err := s.store.ClaimOnce(ctx, "job:"+key, id)
		if err != nil {
			return communitybot.ScheduledJob{}, err
		}
		if first != id {
			if prev, err := s.store.Job(ctx, first); err == nil {
				return s.withNext(prev, now), nil
			}
			id = first // the first attempt died before storing the job
		}
	}
	j := communitybot.ScheduledJob{ID: id, Spec: w.Spec, At: w.At, Text: text, Topic: communitybot.TopicReminders,
		Kind: communitybot.KindReminder, CreatedBy: createdBy, ReportTo: reportTo, CreatedAt: now}
	if err := s.store.SaveJob(ctx, j); err != nil {
		return communitybot.ScheduledJob{}, err
	}
	if sched, err := s.scheduleOf(j); err == nil {
		s.mu.Lock()
		running := s.runCtx != nil
		s.mu.Unlock()
		if running {
			s.ensureEntry(j, sched)
		}
	}
	s.log.Info("job scheduled", "job", j.ID, "spec", j.Spec, "at", j.At, "by", createdBy)
	return s.withNext(j, now), nil
}

// withNext fills j.Next: the next fire after now, or zero for a one-off
// that is overdue (it is sent by the next sweep).
func (s *Scheduler) withNext(j communitybot.ScheduledJob, now time.Time) communitybot.ScheduledJob {
	if j.BuiltIn {
		s.mu.Lock()
		if b, ok := s.builtins[j.ID]; ok {
			j.Spec = b.Spec
		}
		s.mu.Unlock()
	}
	sched, err := s.scheduleOf(j)
	if err != nil {
		return j
	}
	if j.Recurring() {
		j.Every = Describe(j.Spec)
	}
	if n := sched.Next(now.In(s.cfg.Location)); !n.IsZero() {
		j.Next = n
	}
	return j
}

// Jobs lists every job with its next fire.
func (s *Scheduler) Jobs(ctx context.Context) ([]communitybot.ScheduledJob, error) {
	jobs, err := s.store.Jobs(ctx)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	for i := range jobs {
		jobs[i] = s.withNext(jobs[i], now)
	}
	return jobs, nil
}

// Cancel removes an admin's job. Built-in jobs are configured by env and
// cannot be cancelled. A fire already running finishes.
func (s *Scheduler) Cancel(ctx context.Context, id string) (communitybot.ScheduledJob, error) {
	j, err := s.store.Job(ctx, id)
	if errors.Is(err, communitybot.ErrNotFound) {
		return j, communitybot.Errorf(communitybot.ErrNotFound, "没有编号为 %s 的提醒或定时任务（可能已经发送或被取消）。发送 /jobs 可查看全部定时任务。", truncate(id, 20))
	}
	if err != nil {
		return j, err
	}
	if j.BuiltIn {
		return j, communitybot.Errorf(communitybot.ErrForbidden, "#%s 是内置任务，不能用 /cancel 取消；它的时间由环境变量配置。", truncate(id, 20))
	}
	if _, err := s.store.DeleteJob(ctx, id); err != nil {
		return j, err
	}
	s.mu.Lock()
	if e, ok := s.entries[id]; ok {
		s.cron.Remove(e.entry)
		delete(s.entries, id)
	}
	s.mu.Unlock()
	s.log.Info("job cancelled", "job", id)
	return j, nil
}

// onceSchedule fires once at at. robfig/cron treats a zero Next as never.
type onceSchedule struct{ at time.Time }

func (o onceSchedule) Next(t time.Time) time.Time {
	if t.Before(o.at) {
		return o.at
	}
	return time.Time{}
}

// cronLogger routes robfig/cron's logger to slog.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append([]any{"err", err}, kv...)...)
}
