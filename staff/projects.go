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
)

// Usage lines shown with a malformed command.
const (
	UsageSetStatus   = "用法：/setstatus 项目 状态 [进度%] 说明\n例如：/setstatus 4 推进中 60% 3号楼电梯已完成井道施工\n状态可选：规划中、推进中、已完工、暂停；项目可写编号或完整名称。"
	UsageProjectNote = "用法：/projectnote 项目 说明\n例如：/projectnote 电梯加装 本周六上午在小区广场召开加梯意见征询会"
	UsageAddProject  = "用法：/addproject [状态] 名称 | 简介 [| 别名1、别名2]\n例如：/addproject 规划中 口袋公园改造 | 在泗塘路口建设一处口袋公园 | 口袋公园、街心花园\n不写状态时为“规划中”。"
)

func usageError(usage, problem string) error {
	return communitybot.Errorf(communitybot.ErrInvalid, "%s\n\n%s", problem, usage)
}

// SetStatus handles /setstatus <project> <status> [progress%] <note>. The
// project may be several words: the status word ends it.
func (s *Service) SetStatus(ctx context.Context, a Actor, args string) (communitybot.Reply, error) {
	toks := tokenize(args)
	statusAt := -1
	for i, t := range toks {
		if _, err := communitybot.ParseProjectStatus(t.text); err == nil {
			statusAt = i
			break
		}
	}
	switch {
	case len(toks) == 0:
		return communitybot.Reply{}, usageError(UsageSetStatus, "请写上项目、状态和说明。")
	case statusAt < 0:
		return communitybot.Reply{}, usageError(UsageSetStatus, "没有找到状态。状态只能是：规划中、推进中、已完工、暂停。")
	case statusAt == 0:
		return communitybot.Reply{}, usageError(UsageSetStatus, "请先写项目编号或名称，再写状态。")
	}
	status := communitybot.ProjectStatus(toks[statusAt].text)
	progress := communitybot.NoProgress
	noteFrom := statusAt + 1
	if noteFrom < len(toks) {
		n, ok, err := parseProgress(toks[noteFrom].text)
		if err != nil {
			return communitybot.Reply{}, err
		}
		if ok {
			progress = n
			noteFrom++
		}
	}
	if noteFrom >= len(toks) {
		return communitybot.Reply{}, usageError(UsageSetStatus, "请写上说明，居民会在项目动态里看到它。")
	}
	p, err := resolveProject(ctx, s.d.Store, args[:toks[statusAt-1].end])
	if err != nil {
		return communitybot.Reply{}, err
	}
	ev := communitybot.ProjectEvent{At: s.cfg.Now(), By: a.Name, Status: status, Progress: progress, Note: strings.TrimSpace(args[toks[noteFrom].start:])}
	return s.applyEvent(ctx, a, "setstatus", p, ev)
}

// ProjectNote handles /projectnote <project> <text>: a note that leaves
// status and progress as they are.
func (s *Service) ProjectNote(ctx context.Context, a Actor, args string) (communitybot.Reply, error) {
	p, note, err := splitProjectAndText(ctx, s.d.Store, args)
	if err != nil {
		if errors.Is(err, errNoProject) {
			return communitybot.Reply{}, usageError(UsageProjectNote, "请写上项目和说明。")
		}
		return communitybot.Reply{}, err
	}
	if note == "" {
		return communitybot.Reply{}, usageError(UsageProjectNote, "请写上说明内容。")
	}
	ev := communitybot.ProjectEvent{At: s.cfg.Now(), By: a.Name, Progress: communitybot.NoProgress, Note: note}
	return s.applyEvent(ctx, a, "projectnote", p, ev)
}

