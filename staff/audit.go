package staff

import (
	"context"
	"fmt"
	"html"
	"strconv"
	"strings"

	"github.com/zhangmiao/communitybot"
)

// Record writes an admin action to the audit log (bot.AuditLog). A failure
// is logged, not returned: the action itself succeeded and must not be
// reported as failed.
func (s *Service) Record(ctx context.Context, e communitybot.AuditEntry) {
	if e.At.IsZero() {
		e.At = s.cfg.Now()
	}
	e.Detail = truncate(e.Detail, 200)
	s.obs.ObserveAdminAction(e.Action)
	if err := s.d.Store.AppendAudit(ctx, e); err != nil {
		s.obs.Fault("redis")
		s.log.Error("audit entry lost", "action", e.Action, "user_id", e.UserID, "target", e.Target, "err", err)
	}
}

// audit records an action of this package's commands.
func (s *Service) audit(ctx context.Context, a Actor, action, target, detail string) {
	s.Record(ctx, communitybot.AuditEntry{UserID: a.UserID, Name: a.Name, Role: a.Role, Action: action, Target: target, Detail: detail})
}

// actionLabels name the audited actions in /audit. The log stores the
// command's name, which stays stable when the wording changes.
var actionLabels = map[string]string{
	"setstatus":   "更新项目状态",
	"projectnote": "发布项目说明",
	"addproject":  "新增项目",
	"delproject":  "删除项目",
	"answer":      "答复居民问题",
	"learn":       "加入问答库",
	"unlearn":     "移出问答库",
	"announce":    "发布公告",
	"schedule":    "安排定时提醒",
	"cancel":      "取消定时任务",
	"grant":       "授予身份",
	"revoke":      "撤销身份",
	"invite":      "生成邀请码",
	"uninvite":    "作废邀请码",
	"addstudy":    "添加学习题",
	"delstudy":    "删除学习题",
	"reloadstudy": "重新加载学习题",
	"denied":      "被拒绝",
}

// projectActions are the actions whose target is a project id.
var projectActions = map[string]bool{"setstatus": true, "projectnote": true, "addproject": true, "delproject": true}

// Limits of /audit.
const (
	defaultAuditEntries = 20
	maxAuditEntries     = 50
)

// Audit renders the latest admin actions (/audit [n]): 20 by default, at
// most 50, followed by the latest refused attempts in a few lines.
// "/audit 拒绝 [n]" (or "denied") lists refused attempts instead. The two
// are kept apart in storage, so refusals never crowd out admin actions,
// neither in the log nor on this page.
func (s *Service) Audit(ctx context.Context, args string) (communitybot.Reply, error) {
	rest, denied := cutDeniedArg(args)
	n, note, err := parseAuditCount(rest)
	if err != nil {
		return communitybot.Reply{}, err
	}
	if denied {
		return s.deniedAudit(ctx, n, note)
	}
	list, err := s.d.Store.Audit(ctx, n)
	if err != nil {
		return communitybot.Reply{}, err
	}
	refused, total, err := s.d.Store.DeniedAudit(ctx, deniedPreview)
	if err != nil {
		return communitybot.Reply{}, err
	}
	var b strings.Builder
	if len(list) == 0 {
		b.WriteString("审计日志里还没有管理操作。管理员的每一项操作（更新项目、发布公告、授予身份等）都会记录在这里。")
	} else {
		names := s.auditNames(ctx, list)
		fmt.Fprintf(&b, "<b>最近 %d 条管理操作</b>（新的在前）", len(list))
		b.WriteString(note)
		for _, e := range list {
			s.writeAuditLine(&b, e, names)
		}
	}
	if len(refused) > 0 {
		fmt.Fprintf(&b, "\n\n<b>被拒绝的尝试</b>（没有管理员权限，未执行；共记录 %d 条，最近 %d 条如下，查看更多：/audit 拒绝）", total, len(refused))
		for _, e := range refused {
			s.writeAuditLine(&b, e, nil)
		}
	}
	return communitybot.Reply{Text: b.String()}, nil
}

// deniedPreview is how many refused attempts /audit shows below the
// admin actions.
const deniedPreview = 3

