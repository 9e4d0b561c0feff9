package tgtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
)

// apiResult is a decoded Bot API answer.
type apiResult struct {
	Status      int
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter      int   `json:"retry_after"`
		MigrateToChatID int64 `json:"migrate_to_chat_id"`
	} `json:"parameters"`
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newTestServer(t *testing.T, opts ...Option) *Server {
	t.Helper()
	s := New(opts...)
	t.Cleanup(s.Close)
	return s
}

// post sends a JSON request, as our own poller does.
func post(t *testing.T, ctx context.Context, s *Server, method string, body any) apiResult {
	t.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, ctx, s.URL()+"/bot"+s.Token()+"/"+method, "application/json", bytes.NewReader(data))
}

func do(t *testing.T, ctx context.Context, u, contentType string, body io.Reader) apiResult {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return apiResult{Status: -1, Description: err.Error()}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var r apiResult
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("%s: answer is not JSON: %s", u, raw)
	}
	r.Status = resp.StatusCode
	if !r.OK && r.Status != r.ErrorCode {
		t.Errorf("%s: HTTP status %d but error_code %d", u, r.Status, r.ErrorCode)
	}
	return r
}

// updateIDs decodes a getUpdates result into its update ids.
func updateIDs(t *testing.T, r apiResult) []int64 {
	t.Helper()
	if !r.OK {
		t.Fatalf("getUpdates failed: %d %s", r.ErrorCode, r.Description)
	}
	var ups []models.Update
	if err := json.Unmarshal(r.Result, &ups); err != nil {
		t.Fatal(err)
	}
	ids := []int64{}
	for _, u := range ups {
		ids = append(ids, u.ID)
	}
	return ids
}

func TestRouting(t *testing.T) {
	s := newTestServer(t)
	ctx := testCtx(t)
	tests := []struct {
		path   string
		status int
		desc   string
	}{
		{"/bot" + s.Token() + "/getMe", 200, ""},
		{"/bot" + s.Token() + "/GETME", 200, ""},
		{"/bot" + s.Token() + "/getme", 200, ""},
		{"/bot1:WRONG/getMe", 401, "Unauthorized"},
		{"/bot" + s.Token() + "/sendPhoto", 404, "Not Found"},
		{"/nothing", 404, "Not Found"},
	}
	for _, tc := range tests {
		r := do(t, ctx, s.URL()+tc.path, "", nil)
		if r.Status != tc.status || r.Description != tc.desc {
			t.Errorf("POST %s = %d %q, want %d %q", tc.path, r.Status, r.Description, tc.status, tc.desc)
		}
	}
	if got := s.Calls("getMe"); got != 3 {
		t.Errorf("Calls(getMe) = %d, want 3", got)
	}
	if got := s.Calls("SENDPHOTO"); got != 1 {
		t.Errorf("Calls(SENDPHOTO) = %d, want 1", got)
	}
}

// TestEncodings sends the same sendMessage with every encoding Telegram
// accepts; reply_markup is a JSON string in forms and may be either an
// object or a string in JSON bodies.
func TestEncodings(t *testing.T) {
	s := newTestServer(t)
	ctx := testCtx(t)
	base := s.URL() + "/bot" + s.Token() + "/sendMessage"
	markup := `{"inline_keyboard":[[{"text":"好","callback_data":"ok"}]]}`

	form := url.Values{"chat_id": {"5"}, "text": {"<b>x</b>"}, "parse_mode": {"HTML"}, "reply_markup": {markup}}
	var mp bytes.Buffer
	w := multipart.NewWriter(&mp)
	for k, v := range form {
		_ = w.WriteField(k, v[0])
	}
	_ = w.Close()

	cases := []struct {
		name string
		r    apiResult
	}{
		{"query", do(t, ctx, base+"?"+form.Encode(), "", nil)},
		{"urlencoded", do(t, ctx, base, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))},
		{"multipart", do(t, ctx, base, w.FormDataContentType(), &mp)},
		{"json object", post(t, ctx, s, "sendMessage", map[string]any{"chat_id": 5, "text": "<b>x</b>", "parse_mode": "HTML", "reply_markup": json.RawMessage(markup)})},
		{"json string", post(t, ctx, s, "sendMessage", map[string]any{"chat_id": "5", "text": "<b>x</b>", "parse_mode": "HTML", "reply_markup": markup})},
	}
	for _, c := range cases {
		if !c.r.OK {
			t.Errorf("%s: %d %s", c.name, c.r.ErrorCode, c.r.Description)
			continue
		}
		var m models.Message
		if err := json.Unmarshal(c.r.Result, &m); err != nil {
			t.Fatal(err)
		}
		if m.Text != "x" || m.Chat.ID != 5 || m.ReplyMarkup == nil || m.ReplyMarkup.InlineKeyboard[0][0].CallbackData != "ok" || len(m.Entities) != 1 {
			t.Errorf("%s: message = %+v", c.name, m)
		}
	}
	sent := s.Sent(5)
	for i, m := range sent {
		if m.MessageID != i+1 {
			t.Errorf("message %d has id %d, want consecutive ids", i, m.MessageID)
		}
	}
}

