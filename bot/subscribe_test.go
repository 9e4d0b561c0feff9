package bot_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/bot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
	"github.com/zhangmiao/communitybot/outbound"
	"github.com/zhangmiao/communitybot/subscriptions"
)

// withSubscriptions registers the subscription commands.
func withSubscriptions() harnessOption {
	return registerSubscriptions
}

// registerSubscriptions registers the subscription commands as
// cmd/communitybot does.
func registerSubscriptions(h *harness) {
	bot.RegisterSubscriptions(h.router, subscriptions.New(h.store, h.store, h.asst, testLogger()), outbound.NewChatSubscriptions(h.store, testLogger()))
}

var allTopics = []communitybot.Topic{
	communitybot.TopicAnnouncements, communitybot.TopicReminders, communitybot.TopicStudy,
	communitybot.ProjectTopic("elevator"), communitybot.ProjectTopic("overhead-lines"),
}

func (h *harness) topics(chatID int64) []communitybot.Topic {
	h.t.Helper()
	got, err := h.store.SubscribedTopics(context.Background(), chatID, allTopics)
	if err != nil {
		h.t.Fatal(err)
	}
	return got
}

func TestSubscribeKeyboardToggles(t *testing.T) {
	h := newHarness(t, withSubscriptions())
	u := resident()
	chat := tgtest.PrivateChat(u)

	menu := h.ask(chat, u, "/subscribe")
	mustContain(t, "/subscribe", menu.PlainText, "订阅设置", "公告", "提醒")
	btn, ok := menu.Button("⬜ 公告")
	if !ok {
		t.Fatalf("no unsubscribed 公告 button: %+v", menu.Buttons())
	}
	if _, ok := menu.Button("⬜ 电梯加装"); !ok {
		t.Errorf("no project button: %+v", menu.Buttons())
	}
	if _, ok := menu.Button("⬜ 每日学习"); ok {
		t.Error("a resident is offered 每日学习")
	}

	h.api.PressButton(chat, u, menu.Model, btn.CallbackData)
	if err := h.api.WaitUntil(ctxT(t), func() bool {
		msgs := h.api.Sent(chat.ID)
		_, on := msgs[len(msgs)-1].Button("✅ 公告")
		return on
	}); err != nil {
		t.Fatalf("keyboard not redrawn: %+v", h.api.Sent(chat.ID))
	}
	if n := len(h.api.Sent(chat.ID)); n != 1 {
		t.Errorf("toggle sent %d messages, want the menu edited in place", n)
	}
	answers := h.waitCallbackAnswers(1)
	if !strings.Contains(answers[0].Text, "已订阅「公告」") {
		t.Errorf("toast = %q", answers[0].Text)
	}
	if got := h.topics(chat.ID); !slices.Equal(got, []communitybot.Topic{communitybot.TopicAnnouncements}) {
		t.Fatalf("topics = %v", got)
	}

	// Pressing again unsubscribes; forged data is refused.
	h.api.PressButton(chat, u, menu.Model, btn.CallbackData)
	h.waitCallbackAnswers(2)
	if got := h.topics(chat.ID); len(got) != 0 {
		t.Errorf("after the second press: %v", got)
	}
	h.api.PressButton(chat, u, menu.Model, "sub:project:nonexistent")
	answers = h.waitCallbackAnswers(3)
	if !strings.Contains(answers[2].Text, "按钮已失效") {
		t.Errorf("forged topic answered %q", answers[2].Text)
	}
}

func TestSubscribeByNameAndMySubs(t *testing.T) {
	h := newHarness(t, withSubscriptions())
	u := resident()
	chat := tgtest.PrivateChat(u)

	mustContain(t, "/subscribe 公告", h.ask(chat, u, "/subscribe 公告").PlainText, "已订阅「公告」")
	mustContain(t, "again", h.ask(chat, u, "/subscribe announce").PlainText, "已经订阅了「公告」")
	mustContain(t, "/subscribe 电梯", h.ask(chat, u, "/subscribe 电梯").PlainText, "已订阅「电梯加装」")
	mustContain(t, "/subscribe 加梯", h.ask(chat, u, "/subscribe 加梯").PlainText, "已经订阅了「电梯加装」")
	mustContain(t, "/subscribe remind", h.ask(chat, u, "/subscribe remind").PlainText, "已订阅「提醒」")
	mustContain(t, "unknown", h.ask(chat, u, "/subscribe 天气预报").PlainText, "没有找到“天气预报”这个订阅内容")
	mustContain(t, "study", h.ask(chat, u, "/subscribe 每日学习").PlainText, "仅面向已登记的党员")

	subs := h.ask(chat, u, "/mysubs")
	mustContain(t, "/mysubs", subs.PlainText, "公告", "提醒", "电梯加装")
	want := []communitybot.Topic{communitybot.TopicAnnouncements, communitybot.TopicReminders, communitybot.ProjectTopic("elevator")}
	if got := h.topics(chat.ID); !slices.Equal(got, want) {
		t.Fatalf("topics = %v, want %v", got, want)
	}

	mustContain(t, "/unsubscribe 电梯加装", h.ask(chat, u, "/unsubscribe 电梯加装").PlainText, "已取消订阅「电梯加装」")
	mustContain(t, "/unsubscribe 架空线", h.ask(chat, u, "/unsubscribe 架空线入地").PlainText, "没有订阅「架空线入地」")
	mustContain(t, "/unsubscribe", h.ask(chat, u, "/unsubscribe").PlainText, "请写上要取消的订阅")
	mustContain(t, "/unsubscribe all", h.ask(chat, u, "/unsubscribe all").PlainText, "已取消全部 2 项订阅")
	mustContain(t, "/mysubs empty", h.ask(chat, u, "/mysubs").PlainText, "目前没有任何订阅")

	// A party member may take the daily study.
	member := resident()
	if err := h.store.SetAccount(context.Background(), communitybot.Account{UserID: member.ID, Role: communitybot.RoleMember}); err != nil {
		t.Fatal(err)
	}
	mc := tgtest.PrivateChat(member)
	if _, ok := h.ask(mc, member, "/subscribe").Button("⬜ 每日学习"); !ok {
		t.Error("a member is not offered 每日学习")
	}
	mustContain(t, "member study", h.ask(mc, member, "/subscribe 每日学习").PlainText, "已订阅「每日学习」")
}