func (s *Service) deniedAudit(ctx context.Context, n int, note string) (communitybot.Reply, error) {
	list, total, err := s.d.Store.DeniedAudit(ctx, n)
	if err != nil {
		return communitybot.Reply{}, err
	}
	if len(list) == 0 {
		return communitybot.Reply{Text: "还没有被拒绝的尝试。没有管理员权限的用户尝试管理命令时，会记录在这里。"}, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<b>最近 %d 条被拒绝的尝试</b>（共记录 %d 条，新的在前）", len(list), total)
	b.WriteString(note)
	for _, e := range list {
		s.writeAuditLine(&b, e, nil)
	}
	return communitybot.Reply{Text: b.String()}, nil
}

// writeAuditLine writes one entry: when, who (role, name and id), what.
func (s *Service) writeAuditLine(b *strings.Builder, e communitybot.AuditEntry, names map[string]string) {
	who := html.EscapeString(e.Name)
	if e.Role != "" {
		who = e.Role.Label() + " " + who
	}
	fmt.Fprintf(b, "\n• %s %s（ID %d）%s", e.At.In(s.cfg.Location).Format("01-02 15:04"), who, e.UserID, html.EscapeString(describeAudit(e, names)))
}

// cutDeniedArg reports whether /audit's argument asks for the refused
// attempts, and returns the rest (the count).
func cutDeniedArg(args string) (string, bool) {
	args = strings.TrimSpace(args)
	for _, w := range []string{"拒绝", "被拒绝", "denied"} {
		if rest, ok := strings.CutPrefix(args, w); ok {
			return rest, true
		}
	}
	return args, false
}

// parseAuditCount reads /audit's argument. A count over the maximum is
// cut to it, with a note saying so.
func parseAuditCount(args string) (n int, note string, err error) {
	arg := strings.TrimSpace(strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return r - '０' + '0'
		}
		return r
	}, args))
	arg = strings.TrimSuffix(arg, "条")
	if arg == "" {
		return defaultAuditEntries, "", nil
	}
	bad := communitybot.Errorf(communitybot.ErrInvalid,
		"请写要查看的条数（1 到 %d 之间的整数），例如 /audit 10；只发送 /audit 显示最近 %d 条。", maxAuditEntries, defaultAuditEntries)
	for _, r := range arg {
		if r < '0' || r > '9' {
			return 0, "", bad
		}
	}
	v, err := strconv.Atoi(arg)
	switch {
	case err != nil || v > maxAuditEntries: // digits only: err is a number too large
		return maxAuditEntries, fmt.Sprintf("\n（一次最多显示 %d 条。）", maxAuditEntries), nil
	case v == 0:
		return 0, "", bad
	}
	return v, "", nil
}

// auditNames maps project and topic ids to what staff call them, for
// entries that name them. Nothing is read when no entry needs it, and a
// failed read only leaves the ids as they are.
func (s *Service) auditNames(ctx context.Context, list []communitybot.AuditEntry) map[string]string {
	names := map[string]string{}
	var projects, topics bool
	for _, e := range list {
		projects = projects || projectActions[e.Action]
		topics = topics || e.Action == "learn"
	}
	if projects {
		if ps, err := s.d.Store.Projects(ctx); err == nil {
			for _, p := range ps {
				names[p.ID] = fmt.Sprintf("%d.「%s」", p.Number, p.Name)
			}
		}
	}
	if topics {
		if kb, err := s.knowledge(ctx); err == nil {
			for _, t := range kb.Topics {
				names[t.ID] = "「" + t.Title + "」"
			}
			for _, p := range kb.Projects {
				if _, ok := names[p.ID]; !ok {
					names[p.ID] = "「" + p.Name + "」"
				}
			}
		}
	}
	return names
}

// describeAudit renders one entry's action, target and detail in Chinese.
func describeAudit(e communitybot.AuditEntry, names map[string]string) string {
	label, ok := actionLabels[e.Action]
	if !ok {
		label = "/" + e.Action
	}
	target, detail := e.Target, e.Detail
	switch {
	case projectActions[e.Action] && names[e.Target] != "":
		target = names[e.Target] + " [" + e.Target + "]"
	case projectActions[e.Action]:
		target = "[" + e.Target + "]"
	case e.Action == "learn":
		detail = describeLearned(detail, names)
	}
	out := label
	if target != "" {
		out += " " + target
	}
	if detail != "" {
		out += "：" + truncate(detail, 80)
	}
	return out
}

// describeLearned turns the detail older versions wrote for /learn
// ("question learned-q1 contact-staff", "topic learned-q3 <title>") into
// Chinese; newer entries are written in Chinese already.
func describeLearned(detail string, names map[string]string) string {
	f := strings.SplitN(detail, " ", 3)
	if len(f) < 3 || !strings.HasPrefix(f[1], "learned-") {
		return detail
	}
	switch communitybot.LearnKind(f[0]) {
	case communitybot.LearnQuestion:
		title := names[f[2]]
		if title == "" {
			title = "「" + f[2] + "」"
		}
		return learnedQuestionDetail(title, f[1])
	case communitybot.LearnTopic:
		return learnedTopicDetail(f[2], f[1])
	}
	return detail
}

func learnedQuestionDetail(quotedTitle, id string) string {
	return fmt.Sprintf("加为%s的一种问法 [%s]", quotedTitle, id)
}

func learnedTopicDetail(title, id string) string {
	return fmt.Sprintf("新建问答条目「%s」[%s]", title, id)
}
