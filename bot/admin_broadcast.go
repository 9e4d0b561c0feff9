package bot

import (
	"context"
	"strconv"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/jobs"
)

// RegisterAdminBroadcast registers the admins' commands /announce,
// /schedule, /jobs, /cancel and /broadcasts (package jobs decides and
// words them). The router checks the admin role before any of them runs.
// /announce, /schedule and /cancel change something: each takes effect,
// is audited and replies once per update (replies, see replyOnce).
func RegisterAdminBroadcast(rt *Router, svc *jobs.Service, replies ReplyStore) {
	change := func(name, desc string, h func(ctx context.Context, c communitybot.Caller, args string) (communitybot.Reply, error)) {
		rt.Command(Command{Name: name, Description: desc, Role: communitybot.RoleAdmin, Handle: func(ctx context.Context, r *Request) error {
			return replyOnce(ctx, replies, r, func(ctx context.Context) (communitybot.Reply, error) {
				return h(ctx, callerOf(r), r.Args)
			})
		}})
	}
	read := func(name, desc string, h func(ctx context.Context) (communitybot.Reply, error)) {
		rt.Command(Command{Name: name, Description: desc, Role: communitybot.RoleAdmin, Handle: func(ctx context.Context, r *Request) error {
			reply, err := h(ctx)
			if err != nil {
				return err
			}
			return r.Reply(ctx, reply)
		}})
	}
	change("announce", "发布公告（管理员）：/announce 内容", svc.Announce)
	change("schedule", "定时提醒（管理员）：/schedule 时间 内容", svc.Schedule)
	read("jobs", "查看定时任务（管理员）", svc.Jobs)
	change("cancel", "取消定时任务（管理员）：/cancel 编号", svc.Cancel)
	read("broadcasts", "最近的群发记录（管理员）", svc.Broadcasts)
}

// onceForUpdate makes what the handler creates idempotent per update: a
// crash after the broadcast is stored but before the update is
// acknowledged handles the update again, and must not announce twice.
func onceForUpdate(ctx context.Context, r *Request) context.Context {
	return communitybot.WithOnceKey(ctx, "update:"+strconv.FormatInt(r.UpdateID, 10))
}