func TestGroupSubscriptionsNeedAGroupAdmin(t *testing.T) {
	h := newHarness(t, withSubscriptions())
	admin, member := resident(), resident()
	group := tgtest.SupergroupChat(-1007001, "张庙一居民群")
	h.api.SetChatAdmins(group.ID, admin.ID)

	mustContain(t, "member", h.ask(group, member, "/subscribe 公告").PlainText, "只有群管理员")
	if got := h.topics(group.ID); len(got) != 0 {
		t.Fatalf("a non-admin changed the group's subscriptions: %v", got)
	}
	mustContain(t, "admin", h.ask(group, admin, "/subscribe 公告").PlainText, "已订阅「公告」")
	mustContain(t, "study in group", h.ask(group, admin, "/subscribe 每日学习").PlainText, "请在与我的私聊中订阅")
	mustContain(t, "member unsubscribe", h.ask(group, member, "/unsubscribe all").PlainText, "只有群管理员")
	mustContain(t, "mysubs", h.ask(group, member, "/mysubs").PlainText, "本群当前的订阅", "公告")
	if got := h.topics(group.ID); !slices.Equal(got, []communitybot.Topic{communitybot.TopicAnnouncements}) {
		t.Fatalf("group topics = %v", got)
	}

	// A member pressing the group's keyboard is refused with an alert.
	menu := h.ask(group, admin, "/subscribe")
	btn, _ := menu.Button("✅ 公告")
	h.api.PressButton(group, member, menu.Model, btn.CallbackData)
	answers := h.waitCallbackAnswers(1)
	if !answers[0].ShowAlert || !strings.Contains(answers[0].Text, "只有群管理员") {
		t.Errorf("non-admin press answered %+v", answers[0])
	}
	if got := h.topics(group.ID); len(got) != 1 {
		t.Errorf("group topics after a non-admin press = %v", got)
	}
}

func TestChatEventsEndAndMoveSubscriptions(t *testing.T) {
	h := newHarness(t, withSubscriptions())
	ctx := context.Background()
	u := resident()
	for _, tp := range []communitybot.Topic{communitybot.TopicAnnouncements, communitybot.ProjectTopic("elevator")} {
		h.store.Subscribe(ctx, u.ID, tp)
		h.store.Subscribe(ctx, -3001, tp)
	}
	bot := h.api.Bot()
	h.api.InjectUpdate(models.Update{MyChatMember: &models.ChatMemberUpdated{
		Chat: models.Chat{ID: u.ID, Type: models.ChatTypePrivate}, From: u.Model(), Date: int(time.Now().Unix()),
		OldChatMember: models.ChatMember{Type: models.ChatMemberTypeMember, Member: &models.ChatMemberMember{User: &bot}},
		NewChatMember: models.ChatMember{Type: models.ChatMemberTypeBanned, Banned: &models.ChatMemberBanned{User: &bot}},
	}})
	// The group becomes a supergroup: Telegram says so in a service message.
	h.api.InjectUpdate(models.Update{Message: &models.Message{ID: 50, Date: int(time.Now().Unix()),
		Chat: models.Chat{ID: -3001, Type: models.ChatTypeGroup, Title: "群"}, From: &models.User{ID: 1, FirstName: "a"}, MigrateToChatID: -1003001}})
	if !eventuallyOK(func() bool { return len(h.topics(u.ID)) == 0 && len(h.topics(-1003001)) == 2 }) {
		t.Fatalf("after the events: blocked user %v, old group %v, new group %v", h.topics(u.ID), h.topics(-3001), h.topics(-1003001))
	}
	if got := h.topics(-3001); len(got) != 0 {
		t.Errorf("old group id still subscribed: %v", got)
	}
}

// eventuallyOK polls cond (state in Redis, which tgtest's WaitUntil does
// not watch) until it holds or 20 s pass, and reports whether it did.
func eventuallyOK(cond func() bool) bool {
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}
