// Package storage keeps the bot's state in Redis: conversations, projects and
// their history, unanswered questions, the durable update inbox and leases.
//
// It is the only package that imports go-redis. Callers see domain types and
// error kinds from the root package; redis.Nil never leaves this package.
//
// Keys that a Lua script or a MULTI touches together share a hash tag
// ({...}), so the same code runs on a single server, Sentinel and Cluster.
package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/zhangmiao/communitybot"
)

// DefaultPrefix namespaces every key the bot writes, so one Redis can be
// shared with other applications (and tests can use their own prefix).
const DefaultPrefix = "zm:"

// Store is the bot's Redis-backed state. It is safe for concurrent use.
type Store struct {
	rdb         redis.UniversalClient
	circuit     *circuit // nil for clients the store did not build
	prefix      string
	embedded    *miniredis.Miniredis // non-nil when running on the in-process Redis
	trips       *atomic.Int64        // round trips to Redis, for benchmarks and metrics
	cmds        *atomic.Int64        // commands sent to Redis (a pipeline counts each)
	ticketMaker ticketCreation       // CreateTicket's numbers and recent-ticket cache
	co          *coalescer           // the hot path's single commands, sent together
	expiries    expiries             // per-day counters' expiry, refreshed now and then
	now         func() time.Time
	loc         *time.Location // for per-day counters
}

// Options tune a Store.
type Options struct {
	// Prefix is prepended to every key; DefaultPrefix when empty.
	Prefix string
	// Now replaces the clock (tests); time.Now when nil.
	Now func() time.Time
	// Location decides where a day starts for per-day counters; UTC when nil.
	Location *time.Location
	// CommandTimeout bounds each command or pipeline that does not block
	// by design, and the client's dial, read and write timeouts, unless
	// the URL sets them; DefaultCommandTimeout when zero. A Redis that
	// hangs opens the circuit after a few such timeouts (see ErrUnavailable).
	CommandTimeout time.Duration
	// Logger is told when the circuit opens and closes; nothing when nil.
	Logger *slog.Logger
}

func newStore(rdb redis.UniversalClient, opts Options) *Store {
	s := &Store{rdb: rdb, prefix: opts.Prefix, now: opts.Now, loc: opts.Location, trips: new(atomic.Int64), cmds: new(atomic.Int64)}
	if s.loc == nil {
		s.loc = time.UTC
	}
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.co = &coalescer{rdb: rdb, scripts: []*redis.Script{gateAdmit, createTicket}}
	return s
}

// Open connects to the Redis named by rawURL and checks that it answers.
//
// Accepted schemes: redis:// and rediss:// (one server, go-redis ParseURL
// syntax), redis+sentinel:// and rediss+sentinel:// (Sentinel: the host is a
// sentinel, ?master_name=… names the master, more sentinels with &addr=…),
// redis+cluster:// and rediss+cluster:// (Cluster: seed nodes as host and
// &addr=…). Errors never contain the password.
func Open(ctx context.Context, rawURL string, opts Options) (*Store, error) {
	if opts.CommandTimeout <= 0 {
		opts.CommandTimeout = DefaultCommandTimeout
	}
	rdb, err := newClient(rawURL, opts.CommandTimeout)
	if err != nil {
		return nil, err
	}
	s := newStore(rdb, opts)
	s.circuit = newCircuit(opts.CommandTimeout, opts.Logger)
	rdb.AddHook(s.circuit)
	rdb.AddHook(tripCounter{s.trips, s.cmds})
	if err := s.Ping(ctx); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("redis %s: %w", communitybot.RedactURL(rawURL), err)
	}
	if err := s.migrateKeys(ctx); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("redis %s: %w", communitybot.RedactURL(rawURL), err)
	}
	return s, nil
}

// NewClient builds a go-redis client for rawURL without connecting, with
// the store's timeouts (DefaultCommandTimeout; context deadlines honoured)
// where the URL sets none.
func NewClient(rawURL string) (redis.UniversalClient, error) {
	return newClient(rawURL, DefaultCommandTimeout)
}

