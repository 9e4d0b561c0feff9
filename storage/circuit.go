package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// A Redis that hangs (a stopped process, a stalled network) must degrade
// like one that refuses connections: go-redis's defaults would hold every
// call for its read timeout times its retries, and every reply with it.
// So the client is built with short timeouts that context deadlines cut
// (clientDefaults), every call that does not block by design gets a
// deadline of its own (CommandTimeout), and a circuit fails calls at once
// while Redis is not answering, so callers take their degraded path within
// about CommandTimeout of the hang instead of waiting on each call.

// ErrUnavailable is returned, without a round trip, while the circuit is
// open: Redis stopped answering and has not answered a probe since.
var ErrUnavailable = errors.New("redis unavailable (circuit open)")

// DefaultCommandTimeout bounds one command or pipeline (Options.CommandTimeout).
const DefaultCommandTimeout = time.Second

const (
	// circuitThreshold failures in a row, with no success in between,
	// open the circuit.
	circuitThreshold = 2
	// circuitCooldown is how long an open circuit fails calls before it
	// lets one through as a probe.
	circuitCooldown = time.Second
)

// clientDefaults applies our timeouts to what the URL left unset.
// go-redis's zero values mean its own defaults: 5 s dial, 3 s read, 3
// retries, 5 dial retries, and context deadlines not cutting a blocked
// read.
func clientDefaults(o *redis.Options, timeout time.Duration) {
	o.ContextTimeoutEnabled = true
	if o.DialTimeout == 0 {
		o.DialTimeout = timeout
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = timeout
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = timeout
	}
	if o.PoolTimeout == 0 {
		o.PoolTimeout = timeout
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 1 // one retry: a connection Redis closed (a restart)
	}
	if o.MaxRetryBackoff == 0 {
		o.MaxRetryBackoff = 100 * time.Millisecond
	}
	if o.DialerRetries == 0 {
		o.DialerRetries = 1
	}
	bufferDefaults(&o.ReadBufferSize, &o.WriteBufferSize, &o.PipelineReadBufferSize, &o.PipelineWriteBufferSize)
}

// Connection buffers. go-redis 9.23 gives each connection 32 KiB to read
// and 32 KiB to write, and each pipeline connection 128 KiB of each: with
// a connection blocked per inbox partition and per delivery worker, a few
// dozen pipelines, that was a fifth of the bot's memory under load. The
// bot's commands and replies are small (an update, a ticket); a larger one
// takes a few more reads, nothing else.
const (
	connBuffer     = 8 << 10
	pipelineBuffer = 32 << 10
)

func bufferDefaults(read, write, pipeRead, pipeWrite *int) {
	for _, b := range []struct {
		v *int
		n int
	}{{read, connBuffer}, {write, connBuffer}, {pipeRead, pipelineBuffer}, {pipeWrite, pipelineBuffer}} {
		if *b.v == 0 {
			*b.v = b.n
		}
	}
}

// sharedTimeouts points at the timeout and retry fields that the failover
// and cluster options have under the same names as redis.Options, so that
// clientDefaults is written once for all three.
type sharedTimeouts struct {
	dial, read, write, pool, retryBackoff *time.Duration
	retries, dialerRetries                *int
}

func (t sharedTimeouts) apply(timeout time.Duration) {
	c := redis.Options{DialTimeout: *t.dial, ReadTimeout: *t.read, WriteTimeout: *t.write, PoolTimeout: *t.pool,
		MaxRetries: *t.retries, MaxRetryBackoff: *t.retryBackoff, DialerRetries: *t.dialerRetries}
	clientDefaults(&c, timeout)
	*t.dial, *t.read, *t.write, *t.pool = c.DialTimeout, c.ReadTimeout, c.WriteTimeout, c.PoolTimeout
	*t.retries, *t.retryBackoff, *t.dialerRetries = c.MaxRetries, c.MaxRetryBackoff, c.DialerRetries
}

func failoverDefaults(o *redis.FailoverOptions, timeout time.Duration) {
	sharedTimeouts{&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout, &o.MaxRetryBackoff, &o.MaxRetries, &o.DialerRetries}.apply(timeout)
	o.ContextTimeoutEnabled = true
	bufferDefaults(&o.ReadBufferSize, &o.WriteBufferSize, &o.PipelineReadBufferSize, &o.PipelineWriteBufferSize)
}

func clusterDefaults(o *redis.ClusterOptions, timeout time.Duration) {
	sharedTimeouts{&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout, &o.MaxRetryBackoff, &o.MaxRetries, &o.DialerRetries}.apply(timeout)
	o.ContextTimeoutEnabled = true
	// Only the plain buffers: setting the pipeline ones would give every
	// node a pipeline pool, which a ClusterClient does not have by default.
	var none1, none2 int = -1, -1
	bufferDefaults(&o.ReadBufferSize, &o.WriteBufferSize, &none1, &none2)
}

