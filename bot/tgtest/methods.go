package tgtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"
)

// ctxT shortens handler signatures.
type ctxT = context.Context

// method is one Bot API method: its canonical name and its handler. A
// handler returns the JSON-encodable result or the error Telegram would
// answer with.
type method struct {
	name string
	fn   func(s *Server, ctx context.Context, p params) (any, *apiError)
}

// methodTable maps lower-cased method names to handlers. Method names are
// case-insensitive in the Bot API. To support another method, add it here.
var methodTable = map[string]method{}

func init() {
	for _, m := range []method{
		{"getMe", getMe},
		{"getUpdates", getUpdates},
		{"setWebhook", setWebhook},
		{"deleteWebhook", deleteWebhook},
		{"getWebhookInfo", getWebhookInfo},
		{"sendMessage", sendMessage},
		{"editMessageText", editMessageText},
		{"editMessageReplyMarkup", editMessageReplyMarkup},
		{"deleteMessage", deleteMessage},
		{"answerCallbackQuery", answerCallbackQuery},
		{"setMyCommands", setMyCommands},
		{"getMyCommands", getMyCommands},
		{"deleteMyCommands", deleteMyCommands},
		{"getChat", getChat},
		{"getChatMember", getChatMember},
		{"getChatAdministrators", getChatAdministrators},
		{"sendChatAction", sendChatAction},
	} {
		methodTable[strings.ToLower(m.name)] = m
	}
}

// getMe returns the bot user.
func getMe(s *Server, _ ctxT, _ params) (any, *apiError) {
	u := s.bot
	return u, nil
}

// formattedText is a message text after parse_mode processing.
type formattedText struct {
	raw       string
	parseMode string
	plain     string
	entities  []models.MessageEntity
}

// formatText validates and parses a message text the way sendMessage and
// editMessageText do. tooLong is the error description for texts over the
// limit, which differs between the two methods.
func formatText(p params, tooLong string) (formattedText, *apiError) {
	ft := formattedText{raw: p.str("text"), parseMode: p.str("parse_mode")}
	if !utf8.ValidString(ft.raw) {
		return ft, badRequest("strings must be encoded in UTF-8")
	}
	if strings.TrimFunc(ft.raw, isSpaceASCII) == "" {
		return ft, badRequest("message text is empty")
	}
	var err error
	switch strings.ToLower(ft.parseMode) {
	case "":
		var ents []models.MessageEntity
		if p.has("entities") {
			if _, jerr := p.object("entities", &ents); jerr != nil {
				return ft, badRequest("can't parse entities JSON object")
			}
		}
		ft.plain, ft.entities = trimText(ft.raw, ents)
	case "html":
		ft.plain, ft.entities, err = ParseHTML(ft.raw)
	case "markdownv2":
		ft.plain, ft.entities, err = ParseMarkdownV2(ft.raw)
	case "markdown":
		ft.plain, ft.entities, err = ParseMarkdown(ft.raw)
	default:
		return ft, badRequest("unsupported parse_mode")
	}
	if err != nil {
		return ft, badRequest("can't parse entities: " + err.Error())
	}
	if ft.plain == "" {
		return ft, badRequest("message text is empty")
	}
	if UTF16Len(ft.plain) > maxMessageUTF16 {
		return ft, badRequest(tooLong)
	}
	return ft, nil
}

// markup is a parsed reply_markup parameter.
type markup struct {
	present  bool
	inline   *models.InlineKeyboardMarkup
	keyboard *models.ReplyKeyboardMarkup
	remove   bool
}

// inlineButtonActions are the optional fields of an InlineKeyboardButton of
// which exactly one must be used.
var inlineButtonActions = []string{
	"url", "callback_data", "web_app", "login_url", "switch_inline_query",
	"switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
	"copy_text", "callback_game", "pay",
}

