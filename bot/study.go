package bot

import (
	"context"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/study"
)

// RegisterStudy registers the party members' daily study: /study, /rank,
// /branchrank and /mystats for members, the answer and leaderboard
// buttons, and /addstudy, /delstudy, /studylist and /reloadstudy for
// admins (package study decides and words them). Every command and button
// checks the role server-side, so a forged button from a resident neither
// scores nor runs anything. /addstudy, /delstudy and /reloadstudy reply
// (and audit) once per update (replies, see replyOnce; nil: the items are
// still added and deleted once per update, under the update's once key,
// but an update handled again replies anew).
func RegisterStudy(rt *Router, s *study.Service, replies ReplyStore) {
	member, admin := communitybot.RoleMember, communitybot.RoleAdmin
	reply := func(name, desc string, role communitybot.Role, h func(ctx context.Context, r *Request) (communitybot.Reply, error)) {
		rt.Command(Command{Name: name, Description: desc, Role: role, Handle: func(ctx context.Context, r *Request) error {
			reply, err := h(ctx, r)
			if err != nil {
				return err
			}
			return r.Reply(ctx, reply)
		}})
	}
	change := func(name, desc string, h func(ctx context.Context, c communitybot.Caller, args string) (communitybot.Reply, error)) {
		rt.Command(Command{Name: name, Description: desc, Role: admin, Handle: func(ctx context.Context, r *Request) error {
			return replyOnce(ctx, replies, r, func(ctx context.Context) (communitybot.Reply, error) {
				// Under the update's once key an update handled again
				// adds or deletes nothing more.
				return h(onceForUpdate(ctx, r), callerOf(r), r.Args)
			})
		}})
	}
	reply("study", "每日学习：今天的学习内容和答题", member, func(ctx context.Context, r *Request) (communitybot.Reply, error) {
		return s.Today(ctx, callerOf(r))
	})
	reply("rank", "学习积分排行榜（本周，/rank 总 看总榜）", member, func(ctx context.Context, r *Request) (communitybot.Reply, error) {
		return s.RankCommand(ctx, r.UserID, r.Args)
	})
	reply("branchrank", "党支部积分排行", member, func(ctx context.Context, r *Request) (communitybot.Reply, error) {
		return s.BranchRankCommand(ctx, r.UserID, r.Args)
	})
	reply("mystats", "我的积分、连续学习天数和正确率", member, func(ctx context.Context, r *Request) (communitybot.Reply, error) {
		return s.Stats(ctx, r.UserID)
	})
	change("addstudy", "添加一条学习内容和选择题", s.AddCommand)
	change("delstudy", "删除在机器人里添加的学习题：/delstudy 编号", s.DeleteCommand)
	reply("studylist", "查看学习题库", admin, func(ctx context.Context, _ *Request) (communitybot.Reply, error) {
		return s.List(ctx)
	})
	change("reloadstudy", "重新加载内容文件里的学习题", func(ctx context.Context, c communitybot.Caller, _ string) (communitybot.Reply, error) {
		return s.ReloadCommand(ctx, c)
	})

	// The answer buttons: quiz:<day>:<item>:<question>:<option>.
	rt.Callback(study.CallbackPrefix, member, func(ctx context.Context, r *Request) error {
		edit, notice, err := s.Answer(ctx, r.UserID, r.Data)
		if err != nil {
			return err
		}
		_ = r.Toast(ctx, notice, false)
		if edit.Text == "" {
			return nil
		}
		return r.Edit(ctx, edit)
	})
	// Leaderboard switches: rank:week|all, brank:week|all.
	board := func(ctx context.Context, r *Request) error {
		reply, err := s.Board(ctx, r.UserID, r.Data)
		if err != nil {
			return err
		}
		_ = r.Toast(ctx, "", false)
		return r.Edit(ctx, reply)
	}
	rt.Callback(study.RankPrefix, member, board)
	rt.Callback(study.BranchRankPrefix, member, board)
}