// applyEvent stores ev in the project's history, audits it and pushes it
// to the project's subscribers.
func (s *Service) applyEvent(ctx context.Context, a Actor, action string, p communitybot.Project, ev communitybot.ProjectEvent) (communitybot.Reply, error) {
	if err := ev.Validate(); err != nil {
		return communitybot.Reply{}, err // over-long note, bad progress: nothing stored
	}
	if err := s.d.Store.UpdateProject(ctx, p.ID, ev); err != nil {
		if errors.Is(err, communitybot.ErrNotFound) {
			return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrNotFound, "项目“%s”已不存在。发送 /projects 查看全部项目。", p.Name)
		}
		return communitybot.Reply{}, err
	}
	updated, err := s.d.Store.Project(ctx, p.ID)
	if err != nil {
		updated = p // the change is stored; describe it from what we know
	}
	s.audit(ctx, a, action, p.ID, describeEvent(ev))

	var b strings.Builder
	fmt.Fprintf(&b, "已更新 %d.「%s」：%s", updated.Number, html.EscapeString(updated.Name), html.EscapeString(describeEvent(ev)))
	b.WriteString("\n" + s.push(ctx, a, updated, ev))
	return communitybot.Reply{Text: b.String()}, nil
}

// push queues the change for the subscribers of the project's topic and
// says how that went, for the admin's confirmation.
func (s *Service) push(ctx context.Context, a Actor, p communitybot.Project, ev communitybot.ProjectEvent) string {
	if s.d.Notifier == nil {
		return "（推送功能尚未接入，本次更新没有推送给订阅者。）"
	}
	b := communitybot.Broadcast{
		Kind:      "project-update",
		Topic:     communitybot.ProjectTopic(p.ID),
		Reply:     ProjectUpdateMessage(p, ev),
		CreatedBy: a.UserID,
		CreatedAt: s.cfg.Now(),
	}
	if _, err := s.d.Notifier.Enqueue(ctx, b); err != nil {
		s.obs.Fault("delivery")
		s.log.Error("project update stored but not pushed", "project", p.ID, "err", err)
		return "⚠️ 更新已保存，但推送没有排上队（系统暂时故障），订阅者暂未收到通知。"
	}
	return "已推送给订阅该项目的居民。"
}

// ProjectUpdateMessage is the push subscribers of a project receive.
func ProjectUpdateMessage(p communitybot.Project, ev communitybot.ProjectEvent) communitybot.Reply {
	var b strings.Builder
	fmt.Fprintf(&b, "📢 <b>项目动态：%s</b>\n", html.EscapeString(p.Name))
	fmt.Fprintf(&b, "状态：%s", html.EscapeString(string(p.Status)))
	if p.HasProgress() {
		fmt.Fprintf(&b, "（进度约 %d%%）", p.Progress)
	}
	if ev.Note != "" {
		fmt.Fprintf(&b, "\n%s", html.EscapeString(ev.Note))
	}
	fmt.Fprintf(&b, "\n\n发送 /project %d 查看详情和更新记录。", p.Number)
	return communitybot.Reply{Text: b.String(), Buttons: [][]communitybot.Button{{{Text: "更新记录", Data: "h:" + p.ID}}}}
}

func describeEvent(ev communitybot.ProjectEvent) string {
	var parts []string
	if ev.Status != "" {
		parts = append(parts, string(ev.Status))
	}
	if ev.Progress != communitybot.NoProgress {
		parts = append(parts, fmt.Sprintf("%d%%", ev.Progress))
	}
	if ev.Note != "" {
		parts = append(parts, "说明："+ev.Note)
	}
	return strings.Join(parts, "，")
}

// Limits of a staff-added project's fields.
const (
	maxProjectNameRunes = 30 // fits a button
	maxAliases          = 10
)