// parseMarkup parses and validates reply_markup.
func parseMarkup(p params) (markup, *apiError) {
	if !p.has("reply_markup") {
		return markup{}, nil
	}
	data := p.rawJSON("reply_markup")
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return markup{}, badRequest("can't parse reply keyboard markup JSON object")
	}
	m := markup{present: true}
	switch {
	case probe["inline_keyboard"] != nil:
		var rows [][]map[string]json.RawMessage
		if err := json.Unmarshal(probe["inline_keyboard"], &rows); err != nil {
			return m, badRequest("can't parse inline keyboard button: InlineKeyboardMarkup must be an Array of Arrays of InlineKeyboardButton")
		}
		for _, row := range rows {
			for _, b := range row {
				if aerr := checkInlineButton(b); aerr != nil {
					return m, aerr
				}
			}
		}
		var ik models.InlineKeyboardMarkup
		if err := json.Unmarshal(data, &ik); err != nil {
			return m, badRequest("can't parse reply keyboard markup JSON object")
		}
		if ik.InlineKeyboard == nil {
			ik.InlineKeyboard = [][]models.InlineKeyboardButton{}
		}
		m.inline = &ik
	case probe["keyboard"] != nil:
		var kb models.ReplyKeyboardMarkup
		if err := json.Unmarshal(data, &kb); err != nil {
			return m, badRequest("can't parse reply keyboard markup JSON object")
		}
		m.keyboard = &kb
	case probe["remove_keyboard"] != nil:
		m.remove = true
	case probe["force_reply"] != nil:
	default:
		return m, badRequest("can't parse reply keyboard markup JSON object")
	}
	return m, nil
}

// checkInlineButton applies Telegram's checks to one inline button.
func checkInlineButton(b map[string]json.RawMessage) *apiError {
	var text string
	if err := json.Unmarshal(b["text"], &text); err != nil {
		return badRequest(`can't parse inline keyboard button: Field "text" must be of type String`)
	}
	actions := 0
	for _, k := range inlineButtonActions {
		v, ok := b[k]
		if !ok || bytes.Equal(v, []byte("null")) {
			continue
		}
		switch k {
		case "copy_text":
			// go-telegram/bot always sends "copy_text":{"text":""}; an empty
			// copy text is no action.
			var ct models.CopyTextButton
			if json.Unmarshal(v, &ct) != nil || ct.Text == "" {
				continue
			}
		case "pay":
			if string(v) != "true" {
				continue
			}
		case "callback_data":
			var data string
			if err := json.Unmarshal(v, &data); err != nil || len(data) == 0 || len(data) > 64 {
				return badRequest("BUTTON_DATA_INVALID")
			}
		case "url":
			var u string
			if err := json.Unmarshal(v, &u); err != nil || u == "" {
				return badRequest("BUTTON_URL_INVALID")
			}
		}
		actions++
	}
	if actions == 0 {
		return badRequest("text buttons are unallowed in the inline keyboard")
	}
	return nil
}

// markupJSON is the canonical form of an inline keyboard, for the "not
// modified" comparison.
func markupJSON(m *models.InlineKeyboardMarkup) string {
	if m == nil || len(m.InlineKeyboard) == 0 {
		return ""
	}
	data, _ := json.Marshal(m)
	return string(data)
}

// nonEmpty returns nil for an inline keyboard without rows, which Telegram
// treats as no keyboard.
func nonEmpty(m *models.InlineKeyboardMarkup) *models.InlineKeyboardMarkup {
	if m == nil || len(m.InlineKeyboard) == 0 {
		return nil
	}
	return m
}

// replyTargetLocked resolves reply_parameters or the older reply_to_message_id.
// It returns nil when the message is not replying.
func (s *Server) replyTargetLocked(c *chatState, p params) (*storedMessage, *apiError) {
	var rp models.ReplyParameters
	hasRP := false
	if p.has("reply_parameters") {
		if _, err := p.object("reply_parameters", &rp); err != nil {
			return nil, badRequest("can't parse reply parameters JSON object")
		}
		hasRP = true
	} else if id, ok, aerr := p.int64("reply_to_message_id"); aerr != nil {
		return nil, aerr
	} else if ok {
		rp.MessageID = int(id)
		rp.AllowSendingWithoutReply = p.boolean("allow_sending_without_reply")
		hasRP = true
	}
	if !hasRP || rp.MessageID == 0 {
		return nil, nil
	}
	target := c
	if rp.ChatID != nil {
		// A reply to a message in another chat. JSON numbers decode as
		// float64, exact for every chat id.
		var id int64
		switch v := rp.ChatID.(type) {
		case float64:
			id = int64(v)
		case string:
			id, _ = strconv.ParseInt(v, 10, 64)
		}
		target = s.chats[id]
	}
	if target != nil {
		if m, ok := target.msgs[rp.MessageID]; ok && !m.deleted {
			return m, nil
		}
	}
	if rp.AllowSendingWithoutReply {
		return nil, nil
	}
	return nil, badRequest("message to be replied not found")
}

