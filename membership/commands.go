package membership

import (
	"context"
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"

	"github.com/zhangmiao/communitybot"
)

// Poster sends a message to a user's chat and returns its id (the bot's
// Sender). An error means the user was not told.
type Poster interface {
	Post(ctx context.Context, chatID int64, r communitybot.Reply) (messageID int, err error)
}

// Menus shows a user the commands of their role, where the channel has a
// command menu (Telegram's, package bot). An error fails the command
// that changed the role; the role is changed all the same.
type Menus interface {
	SetRoleMenu(ctx context.Context, userID int64, role communitybot.Role) error
}

// Auditor records admin actions (staff.Service). Record must not fail the
// action it records: a lost entry is logged by the implementation.
type Auditor interface {
	Record(ctx context.Context, e communitybot.AuditEntry)
}

// CommandOptions configure Commands. Every dependency may be nil: no
// notice (the admin is told the user could not be told), no menu, no
// audit entry.
type CommandOptions struct {
	// Location is where invite expiry times are shown; UTC when nil.
	Location *time.Location
	// StudyTime is the daily study push time shown to new members
	// ("08:00"); empty leaves it out.
	StudyTime string
	Notify    Poster
	Menus     Menus
	Audit     Auditor
}

// InvitePrefix is the callback data prefix of an invite's button
// ("inv:x:<code>": withdraw the code).
const InvitePrefix = "inv"

// Commands are the membership commands as residents and admins use them:
// /join, /grant, /revoke, /invite (and its button), /members. They take
// plain inputs (who asks, where, what they typed) and return the reply
// with its wording, or an error carrying a user-safe message; they know no
// channel. Whether the caller may use an admin command at all is the
// channel's check (the command needs the admin role); what they may do to
// whom is checked here.
type Commands struct {
	svc  *Service
	opts CommandOptions
}

// NewCommands returns the commands on svc.
func NewCommands(svc *Service, o CommandOptions) *Commands {
	if o.Location == nil {
		o.Location = time.UTC
	}
	return &Commands{svc: svc, opts: o}
}

// Service returns the service the commands act on.
func (c *Commands) Service() *Service { return c.svc }

// RepliedTo is the message a command replied to, where the channel has
// replies (Telegram): an admin points at a user by replying to their
// message. Bot marks the bot's own message; User.ID is 0 when the sender
// is unknown.
type RepliedTo struct {
	User communitybot.User
	Bot  bool
}

func (c *Commands) audit(ctx context.Context, who communitybot.Caller, action, target, detail string) {
	if c.opts.Audit != nil {
		c.opts.Audit.Record(ctx, who.Audit(action, target, detail))
	}
}

func (c *Commands) setMenu(ctx context.Context, userID int64, role communitybot.Role) error {
	if c.opts.Menus == nil {
		return nil
	}
	return c.opts.Menus.SetRoleMenu(ctx, userID, role)
}

// tell sends a notice to a user; it reports whether it was delivered.
func (c *Commands) tell(ctx context.Context, userID int64, text string) bool {
	if c.opts.Notify == nil {
		return false
	}
	_, err := c.opts.Notify.Post(ctx, userID, communitybot.Reply{Text: text})
	return err == nil
}

// privateOnly refuses commands that carry secrets (invite codes) in
// groups, where everyone would read them.
func privateOnly(who communitybot.Caller, what string) error {
	if !who.Private() {
		return communitybot.Errorf(communitybot.ErrInvalid, "为保护邀请码，请在与我的私聊中%s。", what)
	}
	return nil
}

// Join redeems an invite code (/join <code>) for the caller.
func (c *Commands) Join(ctx context.Context, who communitybot.Caller, args string) (communitybot.Reply, error) {
	if err := privateOnly(who, "发送 /join 邀请码"); err != nil {
		return communitybot.Reply{}, err
	}
	acct, prev, err := c.svc.Join(ctx, who.UserID, args)
	if err != nil {
		return communitybot.Reply{}, err
	}
	if err := c.setMenu(ctx, who.UserID, acct.Role); err != nil {
		return communitybot.Reply{}, fmt.Errorf("menu after join: %w", err) // the role is set; the channel retries the menu
	}
	var b strings.Builder
	if prev.Branch != "" && prev.Branch != acct.Branch {
		fmt.Fprintf(&b, "✅ 登记成功！您已从「%s」转入「%s」。您的个人积分和连续学习天数都保留；今后获得的积分计入「%s」的支部排行。",
			html.EscapeString(prev.Branch), html.EscapeString(acct.Branch), html.EscapeString(acct.Branch))
	} else {
		fmt.Fprintf(&b, "🎉 欢迎您！您已登记为「%s」的党员。", html.EscapeString(acct.Branch))
	}
	b.WriteString("\n\n")
	b.WriteString(c.memberIntro())
	return communitybot.Reply{Text: b.String()}, nil
}