func TestSendMessageValidation(t *testing.T) {
	s := newTestServer(t)
	ctx := testCtx(t)
	btn := func(data string) string {
		return fmt.Sprintf(`{"inline_keyboard":[[{"text":"b","callback_data":%q}]]}`, data)
	}
	tests := []struct {
		name string
		body map[string]any
		code int
		desc string
	}{
		{"ok", map[string]any{"chat_id": 1, "text": "hi"}, 200, ""},
		{"no chat", map[string]any{"text": "hi"}, 400, "Bad Request: chat_id is empty"},
		{"empty text", map[string]any{"chat_id": 1, "text": ""}, 400, "Bad Request: message text is empty"},
		{"blank text", map[string]any{"chat_id": 1, "text": " \n "}, 400, "Bad Request: message text is empty"},
		{"html empty after parsing", map[string]any{"chat_id": 1, "text": "<b> </b>", "parse_mode": "HTML"}, 400, "Bad Request: message text is empty"},
		{"4096 units", map[string]any{"chat_id": 1, "text": strings.Repeat("好", 4096)}, 200, ""},
		{"4097 units", map[string]any{"chat_id": 1, "text": strings.Repeat("好", 4096) + "a"}, 400, "Bad Request: message is too long"},
		{"2049 emoji", map[string]any{"chat_id": 1, "text": strings.Repeat("👍", 2049)}, 400, "Bad Request: message is too long"},
		{"long html counted after parsing", map[string]any{"chat_id": 1, "text": "<b>" + strings.Repeat("a", 4096) + "</b>", "parse_mode": "HTML"}, 200, ""},
		{"bad html", map[string]any{"chat_id": 1, "text": "<p>x</p>", "parse_mode": "HTML"}, 400, `Bad Request: can't parse entities: Unsupported start tag "p" at byte offset 0`},
		{"bad parse mode", map[string]any{"chat_id": 1, "text": "x", "parse_mode": "html5"}, 400, "Bad Request: unsupported parse_mode"},
		{"64-byte data", map[string]any{"chat_id": 1, "text": "x", "reply_markup": btn(strings.Repeat("d", 64))}, 200, ""},
		{"65-byte data", map[string]any{"chat_id": 1, "text": "x", "reply_markup": btn(strings.Repeat("d", 65))}, 400, "Bad Request: BUTTON_DATA_INVALID"},
		{"22 Chinese chars are 66 bytes", map[string]any{"chat_id": 1, "text": "x", "reply_markup": btn(strings.Repeat("项", 22))}, 400, "Bad Request: BUTTON_DATA_INVALID"},
		{"button without action", map[string]any{"chat_id": 1, "text": "x", "reply_markup": `{"inline_keyboard":[[{"text":"b"}]]}`}, 400, "Bad Request: text buttons are unallowed in the inline keyboard"},
		{"bad markup", map[string]any{"chat_id": 1, "text": "x", "reply_markup": `{"inline_keyboard":`}, 400, "Bad Request: can't parse reply keyboard markup JSON object"},
		{"reply to missing", map[string]any{"chat_id": 1, "text": "x", "reply_parameters": map[string]any{"message_id": 999}}, 400, "Bad Request: message to be replied not found"},
		{"reply to missing allowed", map[string]any{"chat_id": 1, "text": "x", "reply_parameters": map[string]any{"message_id": 999, "allow_sending_without_reply": true}}, 200, ""},
		{"reply to existing", map[string]any{"chat_id": 1, "text": "x", "reply_to_message_id": 1}, 200, ""},
		{"unknown username", map[string]any{"chat_id": "@nobody", "text": "x"}, 400, "Bad Request: chat not found"},
	}
	for _, tc := range tests {
		r := post(t, ctx, s, "sendMessage", tc.body)
		if r.Status != tc.code || r.Description != tc.desc {
			t.Errorf("%s: sendMessage = %d %q, want %d %q", tc.name, r.Status, r.Description, tc.code, tc.desc)
		}
	}
	sent := s.Sent(1)
	last := sent[len(sent)-1]
	if last.ReplyToMessageID != 1 || last.Model.ReplyToMessage == nil || last.Model.ReplyToMessage.Text != "hi" {
		t.Errorf("reply = %+v, want reply_to_message 1 (hi)", last)
	}
}

