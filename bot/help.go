package bot

import (
	"context"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/assistant"
	"github.com/zhangmiao/communitybot/help"
)

// registerHelp registers /help and its button (package help words them
// from the commands the user's role may use).
func registerHelp(rt *Router, a *assistant.Assistant) {
	rt.Command(Command{Name: "help", Description: "使用帮助和全部命令", Handle: func(ctx context.Context, r *Request) error {
		role, err := rt.UserRole(ctx, r)
		if err != nil {
			role = communitybot.RoleResident // still helpful without Redis
		}
		return r.Reply(ctx, help.Reply(role, r.Args, rt.HelpCommands(role), a.Help))
	}})
	rt.Callback(help.Prefix, communitybot.RoleAdmin, func(ctx context.Context, r *Request) error { // hp:admin
		if r.Data != help.DetailsData {
			return errStaleButton
		}
		_ = r.Toast(ctx, "", false)
		return r.Reply(ctx, help.AdminDetails(rt.HelpCommands(communitybot.RoleAdmin)))
	})
}

// HelpCommands returns the commands of role's menu as /help lists them.
func (rt *Router) HelpCommands(role communitybot.Role) []help.Command {
	cmds := rt.Commands(role)
	out := make([]help.Command, len(cmds))
	for i, c := range cmds {
		out[i] = help.Command{Name: c.Name, Description: c.Description, Role: c.Role}
	}
	return out
}
