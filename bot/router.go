package bot

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"strings"

	"github.com/zhangmiao/communitybot"
)

// HandlerFunc handles one request. An error carrying a user-safe message
// (communitybot.Errorf) is shown to the user; any other error is logged and
// the user gets a polite apology. An error wrapping ErrTemporary leaves the
// update in the inbox to be handled again later.
type HandlerFunc func(ctx context.Context, r *Request) error

// Command is a slash command.
type Command struct {
	Name        string // lower-case, without the slash
	Description string // Chinese, shown in Telegram's command menu
	// Role is the least role that may use the command; empty means anyone.
	// The router checks it on every call, against the role stored in
	// Redis, before the handler runs.
	Role communitybot.Role
	// Hidden commands work but are not listed in the menu or /help.
	Hidden bool
	// HideFrom, when set, drops the command from the menus and /help of
	// users holding at least that role; it still works for them. /join is
	// for residents becoming members: a member or admin who sees it in
	// their menu is misled into redeeming a code they do not need.
	HideFrom communitybot.Role
	Handle   HandlerFunc
}

// roleLookup is what the router needs to check roles.
type roleLookup interface {
	Role(ctx context.Context, userID int64) (communitybot.Role, error)
}

type callback struct {
	need communitybot.Role
	h    HandlerFunc
}

// Router sends each request to its handler: commands by name, button presses
// by the prefix of their callback data (up to the first ':'), and other text
// to the text handler.
type Router struct {
	commands   map[string]Command
	order      []string
	callbacks  map[string]callback
	text       HandlerFunc
	observers  []func(ctx context.Context, r *Request)
	chatEvents []ChatEventFunc
	roles      roleLookup
	log        *slog.Logger
	mws        []Middleware // see Use
	audit      AuditLog     // see SetAuditLog; nil: admin actions are not recorded
}

// NewRouter returns an empty router. roles may be nil when no command
// or callback needs more than the resident role.
func NewRouter(roles roleLookup, log *slog.Logger) *Router {
	return &Router{commands: map[string]Command{}, callbacks: map[string]callback{}, roles: roles, log: log}
}

// Command registers a command. Registering a name twice panics: it is a
// wiring bug, found at startup.
func (rt *Router) Command(c Command) {
	if _, dup := rt.commands[c.Name]; dup {
		panic("bot: command registered twice: " + c.Name)
	}
	rt.commands[c.Name] = c
	rt.order = append(rt.order, c.Name)
}

// Callback registers the handler for callback data "prefix:…", for users
// with at least role need (empty: anyone). Callback data comes from the
// client and can be forged, so the role is checked on every press.
func (rt *Router) Callback(prefix string, need communitybot.Role, h HandlerFunc) {
	if _, dup := rt.callbacks[prefix]; dup {
		panic("bot: callback prefix registered twice: " + prefix)
	}
	rt.callbacks[prefix] = callback{need: need, h: h}
}

// Text registers the handler for messages that are not commands.
func (rt *Router) Text(h HandlerFunc) { rt.text = h }

// Observe registers fn to see every request before it is routed (recording
// who talks to the bot). It must be cheap and cannot stop the request.
func (rt *Router) Observe(fn func(ctx context.Context, r *Request)) {
	rt.observers = append(rt.observers, fn)
}

