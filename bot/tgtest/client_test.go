package tgtest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/zhangmiao/communitybot/bot/tgtest"
)

// waitCtx is the generous deadline every wait in these tests gets: long
// enough for a loaded CI machine, and only reached when something is broken.
func waitCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newServer starts a fake server that closes when the test ends, after the
// bots started later (cleanups run last-in first-out).
func newServer(t *testing.T, opts ...tgtest.Option) *tgtest.Server {
	t.Helper()
	srv := tgtest.New(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// check reports a failed Bot API call from a handler, unless the handler's
// context was cancelled because the test is already over.
func check(t *testing.T, ctx context.Context, what string, err error) {
	t.Helper()
	if err != nil && ctx.Err() == nil {
		t.Errorf("%s: %v", what, err)
	}
}

// newClient returns a real go-telegram/bot client talking to srv, with a
// short long-poll timeout so that stopping it is quick.
func newClient(t *testing.T, srv *tgtest.Server, opts ...bot.Option) *bot.Bot {
	t.Helper()
	base := []bot.Option{
		bot.WithServerURL(srv.URL()),
		bot.WithSkipGetMe(),
		bot.WithHTTPClient(2*time.Second, &http.Client{Timeout: 10 * time.Second}),
		bot.WithNotAsyncHandlers(),
		bot.WithErrorsHandler(func(err error) { t.Logf("bot error: %v", err) }),
		bot.WithDefaultHandler(func(context.Context, *bot.Bot, *models.Update) {}),
	}
	b, err := bot.New(srv.Token(), append(base, opts...)...)
	if err != nil {
		t.Fatalf("bot.New: %v", err)
	}
	return b
}

// startBot runs b's polling loop until the test ends.
func startBot(t *testing.T, b *bot.Bot) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		b.Start(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
}

func TestGetMeThroughRealClient(t *testing.T) {
	srv := newServer(t, tgtest.WithBotUser(0, "my_bot"))
	b, err := bot.New(srv.Token(), bot.WithServerURL(srv.URL()))
	if err != nil {
		t.Fatalf("bot.New with getMe: %v", err)
	}
	me, err := b.GetMe(waitCtx(t))
	if err != nil {
		t.Fatalf("GetMe: %v", err)
	}
	if me.ID != 123456 || me.Username != "my_bot" || !me.IsBot {
		t.Errorf("GetMe = %+v, want id 123456, username my_bot, is_bot", me)
	}
}

func TestWrongTokenThroughRealClient(t *testing.T) {
	srv := newServer(t)
	_, err := bot.New("999:WRONG", bot.WithServerURL(srv.URL()))
	if !errors.Is(err, bot.ErrorUnauthorized) {
		t.Errorf("bot.New with a wrong token: err = %v, want ErrorUnauthorized", err)
	}
}

// TestButtonRoundTrip drives a whole conversation through the real client:
// a command, a reply with an inline keyboard, a button press answered with
// answerCallbackQuery and an edit of the message.
func TestButtonRoundTrip(t *testing.T) {
	srv := newServer(t)
	resident := tgtest.User{ID: 1001, FirstName: "王", LanguageCode: "zh-hans"}
	chat := tgtest.PrivateChat(resident)

	b := newClient(t, srv)
	b.RegisterHandler(bot.HandlerTypeMessageText, "start", bot.MatchTypeCommand, func(ctx context.Context, b *bot.Bot, u *models.Update) {
		_, err := b.SendMessage(ctx, &bot.SendMessageParams{
			ChatID:    u.Message.Chat.ID,
			Text:      "<b>欢迎</b> &amp; 你好",
			ParseMode: models.ParseModeHTML,
			ReplyMarkup: &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{
				{Text: "订阅", CallbackData: "sub:p1"},
				{Text: "网站", URL: "https://example.com"},
			}}},
		})
		check(t, ctx, "SendMessage", err)
	})
	b.RegisterHandler(bot.HandlerTypeCallbackQueryData, "sub:", bot.MatchTypePrefix, func(ctx context.Context, b *bot.Bot, u *models.Update) {
		q := u.CallbackQuery
		_, err := b.AnswerCallbackQuery(ctx, &bot.AnswerCallbackQueryParams{CallbackQueryID: q.ID, Text: "已订阅"})
		check(t, ctx, "AnswerCallbackQuery", err)
		m := q.Message.Message
		_, err = b.EditMessageText(ctx, &bot.EditMessageTextParams{
			ChatID:    m.Chat.ID,
			MessageID: m.ID,
			Text:      "已订阅 " + strings.TrimPrefix(q.Data, "sub:"),
		})
		check(t, ctx, "EditMessageText", err)
	})
	startBot(t, b)

	srv.SendText(chat, resident, "/start")
	sent, err := srv.WaitSent(waitCtx(t), chat.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	m := sent[0]
	if m.PlainText != "欢迎 & 你好" || m.Text != "<b>欢迎</b> &amp; 你好" || m.ParseMode != "HTML" {
		t.Errorf("sent message text = %q / %q (%s), want HTML stripped and raw", m.PlainText, m.Text, m.ParseMode)
	}
	btn, ok := m.Button("订阅")
	if !ok || btn.CallbackData != "sub:p1" {
		t.Fatalf("button 订阅 = %+v, %v; want callback data sub:p1", btn, ok)
	}
	if m.Model.From == nil || m.Model.From.ID != srv.Bot().ID {
		t.Errorf("message from = %+v, want the bot", m.Model.From)
	}

	srv.PressButton(chat, resident, m.Model, btn.CallbackData)
	err = srv.WaitUntil(waitCtx(t), func() bool {
		s := srv.Sent(chat.ID)
		return len(srv.CallbackAnswers()) == 1 && len(s) == 1 && s[0].Edits == 1
	})
	if err != nil {
		t.Fatal(err)
	}
	ans := srv.CallbackAnswers()[0]
	if ans.Text != "已订阅" || ans.Data != "sub:p1" || ans.ChatID != chat.ID || ans.MessageID != m.MessageID || ans.FromID != resident.ID {
		t.Errorf("callback answer = %+v", ans)
	}
	edited := srv.Sent(chat.ID)[0]
	if edited.PlainText != "已订阅 p1" {
		t.Errorf("edited text = %q, want 已订阅 p1", edited.PlainText)
	}
	if edited.ReplyMarkup != nil {
		t.Errorf("edit without reply_markup kept the keyboard %+v; Telegram removes it", edited.ReplyMarkup)
	}
	if got := srv.DeliveryCount(chat.ID); got != 1 {
		t.Errorf("DeliveryCount = %d, want 1", got)
	}
}

// TestCommandAfterChineseText feeds commands behind Chinese text and emoji
// to a real client. The server's bot_command entities count UTF-16 code
// units, as Telegram's do, so a matcher must slice the text by UTF-16
// offsets; go-telegram/bot's MatchTypeCommand slices bytes and misses these
// commands (see STYLE.md, known library traps).
func TestCommandAfterChineseText(t *testing.T) {
	srv := newServer(t)
	u := tgtest.User{ID: 7}
	chat := tgtest.PrivateChat(u)
	isHelp := func(upd *models.Update) bool {
		if upd.Message == nil {
			return false
		}
		for _, e := range upd.Message.Entities {
			if e.Type != models.MessageEntityTypeBotCommand {
				continue
			}
			cmd, _, _ := strings.Cut(tgtest.UTF16Slice(upd.Message.Text, e.Offset, e.Offset+e.Length), "@")
			if cmd == "/help" {
				return true
			}
		}
		return false
	}
	b := newClient(t, srv)
	b.RegisterHandlerMatchFunc(isHelp, func(ctx context.Context, b *bot.Bot, upd *models.Update) {
		_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: upd.Message.Chat.ID, Text: "help for " + upd.Message.Text})
		check(t, ctx, "SendMessage", err)
	})
	startBot(t, b)
	srv.SendText(chat, u, "你好 /help")
	srv.SendText(chat, u, "你好/help") // touching a letter: not a command
	srv.SendText(chat, u, "👍🏽 /help@"+srv.Bot().Username+" 谢谢")
	srv.SendText(chat, u, "/start")
	last := srv.SendText(chat, u, "/help")
	if err := srv.WaitConfirmed(waitCtx(t), last.ID); err != nil {
		t.Fatal(err)
	}
	sent, err := srv.WaitSent(waitCtx(t), chat.ID, 3)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range sent {
		got = append(got, m.PlainText)
	}
	want := []string{"help for 你好 /help", "help for 👍🏽 /help@zhangmiao_test_bot 谢谢", "help for /help"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("replies = %q, want %q", got, want)
	}
}

