package storagetest_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

func TestMain(m *testing.M) { os.Exit(storagetest.RunHA(m)) }

// TestHAFixtures: the fixtures come up, the bot's own URL parsing reaches
// them, and a write is readable through each.
func TestHAFixtures(t *testing.T) {
	for name, url := range map[string]func(t *testing.T) string{
		"sentinel": func(t *testing.T) string { return storagetest.SharedSentinel(t).URL() },
		"cluster":  func(t *testing.T) string { return storagetest.SharedCluster(t).URL() },
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			u := url(t)
			t.Logf("%s fixture up in %v: %s", name, time.Since(start), u)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			s, err := storage.Open(ctx, u, storage.Options{Prefix: storagetest.Prefix(t)})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.Client().Set(ctx, s.Prefix()+"k", "v", time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
			if v, err := s.Client().Get(ctx, s.Prefix()+"k").Result(); err != nil || v != "v" {
				t.Fatalf("get = %q, %v", v, err)
			}
		})
	}
}
