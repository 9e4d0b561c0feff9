package main

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot/bot/tgtest"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

const (
	secretToken = "424242:VERY-SECRET-TOKEN"
	secretPW    = "secretpw"
)

// withUserInfo puts u:secretpw@ into an http URL.
func withUserInfo(raw string) string {
	return strings.Replace(raw, "http://", "http://u:"+secretPW+"@", 1)
}

func noSecrets(t *testing.T, what, text string, secrets ...string) {
	t.Helper()
	for _, s := range append([]string{secretToken, "VERY-SECRET-TOKEN", secretPW}, secrets...) {
		if strings.Contains(text, s) {
			t.Errorf("%s contains %q:\n%s", what, s, text)
		}
	}
}

// TestStartupLogHoldsNoSecrets runs the program with a password in
// TELEGRAM_API_URL and WEBHOOK_URL and a token, at debug level, with a
// quarter of the Bot API calls failing (so client errors that quote request
// URLs are logged): neither the password nor the token is in the log, and
// the startup line shows the URL redacted.
func TestStartupLogHoldsNoSecrets(t *testing.T) {
	api := tgtest.New(tgtest.WithToken(secretToken))
	defer api.Close()
	// Every reply fails at first (a timeout, a 500, a 502), until three
	// failures were logged; then Telegram recovers.
	api.SetFaults(tgtest.Faults{Rate: 1, Kinds: []tgtest.Fault{tgtest.Fault500, tgtest.FaultTimeout, tgtest.FaultBadGateway},
		Methods: []string{"sendMessage"}, TimeoutDelay: 100 * time.Millisecond, Seed: 7})
	prefix := storagetest.Reserve(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hookAddr := ln.Addr().String()
	ln.Close()
	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, env(
			"TELEGRAM_BOT_TOKEN", api.Token(), "TELEGRAM_API_URL", withUserInfo(api.URL()),
			"WEBHOOK_URL", "http://hook:hookpw@"+hookAddr+"/tg/hook", "WEBHOOK_SECRET", "webhook-SECRET-1", "WEBHOOK_LISTEN", hookAddr,
			"REDIS_URL", storagetest.URL(), "REDIS_PREFIX", prefix, "LOG_LEVEL", "debug", "HTTP_ADDR", "off",
		), strings.NewReader(""), io.Discard, &logs)
	}()
	u := tgtest.User{ID: 78, FirstName: "居民"}
	for _, q := range []string{"五大行动有哪些", "五个张庙是什么", "电梯加装进展怎么样"} {
		api.SendText(tgtest.PrivateChat(u), u, q)
	}
	wctx, wcancel := context.WithTimeout(ctx, 60*time.Second)
	defer wcancel()
	waitErr := make(chan error, 1)
	go func() {
		for api.FaultsInjected() < 3 {
			if wctx.Err() != nil {
				waitErr <- wctx.Err()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		api.SetFaults(tgtest.Faults{})
		_, err := api.WaitSent(wctx, u.ID, 3)
		waitErr <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("run exited early: %v\nlogs: %s", err, logs.String())
	case err := <-waitErr:
		if err != nil {
			t.Fatalf("%v\nlogs: %s", err, logs.String())
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	got := logs.String()
	noSecrets(t, "the log", got, "hookpw", "webhook-SECRET-1")
	if !strings.Contains(got, "api=http://u:xxxxx@127.0.0.1:") {
		t.Errorf("the startup line does not show TELEGRAM_API_URL redacted:\n%s", got)
	}
	if !strings.Contains(got, "telegram call failed") {
		t.Errorf("no Bot API error was logged: the test did not look where URLs are quoted:\n%s", got)
	}
}

// TestUnreachableTelegramLogsNoSecrets: with Telegram unreachable, the
// client's errors quote the request URL (with the token in its path);
// none of it reaches the log.
func TestUnreachableTelegramLogsNoSecrets(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now: every call is refused
	prefix := storagetest.Reserve(t)
	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, env("TELEGRAM_BOT_TOKEN", secretToken, "TELEGRAM_API_URL", withUserInfo(dead),
			"REDIS_URL", storagetest.URL(), "REDIS_PREFIX", prefix, "LOG_LEVEL", "debug", "HTTP_ADDR", "off"),
			strings.NewReader(""), io.Discard, &logs)
	}()
	deadline := time.After(30 * time.Second)
	for !strings.Contains(logs.String(), "refused") {
		select {
		case err := <-done:
			t.Fatalf("run exited early: %v\nlogs: %s", err, logs.String())
		case <-deadline:
			t.Fatalf("no connection error logged within 30s:\n%s", logs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	err = <-done
	noSecrets(t, "the log", logs.String())
	if err != nil {
		noSecrets(t, "run's error", err.Error())
	}
}

// TestRedisPasswordNeverShown: a REDIS_URL whose password Redis refuses
// stops the program with an error that names the URL without the password.
func TestRedisPasswordNeverShown(t *testing.T) {
	var logs syncBuffer
	bad := strings.Replace(storagetest.URL(), "redis://", "redis://u:"+secretPW+"@", 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := run(ctx, env("TELEGRAM_BOT_TOKEN", secretToken, "REDIS_URL", bad, "LOG_LEVEL", "debug", "HTTP_ADDR", "off"),
		strings.NewReader(""), io.Discard, &logs)
	if err == nil {
		t.Fatal("run accepted a Redis password the server refuses")
	}
	noSecrets(t, "run's error", err.Error())
	noSecrets(t, "the log", logs.String())
	if !strings.Contains(err.Error(), "u:xxxxx@") {
		t.Errorf("run's error does not name the redacted URL: %v", err)
	}
}
