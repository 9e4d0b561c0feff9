package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/go-telegram/bot/models"

	"github.com/zhangmiao/communitybot"
)

// Request is one incoming message or button press, reduced to what
// handlers need, with the means to answer it. Handlers never see Telegram's
// update types.
type Request struct {
	UpdateID  int64
	ChatID    int64
	ChatType  string // "private", "group", "supergroup" or "channel"
	ChatTitle string
	UserID    int64
	Username  string // without @, may be empty
	FirstName string

	// Text is the message text; for a command, see Command and Args.
	Text string
	// Command is the command name without slash and bot name ("project" for
	// "/project@zhangmiao_bot 3"), empty for plain text.
	Command string
	// Args is the text after the command, trimmed.
	Args string
	// MessageID is the user's message, or for a button press the bot's
	// message that carried the button.
	MessageID int
	// ReplyTo is the message this one replies to, if any.
	ReplyTo *ReplyRef

	// CallbackID and Data are set for a button press.
	CallbackID string
	Data       string

	// Role is the user's role once the router has looked it up (for a
	// command or button that needs more than a resident), else empty.
	Role communitybot.Role

	sender   *Sender
	answered bool // the button press was answered
}

// ReplyRef describes the message a user replied to.
type ReplyRef struct {
	MessageID int
	FromBot   bool   // the replied-to message was sent by this bot
	Text      string // its text
	// The replied-to message's sender (0 when unknown), so an admin can
	// point at a user by replying to them.
	UserID    int64
	Username  string
	FirstName string
}

// IsGroup reports whether the request comes from a group chat.
func (r *Request) IsGroup() bool { return r.ChatType == "group" || r.ChatType == "supergroup" }

// IsCallback reports whether the request is a button press.
func (r *Request) IsCallback() bool { return r.CallbackID != "" }

// Reply sends a message to the request's chat. In groups it is sent as a
// reply to the user's message so the conversation stays readable.
func (r *Request) Reply(ctx context.Context, reply communitybot.Reply) error {
	o := SendOptions{}
	if r.IsGroup() && !r.IsCallback() {
		o.ReplyTo = r.MessageID
	}
	_, err := r.sender.Send(ctx, r.ChatID, reply, o)
	return err
}

// Edit replaces the message that carried the pressed button. For a plain
// message it sends a new one instead.
func (r *Request) Edit(ctx context.Context, reply communitybot.Reply) error {
	if !r.IsCallback() || r.MessageID == 0 {
		return r.Reply(ctx, reply)
	}
	return r.sender.Edit(ctx, r.ChatID, r.MessageID, reply)
}

// Toast answers the button press with a short notice (alert: a dialog the
// user must close). Every button press is answered once; the router answers
// silently for handlers that do not.
func (r *Request) Toast(ctx context.Context, text string, alert bool) error {
	if !r.IsCallback() || r.answered {
		return nil
	}
	r.answered = true
	return r.sender.AnswerCallback(ctx, r.CallbackID, text, alert)
}

