package bot

import (
	"context"
	"strings"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/assistant"
)

// RegisterCore registers what every resident can use: /start, /help,
// /goals, /projects, /project, the topic and project buttons, and free-text
// questions.
func RegisterCore(rt *Router, a *assistant.Assistant) {
	rt.Command(Command{Name: "start", Description: "开始使用，查看可以问什么", Handle: func(ctx context.Context, r *Request) error {
		return r.Reply(ctx, a.Welcome(r.FirstName))
	}})
	registerHelp(rt, a)
	rt.Command(Command{Name: "goals", Description: "“比学赶超”活动目标一览", Handle: func(ctx context.Context, r *Request) error {
		reply, err := a.Goals(ctx, r.ChatID, r.UserID)
		if err != nil {
			return err
		}
		return r.Reply(ctx, reply)
	}})
	rt.Command(Command{Name: "projects", Description: "民心工程和项目进展一览", Handle: func(ctx context.Context, r *Request) error {
		reply, err := a.ProjectList(ctx)
		if err != nil {
			return err
		}
		return r.Reply(ctx, reply)
	}})
	rt.Command(Command{Name: "project", Description: "查看某个项目：/project 名称或编号", Handle: func(ctx context.Context, r *Request) error {
		id, err := a.ResolveProject(ctx, r.Args)
		if err != nil {
			return err
		}
		reply, err := a.Project(ctx, r.ChatID, r.UserID, id)
		if err != nil {
			return err
		}
		return r.Reply(ctx, reply)
	}})

	// Buttons. Their data is never trusted: an id that does not exist gets
	// the same polite answer as a stale keyboard.
	rt.Callback("t", communitybot.RoleResident, func(ctx context.Context, r *Request) error { // t:<topic>
		reply, err := a.Topic(ctx, r.ChatID, r.UserID, callbackArg(r.Data))
		if err != nil {
			return err
		}
		_ = r.Toast(ctx, "", false)
		return r.Reply(ctx, reply)
	})
	projectCard := func(ctx context.Context, r *Request) error { // p:<project>, h:<project>
		reply, err := a.Project(ctx, r.ChatID, r.UserID, callbackArg(r.Data))
		if err != nil {
			return err
		}
		_ = r.Toast(ctx, "", false)
		return r.Reply(ctx, reply)
	}
	rt.Callback("p", communitybot.RoleResident, projectCard)
	rt.Callback("h", communitybot.RoleResident, projectCard)
	rt.Callback("m", communitybot.RoleResident, func(ctx context.Context, r *Request) error { // m:projects
		if callbackArg(r.Data) != "projects" {
			return errStaleButton
		}
		reply, err := a.ProjectList(ctx)
		if err != nil {
			return err
		}
		_ = r.Toast(ctx, "", false)
		return r.Reply(ctx, reply)
	})

	rt.Text(func(ctx context.Context, r *Request) error {
		ans, err := a.Ask(ctx, r.ChatID, r.UserID, r.Text)
		if err != nil {
			return err
		}
		return r.Reply(ctx, ans.Reply)
	})
}

// callbackArg returns what follows the prefix in "prefix:arg".
func callbackArg(data string) string {
	_, arg, _ := strings.Cut(data, ":")
	return arg
}
