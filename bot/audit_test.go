package bot_test

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/bot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
	"github.com/zhangmiao/communitybot/content"
	"github.com/zhangmiao/communitybot/delivery"
	"github.com/zhangmiao/communitybot/study"
)

// withMembershipAndStudy registers roles and the daily study as
// cmd/communitybot does, with a content file to reload.
func withMembershipAndStudy() harnessOption {
	return func(h *harness) {
		kb, err := content.Default()
		if err != nil {
			h.t.Fatal(err)
		}
		svc, err := study.New(h.store, kb.Study, study.Options{Location: shanghai, Audit: h.audit(), Logger: testLogger(),
			Reload: func() ([]communitybot.StudyItem, error) { return kb.Study, nil }})
		if err != nil {
			h.t.Fatal(err)
		}
		registerMembership(h, "")
		bot.RegisterStudy(h.router, svc, h.store)
	}
}

// newFullEnv is the staff environment with every admin feature wired:
// broadcasts and jobs, roles and invites, the study bank.
func newFullEnv(t *testing.T, opts ...harnessOption) (*staffEnv, *delivery.Engine) {
	t.Helper()
	var engine *delivery.Engine
	e := newStaffEnv(t, append([]harnessOption{withDelivery(&engine), withMembershipAndStudy()}, opts...)...)
	return e, engine
}

const oneStudyItem = "/addstudy\n标题：审计测试\n内容：“五个张庙”是美丽张庙、和谐张庙、宜居张庙、智慧张庙、活力张庙。\n题目：下列哪一项属于“五个张庙”？\nA. 宜居张庙\nB. 文明张庙\n答案：A\n解析：宜居张庙是“五个张庙”之一。"

var studyIDRe = regexp.MustCompile(`编号 (add-\S+?)，`)

// TestEveryAdminActionIsAudited: every admin command that changes
// something writes who, what and on what to the audit log, once; reading
// commands (/members, /jobs, /studylist) write nothing.
func TestEveryAdminActionIsAudited(t *testing.T) {
	e, _ := newFullEnv(t)
	ctx := context.Background()
	chat := tgtest.PrivateChat(e.admin)
	if _, err := e.store.Subscribe(ctx, resident().ID, communitybot.TopicAnnouncements); err != nil {
		t.Fatal(err)
	}

	before := len(e.api.Sent(chat.ID))
	e.api.SendText(chat, e.admin, "/announce 周六上午社区体检")
	if _, err := e.api.WaitSent(ctxT(t), chat.ID, before+1); err != nil { // the engine's progress message
		t.Fatal(err)
	}
	mustContain(t, "/schedule", e.adminSays("/schedule 2h 下午三点开会").PlainText, "已安排提醒 #1")
	mustContain(t, "/cancel", e.adminSays("/cancel 1").PlainText, "已取消")
	member := resident()
	e.ask(tgtest.PrivateChat(member), member, "/start") // the bot learns their name
	uid := strconv.FormatInt(member.ID, 10)
	mustContain(t, "/grant", e.adminSays("/grant "+uid+" member 第一党支部").PlainText, "已将")
	mustContain(t, "/revoke", e.adminSays("/revoke "+uid).PlainText, "已撤销")
	inv := e.adminSays("/invite 第一党支部")
	code := strings.ReplaceAll(joinLine.FindStringSubmatch(inv.PlainText)[1], "-", "")
	if ans := e.pressed(chat, e.admin, inv, "inv:x:"+code); ans.ShowAlert {
		t.Fatalf("withdrawing the invite: %+v", ans)
	}
	added := e.adminSays(oneStudyItem)
	m := studyIDRe.FindStringSubmatch(added.PlainText)
	if m == nil {
		t.Fatalf("/addstudy: %s", added.PlainText)
	}
	mustContain(t, "/delstudy", e.adminSays("/delstudy "+m[1]).PlainText, "已从学习题库删除")
	mustContain(t, "/reloadstudy", e.adminSays("/reloadstudy").PlainText, "已重新加载")
	asker := resident()
	e.ask(tgtest.PrivateChat(asker), asker, "居委会几点上班")
	mustContain(t, "/answer", e.adminSays("/answer Q-0001 食堂今天有面条。").PlainText, "已转告")
	mustContain(t, "/learn", e.adminSays("/learn Q-0001 new 午饭吃什么").PlainText, "新建问答条目")
	mustContain(t, "/unlearn", e.adminSays("/unlearn Q-0001").PlainText, "已从问答库移出")
	mustContain(t, "/addproject", e.adminSays("/addproject 口袋公园改造 | 在泗塘路口建设一处口袋公园").PlainText, "已新增项目 8")
	mustContain(t, "/delproject", e.adminSays("/delproject 8").PlainText, "已删除项目 8")
	e.adminSays("/members")
	e.adminSays("/jobs")
	e.adminSays("/studylist")

	want := []string{"announce", "schedule", "cancel", "grant", "revoke", "invite", "uninvite", "addstudy", "delstudy",
		"reloadstudy", "answer", "learn", "unlearn", "addproject", "delproject"}
	var got []string
	eventually(t, func() bool { // the announcement is recorded as it is queued
		list, _ := e.store.Audit(ctx, 100)
		got = got[:0]
		for i := len(list) - 1; i >= 0; i-- {
			got = append(got, list[i].Action)
			if list[i].UserID != e.admin.ID || list[i].Name != "王主任" {
				t.Fatalf("audit entry without its admin: %+v", list[i])
			}
		}
		return len(got) >= len(want)
	})
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("audit actions:\n got %v\nwant %v", got, want)
	}

	a := e.adminSays("/audit")
	mustContain(t, "/audit", a.PlainText, "发布公告", "安排定时提醒", "取消定时任务", "授予身份 居民 [ID "+uid+"]：设为「第一党支部」的党员",
		"撤销身份", "生成邀请码 第一党支部：邀请码尾号 "+code[8:], "作废邀请码", "添加学习题", "删除学习题", "重新加载学习题",
		"答复居民问题 Q-0001", "加入问答库 Q-0001：新建问答条目「午饭吃什么」", "移出问答库 learned-q1", "新增项目 [project-8]", "删除项目 [project-8]：8. 口袋公园改造")
	if strings.Contains(a.PlainText, code) || strings.Contains(a.PlainText, code[:4]+"-") {
		t.Errorf("/audit shows a whole invite code:\n%s", a.PlainText)
	}
}

