package storage_test

import (
	"context"
	"slices"
	"testing"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/storage"
)

func TestSubscriptions(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		elevator := communitybot.ProjectTopic("elevator")
		all := []communitybot.Topic{communitybot.TopicAnnouncements, communitybot.TopicReminders, elevator}
		if isNew, err := s.Subscribe(ctx, 1, communitybot.TopicAnnouncements); err != nil || !isNew {
			t.Fatalf("Subscribe = %v, %v", isNew, err)
		}
		if isNew, _ := s.Subscribe(ctx, 1, communitybot.TopicAnnouncements); isNew {
			t.Fatal("second Subscribe reported new")
		}
		s.Subscribe(ctx, 1, elevator)
		s.Subscribe(ctx, -100, elevator)
		got, err := s.SubscribedTopics(ctx, 1, all)
		if err != nil || !slices.Equal(got, []communitybot.Topic{communitybot.TopicAnnouncements, elevator}) {
			t.Fatalf("SubscribedTopics = %v, %v", got, err)
		}
		if n, _ := s.SubscriberCount(ctx, elevator); n != 2 {
			t.Fatalf("SubscriberCount = %d, want 2", n)
		}
		if err := s.MoveSubscriptions(ctx, -100, -1001234, all); err != nil {
			t.Fatal(err)
		}
		var seen []int64
		if err := s.EachSubscriber(ctx, elevator, 1, func(ids []int64) error { seen = append(seen, ids...); return nil }); err != nil {
			t.Fatal(err)
		}
		slices.Sort(seen)
		if !slices.Equal(seen, []int64{-1001234, 1}) {
			t.Fatalf("subscribers after move = %v", seen)
		}
		if n, err := s.UnsubscribeAll(ctx, 1, all); err != nil || n != 2 {
			t.Fatalf("UnsubscribeAll = %d, %v; want 2", n, err)
		}
		if was, _ := s.Unsubscribe(ctx, 1, elevator); was {
			t.Fatal("Unsubscribe of a removed subscription reported true")
		}
		if topic, ok := elevator.ProjectID(); !ok || topic != "elevator" {
			t.Fatalf("ProjectID = %q, %v", topic, ok)
		}
	})
}
