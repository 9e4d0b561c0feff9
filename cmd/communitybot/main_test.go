package main

import (
	"bytes"
	"fmt"
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
	var out syncBuffer
	p := watchPrograms(t, 60*time.Second)
	// The page on a free port, not console mode's 8081.
	console := p.start("console", in, &out, "WEB_LISTEN", "127.0.0.1:0")
	if err := p.exit(console); err != nil {
		t.Fatalf("run: %v\nstderr: %s", err, console.Logs())
	}
	got := out.String()
	for _, want := range []string{"控制台模式", "网页版：http://127.0.0.1:", "美丽张庙", "电梯加装", "架空线入地", "更新记录", "没有 /nosuch 这个命令"} {
		if !strings.Contains(got, want) {
			t.Errorf("console output lacks %q:\n%s", want, got)
		}
	}
	if !strings.Contains(console.Logs(), "NOTHING SURVIVES A RESTART") {
		t.Errorf("no warning about the embedded Redis on stderr: %s", console.Logs())
	}
}

// TestConsolePipedInputIsAllAnswered: 40 lines piped into console mode
// get 40 answers — the console user is not flood-limited, and nothing
// typed is dropped.
func TestConsolePipedInputIsAllAnswered(t *testing.T) {
	var in strings.Builder
	const lines = 40
	for i := range lines {
		fmt.Fprintf(&in, "/project %d\n", i%7+1)
	}
	var out syncBuffer
	p := watchPrograms(t, 3*time.Minute)
	console := p.start("console", strings.NewReader(in.String()), &out)
	if err := p.exit(console); err != nil {
		t.Fatalf("run: %v\nstderr: %s", err, console.Logs())
	}
	got := out.String()
	// The welcome, then one answer per line.
	if n := strings.Count(got, "【助手】"); n != lines+1 {
		t.Errorf("%d messages for %d piped lines, want %d (the welcome and one answer each):\n%s", n, lines, lines+1, tail(got, 40))
	}
	if strings.Contains(got, "发送得有点快") || strings.Contains(got, "没有处理完") {
		t.Errorf("piped input was flood-limited or left unanswered:\n%s", tail(got, 40))
	}
	for _, name := range []string{"泗塘一村", "智慧湾"} {
		if strings.Count(got, name) < lines/7 {
			t.Errorf("%s answered fewer than %d times", name, lines/7)
		}
	}
}

// TestRunPolling runs the program against a fake Telegram and the real
// Redis, as a deployment would, and checks that the token never reaches
// the logs.
func TestRunPolling(t *testing.T) {
	api := tgtest.New(tgtest.WithToken("424242:VERY-SECRET-TOKEN"))
	defer api.Close()
	prefix := storagetest.Reserve(t)
	p := watchPrograms(t, 30*time.Second)
	bot := p.start("bot", nil, nil,
		"TELEGRAM_BOT_TOKEN", api.Token(), "TELEGRAM_API_URL", api.URL(),
		"REDIS_URL", storagetest.URL(), "REDIS_PREFIX", prefix, "LOG_LEVEL", "debug", "HTTP_ADDR", "127.0.0.1:0")
	u := tgtest.User{ID: 77, FirstName: "居民"}
	api.SendText(tgtest.PrivateChat(u), u, "五大行动有哪些")
	msgs, err := api.WaitSent(p.ctx, u.ID, 1)
	p.check("the answer", err)
	if !strings.Contains(msgs[0].PlainText, "学习大讨论") {
		t.Errorf("reply: %s", msgs[0].PlainText)
	}
	if err := bot.shutdown(); err != nil {
		t.Fatalf("run: %v", err)
	}
	logs := bot.Logs()
	if strings.Contains(logs, "VERY-SECRET-TOKEN") {
		t.Fatalf("the token reached the logs:\n%s", logs)
	}
	if !strings.Contains(logs, "connected to telegram") {
		t.Errorf("logs lack the connect line:\n%s", logs)
	}
}

// TestRunExitsWhenTelegramRejectsTheToken: a bad token stops the process
// with a clear error instead of leaving it running without a bot.
func TestRunExitsWhenTelegramRejectsTheToken(t *testing.T) {
	api := tgtest.New() // its token differs from the one below: every call gets 401
	defer api.Close()
	prefix := storagetest.Reserve(t)
	p := watchPrograms(t, 30*time.Second)
	bot := p.start("bot", nil, nil, "TELEGRAM_BOT_TOKEN", "999:WRONG-TOKEN", "TELEGRAM_API_URL", api.URL(),
		"REDIS_URL", storagetest.URL(), "REDIS_PREFIX", prefix)
	if err := p.exit(bot); err == nil || !strings.Contains(err.Error(), "rejected the bot token") {
		t.Fatalf("run = %v, want the token rejected", err)
	}
}
