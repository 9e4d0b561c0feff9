package storagetest

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is a redis-server child process of the test, with its own port
// and an append-only file in a temporary directory, for tests that stop and
// restart Redis. Data written before Stop is there again after Start.
type Server struct {
	t    testing.TB
	port int
	dir  string
	cmd  *exec.Cmd
	// suspended: stopped with SIGSTOP (Suspend) and not continued yet.
	suspended bool
}

// StartServer starts a private redis-server. It fails the test when the
// binary is missing (CI installs it; see .ci/run).
func StartServer(t testing.TB) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("storagetest: redis-server not installed (apt-get install redis-server): %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := &Server{t: t, port: port, dir: t.TempDir()}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// URL is the server's redis:// URL.
func (s *Server) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", s.port) }

// Start starts the server (again) and waits until it answers.
func (s *Server) Start() {
	s.t.Helper()
	if s.cmd != nil {
		return
	}
	s.cmd = exec.Command("redis-server",
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--dir", s.dir,
		"--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no",
		"--logfile", "")
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("storagetest: start redis-server: %v", err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", s.port), MaxRetries: -1})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := rdb.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("storagetest: redis-server on port %d did not answer: %v", s.port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Suspend stops the server process with SIGSTOP: it keeps its port and
// its connections (the kernel still accepts new ones) but answers
// nothing, as a Redis that hangs does. Continue resumes it.
func (s *Server) Suspend() {
	s.t.Helper()
	if s.cmd == nil || s.suspended {
		return
	}
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		s.t.Fatalf("storagetest: SIGSTOP redis-server: %v", err)
	}
	s.suspended = true
}

// Continue resumes a suspended server with SIGCONT; what clients sent
// meanwhile is answered then.
func (s *Server) Continue() {
	s.t.Helper()
	if s.cmd == nil || !s.suspended {
		return
	}
	if err := s.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		s.t.Fatalf("storagetest: SIGCONT redis-server: %v", err)
	}
	s.suspended = false
}

// Stop shuts the server down (its data is in the append-only file).
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	s.Continue() // a stopped process cannot shut down
	rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", s.port), MaxRetries: -1})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_ = rdb.Shutdown(ctx).Err() // the connection closes under it; no error check
	cancel()
	rdb.Close()
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
	s.cmd = nil
}
