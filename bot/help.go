package bot

import (
	"context"
	"fmt"
	"html"
	"slices"
	"strings"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/assistant"
)

// adminHelpGroups is the one table of how /help groups the admins'
// commands. A command in no group is listed under 其他, so a new command
// is never missing from /help.
var adminHelpGroups = []struct {
	title string
	names []string
}{
	{"群发与提醒", []string{"announce", "schedule", "jobs", "cancel", "broadcasts"}},
	{"项目进展", []string{"setstatus", "projectnote", "addproject", "delproject"}},
	{"居民问题", []string{"tickets", "answer", "learn", "unlearn", "topics"}},
	{"党员与权限", []string{"invite", "grant", "revoke", "members"}},
	{"学习题库", []string{"addstudy", "delstudy", "studylist", "reloadstudy"}},
	{"数据", []string{"stats", "audit"}},
}

// helpDetailsArg is what follows /help for the admins' full list; the
// button sends the same.
var helpDetailsArgs = []string{"管理", "管理员", "admin", "全部", "all"}

// registerHelp registers /help and its button. Residents and members get
// their commands with a line each (a short list); an admin gets every
// command by name in a few grouped lines, and the usage of each behind
// /help 管理 or the button.
func registerHelp(rt *Router, a *assistant.Assistant) {
	rt.Command(Command{Name: "help", Description: "使用帮助和全部命令", Handle: func(ctx context.Context, r *Request) error {
		role, err := rt.UserRole(ctx, r)
		if err != nil {
			role = communitybot.RoleResident // still helpful without Redis
		}
		if role != communitybot.RoleAdmin {
			return r.Reply(ctx, a.Help(rt.CommandList(role)))
		}
		if slices.Contains(helpDetailsArgs, strings.ToLower(strings.TrimSpace(r.Args))) {
			return r.Reply(ctx, rt.adminHelpDetails())
		}
		return r.Reply(ctx, rt.adminHelp())
	}})
	rt.Callback("hp", communitybot.RoleAdmin, func(ctx context.Context, r *Request) error { // hp:admin
		if callbackArg(r.Data) != "admin" {
			return errStaleButton
		}
		_ = r.Toast(ctx, "", false)
		return r.Reply(ctx, rt.adminHelpDetails())
	})
}

// adminGroups sorts the commands an admin may use into the table's groups;
// the last group, 其他, holds the admin commands the table does not name.
// everyone is what residents and members may use too.
func (rt *Router) adminGroups() (everyone, member []Command, groups []helpGroup) {
	byName := map[string]Command{}
	for _, c := range rt.Commands(communitybot.RoleAdmin) {
		byName[c.Name] = c
	}
	placed := map[string]bool{}
	for _, g := range adminHelpGroups {
		hg := helpGroup{title: g.title}
		for _, n := range g.names {
			if c, ok := byName[n]; ok {
				hg.commands = append(hg.commands, c)
				placed[n] = true
			}
		}
		if len(hg.commands) > 0 {
			groups = append(groups, hg)
		}
	}
	other := helpGroup{title: "其他"}
	for _, c := range rt.Commands(communitybot.RoleAdmin) {
		switch {
		case placed[c.Name]:
		case c.Role == communitybot.RoleAdmin:
			other.commands = append(other.commands, c)
		case c.Role == communitybot.RoleMember:
			member = append(member, c)
		case c.Name != "start" && c.Name != "help":
			everyone = append(everyone, c)
		}
	}
	if len(other.commands) > 0 {
		groups = append(groups, other)
	}
	return everyone, member, groups
}

type helpGroup struct {
	title    string
	commands []Command
}

func names(cs []Command) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, "/"+c.Name)
	}
	return strings.Join(parts, " ")
}

// adminHelp is the admins' short /help: a line per group, names only.
func (rt *Router) adminHelp() communitybot.Reply {
	everyone, member, groups := rt.adminGroups()
	var b strings.Builder
	b.WriteString("<b>使用帮助（管理员）</b>\n直接发送问题即可，和居民一样。\n")
	if len(everyone) > 0 {
		fmt.Fprintf(&b, "\n<b>居民命令</b>：%s", names(everyone))
	}
	if len(member) > 0 {
		fmt.Fprintf(&b, "\n<b>党员学习</b>：%s", names(member))
	}
	b.WriteString("\n\n<b>管理命令</b>")
	for _, g := range groups {
		fmt.Fprintf(&b, "\n%s：%s", g.title, names(g.commands))
	}
	b.WriteString("\n\n每个管理命令的用法：发送 /help 管理，或点下面的按钮。")
	return communitybot.Reply{Text: b.String(), Buttons: [][]communitybot.Button{{{Text: "管理命令用法", Data: "hp:admin"}}}}
}

// adminHelpDetails lists every admin command with its usage, by group.
func (rt *Router) adminHelpDetails() communitybot.Reply {
	_, _, groups := rt.adminGroups()
	var b strings.Builder
	b.WriteString("<b>管理命令用法</b>")
	for _, g := range groups {
		fmt.Fprintf(&b, "\n\n<b>%s</b>", g.title)
		for _, c := range g.commands {
			fmt.Fprintf(&b, "\n/%s — %s", c.Name, html.EscapeString(c.Description))
		}
	}
	return communitybot.Reply{Text: b.String()}
}
