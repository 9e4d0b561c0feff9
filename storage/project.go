package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/zhangmiao/communitybot"
)

// Project keys share the {proj} hash tag so that the scripts below, which
// touch a project's hash, the index and the history together, also run on
// Redis Cluster.
func (s *Store) projectIndexKey() string            { return s.key("{proj}", "ids") }
func (s *Store) projectKey(id string) string        { return s.key("{proj}", "p", id) }
func (s *Store) projectHistoryKey(id string) string { return s.key("{proj}", "h", id) }

// SeedBy is the author recorded for the history entry written when a
// project is first seeded from the content file.
const SeedBy = communitybot.SeedAuthor

// seedProject creates a project from the content file when it is absent and
// otherwise refreshes only its descriptive fields: the live status, progress
// and history belong to staff and are never overwritten by a content reload.
var seedProject = redis.NewScript(`
local exists = redis.call('EXISTS', KEYS[1])
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'name', ARGV[3], 'aliases', ARGV[4], 'summary', ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
if exists == 0 then
  redis.call('HSET', KEYS[1], 'status', ARGV[6], 'progress', ARGV[7], 'note', ARGV[8], 'updated_at', ARGV[9], 'updated_by', ARGV[10])
  redis.call('RPUSH', KEYS[3], ARGV[11])
  return 1
end
return 0`)

