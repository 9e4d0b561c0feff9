package storage_test

import (
	"context"
	"testing"

	"github.com/zhangmiao/communitybot/storage"
)

func TestOnceValue(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		if v, ok, err := s.OnceValue(ctx, "reply:1"); err != nil || ok || v != "" {
			t.Fatalf("OnceValue(unset) = %q, %v, %v", v, ok, err)
		}
		if v, err := s.ClaimOnce(ctx, "reply:1", "first"); err != nil || v != "first" {
			t.Fatalf("ClaimOnce = %q, %v", v, err)
		}
		if v, err := s.ClaimOnce(ctx, "reply:1", "second"); err != nil || v != "first" {
			t.Fatalf("ClaimOnce again = %q, %v; want the first value", v, err)
		}
		if v, ok, err := s.OnceValue(ctx, "reply:1"); err != nil || !ok || v != "first" {
			t.Fatalf("OnceValue = %q, %v, %v; want first", v, ok, err)
		}
	})
}