func TestGroupChatsAutoCreated(t *testing.T) {
	s := newTestServer(t)
	ctx := testCtx(t)
	for _, id := range []int64{-42, -1001234567890} {
		r := post(t, ctx, s, "sendMessage", map[string]any{"chat_id": id, "text": "x"})
		var m models.Message
		_ = json.Unmarshal(r.Result, &m)
		want := models.ChatTypeGroup
		if id < -1000000000000 {
			want = models.ChatTypeSupergroup
		}
		if m.Chat.Type != want {
			t.Errorf("chat %d type = %q, want %q", id, m.Chat.Type, want)
		}
	}
}

// TestGetUpdatesOffsets checks Telegram's confirmation rules: an update is
// forgotten once getUpdates is called with a higher offset, limit caps the
// batch, a negative offset keeps the last updates only.
func TestGetUpdatesOffsets(t *testing.T) {
	s := newTestServer(t)
	ctx := testCtx(t)
	u := User{ID: 1}
	for i := range 5 {
		s.SendText(PrivateChat(u), u, fmt.Sprint("m", i))
	}
	get := func(body map[string]any) []int64 {
		return updateIDs(t, post(t, ctx, s, "getUpdates", body))
	}
	if got := get(map[string]any{}); fmt.Sprint(got) != "[1 2 3 4 5]" {
		t.Errorf("getUpdates() = %v, want 1..5", got)
	}
	if got := get(map[string]any{"limit": 2}); fmt.Sprint(got) != "[1 2]" {
		t.Errorf("getUpdates(limit 2) = %v, want [1 2] (nothing confirmed yet)", got)
	}
	if s.Pending() != 5 || s.Confirmed() != 0 {
		t.Errorf("before any offset: Pending = %d, Confirmed = %d; want 5, 0", s.Pending(), s.Confirmed())
	}
	if got := get(map[string]any{"offset": 3, "limit": 2}); fmt.Sprint(got) != "[3 4]" {
		t.Errorf("getUpdates(offset 3, limit 2) = %v, want [3 4]", got)
	}
	if s.Pending() != 3 || s.Confirmed() != 2 {
		t.Errorf("after offset 3: Pending = %d, Confirmed = %d; want 3, 2", s.Pending(), s.Confirmed())
	}
	if got := get(map[string]any{}); fmt.Sprint(got) != "[3 4 5]" {
		t.Errorf("getUpdates() after offset 3 = %v, want [3 4 5]: 1 and 2 are forgotten", got)
	}
	if got := get(map[string]any{"offset": -1}); fmt.Sprint(got) != "[5]" {
		t.Errorf("getUpdates(offset -1) = %v, want [5]", got)
	}
	if got := get(map[string]any{"offset": 6}); len(got) != 0 {
		t.Errorf("getUpdates(offset 6) = %v, want none", got)
	}
	if s.Pending() != 0 || s.Confirmed() != 5 {
		t.Errorf("after offset 6: Pending = %d, Confirmed = %d; want 0, 5", s.Pending(), s.Confirmed())
	}
	// New updates continue the sequence.
	if up := s.SendText(PrivateChat(u), u, "again"); up.ID != 6 || up.Message.ID != 6 {
		t.Errorf("next update = %d, message %d; want 6, 6", up.ID, up.Message.ID)
	}
}