// sendMessage sends a text message to a chat.
func sendMessage(s *Server, _ ctxT, p params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, aerr := s.chatByIDLocked(p, true)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := c.writableLocked(); aerr != nil {
		return nil, aerr
	}
	ft, aerr := formatText(p, "message is too long")
	if aerr != nil {
		return nil, aerr
	}
	mk, aerr := parseMarkup(p)
	if aerr != nil {
		return nil, aerr
	}
	target, aerr := s.replyTargetLocked(c, p)
	if aerr != nil {
		return nil, aerr
	}
	thread, _, aerr := p.int64("message_thread_id")
	if aerr != nil {
		return nil, aerr
	}
	if aerr := s.floodCheckLocked(c); aerr != nil {
		return nil, aerr
	}

	bot := s.bot
	msg := models.Message{
		ID:              c.nextMsgID,
		MessageThreadID: int(thread),
		From:            &bot,
		Date:            int(s.now().Unix()),
		Chat:            c.chat,
		Text:            ft.plain,
		Entities:        ft.entities,
		ReplyMarkup:     nonEmpty(mk.inline),
	}
	if target != nil {
		rt := cloneMessage(target.msg)
		rt.ReplyToMessage = nil
		msg.ReplyToMessage = &rt
	}
	c.nextMsgID++
	sm := &storedMessage{
		msg:           msg,
		fromBot:       true,
		rawText:       ft.raw,
		parseMode:     ft.parseMode,
		replyKeyboard: mk.keyboard,
		removeKb:      mk.remove,
	}
	c.msgs[msg.ID] = sm
	c.delivered++
	s.sent = append(s.sent, sm)
	s.floodRecordLocked(c)
	s.notifyStateLocked()
	s.emitLocked(Event{Kind: EventMessageSent, ChatID: c.chat.ID, Message: sm.snapshot()})
	return cloneMessage(msg), nil
}

// editTargetLocked finds the message an edit method addresses.
func (s *Server) editTargetLocked(p params) (*chatState, *storedMessage, *apiError) {
	if p.has("inline_message_id") {
		return nil, nil, badRequest("MESSAGE_ID_INVALID")
	}
	if !p.has("chat_id") {
		return nil, nil, badRequest("chat_id is empty")
	}
	c, aerr := s.chatByIDLocked(p, false)
	if aerr != nil {
		if aerr.Description == "Bad Request: chat not found" {
			return nil, nil, badRequest("message to edit not found")
		}
		return nil, nil, aerr
	}
	if aerr := c.writableLocked(); aerr != nil {
		return nil, nil, aerr
	}
	id, ok, aerr := p.int64("message_id")
	if aerr != nil {
		return nil, nil, aerr
	}
	if !ok {
		return nil, nil, badRequest("message identifier is not specified")
	}
	sm, found := c.msgs[int(id)]
	if !found || sm.deleted {
		return nil, nil, badRequest("message to edit not found")
	}
	if !sm.fromBot {
		return nil, nil, badRequest("message can't be edited")
	}
	return c, sm, nil
}

const notModified = "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"