// TestAdminCommandsHandledTwiceAuditOnce: the admin commands that were
// not protected by the update's once key before (they repeated their
// audit line, and /cancel answered "no such job" the second time) reply
// the same and record once when their update is handled again.
func TestAdminCommandsHandledTwiceAuditOnce(t *testing.T) {
	cmds := []string{"schedule", "cancel", "grant", "revoke", "invite", "addstudy", "delstudy", "reloadstudy", "delproject", "unlearn"}
	e, _ := newFullEnv(t, withRehandle(cmds...))
	chat := tgtest.PrivateChat(e.admin)
	uid := strconv.FormatInt(resident().ID, 10)
	twice := func(text string, want string) tgtest.Message {
		t.Helper()
		first, second := e.askRehandled(chat, e.admin, text)
		mustContain(t, text, first.PlainText, want)
		sameReply(t, text, first, second)
		return first
	}
	twice("/schedule 2h 下午三点开会", "已安排提醒 #1")
	twice("/cancel 1", "已取消提醒 #1")
	twice("/grant "+uid+" member 第一党支部", "已将")
	twice("/revoke "+uid, "已撤销")
	twice("/invite 第一党支部", "邀请码")
	added := twice(oneStudyItem, "已加入学习题库")
	twice("/delstudy "+studyIDRe.FindStringSubmatch(added.PlainText)[1], "已从学习题库删除")
	twice("/reloadstudy", "已重新加载")
	e.adminSays("/addproject 口袋公园改造 | 在泗塘路口建设一处口袋公园")
	twice("/delproject 8", "已删除项目 8")
	asker := resident()
	e.ask(tgtest.PrivateChat(asker), asker, "居委会几点上班")
	e.adminSays("/answer Q-0001 食堂今天有面条。")
	e.adminSays("/learn Q-0001 new 午饭吃什么")
	twice("/unlearn Q-0001", "已从问答库移出")

	want := "schedule,cancel,grant,revoke,invite,addstudy,delstudy,reloadstudy,addproject,delproject,answer,learn,unlearn"
	var got []string
	for _, a := range e.auditActions() {
		got = append(got, strings.Fields(a)[0])
	}
	if strings.Join(got, ",") != want {
		t.Errorf("audit actions:\n got %v\nwant %s", got, want)
	}
	if jobs, _ := e.store.Jobs(context.Background()); len(jobs) != 0 {
		t.Errorf("jobs after /schedule and /cancel handled twice: %+v", jobs)
	}
}

