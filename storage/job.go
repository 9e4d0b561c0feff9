package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/zhangmiao/communitybot"
)

// Scheduled jobs live in Redis so that a restart, or another replica,
// reloads them:
//
//	{bc}:jobs                  hash: job id → definition (JSON)
//	{bc}:jobs:last             hash: job id → last completed fire (unix ms)
//	{bc}:fire:<job>:<unix>     one fire of a job: the replica running it
//	                           (with a lease), then "done" for a week
//
// They share the {bc} tag with broadcasts: the lock of a fire and the
// broadcast it creates are written together (see CreateBroadcast's once
// key).

const fireDoneTTL = 8 * 24 * time.Hour

func (s *Store) jobsKey() string     { return s.bcKey("jobs") }
func (s *Store) jobsLastKey() string { return s.bcKey("jobs", "last") }
func (s *Store) fireKey(jobID string, fire time.Time) string {
	return s.bcKey("fire", jobID, strconv.FormatInt(fire.Unix(), 10))
}

// FireOnceKey is the once key (communitybot.WithOnceKey) of one fire of a
// job: whatever the fire creates is created once, however often it is
// retried.
func FireOnceKey(jobID string, fire time.Time) string {
	return "fire:" + jobID + ":" + strconv.FormatInt(fire.Unix(), 10)
}

type jobRecord struct {
	ID        string             `json:"id"`
	Spec      string             `json:"spec,omitempty"`
	At        time.Time          `json:"at,omitzero"`
	Text      string             `json:"text,omitempty"`
	Topic     communitybot.Topic `json:"topic,omitempty"`
	Kind      string             `json:"kind,omitempty"`
	CreatedBy int64              `json:"by,omitempty"`
	ReportTo  int64              `json:"report,omitempty"`
	CreatedAt time.Time          `json:"created"`
	BuiltIn   bool               `json:"builtin,omitempty"`
}

// NextJobID returns a fresh id for an admin job: a small number, easy to
// type in /cancel.
func (s *Store) NextJobID(ctx context.Context) (string, error) {
	n, err := s.rdb.Incr(ctx, s.bcKey("jobs", "seq")).Result()
	if err != nil {
		return "", fmt.Errorf("job id: %w", err)
	}
	return strconv.FormatInt(n, 10), nil
}

// SaveJob stores a job definition, replacing one with the same id.
func (s *Store) SaveJob(ctx context.Context, j communitybot.ScheduledJob) error {
	if j.CreatedAt.IsZero() {
		j.CreatedAt = s.now()
	}
	data, err := json.Marshal(jobRecord{ID: j.ID, Spec: j.Spec, At: j.At, Text: j.Text, Topic: j.Topic, Kind: j.Kind,
		CreatedBy: j.CreatedBy, ReportTo: j.ReportTo, CreatedAt: j.CreatedAt, BuiltIn: j.BuiltIn})
	if err != nil {
		return fmt.Errorf("job %s: %w", j.ID, err)
	}
	if err := s.rdb.HSet(ctx, s.jobsKey(), j.ID, data).Err(); err != nil {
		return fmt.Errorf("save job %s: %w", j.ID, err)
	}
	return nil
}

func parseJob(data string, last string) (communitybot.ScheduledJob, error) {
	var r jobRecord
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		return communitybot.ScheduledJob{}, err
	}
	j := communitybot.ScheduledJob{ID: r.ID, Spec: r.Spec, At: r.At, Text: r.Text, Topic: r.Topic, Kind: r.Kind,
		CreatedBy: r.CreatedBy, ReportTo: r.ReportTo, CreatedAt: r.CreatedAt, BuiltIn: r.BuiltIn}
	if ms, err := strconv.ParseInt(last, 10, 64); err == nil {
		j.LastFire = time.UnixMilli(ms)
	}
	return j, nil
}

// Jobs returns every stored job, ordered by id (numeric ids first, in
// numeric order), with LastFire filled.
func (s *Store) Jobs(ctx context.Context) ([]communitybot.ScheduledJob, error) {
	pipe := s.rdb.Pipeline()
	defs := pipe.HGetAll(ctx, s.jobsKey())
	last := pipe.HGetAll(ctx, s.jobsLastKey())
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	lastFires := last.Val()
	var out []communitybot.ScheduledJob
	for id, data := range defs.Val() {
		j, err := parseJob(data, lastFires[id])
		if err != nil {
			continue // a record we cannot read must not hide the others
		}
		out = append(out, j)
	}
	sort.Slice(out, func(a, b int) bool {
		na, ea := strconv.Atoi(out[a].ID)
		nb, eb := strconv.Atoi(out[b].ID)
		switch {
		case ea == nil && eb == nil:
			return na < nb
		case ea == nil:
			return true
		case eb == nil:
			return false
		}
		return out[a].ID < out[b].ID
	})
	return out, nil
}

