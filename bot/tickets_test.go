package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
)

// TestTicketRoundTrip follows an unanswered question from the resident to
// the staff chat and back: ticket number in the fallback, post in the
// staff chat, a staff member's Telegram reply relayed to the resident
// (escaped, marked as from staff), the ticket closed, rated once, by the
// asker only.
func TestTicketRoundTrip(t *testing.T) {
	e := newStaffEnv(t)
	ctx := context.Background()
	u := resident()
	chat := tgtest.PrivateChat(u)

	r := e.ask(chat, u, "小区门口的垃圾桶<什么时候>清运？")
	mustContain(t, "fallback", r.PlainText, "抱歉", "已转交街道工作人员", "问题编号 Q-0001", "/ticket Q-0001")

	// Asking again gives the same ticket, not a second one.
	r = e.ask(chat, u, "小区门口的垃圾桶<什么时候>清运？")
	mustContain(t, "repeat", r.PlainText, "Q-0001")

	post := e.waitTicketPost(1)
	mustContain(t, "staff post", post.PlainText, "居民提问 Q-0001", "小区门口的垃圾桶<什么时候>清运？", "回复本条消息")
	if _, err := e.api.WaitSent(ctxT(t), e.staffChat.ID, 1); err != nil || len(e.api.Sent(e.staffChat.ID)) != 1 {
		t.Fatalf("staff chat has %d posts, want 1 (the repeat must not post again)", len(e.api.Sent(e.staffChat.ID)))
	}
	tk, err := e.store.Ticket(ctx, 1)
	if err != nil || tk.Status != communitybot.TicketOpen || tk.StaffMessageID != post.Model.ID || tk.UserID != u.ID {
		t.Fatalf("ticket = %+v, %v", tk, err)
	}
	list := e.adminSays("/tickets")
	mustContain(t, "/tickets", list.PlainText, "待答复的问题（共 1 个", "Q-0001", "垃圾桶")

	// The staff member replies to the post in the staff chat.
	before := len(e.api.Sent(e.staffChat.ID))
	e.api.ReplyText(e.staffChat, e.admin, post.Model, "每天早上7点和下午5点清运 <b>两次</b> & 周末照常。")
	relays, err := e.api.WaitSent(ctxT(t), u.ID, 3)
	if err != nil {
		t.Fatal(err)
	}
	relay := relays[2]
	mustContain(t, "relay", relay.PlainText, "街道工作人员答复", "Q-0001", "每天早上7点和下午5点清运 <b>两次</b> & 周末照常。")
	if strings.Contains(relay.Text, "<b>两次</b>") {
		t.Errorf("staff answer not escaped: %s", relay.Text)
	}
	if bs := relay.Buttons(); len(bs) != 2 || !strings.Contains(bs[0].Text, "满意") || !strings.Contains(bs[1].Text, "不满意") {
		t.Fatalf("relay buttons = %+v", bs)
	}
	confirm, err := e.api.WaitSent(ctxT(t), e.staffChat.ID, before+1)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "staff confirmation", confirm[before].PlainText, "已转告居民（Q-0001）")
	tk, _ = e.store.Ticket(ctx, 1)
	if tk.Status != communitybot.TicketAnswered || !tk.Relayed || tk.AnsweredBy != "王主任" || tk.AnsweredID != e.admin.ID {
		t.Errorf("ticket after answer = %+v", tk)
	}
	if n, _, _ := e.store.OpenTicketCount(ctx); n != 0 {
		t.Errorf("%d open tickets after the answer", n)
	}

	// A second reply to the same post does not answer twice.
	before = len(e.api.Sent(e.staffChat.ID))
	e.api.ReplyText(e.staffChat, e.admin, post.Model, "补充一句")
	msgs, err := e.api.WaitSent(ctxT(t), e.staffChat.ID, before+1)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "second answer", msgs[before].PlainText, "已由 王主任", "答复过了")

	// Only the asker may rate, and only once.
	good, _ := relay.Button("👍 满意")
	stranger := resident()
	e.api.PressButton(chat, stranger, relay.Model, good.CallbackData)
	answers := e.waitCallbackAnswers(1)
	if a := answers[0]; !a.ShowAlert || !strings.Contains(a.Text, "只有提问的居民") {
		t.Errorf("stranger's rating answered %+v", a)
	}
	e.api.PressButton(chat, u, relay.Model, good.CallbackData)
	answers = e.waitCallbackAnswers(2)
	if a := answers[1]; a.ShowAlert || !strings.Contains(a.Text, "感谢") {
		t.Errorf("rating answered %+v", a)
	}
	if err := e.api.WaitUntil(ctxT(t), func() bool { return e.api.Sent(u.ID)[2].Edits == 1 }); err != nil {
		t.Fatal("the rated message was not edited")
	}
	rated := e.api.Sent(u.ID)[2]
	mustContain(t, "rated message", rated.PlainText, "您的评价：满意")
	if len(rated.Buttons()) != 0 {
		t.Errorf("rating buttons still shown after rating: %+v", rated.Buttons())
	}
	bad, _ := relay.Button("👎 不满意")
	e.api.PressButton(chat, u, relay.Model, bad.CallbackData)
	answers = e.waitCallbackAnswers(3)
	if a := answers[2]; !a.ShowAlert || !strings.Contains(a.Text, "已经评价过") {
		t.Errorf("second rating answered %+v", a)
	}
	tk, _ = e.store.Ticket(ctx, 1)
	if tk.Rating != communitybot.RatingGood {
		t.Errorf("rating = %q, want good", tk.Rating)
	}
	report := e.waitStaffPost(before + 2)
	mustContain(t, "rating reported to staff", report.PlainText, "Q-0001", "满意")

	// A forged rating button changes nothing.
	e.api.PressButton(chat, u, relay.Model, "rate:1:x")
	answers = e.waitCallbackAnswers(4)
	if a := answers[3]; !a.ShowAlert {
		t.Errorf("forged rating answered %+v", a)
	}

	got := e.auditActions()
	if len(got) != 1 || got[0] != "answer Q-0001" {
		t.Errorf("audit = %q, want the one answer", got)
	}
}

