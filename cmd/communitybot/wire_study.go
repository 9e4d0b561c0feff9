package main

import (
	"context"
	"log/slog"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/bot"
	"github.com/zhangmiao/communitybot/content"
	"github.com/zhangmiao/communitybot/membership"
	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/study"
)

// wireStudy sets up roles (/grant, /invite, /join) and the
// party members' daily study on router. The returned service's Jobs and
// Render are what the scheduler and the delivery engine run:
//
//	for _, j := range studySvc.Jobs(engine) {
//		sched.Register(scheduler.Job{ID: j.ID, Spec: j.Spec, Run: j.Run})
//	}
//	engine.RegisterRenderer(study.BroadcastKind, studySvc.Render)
func wireStudy(ctx context.Context, cfg Config, kb *content.KnowledgeBase, store *storage.Store, router *bot.Router, log *slog.Logger) (*study.Service, error) {
	svc, err := study.New(store, kb.Study, study.Options{
		Location: cfg.Location,
		Points:   &study.Points{Read: cfg.Study.ReadPoints, Correct: cfg.Study.CorrectPoints},
		DailyAt:  cfg.Study.DailyAt, WeeklyAt: cfg.Study.SummaryAt,
		Logger: log.With("component", "study"),
	})
	if err != nil {
		return nil, err
	}
	members := membership.New(store, membership.Options{InviteTTL: cfg.Study.InviteTTL})
	bot.RegisterMembership(router, members, store, bot.MembershipOptions{
		Location: cfg.Location, StudyTime: cfg.Study.DailyAt, Logger: log.With("component", "membership"),
	})
	var reload func() ([]communitybot.StudyItem, error)
	if cfg.ContentFile != "" {
		reload = func() ([]communitybot.StudyItem, error) {
			kb, err := content.LoadFile(cfg.ContentFile)
			if err != nil {
				return nil, err
			}
			return kb.Study, nil
		}
	}
	bot.RegisterStudy(router, svc, bot.StudyOptions{Reload: reload, Replies: store})
	return svc, nil
}
