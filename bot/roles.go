package bot

import (
	"context"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/membership"
)

// RegisterMembership registers /join for residents and /grant, /revoke,
// /invite (and its button) and /members for admins (package membership
// decides and words them), and makes dir see every request: it records
// who talks to the bot (names for leaderboards, @username for /grant) and
// keeps each member's and admin's private-chat command menu in line with
// their role (membership.Commands shows a changed role through dir, its
// Menus). /grant, /revoke and /invite reply once per update (replies, see
// replyOnce): handled again, they mint no second code and notify no one
// twice.
func RegisterMembership(rt *Router, cmds *membership.Commands, dir *Directory, replies ReplyStore) {
	rt.Observe(dir.observe)
	once := func(change func(ctx context.Context, r *Request) (communitybot.Reply, error)) HandlerFunc {
		return func(ctx context.Context, r *Request) error {
			return replyOnce(ctx, replies, r, func(ctx context.Context) (communitybot.Reply, error) { return change(ctx, r) })
		}
	}
	// Members and admins have no use for /join (an admin is told so, a
	// member only uses it to change branch), so only residents see it.
	rt.Command(Command{Name: "join", Description: "党员凭邀请码登记：/join 邀请码", HideFrom: communitybot.RoleMember, Handle: func(ctx context.Context, r *Request) error {
		reply, err := cmds.Join(ctx, callerOf(r), r.Args)
		if err != nil {
			return err
		}
		return r.Reply(ctx, reply)
	}})
	rt.Command(Command{Name: "grant", Description: "授予身份：/grant 用户 member 支部 或 /grant 用户 admin", Role: communitybot.RoleAdmin,
		Handle: once(func(ctx context.Context, r *Request) (communitybot.Reply, error) {
			return cmds.Grant(ctx, callerOf(r), r.Args, repliedTo(r))
		})})
	rt.Command(Command{Name: "revoke", Description: "撤销身份：/revoke 用户", Role: communitybot.RoleAdmin,
		Handle: once(func(ctx context.Context, r *Request) (communitybot.Reply, error) {
			return cmds.Revoke(ctx, callerOf(r), r.Args, repliedTo(r))
		})})
	rt.Command(Command{Name: "invite", Description: "生成一次性党员邀请码：/invite 支部名称", Role: communitybot.RoleAdmin,
		Handle: once(func(ctx context.Context, r *Request) (communitybot.Reply, error) {
			return cmds.Invite(ctx, callerOf(r), r.Args)
		})})
	rt.Command(Command{Name: "members", Description: "查看党员和管理员名单", Role: communitybot.RoleAdmin, Handle: func(ctx context.Context, r *Request) error {
		reply, err := cmds.Members(ctx)
		if err != nil {
			return err
		}
		return r.Reply(ctx, reply)
	}})
	rt.Callback(membership.InvitePrefix, communitybot.RoleAdmin, func(ctx context.Context, r *Request) error { // inv:x:<code>
		edit, notice, err := cmds.Press(ctx, callerOf(r), r.Data)
		if err != nil {
			return err
		}
		_ = r.Toast(ctx, notice, false)
		return r.Edit(ctx, edit)
	})
}

// repliedTo is the message a command replied to, as membership takes it.
func repliedTo(r *Request) *membership.RepliedTo {
	if r.ReplyTo == nil {
		return nil
	}
	return &membership.RepliedTo{
		User: communitybot.User{ID: r.ReplyTo.UserID, Username: r.ReplyTo.Username, FirstName: r.ReplyTo.FirstName},
		Bot:  r.ReplyTo.FromBot,
	}
}
