package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot/bot/tgtest"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of run.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestConsoleMode runs the program as a newcomer would, with no token and
// no Redis: questions piped to stdin are answered on stdout.
func TestConsoleMode(t *testing.T) {
	in := strings.NewReader("五个张庙是什么？\n电梯加装进展怎么样\n那架空线呢？\n#1\n/nosuch\n")
	var out, errOut syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// WEB_LISTEN: the page on a free port, not console mode's 8081.
	if err := run(ctx, env("WEB_LISTEN", "127.0.0.1:0"), in, &out, &errOut); err != nil {
		t.Fatalf("run: %v\nstderr: %s", err, errOut.String())
	}
	got := out.String()
	for _, want := range []string{"控制台模式", "网页版：http://127.0.0.1:", "美丽张庙", "电梯加装", "架空线入地", "更新记录", "没有 /nosuch 这个命令"} {
		if !strings.Contains(got, want) {
			t.Errorf("console output lacks %q:\n%s", want, got)
		}
	}
	if !strings.Contains(errOut.String(), "NOTHING SURVIVES A RESTART") {
		t.Errorf("no warning about the embedded Redis on stderr: %s", errOut.String())
	}
}

// TestRunPolling runs the program against a fake Telegram and the real
// Redis, as a deployment would, and checks that the token never reaches
// the logs.
func TestRunPolling(t *testing.T) {
	api := tgtest.New(tgtest.WithToken("424242:VERY-SECRET-TOKEN"))
	defer api.Close()
	prefix := storagetest.Reserve(t)
	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, env(
			"TELEGRAM_BOT_TOKEN", api.Token(), "TELEGRAM_API_URL", api.URL(),
			"REDIS_URL", storagetest.URL(), "REDIS_PREFIX", prefix, "LOG_LEVEL", "debug", "HTTP_ADDR", "127.0.0.1:0",
		), strings.NewReader(""), io.Discard, &logs)
	}()
	u := tgtest.User{ID: 77, FirstName: "居民"}
	api.SendText(tgtest.PrivateChat(u), u, "五大行动有哪些")
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	msgs, err := api.WaitSent(wctx, u.ID, 1)
	if err != nil {
		t.Fatalf("%v\nlogs: %s", err, logs.String())
	}
	if !strings.Contains(msgs[0].PlainText, "学习大讨论") {
		t.Errorf("reply: %s", msgs[0].PlainText)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if strings.Contains(logs.String(), "VERY-SECRET-TOKEN") {
		t.Fatalf("the token reached the logs:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "connected to telegram") {
		t.Errorf("logs lack the connect line:\n%s", logs.String())
	}
}

// TestRunExitsWhenTelegramRejectsTheToken: a bad token stops the process
// with a clear error instead of leaving it running without a bot.
func TestRunExitsWhenTelegramRejectsTheToken(t *testing.T) {
	api := tgtest.New() // its token differs from the one below: every call gets 401
	defer api.Close()
	prefix := storagetest.Reserve(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, env("TELEGRAM_BOT_TOKEN", "999:WRONG-TOKEN", "TELEGRAM_API_URL", api.URL(),
			"REDIS_URL", storagetest.URL(), "REDIS_PREFIX", prefix, "HTTP_ADDR", "off"), strings.NewReader(""), io.Discard, io.Discard)
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "rejected the bot token") {
			t.Fatalf("run = %v, want the token rejected", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return after Telegram rejected the token")
	}
}