func TestErrorMappingThroughRealClient(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	srv := newServer(t, tgtest.WithFloodLimits(tgtest.DefaultFloodLimits), tgtest.WithClock(func() time.Time { return now }))
	b := newClient(t, srv)
	ctx := waitCtx(t)

	t.Run("blocked", func(t *testing.T) {
		srv.SetBlocked(42, true)
		_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: 42, Text: "hi"})
		if !errors.Is(err, bot.ErrorForbidden) || !strings.Contains(err.Error(), "bot was blocked by the user") {
			t.Errorf("send to blocked chat: err = %v, want ErrorForbidden, blocked by the user", err)
		}
	})
	t.Run("migrated", func(t *testing.T) {
		srv.Migrate(-100, -1009876543210)
		_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: -100, Text: "hi"})
		var me *bot.MigrateError
		if !errors.As(err, &me) || me.MigrateToChatID != -1009876543210 {
			t.Fatalf("send to migrated group: err = %v, want *bot.MigrateError to -1009876543210", err)
		}
		if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: me.MigrateToChatID, Text: "hi"}); err != nil {
			t.Errorf("send to the supergroup: %v", err)
		}
	})
	t.Run("flood", func(t *testing.T) {
		if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: 5, Text: "one"}); err != nil {
			t.Fatalf("first send: %v", err)
		}
		_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: 5, Text: "two"})
		var tm *bot.TooManyRequestsError
		if !errors.As(err, &tm) || tm.RetryAfter != 1 {
			t.Fatalf("second send in the same second: err = %v, want *bot.TooManyRequestsError retry_after 1", err)
		}
		if got := srv.DeliveryCount(5); got != 1 {
			t.Errorf("DeliveryCount after a 429 = %d, want 1", got)
		}
	})
	t.Run("bad html", func(t *testing.T) {
		_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: 6, Text: "<b>1 < 2</b>", ParseMode: models.ParseModeHTML})
		if !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), "can't parse entities") {
			t.Errorf("malformed HTML: err = %v, want bad request, can't parse entities", err)
		}
	})
	t.Run("long callback data", func(t *testing.T) {
		_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: 7, Text: "x", ReplyMarkup: &models.InlineKeyboardMarkup{
			InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "b", CallbackData: strings.Repeat("x", 65)}}},
		}})
		if !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), "BUTTON_DATA_INVALID") {
			t.Errorf("65-byte callback data: err = %v, want BUTTON_DATA_INVALID", err)
		}
	})
	t.Run("fault 429", func(t *testing.T) {
		srv.SetFaults(tgtest.Faults{Rate: 1, Kinds: []tgtest.Fault{tgtest.Fault429}, RetryAfter: 3, Methods: []string{"sendChatAction"}})
		defer srv.SetFaults(tgtest.Faults{})
		_, err := b.SendChatAction(ctx, &bot.SendChatActionParams{ChatID: 8, Action: models.ChatActionTyping})
		var tm *bot.TooManyRequestsError
		if !errors.As(err, &tm) || tm.RetryAfter != 3 {
			t.Errorf("injected 429: err = %v, want *bot.TooManyRequestsError retry_after 3", err)
		}
	})
}

