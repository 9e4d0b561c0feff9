// Package subscriptions is what a chat subscribes to: 公告, 提醒, 每日学习
// (party members, private chat) and each project's updates. It serves
// /subscribe (a keyboard of topics with the chat's state, toggled in
// place), /subscribe <topic>, /unsubscribe and /mysubs, deciding who may
// change a chat's subscriptions and wording every answer. It knows no
// channel: it takes the caller (communitybot.Caller) and what they typed
// and returns a communitybot.Reply or an error with a user-safe message.
//
// What a chat's end or move does to its subscriptions (blocked, removed,
// migrated) is outbound.ChatSubscriptions, the one ChatFate every send
// path shares.
package subscriptions

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"strings"

	"github.com/zhangmiao/communitybot"
)

// Store is what subscriptions need from storage (storage.Store).
type Store interface {
	Subscribe(ctx context.Context, chatID int64, t communitybot.Topic) (bool, error)
	Unsubscribe(ctx context.Context, chatID int64, t communitybot.Topic) (bool, error)
	SubscribedTopics(ctx context.Context, chatID int64, topics []communitybot.Topic) ([]communitybot.Topic, error)
	UnsubscribeAll(ctx context.Context, chatID int64, topics []communitybot.Topic) (int, error)
	Projects(ctx context.Context) ([]communitybot.Project, error)
}

// Roles looks up a user's role (storage.Store), for 每日学习.
type Roles interface {
	Role(ctx context.Context, userID int64) (communitybot.Role, error)
}

// ProjectResolver finds the project a resident means by name, alias or
// number (assistant.Assistant); errors wrapping ErrNotFound or ErrInvalid
// mean there is none.
type ProjectResolver interface {
	ResolveProject(ctx context.Context, ref string) (string, error)
}

// Prefix is the callback data prefix of the topic buttons ("sub:<topic>").
const Prefix = "sub"

// Service serves the subscription commands. It is safe for concurrent use.
type Service struct {
	store    Store
	roles    Roles
	projects ProjectResolver
	log      *slog.Logger
}

// New returns a Service. log may be nil.
func New(store Store, roles Roles, projects ProjectResolver, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: store, roles: roles, projects: projects, log: log}
}

// Asker is who reads or changes a chat's subscriptions: the caller, and
// in a group a way to ask whether they administer it (Telegram's
// getChatMember), called only when a change needs it. A nil ChatAdmin in
// a group refuses every change there.
type Asker struct {
	communitybot.Caller
	ChatAdmin func(ctx context.Context) (bool, error)
}

// request is one call's view of the asker, with the role looked up at
// most once.
type request struct {
	Asker
	s      *Service
	role   communitybot.Role
	looked bool
	err    error
}

func (s *Service) request(a Asker) *request {
	r := &request{Asker: a, s: s}
	if a.Role != "" {
		r.role, r.looked = a.Role, true
	}
	return r
}

func (r *request) userRole(ctx context.Context) (communitybot.Role, error) {
	if !r.looked {
		r.looked = true
		r.role, r.err = communitybot.RoleResident, nil
		if r.s.roles != nil {
			r.role, r.err = r.s.roles.Role(ctx, r.UserID)
		}
	}
	return r.role, r.err
}

// topicEntry is a topic with its label, as offered to a chat.
type topicEntry struct {
	topic communitybot.Topic
	label string
}

// catalog lists the topics this chat may subscribe to: the fixed topics
// (每日学习 only in a party member's private chat) and one per project.
func (r *request) catalog(ctx context.Context) []topicEntry {
	var out []topicEntry
	for _, t := range communitybot.FixedTopics {
		if t.MembersOnly() && !r.mayStudy(ctx) {
			continue
		}
		out = append(out, topicEntry{t, t.Label()})
	}
	projects, err := r.s.store.Projects(ctx)
	if err != nil {
		r.s.log.Warn("project topics unavailable", "err", err)
	}
	for _, p := range projects {
		out = append(out, topicEntry{communitybot.ProjectTopic(p.ID), p.Name})
	}
	return out
}

func (r *request) mayStudy(ctx context.Context) bool {
	if r.Group() {
		return false
	}
	role, err := r.userRole(ctx)
	return err == nil && role.Allows(communitybot.RoleMember)
}