// editMessageText replaces a bot message's text. As on Telegram, leaving
// out reply_markup removes the inline keyboard.
func editMessageText(s *Server, _ ctxT, p params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, sm, aerr := s.editTargetLocked(p)
	if aerr != nil {
		return nil, aerr
	}
	ft, aerr := formatText(p, "MESSAGE_TOO_LONG")
	if aerr != nil {
		return nil, aerr
	}
	mk, aerr := parseMarkup(p)
	if aerr != nil {
		return nil, aerr
	}
	if mk.present && mk.inline == nil {
		return nil, badRequest("inline keyboard expected")
	}
	if ft.plain == sm.msg.Text && entitiesEqual(ft.entities, sm.msg.Entities) && markupJSON(mk.inline) == markupJSON(sm.msg.ReplyMarkup) {
		return nil, badRequest(notModified)
	}
	sm.rawText, sm.parseMode = ft.raw, ft.parseMode
	sm.msg.Text, sm.msg.Entities = ft.plain, ft.entities
	sm.msg.ReplyMarkup = nonEmpty(mk.inline)
	return s.finishEditLocked(c, sm), nil
}

// editMessageReplyMarkup replaces (or, without reply_markup, removes) a bot
// message's inline keyboard.
func editMessageReplyMarkup(s *Server, _ ctxT, p params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, sm, aerr := s.editTargetLocked(p)
	if aerr != nil {
		return nil, aerr
	}
	mk, aerr := parseMarkup(p)
	if aerr != nil {
		return nil, aerr
	}
	if mk.present && mk.inline == nil {
		return nil, badRequest("inline keyboard expected")
	}
	if markupJSON(mk.inline) == markupJSON(sm.msg.ReplyMarkup) {
		return nil, badRequest(notModified)
	}
	sm.msg.ReplyMarkup = nonEmpty(mk.inline)
	return s.finishEditLocked(c, sm), nil
}

// finishEditLocked records a successful edit and returns the message as the
// API answers it.
func (s *Server) finishEditLocked(c *chatState, sm *storedMessage) models.Message {
	sm.msg.EditDate = int(s.now().Unix())
	sm.edits++
	s.notifyStateLocked()
	s.emitLocked(Event{Kind: EventMessageEdited, ChatID: c.chat.ID, Message: sm.snapshot()})
	return cloneMessage(sm.msg)
}

func entitiesEqual(a, b []models.MessageEntity) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Type != y.Type || x.Offset != y.Offset || x.Length != y.Length || x.URL != y.URL ||
			x.Language != y.Language || x.CustomEmojiID != y.CustomEmojiID || (x.User == nil) != (y.User == nil) ||
			(x.User != nil && x.User.ID != y.User.ID) {
			return false
		}
	}
	return true
}

// deleteMessage deletes a message from a chat.
func deleteMessage(s *Server, _ ctxT, p params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, aerr := s.chatByIDLocked(p, false)
	if aerr != nil {
		if aerr.Description == "Bad Request: chat not found" {
			return nil, badRequest("message to delete not found")
		}
		return nil, aerr
	}
	if aerr := c.writableLocked(); aerr != nil {
		return nil, aerr
	}
	id, ok, aerr := p.int64("message_id")
	if aerr != nil {
		return nil, aerr
	}
	if !ok {
		return nil, badRequest("message identifier is not specified")
	}
	sm, found := c.msgs[int(id)]
	if !found || sm.deleted {
		return nil, badRequest("message to delete not found")
	}
	sm.deleted = true
	s.notifyStateLocked()
	s.emitLocked(Event{Kind: EventMessageDeleted, ChatID: c.chat.ID, Message: sm.snapshot()})
	return true, nil
}

// callbackState is a callback query the server issued.
type callbackState struct {
	query    models.CallbackQuery
	answered bool
}

// CallbackAnswer is the bot's answer to a button press.
type CallbackAnswer struct {
	QueryID   string
	ChatID    int64 // chat of the message whose button was pressed
	MessageID int   // that message
	Data      string
	FromID    int64 // the user who pressed
	Text      string
	ShowAlert bool
	URL       string
	CacheTime int
}

