package help_test

import (
	"strings"
	"testing"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/help"
)

var cmds = []help.Command{
	{Name: "start", Description: "开始使用"},
	{Name: "help", Description: "使用帮助"},
	{Name: "goals", Description: "活动目标"},
	{Name: "study", Description: "每日学习", Role: communitybot.RoleMember},
	{Name: "announce", Description: "发布公告：/announce <内容>", Role: communitybot.RoleAdmin},
	{Name: "newthing", Description: "新命令", Role: communitybot.RoleAdmin},
}

func base(list string) communitybot.Reply { return communitybot.Reply{Text: "帮助\n" + list} }

func TestReply(t *testing.T) {
	resident := help.Reply(communitybot.RoleResident, "", cmds[:3], base)
	if resident.Text != "帮助\n/start — 开始使用\n/help — 使用帮助\n/goals — 活动目标" {
		t.Errorf("resident help = %q", resident.Text)
	}
	admin := help.Reply(communitybot.RoleAdmin, "", cmds, base)
	for _, want := range []string{"<b>居民命令</b>：/goals", "<b>党员学习</b>：/study", "群发与提醒：/announce", "其他：/newthing"} {
		if !strings.Contains(admin.Text, want) {
			t.Errorf("admin help %q lacks %q", admin.Text, want)
		}
	}
	if len(admin.Buttons) != 1 || admin.Buttons[0][0].Data != help.DetailsData {
		t.Errorf("admin help buttons = %+v", admin.Buttons)
	}
	details := help.Reply(communitybot.RoleAdmin, " 管理 ", cmds, base)
	if !strings.Contains(details.Text, "/announce — 发布公告：/announce &lt;内容&gt;") || strings.Contains(details.Text, "/goals") {
		t.Errorf("admin details = %q", details.Text)
	}
}
