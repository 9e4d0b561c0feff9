// Package help words /help: residents and members get the commands they
// may use with a line each; an admin gets every command by name in a few
// grouped lines, and the usage of each behind /help 管理 or a button. It
// knows no channel: the channel lists its commands (Command) and sends
// the communitybot.Reply.
package help

import (
	"fmt"
	"html"
	"slices"
	"strings"

	"github.com/zhangmiao/communitybot"
)

// Command is a command as /help shows it.
type Command struct {
	Name        string // without the slash
	Description string // Chinese, one line
	// Role is the least role that may use it; empty means anyone.
	Role communitybot.Role
}

// Button data of the admins' "管理命令用法" button.
const (
	Prefix      = "hp"
	DetailsData = Prefix + ":admin"
)

// groups is the one table of how /help groups the admins' commands. A
// command in no group is listed under 其他, so a new command is never
// missing from /help.
var groups = []struct {
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

// detailsArgs are what follows /help for the admins' full list; the
// button asks for the same.
var detailsArgs = []string{"管理", "管理员", "admin", "全部", "all"}

// Reply answers /help for a user with role, who may use cmds (in menu
// order), having typed args after /help. base words the help around a
// rendered command list (assistant.Assistant.Help).
func Reply(role communitybot.Role, args string, cmds []Command, base func(commands string) communitybot.Reply) communitybot.Reply {
	if role != communitybot.RoleAdmin {
		return base(List(cmds))
	}
	if slices.Contains(detailsArgs, strings.ToLower(strings.TrimSpace(args))) {
		return AdminDetails(cmds)
	}
	return Admin(cmds)
}

// List renders commands a line each: "/name — description".
func List(cmds []Command) string {
	var b strings.Builder
	for _, c := range cmds {
		fmt.Fprintf(&b, "/%s — %s\n", c.Name, html.EscapeString(c.Description))
	}
	return strings.TrimRight(b.String(), "\n")
}

type group struct {
	title    string
	commands []Command
}

// grouped puts an admin's commands into the table's groups; the last group,
// 其他, holds the admin commands the table does not name. everyone is
// what residents and members may use too.
func grouped(cmds []Command) (everyone, member []Command, gs []group) {
	byName := map[string]Command{}
	for _, c := range cmds {
		byName[c.Name] = c
	}
	placed := map[string]bool{}
	for _, g := range groups {
		hg := group{title: g.title}
		for _, n := range g.names {
			if c, ok := byName[n]; ok {
				hg.commands = append(hg.commands, c)
				placed[n] = true
			}
		}
		if len(hg.commands) > 0 {
			gs = append(gs, hg)
		}
	}
	other := group{title: "其他"}
	for _, c := range cmds {
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
		gs = append(gs, other)
	}
	return everyone, member, gs
}

func names(cs []Command) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, "/"+c.Name)
	}
	return strings.Join(parts, " ")
}

// Admin is the admins' short /help: a line per group, names only, and a
// button for the usage of each.
func Admin(cmds []Command) communitybot.Reply {
	everyone, member, gs := grouped(cmds)
	var b strings.Builder
	b.WriteString("<b>使用帮助（管理员）</b>\n直接发送问题即可，和居民一样。\n")
	if len(everyone) > 0 {
		fmt.Fprintf(&b, "\n<b>居民命令</b>：%s", names(everyone))
	}
	if len(member) > 0 {
		fmt.Fprintf(&b, "\n<b>党员学习</b>：%s", names(member))
	}
	b.WriteString("\n\n<b>管理命令</b>")
	for _, g := range gs {
		fmt.Fprintf(&b, "\n%s：%s", g.title, names(g.commands))
	}
	b.WriteString("\n\n每个管理命令的用法：发送 /help 管理，或点下面的按钮。")
	return communitybot.Reply{Text: b.String(), Buttons: [][]communitybot.Button{{{Text: "管理命令用法", Data: DetailsData}}}}
}

// AdminDetails lists every admin command with its usage, by group.
func AdminDetails(cmds []Command) communitybot.Reply {
	_, _, gs := grouped(cmds)
	var b strings.Builder
	b.WriteString("<b>管理命令用法</b>")
	for _, g := range gs {
		fmt.Fprintf(&b, "\n\n<b>%s</b>", g.title)
		for _, c := range g.commands {
			fmt.Fprintf(&b, "\n/%s — %s", c.Name, html.EscapeString(c.Description))
		}
	}
	return communitybot.Reply{Text: b.String()}
}
