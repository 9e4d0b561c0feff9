// Package membership decides who is a party member (党员) or an admin:
// admins grant and revoke roles, or hand out one-time invite codes that a
// resident redeems with /join. Members are subscribed to the daily study
// when they join and unsubscribed when their role is revoked.
//
// Every method takes the acting user's id and trusts nothing else from the
// caller: whether that user may act at all is the router's check (the
// commands need the admin role), what they may do to whom is checked here.
package membership

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/storage"
)

// Store is what membership needs from storage.
type Store interface {
	Account(ctx context.Context, userID int64) (communitybot.Account, error)
	Accounts(ctx context.Context, ids []int64) ([]communitybot.Account, error)
	// ChangeRole and JoinWithInvite return a *communitybot.RefusedError
	// when the rules refuse the change at the moment it is made.
	ChangeRole(ctx context.Context, c storage.RoleChange) (prev, acct communitybot.Account, err error)
	UsersWithRoles(ctx context.Context, roles ...communitybot.Role) ([]int64, error)
	Subscribe(ctx context.Context, chatID int64, t communitybot.Topic) (bool, error)
	Unsubscribe(ctx context.Context, chatID int64, t communitybot.Topic) (bool, error)

	CreateInvite(ctx context.Context, inv communitybot.Invite) error
	Invite(ctx context.Context, code string) (communitybot.Invite, error)
	JoinWithInvite(ctx context.Context, inv communitybot.Invite, userID int64, now time.Time) (prev communitybot.Account, err error)
	DeleteInvite(ctx context.Context, code string) (bool, error)
	JoinFailures(ctx context.Context, userID int64) (int64, error)
	AddJoinFailure(ctx context.Context, userID int64, window time.Duration) error

	UserByUsername(ctx context.Context, name string) (communitybot.User, error)
	Users(ctx context.Context, ids []int64) (map[int64]communitybot.User, error)
}

// Options tune a Service.
type Options struct {
	// InviteTTL is how long an invite code can be used; 7 days when zero.
	InviteTTL time.Duration
	// MaxJoinFailures is how many wrong codes a user may try per
	// JoinWindow before /join refuses; 10 per hour when zero.
	MaxJoinFailures int64
	JoinWindow      time.Duration
	// Now replaces the clock (tests).
	Now func() time.Time
}

// Service manages roles and invites.
type Service struct {
	store Store
	opts  Options
}

// New returns a Service on store.
func New(store Store, opts Options) *Service {
	if opts.InviteTTL <= 0 {
		opts.InviteTTL = 7 * 24 * time.Hour
	}
	if opts.MaxJoinFailures <= 0 {
		opts.MaxJoinFailures = 10
	}
	if opts.JoinWindow <= 0 {
		opts.JoinWindow = time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{store: store, opts: opts}
}

// InviteTTL returns how long new invite codes stay valid.
func (s *Service) InviteTTL() time.Duration { return s.opts.InviteTTL }

// Invite codes are 12 characters from an alphabet without look-alikes
// (no 0/O, 1/I/L), about 59 bits from crypto/rand: far beyond guessing,
// even more so with the per-user limit on wrong codes.
const (
	codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
	codeLen      = 12
)

func newCode() (string, error) {
	b := make([]byte, codeLen)
	max := big.NewInt(int64(len(codeAlphabet)))
	for i := range b {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", err
		}
		b[i] = codeAlphabet[n.Int64()]
	}
	return string(b), nil
}

// FormatCode shows a code in groups of four, easier to read and type.
func FormatCode(code string) string {
	if len(code) != codeLen {
		return code
	}
	return code[:4] + "-" + code[4:8] + "-" + code[8:]
}

// NormalizeCode turns what a user typed into the stored form: full-width
// letters folded, lower case raised, separators removed. It reports false
// when the result cannot be a code.
func NormalizeCode(s string) (string, bool) {
	var b strings.Builder
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII from Chinese input methods
			r -= 0xFEE0
		}
		switch {
		case r == '-' || r == ' ' || r == '\u3000' || r == '－' || r == '—':
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		}
		b.WriteRune(r)
	}
	code := b.String()
	if len(code) != codeLen {
		return code, false
	}
	for _, r := range code {
		if !strings.ContainsRune(codeAlphabet, r) {
			return code, false
		}
	}
	return code, true
}

