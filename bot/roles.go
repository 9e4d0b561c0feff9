package bot

import (
	"context"
	"fmt"
	"html"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/membership"
)

// MembershipOptions configure RegisterMembership.
type MembershipOptions struct {
	// Location is where invite expiry times are shown; UTC when nil.
	Location *time.Location
	// StudyTime is the daily study push time shown to new members
	// ("08:00"); empty leaves it out.
	StudyTime string
	Logger    *slog.Logger
}

// MembershipStore is what the membership commands keep besides the
// membership service's own data: who talks to the bot and their menus, and
// the replies of /grant, /revoke and /invite per update (storage.Store).
type MembershipStore interface {
	userDirectory
	ReplyStore
}

// RegisterMembership registers /join for residents and /grant, /revoke,
// /invite and /members for admins, records who talks to the bot (names
// for leaderboards, @username for /grant), and keeps each member's and
// admin's private-chat command menu in line with their role. /grant,
// /revoke and /invite reply once per update (see replyOnce): handled
// again, they mint no second code and notify no one twice.
func RegisterMembership(rt *Router, m *membership.Service, users MembershipStore, o MembershipOptions) {
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	dir := newDirectory(rt, users, o.Logger)
	rt.Observe(dir.observe)
	h := &roleHandlers{m: m, dir: dir, replies: users, opts: o}

	// Members and admins have no use for /join (an admin is told so, a
	// member only uses it to change branch), so only residents see it.
	rt.Command(Command{Name: "join", Description: "党员凭邀请码登记：/join 邀请码", HideFrom: communitybot.RoleMember, Handle: h.join})
	rt.Command(Command{Name: "grant", Description: "授予身份：/grant 用户 member 支部 或 /grant 用户 admin", Role: communitybot.RoleAdmin, Handle: h.once(h.grant)})
	rt.Command(Command{Name: "revoke", Description: "撤销身份：/revoke 用户", Role: communitybot.RoleAdmin, Handle: h.once(h.revoke)})
	rt.Command(Command{Name: "invite", Description: "生成一次性党员邀请码：/invite 支部名称", Role: communitybot.RoleAdmin, Handle: h.once(h.invite)})
	rt.Command(Command{Name: "members", Description: "查看党员和管理员名单", Role: communitybot.RoleAdmin, Handle: h.members})
	rt.Callback("inv", communitybot.RoleAdmin, h.cancelInvite) // inv:x:<code>
}

type roleHandlers struct {
	m       *membership.Service
	dir     *directory
	replies ReplyStore
	opts    MembershipOptions
}

// once makes a command that changes something reply once per update.
func (h *roleHandlers) once(change func(ctx context.Context, r *Request) (communitybot.Reply, error)) HandlerFunc {
	return func(ctx context.Context, r *Request) error {
		return replyOnce(ctx, h.replies, r, func(ctx context.Context) (communitybot.Reply, error) { return change(ctx, r) })
	}
}

// privateOnly refuses commands that carry secrets (invite codes) in
// groups, where everyone would read them.
func privateOnly(r *Request, what string) error {
	if r.ChatType != "private" {
		return communitybot.Errorf(communitybot.ErrInvalid, "为保护邀请码，请在与我的私聊中%s。", what)
	}
	return nil
}

func (h *roleHandlers) join(ctx context.Context, r *Request) error {
	if err := privateOnly(r, "发送 /join 邀请码"); err != nil {
		return err
	}
	acct, prev, err := h.m.Join(ctx, r.UserID, r.Args)
	if err != nil {
		return err
	}
	if err := h.dir.setMenu(ctx, r.sender, r.UserID, acct.Role); err != nil {
		return fmt.Errorf("menu after join: %w", err) // the role is set; the observer retries the menu
	}
	var b strings.Builder
	if prev.Branch != "" && prev.Branch != acct.Branch {
		fmt.Fprintf(&b, "✅ 登记成功！您已从「%s」转入「%s」。您的个人积分和连续学习天数都保留；今后获得的积分计入「%s」的支部排行。",
			html.EscapeString(prev.Branch), html.EscapeString(acct.Branch), html.EscapeString(acct.Branch))
	} else {
		fmt.Fprintf(&b, "🎉 欢迎您！您已登记为「%s」的党员。", html.EscapeString(acct.Branch))
	}
	b.WriteString("\n\n")
	b.WriteString(h.memberIntro())
	return r.Reply(ctx, communitybot.Reply{Text: b.String()})
}