// AddProject handles /addproject [status] <name> | <summary> [| aliases].
// The project gets the next number and an id derived from it, starts with
// the given status (规划中 by default), and is answerable by the Q&A at
// once.
func (s *Service) AddProject(ctx context.Context, a Actor, args string) (communitybot.Reply, error) {
	parts := strings.FieldsFunc(args, func(r rune) bool { return r == '|' || r == '｜' })
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return communitybot.Reply{}, usageError(UsageAddProject, "请写上项目名称和简介，用“|”隔开。")
	}
	if len(parts) > 3 {
		return communitybot.Reply{}, usageError(UsageAddProject, "最多三段：名称 | 简介 | 别名。")
	}
	status := communitybot.StatusPlanning
	name := parts[0]
	if toks := tokenize(name); len(toks) > 1 {
		if st, err := communitybot.ParseProjectStatus(toks[0].text); err == nil {
			status, name = st, strings.TrimSpace(name[toks[0].end:])
		}
	}
	if n := utf8.RuneCountInString(name); n < 2 || n > maxProjectNameRunes {
		return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrInvalid, "项目名称应为 2 到 %d 个字，现在是 %d 个字。", maxProjectNameRunes, n)
	}
	if n := utf8.RuneCountInString(parts[1]); n > content.MaxAnswerRunes {
		return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrInvalid, "简介太长了（%d 字），请控制在 %d 字以内。", n, content.MaxAnswerRunes)
	}
	var aliases []string
	if len(parts) == 3 {
		aliases = splitList(parts[2])
		if len(aliases) > maxAliases {
			return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrInvalid, "别名最多 %d 个。", maxAliases)
		}
		for _, al := range aliases {
			if n := utf8.RuneCountInString(al); n < 2 || n > maxProjectNameRunes {
				return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrInvalid, "别名“%s”应为 2 到 %d 个字。", truncate(al, 40), maxProjectNameRunes)
			}
		}
	}
	if err := s.checkNamesFree(ctx, append([]string{name}, aliases...)); err != nil {
		return communitybot.Reply{}, err
	}
	p := communitybot.Project{
		Name: name, Aliases: aliases, Summary: parts[1], Status: status, Progress: communitybot.NoProgress,
		UpdatedBy: a.Name, UpdatedAt: s.cfg.Now(), Note: "新增项目",
	}
	// Refuse what would make the knowledge base invalid before storing
	// anything: a project that is stored but cannot be matched would
	// mislead staff.
	if err := s.checkProjectFits(ctx, p); err != nil {
		return communitybot.Reply{}, err
	}
	added, err := s.d.Store.AddProject(ctx, p)
	if err != nil {
		return communitybot.Reply{}, err
	}
	s.audit(ctx, a, "addproject", added.ID, fmt.Sprintf("%d. %s（%s）", added.Number, added.Name, added.Status))
	reloadNote := ""
	if err := s.ReloadKnowledge(ctx); err != nil {
		s.log.Error("knowledge not reloaded after addproject", "err", err)
		reloadNote = "\n⚠️ 问答库暂时没能更新，稍后会自动重试。"
	}
	return communitybot.Reply{Text: fmt.Sprintf(
		"已新增项目 %d.「%s」（状态：%s，编号 %d，标识 %s）。\n居民现在可以发送 /project %d 或直接提问查到它。\n更新进展：/setstatus %d 推进中 30%% 说明%s",
		added.Number, html.EscapeString(added.Name), added.Status, added.Number, added.ID, added.Number, added.Number, reloadNote)}, nil
}

// checkNamesFree refuses a name or alias that an existing project already
// uses: /project and the admin commands must stay unambiguous.
func (s *Service) checkNamesFree(ctx context.Context, names []string) error {
	list, err := s.d.Store.Projects(ctx)
	if err != nil {
		return internal("list projects", err)
	}
	seen := map[string]bool{}
	for _, n := range names {
		k := qa.Normalize(n)
		if seen[k] {
			return communitybot.Errorf(communitybot.ErrInvalid, "名称和别名里“%s”重复了。", n)
		}
		seen[k] = true
	}
	for _, p := range list {
		for _, taken := range append([]string{p.Name}, p.Aliases...) {
			if seen[qa.Normalize(taken)] {
				return communitybot.Errorf(communitybot.ErrConflict, "“%s”已被项目 %d.「%s」使用，请换一个名称或别名。", taken, p.Number, p.Name)
			}
		}
	}
	return nil
}

// checkProjectFits validates the knowledge base as it would be with p.
func (s *Service) checkProjectFits(ctx context.Context, p communitybot.Project) error {
	kb, err := s.knowledge(ctx)
	if err != nil {
		return err
	}
	p.ID = "project-new"
	p.Number = len(kb.Projects) + 1
	kb.Projects = append(kb.Projects, p)
	if err := kb.Validate(); err != nil {
		msg, _ := communitybot.UserMessage(err)
		return communitybot.Errorf(communitybot.ErrInvalid, "这个项目无法加入问答库：%s", msg)
	}
	return nil
}