// everyTopic is the catalog including 每日学习, so a chat can always leave
// a topic it holds even if it could no longer join it.
func (r *request) everyTopic(ctx context.Context) []topicEntry {
	entries := r.catalog(ctx)
	for _, e := range entries {
		if e.topic == communitybot.TopicStudy {
			return entries
		}
	}
	return append(entries, topicEntry{communitybot.TopicStudy, communitybot.TopicStudy.Label()})
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

const errUnknownTopic = "没有找到“%s”这个订阅内容。可以订阅：公告、提醒、每日学习（党员），或某个项目的进展（例如 电梯加装、架空线入地）。发送 /subscribe 可以直接点选。"

// resolveTopic reads a topic from what a user typed: 公告/announce,
// 提醒/remind, 每日学习/study, a project's name, alias or number, or
// project:<id>.
func (s *Service) resolveTopic(ctx context.Context, arg string) (communitybot.Topic, error) {
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

// errMembersOnly is what a resident who is not a party member is told
// about 每日学习 (the channel's refusal of a member command says the same).
var errMembersOnly = communitybot.Errorf(communitybot.ErrForbidden, "抱歉，这个功能仅面向已登记的党员。如需登记，请向所在党支部索取邀请码，然后发送 /join 邀请码。")

// mayChange checks that the user may change this chat's subscriptions to
// t: in a group only its administrators, and 每日学习 only for party
// members in a private chat.
func (r *request) mayChange(ctx context.Context, t communitybot.Topic) error {
	if r.Group() {
		admin := false
		if r.ChatAdmin != nil {
			var err error
			if admin, err = r.ChatAdmin(ctx); err != nil {
				return err
			}
		}
		if !admin {
			return communitybot.Errorf(communitybot.ErrForbidden, "在群聊中，只有群管理员可以更改本群的订阅。您可以在与我的私聊中为自己订阅。")
		}
	}
	if t.MembersOnly() {
		if r.Group() {
			return communitybot.Errorf(communitybot.ErrForbidden, "“每日学习”面向党员个人，请在与我的私聊中订阅。")
		}
		role, err := r.userRole(ctx)
		if err != nil {
			return fmt.Errorf("role of %d: %w: %w", r.UserID, communitybot.ErrTemporary, err)
		}
		if !role.Allows(communitybot.RoleMember) {
			return errMembersOnly
		}
	}
	return nil
}

func (r *request) who() string {
	if r.Group() {
		return "本群"
	}
	return "您"
}

// Subscribe answers /subscribe: alone, the keyboard of topics; with a
// topic, subscribes the chat to it.
func (s *Service) Subscribe(ctx context.Context, a Asker, args string) (communitybot.Reply, error) {
	r := s.request(a)
	if strings.TrimSpace(args) == "" {
		return r.menu(ctx)
	}
	t, err := s.resolveTopic(ctx, args)
	if err != nil {
		return communitybot.Reply{}, err
	}
	if err := r.mayChange(ctx, t); err != nil {
		return communitybot.Reply{}, err
	}
	isNew, err := s.store.Subscribe(ctx, a.ChatID, t)
	if err != nil {
		return communitybot.Reply{}, err
	}
	label := html.EscapeString(labelOf(r.catalog(ctx), t))
	if !isNew {
		return communitybot.Reply{Text: fmt.Sprintf("%s已经订阅了「%s」，无需重复订阅。发送 /mysubs 可查看全部订阅。", r.who(), label)}, nil
	}
	return communitybot.Reply{Text: fmt.Sprintf("✅ 已订阅「%s」。有新消息时我会发到这里。\n取消请发送 /unsubscribe %s", label, label)}, nil
}

// Unsubscribe answers /unsubscribe <topic> and /unsubscribe all.
func (s *Service) Unsubscribe(ctx context.Context, a Asker, args string) (communitybot.Reply, error) {
	r := s.request(a)
	arg := strings.TrimSpace(args)
	switch strings.ToLower(arg) {
	case "":
		return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrInvalid, "请写上要取消的订阅，例如：/unsubscribe 公告，或 /unsubscribe all 取消全部。也可以发送 /subscribe 点选切换。")
	case "all", "全部", "所有":
		if err := r.mayChange(ctx, ""); err != nil {
			return communitybot.Reply{}, err
		}
		n, err := s.store.UnsubscribeAll(ctx, a.ChatID, topicsOf(r.everyTopic(ctx)))
		if err != nil {
			return communitybot.Reply{}, err
		}
		if n == 0 {
			return communitybot.Reply{Text: r.who() + "目前没有任何订阅。发送 /subscribe 可以订阅。"}, nil
		}
		return communitybot.Reply{Text: fmt.Sprintf("已取消全部 %d 项订阅。以后想再收到消息，发送 /subscribe 即可。", n)}, nil
	}
	t, err := s.resolveTopic(ctx, arg)
	if errors.Is(err, communitybot.ErrNotFound) {
		return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrNotFound,
			"没有找到“%s”这个订阅内容。发送 /mysubs 查看您的订阅，再发送 /unsubscribe 加订阅名称取消（例如 /unsubscribe 公告），或发送 /unsubscribe all 全部取消。", truncate(arg, 30))
	}
	if err != nil {
		return communitybot.Reply{}, err
	}
	if err := r.mayChange(ctx, ""); err != nil { // leaving 每日学习 needs no membership
		return communitybot.Reply{}, err
	}
	was, err := s.store.Unsubscribe(ctx, a.ChatID, t)
	if err != nil {
		return communitybot.Reply{}, err
	}
	label := html.EscapeString(labelOf(r.everyTopic(ctx), t))
	if !was {
		return communitybot.Reply{Text: fmt.Sprintf("%s没有订阅「%s」。发送 /mysubs 可查看当前订阅。", r.who(), label)}, nil
	}
	return communitybot.Reply{Text: fmt.Sprintf("已取消订阅「%s」。", label)}, nil
}