func TestTicketPrivacy(t *testing.T) {
	e := newStaffEnv(t)
	asker, other := resident(), resident()
	e.ask(tgtest.PrivateChat(asker), asker, "居委会几点上班")

	r := e.ask(tgtest.PrivateChat(asker), asker, "/ticket Q-0001")
	mustContain(t, "asker", r.PlainText, "问题 Q-0001", "等待工作人员答复", "居委会几点上班")
	r = e.ask(tgtest.PrivateChat(asker), asker, "/ticket")
	mustContain(t, "asker's list", r.PlainText, "Q-0001", "居委会几点上班")

	for _, ref := range []string{"Q-0001", "q1", "1", "Q-0002"} {
		r = e.ask(tgtest.PrivateChat(other), other, "/ticket "+ref)
		mustContain(t, "other /ticket "+ref, r.PlainText, "没有找到您提交的问题")
		if strings.Contains(r.PlainText, "居委会几点上班") {
			t.Errorf("another resident saw the question: %s", r.PlainText)
		}
	}
	r = e.ask(tgtest.PrivateChat(other), other, "/ticket")
	mustContain(t, "other's empty list", r.PlainText, "还没有转交给工作人员的问题")
	r = e.ask(tgtest.PrivateChat(other), other, "/ticket 不是编号")
	mustContain(t, "bad number", r.PlainText, "Q-0042")

	// After the answer (here with /answer), the asker sees it.
	r = e.adminSays("/answer Q-0001 今天食堂供应面条。")
	mustContain(t, "/answer", r.PlainText, "已转告居民")
	r = e.ask(tgtest.PrivateChat(asker), asker, "/ticket Q-0001")
	mustContain(t, "answered", r.PlainText, "已答复", "今天食堂供应面条。", "未评价")
	r = e.adminSays("/ticket Q-0001")
	mustContain(t, "admin", r.PlainText, "问题 Q-0001")
}

