package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
)

// TestAdminsRevokeEachOtherInOneBatch: two admins send /revoke for each
// other in the same getUpdates batch (their private chats are handled in
// parallel); exactly one admin is left, and the other is told why not.
func TestAdminsRevokeEachOtherInOneBatch(t *testing.T) {
	sh := newStudyHarness(t)
	ctx := context.Background()
	for round := range 3 {
		a := tgtest.User{ID: 960000 + nextUserID.Add(1), FirstName: "甲"}
		b := tgtest.User{ID: 960000 + nextUserID.Add(1), FirstName: "乙"}
		sh.makeAdmin(a)
		sh.makeAdmin(b)
		ca, cb := tgtest.PrivateChat(a), tgtest.PrivateChat(b)
		na, nb := len(sh.api.Sent(ca.ID)), len(sh.api.Sent(cb.ID))
		sh.api.SendText(ca, a, fmt.Sprintf("/revoke %d", b.ID))
		sh.api.SendText(cb, b, fmt.Sprintf("/revoke %d", a.ID))
		// Each admin's own answer: done, or refused; the other's revoke
		// may also send a notice to the same private chat.
		answer := func(chat tgtest.Chat, from int) string {
			var got string
			err := sh.api.WaitUntil(ctxT(t), func() bool {
				for _, m := range sh.api.Sent(chat.ID)[from:] {
					if containsAny(m.PlainText, "✅ 已撤销", "您已不是管理员", "仅限街道管理员") {
						got = m.PlainText
						return true
					}
				}
				return false
			})
			if err != nil {
				t.Fatalf("round %d: no answer to /revoke in chat %d: %v", round, chat.ID, err)
			}
			return got
		}
		replies := []string{answer(ca, na), answer(cb, nb)}
		left := 0
		for _, u := range []tgtest.User{a, b} {
			if acct, _ := sh.store.Account(ctx, u.ID); acct.Role == communitybot.RoleAdmin {
				left++
			}
		}
		if left != 1 {
			t.Fatalf("round %d: %d admins left; replies %q", round, left, replies)
		}
		refused := 0
		for _, r := range replies {
			// Refused by the router (the other revoke was done before this
			// one was read) or inside the role script (both read at once).
			if containsAny(r, "您已不是管理员", "仅限街道管理员") {
				refused++
			}
		}
		if refused != 1 {
			t.Fatalf("round %d: %d refusals, want 1: %q", round, refused, replies)
		}
	}
}

// TestRevokedMemberCannotRejoinWithOwnCode walks issue 10's first hole
// through the bot: /invite, /join, /revoke, /join with the same code.
func TestRevokedMemberCannotRejoinWithOwnCode(t *testing.T) {
	sh := newStudyHarness(t)
	admin := tgtest.User{ID: 960000 + nextUserID.Add(1), FirstName: "王主任"}
	sh.makeAdmin(admin)
	adminChat := tgtest.PrivateChat(admin)
	code := joinLine.FindStringSubmatch(sh.ask(adminChat, admin, "/invite 第一党支部").PlainText)[1]
	a := resident()
	mustContain(t, "first /join", sh.ask(tgtest.PrivateChat(a), a, "/join "+code).PlainText, "欢迎")
	mustContain(t, "/revoke", sh.ask(adminChat, admin, fmt.Sprintf("/revoke %d", a.ID)).PlainText, "已撤销")
	mustContain(t, "second /join", sh.ask(tgtest.PrivateChat(a), a, "/join "+code).PlainText, "已经被使用过了")
	if acct, _ := sh.store.Account(context.Background(), a.ID); acct.Role != communitybot.RoleResident {
		t.Fatalf("revoked member re-joined: %+v", acct)
	}
	members := sh.ask(adminChat, admin, "/members").PlainText
	if containsAny(members, fmt.Sprint(a.ID)) {
		t.Fatalf("/members lists the revoked user:\n%s", members)
	}
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
