package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/staff"
)

var _ staff.Poster = (*Sender)(nil)

// ReplyStore remembers the reply an admin command gave to an update
// (storage.Store). It is the once-key mechanism the broadcasts use
// (communitybot.WithOnceKey): ClaimOnce records a value under a key once,
// OnceValue reads it back.
type ReplyStore interface {
	ClaimOnce(ctx context.Context, key, value string) (string, error)
	OnceValue(ctx context.Context, key string) (string, bool, error)
}

// replyOnce runs an admin command that changes something at most once per
// update and replies with what it returned. An update can be handled again:
// after a crash between the reply and the inbox acknowledgement, or when
// the reply failed for a while (the update stays in the inbox). The second
// handling finds the recorded reply and sends it again, so no history
// entry, audit line, broadcast, invite code or notice is repeated.
//
// The reply is recorded before it is sent, so a failed send is the common
// case covered exactly. What remains is a crash after the change and
// before the record (a few milliseconds): the change is then made again,
// except what the once key in ctx already guards (a broadcast, a study
// item).
//
// With replies nil the change runs and replies each time (under the once
// key all the same). An empty reply sends nothing: the command answers
// some other way (/announce: the delivery engine's progress message).
func replyOnce(ctx context.Context, replies ReplyStore, r *Request, change func(ctx context.Context) (communitybot.Reply, error)) error {
	if r.UpdateID == 0 || replies == nil { // nothing to repeat, or nowhere to keep it
		reply, err := change(ctx)
		if err != nil {
			return err
		}
		return replyIfAny(ctx, r, reply)
	}
	key := fmt.Sprintf("reply:%d:%d:%d", r.UpdateID, r.ChatID, r.MessageID)
	raw, done, err := replies.OnceValue(ctx, key)
	if err != nil {
		return fmt.Errorf("earlier reply: %w: %w", ErrTemporary, err)
	}
	if done {
		var reply communitybot.Reply
		if err := json.Unmarshal([]byte(raw), &reply); err != nil {
			return fmt.Errorf("earlier reply of update %d: %w", r.UpdateID, err)
		}
		return replyIfAny(ctx, r, reply)
	}
	reply, err := change(onceForUpdate(ctx, r))
	if err != nil {
		return err
	}
	enc, err := json.Marshal(reply)
	if err != nil {
		return fmt.Errorf("reply of update %d: %w", r.UpdateID, err)
	}
	// The change is made: record it even when the handling's deadline ran
	// out while it was being made (a slow knowledge rebuild on a loaded
	// host), or the next handling would make it again. A failure to record
	// only leaves a later handling unprotected; the admin must hear of the
	// change either way.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if first, err := replies.ClaimOnce(rctx, key, string(enc)); err == nil && first != string(enc) {
		_ = json.Unmarshal([]byte(first), &reply) // handled twice at once: say what the first said
	}
	return replyIfAny(ctx, r, reply)
}

// recordTimeout bounds the write that records a change's reply, which
// does not share the handling's deadline.
const recordTimeout = 2 * time.Second

// replyIfAny sends reply unless it is empty.
func replyIfAny(ctx context.Context, r *Request, reply communitybot.Reply) error {
	if reply.Text == "" && len(reply.Buttons) == 0 {
		return nil
	}
	return r.Reply(ctx, reply)
}

// RegisterStaff registers the admins' project and reporting commands:
// /setstatus, /projectnote, /addproject, /delproject, /stats, /audit and
// /topics, and makes svc the router's audit log (Router.SetAuditLog):
// every admin action of every feature, and every admin command refused for
// lack of the role, is written to it. The commands that change something
// reply once per update (replies, see replyOnce): handled again, they
// repeat the reply, not the change.
func RegisterStaff(rt *Router, svc *staff.Service, replies ReplyStore) {
	admin := func(name, desc string, h func(ctx context.Context, a staff.Actor, args string) (communitybot.Reply, error)) {
		rt.Command(Command{Name: name, Description: desc, Role: communitybot.RoleAdmin, Handle: func(ctx context.Context, r *Request) error {
			reply, err := h(ctx, actorOf(r), r.Args)
			if err != nil {
				return err
			}
			return r.Reply(ctx, reply)
		}})
	}
	change := func(name, desc string, h func(ctx context.Context, a staff.Actor, args string) (communitybot.Reply, error)) {
		rt.Command(Command{Name: name, Description: desc, Role: communitybot.RoleAdmin, Handle: func(ctx context.Context, r *Request) error {
			return replyOnce(ctx, replies, r, func(ctx context.Context) (communitybot.Reply, error) {
				return h(ctx, actorOf(r), r.Args)
			})
		}})
	}
	change("setstatus", "更新项目状态：/setstatus 项目 状态 [进度] 说明", svc.SetStatus)
	change("projectnote", "发布项目说明：/projectnote 项目 说明", svc.ProjectNote)
	change("addproject", "新增项目：/addproject 名称 | 简介 [| 别名]", svc.AddProject)
	change("delproject", "删除用 /addproject 新增的项目：/delproject 编号", svc.DeleteProject)
	admin("stats", "运营数据", func(ctx context.Context, _ staff.Actor, _ string) (communitybot.Reply, error) {
		return svc.Stats(ctx)
	})
	admin("audit", "最近的管理操作记录：/audit [条数]", func(ctx context.Context, _ staff.Actor, args string) (communitybot.Reply, error) {
		return svc.Audit(ctx, args)
	})
	admin("topics", "问答话题标识（供 /learn 使用）", func(ctx context.Context, _ staff.Actor, _ string) (communitybot.Reply, error) {
		return svc.Topics(ctx)
	})
	rt.SetAuditLog(svc)
}

// actorOf names the user behind a request for history entries and the
// audit log.
func actorOf(r *Request) staff.Actor {
	name := strings.TrimSpace(r.FirstName)
	if name == "" && r.Username != "" {
		name = "@" + r.Username
	}
	if name == "" {
		name = fmt.Sprintf("用户%d", r.UserID)
	}
	return staff.Actor{UserID: r.UserID, Name: name, Role: r.Role}
}
