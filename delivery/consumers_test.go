package delivery_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/delivery"
)

// Each process start adds consumers to the delivery group. A replica
// deletes its own when it stops, and any replica deletes the consumers of
// replicas long gone — but never one that still holds a task.
func TestConsumersDoNotAccumulate(t *testing.T) {
	f := newFixture(t, func(c *delivery.Config) {
		c.ReplicaID = "replica-x"
		c.ConsumerIdle = 50 * time.Millisecond
		c.ClaimIdle = time.Hour // the dead replica's task stays with it
	})
	ctx := context.Background()
	if err := f.store.DeliveryPrepare(ctx); err != nil {
		t.Fatal(err)
	}
	// A killed replica left two consumers: one holding a task, one that
	// finished its last task and holds nothing.
	for _, c := range []struct {
		consumer string
		finish   bool
	}{{"killed-w0", false}, {"killed-w1", true}} {
		if _, err := f.engine.Enqueue(ctx, communitybot.Broadcast{Kind: communitybot.KindAnnouncement, ChatIDs: []int64{1}, Reply: communitybot.Reply{Text: "通知"}}); err != nil {
			t.Fatal(err)
		}
		task, err := f.store.ReadTask(ctx, c.consumer, time.Second)
		if err != nil || task == nil {
			t.Fatalf("ReadTask = %+v, %v", task, err)
		}
		if c.finish {
			if _, err := f.store.FinishTask(ctx, task); err != nil {
				t.Fatal(err)
			}
		}
	}
	if names := f.consumers(); !contains(names, "killed-w0") || !contains(names, "killed-w1") {
		t.Fatalf("consumers = %v; want the killed replica's two", names)
	}
	time.Sleep(100 * time.Millisecond) // both idle longer than ConsumerIdle

	f.start()
	f.eventually("the idle consumer of the killed replica is deleted", func(names []string) bool {
		return !contains(names, "killed-w1")
	})
	if names := f.consumers(); !contains(names, "killed-w0") {
		t.Errorf("consumers = %v: the one holding a task was deleted", names)
	}

	b, err := f.engine.Enqueue(ctx, communitybot.Broadcast{Kind: communitybot.KindAnnouncement, ChatIDs: []int64{2, 3}, Reply: communitybot.Reply{Text: "通知"}})
	if err != nil {
		t.Fatal(err)
	}
	f.wait(b.ID)
	if names := f.consumers(); !containsPrefix(names, "replica-x-w") {
		t.Fatalf("consumers = %v: the running replica has none; the test proves nothing", names)
	}
	f.stop()
	if names := f.consumers(); containsPrefix(names, "replica-x-w") || !contains(names, "killed-w0") {
		t.Errorf("consumers after a graceful stop = %v; want only killed-w0", names)
	}
}

func (f *fixture) consumers() []string {
	f.t.Helper()
	list, err := f.store.DeliveryConsumers(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	var names []string
	for _, c := range list {
		names = append(names, c.Name)
	}
	return names
}

func (f *fixture) eventually(what string, cond func(names []string) bool) {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond(f.consumers()) {
		if time.Now().After(deadline) {
			f.t.Fatalf("%s: consumers = %v", what, f.consumers())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func contains(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

func containsPrefix(names []string, prefix string) bool {
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			return true
		}
	}
	return false
}
