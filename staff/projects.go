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
	UsageSetStatus   = "用法：/setstatus 项目 状态 [进度] 说明\n例如：/setstatus 4 推进中 60% 3号楼电梯已完成井道施工\n状态可选：规划中、推进中、已完工、暂停（也可以写 完成、进行中、在建、计划中、停工 等）；项目可写编号或完整名称。\n进度是 0 到 100 的整数，写在状态后面（60% 或 60，后面要有说明）；不写进度时保留原来的进度，但改回“规划中”会清除进度，“已完工”记为 100%。"
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
	var status communitybot.ProjectStatus
	for i, t := range toks {
		if st, ok := statusWord(t.text); ok {
			statusAt, status = i, st
			break
		}
	}
	switch {
	case len(toks) == 0:
		return communitybot.Reply{}, usageError(UsageSetStatus, "请写上项目、状态和说明。")
	case statusAt < 0:
		return communitybot.Reply{}, usageError(UsageSetStatus, "没有找到状态。状态只能是：规划中、推进中、已完工、暂停"+statusSynonymHint+"。")
	case statusAt == 0:
		return communitybot.Reply{}, usageError(UsageSetStatus, "请先写项目编号或名称，再写状态。")
	}
	progress := communitybot.NoProgress
	noteFrom := statusAt + 1
	if noteFrom < len(toks) {
		tok := toks[noteFrom].text
		n, ok, err := parseProgress(tok)
		if err != nil {
			return communitybot.Reply{}, usageError(UsageSetStatus, mustMessage(err))
		}
		if !ok {
			// A bare number right after the status is the progress only
			// when a note follows: "60 3号楼…" is 60%, while "60" alone is
			// more likely a progress without its note than a note.
			n, ok = parseBareProgress(tok)
			if ok && noteFrom+1 >= len(toks) {
				return communitybot.Reply{}, usageError(UsageSetStatus, fmt.Sprintf("只写了“%s”：如果这是进度，请在后面写上说明，例如 /setstatus %s %s %d%% 说明。", tok, strings.TrimSpace(args[:toks[statusAt-1].end]), status, n))
			}
		}
		if ok {
			progress = n
			noteFrom++
		}
	}
	if noteFrom >= len(toks) {
		return communitybot.Reply{}, usageError(UsageSetStatus, "请写上说明，居民会在项目动态里看到它。")
	}
	ev := communitybot.ProjectEvent{At: s.cfg.Now(), By: a.Name, Status: status, Progress: progress, Note: strings.TrimSpace(args[toks[noteFrom].start:])}
	switch {
	case status == communitybot.StatusPlanning && progress == communitybot.NoProgress:
		ev.ClearProgress = true // back to planning: no figure to show
	case status == communitybot.StatusDone && progress == communitybot.NoProgress:
		ev.Progress = 100
	case status == communitybot.StatusDone && progress != 100:
		return communitybot.Reply{}, usageError(UsageSetStatus, fmt.Sprintf("“已完工”的进度应为 100%%，这里写的是 %d%%。如果还没有全部完工，请用“推进中”。", progress))
	}
	p, err := resolveProject(ctx, s.d.Store, args[:toks[statusAt-1].end])
	if err != nil {
		return communitybot.Reply{}, err
	}
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
	if ev.Note != "" {
		// The note becomes a quotable staff record: residents asking
		// about what it says get it, attributed with its date.
		s.reindexNotes(ctx)
	}

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
	topic := communitybot.ProjectTopic(p.ID)
	if n, err := s.d.Store.SubscriberCount(ctx, topic); err == nil && n == 0 {
		// Nobody to tell: a broadcast to no one would only clutter
		// /broadcasts. (A failed count pushes as usual: the engine reads
		// the audience itself.)
		return "目前还没有居民订阅这个项目，更新已保存，居民查询时就能看到。"
	}
	b := communitybot.Broadcast{
		Kind:      "project-update",
		Topic:     topic,
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
	if ev.ClearProgress {
		parts = append(parts, "不再显示进度")
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
		st, ok := statusWord(toks[0].text)
		switch {
		case ok:
			status, name = st, strings.TrimSpace(name[toks[0].end:])
		case looksLikeStatus(toks[0].text):
			return communitybot.Reply{}, usageError(UsageAddProject, fmt.Sprintf(
				"“%s”不是可用的状态。状态只能是：规划中、推进中、已完工、暂停"+statusSynonymHint+"；不写状态时为“规划中”。如果“%s”本来就是项目名称的一部分，请去掉名称里的空格。",
				toks[0].text, toks[0].text))
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

// checkNamesFree refuses a name or alias that residents could not reach
// or that would take over other answers: one already used by a project
// (as a name, an alias or a matching hint), or equal — after the matcher's
// normalisation — to a topic's title, keyword or example question (small
// talk included: an alias 你好 would answer every greeting with the
// project card). /project and the admin commands must stay unambiguous.
func (s *Service) checkNamesFree(ctx context.Context, names []string) error {
	list, err := s.d.Store.Projects(ctx)
	if err != nil {
		return internal("list projects", err)
	}
	kb, err := s.knowledge(ctx)
	if err != nil {
		return err
	}
	seen := map[string]string{} // normal form → the name as staff wrote it
	for _, n := range names {
		k := qa.Normalize(n)
		if utf8.RuneCountInString(k) < 2 {
			return communitybot.Errorf(communitybot.ErrInvalid, "“%s”太短了：名称和别名至少要有 2 个字（标点和空格不算）。", truncate(n, 40))
		}
		if _, dup := seen[k]; dup {
			return communitybot.Errorf(communitybot.ErrInvalid, "名称和别名里“%s”重复了。", truncate(n, 40))
		}
		seen[k] = truncate(n, 40)
	}
	for _, p := range list {
		for _, taken := range append([]string{p.Name}, p.Aliases...) {
			if n, ok := seen[qa.Normalize(taken)]; ok {
				return communitybot.Errorf(communitybot.ErrConflict, "“%s”已被项目 %d.「%s」使用，请换一个名称或别名。", n, p.Number, p.Name)
			}
		}
		for _, kw := range kb.ProjectHints[p.ID].Keywords {
			if n, ok := seen[qa.Normalize(kw)]; ok {
				return communitybot.Errorf(communitybot.ErrConflict, "“%s”是项目 %d.「%s」的检索关键词，居民这样问时会查到那个项目。请换一个名称或别名。", n, p.Number, p.Name)
			}
		}
	}
	for _, t := range kb.Topics {
		for _, c := range []struct {
			what    string
			phrases []string
		}{{"标题", []string{t.Title}}, {"关键词", t.Keywords}, {"问法", t.Questions}} {
			for _, ph := range c.phrases {
				if n, ok := seen[qa.Normalize(ph)]; ok {
					return communitybot.Errorf(communitybot.ErrConflict,
						"“%s”与问答条目「%s」的%s相同，居民这样问时会得到那条回答，查不到新项目。请换一个名称或别名。", n, t.Title, c.what)
				}
			}
		}
	}
	return nil
}

// statusWords is the one table of the words staff type for a status: the
// four fixed ones and their everyday synonyms (完成 for 已完工, 进行中 for
// 推进中). /setstatus and /addproject read a status only through it; what
// residents see and what is stored is always one of the four.
var statusWords = map[string]communitybot.ProjectStatus{
	"规划中": communitybot.StatusPlanning, "计划中": communitybot.StatusPlanning, "筹备中": communitybot.StatusPlanning,
	"规划": communitybot.StatusPlanning, "筹划中": communitybot.StatusPlanning,
	"推进中": communitybot.StatusInProgress, "进行中": communitybot.StatusInProgress, "在建": communitybot.StatusInProgress,
	"施工中": communitybot.StatusInProgress, "建设中": communitybot.StatusInProgress, "实施中": communitybot.StatusInProgress,
	"已完工": communitybot.StatusDone, "完成": communitybot.StatusDone, "完工": communitybot.StatusDone, "已完成": communitybot.StatusDone,
	"竣工": communitybot.StatusDone, "已竣工": communitybot.StatusDone, "建成": communitybot.StatusDone, "已建成": communitybot.StatusDone,
	"暂停": communitybot.StatusPaused, "停工": communitybot.StatusPaused, "暂缓": communitybot.StatusPaused,
	"暂停中": communitybot.StatusPaused, "已暂停": communitybot.StatusPaused,
}

// statusSynonymHint follows the list of the four statuses in messages.
const statusSynonymHint = "（也可以写 完成、进行中、在建、计划中、停工 等）"

// statusWord returns the status a word names, through statusWords.
func statusWord(w string) (communitybot.ProjectStatus, bool) {
	st, ok := statusWords[strings.TrimSpace(w)]
	return st, ok
}

// notAStatus are words that sound like a status but say too little to
// pick one (中止 could be 暂停 or the end of the project): /addproject
// refuses them rather than take them as part of the name.
var notAStatus = map[string]bool{"推进": true, "开工": true, "已开工": true, "计划": true, "待定": true, "未开始": true, "中止": true, "终止": true}

// looksLikeStatus reports whether the first word of /addproject's name is
// probably a mistyped status rather than part of the name.
func looksLikeStatus(w string) bool {
	return notAStatus[w] || (strings.HasSuffix(w, "中") && utf8.RuneCountInString(w) <= 4)
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

// reindexNotes rebuilds the Q&A here and tells the other replicas to, so
// that a project note just posted can be quoted. A failure is logged: the
// note is stored, and the next reload (every PollInterval) picks it up.
func (s *Service) reindexNotes(ctx context.Context) {
	if _, err := s.d.Store.BumpKnowledgeVersion(ctx); err != nil {
		s.log.Warn("knowledge version not bumped after a project note", "err", err)
	}
	if err := s.ReloadKnowledge(ctx); err != nil {
		s.log.Warn("knowledge not reloaded after a project note", "err", err)
	}
}
