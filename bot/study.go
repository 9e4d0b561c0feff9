package bot

import (
	"context"
	"fmt"
	"html"
	"strings"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/study"
)

// StudyOptions configure RegisterStudy.
type StudyOptions struct {
	// Reload re-reads the content file's study items for /reloadstudy;
	// nil (no CONTENT_FILE: the built-in content is used) makes
	// /reloadstudy explain that it needs CONTENT_FILE.
	Reload func() ([]communitybot.StudyItem, error)
	// Replies makes /addstudy, /delstudy and /reloadstudy reply (and
	// audit) once per update (see replyOnce); nil: the study items are
	// still added and deleted once per update (the once key), but an
	// update handled again replies anew.
	Replies ReplyStore
}

// RegisterStudy registers the party members' daily study: /study, /rank,
// /branchrank and /mystats for members, the answer and leaderboard
// buttons, and /addstudy, /delstudy, /studylist (and /reloadstudy) for
// admins. Every command and button checks the role server-side, so a
// forged button from a resident neither scores nor runs anything.
func RegisterStudy(rt *Router, s *study.Service, o StudyOptions) {
	member, admin := communitybot.RoleMember, communitybot.RoleAdmin
	rt.Command(Command{Name: "study", Description: "每日学习：今天的学习内容和答题", Role: member, Handle: func(ctx context.Context, r *Request) error {
		if r.ChatType != "private" {
			return communitybot.Errorf(communitybot.ErrInvalid, "每日学习请在与我的私聊中进行：点开我的头像，发送 /study。")
		}
		reply, err := s.Open(ctx, r.UserID)
		if err != nil {
			return err
		}
		return r.Reply(ctx, reply)
	}})
	rt.Command(Command{Name: "rank", Description: "学习积分排行榜（本周，/rank 总 看总榜）", Role: member, Handle: func(ctx context.Context, r *Request) error {
		reply, err := s.Rank(ctx, r.UserID, allTimeArg(r.Args))
		if err != nil {
			return err
		}
		return r.Reply(ctx, reply)
	}})
	rt.Command(Command{Name: "branchrank", Description: "党支部积分排行", Role: member, Handle: func(ctx context.Context, r *Request) error {
		reply, err := s.BranchRank(ctx, r.UserID, allTimeArg(r.Args))
		if err != nil {
			return err
		}
		return r.Reply(ctx, reply)
	}})
	rt.Command(Command{Name: "mystats", Description: "我的积分、连续学习天数和正确率", Role: member, Handle: func(ctx context.Context, r *Request) error {
		reply, err := s.Stats(ctx, r.UserID)
		if err != nil {
			return err
		}
		return r.Reply(ctx, reply)
	}})

	rt.Command(Command{Name: "addstudy", Description: "添加一条学习内容和选择题", Role: admin, Handle: func(ctx context.Context, r *Request) error {
		if strings.TrimSpace(r.Args) == "" {
			return r.Reply(ctx, communitybot.Reply{Text: html.EscapeString(study.AddUsage)})
		}
		return replyOnce(ctx, o.Replies, r, func(ctx context.Context) (communitybot.Reply, error) {
			// Under the update's once key an update handled again adds
			// no second item and gets the same reply.
			it, reply, err := s.AddItem(onceForUpdate(ctx, r), r.Args)
			if err != nil {
				return communitybot.Reply{}, err
			}
			rt.record(ctx, r, "addstudy", it.ID, it.Title)
			return reply, nil
		})
	}})
	rt.Command(Command{Name: "delstudy", Description: "删除在机器人里添加的学习题：/delstudy 编号", Role: admin, Handle: func(ctx context.Context, r *Request) error {
		return replyOnce(ctx, o.Replies, r, func(ctx context.Context) (communitybot.Reply, error) {
			id := strings.TrimSpace(r.Args)
			if err := s.DeleteItem(onceForUpdate(ctx, r), id); err != nil { // handled again: the same answer
				return communitybot.Reply{}, err
			}
			rt.record(ctx, r, "delstudy", id, "")
			return communitybot.Reply{Text: "✅ 已从学习题库删除 " + html.EscapeString(id) + "。"}, nil
		})
	}})
	rt.Command(Command{Name: "studylist", Description: "查看学习题库", Role: admin, Handle: func(ctx context.Context, r *Request) error {
		reply, err := s.List(ctx)
		if err != nil {
			return err
		}
		return r.Reply(ctx, reply)
	}})
	rt.Command(Command{Name: "reloadstudy", Description: "重新加载内容文件里的学习题", Role: admin, Handle: func(ctx context.Context, r *Request) error {
		if o.Reload == nil {
			return communitybot.Errorf(communitybot.ErrInvalid,
				"现在用的是程序内置的内容，没有可以重新加载的内容文件。要用 /reloadstudy，请把环境变量 CONTENT_FILE 设为内容文件的路径并重启机器人；不重启也可以用 /addstudy 添加、/delstudy 删除学习题。")
		}
		return replyOnce(ctx, o.Replies, r, func(ctx context.Context) (communitybot.Reply, error) {
			items, err := o.Reload()
			if err != nil {
				return communitybot.Reply{}, err // a content error carries the list of problems
			}
			s.SetContent(items)
			bank, err := s.Bank(ctx)
			if err != nil {
				return communitybot.Reply{}, err
			}
			rt.record(ctx, r, "reloadstudy", "内容文件", fmt.Sprintf("文件里 %d 条，题库共 %d 条", len(items), len(bank)))
			return communitybot.Reply{Text: fmt.Sprintf("✅ 已重新加载内容文件：文件里有 %d 条学习内容，题库共 %d 条。（只对处理这条命令的实例生效；多实例部署请逐个重启。）", len(items), len(bank))}, nil
		})
	}})

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
	board := func(branches bool) HandlerFunc {
		return func(ctx context.Context, r *Request) error {
			var allTime bool
			switch callbackArg(r.Data) {
			case "week":
			case "all":
				allTime = true
			default:
				return errStaleButton
			}
			rank := s.Rank
			if branches {
				rank = s.BranchRank
			}
			reply, err := rank(ctx, r.UserID, allTime)
			if err != nil {
				return err
			}
			_ = r.Toast(ctx, "", false)
			return r.Edit(ctx, reply)
		}
	}
	rt.Callback("rank", member, board(false))
	rt.Callback("brank", member, board(true))
}

// allTimeArg reports whether a leaderboard command asks for all time.
func allTimeArg(args string) bool {
	switch strings.ToLower(strings.TrimSpace(args)) {
	case "总", "总榜", "全部", "all", "总排行":
		return true
	}
	return false
}