// TestRedeliveredUpdate re-injects an update that was already confirmed,
// as Telegram does after a lost confirmation: a poller whose offset is past
// it must still receive it once.
func TestRedeliveredUpdate(t *testing.T) {
	s := newTestServer(t)
	ctx := testCtx(t)
	u := User{ID: 1}
	first := s.SendText(PrivateChat(u), u, "hello")
	s.SendText(PrivateChat(u), u, "second")
	if got := updateIDs(t, post(t, ctx, s, "getUpdates", map[string]any{})); fmt.Sprint(got) != "[1 2]" {
		t.Fatalf("first poll = %v", got)
	}
	dup := s.InjectUpdate(first)
	if dup.ID != first.ID {
		t.Fatalf("InjectUpdate kept id %d, want %d", dup.ID, first.ID)
	}
	if got := updateIDs(t, post(t, ctx, s, "getUpdates", map[string]any{"offset": 3})); fmt.Sprint(got) != "[1]" {
		t.Errorf("poll with offset 3 = %v, want the redelivered update 1", got)
	}
	if got := updateIDs(t, post(t, ctx, s, "getUpdates", map[string]any{"offset": 2})); len(got) != 0 {
		t.Errorf("poll with offset 2 = %v, want none", got)
	}
	if s.Pending() != 0 {
		t.Errorf("Pending = %d, want 0", s.Pending())
	}
}

func TestInjectRawAndAllowedUpdates(t *testing.T) {
	s := newTestServer(t)
	ctx := testCtx(t)
	id, err := s.InjectRaw([]byte(`{"chat_member":{"chat":{"id":-1,"type":"group"}}}`))
	if err != nil || id != 0 {
		t.Errorf("InjectRaw(chat_member) = %d, %v; want 0: not in the default allowed updates", id, err)
	}
	// Asking for chat_member updates makes later ones arrive.
	post(t, ctx, s, "getUpdates", map[string]any{"allowed_updates": []string{"chat_member", "message"}})
	id, err = s.InjectRaw([]byte(`{"chat_member":{"chat":{"id":-1,"type":"group"}},"update_id":0}`))
	if err != nil || id != 1 {
		t.Errorf("InjectRaw(chat_member) = %d, %v; want 1", id, err)
	}
	u := User{ID: 2}
	chat := PrivateChat(u)
	s.SendText(chat, u, "hi")
	if up := s.PressButton(chat, u, models.Message{ID: 1}, "x"); up.ID != 0 {
		t.Errorf("callback_query with allowed_updates [chat_member message]: update %d queued, want dropped", up.ID)
	}
	if got := updateIDs(t, post(t, ctx, s, "getUpdates", map[string]any{"allowed_updates": `["chat_member","message"]`})); fmt.Sprint(got) != "[1 2]" {
		t.Errorf("getUpdates = %v, want [1 2]", got)
	}
	if _, err := s.InjectRaw([]byte(`not json`)); err == nil {
		t.Error("InjectRaw(not json) succeeded")
	}
}

func TestLongPollWakesOnUpdate(t *testing.T) {
	s := newTestServer(t)
	ctx := testCtx(t)
	done := make(chan []int64, 1)
	go func() {
		done <- updateIDs(t, post(t, ctx, s, "getUpdates", map[string]any{"timeout": 60}))
	}()
	// Wait until the poll is parked, then send.
	waitFor(t, ctx, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.poll != nil
	})
	u := User{ID: 1}
	s.SendText(PrivateChat(u), u, "wake up")
	select {
	case got := <-done:
		if fmt.Sprint(got) != "[1]" {
			t.Errorf("long poll = %v, want [1]", got)
		}
	case <-ctx.Done():
		t.Fatal("long poll did not wake up on a new update")
	}
}

func TestLongPollReturnsOnClose(t *testing.T) {
	s := New()
	ctx := testCtx(t)
	done := make(chan apiResult, 1)
	go func() { done <- post(t, ctx, s, "getUpdates", map[string]any{"timeout": 60}) }()
	waitFor(t, ctx, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.poll != nil
	})
	closed := make(chan struct{})
	go func() {
		s.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-ctx.Done():
		t.Fatal("Close hung with a long poll in flight")
	}
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("long poll did not return on Close")
	}
	s.Close() // idempotent
}

func TestShortPollAndTimeout(t *testing.T) {
	s := newTestServer(t)
	ctx := testCtx(t)
	if got := updateIDs(t, post(t, ctx, s, "getUpdates", map[string]any{"timeout": 0})); len(got) != 0 {
		t.Errorf("short poll = %v", got)
	}
	if got := updateIDs(t, post(t, ctx, s, "getUpdates", map[string]any{"timeout": 1})); len(got) != 0 {
		t.Errorf("long poll with nothing to return = %v", got)
	}
}

