package storage_test

import (
	"context"
	"testing"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

// BenchmarkSubscriptionMemory measures the Redis memory one subscription
// costs: MEMORY USAGE (all samples) of a topic with 100,000 subscribers,
// divided by 100,000. Chat ids are realistic: 10-digit user ids and
// -100… supergroup ids.
//
//	go test -run XXX -bench SubscriptionMemory ./storage/
func BenchmarkSubscriptionMemory(b *testing.B) {
	const n = 100_000
	s := storagetest.New(b)
	ctx := context.Background()
	topic := communitybot.TopicAnnouncements
	for b.Loop() {
		pipe := s.Client().Pipeline()
		for i := range n {
			id := int64(5_000_000_000) + int64(i)*7919
			if i%10 == 0 {
				id = -1_001_000_000_000 - int64(i)
			}
			pipe.SAdd(ctx, s.Prefix()+"sub:"+string(topic), id)
			if pipe.Len() == 1000 {
				if _, err := pipe.Exec(ctx); err != nil {
					b.Fatal(err)
				}
			}
		}
		if _, err := pipe.Exec(ctx); err != nil {
			b.Fatal(err)
		}
	}
	if c, _ := s.SubscriberCount(ctx, topic); c != n {
		b.Fatalf("SubscriberCount = %d, want %d", c, n)
	}
	mem, err := s.Client().MemoryUsage(ctx, s.Prefix()+"sub:"+string(topic), 0).Result()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(mem)/n, "bytes/subscription")
}
