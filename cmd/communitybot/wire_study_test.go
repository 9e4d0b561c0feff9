package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot/bot/tgtest"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

// TestRunStudyWiring runs the program with ADMIN_IDS and checks that roles
// and the daily study are wired: the bootstrap admin invites, a resident
// joins and studies.
func TestRunStudyWiring(t *testing.T) {
	api := tgtest.New()
	defer api.Close()
	prefix := storagetest.Reserve(t)
	p := watchPrograms(t, 60*time.Second)
	bot := p.start("bot", nil, nil,
		"TELEGRAM_BOT_TOKEN", api.Token(), "TELEGRAM_API_URL", api.URL(),
		"REDIS_URL", storagetest.URL(), "REDIS_PREFIX", prefix, "ADMIN_IDS", "88", "STUDY_TIME", "07:45")
	ask := func(u tgtest.User, text string) string {
		t.Helper()
		before := len(api.Sent(u.ID))
		api.SendText(tgtest.PrivateChat(u), u, text)
		msgs, err := api.WaitSent(p.ctx, u.ID, before+1)
		p.check(fmt.Sprintf("a reply to %q", text), err)
		return msgs[before].PlainText
	}
	admin, member := tgtest.User{ID: 88, FirstName: "管理员"}, tgtest.User{ID: 89, FirstName: "党员"}
	// With every command wired, the admin's /help is still a few grouped
	// lines.
	if help := ask(admin, "/help"); strings.Count(help, "\n") > 16 || !strings.Contains(help, "/help 管理") || !strings.Contains(help, "学习题库：") {
		t.Errorf("admin /help, with everything wired:\n%s", help)
	}
	inv := ask(admin, "/invite 第一党支部")
	code := regexp.MustCompile(`/join (\S+)`).FindStringSubmatch(inv)
	if code == nil {
		t.Fatalf("/invite by the ADMIN_IDS admin: %s", inv)
	}
	if got := ask(member, "/join "+code[1]); !strings.Contains(got, "07:45") {
		t.Fatalf("/join: %s", got)
	}
	if got := ask(member, "/study"); !strings.Contains(got, "每日学习") {
		t.Fatalf("/study: %s", got)
	}
	if err := bot.shutdown(); err != nil {
		t.Fatalf("run: %v", err)
	}
}
