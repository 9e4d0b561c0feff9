package assistant

import (
	"context"
	"fmt"
	"html"
	"strconv"
	"strings"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/qa"
)

// HistoryShown is how many history entries /project shows.
const HistoryShown = 5

// liveProject reads a project's live state, falling back to the content's
// description when storage is unreachable (stale reports whether it did).
func (a *Assistant) liveProject(ctx context.Context, k *knowledge, id string) (p communitybot.Project, stale bool, err error) {
	p, err = a.store.Project(ctx, id)
	if err == nil {
		return p, false, nil
	}
	if static, ok := k.kb.Project(id); ok {
		a.log.Warn("project status unavailable, answering from content", "project", id, "err", err)
		return static, true, nil
	}
	return communitybot.Project{}, false, err
}

// projectAnswer answers a question about one project, led by what was
// asked: its status, its completion time, or what it is. A lead that
// states the status is followed by the description only, so the status is
// said once.
func (a *Assistant) projectAnswer(ctx context.Context, k *knowledge, id string, intent qa.Intent) communitybot.Reply {
	p, stale, err := a.liveProject(ctx, k, id)
	if err != nil {
		a.log.Error("project unavailable", "project", id, "err", err)
		return communitybot.Reply{Text: phraseProjectUnread}
	}
	name := html.EscapeString(p.Name)
	var lead string
	switch {
	case stale && intent != qa.IntentAbout:
		lead = fmt.Sprintf(phraseStaleStatus, name)
	case intent == qa.IntentStatus && p.UpdatedBy == communitybot.SeedAuthor:
		// Nothing newer than the 2021 newsletter: say where the status
		// comes from rather than present it as today's.
		lead = fmt.Sprintf(phraseSeedStatus, name, html.EscapeString(string(p.Status)))
	case intent == qa.IntentStatus:
		lead = fmt.Sprintf(phraseStatus, name, html.EscapeString(string(p.Status)), progressSentence(p))
	case intent == qa.IntentSchedule:
		lead = scheduleSentence(p)
	}
	var b strings.Builder
	if lead != "" {
		b.WriteString(lead + "\n\n")
		b.WriteString(a.projectBrief(p, stale))
	} else {
		b.WriteString(a.projectCard(p, stale))
	}
	return communitybot.Reply{Text: b.String(), Buttons: projectButtons(p)}
}

func progressSentence(p communitybot.Project) string {
	if p.HasProgress() {
		return fmt.Sprintf(phraseProgress, p.Progress)
	}
	return phraseNoProgress
}

func scheduleSentence(p communitybot.Project) string {
	name := html.EscapeString(p.Name)
	switch p.Status {
	case communitybot.StatusDone:
		return fmt.Sprintf(phraseDone, name)
	case communitybot.StatusPaused:
		return fmt.Sprintf(phrasePaused, name)
	case communitybot.StatusPlanning:
		return fmt.Sprintf(phrasePlanning, name)
	default:
		return fmt.Sprintf(phraseSchedule, name, html.EscapeString(string(p.Status)), progressSentence(p))
	}
}

// projectBrief is the project's name, the latest staff note and its
// description, for a reply whose lead already gave the status.
func (a *Assistant) projectBrief(p communitybot.Project, stale bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<b>%s</b>\n", html.EscapeString(p.Name))
	if !stale && p.Note != "" && p.UpdatedBy != communitybot.SeedAuthor {
		b.WriteString(fmt.Sprintf(phraseCardNote, html.EscapeString(p.Note)) + "\n")
	}
	if p.Summary != "" {
		b.WriteString(html.EscapeString(p.Summary))
	}
	return strings.TrimRight(b.String(), "\n")
}

// projectCard renders the facts of a project, live fields first.
func (a *Assistant) projectCard(p communitybot.Project, stale bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<b>%s</b>\n", html.EscapeString(p.Name))
	if stale {
		b.WriteString(phraseCardStale + "\n")
	} else {
		b.WriteString(fmt.Sprintf(phraseCardStatus, html.EscapeString(string(p.Status))) + "\n")
		if p.HasProgress() {
			b.WriteString(fmt.Sprintf(phraseCardProgress, p.Progress) + "\n")
		} else {
			b.WriteString(phraseCardNoProg + "\n")
		}
		switch {
		case p.UpdatedBy == communitybot.SeedAuthor:
			b.WriteString(phraseCardSeed + "\n")
		case !p.UpdatedAt.IsZero():
			// Staff are named in the audit log, not to residents.
			b.WriteString(fmt.Sprintf(phraseCardUpdated, p.UpdatedAt.In(a.loc).Format("2006-01-02 15:04")) + "\n")
		}
		if p.Note != "" && p.UpdatedBy != communitybot.SeedAuthor { // the source line says it already
			b.WriteString(fmt.Sprintf(phraseCardNote, html.EscapeString(p.Note)) + "\n")
		}
	}
	if p.Summary != "" {
		fmt.Fprintf(&b, "\n%s", html.EscapeString(p.Summary))
	}
	return strings.TrimRight(b.String(), "\n")
}

func projectButtons(p communitybot.Project) [][]communitybot.Button {
	return [][]communitybot.Button{
		{{Text: "更新记录", Data: "h:" + p.ID}, {Text: "全部项目", Data: "m:projects"}},
	}
}

