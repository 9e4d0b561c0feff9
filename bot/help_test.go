package bot_test

import (
	"strings"
	"testing"

	"github.com/zhangmiao/communitybot/bot/tgtest"
	"github.com/zhangmiao/communitybot/delivery"
)

// TestAdminHelpIsShortAndGrouped: an admin's /help names every command in
// a few grouped lines; the usage of each is behind /help 管理 and a
// button, for admins only. A resident's /help stays a short list of their
// own commands.
func TestAdminHelpIsShortAndGrouped(t *testing.T) {
	var engine *delivery.Engine
	e := newStaffEnv(t, withDelivery(&engine))
	admin := tgtest.PrivateChat(e.admin)

	short := e.adminSays("/help")
	lines := strings.Count(strings.TrimSpace(short.PlainText), "\n") + 1
	if lines > 16 {
		t.Errorf("admin /help is %d lines, want a short grouped list:\n%s", lines, short.PlainText)
	}
	mustContain(t, "admin /help", short.PlainText, "群发与提醒：/announce /schedule /jobs /cancel /broadcasts",
		"项目进展：/setstatus /projectnote /addproject /delproject", "居民问题：/tickets /answer /learn /unlearn /topics",
		"数据：/stats /audit", "居民命令：", "/projects", "/help 管理")
	if strings.Contains(short.PlainText, "—") {
		t.Errorf("admin /help carries the usage lines:\n%s", short.PlainText)
	}
	buttons := short.Buttons()
	if len(buttons) != 1 || buttons[0].CallbackData != "hp:admin" {
		t.Fatalf("admin /help buttons = %+v", buttons)
	}

	details := e.adminSays("/help 管理")
	mustContain(t, "/help 管理", details.PlainText, "管理命令用法", "群发与提醒", "/schedule — 定时提醒", "/setstatus — 更新项目状态")
	before := len(e.api.Sent(admin.ID))
	e.api.PressButton(admin, e.admin, short.Model, "hp:admin")
	msgs, err := e.api.WaitSent(ctxT(t), admin.ID, before+1)
	if err != nil {
		t.Fatal(err)
	}
	if msgs[before].PlainText != details.PlainText {
		t.Errorf("the button shows:\n%s\nwant what /help 管理 shows:\n%s", msgs[before].PlainText, details.PlainText)
	}

	u := resident()
	chat := tgtest.PrivateChat(u)
	for _, cmd := range []string{"/help", "/help 管理"} {
		r := e.ask(chat, u, cmd)
		mustContain(t, "resident "+cmd, r.PlainText, "使用帮助", "/projects — ")
		for _, no := range []string{"/announce", "/setstatus", "管理命令"} {
			if strings.Contains(r.PlainText, no) {
				t.Errorf("resident %s shows %s:\n%s", cmd, no, r.PlainText)
			}
		}
		if n := strings.Count(r.PlainText, "\n"); n > 20 {
			t.Errorf("resident %s is %d lines", cmd, n)
		}
	}
	r := e.ask(chat, u, "/help")
	e.api.PressButton(chat, u, r.Model, "hp:admin")
	mustContain(t, "resident presses hp:admin", e.ask(chat, u, "/start").PlainText, "社区助手")
	for _, m := range e.api.Sent(chat.ID) {
		if strings.Contains(m.PlainText, "管理命令用法") {
			t.Fatalf("a resident got the admin usage by pressing a forged button")
		}
	}
}