// TestOnlyRoleDenialsAreAuditedAsDenied: a resident trying an admin
// command is recorded as denied; an admin refused by a command's own rule
// (demoting themselves) and a resident locked out of /join after too many
// wrong codes are not.
func TestOnlyRoleDenialsAreAuditedAsDenied(t *testing.T) {
	e, _ := newFullEnv(t)
	self := strconv.FormatInt(e.admin.ID, 10)
	mustContain(t, "self-demotion", e.adminSays("/grant "+self+" member 一支部").PlainText, "不能降低自己的权限")
	mustContain(t, "self-revoke", e.adminSays("/revoke "+self).PlainText, "不能撤销自己的身份")
	u := resident()
	chat := tgtest.PrivateChat(u)
	for range 10 {
		e.ask(chat, u, "/join AAAA-BBBB-CCCC")
	}
	mustContain(t, "locked out", e.ask(chat, u, "/join AAAA-BBBB-CCCC").PlainText, "输错次数太多")
	mustContain(t, "resident /grant", e.ask(chat, u, "/grant "+self+" member 一支部").PlainText, "仅限街道管理员")

	if got := e.auditActions(); strings.Join(got, ",") != "denied /grant" {
		t.Errorf("audit = %q, want only the resident's denied /grant", got)
	}
	mustContain(t, "/audit", e.adminSays("/audit").PlainText, "被拒绝 /grant：没有管理员权限，未执行")
}

// TestAuditIsReadable: /audit names actions in Chinese and projects and
// topics by their names, reads entries written by older versions, and
// says what to do with a count it cannot use.
func TestAuditIsReadable(t *testing.T) {
	e := newStaffEnv(t)
	ctx := context.Background()
	e.adminSays("/setstatus 4 推进中 50% 过半")
	e.adminSays("/addproject 口袋公园改造 | 在泗塘路口建设一处口袋公园")
	// What an older version wrote for /learn.
	for _, d := range []string{"question learned-q1 contact-staff", "topic learned-q3 午饭吃什么"} {
		if err := e.store.AppendAudit(ctx, communitybot.AuditEntry{UserID: e.admin.ID, Name: "王主任", Action: "learn", Target: "Q-0001", Detail: d}); err != nil {
			t.Fatal(err)
		}
	}
	a := e.adminSays("/audit")
	mustContain(t, "/audit", a.PlainText, "更新项目状态 4.「电梯加装」 [elevator]：推进中，50%", "新增项目 8.「口袋公园改造」 [project-8]",
		"加入问答库 Q-0001：加为「联系工作人员」的一种问法 [learned-q1]", "加入问答库 Q-0001：新建问答条目「午饭吃什么」[learned-q3]")
	for _, raw := range []string{"/setstatus", "/addproject", "question learned", "topic learned"} {
		if strings.Contains(a.PlainText, raw) {
			t.Errorf("/audit shows %q:\n%s", raw, a.PlainText)
		}
	}
	mustContain(t, "/audit 1", e.adminSays("/audit 1").PlainText, "最近 1 条")
	for _, bad := range []string{"/audit abc", "/audit -1", "/audit 0"} {
		mustContain(t, bad, e.adminSays(bad).PlainText, "请写要查看的条数（1 到 50 之间的整数）", "/audit 10")
	}
	mustContain(t, "/audit huge", e.adminSays("/audit 99999999999999999999").PlainText, "最近 4 条", "一次最多显示 50 条")
}
