package bot

import (
	"context"
	"errors"
	"fmt"
	"html"
	"strings"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/outbound"
)

// SubscriptionStore is what the subscription commands need from storage.
type SubscriptionStore interface {
	Subscribe(ctx context.Context, chatID int64, t communitybot.Topic) (bool, error)
	Unsubscribe(ctx context.Context, chatID int64, t communitybot.Topic) (bool, error)
	SubscribedTopics(ctx context.Context, chatID int64, topics []communitybot.Topic) ([]communitybot.Topic, error)
	UnsubscribeAll(ctx context.Context, chatID int64, topics []communitybot.Topic) (int, error)
	MoveSubscriptions(ctx context.Context, oldID, newID int64, topics []communitybot.Topic) error
	Projects(ctx context.Context) ([]communitybot.Project, error)
	// AllTopics lists the fixed topics and one per project.
	AllTopics(ctx context.Context) ([]communitybot.Topic, error)
}

// ProjectResolver finds the project a resident means by name, alias or
// number (assistant.Assistant).
type ProjectResolver interface {
	ResolveProject(ctx context.Context, ref string) (string, error)
}

// subscriptions serves /subscribe, /unsubscribe, /mysubs, the topic
// buttons and the chat events that end or move a chat's subscriptions.
type subscriptions struct {
	rt       *Router
	store    SubscriptionStore
	projects ProjectResolver
	fate     outbound.ChatFate // the same handler the Sender's policy uses
}

// topicEntry is a topic with its label, as offered to a chat.
type topicEntry struct {
	topic communitybot.Topic
	label string
}

// RegisterSubscriptions registers the subscription commands and buttons,
// and unsubscribes chats that block or remove the bot.
func RegisterSubscriptions(rt *Router, st SubscriptionStore, projects ProjectResolver) {
	s := &subscriptions{rt: rt, store: st, projects: projects, fate: outbound.NewChatSubscriptions(st, rt.log)}
	rt.Command(Command{Name: "subscribe", Description: "订阅公告、提醒或项目进展", Handle: s.subscribe})
	rt.Command(Command{Name: "unsubscribe", Description: "取消订阅：/unsubscribe 内容 或 all", Handle: s.unsubscribe})
	rt.Command(Command{Name: "mysubs", Description: "查看当前的订阅", Handle: s.mySubs})
	rt.Callback("sub", communitybot.RoleResident, s.toggle) // sub:<topic>
	rt.OnChatEvent(s.chatEvent)
}

// catalog lists the topics this chat may subscribe to: the fixed topics
// (每日学习 only in a party member's private chat) and one per project.
func (s *subscriptions) catalog(ctx context.Context, r *Request) []topicEntry {
	var out []topicEntry
	for _, t := range communitybot.FixedTopics {
		if t.MembersOnly() && !s.mayStudy(ctx, r) {
			continue
		}
		out = append(out, topicEntry{t, t.Label()})
	}
	projects, err := s.store.Projects(ctx)
	if err != nil {
		s.rt.log.Warn("project topics unavailable", "err", err)
	}
	for _, p := range projects {
		out = append(out, topicEntry{communitybot.ProjectTopic(p.ID), p.Name})
	}
	return out
}

func (s *subscriptions) mayStudy(ctx context.Context, r *Request) bool {
	if r.IsGroup() {
		return false
	}
	role, err := s.rt.UserRole(ctx, r)
	return err == nil && role.Allows(communitybot.RoleMember)
}

func topicsOf(entries []topicEntry) []communitybot.Topic {
	out := make([]communitybot.Topic, len(entries))
	for i, e := range entries {
		out[i] = e.topic
	}
	return out
}

func labelOf(entries []topicEntry, t communitybot.Topic) string {
	for _, e := range entries {
		if e.topic == t {
			return e.label
		}
	}
	return t.Label()
}

var errUnknownTopic = "没有找到“%s”这个订阅内容。可以订阅：公告、提醒、每日学习（党员），或某个项目的进展（例如 电梯加装、架空线入地）。发送 /subscribe 可以直接点选。"

// resolveTopic reads a topic from what a user typed: 公告/announce,
// 提醒/remind, 每日学习/study, a project's name, alias or number, or
// project:<id>.
func (s *subscriptions) resolveTopic(ctx context.Context, arg string) (communitybot.Topic, error) {
	arg = strings.TrimSpace(arg)
	if t, ok := communitybot.ParseFixedTopic(arg); ok {
		return t, nil
	}
	ref := arg
	if id, ok := communitybot.Topic(arg).ProjectID(); ok {
		ref = id
	}
	id, err := s.projects.ResolveProject(ctx, ref)
	if err != nil {
		if errors.Is(err, communitybot.ErrNotFound) || errors.Is(err, communitybot.ErrInvalid) {
			return "", communitybot.Errorf(communitybot.ErrNotFound, errUnknownTopic, truncate(arg, 30))
		}
		return "", err
	}
	return communitybot.ProjectTopic(id), nil
}

