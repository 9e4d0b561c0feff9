package bot

import (
	"context"
	"errors"

	"github.com/zhangmiao/communitybot"
)

// AuditLog records what admins do (staff.Service). Record must not fail
// the action it records: the action has happened, so a lost entry is
// logged by the implementation, not returned.
type AuditLog interface {
	Record(ctx context.Context, e communitybot.AuditEntry)
}

// SetAuditLog makes the router record on a the admin commands refused for
// lack of the admin role (the features record their own actions, each
// given the same log). Call it before the bot runs; until then (and in
// tests without the staff side) refusals are simply not recorded.
func (rt *Router) SetAuditLog(a AuditLog) {
	if rt.audit == nil {
		rt.Use(rt.auditDenied)
	}
	rt.audit = a
}

// record writes an admin action of r's user to the audit log: action is
// the command's name (the /audit view shows it in Chinese), target what it
// acted on, detail a human-readable summary.
//
// Features record their own actions (each takes an Auditor, the same
// log); the router records what only it sees: commands refused for lack
// of a role.
func (rt *Router) record(ctx context.Context, r *Request, action, target, detail string) {
	if rt.audit == nil {
		return
	}
	rt.audit.Record(ctx, actorOf(r).Audit(action, target, detail))
}

// AuditDenied is the action recorded for a command refused for lack of a
// role (kept apart from admin actions, see communitybot.AuditDenied).
const AuditDenied = communitybot.AuditDenied

// auditDenied records an admin command refused because the user is not an
// admin, so staff see such attempts. A refusal by the command's own rules
// (an admin demoting themselves, a wrong invite code) is not a permission
// denial and is not recorded as one.
func (rt *Router) auditDenied(next HandlerFunc) HandlerFunc {
	return func(ctx context.Context, r *Request) error {
		err := next(ctx, r)
		if r.Command == "" || !errors.Is(err, errRoleMissing) {
			return err
		}
		if c, known := rt.commands[r.Command]; known && c.Role == communitybot.RoleAdmin {
			rt.record(ctx, r, AuditDenied, "/"+r.Command, "没有管理员权限，未执行")
		}
		return err
	}
}