// Job returns one job, or an ErrNotFound error.
func (s *Store) Job(ctx context.Context, id string) (communitybot.ScheduledJob, error) {
	pipe := s.rdb.Pipeline()
	def := pipe.HGet(ctx, s.jobsKey(), id)
	last := pipe.HGet(ctx, s.jobsLastKey(), id)
	if _, err := pipe.Exec(ctx); err != nil && !isNil(err) {
		return communitybot.ScheduledJob{}, fmt.Errorf("job %s: %w", id, err)
	}
	if def.Val() == "" {
		return communitybot.ScheduledJob{}, fmt.Errorf("job %s: %w", id, communitybot.ErrNotFound)
	}
	j, err := parseJob(def.Val(), last.Val())
	if err != nil {
		return communitybot.ScheduledJob{}, fmt.Errorf("job %s: %w", id, err)
	}
	return j, nil
}

// DeleteJob removes a job and reports whether it existed.
func (s *Store) DeleteJob(ctx context.Context, id string) (bool, error) {
	pipe := s.rdb.TxPipeline()
	n := pipe.HDel(ctx, s.jobsKey(), id)
	pipe.HDel(ctx, s.jobsLastKey(), id)
	if _, err := pipe.Exec(ctx); err != nil {
		return false, fmt.Errorf("delete job %s: %w", id, err)
	}
	return n.Val() == 1, nil
}

// ClaimFire takes the right to run one fire of a job for lease. It reports
// false when another replica holds it or the fire is already done: each
// fire runs on one replica at a time. If the holder dies, the lease lapses
// and the fire can be claimed again (the fire's once key keeps its
// broadcast from being created twice).
func (s *Store) ClaimFire(ctx context.Context, jobID string, fire time.Time, owner string, lease time.Duration) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, s.fireKey(jobID, fire), "run:"+owner, lease).Result()
	if err != nil {
		return false, fmt.Errorf("claim fire %s@%d: %w", jobID, fire.Unix(), err)
	}
	return ok, nil
}

// completeFire marks a fire done, advances the job's last fire, and for a
// one-off removes the job.
//
// KEYS: fire, last, jobs   ARGV: job, fire-ms, done-ttl, remove
var completeFire = redis.NewScript(`
redis.call('SET', KEYS[1], 'done', 'EX', ARGV[3])
local prev = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if tonumber(ARGV[2]) > prev then redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) end
if ARGV[4] == '1' then
  redis.call('HDEL', KEYS[3], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
end
return 1`)

// CompleteFire records that a fire of a job is done; removeJob deletes a
// one-off job whose only fire this was.
func (s *Store) CompleteFire(ctx context.Context, jobID string, fire time.Time, removeJob bool) error {
	err := s.runScript(ctx, completeFire, []string{s.fireKey(jobID, fire), s.jobsLastKey(), s.jobsKey()},
		jobID, fire.UnixMilli(), int(fireDoneTTL.Seconds()), boolArg(removeJob)).Err()
	if err != nil {
		return fmt.Errorf("complete fire %s@%d: %w", jobID, fire.Unix(), err)
	}
	return nil
}

// ReleaseFire gives up a claimed fire that failed, so it can be retried at
// once rather than after the lease.
func (s *Store) ReleaseFire(ctx context.Context, jobID string, fire time.Time, owner string) error {
	if err := s.runScript(ctx, releaseLease, []string{s.fireKey(jobID, fire)}, "run:"+owner).Err(); err != nil {
		return fmt.Errorf("release fire %s@%d: %w", jobID, fire.Unix(), err)
	}
	return nil
}

// FireDone reports whether a fire of a job completed.
func (s *Store) FireDone(ctx context.Context, jobID string, fire time.Time) (bool, error) {
	v, err := s.rdb.Get(ctx, s.fireKey(jobID, fire)).Result()
	if isNil(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("fire %s@%d: %w", jobID, fire.Unix(), err)
	}
	return v == "done", nil
}

var claimOnce = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return ARGV[1]`)

// ClaimOnce records value under a once key (communitybot.WithOnceKey) if
// nothing is recorded yet, and returns what is recorded: value itself the
// first time, the first value on a retry.
func (s *Store) ClaimOnce(ctx context.Context, key, value string) (string, error) {
	v, err := s.runScript(ctx, claimOnce, []string{s.bcKey("once", key)}, value, int(onceTTL.Seconds())).Text()
	if err != nil {
		return "", fmt.Errorf("once %s: %w", key, err)
	}
	return v, nil
}
