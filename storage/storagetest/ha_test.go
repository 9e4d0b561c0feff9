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

// TestSlot: the slot check computes the slots Redis Cluster computes.
func TestSlot(t *testing.T) {
	// Values from the Redis Cluster specification and the CLUSTER KEYSLOT docs.
	for key, want := range map[string]int{"123456789": 12739, "somekey": 11058, "foo{hash_tag}": 2515} {
		if got := storagetest.Slot(key); got != want {
			t.Errorf("Slot(%q) = %d, want %d", key, got, want)
		}
	}
	// Hash tag rules: the first {…} that is not empty.
	for a, b := range map[string]string{
		"{user1000}.following": "{user1000}.followers", "foo{bar}{zap}": "bar", "foo{{bar}}zap": "{bar", "zm:{bc}:b:1": "{bc}",
	} {
		if storagetest.Slot(a) != storagetest.Slot(b) {
			t.Errorf("Slot(%q) = %d, Slot(%q) = %d; want the same", a, storagetest.Slot(a), b, storagetest.Slot(b))
		}
	}
	if storagetest.Slot("foo{}{bar}") == storagetest.Slot("bar") {
		t.Errorf("an empty {} must not make the next {…} the tag")
	}
	if !storagetest.HAEnabled() {
		return
	}
	c := storagetest.SharedCluster(t)
	s := storagetest.NewAt(t, c.URL())
	ctx := context.Background()
	for _, key := range []string{"zm:{user}:info", "zm:sub:announce", "test:x:{in7}:stream", "a{b}c{d}", "{}x", "zm:{study}:d:20260101"} {
		want, err := s.Client().ClusterKeySlot(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		if got := storagetest.Slot(key); got != int(want) {
			t.Errorf("Slot(%q) = %d, CLUSTER KEYSLOT says %d", key, got, want)
		}
	}
}
