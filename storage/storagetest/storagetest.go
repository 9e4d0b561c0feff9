// Package storagetest gives tests a storage.Store on the real Redis server,
// under a key prefix of their own that is removed when the test ends.
//
// The server is REDIS_TEST_URL, or redis://127.0.0.1:6379/0 when unset. Tests
// share that server (several packages run in parallel), so nothing here ever
// flushes a database: each test deletes only its own keys.
//
// Every store from New and NewAt refuses, as Redis Cluster would with
// CROSSSLOT, a script, transaction or multi-key command whose keys are not
// in one slot (SlotCheck), so the single-server tests check that too.
//
// With REDIS_HA_TESTS=1 it also starts, from the installed redis-server,
// a Sentinel group (StartSentinel, SharedSentinel) and a Redis Cluster
// (StartCluster, SharedCluster) on free ports, and removes them afterwards.
package storagetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/storage"
)

// DefaultURL is the Redis used when REDIS_TEST_URL is not set.
const DefaultURL = "redis://127.0.0.1:6379/0"

// URL returns the Redis URL tests use.
func URL() string {
	if u := os.Getenv("REDIS_TEST_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// Prefix returns a fresh key prefix for t, unique across runs and packages.
func Prefix(t testing.TB) string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	name := strings.NewReplacer("/", "_", " ", "_", ":", "_", "{", "_", "}", "_").Replace(t.Name())
	if len(name) > 40 {
		name = name[:40]
	}
	return "test:" + name + ":" + hex.EncodeToString(b[:]) + ":"
}

// New returns a Store on the test Redis with a fresh prefix. It fails the
// test (it does not skip it) when Redis does not answer: tests that touch
// storage must run against a real server. The prefix's keys are deleted and
// the store closed when the test ends.
func New(t testing.TB, opts ...func(*storage.Options)) *storage.Store {
	t.Helper()
	return NewAt(t, URL(), opts...)
}

// NewAt is New on the Redis at url (any URL storage.Open accepts: the
// Sentinel and Cluster fixtures' URLs too).
func NewAt(t testing.TB, url string, opts ...func(*storage.Options)) *storage.Store {
	t.Helper()
	o := storage.Options{Prefix: Prefix(t)}
	for _, f := range opts {
		f(&o)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := storage.Open(ctx, url, o)
	if err != nil {
		t.Fatalf("storagetest: no Redis at %s (start one with `redis-server` or set REDIS_TEST_URL): %v", communitybot.RedactURL(url), err)
	}
	s.Client().AddHook(SlotCheck{label: kindOf(url)})
	t.Cleanup(func() {
		Cleanup(t, s.Client(), o.Prefix)
		s.Close()
	})
	return s
}

// Cleanup deletes every key under prefix, and the rate limiter's keys
// for it (storage.Store.DropPrefix).
func Cleanup(t testing.TB, rdb redis.UniversalClient, prefix string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := storage.NewFromClient(rdb, storage.Options{Prefix: prefix}).DropPrefix(ctx); err != nil {
		t.Errorf("storagetest: cleanup: %v", err)
	}
}

// Reserve returns a fresh prefix whose keys are deleted when the test
// ends, for code under test that opens its own connection under it (the
// program's run function, a child process).
func Reserve(t testing.TB) string {
	t.Helper()
	return ReserveAt(t, URL())
}

// ReserveAt is Reserve on the Redis at url (a Sentinel or Cluster
// fixture's URL, say).
func ReserveAt(t testing.TB, url string) string {
	t.Helper()
	prefix := Prefix(t)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s, err := storage.Open(ctx, url, storage.Options{Prefix: prefix})
		if err != nil {
			t.Errorf("storagetest: cleanup of %s: %v", prefix, err)
			return
		}
		defer s.Close()
		if err := s.DropPrefix(ctx); err != nil {
			t.Errorf("storagetest: cleanup of %s: %v", prefix, err)
		}
	})
	return prefix
}