func (c *Commands) memberIntro() string {
	when := "每天"
	if c.opts.StudyTime != "" {
		when = "每天 " + c.opts.StudyTime
	}
	return when + " 我会给您推送“每日学习”：一段学习内容和一道选择题，阅读和答对都能获得积分，连续学习还能积累天数。\n" +
		"/study 现在就开始今天的学习\n/rank 积分排行　/branchrank 支部排行　/mystats 我的学习\n" +
		"命令菜单已经更新，发送 /help 可以查看全部命令。"
}

// target finds the user a command is about: the sender of the replied-to
// message, or the first argument (a user id or @username). It returns the
// remaining arguments.
func (c *Commands) target(ctx context.Context, args string, to *RepliedTo, usage string) (communitybot.User, []string, error) {
	fields := strings.Fields(args)
	if to != nil && to.Bot {
		return communitybot.User{}, nil, communitybot.Errorf(communitybot.ErrInvalid, "这是机器人自己的消息，请回复要操作的那位用户的消息。")
	}
	if to != nil && to.User.ID != 0 && (len(fields) == 0 || !looksLikeUser(fields[0])) {
		return to.User, fields, nil
	}
	if len(fields) == 0 {
		return communitybot.User{}, nil, communitybot.Errorf(communitybot.ErrInvalid, "%s", usage)
	}
	u, err := c.svc.ResolveUser(ctx, fields[0])
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

// userRef names a user in an audit entry: display name and id, so the
// entry stays readable after the user renames themselves.
func userRef(u communitybot.User) string {
	return fmt.Sprintf("%s [ID %d]", u.DisplayName(), u.ID)
}

// GrantUsage is /grant's usage, shown for a /grant without a role.
const GrantUsage = "用法：\n/grant 用户ID或@用户名 member 支部名称 — 登记为党员\n/grant 用户ID或@用户名 admin — 设为管理员\n也可以回复对方的消息，发送 /grant member 支部名称。"

// Grant gives a user a role (/grant <user> member <branch>, /grant <user>
// admin; the user may instead be the sender of the message replied to),
// shows them the commands of their role and tells them.
func (c *Commands) Grant(ctx context.Context, by communitybot.Caller, args string, to *RepliedTo) (communitybot.Reply, error) {
	u, rest, err := c.target(ctx, args, to, GrantUsage)
	if err != nil {
		return communitybot.Reply{}, err
	}
	if len(rest) == 0 {
		return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrInvalid, "%s", GrantUsage)
	}
	role, err := communitybot.ParseRole(rest[0])
	if err != nil {
		return communitybot.Reply{}, err
	}
	acct, prev, err := c.svc.Grant(ctx, by.UserID, u.ID, role, strings.Join(rest[1:], " "))
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
	if err := c.setMenu(ctx, u.ID, acct.Role); err != nil {
		return communitybot.Reply{}, fmt.Errorf("menu after grant: %w", err) // handled again: granted and recorded then
	}
	c.audit(ctx, by, "grant", userRef(u), detail)
	desc = html.EscapeString(desc)
	msg := fmt.Sprintf("✅ 已将 %s 设为%s。", who(u), desc)
	if prev.Role != communitybot.RoleResident {
		msg += fmt.Sprintf("（原为%s）", prev.Role.Label())
	}
	notice := "您好！管理员已将您设为" + desc + "。"
	if acct.Role == communitybot.RoleMember || prev.Role == communitybot.RoleResident {
		notice += "\n\n" + c.memberIntro()
	} else {
		notice += "发送 /help 可以查看管理员命令。"
	}
	if !c.tell(ctx, u.ID, notice) {
		msg += "\n（暂时无法通知对方，可能对方还没有和我私聊过；对方给我发消息后即可使用新身份。）"
	}
	return communitybot.Reply{Text: msg}, nil
}