// answerCallbackQuery answers a callback query issued by PressButton.
func answerCallbackQuery(s *Server, _ ctxT, p params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := p.str("callback_query_id")
	cb, ok := s.callbacks[id]
	if !ok || cb.answered {
		return nil, badRequest("query is too old and response timeout expired or query ID is invalid")
	}
	text := p.str("text")
	if UTF16Len(text) > 200 {
		return nil, badRequest("MESSAGE_TOO_LONG")
	}
	cacheTime, _, aerr := p.int64("cache_time")
	if aerr != nil {
		return nil, aerr
	}
	cb.answered = true
	a := CallbackAnswer{
		QueryID:   id,
		Data:      cb.query.Data,
		FromID:    cb.query.From.ID,
		Text:      text,
		ShowAlert: p.boolean("show_alert"),
		URL:       p.str("url"),
		CacheTime: int(cacheTime),
	}
	if m := cb.query.Message.Message; m != nil {
		a.ChatID, a.MessageID = m.Chat.ID, m.ID
	}
	s.answers = append(s.answers, a)
	s.notifyStateLocked()
	s.emitLocked(Event{Kind: EventCallbackAnswered, ChatID: a.ChatID, Answer: a})
	return true, nil
}

// commandRE is the form Telegram requires of a command in setMyCommands.
var commandRE = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// scopeKey turns a BotCommandScope JSON object into a map key. An absent
// scope is the default scope.
func scopeKey(p params) (string, *apiError) {
	if !p.has("scope") {
		return "default", nil
	}
	var sc struct {
		Type   string          `json:"type"`
		ChatID json.RawMessage `json:"chat_id"`
		UserID int64           `json:"user_id"`
	}
	if _, err := p.object("scope", &sc); err != nil {
		return "", badRequest("can't parse BotCommandScope JSON object")
	}
	chat := strings.Trim(string(sc.ChatID), `"`)
	switch sc.Type {
	case "default", "all_private_chats", "all_group_chats", "all_chat_administrators":
		return sc.Type, nil
	case "chat", "chat_administrators":
		if chat == "" {
			return "", badRequest("chat_id is empty")
		}
		return sc.Type + ":" + chat, nil
	case "chat_member":
		if chat == "" {
			return "", badRequest("chat_id is empty")
		}
		return fmt.Sprintf("chat_member:%s:%d", chat, sc.UserID), nil
	}
	return "", badRequest("unsupported scope type " + strconv.Quote(sc.Type))
}

// scopeKeyOf is scopeKey for a models.BotCommandScope on the test side.
func scopeKeyOf(scope models.BotCommandScope) string {
	if scope == nil {
		return "default"
	}
	data, err := scope.MarshalCustom()
	if err != nil {
		return "default"
	}
	key, aerr := scopeKey(params{"scope": param{raw: data, json: true}})
	if aerr != nil {
		return "default"
	}
	return key
}

// setMyCommands stores the command list for a scope and language.
func setMyCommands(s *Server, _ ctxT, p params) (any, *apiError) {
	var cmds []models.BotCommand
	if p.has("commands") {
		if _, err := p.object("commands", &cmds); err != nil {
			return nil, badRequest("can't parse commands JSON object")
		}
	}
	if len(cmds) > 100 {
		return nil, badRequest("too many commands specified")
	}
	for _, c := range cmds {
		if !commandRE.MatchString(c.Command) {
			return nil, badRequest("BOT_COMMAND_INVALID")
		}
		if n := utf8.RuneCountInString(strings.TrimSpace(c.Description)); n == 0 || n > 256 {
			return nil, badRequest("BOT_COMMAND_DESCRIPTION_INVALID")
		}
	}
	key, aerr := scopeKey(p)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key + "|" + p.str("language_code")
	if len(cmds) == 0 {
		delete(s.commands, k)
	} else {
		s.commands[k] = slices.Clone(cmds)
	}
	return true, nil
}

// getMyCommands returns the command list for exactly this scope and
// language, as Telegram does.
func getMyCommands(s *Server, _ ctxT, p params) (any, *apiError) {
	key, aerr := scopeKey(p)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cmds := slices.Clone(s.commands[key+"|"+p.str("language_code")])
	if cmds == nil {
		cmds = []models.BotCommand{}
	}
	return cmds, nil
}

// deleteMyCommands removes the command list of a scope and language.
func deleteMyCommands(s *Server, _ ctxT, p params) (any, *apiError) {
	key, aerr := scopeKey(p)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.commands, key+"|"+p.str("language_code"))
	return true, nil
}
