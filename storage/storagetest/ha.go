package storagetest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// HAEnv names the environment variable that turns on the tests on Redis
// Sentinel and Redis Cluster. They start eleven redis-server processes and
// take a while, so the normal test run skips them; .ci/run sets it in a
// step of its own.
const HAEnv = "REDIS_HA_TESTS"

// HAEnabled reports whether HAEnv is set to 1.
func HAEnabled() bool { return os.Getenv(HAEnv) == "1" }

// RequireHA skips t unless HAEnv=1. With it set, a missing redis-server
// fails the test rather than skipping it.
func RequireHA(t testing.TB) {
	t.Helper()
	if !HAEnabled() {
		t.Skipf("Sentinel/Cluster test: set %s=1 to run it (.ci/run does, in its HA step)", HAEnv)
	}
	for _, bin := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("storagetest: %s not installed (apt-get install redis-server redis-tools): %v", bin, err)
		}
	}
}

// node is one redis-server process (a data node or a sentinel) of a
// fixture, started in the foreground so the fixture owns it.
type node struct {
	port int
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
	log  string
}

func (n *node) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(n.port)) }

// alive reports whether the process still runs.
func (n *node) alive() bool {
	select {
	case <-n.done:
		return false
	default:
		return true
	}
}

// kill sends SIGKILL (as a crashed host would) and waits for the process.
func (n *node) kill() {
	if n.cmd == nil || !n.alive() {
		return
	}
	_ = n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.done
}

// startNode starts redis-server with args (a config file first, or
// options) in dir, logging to dir/redis.log.
func startNode(port int, dir string, args ...string) (*node, error) {
	n := &node{port: port, dir: dir, log: filepath.Join(dir, "redis.log"), done: make(chan struct{})}
	args = append(args, "--logfile", n.log, "--daemonize", "no")
	n.cmd = exec.Command("redis-server", args...)
	n.cmd.Dir = dir
	// A test binary killed by its timeout must not leave servers behind.
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := n.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start redis-server on %d: %w", port, err)
	}
	go func() { _ = n.cmd.Wait(); close(n.done) }()
	return n, nil
}

// logTail is the end of the node's log, for failure messages.
func (n *node) logTail() string {
	data, _ := os.ReadFile(n.log)
	return fmt.Sprintf("--- %s (%s) ---\n%s", n.addr(), n.dir, tail(string(data), 15))
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

// freePorts returns n distinct TCP ports that were free a moment ago.
// Holding every listener until all are chosen keeps them distinct.
func freePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	ports := make([]int, 0, n)
	for len(ports) < n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		p := ln.Addr().(*net.TCPAddr).Port
		if p == 6379 { // never, even by accident
			continue
		}
		ports = append(ports, p)
	}
	return ports, nil
}

// info returns the fields of INFO section from the server at addr.
func info(ctx context.Context, addr, section string) (map[string]string, error) {
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: time.Second})
	defer c.Close()
	s, err := c.Info(ctx, section).Result()
	if err != nil {
		return nil, err
	}
	return parseInfo(s), nil
}

func parseInfo(s string) map[string]string {
	m := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":"); ok {
			m[k] = v
		}
	}
	return m
}