// Revoke makes a user a resident again (/revoke <user>, or in reply to
// their message) and tells them.
func (c *Commands) Revoke(ctx context.Context, by communitybot.Caller, args string, to *RepliedTo) (communitybot.Reply, error) {
	u, _, err := c.target(ctx, args, to, "用法：/revoke 用户ID或@用户名，或者回复对方的消息发送 /revoke。")
	if err != nil {
		return communitybot.Reply{}, err
	}
	prev, err := c.svc.Revoke(ctx, by.UserID, u.ID)
	if err != nil {
		return communitybot.Reply{}, err
	}
	// Recorded at once: handled again, Revoke finds a resident and refuses.
	c.audit(ctx, by, "revoke", userRef(u), "撤销"+prev.Role.Label()+"身份")
	if err := c.setMenu(ctx, u.ID, communitybot.RoleResident); err != nil {
		return communitybot.Reply{}, fmt.Errorf("menu after revoke: %w", err)
	}
	c.tell(ctx, u.ID, "您好！您在本机器人中的"+prev.Role.Label()+"身份已由管理员撤销，每日学习推送也已停止。如有疑问，请联系所在党支部。")
	return communitybot.Reply{Text: fmt.Sprintf("✅ 已撤销 %s 的%s身份，并停止其每日学习推送。", who(u), prev.Role.Label())}, nil
}

// Invite mints a one-time invite code for a branch (/invite <branch>),
// with a button to withdraw it.
func (c *Commands) Invite(ctx context.Context, by communitybot.Caller, args string) (communitybot.Reply, error) {
	if err := privateOnly(by, "生成邀请码"); err != nil {
		return communitybot.Reply{}, err
	}
	if strings.TrimSpace(args) == "" {
		return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrInvalid, "用法：/invite 支部名称，例如 /invite 第一党支部。每个邀请码只能使用一次。")
	}
	inv, err := c.svc.NewInvite(ctx, by.UserID, args)
	if err != nil {
		return communitybot.Reply{}, err
	}
	code := FormatCode(inv.Code)
	expires := inv.ExpiresAt.In(c.opts.Location).Format("1月2日 15:04")
	// The audit log names the code by its last group only: it is read by
	// every admin, and the code is a secret until it is used.
	c.audit(ctx, by, "invite", inv.Branch, fmt.Sprintf("邀请码尾号 %s，%s 前有效", codeTail(inv.Code), expires))
	text := fmt.Sprintf("🎫 「%s」的党员邀请码（只能使用一次，%s 前有效）：\n\n<code>%s</code>\n\n请把下面这行发给要登记的党员，对方在与我的私聊中发送即可：\n<code>/join %s</code>",
		html.EscapeString(inv.Branch), expires, code, code)
	return communitybot.Reply{Text: text, Buttons: [][]communitybot.Button{{{Text: "作废此邀请码", Data: InvitePrefix + ":x:" + inv.Code}}}}, nil
}

// errStaleButton answers button data that means nothing (forged, or from
// an old version).
var errStaleButton = communitybot.Errorf(communitybot.ErrInvalid, "这个按钮已失效，请发送 /start 重新打开菜单。")

// Press handles an invite's button: data is the whole callback data
// ("inv:x:<code>"), never trusted. It returns the invite message as it
// should now read and a short notice for the press.
func (c *Commands) Press(ctx context.Context, by communitybot.Caller, data string) (edit communitybot.Reply, notice string, err error) {
	prefix, rest, _ := strings.Cut(data, ":")
	action, code, _ := strings.Cut(rest, ":")
	if prefix != InvitePrefix || action != "x" {
		return communitybot.Reply{}, "", errStaleButton
	}
	if err := c.svc.CancelInvite(ctx, code); err != nil {
		return communitybot.Reply{}, "", err // includes a second press: the code is gone, nothing to record
	}
	c.audit(ctx, by, "uninvite", "邀请码尾号 "+codeTail(code), "")
	return communitybot.Reply{Text: fmt.Sprintf("🚫 邀请码 <code>%s</code> 已作废，不能再使用。", html.EscapeString(FormatCode(code)))}, "邀请码已作废", nil
}

// Members lists members and admins by branch (/members).
func (c *Commands) Members(ctx context.Context) (communitybot.Reply, error) {
	accts, err := c.svc.Roster(ctx)
	if err != nil {
		return communitybot.Reply{}, err
	}
	if len(accts) == 0 {
		return communitybot.Reply{Text: "目前还没有登记的党员或管理员。用 /invite 支部名称 生成邀请码，或用 /grant 直接登记。"}, nil
	}
	ids := make([]int64, len(accts))
	for i, a := range accts {
		ids[i] = a.UserID
	}
	users, err := c.svc.Users(ctx, ids)
	if err != nil {
		return communitybot.Reply{}, err
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
	return communitybot.Reply{Text: b.String()}, nil
}

// codeTail is the last group of an invite code, enough to tell codes
// apart in the audit log without revealing them.
func codeTail(code string) string {
	if n := len(code); n > 4 {
		return code[n-4:]
	}
	return code
}
