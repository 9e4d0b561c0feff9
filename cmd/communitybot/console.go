package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/zhangmiao/communitybot/bot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
	"github.com/zhangmiao/communitybot/intake"
	"github.com/zhangmiao/communitybot/storage"
)

// consoleUser is the user played by the person at the terminal: a resident,
// or an admin with ADMIN_IDS=10001. Its name is what the audit log and the
// staff chat show, so it says what it is rather than a role it may not have.
var consoleUser = tgtest.User{ID: 10001, FirstName: "控制台用户", LanguageCode: "zh-hans"}

// newConsoleAPI starts the local Bot API stand-in of console mode.
func newConsoleAPI(log *slog.Logger) *tgtest.Server {
	return tgtest.New(tgtest.WithBotUser(7000000001, "zhangmiao_community_bot"), tgtest.WithLogger(log.With("component", "local-bot-api")))
}

// runConsole runs the real bot against the local Bot API stand-in api and
// lets the person at the terminal be a Telegram user: each line typed is a
// message, "#N" presses button N of the last keyboard. The bot under test is
// exactly the one that talks to Telegram: same intake, inbox, handlers.
//
// webAddr, when the web page runs, is shown in the banner.
func runConsole(ctx context.Context, api *tgtest.Server, cfg bot.Config, store *storage.Store, router *bot.Router, stdin io.Reader, stdout io.Writer, log *slog.Logger, alongside func(context.Context) func(), webAddr string) error {
	cfg.Token, cfg.APIURL, cfg.Mode = api.Token(), api.URL(), bot.ModePolling
	// Flood control protects other users from one user's burst; at the
	// terminal there is one user, and a piped conversation (the README
	// invites it) must be answered line by line, not cut off after 15.
	cfg.FloodLimit = -1
	b, err := bot.New(cfg, store, router)
	if err != nil {
		return err
	}
	botCtx, stopBot := context.WithCancel(ctx)
	defer stopBot()
	if alongside != nil { // what runs beside the bot (delivery, scheduler)
		wait := alongside(botCtx)
		defer func() { stopBot(); wait() }()
	}
	botDone := make(chan error, 1)
	go func() { botDone <- b.Run(botCtx) }()

	c := &console{api: api, store: store, out: stdout, chat: tgtest.PrivateChat(consoleUser)}
	events, unsubscribe := api.Subscribe()
	defer unsubscribe()
	var printing sync.WaitGroup
	printing.Go(func() { c.print(events) })

	fmt.Fprint(stdout, "张庙街道社区助手 · 控制台模式（本地模拟 Telegram，无需网络）\n"+
		"直接输入问题后回车；输入 #1、#2… 点按上一条消息的按钮；输入 /quit 或按 Ctrl-D 退出。\n")
	if webAddr != "" {
		fmt.Fprintf(stdout, "网页版：%s （用浏览器打开，和这里是同一个助手）\n", webAddr)
	}
	fmt.Fprintln(stdout)
	api.SendText(c.chat, consoleUser, "/start")
	c.waitQuiet(ctx, 300*time.Millisecond, 15*time.Second)

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
		if err := sc.Err(); err != nil {
			// Say why input stops here rather than end as if it had.
			fmt.Fprintf(stdout, "（无法继续读取输入：%v；之后的内容没有发送。）\n", err)
		}
	}()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err := <-botDone:
			return err
		case line, ok := <-lines:
			if !ok {
				// Input ended (a pipe, or Ctrl-D): let the bot answer
				// everything asked before leaving.
				if left := c.waitQuiet(ctx, 1500*time.Millisecond, 60*time.Second); left > 0 {
					fmt.Fprintf(stdout, "（还有 %d 条消息没有处理完，退出后不会再处理。）\n", left)
				}
				break loop
			}
			if !c.handle(line) {
				break loop
			}
			// Wait for the answer before taking the next line, so a
			// pasted or piped conversation reads like one.
			c.waitQuiet(ctx, 300*time.Millisecond, 15*time.Second)
		}
	}
	stopBot()
	err = <-botDone
	unsubscribe()
	printing.Wait()
	return err
}