func TestEditErrorsThroughRealClient(t *testing.T) {
	srv := newServer(t)
	b := newClient(t, srv)
	ctx := waitCtx(t)
	kb := &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "a", CallbackData: "a"}}}}
	m, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: 9, Text: "hello", ReplyMarkup: kb})
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: 9, MessageID: m.ID, Text: "hello", ReplyMarkup: kb})
	if !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), "message is not modified") {
		t.Errorf("same text and markup: err = %v, want message is not modified", err)
	}
	_, err = b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: 9, MessageID: m.ID + 100, Text: "x"})
	if !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), "message to edit not found") {
		t.Errorf("missing message: err = %v, want message to edit not found", err)
	}
	if _, err := b.EditMessageReplyMarkup(ctx, &bot.EditMessageReplyMarkupParams{ChatID: 9, MessageID: m.ID}); err != nil {
		t.Errorf("removing the keyboard: %v", err)
	}
	if got := srv.Sent(9)[0]; got.ReplyMarkup != nil || got.Edits != 1 {
		t.Errorf("after EditMessageReplyMarkup without markup: %+v, want no keyboard, 1 edit", got)
	}
	_, err = b.AnswerCallbackQuery(ctx, &bot.AnswerCallbackQueryParams{CallbackQueryID: "12345"})
	if !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), "query ID is invalid") {
		t.Errorf("unknown callback query: err = %v", err)
	}
	ok, err := b.DeleteMessage(ctx, &bot.DeleteMessageParams{ChatID: 9, MessageID: m.ID})
	if err != nil || !ok {
		t.Errorf("DeleteMessage = %v, %v", ok, err)
	}
	if _, err := b.DeleteMessage(ctx, &bot.DeleteMessageParams{ChatID: 9, MessageID: m.ID}); !errors.Is(err, bot.ErrorBadRequest) {
		t.Errorf("deleting twice: err = %v, want bad request", err)
	}
}

