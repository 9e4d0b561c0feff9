package staff

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/content"
)

// Merge returns a copy of base with the staff-added projects and the
// learned entries applied, ready for the Q&A and for export. base is not
// modified.
//
// The result is always valid: an entry that no longer fits (its topic was
// removed from the content file, its question is already there, the
// content file now has a topic of the same id) is skipped, and reported in
// skipped with the reason, rather than breaking the whole knowledge base.
func Merge(base *content.KnowledgeBase, learned []communitybot.LearnedEntry, added []communitybot.Project) (kb *content.KnowledgeBase, skipped []string) {
	type change struct {
		what  string
		apply func(*content.KnowledgeBase)
	}
	var changes []change
	inBase := map[string]bool{}
	for _, p := range base.Projects {
		inBase[p.ID] = true
	}
	// Staff-added projects follow the content's projects. Their numbers in
	// the knowledge base are made consecutive (the validator wants 1..n);
	// the numbers residents see come from storage.
	for _, p := range added {
		if inBase[p.ID] {
			continue // exported into the content file since
		}
		p.Aliases = slices.Clone(p.Aliases)
		changes = append(changes, change{"project " + p.ID, func(kb *content.KnowledgeBase) {
			p.Number = len(kb.Projects) + 1
			kb.Projects = append(kb.Projects, p)
		}})
	}
	for _, e := range learned {
		what := "learned " + e.ID
		switch e.Kind {
		case communitybot.LearnQuestion:
			if _, exists := base.Topic(e.ID); exists {
				continue // exported into the content file since
			}
			if t, ok := staffTopic(e); ok {
				// The staff answer, attributed, answers this question and
				// its paraphrases; the target keeps its own answer for
				// everything else.
				changes = append(changes, change{what, func(kb *content.KnowledgeBase) {
					if !hasEntry(kb, t.About) {
						addQuestion(kb, t.About, e.Question) // fails validation: skipped with a reason
						return
					}
					kb.Topics = append(kb.Topics, t)
				}})
				continue
			}
			changes = append(changes, change{what, func(kb *content.KnowledgeBase) { addQuestion(kb, e.Target, e.Question) }})
		case communitybot.LearnTopic:
			if _, exists := base.Topic(e.ID); exists {
				continue // exported into the content file since
			}
			changes = append(changes, change{what, func(kb *content.KnowledgeBase) {
				kb.Topics = append(kb.Topics, content.Topic{ID: e.ID, Title: e.Title, Answer: e.Answer, Questions: []string{e.Question},
					StaffAnswered: staffDate(e)})
			}})
		default:
			skipped = append(skipped, what+": unknown kind "+string(e.Kind))
		}
	}

	kb = cloneKB(base)
	if kb.Validate() != nil {
		return kb, append(skipped, "base knowledge base is invalid")
	}
	// Fast path: everything fits, one validation.
	for _, c := range changes {
		c.apply(kb)
	}
	if kb.Validate() == nil && !missingTargets(kb, learned) {
		return kb, skipped
	}
	// Something does not fit: apply one change at a time and keep those
	// that leave the knowledge base valid.
	kb = cloneKB(base)
	for _, c := range changes {
		try(kb, &skipped, c.what, c.apply)
	}
	return kb, skipped
}

// staffTopic is the entry a question learned onto a topic or project
// becomes when its staff answer is known: the answer, attributed to staff
// with its date, for this question and its paraphrases. ok is false for
// entries stored without an answer (they only add a phrasing) and for an
// answer too long to be an entry.
func staffTopic(e communitybot.LearnedEntry) (content.Topic, bool) {
	answer := strings.TrimSpace(e.Answer)
	if answer == "" || utf8.RuneCountInString(answer) > content.MaxAnswerRunes {
		return content.Topic{}, false
	}
	return content.Topic{ID: e.ID, Title: truncateRunes(strings.TrimSpace(e.Question), content.MaxTitleRunes), Answer: answer,
		Questions: []string{e.Question}, StaffAnswered: staffDate(e), About: e.Target}, true
}

// staffDate is the day staff answered, in the subdistrict's time zone.
func staffDate(e communitybot.LearnedEntry) string {
	at := e.AnsweredAt
	if at.IsZero() {
		at = e.At
	}
	return at.In(shanghai()).Format(time.DateOnly)
}

var shanghai = sync.OnceValue(func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
})

func truncateRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// missingTargets reports whether an alternate question points at a topic
// or project that no longer exists (addQuestion then adds nothing, which
// Validate cannot see).
func missingTargets(kb *content.KnowledgeBase, learned []communitybot.LearnedEntry) bool {
	for _, e := range learned {
		if e.Kind == communitybot.LearnQuestion && !hasEntry(kb, e.Target) {
			return true
		}
	}
	return false
}

// try applies change to a copy of kb and keeps it only if kb stays valid.
func try(kb *content.KnowledgeBase, skipped *[]string, what string, change func(*content.KnowledgeBase)) {
	next := cloneKB(kb)
	change(next)
	if err := next.Validate(); err != nil {
		msg, _ := communitybot.UserMessage(err)
		*skipped = append(*skipped, what+": "+msg)
		return
	}
	*kb = *next
}

