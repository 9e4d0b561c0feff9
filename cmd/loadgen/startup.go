package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/zhangmiao/communitybot/bot/tgtest"
)

// measureStartup runs the real binary against a fake Bot API and reports
// how long it takes to start polling, to answer a first question, its idle
// resident memory, and how long a graceful shutdown takes.
func measureStartup(bin, redisURL string) error {
	api := tgtest.New()
	defer api.Close()
	prefix := fmt.Sprintf("loadgen-startup:%d:", time.Now().UnixNano())
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"TELEGRAM_BOT_TOKEN="+api.Token(), "TELEGRAM_API_URL="+api.URL(),
		"REDIS_URL="+redisURL, "REDIS_PREFIX="+prefix, "LOG_LEVEL=warn",
		"HTTP_ADDR=127.0.0.1:0") // never the default :9090, which Prometheus or another bot may hold
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		_ = cmd.Process.Kill()
		if err := cleanupPrefix(redisURL, prefix); err != nil {
			fmt.Fprintln(os.Stderr, "cleanup:", err)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for api.Calls("getUpdates") == 0 { // a call is not a state change WaitUntil sees
		if ctx.Err() != nil {
			return fmt.Errorf("the bot never polled")
		}
		time.Sleep(time.Millisecond)
	}
	ready := time.Since(start)
	u := tgtest.User{ID: 42, FirstName: "居民"}
	asked := time.Now()
	api.SendText(tgtest.PrivateChat(u), u, "五个张庙是什么？")
	if _, err := api.WaitSent(ctx, u.ID, 1); err != nil {
		return err
	}
	first := time.Since(asked)
	time.Sleep(5 * time.Second)
	rss, err := vmRSS(cmd.Process.Pid)
	if err != nil {
		return err
	}
	stopAt := time.Now()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("bot exited with %v after SIGTERM", err)
	}
	fmt.Printf("startup to first getUpdates=%s first answer=%s idle RSS=%s graceful shutdown=%s\n",
		ready.Round(time.Millisecond), first.Round(time.Millisecond), rss, time.Since(stopAt).Round(time.Millisecond))
	return nil
}

// vmRSS reads a process's resident set size from /proc (Linux).
func vmRSS(pid int) (string, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strings.Join(strings.Fields(v), " "), nil
		}
	}
	return "", fmt.Errorf("no VmRSS for pid %d", pid)
}
