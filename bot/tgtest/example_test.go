package tgtest_test

import (
	"context"
	"fmt"
	"sync"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/zhangmiao/communitybot/bot/tgtest"
)

// A real go-telegram/bot client polls the fake server; the example plays a
// resident who sends /start and reads the bot's reply.
func Example() {
	srv := tgtest.New()
	defer srv.Close()

	b, err := bot.New(srv.Token(), bot.WithServerURL(srv.URL()))
	if err != nil {
		fmt.Println(err)
		return
	}
	b.RegisterHandler(bot.HandlerTypeMessageText, "start", bot.MatchTypeCommandStartOnly, func(ctx context.Context, b *bot.Bot, u *models.Update) {
		_, _ = b.SendMessage(ctx, &bot.SendMessageParams{
			ChatID:    u.Message.Chat.ID,
			Text:      "<b>欢迎</b>，" + u.Message.From.FirstName + "！",
			ParseMode: models.ParseModeHTML,
		})
	})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		b.Start(ctx)
	}()
	defer wg.Wait()
	defer cancel()

	resident := tgtest.User{ID: 1001, FirstName: "王"}
	chat := tgtest.PrivateChat(resident)
	srv.SendText(chat, resident, "/start")
	msgs, err := srv.WaitSent(ctx, chat.ID, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(msgs[0].PlainText)
	fmt.Println(msgs[0].Text)
	// Output:
	// 欢迎，王！
	// <b>欢迎</b>，王！
}

// Console mode prints what the bot does from a subscription.
func ExampleServer_Subscribe() {
	srv := tgtest.New()
	defer srv.Close()
	events, stop := srv.Subscribe()
	defer stop()

	b, _ := bot.New(srv.Token(), bot.WithServerURL(srv.URL()), bot.WithSkipGetMe())
	ctx := context.Background()
	m, _ := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: 1001, Text: "您好"})
	_, _ = b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: 1001, MessageID: m.ID, Text: "您好！"})

	for range 2 {
		e := <-events
		fmt.Printf("%s chat %d message %d: %s\n", e.Kind, e.ChatID, e.Message.MessageID, e.Message.PlainText)
	}
	// Output:
	// sent chat 1001 message 1: 您好
	// edited chat 1001 message 1: 您好！
}