func (h *roleHandlers) memberIntro() string {
	when := "每天"
	if h.opts.StudyTime != "" {
		when = "每天 " + h.opts.StudyTime
	}
	return when + " 我会给您推送“每日学习”：一段学习内容和一道选择题，阅读和答对都能获得积分，连续学习还能积累天数。\n" +
		"/study 现在就开始今天的学习\n/rank 积分排行　/branchrank 支部排行　/mystats 我的学习\n" +
		"命令菜单已经更新，发送 /help 可以查看全部命令。"
}

// target finds the user a command is about: the sender of the replied-to
// message, or the first argument (a user id or @username). It returns the
// remaining arguments.
func (h *roleHandlers) target(ctx context.Context, r *Request, usage string) (communitybot.User, []string, error) {
	fields := strings.Fields(r.Args)
	if r.ReplyTo != nil && r.ReplyTo.FromBot {
		return communitybot.User{}, nil, communitybot.Errorf(communitybot.ErrInvalid, "这是机器人自己的消息，请回复要操作的那位用户的消息。")
	}
	if r.ReplyTo != nil && r.ReplyTo.UserID != 0 && (len(fields) == 0 || !looksLikeUser(fields[0])) {
		return communitybot.User{ID: r.ReplyTo.UserID, Username: r.ReplyTo.Username, FirstName: r.ReplyTo.FirstName}, fields, nil
	}
	if len(fields) == 0 {
		return communitybot.User{}, nil, communitybot.Errorf(communitybot.ErrInvalid, "%s", usage)
	}
	u, err := h.m.ResolveUser(ctx, fields[0])
	if err != nil {
		return u, nil, err
	}
	return u, fields[1:], nil
}

func looksLikeUser(s string) bool {
	if strings.HasPrefix(s, "@") {
		return true
	}
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}

// who shows a user to an admin: name, @username and id.
func who(u communitybot.User) string {
	s := html.EscapeString(u.DisplayName())
	if u.Username != "" && !strings.HasPrefix(u.DisplayName(), "@") {
		s += "（@" + html.EscapeString(u.Username) + "）"
	}
	return fmt.Sprintf("%s [ID %d]", s, u.ID)
}

const grantUsage = "用法：\n/grant 用户ID或@用户名 member 支部名称 — 登记为党员\n/grant 用户ID或@用户名 admin — 设为管理员\n也可以回复对方的消息，发送 /grant member 支部名称。"

func (h *roleHandlers) grant(ctx context.Context, r *Request) (communitybot.Reply, error) {
	u, rest, err := h.target(ctx, r, grantUsage)
	if err != nil {
		return communitybot.Reply{}, err
	}
	if len(rest) == 0 {
		return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrInvalid, "%s", grantUsage)
	}
	role, err := communitybot.ParseRole(rest[0])
	if err != nil {
		return communitybot.Reply{}, err
	}
	acct, prev, err := h.m.Grant(ctx, r.UserID, u.ID, role, strings.Join(rest[1:], " "))
	if err != nil {
		return communitybot.Reply{}, err
	}
	desc := acct.Role.Label()
	if acct.Branch != "" {
		desc = "「" + acct.Branch + "」的" + desc
	}
	detail := "设为" + desc
	if prev.Role != communitybot.RoleResident {
		detail += "（原为" + prev.Role.Label() + "）"
	}
	if err := h.dir.setMenu(ctx, r.sender, u.ID, acct.Role); err != nil {
		return communitybot.Reply{}, fmt.Errorf("menu after grant: %w", err) // handled again: granted and recorded then
	}
	h.dir.rt.record(ctx, r, "grant", userRef(u), detail)
	desc = html.EscapeString(desc)
	msg := fmt.Sprintf("✅ 已将 %s 设为%s。", who(u), desc)
	if prev.Role != communitybot.RoleResident {
		msg += fmt.Sprintf("（原为%s）", prev.Role.Label())
	}
	notice := "您好！管理员已将您设为" + desc + "。"
	if acct.Role == communitybot.RoleMember || prev.Role == communitybot.RoleResident {
		notice += "\n\n" + h.memberIntro()
	} else {
		notice += "发送 /help 可以查看管理员命令。"
	}
	if _, err := r.sender.Send(ctx, u.ID, communitybot.Reply{Text: notice}, SendOptions{}); err != nil {
		msg += "\n（暂时无法通知对方，可能对方还没有和我私聊过；对方给我发消息后即可使用新身份。）"
	}
	return communitybot.Reply{Text: msg}, nil
}

