package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"strings"
	"time"
	"unicode"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/assistant"
	"github.com/zhangmiao/communitybot/help"
	"github.com/zhangmiao/communitybot/staff"
	"github.com/zhangmiao/communitybot/storage"
)

// Who said a message.
const (
	fromMe    = "me"    // the visitor (a typed text, or a pressed chip)
	fromBot   = "bot"   // the assistant
	fromStaff = "staff" // a staff answer relayed from Telegram
)

// message is one stored message of a conversation (the log's payload).
type message struct {
	From    string                  `json:"f"`
	Text    string                  `json:"t,omitempty"` // me: as typed (plain); bot, staff: Reply HTML
	Press   bool                    `json:"p,omitempty"` // me: Text is a chip's label
	Buttons [][]communitybot.Button `json:"b,omitempty"`
	Edit    int64                   `json:"e,omitempty"` // replaces the message with this seq
	At      int64                   `json:"at"`          // Unix ms
}

func (m message) encode() []byte {
	b, _ := json.Marshal(m) // plain strings and ints: cannot fail
	return b
}

// input is one queued input (the queue's payload).
type input struct {
	Kind string `json:"k"`           // "text" or "press"
	Text string `json:"t,omitempty"` // text
	Data string `json:"d,omitempty"` // press: the chip's data (never trusted)
	On   int64  `json:"m,omitempty"` // press: the seq of the message the chip was on
}

const (
	kindText  = "text"
	kindPress = "press"
)

// errStale answers a chip whose data means nothing (any more).
var errStale = communitybot.Errorf(communitybot.ErrNotFound, "这个按钮已失效，请直接输入您的问题。")

// drain handles a visitor's queued inputs in order, if no one else is
// handling them now.
func (s *Server) drain(ctx context.Context, visitor int64) error {
	token := newToken()
	ok, err := s.store.WebLock(ctx, visitor, token, lockTTL)
	if err != nil || !ok {
		return err
	}
	released := false // the completion of the last input releases the lock
	defer func() {
		if released {
			return
		}
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if err := s.store.WebUnlock(uctx, visitor, token); err != nil {
			s.log.Warn("web: lock not released; it runs out by itself", "visitor", visitor, "err", err)
		}
	}()
	for ctx.Err() == nil {
		rec, ok, err := s.store.WebNextInput(ctx, visitor)
		if err != nil || !ok {
			return err
		}
		var in input
		var answers []message
		var after func()
		bctx, batch := storage.WithBatch(ctx)
		if err := json.Unmarshal(rec.Data, &in); err != nil {
			s.log.Error("web: unreadable input dropped", "visitor", visitor, "seq", rec.Seq, "err", err)
		} else {
			answers, after = s.handle(bctx, visitor, in)
		}
		payloads := make([][]byte, len(answers))
		for i, m := range answers {
			payloads[i] = m.encode()
		}
		_, left, err := s.store.WebComplete(ctx, batch, visitor, token, rec.Seq, payloads)
		if err != nil {
			if errors.Is(err, storage.ErrWebNotOwner) {
				return nil // someone else finished it (our lock ran out)
			}
			return err
		}
		if after != nil {
			after()
		}
		if left == 0 {
			released = true
			return nil
		}
	}
	return ctx.Err()
}

// handle answers one input. after, when set, runs once the answer is
// stored (a rating is reported to the staff chat only then).
func (s *Server) handle(ctx context.Context, visitor int64, in input) (answers []message, after func()) {
	id := communitybot.WebID(visitor)
	var reply communitybot.Reply
	var err error
	edit := int64(0)
	switch in.Kind {
	case kindText:
		if name, args, ok := parseCommand(in.Text); ok {
			reply, err = s.command(ctx, id, name, args)
		} else {
			var a assistant.Answer
			a, err = s.a.Ask(ctx, id, id, in.Text)
			reply = a.Reply
		}
	case kindPress:
		var rated *rating
		reply, rated, err = s.press(ctx, id, in.Data)
		if rated != nil && err == nil {
			edit = in.On
			after = func() { s.reportRating(ctx, *rated) }
		}
	default:
		err = errStale
	}
	now := s.cfg.Now().UnixMilli()
	if err != nil {
		return []message{s.errorMessage(visitor, err, now)}, nil
	}
	if reply.Text == "" {
		return nil, after
	}
	m := message{From: fromBot, Text: reply.Text, Buttons: reply.Buttons, At: now, Edit: edit}
	if edit != 0 {
		m.From = fromStaff
	}
	return []message{m}, after
}

func (s *Server) errorMessage(visitor int64, err error, now int64) message {
	text := "抱歉，系统暂时出了点问题，请稍后再试一次。"
	if msg, ok := communitybot.UserMessage(err); ok {
		text = html.EscapeString(msg)
	} else {
		s.log.Error("web: input not answered", "visitor", visitor, "err", err)
	}
	return message{From: fromBot, Text: text, At: now}
}