// TestTwoPollers: a second getUpdates terminates the one in flight with
// 409, as when two bot instances run with one token.
func TestTwoPollers(t *testing.T) {
	s := newTestServer(t)
	ctx := testCtx(t)
	first := make(chan apiResult, 1)
	go func() { first <- post(t, ctx, s, "getUpdates", map[string]any{"timeout": 60}) }()
	waitFor(t, ctx, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.poll != nil
	})
	if r := post(t, ctx, s, "getUpdates", map[string]any{"timeout": 0}); !r.OK {
		t.Errorf("second poller: %d %s, want success", r.Status, r.Description)
	}
	select {
	case r := <-first:
		if r.Status != http.StatusConflict || r.Description != "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running" {
			t.Errorf("first poller = %d %q, want 409 terminated by other getUpdates request", r.Status, r.Description)
		}
	case <-ctx.Done():
		t.Fatal("first poller was not terminated")
	}
}

func TestEditAndCallbackRules(t *testing.T) {
	s := newTestServer(t)
	ctx := testCtx(t)
	u := User{ID: 3, FirstName: "居民"}
	chat := PrivateChat(u)
	up := s.SendText(chat, u, "hi")
	kb := `{"inline_keyboard":[[{"text":"a","callback_data":"a"}]]}`
	r := post(t, ctx, s, "sendMessage", map[string]any{"chat_id": 3, "text": "<b>q</b>", "parse_mode": "HTML", "reply_markup": kb})
	var bm models.Message
	_ = json.Unmarshal(r.Result, &bm)

	edit := func(body map[string]any) apiResult { return post(t, ctx, s, "editMessageText", body) }
	tests := []struct {
		name string
		r    apiResult
		desc string
	}{
		{"user message", edit(map[string]any{"chat_id": 3, "message_id": up.Message.ID, "text": "x"}), "Bad Request: message can't be edited"},
		{"missing", edit(map[string]any{"chat_id": 3, "message_id": 99, "text": "x"}), "Bad Request: message to edit not found"},
		{"no id", edit(map[string]any{"chat_id": 3, "text": "x"}), "Bad Request: message identifier is not specified"},
		{"same content, HTML", edit(map[string]any{"chat_id": 3, "message_id": bm.ID, "text": "<b>q</b>", "parse_mode": "HTML", "reply_markup": kb}), "Bad Request: " + notModified},
		{"same text, other markup", edit(map[string]any{"chat_id": 3, "message_id": bm.ID, "text": "<b>q</b>", "parse_mode": "HTML"}), ""},
		{"same text, keyboard gone", edit(map[string]any{"chat_id": 3, "message_id": bm.ID, "text": "<b>q</b>", "parse_mode": "HTML"}), "Bad Request: " + notModified},
		{"formatting differs", edit(map[string]any{"chat_id": 3, "message_id": bm.ID, "text": "q"}), ""},
		{"too long", edit(map[string]any{"chat_id": 3, "message_id": bm.ID, "text": strings.Repeat("x", 4097)}), "Bad Request: MESSAGE_TOO_LONG"},
		{"markup: same", post(t, ctx, s, "editMessageReplyMarkup", map[string]any{"chat_id": 3, "message_id": bm.ID}), "Bad Request: " + notModified},
		{"markup: new", post(t, ctx, s, "editMessageReplyMarkup", map[string]any{"chat_id": 3, "message_id": bm.ID, "reply_markup": kb}), ""},
	}
	for _, tc := range tests {
		if tc.r.Description != tc.desc {
			t.Errorf("%s: %d %q, want %q", tc.name, tc.r.Status, tc.r.Description, tc.desc)
		}
	}
	got := s.Sent(3)[0]
	if got.Edits != 3 || got.Text != "q" || got.ParseMode != "" || got.ReplyMarkup == nil || got.Model.EditDate == 0 {
		t.Errorf("after edits: %+v", got)
	}

	press := s.PressButton(chat, u, got.Model, "a")
	cq := press.CallbackQuery
	if cq.Message.Message == nil || cq.Message.Message.Text != "q" || cq.ChatInstance == "" || cq.From.ID != 3 {
		t.Errorf("callback query = %+v", cq)
	}
	answer := func() apiResult {
		return post(t, ctx, s, "answerCallbackQuery", map[string]any{"callback_query_id": cq.ID, "text": "好", "show_alert": true})
	}
	if r := answer(); !r.OK {
		t.Errorf("first answer: %s", r.Description)
	}
	if r := answer(); r.Description != "Bad Request: query is too old and response timeout expired or query ID is invalid" {
		t.Errorf("second answer: %d %q", r.Status, r.Description)
	}
	if a := s.CallbackAnswers(); len(a) != 1 || !a[0].ShowAlert || a[0].Text != "好" || a[0].MessageID != bm.ID {
		t.Errorf("CallbackAnswers = %+v", a)
	}
}