func (h *roleHandlers) revoke(ctx context.Context, r *Request) (communitybot.Reply, error) {
	u, _, err := h.target(ctx, r, "用法：/revoke 用户ID或@用户名，或者回复对方的消息发送 /revoke。")
	if err != nil {
		return communitybot.Reply{}, err
	}
	prev, err := h.m.Revoke(ctx, r.UserID, u.ID)
	if err != nil {
		return communitybot.Reply{}, err
	}
	// Recorded at once: handled again, Revoke finds a resident and refuses.
	h.dir.rt.record(ctx, r, "revoke", userRef(u), "撤销"+prev.Role.Label()+"身份")
	if err := h.dir.setMenu(ctx, r.sender, u.ID, communitybot.RoleResident); err != nil {
		return communitybot.Reply{}, fmt.Errorf("menu after revoke: %w", err)
	}
	_, _ = r.sender.Send(ctx, u.ID, communitybot.Reply{Text: "您好！您在本机器人中的" + prev.Role.Label() + "身份已由管理员撤销，每日学习推送也已停止。如有疑问，请联系所在党支部。"}, SendOptions{})
	return communitybot.Reply{Text: fmt.Sprintf("✅ 已撤销 %s 的%s身份，并停止其每日学习推送。", who(u), prev.Role.Label())}, nil
}

func (h *roleHandlers) invite(ctx context.Context, r *Request) (communitybot.Reply, error) {
	if err := privateOnly(r, "生成邀请码"); err != nil {
		return communitybot.Reply{}, err
	}
	if strings.TrimSpace(r.Args) == "" {
		return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrInvalid, "用法：/invite 支部名称，例如 /invite 第一党支部。每个邀请码只能使用一次。")
	}
	inv, err := h.m.NewInvite(ctx, r.UserID, r.Args)
	if err != nil {
		return communitybot.Reply{}, err
	}
	code := membership.FormatCode(inv.Code)
	// The audit log names the code by its last group only: it is read by
	// every admin, and the code is a secret until it is used.
	h.dir.rt.record(ctx, r, "invite", inv.Branch, fmt.Sprintf("邀请码尾号 %s，%s 前有效", codeTail(inv.Code), inv.ExpiresAt.In(h.opts.Location).Format("1月2日 15:04")))
	text := fmt.Sprintf("🎫 「%s」的党员邀请码（只能使用一次，%s 前有效）：\n\n<code>%s</code>\n\n请把下面这行发给要登记的党员，对方在与我的私聊中发送即可：\n<code>/join %s</code>",
		html.EscapeString(inv.Branch), inv.ExpiresAt.In(h.opts.Location).Format("1月2日 15:04"), code, code)
	return communitybot.Reply{Text: text, Buttons: [][]communitybot.Button{{{Text: "作废此邀请码", Data: "inv:x:" + inv.Code}}}}, nil
}

func (h *roleHandlers) cancelInvite(ctx context.Context, r *Request) error {
	action, code, _ := strings.Cut(callbackArg(r.Data), ":")
	if action != "x" {
		return errStaleButton
	}
	if err := h.m.CancelInvite(ctx, code); err != nil {
		return err // includes a second press: the code is gone, nothing to record
	}
	h.dir.rt.record(ctx, r, "uninvite", "邀请码尾号 "+codeTail(code), "")
	_ = r.Toast(ctx, "邀请码已作废", false)
	return r.Edit(ctx, communitybot.Reply{Text: fmt.Sprintf("🚫 邀请码 <code>%s</code> 已作废，不能再使用。", html.EscapeString(membership.FormatCode(code)))})
}

func (h *roleHandlers) members(ctx context.Context, r *Request) error {
	accts, err := h.m.Roster(ctx)
	if err != nil {
		return err
	}
	if len(accts) == 0 {
		return r.Reply(ctx, communitybot.Reply{Text: "目前还没有登记的党员或管理员。用 /invite 支部名称 生成邀请码，或用 /grant 直接登记。"})
	}
	ids := make([]int64, len(accts))
	for i, a := range accts {
		ids[i] = a.UserID
	}
	users, err := h.m.Users(ctx, ids)
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "👥 <b>党员和管理员</b>（共 %d 人）", len(accts))
	branch := "\x00"
	for _, a := range accts {
		if a.Branch != branch {
			branch = a.Branch
			name := "未分配支部"
			if branch != "" {
				name = html.EscapeString(branch)
			}
			fmt.Fprintf(&b, "\n\n<b>%s</b>", name)
		}
		u := users[a.UserID]
		u.ID = a.UserID
		fmt.Fprintf(&b, "\n· %s", who(u))
		if a.Role == communitybot.RoleAdmin {
			b.WriteString(" · 管理员")
		}
	}
	return r.Reply(ctx, communitybot.Reply{Text: b.String()})
}

// codeTail is the last group of an invite code, enough to tell codes
// apart in the audit log without revealing them.
func codeTail(code string) string {
	if n := len(code); n > 4 {
		return code[n-4:]
	}
	return code
}
