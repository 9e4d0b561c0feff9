package storage

import (
	"context"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// coalescer sends the single commands that hundreds of chats handled at
// once each need (reading a conversation, the send gate's admission,
// creating a ticket) together: a call made while an earlier batch is on the
// wire waits for it and goes in the next pipeline with every other call
// made meanwhile. A lone call goes at once, as it would on its own, so
// coalescing adds no delay; under load one round trip carries many
// updates' commands, which saves Redis and this process a system call
// pair per command.
//
// It uses go-redis's ordinary pipelines, so the circuit and its deadline,
// the round-trip counter and Cluster's routing by slot apply as to any
// pipeline. (go-redis 9.23's own AutoPipeliner is experimental and runs
// commands on its own context, which would not honour the hot path's
// deadlines.)
type coalescer struct {
	rdb     redis.UniversalClient
	scripts []*redis.Script // loaded when Redis answers NOSCRIPT

	mu    sync.Mutex
	queue []*coalesced
	busy  bool // a leader is sending a batch
}

type coalesced struct {
	ctx   context.Context
	build func(ctx context.Context, pipe redis.Pipeliner) redis.Cmder
	cmd   redis.Cmder
	done  chan struct{} // closed once cmd ran
}

// maxCoalesced bounds one batch.
const maxCoalesced = 256

// do queues the command build adds to a pipeline and returns it once it ran
// (its error in it), or ctx's error if ctx ends first (the command may
// still run). build must add exactly one command.
func (c *coalescer) do(ctx context.Context, build func(ctx context.Context, pipe redis.Pipeliner) redis.Cmder) (redis.Cmder, error) {
	p := &coalesced{ctx: ctx, build: build, done: make(chan struct{})}
	c.mu.Lock()
	c.queue = append(c.queue, p)
	lead := !c.busy
	c.busy = true
	c.mu.Unlock()
	if lead {
		c.run(p)
	}
	select {
	case <-p.done:
		return p.cmd, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// run sends batches while calls wait. The caller that found no batch on the
// wire runs it until its own call ran (own), then leaves what is left to a
// goroutine, so no caller serves the others for long.
func (c *coalescer) run(own *coalesced) {
	for {
		c.mu.Lock()
		if len(c.queue) == 0 {
			c.busy = false
			c.mu.Unlock()
			return
		}
		if own != nil {
			select {
			case <-own.done:
				c.mu.Unlock()
				go c.run(nil) // busy stays set for it
				return
			default:
			}
		}
		n := min(len(c.queue), maxCoalesced)
		batch := c.queue[:n:n]
		c.queue = c.queue[n:]
		c.mu.Unlock()
		c.send(batch)
	}
}

// send runs one batch and completes its calls.
func (c *coalescer) send(batch []*coalesced) {
	// The batch runs on no caller's context: one caller giving up must not
	// fail the others. The circuit's deadline bounds it.
	ctx := context.WithoutCancel(batch[0].ctx)
	pipe := c.rdb.Pipeline()
	for _, p := range batch {
		p.cmd = p.build(p.ctx, pipe)
	}
	_, _ = pipe.Exec(ctx)
	// Scripts Redis does not know yet (first use, a restarted server)
	// failed without running: load them and run those calls alone again.
	var again []*coalesced
	for _, p := range batch {
		if err := p.cmd.Err(); err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
			again = append(again, p)
		}
	}
	if len(again) > 0 {
		loaded := true
		for _, sc := range c.scripts {
			if err := sc.Load(ctx, c.rdb).Err(); err != nil {
				loaded = false
			}
		}
		if loaded {
			pipe := c.rdb.Pipeline()
			for _, p := range again {
				p.cmd = p.build(p.ctx, pipe)
			}
			_, _ = pipe.Exec(ctx)
		}
	}
	for _, p := range batch {
		close(p.done)
	}
}