// updateProject appends an event to a project's history and applies it to
// the live fields in one step, so a reader never sees one without the other.
var updateProject = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] ~= '' then redis.call('HSET', KEYS[1], 'status', ARGV[1]) end
if ARGV[7] == '1' then redis.call('HSET', KEYS[1], 'progress', '-1')
elseif ARGV[2] ~= '-1' then redis.call('HSET', KEYS[1], 'progress', ARGV[2]) end
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'note', ARGV[3]) end
redis.call('HSET', KEYS[1], 'updated_at', ARGV[4], 'updated_by', ARGV[5])
redis.call('RPUSH', KEYS[2], ARGV[6])
return 1`)

type eventRecord struct {
	At       int64  `json:"at"`
	By       string `json:"by"`
	Status   string `json:"s,omitempty"`
	Progress int    `json:"p"`
	Cleared  bool   `json:"pc,omitempty"` // ClearProgress
	Note     string `json:"n,omitempty"`
}

func encodeEvent(e communitybot.ProjectEvent) (string, error) {
	raw, err := json.Marshal(eventRecord{At: e.At.UnixMilli(), By: e.By, Status: string(e.Status), Progress: e.Progress, Cleared: e.ClearProgress, Note: e.Note})
	return string(raw), err
}

// SeedProjects makes sure every project of the content file exists. It
// returns how many were created. Existing projects keep their status and
// history; only their name, aliases, summary and number follow the content.
func (s *Store) SeedProjects(ctx context.Context, projects []communitybot.Project) (int, error) {
	now := s.now()
	type seed struct{ aliases, event string }
	seeds := make([]seed, len(projects))
	for i, p := range projects {
		aliases, err := json.Marshal(p.Aliases)
		if err != nil {
			return 0, err
		}
		ev, err := encodeEvent(communitybot.ProjectEvent{At: now, By: SeedBy, Status: p.Status, Progress: p.Progress, Note: p.Note})
		if err != nil {
			return 0, err
		}
		seeds[i] = seed{string(aliases), ev}
	}
	var cmds []*redis.Cmd
	err := s.execScripts(ctx, []*redis.Script{seedProject}, func(pipe redis.Pipeliner) {
		cmds = cmds[:0]
		for i, p := range projects {
			cmds = append(cmds, seedProject.EvalSha(ctx, pipe,
				[]string{s.projectKey(p.ID), s.projectIndexKey(), s.projectHistoryKey(p.ID)},
				p.ID, p.Number, p.Name, seeds[i].aliases, p.Summary,
				string(p.Status), p.Progress, p.Note, now.UnixMilli(), SeedBy, seeds[i].event))
		}
	})
	if err != nil {
		return 0, fmt.Errorf("seed projects: %w", err)
	}
	created := 0
	for _, c := range cmds {
		if n, _ := c.Int(); n == 1 {
			created++
		}
	}
	return created, nil
}

// Project returns one project. It returns an error wrapping
// communitybot.ErrNotFound if there is no project with that id.
func (s *Store) Project(ctx context.Context, id string) (communitybot.Project, error) {
	pipe := s.rdb.Pipeline()
	fields := pipe.HGetAll(ctx, s.projectKey(id))
	number := pipe.ZScore(ctx, s.projectIndexKey(), id)
	if _, err := pipe.Exec(ctx); err != nil && !isNil(err) {
		return communitybot.Project{}, fmt.Errorf("project %s: %w", id, err)
	}
	if len(fields.Val()) == 0 {
		return communitybot.Project{}, fmt.Errorf("project %s: %w", id, communitybot.ErrNotFound)
	}
	return decodeProject(fields.Val(), int(number.Val())), nil
}

// Projects returns every project in display-number order.
func (s *Store) Projects(ctx context.Context) ([]communitybot.Project, error) {
	ids, err := s.rdb.ZRangeWithScores(ctx, s.projectIndexKey(), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	for i, z := range ids {
		cmds[i] = pipe.HGetAll(ctx, s.projectKey(z.Member.(string)))
	}
	if len(ids) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, fmt.Errorf("list projects: %w", err)
		}
	}
	out := make([]communitybot.Project, 0, len(ids))
	for i, c := range cmds {
		if m := c.Val(); len(m) > 0 {
			out = append(out, decodeProject(m, int(ids[i].Score)))
		}
	}
	return out, nil
}

// UpdateProject applies ev to the project and appends it to its history.
// It returns an error wrapping communitybot.ErrNotFound for an unknown id and
// communitybot.ErrInvalid (with a user-safe message) for a bad event.
func (s *Store) UpdateProject(ctx context.Context, id string, ev communitybot.ProjectEvent) error {
	if err := ev.Validate(); err != nil {
		return err
	}
	if ev.At.IsZero() {
		ev.At = s.now()
	}
	raw, err := encodeEvent(ev)
	if err != nil {
		return err
	}
	n, err := s.runScript(ctx, updateProject, []string{s.projectKey(id), s.projectHistoryKey(id)},
		string(ev.Status), ev.Progress, ev.Note, ev.At.UnixMilli(), ev.By, raw, flag(ev.ClearProgress)).Int()
	if err != nil {
		return fmt.Errorf("update project %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("project %s: %w", id, communitybot.ErrNotFound)
	}
	return nil
}

// ProjectHistory returns up to the last n events of a project, oldest first.
func (s *Store) ProjectHistory(ctx context.Context, id string, n int) ([]communitybot.ProjectEvent, error) {
	raws, err := s.rdb.LRange(ctx, s.projectHistoryKey(id), int64(-n), -1).Result()
	if err != nil {
		return nil, fmt.Errorf("project %s history: %w", id, err)
	}
	out := make([]communitybot.ProjectEvent, 0, len(raws))
	for _, raw := range raws {
		var r eventRecord
		if err := json.Unmarshal([]byte(raw), &r); err != nil {
			continue
		}
		out = append(out, communitybot.ProjectEvent{
			At: time.UnixMilli(r.At), By: r.By, Status: communitybot.ProjectStatus(r.Status), Progress: r.Progress, ClearProgress: r.Cleared, Note: r.Note,
		})
	}
	return out, nil
}

func decodeProject(m map[string]string, number int) communitybot.Project {
	p := communitybot.Project{
		ID:        m["id"],
		Number:    number,
		Name:      m["name"],
		Summary:   m["summary"],
		Status:    communitybot.ProjectStatus(m["status"]),
		Note:      m["note"],
		UpdatedBy: m["updated_by"],
		Progress:  communitybot.NoProgress,
	}
	_ = json.Unmarshal([]byte(m["aliases"]), &p.Aliases)
	if v, err := strconv.Atoi(m["progress"]); err == nil {
		p.Progress = v
	}
	if v, err := strconv.ParseInt(m["updated_at"], 10, 64); err == nil {
		p.UpdatedAt = time.UnixMilli(v)
	}
	return p
}

// flag passes a bool to a script as "1" or "0".
func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
