package tgtest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"
)

// Chat types, as in models.Chat.Type.
const (
	ChatPrivate    = "private"
	ChatGroup      = "group"
	ChatSupergroup = "supergroup"
)

// User is a Telegram user played by a test or by the person at the console.
type User struct {
	ID           int64
	FirstName    string // defaults to "User<ID>"
	Username     string // without '@'; optional
	LanguageCode string // IETF tag, e.g. "zh-hans"; optional
}

// Model returns the user as a models.User.
func (u User) Model() models.User {
	first := u.FirstName
	if first == "" {
		first = "User" + strconv.FormatInt(u.ID, 10)
	}
	return models.User{ID: u.ID, FirstName: first, Username: u.Username, LanguageCode: u.LanguageCode}
}

// Chat is a chat the test plays in. Private chats have the user's id;
// groups have negative ids, supergroups by convention -100…
type Chat struct {
	ID    int64
	Type  string // ChatPrivate, ChatGroup or ChatSupergroup
	Title string // groups only
}

// PrivateChat returns the private chat between u and the bot.
func PrivateChat(u User) Chat { return Chat{ID: u.ID, Type: ChatPrivate} }

// GroupChat returns a basic group. id should be negative.
func GroupChat(id int64, title string) Chat { return Chat{ID: id, Type: ChatGroup, Title: title} }

// SupergroupChat returns a supergroup. id should be negative, conventionally
// -100 followed by digits (e.g. -1001234567890).
func SupergroupChat(id int64, title string) Chat {
	return Chat{ID: id, Type: ChatSupergroup, Title: title}
}

// chatState is everything the server knows about one chat.
type chatState struct {
	chat       models.Chat
	nextMsgID  int
	msgs       map[int]*storedMessage
	blocked    bool
	migratedTo int64
	admins     []int64
	members    map[int64]bool
	delivered  int
}

// storedMessage is a message in a chat, from the bot or from a user.
type storedMessage struct {
	msg           models.Message // as the Bot API returns it now
	fromBot       bool
	rawText       string
	parseMode     string
	edits         int
	deleted       bool
	replyKeyboard *models.ReplyKeyboardMarkup
	removeKb      bool
}

// Message is a message the bot sent, as observed by the test: its current
// state after any edits.
type Message struct {
	ChatID           int64
	MessageID        int
	Text             string // the text as the bot sent it (latest edit), markup included
	PlainText        string // the text a user sees: HTML removed and unescaped, trimmed
	ParseMode        string // "", "HTML", "MarkdownV2" or "Markdown"
	Entities         []models.MessageEntity
	ReplyMarkup      *models.InlineKeyboardMarkup // inline keyboard, nil if none
	ReplyKeyboard    *models.ReplyKeyboardMarkup  // custom reply keyboard sent with the message, if any
	RemoveKeyboard   bool                         // the message carried ReplyKeyboardRemove
	Edits            int                          // successful editMessageText/editMessageReplyMarkup calls
	ReplyToMessageID int                          // the message replied to, 0 if none
	MessageThreadID  int
	Deleted          bool // deleted by deleteMessage
	Date             time.Time
	Model            models.Message // the message as the Bot API would return it now
}

// Buttons returns the message's inline keyboard buttons, row by row.
func (m Message) Buttons() []models.InlineKeyboardButton {
	if m.ReplyMarkup == nil {
		return nil
	}
	var out []models.InlineKeyboardButton
	for _, row := range m.ReplyMarkup.InlineKeyboard {
		out = append(out, row...)
	}
	return out
}

// Button returns the first inline button whose text is text.
func (m Message) Button(text string) (models.InlineKeyboardButton, bool) {
	for _, b := range m.Buttons() {
		if b.Text == text {
			return b, true
		}
	}
	return models.InlineKeyboardButton{}, false
}

// snapshot copies a stored message for the test side, deep enough that the
// caller cannot reach the server's state.
func (sm *storedMessage) snapshot() Message {
	m := Message{
		ChatID:         sm.msg.Chat.ID,
		MessageID:      sm.msg.ID,
		Text:           sm.rawText,
		PlainText:      sm.msg.Text,
		ParseMode:      sm.parseMode,
		Entities:       slices.Clone(sm.msg.Entities),
		Edits:          sm.edits,
		Deleted:        sm.deleted,
		Date:           time.Unix(int64(sm.msg.Date), 0),
		RemoveKeyboard: sm.removeKb,
		Model:          cloneMessage(sm.msg),
	}
	if sm.msg.ReplyToMessage != nil {
		m.ReplyToMessageID = sm.msg.ReplyToMessage.ID
	}
	m.MessageThreadID = sm.msg.MessageThreadID
	m.ReplyMarkup = m.Model.ReplyMarkup
	if sm.replyKeyboard != nil {
		var kb models.ReplyKeyboardMarkup
		data, _ := json.Marshal(sm.replyKeyboard)
		_ = json.Unmarshal(data, &kb)
		m.ReplyKeyboard = &kb
	}
	return m
}

