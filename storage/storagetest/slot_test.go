package storagetest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/zhangmiao/communitybot/storage/storagetest"
)

// TestSlotCheck: a store from New refuses what Redis Cluster refuses with
// CROSSSLOT, on a single server too, and lets keys of one slot through.
func TestSlotCheck(t *testing.T) {
	s := storagetest.New(t)
	rdb, p := s.Client(), s.Prefix()
	ctx := context.Background()
	script := redis.NewScript(`redis.call('SET', KEYS[1], 1) redis.call('SET', KEYS[2], 1) return 1`)
	tx := func(a, b string) error {
		_, err := rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
			pipe.Set(ctx, a, 1, 0)
			pipe.Set(ctx, b, 1, 0)
			return nil
		})
		return err
	}
	for _, tc := range []struct {
		name string
		run  func() error
		ok   bool
	}{
		{"script, one tag", func() error { return script.Run(ctx, rdb, []string{p + "{t}:a", p + "{t}:b"}).Err() }, true},
		{"script, two slots", func() error { return script.Run(ctx, rdb, []string{p + "a", p + "b"}).Err() }, false},
		{"MULTI, one tag", func() error { return tx(p+"{t}:a", p+"{t}:b") }, true},
		{"MULTI, two slots", func() error { return tx(p+"a", p+"b") }, false},
		{"DEL, two slots", func() error { return rdb.Del(ctx, p+"a", p+"b").Err() }, false},
		{"plain pipeline, two slots", func() error {
			_, err := rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
				pipe.Set(ctx, p+"a", 1, 0)
				pipe.Set(ctx, p+"b", 1, 0)
				return nil
			})
			return err
		}, true}, // go-redis splits a plain pipeline by slot on a Cluster
	} {
		err := tc.run()
		if tc.ok && err != nil {
			t.Errorf("%s: %v, want it allowed", tc.name, err)
		}
		if !tc.ok && (err == nil || !strings.Contains(err.Error(), "CROSSSLOT")) {
			t.Errorf("%s: %v, want it refused as CROSSSLOT", tc.name, err)
		}
	}
}
