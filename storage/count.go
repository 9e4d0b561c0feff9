package storage

import (
	"context"
	"net"
	"strings"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// CountCommands starts counting the Redis commands this store's client
// sends (each command of a pipeline or transaction counts, a script call
// counts once) and returns a function that reads the count. Benchmarks use
// it to report Redis operations per delivered message.
func (s *Store) CountCommands() func() int64 {
	h := &commandCounter{}
	s.rdb.AddHook(h)
	return h.n.Load
}

type commandCounter struct{ n atomic.Int64 }

func (c *commandCounter) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}

func (c *commandCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}

func (c *commandCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		n := int64(0)
		for _, cmd := range cmds {
			if name := cmd.Name(); name != "multi" && name != "exec" {
				n++
			}
		}
		c.n.Add(n)
		return next(ctx, cmds)
	}
}

// DropPrefix deletes every key under this store's prefix, and the rate
// limiter's keys an older release left for it (redis_rate put "rate:"
// before the prefix). It is for tests, tools and benchmarks that run
// under a prefix of their own; never call it on the bot's prefix.
func (s *Store) DropPrefix(ctx context.Context) error {
	for _, p := range []string{s.prefix, "rate:" + s.prefix} {
		iter := s.rdb.Scan(ctx, 0, escapeGlob(p)+"*", 1000).Iterator()
		var batch []string
		for iter.Next(ctx) {
			batch = append(batch, iter.Val())
			if len(batch) == 500 {
				if err := s.rdb.Unlink(ctx, batch...).Err(); err != nil {
					return err
				}
				batch = batch[:0]
			}
		}
		if len(batch) > 0 {
			if err := s.rdb.Unlink(ctx, batch...).Err(); err != nil {
				return err
			}
		}
		if err := iter.Err(); err != nil {
			return err
		}
	}
	return nil
}

// escapeGlob quotes SCAN MATCH's special characters, so a prefix such as
// "test:a*b:" matches only itself.
func escapeGlob(s string) string {
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`, "]", `\]`).Replace(s)
}