// NewInvite creates a one-time invite to branch, valid for InviteTTL.
func (s *Service) NewInvite(ctx context.Context, by int64, branch string) (communitybot.Invite, error) {
	branch, err := communitybot.ParseBranch(branch)
	if err != nil {
		return communitybot.Invite{}, err
	}
	now := s.opts.Now()
	for range 3 { // a collision is astronomically unlikely; retry anyway
		code, err := newCode()
		if err != nil {
			return communitybot.Invite{}, fmt.Errorf("invite code: %w", err)
		}
		inv := communitybot.Invite{Code: code, Branch: branch, CreatedBy: by, CreatedAt: now, ExpiresAt: now.Add(s.opts.InviteTTL)}
		err = s.store.CreateInvite(ctx, inv)
		if err == nil {
			return inv, nil
		}
		if !errors.Is(err, communitybot.ErrConflict) {
			return communitybot.Invite{}, err
		}
	}
	return communitybot.Invite{}, errors.New("invite code: three collisions in a row")
}

// CancelInvite withdraws an unused invite.
func (s *Service) CancelInvite(ctx context.Context, code string) error {
	code, ok := NormalizeCode(code)
	if !ok {
		return communitybot.Errorf(communitybot.ErrInvalid, "邀请码格式不对。")
	}
	done, err := s.store.DeleteInvite(ctx, code)
	if err != nil {
		return err
	}
	if !done {
		return communitybot.Errorf(communitybot.ErrConflict, "这个邀请码已经被使用或已失效，无需作废。")
	}
	return nil
}

// Join redeems an invite code: the user becomes a member of the code's
// branch and is subscribed to the daily study. It returns the new account
// and the one before. A member of another branch moves to the code's
// branch (an admin minted the code for that branch and handed it to them:
// the way a member changes branch without an admin's /grant). An admin
// needs no code: they are told so and how to set a branch with /grant, and
// the code stays unused, as it does for a member of the same branch. A
// wrong, expired, used or void code changes nothing and counts against the
// user's limit of wrong codes. A used code never grants again, also not to
// the user who used it (revoked since, or moved by an admin), and a code
// grants only while the admin who made it is still an admin: all of this
// is decided in the one step that makes the member (storage.JoinWithInvite).
func (s *Service) Join(ctx context.Context, userID int64, typed string) (acct, prev communitybot.Account, err error) {
	if strings.TrimSpace(typed) == "" {
		return acct, prev, communitybot.Errorf(communitybot.ErrInvalid, "请在 /join 后面写上邀请码，例如：/join ABCD-EFGH-JKMN。邀请码请向所在党支部的管理员索取。")
	}
	failures, err := s.store.JoinFailures(ctx, userID)
	if err != nil {
		return acct, prev, err
	}
	if failures >= s.opts.MaxJoinFailures {
		return acct, prev, communitybot.Errorf(communitybot.ErrForbidden, "邀请码输错次数太多了，为了安全，请一小时后再试。")
	}
	fail := func(msg string) (communitybot.Account, communitybot.Account, error) {
		if err := s.store.AddJoinFailure(ctx, userID, s.opts.JoinWindow); err != nil {
			return acct, prev, err
		}
		return acct, prev, communitybot.Errorf(communitybot.ErrInvalid, "%s", msg)
	}
	const unknown = "邀请码无效，请核对后重新输入（字母不区分大小写，短横线可以省略）。如有疑问，请联系发给您邀请码的管理员。"
	code, ok := NormalizeCode(typed)
	if !ok {
		return fail(unknown)
	}
	inv, err := s.store.Invite(ctx, code)
	switch {
	case errors.Is(err, communitybot.ErrNotFound):
		return fail(unknown)
	case err != nil:
		return acct, prev, err
	}
	prev, err = s.store.JoinWithInvite(ctx, inv, userID, s.opts.Now())
	reason, refused := communitybot.Refusal(err)
	switch {
	case !refused && err != nil:
		return acct, prev, err
	case !refused:
	case reason == communitybot.RefusedUsedCode:
		return fail("这个邀请码已经被使用过了。每个邀请码只能使用一次，请向管理员重新索取。")
	case reason == communitybot.RefusedExpiredCode:
		return fail("这个邀请码已经过期了，请向管理员重新索取。")
	case reason == communitybot.RefusedVoidCode:
		return fail("这个邀请码已失效（发放它的管理员已不再担任管理员），请向所在党支部的管理员重新索取。")
	case reason == communitybot.RefusedIsAdmin:
		// An admin needs no code: keep it for the member it was meant for.
		// An admin who wants a branch sets it with /grant.
		if cur, err := s.store.Account(ctx, userID); err == nil && cur.Branch == inv.Branch {
			return acct, prev, communitybot.Errorf(communitybot.ErrConflict, "您已经是「%s」的管理员了，无需使用邀请码。这个邀请码没有被使用，仍可转给要登记的党员。", inv.Branch)
		}
		return acct, prev, communitybot.Errorf(communitybot.ErrConflict,
			"您已经是管理员，无需使用邀请码。这个邀请码没有被使用，仍可转给要登记的党员。\n如需把自己归入「%s」，请发送：/grant %d admin %s", inv.Branch, userID, inv.Branch)
	case reason == communitybot.RefusedSameBranch:
		// Keep the code for someone else rather than spend it on nothing.
		return acct, prev, communitybot.Errorf(communitybot.ErrConflict, "您已经是「%s」的党员了，无需重复登记。", inv.Branch)
	default: // RefusedUnknownCode: withdrawn or expired for good meanwhile
		return fail(unknown)
	}
	acct = communitybot.Account{UserID: userID, Role: communitybot.RoleMember, Branch: inv.Branch, GrantedBy: inv.CreatedBy, GrantedAt: s.opts.Now()}
	if _, err := s.store.Subscribe(ctx, userID, communitybot.TopicStudy); err != nil {
		return acct, prev, err
	}
	return acct, prev, nil
}