func newClient(rawURL string, timeout time.Duration) (redis.UniversalClient, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("malformed redis URL %s", communitybot.RedactURL(rawURL))
	}
	base, mode, _ := strings.Cut(u.Scheme, "+")
	if base != "redis" && base != "rediss" {
		return nil, fmt.Errorf("redis URL %s: scheme must be redis, rediss, redis+sentinel or redis+cluster", communitybot.RedactURL(rawURL))
	}
	u.Scheme = base
	plain := u.String()
	switch mode {
	case "":
		o, err := redis.ParseURL(plain)
		if err != nil {
			return nil, redactErr(rawURL, err)
		}
		o.PoolSize = poolSize(o.PoolSize)
		clientDefaults(o, timeout)
		return redis.NewClient(o), nil
	case "sentinel":
		o, err := redis.ParseFailoverURL(plain)
		if err != nil {
			return nil, redactErr(rawURL, err)
		}
		if o.MasterName == "" {
			return nil, fmt.Errorf("redis URL %s: sentinel needs ?master_name=", communitybot.RedactURL(rawURL))
		}
		if o.RouteByLatency || o.RouteRandomly || o.ReplicaOnly {
			return nil, fmt.Errorf("redis URL %s: %s", communitybot.RedactURL(rawURL), errReplicaReads)
		}
		o.PoolSize = poolSize(o.PoolSize)
		failoverDefaults(o, timeout)
		return redis.NewFailoverClient(o), nil
	case "cluster":
		o, err := redis.ParseClusterURL(plain)
		if err != nil {
			return nil, redactErr(rawURL, err)
		}
		o.PoolSize = poolSize(o.PoolSize)
		if o.ReadOnly || o.RouteByLatency || o.RouteRandomly {
			return nil, fmt.Errorf("redis URL %s: %s", communitybot.RedactURL(rawURL), errReplicaReads)
		}
		clusterDefaults(o, timeout)
		o.ClusterStateReloadInterval = clusterStateReload
		return redis.NewClusterClient(o), nil
	default:
		return nil, fmt.Errorf("redis URL %s: unknown mode %q", communitybot.RedactURL(rawURL), mode)
	}
}

// defaultPoolSize replaces go-redis's default of 10 per CPU: the bot keeps
// a connection blocked in XREADGROUP for each inbox partition it owns and
// each delivery worker, and on a 2-core machine the default 20 would leave
// none for handlers. A pool_size in the URL wins.
const defaultPoolSize = 64

// errReplicaReads refuses URL options that send reads to replicas: the bot
// reads what it has just written (leases, conversation context, delivery
// marks), and a replica lags behind its master.
const errReplicaReads = "reads must go to the master: remove read_only, replica_only, route_by_latency and route_randomly"

// clusterStateReload replaces go-redis's default of 60 s between reloads of
// the Cluster's slot map. A MOVED reply reloads it at once, but a master
// that died answers nothing: go-redis kept sending its slots' commands to
// the dead address until the next periodic reload, long after the replica
// had taken over (measured: 43 s without answers, 55 s of broadcast
// stalled; with 1 s, about as long as the Cluster's own failover). One
// CLUSTER SLOTS a second per process is negligible.
const clusterStateReload = time.Second

func poolSize(fromURL int) int {
	if fromURL > 0 {
		return fromURL
	}
	return defaultPoolSize
}

func redactErr(rawURL string, err error) error {
	msg := err.Error()
	for _, secret := range communitybot.URLSecrets(rawURL) {
		msg = strings.ReplaceAll(msg, secret, communitybot.Redacted)
	}
	return fmt.Errorf("redis URL %s: %s", communitybot.RedactURL(rawURL), communitybot.RedactText(msg))
}

// OpenEmbedded starts an in-process Redis (miniredis) and returns a Store on
// it. Nothing survives a restart; it exists so the bot can be tried with no
// setup. TTLs follow the wall clock, as on a real server.
func OpenEmbedded(opts Options) (*Store, error) {
	m := miniredis.NewMiniRedis()
	m.ClockTTL(true)
	if err := m.Start(); err != nil {
		return nil, fmt.Errorf("start embedded redis: %w", err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr(), PoolSize: defaultPoolSize})
	s := newStore(rdb, opts)
	rdb.AddHook(tripCounter{s.trips, s.cmds})
	s.embedded = m
	return s, nil
}

// NewFromClient wraps an existing client (tests and benchmarks that need
// their own connection settings). It adds no hook to the client, so
// RoundTrips stays zero.
func NewFromClient(rdb redis.UniversalClient, opts Options) *Store { return newStore(rdb, opts) }

