package main

import (
	"context"
	"time"

	"github.com/zhangmiao/communitybot/delivery"
	"github.com/zhangmiao/communitybot/scheduler"
	"github.com/zhangmiao/communitybot/staff"
	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/study"
)

// connectFeatures joins the features that use each other: the study's
// jobs and per-member renderer run on the scheduler and the delivery
// engine; project updates are pushed through the engine; the staff's
// metrics and /stats read the engine and the study.
func connectFeatures(dl *deliveryWiring, store *storage.Store, studySvc *study.Service, staffW *staffWiring) {
	titles := map[string]string{study.DailyJobID: "每日学习推送（党员）", study.WeeklyJobID: "每周学习小结（各党支部）"}
	for _, j := range studySvc.Jobs(dl.Engine) {
		dl.Scheduler.Register(scheduler.Job{ID: j.ID, Spec: j.Spec, Title: titles[j.ID], Run: j.Run})
	}
	dl.Engine.RegisterRenderer(study.BroadcastKind, studySvc.Render)

	staffW.svc.SetNotifier(dl.Engine)
	dl.Engine.OnOutcome(func(_, outcome string) { staffW.metrics.ObserveDelivery(outcome) })
	staffW.metrics.AddQueue("delivery", store.DeliveryBacklog)
	staffW.svc.SetStats(broadcastStats{dl.Engine}, studyStats{studySvc, store})
}

// broadcastStats shows the engine's recent broadcasts in /stats.
type broadcastStats struct{ e *delivery.Engine }

func (b broadcastStats) RecentBroadcasts(ctx context.Context, n int) ([]staff.BroadcastSummary, error) {
	list, err := b.e.Recent(ctx, n)
	if err != nil {
		return nil, err
	}
	out := make([]staff.BroadcastSummary, 0, len(list))
	for _, s := range list {
		out = append(out, staff.BroadcastSummary{
			ID: s.ID, Kind: s.Kind, Topic: s.Topic, CreatedAt: s.CreatedAt,
			Recipients: int64(s.Total), Delivered: int64(s.Delivered), Blocked: int64(s.Blocked), Failed: int64(s.Failed),
			Done: s.Finished(),
		})
	}
	return out, nil
}

// studyStats shows study participation in /stats.
type studyStats struct {
	svc   *study.Service
	store *storage.Store
}

func (s studyStats) StudyParticipation(ctx context.Context, t time.Time) (staff.StudySummary, error) {
	p, err := s.svc.Participation(ctx, s.store, t)
	if err != nil {
		return staff.StudySummary{}, err
	}
	return staff.StudySummary{Members: p.Members, ParticipantsToday: p.Today, ParticipantsWeek: p.Week}, nil
}