// newRequest builds a Request from an update. It returns nil for updates
// the bot does not act on (channel posts, service messages, messages from
// other bots).
func newRequest(u *models.Update, botUsername string, s *Sender) *Request {
	switch {
	case u.Message != nil:
		m := u.Message
		if m.From == nil || m.From.IsBot {
			return nil
		}
		text := m.Text
		if text == "" {
			text = m.Caption
		}
		r := &Request{
			UpdateID: u.ID, ChatID: m.Chat.ID, ChatType: string(m.Chat.Type), ChatTitle: m.Chat.Title,
			UserID: m.From.ID, Username: m.From.Username, FirstName: m.From.FirstName,
			Text: text, MessageID: m.ID, sender: s,
		}
		if rt := m.ReplyToMessage; rt != nil {
			r.ReplyTo = &ReplyRef{MessageID: rt.ID, Text: rt.Text, FromBot: rt.From != nil && rt.From.IsBot && strings.EqualFold(rt.From.Username, botUsername)}
			if rt.From != nil && !rt.From.IsBot {
				r.ReplyTo.UserID, r.ReplyTo.Username, r.ReplyTo.FirstName = rt.From.ID, rt.From.Username, rt.From.FirstName
			}
		}
		r.Command, r.Args = parseCommand(text, botUsername)
		if r.Command == "" && !r.IsGroup() {
			// In a private chat every command is for us, whatever bot it
			// names (/help@other_bot pasted from elsewhere).
			r.Command, r.Args = parseCommand(text, commandBotName(text))
		}
		return r
	case u.CallbackQuery != nil:
		q := u.CallbackQuery
		r := &Request{
			UpdateID: u.ID, UserID: q.From.ID, Username: q.From.Username, FirstName: q.From.FirstName,
			CallbackID: q.ID, Data: q.Data, sender: s,
		}
		switch {
		case q.Message.Message != nil:
			r.ChatID, r.ChatType, r.ChatTitle, r.MessageID = q.Message.Message.Chat.ID, string(q.Message.Message.Chat.Type), q.Message.Message.Chat.Title, q.Message.Message.ID
		case q.Message.InaccessibleMessage != nil:
			r.ChatID, r.ChatType, r.MessageID = q.Message.InaccessibleMessage.Chat.ID, string(q.Message.InaccessibleMessage.Chat.Type), q.Message.InaccessibleMessage.MessageID
		default:
			r.ChatID, r.ChatType = q.From.ID, "private"
		}
		return r
	}
	return nil
}

// parseCommand splits "/name@bot args" into name and args. A command
// addressed to another bot (in a group with several bots) is not ours and
// yields no command. Names are matched case-insensitively; a full-width
// slash (／), which Chinese input methods produce, counts as a slash.
func parseCommand(text, botUsername string) (cmd, args string) {
	t := strings.TrimLeft(text, " \t\n\u3000")
	switch {
	case strings.HasPrefix(t, "/"):
		t = t[1:]
	case strings.HasPrefix(t, "／"):
		t = t[len("／"):]
	default:
		return "", ""
	}
	end := strings.IndexAny(t, " \t\n\u3000")
	if end < 0 {
		end = len(t)
	}
	name, rest := t[:end], t[end:]
	if at := strings.IndexByte(name, '@'); at >= 0 {
		if !strings.EqualFold(name[at+1:], botUsername) {
			return "", ""
		}
		name = name[:at]
	}
	if name == "" || !isCommandName(name) {
		return "", ""
	}
	return strings.ToLower(name), strings.TrimSpace(strings.Trim(rest, "\u3000"))
}

// commandBotName returns the bot name a command is addressed to
// ("/help@x_bot" → "x_bot"), or "".
func commandBotName(text string) string {
	t := strings.TrimLeft(text, " \t\n\u3000")
	end := strings.IndexAny(t, " \t\n\u3000")
	if end < 0 {
		end = len(t)
	}
	_, name, ok := strings.Cut(t[:end], "@")
	if !ok {
		return ""
	}
	return name
}

// isCommandName accepts what Telegram accepts in a bot command: ASCII
// letters, digits and underscores. "/ 你好" or "/😀" are treated as text.
func isCommandName(s string) bool {
	if len(s) > 32 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// IsChatAdmin reports whether the request's user administers its chat
// (always true in a private chat). It asks Telegram each time: admin
// rights change without the bot being told.
func (r *Request) IsChatAdmin(ctx context.Context) (bool, error) {
	if !r.IsGroup() {
		return true, nil
	}
	status, err := r.sender.ChatMemberStatus(ctx, r.ChatID, r.UserID)
	if err != nil && IsPermanent(err) {
		return false, nil // Telegram does not know the user there: not an admin
	}
	if err != nil {
		return false, fmt.Errorf("chat member %d in %d: %w: %w", r.UserID, r.ChatID, ErrTemporary, err)
	}
	return status == "creator" || status == "administrator", nil
}