func TestCommandsAndChatsThroughRealClient(t *testing.T) {
	srv := newServer(t)
	b := newClient(t, srv)
	ctx := waitCtx(t)

	staff := &models.BotCommandScopeChat{ChatID: int64(-200)}
	cmds := []models.BotCommand{{Command: "status", Description: "项目状态"}, {Command: "reply", Description: "回复居民"}}
	if _, err := b.SetMyCommands(ctx, &bot.SetMyCommandsParams{Commands: cmds, Scope: staff}); err != nil {
		t.Fatalf("SetMyCommands: %v", err)
	}
	if _, err := b.SetMyCommands(ctx, &bot.SetMyCommandsParams{Commands: []models.BotCommand{{Command: "Start", Description: "x"}}}); !errors.Is(err, bot.ErrorBadRequest) {
		t.Errorf("upper-case command: err = %v, want BOT_COMMAND_INVALID", err)
	}
	if got := srv.Commands(staff); fmt.Sprint(got) != fmt.Sprint(cmds) {
		t.Errorf("Commands(chat -200) = %v, want %v", got, cmds)
	}
	if got := srv.Commands(nil); len(got) != 0 {
		t.Errorf("Commands(default) = %v, want none", got)
	}
	got, err := b.GetMyCommands(ctx, &bot.GetMyCommandsParams{Scope: staff})
	if err != nil || fmt.Sprint(got) != fmt.Sprint(cmds) {
		t.Errorf("GetMyCommands = %v, %v", got, err)
	}
	if _, err := b.DeleteMyCommands(ctx, &bot.DeleteMyCommandsParams{Scope: staff}); err != nil {
		t.Errorf("DeleteMyCommands: %v", err)
	}
	if got := srv.Commands(staff); len(got) != 0 {
		t.Errorf("after DeleteMyCommands: %v", got)
	}

	group := tgtest.SupergroupChat(-1001000, "张庙社区工作群")
	boss := tgtest.User{ID: 11, FirstName: "李"}
	srv.SendText(group, boss, "大家好")
	srv.SetChatAdmins(group.ID, boss.ID)
	admins, err := b.GetChatAdministrators(ctx, &bot.GetChatAdministratorsParams{ChatID: group.ID})
	if err != nil || len(admins) != 1 || admins[0].Administrator == nil || admins[0].Administrator.User.ID != boss.ID {
		t.Errorf("GetChatAdministrators = %+v, %v", admins, err)
	}
	member, err := b.GetChatMember(ctx, &bot.GetChatMemberParams{ChatID: group.ID, UserID: boss.ID})
	if err != nil || member.Type != models.ChatMemberTypeAdministrator {
		t.Errorf("GetChatMember(admin) = %+v, %v", member, err)
	}
	info, err := b.GetChat(ctx, &bot.GetChatParams{ChatID: group.ID})
	if err != nil || info.Title != group.Title || info.Type != models.ChatTypeSupergroup {
		t.Errorf("GetChat = %+v, %v", info, err)
	}
	if _, err := b.GetChat(ctx, &bot.GetChatParams{ChatID: -5555}); !errors.Is(err, bot.ErrorBadRequest) {
		t.Errorf("GetChat(unknown) err = %v, want chat not found", err)
	}
}