// mayChange checks that the user may change this chat's subscriptions to
// t: in a group only its administrators, and 每日学习 only for party
// members in a private chat.
func (s *subscriptions) mayChange(ctx context.Context, r *Request, t communitybot.Topic) error {
	if r.IsGroup() {
		admin, err := r.IsChatAdmin(ctx)
		if err != nil {
			return err
		}
		if !admin {
			return communitybot.Errorf(communitybot.ErrForbidden, "在群聊中，只有群管理员可以更改本群的订阅。您可以在与我的私聊中为自己订阅。")
		}
	}
	if t.MembersOnly() {
		if r.IsGroup() {
			return communitybot.Errorf(communitybot.ErrForbidden, "“每日学习”面向党员个人，请在与我的私聊中订阅。")
		}
		role, err := s.rt.UserRole(ctx, r)
		if err != nil {
			return fmt.Errorf("role of %d: %w: %w", r.UserID, ErrTemporary, err)
		}
		if !role.Allows(communitybot.RoleMember) {
			return forbidden(communitybot.RoleMember)
		}
	}
	return nil
}

func (s *subscriptions) subscribe(ctx context.Context, r *Request) error {
	if r.Args == "" {
		reply, err := s.menu(ctx, r)
		if err != nil {
			return err
		}
		return r.Reply(ctx, reply)
	}
	t, err := s.resolveTopic(ctx, r.Args)
	if err != nil {
		return err
	}
	if err := s.mayChange(ctx, r, t); err != nil {
		return err
	}
	isNew, err := s.store.Subscribe(ctx, r.ChatID, t)
	if err != nil {
		return err
	}
	label := html.EscapeString(labelOf(s.catalog(ctx, r), t))
	if !isNew {
		return r.Reply(ctx, communitybot.Reply{Text: fmt.Sprintf("%s已经订阅了「%s」，无需重复订阅。发送 /mysubs 可查看全部订阅。", s.who(r), label)})
	}
	return r.Reply(ctx, communitybot.Reply{Text: fmt.Sprintf("✅ 已订阅「%s」。有新消息时我会发到这里。\n取消请发送 /unsubscribe %s", label, label)})
}

func (s *subscriptions) unsubscribe(ctx context.Context, r *Request) error {
	arg := strings.TrimSpace(r.Args)
	switch strings.ToLower(arg) {
	case "":
		return communitybot.Errorf(communitybot.ErrInvalid, "请写上要取消的订阅，例如：/unsubscribe 公告，或 /unsubscribe all 取消全部。也可以发送 /subscribe 点选切换。")
	case "all", "全部", "所有":
		if err := s.mayChange(ctx, r, ""); err != nil {
			return err
		}
		n, err := s.store.UnsubscribeAll(ctx, r.ChatID, topicsOf(s.everyTopic(ctx, r)))
		if err != nil {
			return err
		}
		if n == 0 {
			return r.Reply(ctx, communitybot.Reply{Text: s.who(r) + "目前没有任何订阅。发送 /subscribe 可以订阅。"})
		}
		return r.Reply(ctx, communitybot.Reply{Text: fmt.Sprintf("已取消全部 %d 项订阅。以后想再收到消息，发送 /subscribe 即可。", n)})
	}
	t, err := s.resolveTopic(ctx, arg)
	if errors.Is(err, communitybot.ErrNotFound) {
		return communitybot.Errorf(communitybot.ErrNotFound,
			"没有找到“%s”这个订阅内容。发送 /mysubs 查看您的订阅，再发送 /unsubscribe 加订阅名称取消（例如 /unsubscribe 公告），或发送 /unsubscribe all 全部取消。", truncate(arg, 30))
	}
	if err != nil {
		return err
	}
	if err := s.mayChange(ctx, r, ""); err != nil { // leaving 每日学习 needs no membership
		return err
	}
	was, err := s.store.Unsubscribe(ctx, r.ChatID, t)
	if err != nil {
		return err
	}
	label := html.EscapeString(labelOf(s.everyTopic(ctx, r), t))
	if !was {
		return r.Reply(ctx, communitybot.Reply{Text: fmt.Sprintf("%s没有订阅「%s」。发送 /mysubs 可查看当前订阅。", s.who(r), label)})
	}
	return r.Reply(ctx, communitybot.Reply{Text: fmt.Sprintf("已取消订阅「%s」。", label)})
}