// TestLearnAnswersNextTime: an answered ticket taught with /learn is
// answered by the Q&A from then on, also after a restart.
func TestLearnAnswersNextTime(t *testing.T) {
	e := newStaffEnv(t)
	u := resident()
	q := "社区食堂几点开门"
	r := e.ask(tgtest.PrivateChat(u), u, q)
	mustContain(t, "before", r.PlainText, "抱歉", "Q-0001")

	r = e.adminSays("/learn Q-0001 new 社区食堂营业时间")
	mustContain(t, "learn before answer", r.PlainText, "还没有答复")
	e.adminSays("/answer Q-0001 社区食堂每天上午10点半开门，晚上7点打烊。")
	r = e.adminSays("/learn Q-0001 new 社区食堂营业时间")
	mustContain(t, "learn", r.PlainText, "已用 Q-0001 新建问答条目「社区食堂营业时间」", "learned-q1")
	r = e.adminSays("/learn Q-0001 new 再来一次")
	mustContain(t, "learn twice", r.PlainText, "已经加入过问答库")

	fresh := resident()
	r = e.ask(tgtest.PrivateChat(fresh), fresh, q)
	mustContain(t, "after learn", r.PlainText, "社区食堂营业时间", "上午10点半开门")
	if strings.Contains(r.PlainText, "问题编号") {
		t.Errorf("learned question still handed to staff: %s", r.PlainText)
	}

	// An alternate question for an existing topic.
	alt := "张庙要变成啥样的地方"
	r = e.ask(tgtest.PrivateChat(fresh), fresh, alt)
	mustContain(t, "alt before", r.PlainText, "Q-0002")
	e.adminSays("/answer Q-0002 请看四个定位。")
	r = e.adminSays("/learn Q-0002 positioning")
	mustContain(t, "learn alt", r.PlainText, "已把 Q-0002 加入问答库，归在「张庙的四个全新定位」下", "街道工作人员答复（")
	r = e.ask(tgtest.PrivateChat(u), u, alt)
	if strings.Contains(r.PlainText, "问题编号") || !strings.Contains(r.PlainText, "请看四个定位") || !strings.Contains(r.PlainText, "街道工作人员答复（") {
		t.Errorf("alternate question not answered with the staff answer: %s", r.PlainText)
	}

	// It survives a redeploy (a fresh process loading it: staff tests).
	e.restart()
	r = e.ask(tgtest.PrivateChat(resident()), resident(), q)
	mustContain(t, "after restart", r.PlainText, "上午10点半开门")

	got := strings.Join(e.auditActions(), ",")
	if got != "answer Q-0001,learn Q-0001,answer Q-0002,learn Q-0002" {
		t.Errorf("audit = %s", got)
	}
}

func TestTicketLimitPerResident(t *testing.T) {
	e := newStaffEnv(t)
	u := resident()
	chat := tgtest.PrivateChat(u)
	// Off-topic questions get a polite line and no ticket: they never use
	// up the resident's quota of open tickets.
	for _, q := range []string{"今天午饭吃什么好", "明天会下雨吗", "推荐一部电影", "足球比赛谁赢了"} {
		r := e.ask(chat, u, q)
		mustContain(t, q, r.PlainText, "不在我能回答的范围内", "/ask")
		if strings.Contains(r.PlainText, "Q-00") {
			t.Errorf("off-topic %q made a ticket: %s", q, r.PlainText)
		}
	}
	for i, q := range []string{"居委会几点上班", "社区食堂几点开门", "张庙街道办事处在哪里"} {
		r := e.ask(chat, u, q)
		mustContain(t, q, r.PlainText, communitybot.TicketNo(int64(i+1)))
	}
	r := e.ask(chat, u, "社区医院几点开门")
	mustContain(t, "fourth", r.PlainText, "已有 3 个问题在等待工作人员答复")
	if strings.Contains(r.PlainText, "Q-0004") {
		t.Errorf("a fourth open ticket was made: %s", r.PlainText)
	}
	// Still polite about off-topic questions, not the quota.
	r = e.ask(chat, u, "股票会涨吗")
	if !strings.Contains(r.PlainText, "不在我能回答的范围内") || strings.Contains(r.PlainText, "已有 3 个问题") {
		t.Errorf("off-topic at the quota: %s", r.PlainText)
	}
}

// TestStaffChatOrResidentUnreachable: a ticket that cannot be posted (the
// bot was removed from the staff chat) is kept, counted as a fault and
// posted once the chat is reachable again; an answer to a resident who
// blocked the bot closes the ticket and tells staff it was not delivered.
func TestStaffChatOrResidentUnreachable(t *testing.T) {
	e := newStaffEnv(t)
	ctx := context.Background()
	e.api.SetBlocked(e.staffChat.ID, true)
	u := resident()
	r := e.ask(tgtest.PrivateChat(u), u, "居委会几点上班")
	mustContain(t, "fallback while the staff chat is unreachable", r.PlainText, "Q-0001")
	// The fault counter moves in this process, not at the fake Bot API, so
	// poll it rather than wait for the API's state to change.
	for deadline := time.Now().Add(20 * time.Second); metricValues(e.scrape())[`communitybot_faults_total{source="staff_chat"}`] < 1; {
		if time.Now().After(deadline) {
			t.Fatal("the failed post did not move the staff_chat fault counter")
		}
		time.Sleep(20 * time.Millisecond)
	}
	list := e.adminSays("/tickets")
	mustContain(t, "/tickets while unposted", list.PlainText, "Q-0001")

	e.api.SetBlocked(e.staffChat.ID, false)
	post := e.waitTicketPost(1) // posted by the retry loop
	mustContain(t, "late post", post.PlainText, "Q-0001", "居委会几点上班")

	e.api.SetBlocked(u.ID, true)
	before := len(e.api.Sent(e.staffChat.ID))
	e.api.ReplyText(e.staffChat, e.admin, post.Model, "食堂有面条。")
	msgs, err := e.api.WaitSent(ctxT(t), e.staffChat.ID, before+1)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "blocked resident", msgs[before].PlainText, "无法送达居民")
	tk, _ := e.store.Ticket(ctx, 1)
	if tk.Status != communitybot.TicketAnswered || tk.Relayed {
		t.Errorf("ticket = %+v; want answered, not relayed", tk)
	}
}

