package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/staff"
)

var _ staff.Readier = (*DeskPoster)(nil)

// RegisterStaff registers the admins' project and reporting commands:
// /setstatus, /projectnote, /addproject, /stats, /audit and /topics. The
// router checks the admin role on every call; a refused call is written to
// the audit log.
func RegisterStaff(rt *Router, svc *staff.Service) {
	admin := func(name, desc string, h func(ctx context.Context, a staff.Actor, args string) (communitybot.Reply, error)) {
		rt.Command(Command{Name: name, Description: desc, Role: communitybot.RoleAdmin, Handle: func(ctx context.Context, r *Request) error {
			reply, err := h(ctx, actorOf(r), r.Args)
			if err != nil {
				return err
			}
			return r.Reply(ctx, reply)
		}})
	}
	admin("setstatus", "更新项目状态：/setstatus 项目 状态 [进度%] 说明", svc.SetStatus)
	admin("projectnote", "发布项目说明：/projectnote 项目 说明", svc.ProjectNote)
	admin("addproject", "新增项目：/addproject 名称 | 简介 [| 别名]", svc.AddProject)
	admin("stats", "运营数据", func(ctx context.Context, _ staff.Actor, _ string) (communitybot.Reply, error) {
		return svc.Stats(ctx)
	})
	admin("audit", "最近的管理操作记录：/audit [条数]", func(ctx context.Context, _ staff.Actor, args string) (communitybot.Reply, error) {
		n := 20
		if v, err := strconv.Atoi(strings.TrimSpace(args)); err == nil && v > 0 {
			n = min(v, 50)
		}
		return svc.Audit(ctx, n)
	})
	admin("topics", "问答话题标识（供 /learn 使用）", func(ctx context.Context, _ staff.Actor, _ string) (communitybot.Reply, error) {
		return svc.Topics(ctx)
	})
	rt.Use(auditDenied(rt, svc))
}

// auditDenied writes a command refused for lack of a role to the audit
// log, so staff see attempts on admin commands.
func auditDenied(rt *Router, svc *staff.Service) Middleware {
	return func(next HandlerFunc) HandlerFunc {
		return func(ctx context.Context, r *Request) error {
			err := next(ctx, r)
			if r.Command != "" && errors.Is(err, communitybot.ErrForbidden) {
				if _, known := rt.commands[r.Command]; known {
					svc.RecordDenied(ctx, actorOf(r), r.Command)
				}
			}
			return err
		}
	}
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
	return staff.Actor{UserID: r.UserID, Name: name}
}

// DeskPoster lets the staff desk send messages (ticket posts, relayed
// answers) through the Sender, the one outgoing path. It exists before the
// Bot does, so the wiring can build the desk first and Attach the Sender
// once the Bot is created; a post before that fails as temporary, and
// Ready tells the desk when posting can start.
type DeskPoster struct {
	s     atomic.Pointer[Sender]
	ready chan struct{}
	once  sync.Once
}

// NewDeskPoster returns a DeskPoster with no Sender yet.
func NewDeskPoster() *DeskPoster { return &DeskPoster{ready: make(chan struct{})} }

// Attach sets the Sender posts go through. Set the Sender's observer
// before, so no call goes uncounted.
func (p *DeskPoster) Attach(s *Sender) {
	p.s.Store(s)
	p.once.Do(func() { close(p.ready) })
}

// Ready returns a channel that is closed once a Sender is attached
// (staff.Readier).
func (p *DeskPoster) Ready() <-chan struct{} { return p.ready }

// Post sends r to a chat and returns the message id. An error that waiting
// will not fix (blocked, kicked, bad chat id) wraps staff.ErrUndeliverable.
func (p *DeskPoster) Post(ctx context.Context, chatID int64, r communitybot.Reply) (int, error) {
	s := p.s.Load()
	if s == nil {
		return 0, fmt.Errorf("poster: bot not started: %w", ErrTemporary)
	}
	m, err := s.Send(ctx, chatID, r, SendOptions{})
	if err != nil {
		if IsPermanent(err) {
			return 0, fmt.Errorf("%w: %w", staff.ErrUndeliverable, err)
		}
		return 0, err
	}
	if m == nil {
		return 0, nil
	}
	return m.ID, nil
}