// TestReplyText checks the update a staff reply to a bot post produces.
func TestReplyText(t *testing.T) {
	s := newTestServer(t)
	ctx := testCtx(t)
	group := SupergroupChat(-1001, "工作群")
	r := post(t, ctx, s, "sendMessage", map[string]any{"chat_id": group.ID, "text": "新留言 #12"})
	var post1 models.Message
	_ = json.Unmarshal(r.Result, &post1)
	staff := User{ID: 50, FirstName: "社工", Username: "worker"}
	up := s.ReplyText(group, staff, post1, "已处理")
	m := up.Message
	if m.ReplyToMessage == nil || m.ReplyToMessage.ID != post1.ID || m.ReplyToMessage.From == nil || !m.ReplyToMessage.From.IsBot {
		t.Fatalf("reply_to_message = %+v", m.ReplyToMessage)
	}
	if m.Chat.Title != "工作群" || m.Chat.Type != models.ChatTypeSupergroup || m.From.Username != "worker" {
		t.Errorf("message = %+v", m)
	}
}

func TestSubscribe(t *testing.T) {
	s := newTestServer(t)
	ctx := testCtx(t)
	events, cancel := s.Subscribe()
	defer cancel()
	r := post(t, ctx, s, "sendMessage", map[string]any{"chat_id": 1, "text": "a"})
	var m models.Message
	_ = json.Unmarshal(r.Result, &m)
	post(t, ctx, s, "sendChatAction", map[string]any{"chat_id": 1, "action": "typing"})
	post(t, ctx, s, "editMessageText", map[string]any{"chat_id": 1, "message_id": m.ID, "text": "b"})
	post(t, ctx, s, "deleteMessage", map[string]any{"chat_id": 1, "message_id": m.ID})
	if r := post(t, ctx, s, "sendChatAction", map[string]any{"chat_id": 1, "action": "dancing"}); r.Description != "Bad Request: wrong parameter action in request" {
		t.Errorf("bad action: %q", r.Description)
	}
	want := []string{"sent a", "chat_action typing", "edited b", "deleted b"}
	for _, w := range want {
		select {
		case e := <-events:
			got := e.Kind.String() + " " + e.Message.PlainText + e.Action
			if got != w {
				t.Errorf("event = %q, want %q", got, w)
			}
		case <-ctx.Done():
			t.Fatalf("no event, want %q", w)
		}
	}
	cancel()
	for range events {
		// drain until closed
	}
}

// TestFloodControl uses a fixed clock so that no timing matters.
func TestFloodControl(t *testing.T) {
	var mu sync.Mutex
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	advance := func(d time.Duration) {
		mu.Lock()
		now = now.Add(d)
		mu.Unlock()
	}
	s := newTestServer(t, WithClock(clock), WithFloodLimits(DefaultFloodLimits))
	ctx := testCtx(t)
	send := func(chat int64) apiResult {
		return post(t, ctx, s, "sendMessage", map[string]any{"chat_id": chat, "text": "x"})
	}
	if r := send(1); !r.OK {
		t.Fatal(r.Description)
	}
	if r := send(1); r.Status != 429 || r.Parameters.RetryAfter != 1 || r.Description != "Too Many Requests: retry after 1" {
		t.Errorf("second message in a second = %d %q retry_after %d", r.Status, r.Description, r.Parameters.RetryAfter)
	}
	advance(time.Second)
	if r := send(1); !r.OK {
		t.Errorf("after a second: %s", r.Description)
	}
	// A group: 20 a minute.
	for i := range 20 {
		advance(time.Second)
		if r := send(-5); !r.OK {
			t.Fatalf("group message %d: %s", i, r.Description)
		}
	}
	advance(time.Second)
	r := send(-5)
	if r.Status != 429 || r.Parameters.RetryAfter != 40 {
		t.Errorf("21st group message in a minute = %d retry_after %d, want 429 retry_after 40", r.Status, r.Parameters.RetryAfter)
	}
	// 30 a second overall.
	advance(time.Minute)
	for i := range 30 {
		if r := send(int64(100 + i)); !r.OK {
			t.Fatalf("global message %d: %s", i, r.Description)
		}
	}
	if r := send(200); r.Status != 429 {
		t.Errorf("31st message in a second = %d, want 429", r.Status)
	}
	if got := s.DeliveryCount(1); got != 2 {
		t.Errorf("DeliveryCount(1) = %d, want 2", got)
	}
}