// waitUntil polls cond every 50 ms until it returns nil or limit passes;
// it then returns cond's last error.
func waitUntil(limit time.Duration, cond func(ctx context.Context) error) error {
	deadline := time.Now().Add(limit)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := cond(ctx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// dataArgs are the options of every data node: persistence as production
// should have it (AOF; fsync every second), no eviction, local only.
func dataArgs(port int, dir string) []string {
	return []string{
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
		"--maxmemory-policy", "noeviction", "--protected-mode", "no",
	}
}

// ---------------------------------------------------------------------------
// Sentinel

// SentinelMaster is the master name the Sentinel fixture monitors.
const SentinelMaster = "zmmaster"

// SentinelDownAfter is the fixture's down-after-milliseconds: how long the
// master must be unreachable before a sentinel counts it as down.
const SentinelDownAfter = time.Second

// Sentinel is a Sentinel group of the test: a master, one replica and
// three sentinels (quorum 2), each a redis-server process with its own
// port and directory.
type Sentinel struct {
	root      string
	data      []*node // data[0] started as master, data[1] as its replica
	sentinels []*node
	mu        sync.Mutex
	stopped   bool
}

// StartSentinel starts a Sentinel group for t and stops it (processes
// killed, directories removed) when t ends.
func StartSentinel(t testing.TB) *Sentinel {
	t.Helper()
	RequireHA(t)
	s, err := NewSentinel()
	if err != nil {
		t.Fatalf("storagetest: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// NewSentinel starts a Sentinel group; the caller must Stop it. It
// returns once every sentinel sees the master, the replica and the other
// two sentinels, and the replica is in sync.
func NewSentinel() (*Sentinel, error) {
	root, err := os.MkdirTemp("", "zm-sentinel-")
	if err != nil {
		return nil, err
	}
	s := &Sentinel{root: root}
	if err := s.start(); err != nil {
		msg := s.logs()
		s.Stop()
		return nil, fmt.Errorf("sentinel fixture: %w\n%s", err, msg)
	}
	return s, nil
}

func (s *Sentinel) start() error {
	ports, err := freePorts(5)
	if err != nil {
		return err
	}
	for i := range 2 {
		dir := filepath.Join(s.root, fmt.Sprintf("data%d", i))
		if err := os.Mkdir(dir, 0o755); err != nil {
			return err
		}
		args := dataArgs(ports[i], dir)
		if i == 1 {
			args = append(args, "--replicaof", "127.0.0.1", strconv.Itoa(ports[0]))
		}
		n, err := startNode(ports[i], dir, args...)
		if err != nil {
			return err
		}
		s.data = append(s.data, n)
	}
	for i := range 3 {
		dir := filepath.Join(s.root, fmt.Sprintf("sentinel%d", i))
		if err := os.Mkdir(dir, 0o755); err != nil {
			return err
		}
		// Sentinels rewrite their config file: it must be theirs and writable.
		conf := filepath.Join(dir, "sentinel.conf")
		m := SentinelMaster
		body := fmt.Sprintf("port %d\nbind 127.0.0.1\nprotected-mode no\ndir %s\n", ports[2+i], dir) +
			fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d 2\n", m, ports[0]) +
			// Known at once rather than from the master's INFO 10 s later.
			fmt.Sprintf("sentinel known-replica %s 127.0.0.1 %d\n", m, ports[1]) +
			fmt.Sprintf("sentinel down-after-milliseconds %s %d\n", m, SentinelDownAfter/time.Millisecond) +
			fmt.Sprintf("sentinel failover-timeout %s 10000\nsentinel parallel-syncs %s 1\n", m, m)
		if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
			return err
		}
		n, err := startNode(ports[2+i], dir, conf, "--sentinel")
		if err != nil {
			return err
		}
		s.sentinels = append(s.sentinels, n)
	}
	return s.WaitHealthy(30 * time.Second)
}

// WaitHealthy waits until every live sentinel agrees on one master that
// answers, that master has a replica in sync which every sentinel knows,
// and each sentinel sees the others. After a failover it is true again
// once the promoted replica is master (the old master stays down).
func (s *Sentinel) WaitHealthy(limit time.Duration) error {
	return waitUntil(limit, func(ctx context.Context) error {
		master := ""
		for _, sn := range s.sentinels {
			c := redis.NewSentinelClient(&redis.Options{Addr: sn.addr(), MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: time.Second})
			m, err := c.Master(ctx, SentinelMaster).Result()
			c.Close()
			if err != nil {
				return fmt.Errorf("sentinel %s: %w", sn.addr(), err)
			}
			addr := net.JoinHostPort(m["ip"], m["port"])
			if master == "" {
				master = addr
			} else if addr != master {
				return fmt.Errorf("sentinels disagree on the master: %s and %s", master, addr)
			}
			if !strings.HasPrefix(m["flags"], "master") || strings.Contains(m["flags"], "down") {
				return fmt.Errorf("sentinel %s: master flags %q", sn.addr(), m["flags"])
			}
			if m["num-other-sentinels"] != "2" {
				return fmt.Errorf("sentinel %s sees %s other sentinels, want 2", sn.addr(), m["num-other-sentinels"])
			}
		}
		rep, err := info(ctx, master, "replication")
		if err != nil {
			return fmt.Errorf("master %s: %w", master, err)
		}
		if rep["role"] != "master" || rep["connected_slaves"] == "0" || !strings.Contains(rep["slave0"], "state=online") {
			return fmt.Errorf("master %s: role=%s connected_slaves=%s slave0=%s", master, rep["role"], rep["connected_slaves"], rep["slave0"])
		}
		for _, sn := range s.sentinels {
			c := redis.NewSentinelClient(&redis.Options{Addr: sn.addr(), MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: time.Second})
			reps, err := c.Replicas(ctx, SentinelMaster).Result()
			c.Close()
			if err != nil {
				return err
			}
			ok := false
			for _, r := range reps {
				if !strings.Contains(r["flags"], "down") && r["master-link-status"] == "ok" {
					ok = true
				}
			}
			if !ok {
				return fmt.Errorf("sentinel %s knows no replica in sync: %v", sn.addr(), reps)
			}
		}
		return nil
	})
}

// URL is the bot's REDIS_URL for this group: the three sentinels and the
// master name.
func (s *Sentinel) URL() string {
	u := fmt.Sprintf("redis+sentinel://%s?master_name=%s", s.sentinels[0].addr(), SentinelMaster)
	for _, sn := range s.sentinels[1:] {
		u += "&addr=" + sn.addr()
	}
	return u
}

// MasterAddr returns the address the sentinels currently report as master.
func (s *Sentinel) MasterAddr(ctx context.Context) (string, error) {
	var last error
	for _, sn := range s.sentinels {
		c := redis.NewSentinelClient(&redis.Options{Addr: sn.addr(), MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: time.Second})
		a, err := c.GetMasterAddrByName(ctx, SentinelMaster).Result()
		c.Close()
		if err == nil && len(a) == 2 {
			return net.JoinHostPort(a[0], a[1]), nil
		}
		last = err
	}
	return "", fmt.Errorf("no sentinel names a master: %v", last)
}

// KillMaster SIGKILLs the current master's process and returns its
// address. The sentinels then promote the replica.
func (s *Sentinel) KillMaster(ctx context.Context) (string, error) {
	addr, err := s.MasterAddr(ctx)
	if err != nil {
		return "", err
	}
	for _, n := range s.data {
		if n.addr() == addr {
			n.kill()
			return addr, nil
		}
	}
	return "", fmt.Errorf("master %s is none of the fixture's nodes", addr)
}

// WaitFailover waits until the sentinels name a master other than old and
// that master answers as one.
func (s *Sentinel) WaitFailover(old string, limit time.Duration) (string, error) {
	var now string
	err := waitUntil(limit, func(ctx context.Context) error {
		a, err := s.MasterAddr(ctx)
		if err != nil {
			return err
		}
		if a == old {
			return errors.New("sentinels still name the old master")
		}
		rep, err := info(ctx, a, "replication")
		if err != nil {
			return err
		}
		if rep["role"] != "master" {
			return fmt.Errorf("%s is %s, not yet master", a, rep["role"])
		}
		now = a
		return nil
	})
	return now, err
}

// Stop kills every process of the group and removes its directories.
func (s *Sentinel) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return
	}
	s.stopped = true
	for _, n := range append(s.sentinels, s.data...) {
		n.kill()
	}
	os.RemoveAll(s.root)
}

func (s *Sentinel) logs() string {
	var b strings.Builder
	for _, n := range append(s.data, s.sentinels...) {
		b.WriteString(n.logTail())
		b.WriteString("\n")
	}
	return b.String()
}

// ---------------------------------------------------------------------------
// Cluster

// Cluster is a Redis Cluster of the test: three masters with one replica
// each, made by redis-cli --cluster create.
type Cluster struct {
	root    string
	nodes   []*node
	mu      sync.Mutex
	stopped bool
}

// ClusterNodeTimeout is the fixture's cluster-node-timeout: how long a
// master must be unreachable before the others count it as failed.
const ClusterNodeTimeout = time.Second

// StartCluster starts a Cluster for t and stops it (processes killed,
// directories removed) when t ends.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	RequireHA(t)
	c, err := NewCluster()
	if err != nil {
		t.Fatalf("storagetest: %v", err)
	}
	t.Cleanup(c.Stop)
	return c
}

// NewCluster starts a six-node Cluster; the caller must Stop it. It
// returns once every node reports cluster_state:ok, knows all six nodes,
// and every replica is in sync with its master.
func NewCluster() (*Cluster, error) {
	root, err := os.MkdirTemp("", "zm-cluster-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{root: root}
	if err := c.start(); err != nil {
		msg := c.logs()
		c.Stop()
		return nil, fmt.Errorf("cluster fixture: %w\n%s", err, msg)
	}
	return c, nil
}

func (c *Cluster) start() error {
	// Each node has a client port and a bus port (cluster-port), both free.
	ports, err := freePorts(12)
	if err != nil {
		return err
	}
	var addrs []string
	for i := range 6 {
		dir := filepath.Join(c.root, fmt.Sprintf("node%d", i))
		if err := os.Mkdir(dir, 0o755); err != nil {
			return err
		}
		args := append(dataArgs(ports[i], dir),
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-port", strconv.Itoa(ports[6+i]),
			"--cluster-node-timeout", strconv.Itoa(int(ClusterNodeTimeout/time.Millisecond)),
			// Slots of other masters keep serving while one master is down.
			"--cluster-require-full-coverage", "no",
		)
		n, err := startNode(ports[i], dir, args...)
		if err != nil {
			return err
		}
		c.nodes = append(c.nodes, n)
		addrs = append(addrs, n.addr())
	}
	for _, n := range c.nodes {
		if err := waitUntil(10*time.Second, func(ctx context.Context) error {
			_, err := info(ctx, n.addr(), "server")
			return err
		}); err != nil {
			return fmt.Errorf("node %s: %w", n.addr(), err)
		}
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "1", "--cluster-yes")
	out, err := exec.Command("redis-cli", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("redis-cli --cluster create: %v\n%s", err, out)
	}
	return c.WaitHealthy(60 * time.Second)
}

// WaitHealthy waits until every live node reports cluster_state:ok and
// knows every node, every slot is served by a live master, and every
// replica of a live master is in sync. After a failover (one master
// killed) it is true once the replica took over.
func (c *Cluster) WaitHealthy(limit time.Duration) error {
	return waitUntil(limit, func(ctx context.Context) error {
		for _, n := range c.nodes {
			if !n.alive() {
				continue
			}
			cl := redis.NewClient(&redis.Options{Addr: n.addr(), MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: time.Second})
			ci, err := cl.ClusterInfo(ctx).Result()
			if err != nil {
				cl.Close()
				return fmt.Errorf("node %s: %w", n.addr(), err)
			}
			m := parseInfo(ci)
			if m["cluster_state"] != "ok" || m["cluster_known_nodes"] != "6" || m["cluster_slots_ok"] != "16384" {
				cl.Close()
				return fmt.Errorf("node %s: state=%s known=%s slots_ok=%s", n.addr(), m["cluster_state"], m["cluster_known_nodes"], m["cluster_slots_ok"])
			}
			slots, err := cl.ClusterSlots(ctx).Result()
			cl.Close()
			if err != nil {
				return err
			}
			for _, sl := range slots {
				if len(sl.Nodes) == 0 || !c.aliveAt(sl.Nodes[0].Addr) {
					return fmt.Errorf("node %s: slots %d-%d served by a dead master", n.addr(), sl.Start, sl.End)
				}
			}
			rep, err := info(ctx, n.addr(), "replication")
			if err != nil {
				return err
			}
			if rep["role"] == "slave" {
				master := net.JoinHostPort(rep["master_host"], rep["master_port"])
				if c.aliveAt(master) && rep["master_link_status"] != "up" {
					return fmt.Errorf("replica %s: link to %s %s", n.addr(), master, rep["master_link_status"])
				}
			}
		}
		return nil
	})
}

func (c *Cluster) aliveAt(addr string) bool {
	for _, n := range c.nodes {
		if n.addr() == addr {
			return n.alive()
		}
	}
	return false
}

// URL is the bot's REDIS_URL for this cluster: every node as a seed.
func (c *Cluster) URL() string {
	u := "redis+cluster://" + c.nodes[0].addr()
	for i, n := range c.nodes[1:] {
		sep := "&"
		if i == 0 {
			sep = "?"
		}
		u += sep + "addr=" + n.addr()
	}
	return u
}

// MasterOf returns the address of the master now serving slot.
func (c *Cluster) MasterOf(ctx context.Context, slot int) (string, error) {
	for _, n := range c.nodes {
		if !n.alive() {
			continue
		}
		cl := redis.NewClient(&redis.Options{Addr: n.addr(), MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: time.Second})
		slots, err := cl.ClusterSlots(ctx).Result()
		cl.Close()
		if err != nil {
			continue
		}
		for _, sl := range slots {
			if sl.Start <= slot && slot <= sl.End && len(sl.Nodes) > 0 {
				return sl.Nodes[0].Addr, nil
			}
		}
	}
	return "", fmt.Errorf("no live node knows who serves slot %d", slot)
}

// KillMasterOf SIGKILLs the master serving slot and returns its address;
// its replica then takes over.
func (c *Cluster) KillMasterOf(ctx context.Context, slot int) (string, error) {
	addr, err := c.MasterOf(ctx, slot)
	if err != nil {
		return "", err
	}
	for _, n := range c.nodes {
		if n.addr() == addr {
			n.kill()
			return addr, nil
		}
	}
	return "", fmt.Errorf("master %s is none of the fixture's nodes", addr)
}

// WaitFailover waits until a live master other than old serves slot and
// the cluster is whole again.
func (c *Cluster) WaitFailover(slot int, old string, limit time.Duration) (string, error) {
	var now string
	err := waitUntil(limit, func(ctx context.Context) error {
		a, err := c.MasterOf(ctx, slot)
		if err != nil {
			return err
		}
		if a == old || !c.aliveAt(a) {
			return fmt.Errorf("slot %d still on %s", slot, a)
		}
		now = a
		return nil
	})
	if err != nil {
		return "", err
	}
	return now, c.WaitHealthy(limit)
}

// Stop kills every node and removes the cluster's directories.
func (c *Cluster) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return
	}
	c.stopped = true
	for _, n := range c.nodes {
		n.kill()
	}
	os.RemoveAll(c.root)
}