// Commands returns the registered commands that belong in the menu of a
// user with role r, in registration order.
func (rt *Router) Commands(r communitybot.Role) []Command {
	var out []Command
	for _, n := range rt.order {
		c := rt.commands[n]
		if c.Hidden || !r.Allows(c.Role) || (c.HideFrom != "" && r.Allows(c.HideFrom)) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// errStaleButton answers a button we do not know: an old keyboard from a
// previous version, or forged callback data.
var errStaleButton = communitybot.Errorf(communitybot.ErrInvalid, "这个按钮已失效，请发送 /start 重新打开菜单。")

// Apology is what a resident sees when something failed on our side.
const Apology = "抱歉，系统暂时出了点问题，请稍后再试。给您带来不便，敬请谅解。"

// serve routes r and turns the handler's error into what the user sees. It
// returns an error only when the update should be handled again later.
func (rt *Router) serve(ctx context.Context, r *Request) error {
	for _, o := range rt.observers {
		o(ctx, r)
	}
	err := rt.handler()(ctx, r)
	if err != nil && !errors.Is(err, ErrTemporary) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		if msg, ok := communitybot.UserMessage(err); ok {
			err = rt.say(ctx, r, msg)
		} else {
			rt.log.Error("handler failed", "chat_id", r.ChatID, "update_id", r.UpdateID, "command", r.Command, "err", err)
			err = rt.say(ctx, r, Apology)
		}
	}
	// Telegram shows a spinner on a pressed button until it is answered.
	if r.IsCallback() && !r.answered {
		if aerr := r.Toast(ctx, "", false); aerr != nil && err == nil && errors.Is(aerr, ErrTemporary) {
			err = aerr
		}
	}
	if err != nil && (errors.Is(err, ErrTemporary) || errors.Is(err, context.DeadlineExceeded)) {
		return err
	}
	if err != nil {
		rt.log.Warn("reply not delivered", "chat_id", r.ChatID, "update_id", r.UpdateID, "err", err)
	}
	return nil
}

// say shows a short message: an alert for a button press, a message otherwise.
func (rt *Router) say(ctx context.Context, r *Request, msg string) error {
	if r.IsCallback() && !r.answered {
		return r.Toast(ctx, msg, true)
	}
	return r.Reply(ctx, communitybot.Reply{Text: html.EscapeString(msg)})
}

func (rt *Router) route(ctx context.Context, r *Request) error {
	if r.IsCallback() {
		prefix, _, _ := strings.Cut(r.Data, ":")
		cb, ok := rt.callbacks[prefix]
		if !ok {
			return errStaleButton
		}
		if err := rt.authorize(ctx, r, cb.need); err != nil {
			return err
		}
		return cb.h(ctx, r)
	}
	if r.Command != "" {
		if c, ok := rt.commands[r.Command]; ok {
			if err := rt.authorize(ctx, r, c.Role); err != nil {
				return err
			}
			return c.Handle(ctx, r)
		}
		return communitybot.Errorf(communitybot.ErrNotFound, "抱歉，没有 /%s 这个命令。发送 /help 可以查看全部命令，也可以直接用文字提问。", r.Command)
	}
	if rt.text != nil && strings.TrimSpace(r.Text) != "" {
		return rt.text(ctx, r)
	}
	return nil
}

// authorize checks that the user holds role need and records the role in
// r.Role. Residents' commands cost no lookup.
func (rt *Router) authorize(ctx context.Context, r *Request, need communitybot.Role) error {
	if need == "" || need == communitybot.RoleResident {
		return nil
	}
	role, err := rt.UserRole(ctx, r)
	if err != nil {
		return fmt.Errorf("role of user %d: %w: %w", r.UserID, ErrTemporary, err)
	}
	if !role.Allows(need) {
		return forbidden(need)
	}
	return nil
}

// UserRole returns the role of the request's user, looking it up once.
func (rt *Router) UserRole(ctx context.Context, r *Request) (communitybot.Role, error) {
	if r.Role != "" {
		return r.Role, nil
	}
	if rt.roles == nil {
		return communitybot.RoleResident, nil
	}
	role, err := rt.roles.Role(ctx, r.UserID)
	if err != nil {
		return "", err
	}
	r.Role = role
	return role, nil
}

// errRoleMissing marks a request refused because the user lacks the
// command's role, as opposed to an ErrForbidden a handler returns for its
// own rules (an admin may not demote themselves): only the former is
// audited as "denied".
var errRoleMissing = errors.New("role missing")

func forbidden(need communitybot.Role) error {
	msg := "抱歉，这个功能仅面向已登记的党员。如需登记，请向所在党支部索取邀请码，然后发送 /join 邀请码。"
	if need == communitybot.RoleAdmin {
		msg = "抱歉，这个功能仅限街道管理员使用。"
	}
	return &communitybot.Error{Kind: communitybot.ErrForbidden, Message: msg, Err: errRoleMissing}
}
