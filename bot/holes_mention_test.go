package bot_test

import (
	"context"
	"errors"
	"testing"

	"github.com/go-telegram/bot/models"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
)

// TestGroupMentionIsTheExactUsername: in a group, only a mention of the
// bot's exact username (a mention entity, a text_mention of the bot, or a
// command with @ourname) addresses it. Another bot whose name starts with
// ours is not us: neither its mention nor its command is answered or
// becomes a ticket.
func TestGroupMentionIsTheExactUsername(t *testing.T) {
	e := newStaffEnv(t)
	name := e.api.Bot().Username
	group := tgtest.SupergroupChat(-1009000000555, "泗塘二村居民群")
	u := resident()
	before := len(e.api.Sent(group.ID))
	e.api.SendText(group, u, "@"+name+"Helper 五个张庙是什么")
	e.api.SendText(group, u, "/help@"+name+"Helper")
	e.api.SendText(group, u, "问问 @"+name+"Helper 今天午饭吃什么好")
	r := e.ask(group, u, "@"+name+" 五个张庙是什么")
	mustContain(t, "exact mention", r.PlainText, "美丽张庙")
	r = e.ask(group, u, "请问 @"+name+"，六大板块是什么")
	mustContain(t, "mention inside the text", r.PlainText, "美丽环保")
	r = e.ask(group, u, "/help@"+name)
	mustContain(t, "/help@ourname", r.PlainText, "使用帮助")

	// A text_mention (a name picked from the member list) of the bot
	// addresses it; one of another user does not.
	bot := e.api.Bot()
	other := resident()
	textMention := func(id int, text string, who *models.User, length int) {
		e.api.InjectUpdate(models.Update{Message: &models.Message{
			ID: id, Chat: models.Chat{ID: group.ID, Type: models.ChatTypeSupergroup, Title: group.Title},
			From: &models.User{ID: u.ID, FirstName: u.FirstName}, Text: text,
			Entities: []models.MessageEntity{{Type: models.MessageEntityTypeTextMention, Offset: 0, Length: length, User: who}},
		}})
	}
	textMention(900001, "小张 五个张庙是什么", &models.User{ID: other.ID, FirstName: "小张"}, 2)
	n := len(e.api.Sent(group.ID))
	textMention(900002, "助手 五个张庙是什么", &bot, 2)
	msgs, err := e.api.WaitSent(ctxT(t), group.ID, n+1)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "text_mention of the bot", msgs[n].PlainText, "美丽张庙")

	if sent := e.api.Sent(group.ID)[before:]; len(sent) != 4 {
		for _, m := range sent {
			t.Logf("sent: %s", m.PlainText)
		}
		t.Fatalf("group got %d messages, want only the 4 answers to what addressed the bot", len(sent))
	}
	if _, err := e.store.Ticket(context.Background(), 1); !errors.Is(err, communitybot.ErrNotFound) {
		t.Fatalf("a message to another bot became a ticket: %v", err)
	}
}