func (c *Cluster) logs() string {
	var b strings.Builder
	for _, n := range c.nodes {
		b.WriteString(n.logTail())
		b.WriteString("\n")
	}
	return b.String()
}

// ---------------------------------------------------------------------------
// Shared fixtures: one Sentinel group and one Cluster per test binary.

var shared struct {
	mu       sync.Mutex
	sentinel *Sentinel
	cluster  *Cluster
	sErr     error
	cErr     error
}

// SharedSentinel returns the test binary's Sentinel group, starting it on
// first use. It is stopped by RunHA (call it from TestMain). Tests share
// it, each under its own key prefix; a test that kills a node must use
// StartSentinel instead.
func SharedSentinel(t testing.TB) *Sentinel {
	t.Helper()
	RequireHA(t)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.sentinel == nil && shared.sErr == nil {
		shared.sentinel, shared.sErr = NewSentinel()
	}
	if shared.sErr != nil {
		t.Fatalf("storagetest: %v", shared.sErr)
	}
	return shared.sentinel
}

// SharedCluster returns the test binary's Cluster, starting it on first
// use; see SharedSentinel.
func SharedCluster(t testing.TB) *Cluster {
	t.Helper()
	RequireHA(t)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.cluster == nil && shared.cErr == nil {
		shared.cluster, shared.cErr = NewCluster()
	}
	if shared.cErr != nil {
		t.Fatalf("storagetest: %v", shared.cErr)
	}
	return shared.cluster
}

// RunHA runs the tests and then stops the shared fixtures. Use it in
// TestMain: os.Exit(storagetest.RunHA(m)).
func RunHA(m *testing.M) int {
	code := m.Run()
	StopShared()
	return code
}

// StopShared stops the shared fixtures, if started.
func StopShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.sentinel != nil {
		shared.sentinel.Stop()
	}
	if shared.cluster != nil {
		shared.cluster.Stop()
	}
}