// refusalError turns a refused role change into what the admin is told.
func refusalError(err error) error {
	reason, ok := communitybot.Refusal(err)
	if !ok {
		return err
	}
	switch reason {
	case communitybot.RefusedNotAdmin:
		return &communitybot.Error{Kind: communitybot.ErrForbidden, Message: "抱歉，您已不是管理员（可能刚被其他管理员撤销），这项操作没有执行。", Err: err}
	case communitybot.RefusedSelf:
		return &communitybot.Error{Kind: communitybot.ErrForbidden, Message: "不能降低或撤销自己的权限，请让其他管理员操作。", Err: err}
	case communitybot.RefusedLastAdmin:
		return &communitybot.Error{Kind: communitybot.ErrConflict, Message: "这是最后一位管理员，撤销后就没有人能管理了，操作没有执行。请先用 /grant 设立另一位管理员。", Err: err}
	case communitybot.RefusedNoRole:
		return &communitybot.Error{Kind: communitybot.ErrConflict, Message: "这位用户目前没有党员或管理员身份，无需撤销。", Err: err}
	}
	return err
}

// Grant gives target a role: a member needs a branch; an admin keeps the
// branch they had unless one is given. by must be an admin when the change
// is made, admins cannot lower their own role, and the last admin keeps
// theirs (storage.ChangeRole checks all three in the step that makes the
// change). A new member is subscribed to the daily study.
func (s *Service) Grant(ctx context.Context, by, target int64, role communitybot.Role, branch string) (acct, prev communitybot.Account, err error) {
	if target <= 0 {
		return acct, prev, communitybot.Errorf(communitybot.ErrInvalid, "请指定一位用户。")
	}
	if communitybot.ChannelOf(target) == communitybot.ChannelWeb {
		// A web visitor's id is no Telegram account: a role there would
		// subscribe it to a study push no channel can deliver.
		return acct, prev, communitybot.Errorf(communitybot.ErrInvalid, "这是网页版访客的编号。网页版访客没有 Telegram 账号，不能授予党员或管理员身份。")
	}
	if role != communitybot.RoleMember && role != communitybot.RoleAdmin {
		return acct, prev, communitybot.Errorf(communitybot.ErrInvalid, "只能授予 member（党员）或 admin（管理员）身份；撤销身份请用 /revoke。")
	}
	if target == by && role != communitybot.RoleAdmin {
		return acct, prev, communitybot.Errorf(communitybot.ErrForbidden, "不能降低自己的权限，请让其他管理员操作。")
	}
	keep := branch == "" && role != communitybot.RoleMember
	if !keep {
		if branch, err = communitybot.ParseBranch(branch); err != nil {
			return acct, prev, err
		}
	}
	prev, acct, err = s.store.ChangeRole(ctx, storage.RoleChange{Actor: by, Target: target, Role: role, Branch: branch, KeepBranch: keep, At: s.opts.Now()})
	if err != nil {
		return acct, prev, refusalError(err)
	}
	if !prev.Role.Allows(communitybot.RoleMember) {
		if _, err := s.store.Subscribe(ctx, target, communitybot.TopicStudy); err != nil {
			return acct, prev, err
		}
	}
	return acct, prev, nil
}

