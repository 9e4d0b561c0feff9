package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/zhangmiao/communitybot"
)

// Projects added by staff (not from the content file) are listed in a set,
// so the knowledge base can include them for matching and the export tool
// can write them back to the content file.
func (s *Store) addedProjectsKey() string { return s.key("{proj}", "added") }

// lastAddedNumberKey holds the highest number ever given to an added
// project.
func (s *Store) lastAddedNumberKey() string { return s.key("{proj}", "last-added") }

// addProject numbers a new project after the highest number in use and
// derives its id from the number, so two staff adding projects at once get
// different numbers and ids. Returns {number, id}, or {0, ”} if the id is
// taken.
//
// Numbers (and so ids) are never reused: KEYS[3] remembers the highest
// number ever given, so after /delproject a new project does not inherit
// the deleted one's number, subscribers or learned questions.
var addProject = redis.NewScript(`
local top = redis.call('ZREVRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local n = 1
if top[2] then n = math.floor(tonumber(top[2])) + 1 end
local last = tonumber(redis.call('GET', KEYS[3]) or '0')
if n <= last then n = last + 1 end
local id = 'project-' .. n
local key = ARGV[1] .. id
if redis.call('EXISTS', key) == 1 then return {0, ''} end
redis.call('HSET', key, 'id', id, 'name', ARGV[3], 'aliases', ARGV[4], 'summary', ARGV[5],
  'status', ARGV[6], 'progress', ARGV[7], 'note', ARGV[8], 'updated_at', ARGV[9], 'updated_by', ARGV[10])
redis.call('ZADD', KEYS[1], n, id)
redis.call('RPUSH', ARGV[2] .. id, ARGV[11])
redis.call('SADD', KEYS[2], id)
redis.call('SET', KEYS[3], n)
return {n, id}`)

// AddProject creates a project from its static part and initial status
// (p.ID and p.Number are assigned here), records the first history entry
// by p.UpdatedBy, and bumps the knowledge version. It returns the stored
// project. The caller checks the name is not taken.
func (s *Store) AddProject(ctx context.Context, p communitybot.Project) (communitybot.Project, error) {
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = s.now()
	}
	ev := communitybot.ProjectEvent{At: p.UpdatedAt, By: p.UpdatedBy, Status: p.Status, Progress: p.Progress, Note: p.Note}
	if err := ev.Validate(); err != nil {
		return communitybot.Project{}, err
	}
	aliases, err := json.Marshal(p.Aliases)
	if err != nil {
		return communitybot.Project{}, err
	}
	raw, err := encodeEvent(ev)
	if err != nil {
		return communitybot.Project{}, err
	}
	res, err := s.runScript(ctx, addProject, []string{s.projectIndexKey(), s.addedProjectsKey(), s.lastAddedNumberKey()},
		s.projectKey(""), s.projectHistoryKey(""), p.Name, string(aliases), p.Summary,
		string(p.Status), p.Progress, p.Note, p.UpdatedAt.UnixMilli(), p.UpdatedBy, raw).Slice()
	if err != nil {
		return communitybot.Project{}, fmt.Errorf("add project: %w", err)
	}
	n, _ := res[0].(int64)
	id, _ := res[1].(string)
	if n == 0 {
		return communitybot.Project{}, fmt.Errorf("add project: id taken: %w", communitybot.ErrConflict)
	}
	if _, err := s.BumpKnowledgeVersion(ctx); err != nil {
		return communitybot.Project{}, err
	}
	return s.Project(ctx, id)
}

// AddedProjects returns the projects staff added, in number order.
func (s *Store) AddedProjects(ctx context.Context) ([]communitybot.Project, error) {
	ids, err := s.rdb.SMembers(ctx, s.addedProjectsKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("added projects: %w", err)
	}
	added := make(map[string]bool, len(ids))
	for _, id := range ids {
		added[id] = true
	}
	if len(added) == 0 {
		return nil, nil
	}
	all, err := s.Projects(ctx)
	if err != nil {
		return nil, err
	}
	var out []communitybot.Project
	for _, p := range all {
		if added[p.ID] {
			out = append(out, p)
		}
	}
	return out, nil
}

// ErrContentProject is returned by DeleteProject for a project of the
// content file: it is seeded again at every start, so it is changed in the
// file, not deleted in the bot.
var ErrContentProject = errors.New("project comes from the content file")

// deleteProject removes a staff-added project: its hash, history, number
// and membership of the added set. Returns 1, 0 if there is no such
// project, -1 if it is not a staff-added one.
//
// KEYS: project, history, index, added, last number. ARGV: id.
var deleteProject = redis.NewScript(`
if redis.call('SISMEMBER', KEYS[4], ARGV[1]) == 0 then
  if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
  return 0
end
local n = tonumber(redis.call('ZSCORE', KEYS[3], ARGV[1]) or '0')
local last = tonumber(redis.call('GET', KEYS[5]) or '0')
if n > last then redis.call('SET', KEYS[5], n) end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('SREM', KEYS[4], ARGV[1])
return 1`)

// DeleteProject removes a project staff added with AddProject, with its
// history and its subscriptions, and bumps the knowledge version. It
// returns an error wrapping communitybot.ErrNotFound when there is no such
// project and ErrContentProject for a project of the content file.
func (s *Store) DeleteProject(ctx context.Context, id string) error {
	n, err := s.runScript(ctx, deleteProject,
		[]string{s.projectKey(id), s.projectHistoryKey(id), s.projectIndexKey(), s.addedProjectsKey(), s.lastAddedNumberKey()}, id).Int()
	if err != nil {
		return fmt.Errorf("delete project %s: %w", id, err)
	}
	switch n {
	case 0:
		return fmt.Errorf("project %s: %w", id, communitybot.ErrNotFound)
	case -1:
		return fmt.Errorf("delete project %s: %w", id, ErrContentProject)
	}
	// The subscriptions live outside the {proj} slot, so they go in a
	// second step; were it lost they would only be an unused set, as the
	// id is never given again.
	pipe := s.rdb.Pipeline()
	pipe.Del(ctx, s.subscriptionKey(communitybot.ProjectTopic(id)))
	pipe.Incr(ctx, s.knowledgeVersionKey())
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("project %s deleted; subscriptions and knowledge version: %w", id, err)
	}
	return nil
}
