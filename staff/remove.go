package staff

import (
	"context"
	"errors"
	"fmt"
	"html"
	"strings"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/content"
	"github.com/zhangmiao/communitybot/storage"
)

// Usage lines of the commands that take back what staff added.
const (
	UsageDelProject = "用法：/delproject 项目编号或名称，例如 /delproject 8\n只能删除用 /addproject 新增的项目；内容文件里的项目请修改内容文件。"
	UsageUnlearn    = "用法：/unlearn 条目标识 或 /unlearn 问题编号，例如 /unlearn learned-q42 或 /unlearn Q-0042\n只发送 /unlearn 可查看全部已学条目。"
)

// DeleteProject handles /delproject <number | name>: it removes a project
// staff added with /addproject, with its history and subscriptions, and
// rebuilds the Q&A. Projects of the content file are refused: they are
// seeded again at every start.
func (s *Service) DeleteProject(ctx context.Context, a Actor, args string) (communitybot.Reply, error) {
	if strings.TrimSpace(args) == "" {
		return communitybot.Reply{}, usageError(UsageDelProject, "请写上要删除的项目编号或名称。")
	}
	p, err := resolveProject(ctx, s.d.Store, args)
	if err != nil {
		return communitybot.Reply{}, err
	}
	switch err := s.d.Store.DeleteProject(ctx, p.ID); {
	case errors.Is(err, storage.ErrContentProject):
		return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrForbidden,
			"项目 %d.「%s」来自内容文件，不能在机器人里删除。如需下线，请修改内容文件后重新部署；如只是暂停，可以发送 /setstatus %d 暂停 说明。",
			p.Number, p.Name, p.Number)
	case errors.Is(err, communitybot.ErrNotFound):
		return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrNotFound, "项目 %d.「%s」已经不存在了。发送 /projects 查看全部项目。", p.Number, p.Name)
	case err != nil:
		return communitybot.Reply{}, err
	}
	s.audit(ctx, a, "delproject", p.ID, fmt.Sprintf("%d. %s", p.Number, p.Name))
	var b strings.Builder
	fmt.Fprintf(&b, "已删除项目 %d.「%s」，它的更新记录和居民的订阅也一并删除。编号 %d 不会再分给新项目。", p.Number, html.EscapeString(p.Name), p.Number)
	if learned, err := s.d.Store.LearnedEntries(ctx); err == nil {
		var ids []string
		for _, e := range learned {
			if e.Kind == communitybot.LearnQuestion && e.Target == p.ID {
				ids = append(ids, e.ID)
			}
		}
		if len(ids) > 0 {
			fmt.Fprintf(&b, "\n从问题学到的 %d 条问法指向这个项目，已不再生效；如需清理，可发送 /unlearn %s。", len(ids), ids[0])
		}
	}
	b.WriteString(s.reloadNote(ctx, "delproject"))
	return communitybot.Reply{Text: b.String()}, nil
}

// Unlearn handles /unlearn <learned-id | ticket>: it removes an entry
// /learn made, frees its ticket to be learned again, and rebuilds the Q&A.
// Without an argument it lists the learned entries.
func (s *Service) Unlearn(ctx context.Context, a Actor, args string) (communitybot.Reply, error) {
	ref := strings.TrimSpace(args)
	if ref == "" {
		return s.learnedList(ctx)
	}
	id := ref
	if !strings.HasPrefix(strings.ToLower(ref), "learned-") {
		no, err := communitybot.ParseTicketNo(ref)
		if err != nil {
			return communitybot.Reply{}, usageError(UsageUnlearn, "请写条目标识（learned- 开头）或问题编号。")
		}
		id = learnedID(no)
	}
	id = strings.ToLower(id)
	e, err := s.d.Store.Unlearn(ctx, id)
	if errors.Is(err, communitybot.ErrNotFound) {
		return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrNotFound,
			"问答库里没有条目 %s（对应的问题没有加入过问答库，或已经移出）。只发送 /unlearn 可查看全部已学条目。", truncate(id, 30))
	}
	if err != nil {
		return communitybot.Reply{}, err
	}
	kb, _ := s.knowledge(ctx) // nil: the entry is described by ids
	what := describeLearnedEntry(kb, e)
	s.audit(ctx, a, "unlearn", e.ID, what)
	noText := communitybot.TicketNo(e.Ticket)
	text := fmt.Sprintf("已从问答库移出 %s（%s）。\n问题 %s 以后可以重新用 /learn 加入。", e.ID, html.EscapeString(what), noText)
	return communitybot.Reply{Text: text + s.reloadNote(ctx, "unlearn")}, nil
}

// learnedID is the id /learn gives the entry made from ticket no.
func learnedID(no int64) string { return fmt.Sprintf("learned-q%d", no) }

// maxLearnedListed bounds the list /unlearn shows.
const maxLearnedListed = 30

func (s *Service) learnedList(ctx context.Context) (communitybot.Reply, error) {
	list, err := s.d.Store.LearnedEntries(ctx)
	if err != nil {
		return communitybot.Reply{}, err
	}
	if len(list) == 0 {
		return communitybot.Reply{Text: "问答库里还没有从居民问题学到的条目。答复问题后，可以用 /learn 编号 话题标识 把它加入问答库。"}, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<b>从居民问题学到的条目</b>（共 %d 条，新的在前）", len(list))
	kb, _ := s.knowledge(ctx)
	shown := 0
	for i := len(list) - 1; i >= 0 && shown < maxLearnedListed; i-- {
		e := list[i]
		fmt.Fprintf(&b, "\n<code>%s</code> %s", html.EscapeString(e.ID), html.EscapeString(describeLearnedEntry(kb, e)))
		shown++
	}
	if len(list) > shown {
		fmt.Fprintf(&b, "\n……另有 %d 条未列出。", len(list)-shown)
	}
	b.WriteString("\n\n移出某一条：/unlearn 条目标识")
	return communitybot.Reply{Text: b.String()}, nil
}

// describeLearnedEntry says in Chinese what a learned entry does.
// kb (nil if unavailable) names the topic or project it extends.
func describeLearnedEntry(kb *content.KnowledgeBase, e communitybot.LearnedEntry) string {
	if e.Kind == communitybot.LearnTopic {
		return fmt.Sprintf("问答条目「%s」，来自 %s", e.Title, communitybot.TicketNo(e.Ticket))
	}
	target := "「" + e.Target + "」"
	if kb != nil {
		if t, ok := kb.Topic(e.Target); ok {
			target = "「" + t.Title + "」"
		} else if p, ok := kb.Project(e.Target); ok {
			target = "项目「" + p.Name + "」"
		}
	}
	return fmt.Sprintf("%s的问法“%s”，来自 %s", target, truncate(e.Question, 40), communitybot.TicketNo(e.Ticket))
}

// reloadNote rebuilds the Q&A after a knowledge change and returns what to
// add to the admin's confirmation.
func (s *Service) reloadNote(ctx context.Context, after string) string {
	if err := s.ReloadKnowledge(ctx); err != nil {
		s.log.Error("knowledge not reloaded", "after", after, "err", err)
		return "\n⚠️ 问答库暂时没能更新，稍后会自动重试。"
	}
	return ""
}