// blocking names commands that wait by design (XREADGROUP … BLOCK):
// they get no CommandTimeout (go-redis bounds them by their block time
// plus the read timeout), and they are never a circuit's probe.
var blocking = map[string]bool{
	"xread": true, "xreadgroup": true, "blpop": true, "brpop": true, "blmove": true, "brpoplpush": true,
	"bzpopmin": true, "bzpopmax": true, "bzmpop": true, "blmpop": true, "wait": true, "waitaof": true,
}

func isBlocking(cmd redis.Cmder) bool {
	if !blocking[strings.ToLower(cmd.Name())] {
		return false
	}
	if cmd.Name() == "xreadgroup" || cmd.Name() == "xread" {
		for _, a := range cmd.Args() {
			if s, ok := a.(string); ok && strings.EqualFold(s, "block") {
				return true
			}
		}
		return false
	}
	return true
}

// circuit is a go-redis hook: a per-command deadline and a breaker.
type circuit struct {
	timeout time.Duration
	log     *slog.Logger
	now     func() time.Time

	mu       sync.Mutex
	failures int       // in a row
	open     bool      // failing fast
	openedAt time.Time // or last probe failure
	probing  bool      // a probe is in flight
}

func newCircuit(timeout time.Duration, log *slog.Logger) *circuit {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &circuit{timeout: timeout, log: log, now: time.Now}
}

// Open reports whether the circuit fails calls now.
func (c *circuit) isOpen() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.open
}

// admit decides whether a call may go to Redis: always while closed;
// while open, only one non-blocking call at a time once the cooldown
// passed (the probe).
func (c *circuit) admit(blocks bool) (probe bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.open {
		return false, nil
	}
	if blocks || c.probing || c.now().Sub(c.openedAt) < circuitCooldown {
		return false, ErrUnavailable
	}
	c.probing = true
	return true, nil
}

// done records a call's result.
func (c *circuit) done(probe bool, err error) {
	outage := isOutage(err)
	c.mu.Lock()
	defer c.mu.Unlock()
	if probe {
		c.probing = false
	}
	if errors.Is(err, context.Canceled) {
		return // the caller gave up: no news about Redis
	}
	if !outage {
		c.failures = 0
		if c.open && (probe || err == nil) {
			c.open = false
			c.log.Info("redis answers again; circuit closed")
		}
		return
	}
	c.failures++
	switch {
	case c.open:
		c.openedAt = c.now() // a failed probe: wait another cooldown
	case c.failures >= circuitThreshold:
		c.open, c.openedAt = true, c.now()
		c.log.Warn("redis is not answering; failing calls at once until it does (circuit open)", "err", err)
	}
}

// isOutage tells Redis not answering (timeouts, refused or dropped
// connections, an exhausted pool) from Redis answering: a reply, even an
// error reply, or the caller giving up.
func isOutage(err error) bool {
	if err == nil || errors.Is(err, redis.Nil) || errors.Is(err, context.Canceled) || errors.Is(err, ErrUnavailable) {
		return false
	}
	var rerr redis.Error
	if errors.As(err, &rerr) {
		return false
	}
	return true
}

func (c *circuit) deadline(ctx context.Context, blocks bool) (context.Context, context.CancelFunc) {
	if blocks || c.timeout <= 0 {
		return ctx, func() {}
	}
	if d, ok := ctx.Deadline(); ok && time.Until(d) <= c.timeout {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, c.timeout)
}

func (c *circuit) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *circuit) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		blocks := isBlocking(cmd)
		probe, err := c.admit(blocks)
		if err != nil {
			err = fmt.Errorf("%s: %w", cmd.Name(), err)
			cmd.SetErr(err)
			return err
		}
		cctx, cancel := c.deadline(ctx, blocks)
		err = next(cctx, cmd)
		cancel()
		c.done(probe, c.judge(ctx, err))
		return err
	}
}

// judge returns the error to count: none when the caller's own context
// ended first (a caller in a hurry, or a burst queueing for connections,
// says nothing about Redis), err otherwise.
func (c *circuit) judge(caller context.Context, err error) error {
	if err != nil && caller.Err() != nil {
		return context.Canceled // neither success nor outage
	}
	return err
}

func (c *circuit) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		blocks := false
		for _, cmd := range cmds {
			blocks = blocks || isBlocking(cmd)
		}
		probe, err := c.admit(blocks)
		if err != nil {
			for _, cmd := range cmds {
				cmd.SetErr(err)
			}
			return err
		}
		cctx, cancel := c.deadline(ctx, blocks)
		err = next(cctx, cmds)
		cancel()
		c.done(probe, c.judge(ctx, err))
		return err
	}
}