// Mine answers /mysubs: the chat's subscriptions.
func (s *Service) Mine(ctx context.Context, a Asker) (communitybot.Reply, error) {
	r := s.request(a)
	entries := r.everyTopic(ctx)
	subs, err := s.store.SubscribedTopics(ctx, a.ChatID, topicsOf(entries))
	if err != nil {
		return communitybot.Reply{}, err
	}
	if len(subs) == 0 {
		return communitybot.Reply{Text: r.who() + "目前没有任何订阅。发送 /subscribe 可以选择订阅公告、提醒或项目进展。"}, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<b>%s当前的订阅</b>\n", r.who())
	for _, t := range subs {
		fmt.Fprintf(&b, "• %s\n", html.EscapeString(labelOf(entries, t)))
	}
	b.WriteString("\n发送 /subscribe 可以修改，/unsubscribe all 取消全部。")
	return communitybot.Reply{Text: b.String()}, nil
}

// menu renders the topic keyboard with the chat's current state: a press
// toggles one topic and redraws the keyboard in place.
func (r *request) menu(ctx context.Context) (communitybot.Reply, error) {
	entries := r.catalog(ctx)
	subs, err := r.s.store.SubscribedTopics(ctx, r.ChatID, topicsOf(entries))
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
		data := Prefix + ":" + string(e.topic)
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
	if r.mayStudy(ctx) {
		text += "\n• 每日学习：每天一条学习内容（党员）"
	}
	if r.Group() {
		text += "\n\n在群聊中，只有群管理员可以更改本群的订阅。"
	}
	return communitybot.Reply{Text: text, Buttons: rows}, nil
}

// ErrStaleButton answers topic button data that names no topic this chat
// is offered (forged, or from an old keyboard).
var ErrStaleButton = communitybot.Errorf(communitybot.ErrInvalid, "这个按钮已失效，请发送 /start 重新打开菜单。")

// Toggle handles a press on a topic button ("sub:<topic>", untrusted: the
// topic must be one this chat is offered, and the permission is checked
// again). It returns the keyboard as it now stands and a short notice of
// what changed.
func (s *Service) Toggle(ctx context.Context, a Asker, data string) (menu communitybot.Reply, notice string, err error) {
	prefix, arg, _ := strings.Cut(data, ":")
	t := communitybot.Topic(arg)
	r := s.request(a)
	entries := r.everyTopic(ctx)
	known := false
	for _, e := range entries {
		known = known || e.topic == t
	}
	if prefix != Prefix || !known {
		return communitybot.Reply{}, "", ErrStaleButton
	}
	subs, err := s.store.SubscribedTopics(ctx, a.ChatID, []communitybot.Topic{t})
	if err != nil {
		return communitybot.Reply{}, "", err
	}
	label := labelOf(entries, t)
	if len(subs) == 1 {
		if err := r.mayChange(ctx, ""); err != nil {
			return communitybot.Reply{}, "", err
		}
		if _, err := s.store.Unsubscribe(ctx, a.ChatID, t); err != nil {
			return communitybot.Reply{}, "", err
		}
		notice = "已取消订阅「" + label + "」"
	} else {
		if err := r.mayChange(ctx, t); err != nil {
			return communitybot.Reply{}, "", err
		}
		if _, err := s.store.Subscribe(ctx, a.ChatID, t); err != nil {
			return communitybot.Reply{}, "", err
		}
		notice = "已订阅「" + label + "」"
	}
	menu, err = r.menu(ctx)
	return menu, notice, err
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