// TestFaultRates checks the injected fault rate and that a fixed seed
// repeats the same decisions; faulted calls must not perform the action.
func TestFaultRates(t *testing.T) {
	run := func() (string, int, int) {
		s := newTestServer(t)
		ctx := testCtx(t)
		s.SetFaults(Faults{Rate: 0.2, Kinds: []Fault{Fault429, Fault500, FaultBadGateway}, RetryAfter: 2, Seed: 42, Methods: []string{"SENDMESSAGE"}})
		var pattern strings.Builder
		for range 500 {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL()+"/bot"+s.Token()+"/sendMessage", strings.NewReader(`{"chat_id":1,"text":"x"}`))
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			fmt.Fprintf(&pattern, "%d ", resp.StatusCode)
		}
		for range 20 {
			if r := post(t, ctx, s, "getUpdates", map[string]any{}); !r.OK {
				t.Errorf("getUpdates faulted though only sendMessage should be")
			}
		}
		return pattern.String(), s.FaultsInjected(), s.DeliveryCount(1)
	}
	p1, faults, delivered := run()
	p2, _, _ := run()
	if p1 != p2 {
		t.Error("the same seed gave different fault sequences")
	}
	if faults < 60 || faults > 140 {
		t.Errorf("%d faults in 500 calls at rate 0.2, want about 100", faults)
	}
	if delivered != 500-faults {
		t.Errorf("delivered %d, want %d: a faulted call must not send", delivered, 500-faults)
	}
	for _, code := range []string{"429", "500", "502"} {
		if !strings.Contains(p1, code) {
			t.Errorf("no %s among the injected faults", code)
		}
	}
}

// TestTimeoutFault: the request is held until the client gives up, and
// the message is not sent.
func TestTimeoutFault(t *testing.T) {
	s := newTestServer(t)
	s.SetFaults(Faults{Rate: 1, Kinds: []Fault{FaultTimeout}})
	ctx, cancel := context.WithTimeout(testCtx(t), 100*time.Millisecond)
	defer cancel()
	r := post(t, ctx, s, "sendMessage", map[string]any{"chat_id": 1, "text": "x"})
	if r.Status != -1 {
		t.Errorf("timeout fault answered %d %q", r.Status, r.Description)
	}
	// With a delay, the server drops the connection by itself.
	s.SetFaults(Faults{Rate: 1, Kinds: []Fault{FaultTimeout}, TimeoutDelay: 10 * time.Millisecond})
	r = post(t, testCtx(t), s, "sendMessage", map[string]any{"chat_id": 1, "text": "x"})
	if r.Status != -1 {
		t.Errorf("timeout fault with delay answered %d %q", r.Status, r.Description)
	}
	if s.DeliveryCount(1) != 0 || s.FaultsInjected() != 2 {
		t.Errorf("DeliveryCount = %d, FaultsInjected = %d; want 0, 2", s.DeliveryCount(1), s.FaultsInjected())
	}
	s.SetFaults(Faults{})
	if r := post(t, testCtx(t), s, "sendMessage", map[string]any{"chat_id": 1, "text": "x"}); !r.OK {
		t.Errorf("after SetFaults(Faults{}): %s", r.Description)
	}
}

