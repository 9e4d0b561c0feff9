package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot/storage/storagetest"
)

// Every test that starts the program — in-process with run, or as a
// child process — does it through a programs value. Its context ends the
// moment any of the test's programs exits without the test asking it to,
// with the program's own error (and the end of its log) as the cause;
// every wait of the test uses that context, so such a test fails at once
// with the real reason ("HTTP_ADDR: … address already in use") instead of
// timing out on a symptom ("no reply to /invite").
//
// No test binds a fixed port: HTTP_ADDR and WEB_LISTEN are "off" unless
// the test asks for "127.0.0.1:0", and any other value fails the test.

type programs struct {
	t      *testing.T
	ctx    context.Context
	cancel context.CancelCauseFunc
}

// watchPrograms returns the programs of a test, whose context also ends
// after limit.
func watchPrograms(t *testing.T, limit time.Duration) *programs {
	base, cancel := context.WithCancelCause(context.Background())
	ctx, stop := context.WithTimeout(base, limit)
	t.Cleanup(func() { stop(); cancel(nil) })
	return &programs{t: t, ctx: ctx, cancel: cancel}
}

// exitedEarly is the cause of a test's context when one of its programs
// ended on its own.
type exitedEarly struct {
	name string
	err  error
	log  string
}

func (e *exitedEarly) Error() string {
	return fmt.Sprintf("%s exited early: %v\n%s's log:\n%s", e.name, e.err, e.name, tail(e.log, 30))
}

// early returns the program that exited early, if one did.
func (p *programs) early() (*exitedEarly, bool) {
	var e *exitedEarly
	ok := errors.As(context.Cause(p.ctx), &e)
	return e, ok
}

// check fails the test if err is not nil: with the program's own error if
// one exited early (the likely reason err happened), else with err.
func (p *programs) check(what string, err error) {
	p.t.Helper()
	if err == nil {
		return
	}
	if e, ok := p.early(); ok {
		p.t.Fatalf("%s: %v", what, e)
	}
	p.t.Fatalf("%s: %v", what, err)
}

// waitFor polls cond until it holds; it fails the test at once if a
// program exits early, or when the test's limit passes.
func (p *programs) waitFor(what string, cond func() bool) {
	p.t.Helper()
	for !cond() {
		select {
		case <-p.ctx.Done():
			p.check("waiting for "+what, context.Cause(p.ctx))
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// withTestHTTPAddr makes sure a test program never binds a fixed port:
// HTTP_ADDR and WEB_LISTEN (console mode's page would take 8081) are off
// unless the test asks for 127.0.0.1:0.
func withTestHTTPAddr(t *testing.T, kv []string) []string {
	t.Helper()
	for _, key := range []string{"HTTP_ADDR", "WEB_LISTEN"} {
		kv = withFreePort(t, kv, key)
	}
	return kv
}

func withFreePort(t *testing.T, kv []string, key string) []string {
	t.Helper()
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i] == key {
			if v := kv[i+1]; v != "off" && !strings.HasSuffix(v, ":0") {
				t.Fatalf("%s=%s: a test uses off or 127.0.0.1:0, never a fixed port", key, v)
			}
			return kv
		}
	}
	return append(kv, key, "off")
}

// inProcess is the program run in-process by start.
type inProcess struct {
	name     string
	stop     context.CancelFunc
	done     chan struct{}
	err      error // run's result, once done is closed
	logs     *syncBuffer
	stopping atomic.Bool
}

// start runs the program in-process (run) with the environment given as
// key, value pairs, stdin and stdout; its log is kept (Logs).
func (p *programs) start(name string, stdin io.Reader, stdout io.Writer, kv ...string) *inProcess {
	p.t.Helper()
	kv = withTestHTTPAddr(p.t, kv)
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	if stdout == nil {
		stdout = io.Discard
	}
	ctx, stop := context.WithCancel(context.Background())
	ip := &inProcess{name: name, stop: stop, done: make(chan struct{}), logs: &syncBuffer{}}
	go func() {
		defer close(ip.done)
		ip.err = run(ctx, env(kv...), stdin, stdout, ip.logs)
		if !ip.stopping.Load() {
			err := ip.err
			if err == nil {
				err = errors.New("run returned nil")
			}
			p.cancel(&exitedEarly{name: name, err: err, log: ip.logs.String()})
		}
	}()
	p.t.Cleanup(func() {
		ip.stopping.Store(true)
		stop()
		<-ip.done
		if p.t.Failed() {
			p.t.Logf("%s's log:\n%s", name, tail(ip.logs.String(), 60))
		}
	})
	return ip
}

// Logs is what the program logged so far.
func (ip *inProcess) Logs() string { return ip.logs.String() }

// shutdown stops the program as SIGTERM would and returns run's error.
func (ip *inProcess) shutdown() error {
	ip.stopping.Store(true)
	ip.stop()
	select {
	case <-ip.done:
		return ip.err
	case <-time.After(30 * time.Second):
		return fmt.Errorf("%s did not stop within 30 s", ip.name)
	}
}

// exit waits for a program the test expects to end by itself (console
// input ran out, the token was refused) and returns run's error.
func (p *programs) exit(ip *inProcess) error {
	ip.stopping.Store(true)
	select {
	case <-ip.done:
		return ip.err
	case <-p.ctx.Done():
		return fmt.Errorf("%s did not exit: %w", ip.name, context.Cause(p.ctx))
	}
}

// childEnv makes the test binary run the real program instead of the tests
// (see TestMain), so a test can kill it for real.
const childEnv = "COMMUNITYBOT_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := run(ctx, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(storagetest.RunHA(m)) // stops the shared Sentinel and Cluster fixtures
}