// Project renders a project with its latest history (the /project command
// and the 更新记录 button) and makes it the conversation's context.
func (a *Assistant) Project(ctx context.Context, chatID, userID int64, id string) (communitybot.Reply, error) {
	k := a.know.Load()
	p, stale, err := a.liveProject(ctx, k, id)
	if err != nil {
		return communitybot.Reply{}, projectNotFound(id)
	}
	var b strings.Builder
	b.WriteString(a.projectCard(p, stale))
	if !stale {
		hist, err := a.store.ProjectHistory(ctx, p.ID, HistoryShown)
		if err != nil {
			a.log.Warn("project history unavailable", "project", p.ID, "err", err)
			b.WriteString("\n\n（更新记录暂时无法读取，请稍后再试）")
		} else if len(hist) > 0 {
			fmt.Fprintf(&b, "\n\n<b>更新记录</b>（最近 %d 条）", len(hist))
			for i := len(hist) - 1; i >= 0; i-- {
				b.WriteString("\n" + a.historyLine(hist[i]))
			}
		}
	}
	if err := a.store.SaveConversation(ctx, chatID, userID, communitybot.Conversation{Project: p.ID}, a.convTTL); err != nil {
		a.log.Warn("conversation not saved", "chat_id", chatID, "err", err)
	}
	return communitybot.Reply{Text: b.String(), Buttons: [][]communitybot.Button{{{Text: "全部项目", Data: "m:projects"}}}}, nil
}

func (a *Assistant) historyLine(e communitybot.ProjectEvent) string {
	var parts []string
	if e.Status != "" {
		parts = append(parts, string(e.Status))
	}
	if e.Progress != communitybot.NoProgress {
		parts = append(parts, fmt.Sprintf("%d%%", e.Progress))
	}
	if e.Note != "" {
		parts = append(parts, e.Note)
	}
	if e.By == communitybot.SeedAuthor {
		return "• 2021年街道简报：" + html.EscapeString(strings.Join(parts, "，"))
	}
	return fmt.Sprintf("• %s：%s", e.At.In(a.loc).Format("2006-01-02 15:04"), html.EscapeString(strings.Join(parts, "，")))
}

// ProjectList renders every project with its status (/projects).
func (a *Assistant) ProjectList(ctx context.Context) (communitybot.Reply, error) {
	k := a.know.Load()
	list, err := a.store.Projects(ctx)
	stale := false
	if err != nil || len(list) == 0 {
		if err != nil {
			a.log.Warn("project list unavailable, answering from content", "err", err)
		}
		list, stale = k.kb.Projects, true
	}
	var b strings.Builder
	b.WriteString("<b>张庙街道民心工程和重点项目</b>\n")
	if stale {
		b.WriteString("（实时状态暂时无法读取，以下为资料中的项目）\n")
	}
	var rows [][]communitybot.Button
	for _, p := range list {
		fmt.Fprintf(&b, "\n%d. %s", p.Number, html.EscapeString(p.Name))
		if !stale {
			fmt.Fprintf(&b, " — %s", html.EscapeString(string(p.Status)))
			if p.HasProgress() {
				fmt.Fprintf(&b, "（约 %d%%）", p.Progress)
			}
		}
		rows = append(rows, []communitybot.Button{{Text: fmt.Sprintf("%d. %s", p.Number, p.Name), Data: "p:" + p.ID}})
	}
	b.WriteString("\n\n点击下方按钮查看详情，或发送 /project 编号（例如 /project 4）。")
	return communitybot.Reply{Text: b.String(), Buttons: rows}, nil
}

// ResolveProject finds the project a resident means by a number ("4",
// "４", "第4个"), a name, an alias, or a description the qa engine
// understands ("楼里装电梯的那个"). It returns an error with a user-safe
// message when nothing fits.
func (a *Assistant) ResolveProject(ctx context.Context, ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return "", communitybot.Errorf(communitybot.ErrInvalid, "请在命令后面写上项目名称或编号，例如：/project 电梯加装 或 /project 4。发送 /projects 可查看全部项目。")
	}
	k := a.know.Load()
	list, err := a.store.Projects(ctx)
	if err != nil || len(list) == 0 {
		list = k.kb.Projects
	}
	norm := qa.Normalize(ref)
	num := strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(norm, "第"), "个"), "号")
	if n, err := strconv.Atoi(ref); err == nil { // Normalize would drop a minus sign
		num = strconv.Itoa(n)
	}
	if n, err := strconv.Atoi(num); err == nil {
		for _, p := range list {
			if p.Number == n {
				return p.ID, nil
			}
		}
		return "", communitybot.Errorf(communitybot.ErrNotFound, "没有编号为 %d 的项目。目前的编号是 1 到 %d，发送 /projects 可查看全部项目。", n, len(list))
	}
	for _, p := range list {
		if norm == qa.Normalize(p.ID) || norm == qa.Normalize(p.Name) {
			return p.ID, nil
		}
		for _, al := range p.Aliases {
			if norm == qa.Normalize(al) {
				return p.ID, nil
			}
		}
	}
	for _, p := range list {
		if n := qa.Normalize(p.Name); norm != "" && (strings.Contains(n, norm) && len([]rune(norm)) >= 2) {
			return p.ID, nil
		}
	}
	if res := k.engine.Match(ref, qa.Context{}); res.ProjectID != "" {
		return res.ProjectID, nil
	}
	return "", projectNotFound(truncateRunes(ref, 30))
}

func projectNotFound(ref string) error {
	return communitybot.Errorf(communitybot.ErrNotFound, "没有找到与“%s”对应的项目。发送 /projects 可查看全部项目和编号。", ref)
}
