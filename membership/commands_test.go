package membership_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/membership"
	"github.com/zhangmiao/communitybot/storage"
)

// channel stands in for whatever carries the commands: it records the
// notices, menus and audit entries the commands ask for.
type channel struct {
	mu      sync.Mutex
	notices map[int64][]string
	menus   map[int64]communitybot.Role
	audit   []communitybot.AuditEntry
	fail    bool // notices cannot be delivered
}

func newChannel() *channel {
	return &channel{notices: map[int64][]string{}, menus: map[int64]communitybot.Role{}}
}

func (c *channel) Post(_ context.Context, chatID int64, r communitybot.Reply) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail {
		return 0, errors.New("chat not found")
	}
	c.notices[chatID] = append(c.notices[chatID], r.Text)
	return len(c.notices[chatID]), nil
}

func (c *channel) SetRoleMenu(_ context.Context, userID int64, role communitybot.Role) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.menus[userID] = role
	return nil
}

func (c *channel) Record(_ context.Context, e communitybot.AuditEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.audit = append(c.audit, e)
}

func commands(t *testing.T) (*membership.Commands, *channel, communitybot.Caller, *storage.Store) {
	t.Helper()
	svc, store, _ := setup(t)
	admin := communitybot.Caller{Actor: communitybot.Actor{UserID: 4242, Name: "王主任", Role: communitybot.RoleAdmin}, ChatID: 4242, Chat: communitybot.ChatPrivate}
	if err := store.EnsureAdmins(context.Background(), []int64{admin.UserID}); err != nil {
		t.Fatal(err)
	}
	ch := newChannel()
	return membership.NewCommands(svc, membership.CommandOptions{
		Location: time.UTC, StudyTime: "08:00", Notify: ch, Menus: ch, Audit: ch,
	}), ch, admin, store
}

// TestCommandsWithoutAChannel: the membership commands decide and word
// their answers from plain inputs; the channel only carries out what they
// ask (a notice, a menu, an audit entry).
func TestCommandsWithoutAChannel(t *testing.T) {
	ctx := context.Background()
	cmds, ch, admin, _ := commands(t)

	reply, err := cmds.Grant(ctx, admin, "5001 member 第一党支部", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(reply.Text, "已将") || !strings.Contains(reply.Text, "「第一党支部」的党员") {
		t.Errorf("grant reply = %q", reply.Text)
	}
	if ch.menus[5001] != communitybot.RoleMember {
		t.Errorf("menu of the new member = %q, want member", ch.menus[5001])
	}
	if n := ch.notices[5001]; len(n) != 1 || !strings.Contains(n[0], "每天 08:00") {
		t.Errorf("notice to the new member = %q", n)
	}
	if len(ch.audit) != 1 || ch.audit[0].Action != "grant" || ch.audit[0].Name != "王主任" || ch.audit[0].UserID != admin.UserID {
		t.Errorf("audit = %+v", ch.audit)
	}

	// A grant the user cannot be told of says so.
	ch.fail = true
	reply, err = cmds.Grant(ctx, admin, "5002 admin", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(reply.Text, "暂时无法通知对方") {
		t.Errorf("grant without a notice = %q", reply.Text)
	}

	// In reply to a user's message the target is that user; to the bot's
	// own message, nobody.
	ch.fail = false
	reply, err = cmds.Revoke(ctx, admin, "", &membership.RepliedTo{User: communitybot.User{ID: 5001, FirstName: "李四"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(reply.Text, "已撤销 李四 [ID 5001] 的党员身份") || ch.menus[5001] != communitybot.RoleResident {
		t.Errorf("revoke = %q, menu %q", reply.Text, ch.menus[5001])
	}
	if _, err := cmds.Revoke(ctx, admin, "", &membership.RepliedTo{Bot: true}); !strings.Contains(userMessage(err), "机器人自己的消息") {
		t.Errorf("revoke in reply to the bot: %v", err)
	}

	// Invite codes are secrets: not in a group.
	group := admin
	group.ChatID, group.Chat = -100123, communitybot.ChatGroup
	if _, err := cmds.Invite(ctx, group, "第一党支部"); !errors.Is(err, communitybot.ErrInvalid) {
		t.Errorf("invite in a group: %v", err)
	}
	inv, err := cmds.Invite(ctx, admin, "第一党支部")
	if err != nil {
		t.Fatal(err)
	}
	data := inv.Buttons[0][0].Data
	if _, _, err := cmds.Press(ctx, admin, "inv:y:"+strings.TrimPrefix(data, "inv:x:")); !errors.Is(err, communitybot.ErrInvalid) {
		t.Errorf("forged invite button: %v", err)
	}
	edit, notice, err := cmds.Press(ctx, admin, data)
	if err != nil || notice != "邀请码已作废" || !strings.Contains(edit.Text, "已作废") {
		t.Errorf("withdrawing: %q %q %v", edit.Text, notice, err)
	}
	if _, _, err := cmds.Press(ctx, admin, data); !errors.Is(err, communitybot.ErrConflict) {
		t.Errorf("second press: %v", err)
	}
}

// TestNoRoleForAWebVisitor: a web visitor's id is no Telegram account; a
// role for it would subscribe it to a study push nothing can deliver.
// Before the fix /grant accepted 2^52+n like any user id.
func TestNoRoleForAWebVisitor(t *testing.T) {
	ctx := context.Background()
	cmds, ch, admin, store := commands(t)
	web := communitybot.WebID(7)
	for _, args := range []string{"4503599627370503 member 第一党支部", "4503599627370503 admin"} {
		_, err := cmds.Grant(ctx, admin, args, nil)
		if !errors.Is(err, communitybot.ErrInvalid) || !strings.Contains(userMessage(err), "网页版访客") {
			t.Errorf("/grant %s: %v", args, err)
		}
	}
	if role, err := store.Account(ctx, web); err != nil || role.Role != communitybot.RoleResident {
		t.Errorf("web visitor's account = %+v, %v", role, err)
	}
	if len(ch.menus) != 0 || len(ch.notices) != 0 || len(ch.audit) != 0 {
		t.Errorf("a refused grant acted: menus %v notices %v audit %v", ch.menus, ch.notices, ch.audit)
	}
}