// TestWebhook: delivery in order with the secret header, retries on 401
// and 500 until acknowledged, 409 for getUpdates while active, and a method
// call in the webhook's answer.
func TestWebhook(t *testing.T) {
	s := newTestServer(t, WithWebhookRetry(time.Millisecond, 10*time.Millisecond, 0))
	ctx := testCtx(t)
	var mu sync.Mutex
	var got []string
	attempts := 0
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var u models.Update
		_ = json.NewDecoder(r.Body).Decode(&u)
		mu.Lock()
		defer mu.Unlock()
		attempts++
		switch {
		case r.Header.Get("X-Telegram-Bot-Api-Secret-Token") != "tok":
			w.WriteHeader(http.StatusForbidden)
		case attempts == 1:
			w.WriteHeader(http.StatusUnauthorized)
		case attempts == 2:
			w.WriteHeader(http.StatusInternalServerError)
		default:
			got = append(got, fmt.Sprintf("%d:%s", u.ID, u.Message.Text))
			if u.Message.Text == "reply" {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprintf(w, `{"method":"sendMessage","chat_id":%d,"text":"pong"}`, u.Message.Chat.ID)
			}
		}
	}))
	defer hook.Close()

	u := User{ID: 8}
	s.SendText(PrivateChat(u), u, "before")
	if r := post(t, ctx, s, "setWebhook", map[string]any{"url": hook.URL, "secret_token": "bad token!"}); r.Status != 400 {
		t.Errorf("bad secret: %d %q", r.Status, r.Description)
	}
	if r := post(t, ctx, s, "setWebhook", map[string]any{"url": hook.URL, "secret_token": "tok"}); !r.OK {
		t.Fatal(r.Description)
	}
	if r := post(t, ctx, s, "getUpdates", map[string]any{}); r.Status != 409 || r.Description != errWebhookActive.Description {
		t.Errorf("getUpdates with a webhook = %d %q", r.Status, r.Description)
	}
	s.SendText(PrivateChat(u), u, "after")
	s.SendText(PrivateChat(u), u, "reply")
	waitFor(t, ctx, func() bool { return s.Confirmed() == 3 })
	mu.Lock()
	if fmt.Sprint(got) != "[1:before 2:after 3:reply]" || attempts != 5 {
		t.Errorf("webhook got %v in %d attempts, want 3 updates in order after 2 failures", got, attempts)
	}
	mu.Unlock()
	if _, err := s.WaitSent(ctx, 8, 1); err != nil {
		t.Errorf("method in webhook answer not executed: %v", err)
	}
	var info models.WebhookInfo
	_ = json.Unmarshal(post(t, ctx, s, "getWebhookInfo", nil).Result, &info)
	if info.URL != hook.URL || info.PendingUpdateCount != 0 || !strings.Contains(info.LastErrorMessage, "500") {
		t.Errorf("getWebhookInfo = %+v", info)
	}
	if r := post(t, ctx, s, "deleteWebhook", map[string]any{"drop_pending_updates": true}); !r.OK {
		t.Fatal(r.Description)
	}
	if r := post(t, ctx, s, "getUpdates", map[string]any{}); !r.OK {
		t.Errorf("getUpdates after deleteWebhook: %s", r.Description)
	}
}

// TestWebhookUnreachable: a webhook that refuses connections keeps the
// update pending; switching back to polling hands it out.
func TestWebhookUnreachable(t *testing.T) {
	s := newTestServer(t, WithWebhookRetry(time.Millisecond, 5*time.Millisecond, time.Second))
	ctx := testCtx(t)
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	post(t, ctx, s, "setWebhook", map[string]any{"url": deadURL})
	u := User{ID: 9}
	s.SendText(PrivateChat(u), u, "lost?")
	waitFor(t, ctx, func() bool {
		var info models.WebhookInfo
		_ = json.Unmarshal(post(t, ctx, s, "getWebhookInfo", nil).Result, &info)
		return strings.HasPrefix(info.LastErrorMessage, "Connection failed")
	})
	post(t, ctx, s, "deleteWebhook", nil)
	if got := updateIDs(t, post(t, ctx, s, "getUpdates", map[string]any{})); fmt.Sprint(got) != "[1]" {
		t.Errorf("after deleteWebhook: %v, want the undelivered update", got)
	}
}

func TestCloseIsSafe(t *testing.T) {
	s := New()
	events, cancel := s.Subscribe()
	s.SetFaults(Faults{Rate: 1, Kinds: []Fault{FaultTimeout}})
	ctx := testCtx(t)
	held := make(chan apiResult, 1)
	go func() { held <- post(t, ctx, s, "sendMessage", map[string]any{"chat_id": 1, "text": "x"}) }()
	waitFor(t, ctx, func() bool { return s.FaultsInjected() == 1 })
	s.Close()
	<-held
	for range events {
	}
	cancel()
	if up := s.SendText(PrivateChat(User{ID: 1}), User{ID: 1}, "late"); up.ID != 0 {
		t.Errorf("SendText after Close queued update %d", up.ID)
	}
	if _, err := s.WaitSent(ctx, 1, 1); err == nil {
		t.Error("WaitSent after Close succeeded")
	}
}

// waitFor polls cond, for internal state the Server has no wait for.
func waitFor(t *testing.T, ctx context.Context, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatal("condition not reached")
		case <-time.After(time.Millisecond):
		}
	}
}