type rating struct {
	no int64
	r  communitybot.Rating
}

func (s *Server) reportRating(ctx context.Context, r rating) {
	s.bg.Go(func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		s.desk.ReportRating(rctx, r.no, r.r)
	})
}

// press answers a chip. Its data is never trusted: every id in it is
// looked up again, and a rating is accepted from the asker only, once
// (the desk checks).
func (s *Server) press(ctx context.Context, id int64, data string) (communitybot.Reply, *rating, error) {
	prefix, arg, _ := strings.Cut(data, ":")
	switch prefix {
	case "t":
		r, err := s.a.Topic(ctx, id, id, arg)
		return r, nil, err
	case "p", "h":
		r, err := s.a.Project(ctx, id, id, arg)
		return r, nil, err
	case "m":
		if arg != "projects" {
			return communitybot.Reply{}, nil, errStale
		}
		r, err := s.a.ProjectList(ctx)
		return r, nil, err
	case staff.RatePrefix: // rate:<no>:g|b
		no, r, ok := staff.ParseRating(data)
		if !ok {
			return communitybot.Reply{}, nil, errStale
		}
		reply, err := s.desk.Rate(ctx, id, no, r)
		if err != nil {
			return communitybot.Reply{}, nil, err
		}
		return reply, &rating{no, r}, nil
	}
	return communitybot.Reply{}, nil, communitybot.Errorf(communitybot.ErrNotFound,
		"这个功能需要在 Telegram 中使用。网页版可以直接提问，也可以查看「公告」和「项目」。")
}

// parseCommand splits "/project 4" into "project" and "4"; "/help@bot"
// is "help".
func parseCommand(text string) (name, args string, ok bool) {
	text = strings.TrimSpace(text)
	if !strings.HasPrefix(text, "/") && !strings.HasPrefix(text, "／") {
		return "", "", false
	}
	text = strings.TrimPrefix(strings.TrimPrefix(text, "/"), "／")
	name, args = text, ""
	if i := strings.IndexFunc(text, unicode.IsSpace); i >= 0 {
		name, args = text[:i], strings.TrimSpace(text[i:])
	}
	name, _, _ = strings.Cut(name, "@")
	name = strings.ToLower(name)
	if name == "" {
		return "", "", false
	}
	return name, args, true
}

// webCommands are the commands that work on the page, for /help.
var webCommands = []help.Command{
	{Name: "start", Description: "开始使用，查看可以问什么"},
	{Name: "help", Description: "使用帮助和全部命令"},
	{Name: "goals", Description: "“比学赶超”活动目标一览"},
	{Name: "projects", Description: "民心工程和项目进展一览"},
	{Name: "project", Description: "查看某个项目：/project 名称或编号"},
	{Name: "ticket", Description: "查看我转交工作人员的问题：/ticket 编号"},
	{Name: "ask", Description: "直接请工作人员答复：/ask 您的问题"},
}

func (s *Server) command(ctx context.Context, id int64, name, args string) (communitybot.Reply, error) {
	switch name {
	case "start":
		return s.a.Welcome(""), nil
	case "help":
		return s.a.Help(help.List(webCommands) + "\n\n页面上方的「公告」和「项目」可以查看街道公告、提醒和各项目的最新进展。订阅推送、党员学习和管理功能请在 Telegram 中使用。"), nil
	case "goals":
		return s.a.Goals(ctx, id, id)
	case "projects":
		return s.a.ProjectList(ctx)
	case "project":
		pid, err := s.a.ResolveProject(ctx, args)
		if err != nil {
			return communitybot.Reply{}, err
		}
		return s.a.Project(ctx, id, id, pid)
	case "ticket":
		return s.desk.MyTicket(ctx, id, false, args)
	case "ask":
		return s.desk.Ask(ctx, id, id, args)
	}
	shown := html.EscapeString(truncate(name, 32))
	if s.cfg.TelegramCommand != nil {
		if role, ok := s.cfg.TelegramCommand(name); ok {
			switch role {
			case communitybot.RoleAdmin:
				return communitybot.Reply{Text: fmt.Sprintf("/%s 是街道管理员的命令，请在 Telegram 中使用。网页版只提供居民问答、公告和项目进展。", shown)}, nil
			case communitybot.RoleMember:
				return communitybot.Reply{Text: fmt.Sprintf("/%s 是党员学习功能，请在 Telegram 中使用张庙街道社区助手。", shown)}, nil
			}
			return communitybot.Reply{Text: fmt.Sprintf("/%s 需要在 Telegram 中使用（订阅推送等）。在网页版，您可以随时打开上方的「公告」查看全部公告和提醒，打开「项目」查看项目进展。", shown)}, nil
		}
	}
	return communitybot.Reply{Text: fmt.Sprintf("没有 /%s 这个命令。您可以直接输入问题，或发送 /help 查看网页版可以使用的命令。", shown)}, nil
}

func truncate(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos] + "…"
		}
		i++
	}
	return s
}
