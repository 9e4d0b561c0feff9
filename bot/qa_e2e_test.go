package bot_test

import (
	"strings"
	"testing"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
)

// TestLearnOntoProjectEndToEnd: a question the newsletter cannot answer
// becomes a ticket; staff answer it in the staff chat; /learn puts it under
// the project; the same question and a paraphrase are then answered with
// the staff answer, attributed, with no new ticket.
func TestLearnOntoProjectEndToEnd(t *testing.T) {
	e := newStaffEnv(t)
	u := resident()
	q := "加装电梯补贴多少钱"
	r := e.ask(tgtest.PrivateChat(u), u, q)
	mustContain(t, "before", r.PlainText, "没有写", "Q-0001")

	post := e.waitTicketPost(1)
	answer := "加装电梯的补贴按市、区的规定执行，具体金额请到所在居委会咨询。"
	e.api.ReplyText(e.staffChat, e.admin, post.Model, answer)
	if _, err := e.api.WaitSent(ctxT(t), u.ID, 2); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() bool {
		tk, err := e.store.Ticket(t.Context(), 1)
		return err == nil && tk.Status == communitybot.TicketAnswered
	})

	confirm := e.adminSays("/learn Q-0001 电梯加装")
	mustContain(t, "/learn", confirm.PlainText, "已把 Q-0001 加入问答库，归在「电梯加装」下", "街道工作人员答复（", answer)
	if strings.Contains(confirm.PlainText, "go run") || strings.Contains(confirm.PlainText, "kbexport") {
		t.Errorf("the admin is shown a developer command: %s", confirm.PlainText)
	}

	for _, ask := range []string{q, "装电梯有补贴吗？", "电梯加装能补贴多少钱"} {
		fresh := resident()
		r := e.ask(tgtest.PrivateChat(fresh), fresh, ask)
		mustContain(t, "after learn: "+ask, r.PlainText, answer, "街道工作人员答复（")
		if strings.Contains(r.PlainText, "问题编号") || strings.Contains(r.PlainText, "没有写") {
			t.Errorf("%q still handed to staff: %s", ask, r.PlainText)
		}
	}
	// Other questions about the project still get the project.
	r = e.ask(tgtest.PrivateChat(u), u, "电梯加装进展怎么样")
	mustContain(t, "status", r.PlainText, "推进中")
	if strings.Contains(r.PlainText, answer) {
		t.Errorf("a status question got the staff's subsidy answer: %s", r.PlainText)
	}
}

// TestRequestsAndOffTopicEndToEnd: off-topic questions make no ticket, so
// a real request afterwards is taken; a complaint is acknowledged and
// reaches staff marked as a request.
func TestRequestsAndOffTopicEndToEnd(t *testing.T) {
	e := newStaffEnv(t)
	u := resident()
	chat := tgtest.PrivateChat(u)
	for _, q := range []string{"今天天气怎么样", "推荐一部电影", "帮我算一下三加五"} {
		r := e.ask(chat, u, q)
		mustContain(t, q, r.PlainText, "不在我能回答的范围内", "/ask")
	}
	r := e.ask(chat, u, "/ask 推荐一部好看的电影")
	if strings.Contains(r.PlainText, "Q-00") {
		t.Errorf("/ask of an off-topic question made a ticket: %s", r.PlainText)
	}
	r = e.ask(chat, u, "/ask 楼道堆物谁来管？")
	mustContain(t, "/ask request", r.PlainText, "Q-0001")
	post := e.waitTicketPost(1)
	mustContain(t, "staff post", post.PlainText, "居民提问 Q-0001", "诉求", "楼道堆物谁来管")

	r = e.ask(chat, u, "我想反映一下楼道里有人堆东西")
	mustContain(t, "complaint", r.PlainText, "感谢您的反映", "Q-0002")
	post = e.waitTicketPost(2)
	mustContain(t, "staff post", post.PlainText, "居民提问 Q-0002", "诉求", "楼道里有人堆东西")
	mustContain(t, "/tickets", e.adminSays("/tickets").PlainText, "Q-0002 【诉求】")

	r = e.ask(chat, u, "张庙街道在哪里")
	mustContain(t, "where", r.PlainText, "没有写", "Q-0003")
	if strings.Contains(r.PlainText, "比学赶超当先锋") {
		t.Errorf("张庙街道在哪里 got the campaign introduction: %s", r.PlainText)
	}
}