// TestStaffChatOutageLosesNoTicket: tickets created while the staff chat
// cannot be reached stay queued through every failed attempt and are all
// posted, each once, when it can be reached again.
func TestStaffChatOutageLosesNoTicket(t *testing.T) {
	e := newStaffEnv(t)
	ctx := context.Background()
	e.api.SetBlocked(e.staffChat.ID, true)
	for i := 1; i <= 5; i++ {
		u := resident()
		r := e.ask(tgtest.PrivateChat(u), u, fmt.Sprintf("第%d号楼的快递柜坏了找谁修", i))
		mustContain(t, "fallback", r.PlainText, communitybot.TicketNo(int64(i)))
	}
	// Wait for a posting attempt that saw all five tickets and failed.
	faults := func() float64 { return metricValues(e.scrape())[`communitybot_faults_total{source="staff_chat"}`] }
	after := faults()
	eventually(t, func() bool { return faults() > after })

	e.api.SetBlocked(e.staffChat.ID, false)
	eventually(t, func() bool {
		for no := int64(1); no <= 5; no++ {
			if tk, err := e.store.Ticket(ctx, no); err != nil || tk.StaffMessageID == 0 {
				return false
			}
		}
		return true
	})
	// One more ticket after the outage: it is posted, and nothing before
	// it is posted again.
	u := resident()
	e.ask(tgtest.PrivateChat(u), u, "第6号楼的快递柜坏了找谁修")
	e.waitStaffPost(6)
	posted := map[string]int{}
	for _, m := range e.api.Sent(e.staffChat.ID) {
		for no := int64(1); no <= 6; no++ {
			if strings.Contains(m.PlainText, "居民提问 "+communitybot.TicketNo(no)) {
				posted[communitybot.TicketNo(no)]++
			}
		}
	}
	if len(e.api.Sent(e.staffChat.ID)) != 6 || len(posted) != 6 {
		t.Fatalf("staff chat posts per ticket = %v (%d posts), want Q-0001…Q-0006 once each", posted, len(e.api.Sent(e.staffChat.ID)))
	}
}

// TestTicketCommandsHandledTwiceChangeOnce: /answer and /learn handled a
// second time relay, audit and learn once, and reply as the first time.
func TestTicketCommandsHandledTwiceChangeOnce(t *testing.T) {
	e := newStaffEnv(t, withRehandle("answer", "learn"))
	ctx := context.Background()
	u := resident()
	r := e.ask(tgtest.PrivateChat(u), u, "社区食堂几点开门")
	mustContain(t, "fallback", r.PlainText, "Q-0001")
	chat := tgtest.PrivateChat(e.admin)

	first, second := e.askRehandled(chat, e.admin, "/answer Q-0001 社区食堂每天上午10点半开门。")
	mustContain(t, "/answer", first.PlainText, "已转告居民")
	sameReply(t, "/answer", first, second)
	first, second = e.askRehandled(chat, e.admin, "/learn Q-0001 new 社区食堂营业时间")
	mustContain(t, "/learn", first.PlainText, "新建问答条目")
	sameReply(t, "/learn", first, second)

	relays := 0
	for _, m := range e.api.Sent(u.ID) {
		if strings.Contains(m.PlainText, "街道工作人员答复") {
			relays++
		}
	}
	if relays != 1 {
		t.Errorf("the resident got the answer %d times, want once", relays)
	}
	if entries, err := e.store.LearnedEntries(ctx); err != nil || len(entries) != 1 {
		t.Errorf("learned entries = %d, %v; want 1", len(entries), err)
	}
	if got := strings.Join(e.auditActions(), ","); got != "answer Q-0001,learn Q-0001" {
		t.Errorf("audit = %s", got)
	}
}
