package storage

import (
	"context"
	"net"
	"strings"
	"sync"
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
// under a prefix of their own; never call it on the bot's prefix. On a
// Cluster it scans every master (SCAN sees one node's keys) and deletes key
// by key (one UNLINK may not span slots).
func (s *Store) DropPrefix(ctx context.Context) error {
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
			return s.dropPrefixOn(ctx, node)
		})
	}
	return s.dropPrefixOn(ctx, s.rdb)
}

func (s *Store) dropPrefixOn(ctx context.Context, rdb redis.Cmdable) error {
	for _, p := range []string{s.prefix, "rate:" + s.prefix} {
		iter := rdb.Scan(ctx, 0, escapeGlob(p)+"*", 1000).Iterator()
		var batch []string
		flush := func() error {
			pipe := rdb.Pipeline()
			for _, k := range batch {
				pipe.Unlink(ctx, k)
			}
			_, err := pipe.Exec(ctx)
			batch = batch[:0]
			return err
		}
		for iter.Next(ctx) {
			batch = append(batch, iter.Val())
			if len(batch) == 500 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if len(batch) > 0 {
			if err := flush(); err != nil {
				return err
			}
		}
		if err := iter.Err(); err != nil {
			return err
		}
	}
	return nil
}

// MemoryUnderPrefix returns how many keys are under this store's prefix
// and the bytes Redis reports for them (MEMORY USAGE, all samples), on
// every master of a Cluster. It is for benchmarks and tools: it scans the
// whole keyspace.
func (s *Store) MemoryUnderPrefix(ctx context.Context) (keys int, bytes int64, err error) {
	var mu sync.Mutex
	count := func(ctx context.Context, rdb redis.Cmdable) error {
		iter := rdb.Scan(ctx, 0, escapeGlob(s.prefix)+"*", 1000).Iterator()
		for iter.Next(ctx) {
			n, err := rdb.MemoryUsage(ctx, iter.Val(), 0).Result()
			if err != nil && !isNil(err) {
				return err
			}
			mu.Lock()
			keys++
			bytes += n
			mu.Unlock()
		}
		return iter.Err()
	}
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error { return count(ctx, node) })
	} else {
		err = count(ctx, s.rdb)
	}
	return keys, bytes, err
}

// escapeGlob quotes SCAN MATCH's special characters, so a prefix such as
// "test:a*b:" matches only itself.
func escapeGlob(s string) string {
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`, "]", `\]`).Replace(s)
}
