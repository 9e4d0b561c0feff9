package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
)

// TestOnlyARecordedTicketPostRelays: in the staff chat, a reply to the
// /tickets list, to the bot's echo of a text with Q-0001 in it, or to any
// other bot message gets a hint there and changes nothing: the ticket
// stays open and the resident hears nothing. A reply to the post itself
// relays.
func TestOnlyARecordedTicketPostRelays(t *testing.T) {
	e := newStaffEnv(t)
	ctx := context.Background()
	u := resident()
	mustContain(t, "fallback", e.ask(tgtest.PrivateChat(u), u, "街道办事处的电话是多少").PlainText, "Q-0001")
	post := e.waitTicketPost(1)
	residentMsgs := len(e.api.Sent(u.ID))

	inStaffChat := func(text string) tgtest.Message {
		t.Helper()
		return e.ask(e.staffChat, e.admin, text)
	}
	list := inStaffChat("/tickets")
	mustContain(t, "/tickets", list.PlainText, "Q-0001")
	echo := inStaffChat("/ticket Q-0001")
	mustContain(t, "/ticket echo", echo.PlainText, "Q-0001")
	help := inStaffChat("/help")

	for _, target := range []tgtest.Message{list, echo, help} {
		before := len(e.api.Sent(e.staffChat.ID))
		e.api.ReplyText(e.staffChat, e.admin, target.Model, "食堂今天有面条。")
		msgs, err := e.api.WaitSent(ctxT(t), e.staffChat.ID, before+1)
		if err != nil {
			t.Fatal(err)
		}
		mustContain(t, "reply to a bot message that is not a post", msgs[before].PlainText, "没有转告任何居民", "/answer")
		if tk, _ := e.store.Ticket(ctx, 1); tk.Status != communitybot.TicketOpen {
			t.Fatalf("a reply to %q closed the ticket: %+v", firstLine(target.PlainText), tk)
		}
	}
	if n := len(e.api.Sent(u.ID)); n != residentMsgs {
		t.Fatalf("the resident got %d messages from replies that were not to the post", n-residentMsgs)
	}

	e.api.ReplyText(e.staffChat, e.admin, post.Model, "食堂今天有面条。")
	relays, err := e.api.WaitSent(ctxT(t), u.ID, residentMsgs+1)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "relay", relays[residentMsgs].PlainText, "街道工作人员答复", "Q-0001", "食堂今天有面条。")
}

// TestReplyBeforeThePostIsRecorded: a staff reply to a ticket post that
// Telegram has accepted but the desk has not recorded yet waits for the
// record and then relays; once no post is in flight, a look-alike text
// relays nothing.
func TestReplyBeforeThePostIsRecorded(t *testing.T) {
	e := newStaffEnv(t)
	ctx := context.Background()
	e.api.SetBlocked(e.staffChat.ID, true) // the desk cannot post: the test plays its part
	u := resident()
	mustContain(t, "fallback", e.ask(tgtest.PrivateChat(u), u, "街道办事处的电话是多少").PlainText, "Q-0001")
	eventually(t, func() bool { // the desk tried and gave the ticket back
		nos, err := e.store.ClaimUnposted(ctx, 1, time.Minute)
		return err == nil && len(nos) == 1
	})
	// Claimed by "us" for a minute: the post is in flight, as between the
	// desk's sendMessage and its record.
	bot := e.api.Bot()
	const postID = 424242
	header := "🆕 居民提问 Q-0001\n来自：私聊（用户 1），刚刚\n\n街道办事处的电话是多少"
	reply := func(id int) {
		e.api.InjectUpdate(models.Update{Message: &models.Message{
			ID: id, Chat: models.Chat{ID: e.staffChat.ID, Type: models.ChatTypeSupergroup, Title: e.staffChat.Title},
			From: &models.User{ID: e.admin.ID, FirstName: e.admin.FirstName}, Text: "食堂今天有面条。",
			ReplyToMessage: &models.Message{ID: postID, From: &bot, Chat: models.Chat{ID: e.staffChat.ID, Type: models.ChatTypeSupergroup}, Text: header},
		}})
	}
	e.api.SetBlocked(e.staffChat.ID, false)
	residentMsgs := len(e.api.Sent(u.ID))
	reply(910001)
	// The reply is held (handled again shortly) until the post is recorded.
	eventually(t, func() bool { return strings.Contains(e.scrape(), `outcome="retry"`) })
	if sent := e.api.Sent(e.staffChat.ID); len(sent) != 0 {
		t.Fatalf("the staff chat got %q while the post was in flight", sent[0].PlainText)
	}
	if tk, _ := e.store.Ticket(ctx, 1); tk.Status != communitybot.TicketOpen {
		t.Fatalf("answered before the post was recorded: %+v", tk)
	}
	if err := e.store.SetTicketPost(ctx, 1, e.staffChat.ID, postID); err != nil {
		t.Fatal(err)
	}
	relays, err := e.api.WaitSent(ctxT(t), u.ID, residentMsgs+1)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "relay after the record", relays[residentMsgs].PlainText, "街道工作人员答复", "食堂今天有面条。")
}

func firstLine(s string) string {
	for i, r := range s {
		if r == '\n' {
			return s[:i]
		}
	}
	return s
}