// cloneMessage deep-copies a message through its JSON form, the form the
// client would see anyway.
func cloneMessage(m models.Message) models.Message {
	data, err := json.Marshal(&m)
	if err != nil {
		return m
	}
	var out models.Message
	if err := json.Unmarshal(data, &out); err != nil {
		return m
	}
	return out
}

// ensureChatLocked returns the chat with this id, creating it if needed.
// A positive id is a private chat; a negative one a group, or a supergroup
// for -100… ids.
func (s *Server) ensureChatLocked(id int64) *chatState {
	if c, ok := s.chats[id]; ok {
		return c
	}
	typ := ChatPrivate
	switch {
	case id <= -1000000000000:
		typ = ChatSupergroup
	case id < 0:
		typ = ChatGroup
	}
	c := &chatState{
		chat:      models.Chat{ID: id, Type: models.ChatType(typ)},
		nextMsgID: 1,
		msgs:      map[int]*storedMessage{},
		members:   map[int64]bool{},
	}
	if typ == ChatPrivate {
		if u, ok := s.users[id]; ok {
			c.chat.FirstName, c.chat.LastName, c.chat.Username = u.FirstName, u.LastName, u.Username
		} else {
			c.chat.FirstName = "User" + strconv.FormatInt(id, 10)
		}
		c.members[id] = true
	} else {
		c.chat.Title = "Group " + strconv.FormatInt(-id, 10)
	}
	s.chats[id] = c
	return c
}

// registerLocked records a user and a chat the test plays in, updating the
// chat's type and title from chat.
func (s *Server) registerLocked(chat Chat, from User) (*chatState, models.User) {
	u := from.Model()
	s.users[u.ID] = u
	c := s.ensureChatLocked(chat.ID)
	if chat.Type != "" {
		c.chat.Type = models.ChatType(chat.Type)
	}
	if c.chat.Type == ChatPrivate {
		if chat.ID == u.ID {
			c.chat.FirstName, c.chat.Username = u.FirstName, u.Username
		}
		c.chat.Title = ""
	} else if chat.Title != "" {
		c.chat.Title = chat.Title
	}
	c.members[u.ID] = true
	return c, u
}

// chatByIDLocked resolves a chat_id parameter: a number or "@username".
// autoCreate creates unknown numeric chats, as a send to a new user would
// succeed on Telegram.
func (s *Server) chatByIDLocked(p params, autoCreate bool) (*chatState, *apiError) {
	if !p.has("chat_id") || strings.TrimSpace(p.str("chat_id")) == "" {
		return nil, badRequest("chat_id is empty")
	}
	raw := strings.TrimSpace(p.str("chat_id"))
	if name, ok := strings.CutPrefix(raw, "@"); ok {
		for _, c := range s.chats {
			if strings.EqualFold(c.chat.Username, name) {
				return c, nil
			}
		}
		return nil, badRequest("chat not found")
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id == 0 {
		return nil, badRequest("chat not found")
	}
	c, ok := s.chats[id]
	if !ok {
		if !autoCreate {
			return nil, badRequest("chat not found")
		}
		c = s.ensureChatLocked(id)
	}
	return c, nil
}

// writableLocked returns the error Telegram gives for sending to or
// editing in the chat, if any: a migrated group or a bot that was blocked
// or removed.
func (c *chatState) writableLocked() *apiError {
	if c.migratedTo != 0 {
		e := badRequest("group chat was upgraded to a supergroup chat")
		e.MigrateTo = c.migratedTo
		return e
	}
	if c.blocked {
		switch string(c.chat.Type) {
		case ChatPrivate:
			return forbidden("bot was blocked by the user")
		case ChatGroup:
			return forbidden("bot was kicked from the group chat")
		case ChatSupergroup:
			return forbidden("bot was kicked from the supergroup chat")
		default:
			return forbidden("bot is not a member of the channel chat")
		}
	}
	return nil
}

// SetBlocked marks a chat as one where the bot can no longer send: a user
// who blocked the bot (403 "Forbidden: bot was blocked by the user") or a
// group that removed it (403 "Forbidden: bot was kicked from the … chat").
// The chat is created if unknown. SetBlocked(id, false) undoes it.
func (s *Server) SetBlocked(chatID int64, blocked bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensureChatLocked(chatID).blocked = blocked
}

// Migrate upgrades group oldID to supergroup newID, as Telegram does when a
// group gains certain features: from then on, sends to oldID fail with 400
// "Bad Request: group chat was upgraded to a supergroup chat" and
// parameters.migrate_to_chat_id = newID (go-telegram/bot returns a
// *bot.MigrateError), while newID works and keeps the title, members and
// administrators.
func (s *Server) Migrate(oldID, newID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.ensureChatLocked(oldID)
	if old.chat.Type == ChatPrivate {
		old.chat.Type = ChatGroup
	}
	old.migratedTo = newID
	nc := s.ensureChatLocked(newID)
	nc.chat.Type = ChatSupergroup
	nc.chat.Title = old.chat.Title
	nc.migratedTo = 0
	for id := range old.members {
		nc.members[id] = true
	}
	nc.admins = slices.Clone(old.admins)
}

// SetChatAdmins sets the administrators of a chat, as getChatAdministrators
// and getChatMember report them. The chat is created if unknown; the users
// become members. Users never introduced by a message get a default name.
func (s *Server) SetChatAdmins(chatID int64, userIDs ...int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.ensureChatLocked(chatID)
	c.admins = slices.Clone(userIDs)
	for _, id := range userIDs {
		c.members[id] = true
		if _, ok := s.users[id]; !ok {
			s.users[id] = User{ID: id}.Model()
		}
	}
}

// AddUser introduces a user to the server without a message, e.g. so that
// getChatMember can find them or a private chat shows their name.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := u.Model()
	s.users[u.ID] = m
	if c, ok := s.chats[u.ID]; ok && c.chat.Type == ChatPrivate {
		c.chat.FirstName, c.chat.Username = m.FirstName, m.Username
	}
}

