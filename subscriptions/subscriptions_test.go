package subscriptions_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/content"
	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/storage/storagetest"
	"github.com/zhangmiao/communitybot/subscriptions"
)

// projects resolves the content file's projects by id or name.
type projects []communitybot.Project

func (p projects) ResolveProject(_ context.Context, ref string) (string, error) {
	for _, pr := range p {
		if pr.ID == ref || pr.Name == ref {
			return pr.ID, nil
		}
	}
	return "", communitybot.Errorf(communitybot.ErrNotFound, "no project %q", ref)
}

func setup(t *testing.T) (*subscriptions.Service, *storage.Store) {
	t.Helper()
	store := storagetest.New(t)
	kb, err := content.Default()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.SeedProjects(context.Background(), kb.Projects); err != nil {
		t.Fatal(err)
	}
	return subscriptions.New(store, store, projects(kb.Projects), nil), store
}

func private(id int64) subscriptions.Asker {
	return subscriptions.Asker{Caller: communitybot.Caller{Actor: communitybot.Actor{UserID: id}, ChatID: id, Chat: communitybot.ChatPrivate}}
}

func userMessage(err error) string {
	msg, _ := communitybot.UserMessage(err)
	return msg
}

func topics(t *testing.T, store *storage.Store, chat int64) []communitybot.Topic {
	t.Helper()
	got, err := store.SubscribedTopics(context.Background(), chat, []communitybot.Topic{
		communitybot.TopicAnnouncements, communitybot.TopicReminders, communitybot.TopicStudy, communitybot.ProjectTopic("elevator")})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestSubscriptionsWithoutAChannel: the same decisions for any caller,
// from plain inputs: a web visitor's chat subscribes like a Telegram
// user's, and the two never share subscriptions.
func TestSubscriptionsWithoutAChannel(t *testing.T) {
	ctx := context.Background()
	svc, store := setup(t)
	tg, web := private(81001), private(communitybot.WebID(81001))

	reply, err := svc.Subscribe(ctx, web, "公告")
	if err != nil || !strings.Contains(reply.Text, "✅ 已订阅「公告」") {
		t.Fatalf("web /subscribe 公告 = %q, %v", reply.Text, err)
	}
	if got := topics(t, store, web.ChatID); len(got) != 1 || got[0] != communitybot.TopicAnnouncements {
		t.Errorf("web visitor's topics = %v", got)
	}
	if got := topics(t, store, tg.ChatID); len(got) != 0 {
		t.Errorf("the Telegram user with the same number got %v", got)
	}
	reply, err = svc.Subscribe(ctx, web, "公告")
	if err != nil || !strings.Contains(reply.Text, "您已经订阅了「公告」") {
		t.Errorf("again = %q, %v", reply.Text, err)
	}

	// 每日学习 is for party members only.
	if _, err := svc.Subscribe(ctx, tg, "每日学习"); !errors.Is(err, communitybot.ErrForbidden) {
		t.Errorf("resident subscribing to 每日学习: %v", err)
	}
	member := tg
	member.Role = communitybot.RoleMember
	if _, err := svc.Subscribe(ctx, member, "每日学习"); err != nil {
		t.Errorf("member subscribing to 每日学习: %v", err)
	}

	// In a group only its administrators change anything; the check is
	// asked only when a change needs it.
	asked := 0
	group := subscriptions.Asker{
		Caller:    communitybot.Caller{Actor: communitybot.Actor{UserID: 81002}, ChatID: -100555, Chat: communitybot.ChatGroup},
		ChatAdmin: func(context.Context) (bool, error) { asked++; return false, nil },
	}
	if _, err := svc.Subscribe(ctx, group, "提醒"); !strings.Contains(userMessage(err), "只有群管理员") {
		t.Errorf("group member subscribing: %v", err)
	}
	if reply, err := svc.Mine(ctx, group); err != nil || !strings.Contains(reply.Text, "本群目前没有任何订阅") || asked != 1 {
		t.Errorf("group /mysubs = %q, %v (admin check asked %d times)", reply.Text, err, asked)
	}

	// Buttons: forged data is stale; a press toggles and redraws.
	if _, _, err := svc.Toggle(ctx, web, "sub:project:nowhere"); !errors.Is(err, subscriptions.ErrStaleButton) {
		t.Errorf("forged topic: %v", err)
	}
	menu, notice, err := svc.Toggle(ctx, web, "sub:"+string(communitybot.ProjectTopic("elevator")))
	if err != nil || !strings.HasPrefix(notice, "已订阅") {
		t.Fatalf("toggle = %q, %v", notice, err)
	}
	if !strings.Contains(menu.Text, "订阅设置") || !hasButton(menu, "✅ 公告") {
		t.Errorf("redrawn menu = %+v", menu)
	}
	if reply, err := svc.Unsubscribe(ctx, web, "all"); err != nil || !strings.Contains(reply.Text, "已取消全部 2 项订阅") {
		t.Errorf("/unsubscribe all = %q, %v", reply.Text, err)
	}
}

func hasButton(r communitybot.Reply, text string) bool {
	for _, row := range r.Buttons {
		for _, b := range row {
			if b.Text == text {
				return true
			}
		}
	}
	return false
}