type console struct {
	api   *tgtest.Server
	store *storage.Store
	out   io.Writer
	chat  tgtest.Chat

	mu       sync.Mutex
	buttons  []button // of the last message that had a keyboard
	lastSeen time.Time
}

type button struct {
	msg  models.Message
	text string
	data string
}

// handle acts on one typed line and reports whether to go on.
func (c *console) handle(line string) bool {
	line = strings.TrimSpace(line)
	switch {
	case line == "":
		return true
	case line == "/quit" || line == "/exit" || line == "退出":
		return false
	case strings.HasPrefix(line, "#") || strings.HasPrefix(line, "＃"):
		n, err := strconv.Atoi(strings.TrimSpace(strings.TrimLeft(line, "#＃")))
		c.mu.Lock()
		buttons := c.buttons
		c.mu.Unlock()
		if err != nil || n < 1 || n > len(buttons) {
			fmt.Fprintf(c.out, "（没有第 %s 个按钮；上一条消息有 %d 个按钮）\n", strings.TrimLeft(line, "#＃"), len(buttons))
			return true
		}
		b := buttons[n-1]
		fmt.Fprintf(c.out, "（点按：%s）\n", b.text)
		c.api.PressButton(c.chat, consoleUser, b.msg, b.data)
	default:
		c.api.SendText(c.chat, consoleUser, line)
	}
	c.mu.Lock()
	c.lastSeen = time.Now()
	c.mu.Unlock()
	return true
}

// print shows what the bot does in the chat.
func (c *console) print(events <-chan tgtest.Event) {
	for e := range events {
		c.mu.Lock()
		c.lastSeen = time.Now()
		c.mu.Unlock()
		switch e.Kind {
		case tgtest.EventMessageSent, tgtest.EventMessageEdited:
			prefix := "助手"
			if e.Kind == tgtest.EventMessageEdited {
				prefix = "助手（更新了消息）"
			}
			fmt.Fprintf(c.out, "\n【%s】\n%s\n", prefix, e.Message.PlainText)
			var bs []button
			if e.Message.ReplyMarkup != nil {
				for _, row := range e.Message.ReplyMarkup.InlineKeyboard {
					var cells []string
					for _, kb := range row {
						bs = append(bs, button{msg: e.Message.Model, text: kb.Text, data: kb.CallbackData})
						cells = append(cells, fmt.Sprintf("[#%d %s]", len(bs), kb.Text))
					}
					fmt.Fprintf(c.out, "  %s\n", strings.Join(cells, "  "))
				}
				c.mu.Lock()
				c.buttons = bs
				c.mu.Unlock()
			}
			fmt.Fprintln(c.out)
		case tgtest.EventCallbackAnswered:
			if e.Answer.Text != "" {
				fmt.Fprintf(c.out, "（提示：%s）\n", e.Answer.Text)
			}
		}
	}
}

// waitQuiet returns once every update was taken by the bot and handled
// (the inbox holds none unacknowledged) and nothing happened in the chat
// for quiet, or after limit. It returns how many updates were still
// waiting then: a slow answer delays the next line, it never drops it.
func (c *console) waitQuiet(ctx context.Context, quiet, limit time.Duration) int {
	deadline := time.Now().Add(limit)
	left := 0
	for time.Now().Before(deadline) && ctx.Err() == nil {
		c.mu.Lock()
		idle := time.Since(c.lastSeen)
		c.mu.Unlock()
		backlog, err := c.store.InboxBacklog(ctx, intake.Partitions)
		if err != nil {
			backlog = 0 // the embedded Redis does not fail; never hang on it
		}
		left = c.api.Pending() + int(backlog)
		if left == 0 && idle >= quiet {
			return 0
		}
		time.Sleep(100 * time.Millisecond)
	}
	return left
}