// child is the program running as a separate process.
type child struct {
	name     string
	cmd      *exec.Cmd
	log      string
	done     chan struct{}
	err      error // cmd.Wait's result, once done is closed
	stopping atomic.Bool
}

// startChild runs the program as a child process with env (KEY=value).
func (p *programs) startChild(name string, env []string) *child {
	p.t.Helper()
	var kv []string
	for _, e := range env {
		k, v, _ := strings.Cut(e, "=")
		kv = append(kv, k, v)
	}
	kv = withTestHTTPAddr(p.t, kv)
	env = env[:0:0]
	for i := 0; i+1 < len(kv); i += 2 {
		env = append(env, kv[i]+"="+kv[i+1])
	}
	logPath := filepath.Join(p.t.TempDir(), name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		p.t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append(env, childEnv+"=1")...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	c := &child{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		c.err = cmd.Wait()
		if !c.stopping.Load() {
			data, _ := os.ReadFile(logPath)
			err := c.err
			if err == nil {
				err = errors.New("exit status 0")
			}
			p.cancel(&exitedEarly{name: name, err: err, log: string(data)})
		}
	}()
	p.t.Cleanup(func() {
		c.stopping.Store(true)
		_ = cmd.Process.Kill()
		<-c.done
		logFile.Close()
		if p.t.Failed() {
			data, _ := os.ReadFile(logPath)
			p.t.Logf("%s's log:\n%s", name, tail(string(data), 60))
		}
	})
	return c
}

// kill SIGKILLs the child and waits for it to end.
func (c *child) kill(t *testing.T) {
	t.Helper()
	c.stopping.Store(true)
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-c.done
}

// terminate SIGTERMs the child and returns how it exited (nil: cleanly).
func (c *child) terminate() error {
	c.stopping.Store(true)
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-c.done:
		return c.err
	case <-time.After(30 * time.Second):
		return fmt.Errorf("%s did not stop within 30 s of SIGTERM", c.name)
	}
}

func tail(s string, lines int) string {
	parts := strings.Split(s, "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

// TestProgramExitingEarlyFailsAtOnce: a program that cannot start ends
// the test's waits at once, with its own error, in-process and as a child
// process — not when the test's limit passes.
func TestProgramExitingEarlyFailsAtOnce(t *testing.T) {
	for _, mode := range []string{"in-process", "child"} {
		t.Run(mode, func(t *testing.T) {
			p := watchPrograms(t, 10*time.Minute)
			kv := []string{"TELEGRAM_BOT_TOKEN", "1:x", "TELEGRAM_API_URL", "http://127.0.0.1:1", "ACTIVE_CHATS", "0"}
			if mode == "in-process" {
				p.start("bot", nil, nil, kv...)
			} else {
				var env []string
				for i := 0; i+1 < len(kv); i += 2 {
					env = append(env, kv[i]+"="+kv[i+1])
				}
				p.startChild("bot", env)
			}
			<-p.ctx.Done()
			e, ok := p.early()
			if !ok || !strings.Contains(e.Error(), "ACTIVE_CHATS") {
				t.Fatalf("cause = %v; want the program's own error, naming ACTIVE_CHATS", context.Cause(p.ctx))
			}
		})
	}
}