// addQuestion adds q as an example question of a topic or a project; a
// question already there is left alone. The target must exist (hasEntry).
func addQuestion(kb *content.KnowledgeBase, target, q string) {
	if !hasEntry(kb, target) {
		// Adding a broken topic makes Validate refuse the change, so the
		// slow path of Merge skips it with a reason.
		kb.Topics = append(kb.Topics, content.Topic{ID: target, Title: "（话题或项目 " + target + " 已不存在）"})
		return
	}
	for i := range kb.Topics {
		if kb.Topics[i].ID == target {
			if !slices.Contains(kb.Topics[i].Questions, q) {
				kb.Topics[i].Questions = append(kb.Topics[i].Questions, q)
			}
			return
		}
	}
	if _, ok := kb.Project(target); ok {
		if kb.ProjectHints == nil {
			kb.ProjectHints = map[string]content.Hints{}
		}
		h := kb.ProjectHints[target]
		if !slices.Contains(h.Questions, q) {
			h.Questions = append(slices.Clone(h.Questions), q)
		}
		kb.ProjectHints[target] = h
	}
}

func hasEntry(kb *content.KnowledgeBase, id string) bool {
	_, topic := kb.Topic(id)
	_, project := kb.Project(id)
	return topic || project
}

// cloneKB copies everything Merge may change, so the base stays intact.
func cloneKB(kb *content.KnowledgeBase) *content.KnowledgeBase {
	out := *kb
	out.Topics = make([]content.Topic, len(kb.Topics))
	for i, t := range kb.Topics {
		t.Questions = slices.Clone(t.Questions)
		t.Keywords = slices.Clone(t.Keywords)
		t.Related = slices.Clone(t.Related)
		out.Topics[i] = t
	}
	out.Projects = make([]communitybot.Project, len(kb.Projects))
	for i, p := range kb.Projects {
		p.Aliases = slices.Clone(p.Aliases)
		out.Projects[i] = p
	}
	if kb.ProjectHints != nil {
		out.ProjectHints = make(map[string]content.Hints, len(kb.ProjectHints))
		for id, h := range kb.ProjectHints {
			out.ProjectHints[id] = content.Hints{Keywords: slices.Clone(h.Keywords), Questions: slices.Clone(h.Questions)}
		}
	}
	out.Synonyms = slices.Clone(kb.Synonyms)
	out.Menu = slices.Clone(kb.Menu)
	out.Study = slices.Clone(kb.Study)
	out.Records = slices.Clone(kb.Records)
	return &out
}

// knowledge builds the merged knowledge base from storage.
func (s *Service) knowledge(ctx context.Context) (*content.KnowledgeBase, error) {
	learned, err := s.d.Store.LearnedEntries(ctx)
	if err != nil {
		return nil, internal("learned entries", err)
	}
	added, err := s.d.Store.AddedProjects(ctx)
	if err != nil {
		return nil, internal("added projects", err)
	}
	kb, skipped := Merge(s.d.Base, learned, added)
	for _, sk := range skipped {
		s.log.Warn("knowledge entry skipped", "entry", sk)
	}
	kb.Records = s.projectRecords(ctx, kb)
	return kb, nil
}

// maxRecordsPerProject bounds the notes of one project the Q&A quotes:
// the latest ones say where a project stands.
const maxRecordsPerProject = 20

// projectRecords returns the notes staff posted about kb's projects, so
// that the Q&A can quote them. A project whose history cannot be read is
// left out (logged): the Q&A still answers from everything else.
func (s *Service) projectRecords(ctx context.Context, kb *content.KnowledgeBase) []content.Record {
	var out []content.Record
	for _, p := range kb.Projects {
		events, err := s.d.Store.ProjectHistory(ctx, p.ID, maxRecordsPerProject)
		if err != nil {
			s.log.Warn("project notes not indexed", "project", p.ID, "err", err)
			continue
		}
		for _, ev := range events {
			if strings.TrimSpace(ev.Note) == "" {
				continue
			}
			out = append(out, content.Record{Project: p.ID, Date: ev.At.In(s.cfg.Location).Format("2006-01-02"), Text: ev.Note})
		}
	}
	return out
}

// ReloadKnowledge rebuilds the Q&A from the content file plus everything
// staff added, and remembers the knowledge version it reflects.
func (s *Service) ReloadKnowledge(ctx context.Context) error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	v, err := s.d.Store.KnowledgeVersion(ctx)
	if err != nil {
		return internal("knowledge version", err)
	}
	kb, err := s.knowledge(ctx)
	if err != nil {
		return err
	}
	if err := s.d.QA.Reload(kb); err != nil {
		return internal("reload", err)
	}
	s.kbVersion.Store(v)
	return nil
}

// LoadKnowledge is ReloadKnowledge for startup: when Redis is unreachable
// the bot starts with the content file alone and catches up later (Run).
func (s *Service) LoadKnowledge(ctx context.Context) {
	if err := s.ReloadKnowledge(ctx); err != nil {
		s.kbVersion.Store(-1) // force a reload once Redis answers
		s.log.Warn("learned knowledge not loaded; answering from the content file until redis answers", "err", err)
	}
}

// syncKnowledge reloads when another replica changed the knowledge.
func (s *Service) syncKnowledge(ctx context.Context) {
	v, err := s.d.Store.KnowledgeVersion(ctx)
	if err != nil || v == s.kbVersion.Load() {
		return
	}
	if err := s.ReloadKnowledge(ctx); err != nil {
		s.log.Warn("knowledge not reloaded", "err", err)
		return
	}
	s.log.Info("knowledge reloaded", slog.Int64("version", v))
}
