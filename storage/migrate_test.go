package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

// TestOpenRenamesOldUserKeys: the user record and @username index of an
// earlier version (no hash tag) are still found after an upgrade.
func TestOpenRenamesOldUserKeys(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	prefix := storagetest.Reserve(t)
	raw := storagetest.New(t).Client()
	if err := raw.HSet(ctx, prefix+"user:info", "7", `{"u":"Laowang","f":"老王"}`).Err(); err != nil {
		t.Fatal(err)
	}
	if err := raw.HSet(ctx, prefix+"user:uname", "laowang", "7").Err(); err != nil {
		t.Fatal(err)
	}
	s, err := storage.Open(ctx, storagetest.URL(), storage.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := s.UserByUsername(ctx, "@laowang")
	if err != nil || u != (communitybot.User{ID: 7, Username: "Laowang", FirstName: "老王"}) {
		t.Fatalf("UserByUsername after upgrade = %+v, %v; want user 7", u, err)
	}
	if n := raw.Exists(ctx, prefix+"user:info").Val() + raw.Exists(ctx, prefix+"user:uname").Val(); n != 0 {
		t.Errorf("%d old keys left", n)
	}
	// A second Open (another replica, a restart) changes nothing.
	s2, err := storage.Open(ctx, storagetest.URL(), storage.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if u, err := s2.UserByUsername(ctx, "laowang"); err != nil || u.ID != 7 {
		t.Fatalf("after a second Open: %+v, %v", u, err)
	}
}