// Revoke makes target a resident again and ends their daily study
// subscription. As for Grant, by must be an admin at the moment of the
// change, admins cannot revoke themselves and the last admin stays: two
// admins revoking each other at once leave exactly one.
func (s *Service) Revoke(ctx context.Context, by, target int64) (prev communitybot.Account, err error) {
	if target == by {
		return prev, communitybot.Errorf(communitybot.ErrForbidden, "不能撤销自己的身份，请让其他管理员操作。")
	}
	prev, _, err = s.store.ChangeRole(ctx, storage.RoleChange{Actor: by, Target: target, Role: communitybot.RoleResident, At: s.opts.Now()})
	if err != nil {
		return prev, refusalError(err)
	}
	if _, err := s.store.Unsubscribe(ctx, target, communitybot.TopicStudy); err != nil {
		return prev, err
	}
	return prev, nil
}

// ResolveUser turns "123456789" or "@username" into a user. A username
// resolves only if its owner has talked to the bot (Telegram gives bots no
// lookup by name).
func (s *Service) ResolveUser(ctx context.Context, ref string) (communitybot.User, error) {
	ref = strings.TrimSpace(ref)
	if name, ok := strings.CutPrefix(ref, "@"); ok && name != "" {
		u, err := s.store.UserByUsername(ctx, name)
		if errors.Is(err, communitybot.ErrNotFound) {
			return u, communitybot.Errorf(communitybot.ErrNotFound, "还不认识 @%s：请对方先给我发一条消息，或者改用对方的用户 ID，或回复对方的消息再发送命令。", name)
		}
		return u, err
	}
	id, err := strconv.ParseInt(ref, 10, 64)
	if err != nil || id <= 0 {
		return communitybot.User{}, communitybot.Errorf(communitybot.ErrInvalid, "请写对方的用户 ID（数字）或 @用户名，或者回复对方的消息再发送命令。")
	}
	users, err := s.store.Users(ctx, []int64{id})
	if err != nil {
		return communitybot.User{ID: id}, nil // the id alone is enough to act on
	}
	return users[id], nil
}

// Users returns what is known of the given users (names for display).
func (s *Service) Users(ctx context.Context, ids []int64) (map[int64]communitybot.User, error) {
	return s.store.Users(ctx, ids)
}

// Roster lists admins and members, by branch (no branch last), admins
// first within a branch, then by user id.
func (s *Service) Roster(ctx context.Context) ([]communitybot.Account, error) {
	ids, err := s.store.UsersWithRoles(ctx, communitybot.RoleAdmin, communitybot.RoleMember)
	if err != nil {
		return nil, err
	}
	accts, err := s.store.Accounts(ctx, ids)
	if err != nil {
		return nil, err
	}
	sort.Slice(accts, func(i, j int) bool {
		a, b := accts[i], accts[j]
		if (a.Branch == "") != (b.Branch == "") {
			return b.Branch == ""
		}
		if a.Branch != b.Branch {
			return a.Branch < b.Branch
		}
		if a.Role != b.Role {
			return a.Role == communitybot.RoleAdmin
		}
		return a.UserID < b.UserID
	})
	return accts, nil
}