// everyTopic is the catalog including 每日学习, so a chat can always leave
// a topic it holds even if it could no longer join it.
func (s *subscriptions) everyTopic(ctx context.Context, r *Request) []topicEntry {
	entries := s.catalog(ctx, r)
	for _, e := range entries {
		if e.topic == communitybot.TopicStudy {
			return entries
		}
	}
	return append(entries, topicEntry{communitybot.TopicStudy, communitybot.TopicStudy.Label()})
}

func (s *subscriptions) mySubs(ctx context.Context, r *Request) error {
	entries := s.everyTopic(ctx, r)
	subs, err := s.store.SubscribedTopics(ctx, r.ChatID, topicsOf(entries))
	if err != nil {
		return err
	}
	if len(subs) == 0 {
		return r.Reply(ctx, communitybot.Reply{Text: s.who(r) + "目前没有任何订阅。发送 /subscribe 可以选择订阅公告、提醒或项目进展。"})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<b>%s当前的订阅</b>\n", s.who(r))
	for _, t := range subs {
		fmt.Fprintf(&b, "• %s\n", html.EscapeString(labelOf(entries, t)))
	}
	b.WriteString("\n发送 /subscribe 可以修改，/unsubscribe all 取消全部。")
	return r.Reply(ctx, communitybot.Reply{Text: b.String()})
}

func (s *subscriptions) who(r *Request) string {
	if r.IsGroup() {
		return "本群"
	}
	return "您"
}

// menu renders the topic keyboard with the chat's current state: a press
// toggles one topic and redraws the keyboard in place.
func (s *subscriptions) menu(ctx context.Context, r *Request) (communitybot.Reply, error) {
	entries := s.catalog(ctx, r)
	subs, err := s.store.SubscribedTopics(ctx, r.ChatID, topicsOf(entries))
	if err != nil {
		return communitybot.Reply{}, err
	}
	on := map[communitybot.Topic]bool{}
	for _, t := range subs {
		on[t] = true
	}
	var rows [][]communitybot.Button
	var row []communitybot.Button
	for _, e := range entries {
		mark := "⬜ "
		if on[e.topic] {
			mark = "✅ "
		}
		data := "sub:" + string(e.topic)
		if len(data) > 64 {
			continue // cannot be a button; /subscribe <name> still works
		}
		row = append(row, communitybot.Button{Text: mark + e.label, Data: data})
		if len(row) == 2 {
			rows = append(rows, row)
			row = nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	text := "<b>订阅设置</b>\n点按下方按钮即可订阅或取消（✅ 表示已订阅）：\n• 公告：街道的重要通知\n• 提醒：活动和事项提醒\n• 项目：该项目有进展时通知"
	if s.mayStudy(ctx, r) {
		text += "\n• 每日学习：每天一条学习内容（党员）"
	}
	if r.IsGroup() {
		text += "\n\n在群聊中，只有群管理员可以更改本群的订阅。"
	}
	return communitybot.Reply{Text: text, Buttons: rows}, nil
}

// toggle handles a press on a topic button. The data is untrusted: the
// topic must be one this chat is offered, and the permission is checked
// again.
func (s *subscriptions) toggle(ctx context.Context, r *Request) error {
	t := communitybot.Topic(callbackArg(r.Data))
	entries := s.everyTopic(ctx, r)
	known := false
	for _, e := range entries {
		known = known || e.topic == t
	}
	if !known {
		return errStaleButton
	}
	subs, err := s.store.SubscribedTopics(ctx, r.ChatID, []communitybot.Topic{t})
	if err != nil {
		return err
	}
	var toast string
	label := labelOf(entries, t)
	if len(subs) == 1 {
		if err := s.mayChange(ctx, r, ""); err != nil {
			return err
		}
		if _, err := s.store.Unsubscribe(ctx, r.ChatID, t); err != nil {
			return err
		}
		toast = "已取消订阅「" + label + "」"
	} else {
		if err := s.mayChange(ctx, r, t); err != nil {
			return err
		}
		if _, err := s.store.Subscribe(ctx, r.ChatID, t); err != nil {
			return err
		}
		toast = "已订阅「" + label + "」"
	}
	_ = r.Toast(ctx, toast, false)
	reply, err := s.menu(ctx, r)
	if err != nil {
		return err
	}
	return r.Edit(ctx, reply)
}

// chatEvent ends a chat's subscriptions when it blocks or removes the bot,
// and moves them when a group becomes a supergroup: Telegram's notice
// goes through the same ChatFate as a 403 or a migration met while
// sending.
func (s *subscriptions) chatEvent(ctx context.Context, ev ChatEvent) error {
	var err error
	switch ev.Kind {
	case ChatGone:
		err = s.fate.Gone(ctx, ev.ChatID)
	case ChatMigrated:
		err = s.fate.Moved(ctx, ev.ChatID, ev.NewChatID)
	}
	if err != nil {
		return fmt.Errorf("chat event: %w: %w", ErrTemporary, err)
	}
	return nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