// chatMemberJSON builds a ChatMember object for user in chat c.
func (s *Server) chatMemberJSON(c *chatState, u models.User) map[string]any {
	if slices.Contains(c.admins, u.ID) {
		return map[string]any{
			"status":                 "administrator",
			"user":                   u,
			"can_be_edited":          false,
			"is_anonymous":           false,
			"can_manage_chat":        true,
			"can_delete_messages":    true,
			"can_manage_video_chats": true,
			"can_restrict_members":   true,
			"can_promote_members":    false,
			"can_change_info":        true,
			"can_invite_users":       true,
			"can_pin_messages":       true,
			"can_post_stories":       false,
			"can_edit_stories":       false,
			"can_delete_stories":     false,
		}
	}
	if c.members[u.ID] || u.ID == s.bot.ID {
		return map[string]any{"status": "member", "user": u}
	}
	return map[string]any{"status": "left", "user": u}
}

// getChat returns the chat's full info.
func getChat(s *Server, _ ctxT, p params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, aerr := s.chatByIDLocked(p, false)
	if aerr != nil {
		return nil, aerr
	}
	info := map[string]any{
		"id":                 c.chat.ID,
		"type":               c.chat.Type,
		"accent_color_id":    0,
		"max_reaction_count": 11,
		"accepted_gift_types": map[string]bool{
			"unlimited_gifts": true, "limited_gifts": true, "unique_gifts": true, "premium_subscription": true,
		},
	}
	if c.chat.Type == ChatPrivate {
		info["first_name"] = c.chat.FirstName
		if c.chat.Username != "" {
			info["username"] = c.chat.Username
		}
	} else {
		info["title"] = c.chat.Title
	}
	return info, nil
}

// getChatMember reports one user's membership.
func getChatMember(s *Server, _ ctxT, p params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, aerr := s.chatByIDLocked(p, false)
	if aerr != nil {
		return nil, aerr
	}
	uid, ok, aerr := p.int64("user_id")
	if aerr != nil {
		return nil, aerr
	}
	if !ok {
		return nil, badRequest("user_id is empty")
	}
	u, known := s.users[uid]
	if !known {
		return nil, badRequest("user not found")
	}
	if c.chat.Type == ChatPrivate && uid != c.chat.ID && uid != s.bot.ID {
		return nil, badRequest("user not found")
	}
	return s.chatMemberJSON(c, u), nil
}

// getChatAdministrators lists the administrators set by SetChatAdmins.
func getChatAdministrators(s *Server, _ ctxT, p params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, aerr := s.chatByIDLocked(p, false)
	if aerr != nil {
		return nil, aerr
	}
	if c.chat.Type == ChatPrivate {
		return nil, badRequest("there are no administrators in the private chat")
	}
	out := []map[string]any{}
	for _, id := range c.admins {
		out = append(out, s.chatMemberJSON(c, s.users[id]))
	}
	return out, nil
}

// chatActions are the actions sendChatAction accepts.
var chatActions = []string{
	"typing", "upload_photo", "record_video", "upload_video", "record_voice",
	"upload_voice", "upload_document", "choose_sticker", "find_location",
	"record_video_note", "upload_video_note",
}

// sendChatAction validates the action and reports it to subscribers.
func sendChatAction(s *Server, _ ctxT, p params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, aerr := s.chatByIDLocked(p, true)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := c.writableLocked(); aerr != nil {
		return nil, aerr
	}
	action := p.str("action")
	if !slices.Contains(chatActions, action) {
		return nil, badRequest("wrong parameter action in request")
	}
	s.emitLocked(Event{Kind: EventChatAction, ChatID: c.chat.ID, Action: action})
	return true, nil
}

// String describes the chat for console output.
func (c Chat) String() string {
	if c.Type == ChatPrivate || c.Type == "" {
		return fmt.Sprintf("private chat %d", c.ID)
	}
	return fmt.Sprintf("%s %d %q", c.Type, c.ID, c.Title)
}