// RoundTrips returns how many round trips (single commands or pipelines)
// the store has made to Redis.
func (s *Store) RoundTrips() int64 { return s.trips.Load() }

// Commands returns how many commands the store has sent to Redis (each
// command of a pipeline counts).
func (s *Store) Commands() int64 { return s.cmds.Load() }

// tripCounter counts round trips (a command or a whole pipeline is one)
// and commands.
type tripCounter struct{ n, cmds *atomic.Int64 }

func (tripCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c tripCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		c.cmds.Add(1)
		return next(ctx, cmd)
	}
}

func (c tripCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.n.Add(1)
		c.cmds.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

// Embedded reports whether the store runs on the in-process Redis.
func (s *Store) Embedded() bool { return s.embedded != nil }

// Prefix returns the key prefix of this store.
func (s *Store) Prefix() string { return s.prefix }

// Ping checks that Redis answers. While the circuit is open it fails at
// once with ErrUnavailable.
func (s *Store) Ping(ctx context.Context) error { return s.rdb.Ping(ctx).Err() }

// Unavailable reports whether the circuit is open: Redis stopped answering
// and calls fail at once until a probe gets an answer.
func (s *Store) Unavailable() bool { return s.circuit != nil && s.circuit.isOpen() }

// Close closes the connection pool and, for the embedded Redis, the server.
func (s *Store) Close() error {
	err := s.rdb.Close()
	if s.embedded != nil {
		s.embedded.Close()
	}
	return err
}

// Client exposes the underlying client for packages that build on Redis
// through a library of their own (the delivery queue, the rate limiter).
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// key joins parts under the store prefix.
func (s *Store) key(parts ...string) string {
	return s.prefix + strings.Join(parts, ":")
}

// day returns the calendar day of t in the store's location, as used in
// per-day keys (20260131).
func (s *Store) day(t time.Time) string { return t.In(s.loc).Format("20060102") }

// isNil reports whether err is Redis's "no such key".
func isNil(err error) bool { return errors.Is(err, redis.Nil) }

// execScripts runs the commands build queues in one pipeline. Scripts are
// sent by hash (EVALSHA); when Redis does not know them yet (first use, or a
// restarted server) it loads them and runs the pipeline once more, so every
// non-script command queued by build must be safe to repeat.
func (s *Store) execScripts(ctx context.Context, scripts []*redis.Script, build func(pipe redis.Pipeliner)) error {
	for attempt := 0; ; attempt++ {
		pipe := s.rdb.Pipeline()
		build(pipe)
		_, err := pipe.Exec(ctx)
		if err == nil || attempt > 0 || !strings.HasPrefix(err.Error(), "NOSCRIPT") {
			return err
		}
		for _, sc := range scripts {
			if err := sc.Load(ctx, s.rdb).Err(); err != nil {
				return err
			}
		}
	}
}

// script runs one of the hot path's scripts (gateAdmit, createTicket)
// through the coalescer: in one pipeline with the other chats' calls made
// meanwhile.
func (s *Store) script(ctx context.Context, sc *redis.Script, keys []string, args ...any) *redis.Cmd {
	cmd, err := s.co.do(ctx, func(ctx context.Context, pipe redis.Pipeliner) redis.Cmder {
		return sc.EvalSha(ctx, pipe, keys, args...)
	})
	if err != nil {
		c := redis.NewCmd(ctx)
		c.SetErr(err)
		return c
	}
	return cmd.(*redis.Cmd)
}

// runScript runs one script, loading it first if Redis does not know it.
func (s *Store) runScript(ctx context.Context, sc *redis.Script, keys []string, args ...any) *redis.Cmd {
	return sc.Run(ctx, s.rdb, keys, args...) // Run falls back to EVAL on NOSCRIPT
}

// RouteLogs sends go-redis's own log lines (failed dials while Redis is
// down) to l instead of the standard logger. It affects the whole process.
func RouteLogs(l *slog.Logger) { redis.SetLogger(redisLogger{l}) }

type redisLogger struct{ l *slog.Logger }

func (r redisLogger) Printf(ctx context.Context, format string, v ...any) {
	r.l.WarnContext(ctx, fmt.Sprintf(format, v...))
}