// TestWebhookThroughRealClient sets a webhook with the client and checks
// that getUpdates is refused while it is active.
func TestWebhookThroughRealClient(t *testing.T) {
	srv := newServer(t)
	b := newClient(t, srv)
	ctx := waitCtx(t)
	got := make(chan *http.Request, 10)
	hook := newHook(t, func(w http.ResponseWriter, r *http.Request) {
		got <- r
	})
	if _, err := b.SetWebhook(ctx, &bot.SetWebhookParams{URL: hook, SecretToken: "s3cr3t"}); err != nil {
		t.Fatalf("SetWebhook: %v", err)
	}
	info, err := b.GetWebhookInfo(ctx)
	if err != nil || info.URL != hook {
		t.Errorf("GetWebhookInfo = %+v, %v", info, err)
	}
	u := tgtest.User{ID: 3}
	srv.SendText(tgtest.PrivateChat(u), u, "hi")
	select {
	case r := <-got:
		if s := r.Header.Get("X-Telegram-Bot-Api-Secret-Token"); s != "s3cr3t" {
			t.Errorf("secret header = %q", s)
		}
	case <-ctx.Done():
		t.Fatal("webhook not called")
	}
	if _, err := b.DeleteWebhook(ctx, &bot.DeleteWebhookParams{}); err != nil {
		t.Errorf("DeleteWebhook: %v", err)
	}
}

// newHook starts a webhook receiver and returns its URL.
func newHook(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	hs := newHTTPServer(h)
	t.Cleanup(hs.Close)
	return hs.URL
}

// TestTwoRealPollers runs two real clients on one token: the library sees
// the 409 conflict Telegram gives a second bot instance.
func TestTwoRealPollers(t *testing.T) {
	srv := newServer(t)
	conflicts := make(chan error, 100)
	onErr := bot.WithErrorsHandler(func(err error) {
		if errors.Is(err, bot.ErrorConflict) {
			select {
			case conflicts <- err:
			default:
			}
		}
	})
	startBot(t, newClient(t, srv, onErr))
	startBot(t, newClient(t, srv, onErr))
	select {
	case err := <-conflicts:
		if !strings.Contains(err.Error(), "terminated by other getUpdates request") {
			t.Errorf("conflict error = %v", err)
		}
	case <-waitCtx(t).Done():
		t.Fatal("two pollers never conflicted")
	}
}
