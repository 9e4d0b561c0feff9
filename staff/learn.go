package staff

import (
	"context"
	"errors"
	"fmt"
	"html"
	"strings"
	"unicode/utf8"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/content"
	"github.com/zhangmiao/communitybot/qa"
	"github.com/zhangmiao/communitybot/storage"
)

// UsageLearn is shown with a malformed /learn.
const UsageLearn = "用法：\n/learn Q-0042 话题标识 — 把该问题加为已有话题（或项目）的一种问法\n/learn Q-0042 new 标题 — 用工作人员的答复新建一个问答条目\n发送 /topics 查看话题标识。"

// Learn handles /learn <ticket> <topic-id | project> and /learn <ticket>
// new <title>: the answered ticket teaches the Q&A, which uses it at once
// (and on every replica within PollInterval).
func (s *Service) Learn(ctx context.Context, a Actor, args string) (communitybot.Reply, error) {
	toks := tokenize(args)
	if len(toks) < 2 {
		return communitybot.Reply{}, usageError(UsageLearn, "请写上问题编号和要加入的话题。")
	}
	no, err := communitybot.ParseTicketNo(toks[0].text)
	if err != nil {
		return communitybot.Reply{}, err
	}
	t, err := s.d.Store.Ticket(ctx, no)
	if errors.Is(err, communitybot.ErrNotFound) {
		return communitybot.Reply{}, ticketNotFound(no)
	}
	if err != nil {
		return communitybot.Reply{}, err
	}
	noText := communitybot.TicketNo(no)
	switch {
	case t.Status != communitybot.TicketAnswered:
		return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrConflict, "%s 还没有答复，答复后才能加入问答库。", noText)
	case t.Learned != "":
		return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrConflict, "%s 已经加入过问答库（条目 %s）。", noText, t.Learned)
	}
	kb, err := s.knowledge(ctx)
	if err != nil {
		return communitybot.Reply{}, err
	}

	e := communitybot.LearnedEntry{Ticket: no, Question: t.Question, Answer: t.Answer, AnsweredAt: t.AnsweredAt, By: a.Name, ByID: a.UserID, At: s.cfg.Now()}
	var done, detail string
	if strings.EqualFold(toks[1].text, "new") || toks[1].text == "新建" {
		title := strings.TrimSpace(args[toks[1].end:])
		if title == "" {
			return communitybot.Reply{}, usageError(UsageLearn, "请写上新条目的标题。")
		}
		if n := utf8.RuneCountInString(title); n > content.MaxTitleRunes {
			return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrInvalid, "标题太长了（%d 字），请控制在 %d 字以内。", n, content.MaxTitleRunes)
		}
		if n := utf8.RuneCountInString(t.Answer); n > content.MaxAnswerRunes {
			return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrInvalid,
				"这条答复有 %d 字，超过问答条目的上限 %d 字，不能直接作为条目；请把内容整理后写进知识库文件。", n, content.MaxAnswerRunes)
		}
		e.Kind, e.ID, e.Title = communitybot.LearnTopic, learnedID(no), title
		kb.Topics = append(kb.Topics, content.Topic{ID: e.ID, Title: e.Title, Answer: e.Answer, Questions: []string{e.Question}, StaffAnswered: staffDate(e)})
		done = fmt.Sprintf("已用 %s 新建问答条目「%s」（标识 %s）。", noText, html.EscapeString(title), e.ID) + learnedEffect(e)
		detail = learnedTopicDetail(title, e.ID)
	} else {
		target := strings.TrimSpace(args[toks[1].start:])
		id, label, err := s.resolveLearnTarget(ctx, kb, target)
		if err != nil {
			return communitybot.Reply{}, err
		}
		e.Kind, e.ID, e.Target = communitybot.LearnQuestion, learnedID(no), id
		if st, ok := staffTopic(e); ok {
			kb.Topics = append(kb.Topics, st)
			done = fmt.Sprintf("已把 %s 加入问答库，归在「%s」下。", noText, html.EscapeString(label)) + learnedEffect(e)
		} else {
			// An answer too long for an entry: the question becomes a
			// phrasing of the target, answered with the target's answer.
			addQuestion(kb, id, e.Question)
			done = fmt.Sprintf("已把 %s 的问题加为「%s」的一种问法。以后居民这样问，我会用「%s」的介绍回答；这条答复超过 %d 字，没有收进问答库。",
				noText, html.EscapeString(label), html.EscapeString(label), content.MaxAnswerRunes)
		}
		detail = learnedQuestionDetail("「"+label+"」", e.ID)
	}
	// Check before storing: a learned entry must never break the Q&A.
	if err := kb.Validate(); err != nil {
		msg, _ := communitybot.UserMessage(err)
		return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrInvalid, "无法加入问答库：%s", msg)
	}
	switch err := s.d.Store.Learn(ctx, e); {
	case errors.Is(err, storage.ErrTicketDone):
		return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrConflict, "%s 已经加入过问答库。", noText)
	case errors.Is(err, storage.ErrTicketNotAnswered):
		return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrConflict, "%s 还没有答复，答复后才能加入问答库。", noText)
	case err != nil:
		return communitybot.Reply{}, err
	}
	s.obs.ObserveTicket("learned")
	s.audit(ctx, a, "learn", noText, detail)
	if err := s.ReloadKnowledge(ctx); err != nil {
		s.log.Error("knowledge not reloaded after learn", "err", err)
		return communitybot.Reply{Text: done + "\n⚠️ 问答库暂时没能更新，稍后会自动重试。"}, nil
	}
	return communitybot.Reply{Text: done}, nil
}

// learnedEffect tells the admin, in residents' terms, what they will get
// from now on.
func learnedEffect(e communitybot.LearnedEntry) string {
	return fmt.Sprintf("\n以后居民再问“%s”或意思相近的问题，我会直接回复这条答复，并注明「%s」：\n%s",
		html.EscapeString(truncate(e.Question, 60)), html.EscapeString(qa.StaffLabel(staffDate(e))), html.EscapeString(truncate(e.Answer, 200)))
}

// resolveLearnTarget accepts a topic id or exact title, or a project's
// number, id, name or alias.
func (s *Service) resolveLearnTarget(ctx context.Context, kb *content.KnowledgeBase, target string) (id, label string, err error) {
	for _, t := range kb.Topics {
		if t.ID == target || t.Title == target {
			return t.ID, t.Title, nil
		}
	}
	if p, err := resolveProject(ctx, s.d.Store, target); err == nil {
		if _, ok := kb.Project(p.ID); ok {
			return p.ID, p.Name, nil
		}
	}
	return "", "", communitybot.Errorf(communitybot.ErrNotFound, "没有找到话题或项目“%s”。发送 /topics 查看话题标识，或用 new 新建条目。", truncate(target, 40))
}

// Topics lists the topic ids and titles, for /learn.
func (s *Service) Topics(ctx context.Context) (communitybot.Reply, error) {
	kb, err := s.knowledge(ctx)
	if err != nil {
		return communitybot.Reply{}, err
	}
	var b strings.Builder
	b.WriteString("<b>话题标识</b>（/learn 编号 标识）")
	for _, t := range kb.Topics {
		if t.SmallTalk {
			continue
		}
		fmt.Fprintf(&b, "\n<code>%s</code> %s", html.EscapeString(t.ID), html.EscapeString(t.Title))
	}
	b.WriteString("\n\n项目可直接写编号或名称，例如 /learn Q-0042 电梯加装。")
	return communitybot.Reply{Text: b.String()}, nil
}
