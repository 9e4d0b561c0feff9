package main

import (
	"log/slog"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/bot"
	"github.com/zhangmiao/communitybot/content"
	"github.com/zhangmiao/communitybot/membership"
	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/study"
)

// wireStudy sets up roles (/grant, /invite, /join) and the party
// members' daily study on router, their admin actions audited by audit.
// The returned service's Jobs and Render are what the scheduler and the
// delivery engine run:
//
//	for _, j := range studySvc.Jobs(engine) {
//		sched.Register(scheduler.Job{ID: j.ID, Spec: j.Spec, Run: j.Run})
//	}
//	engine.RegisterRenderer(study.BroadcastKind, studySvc.Render)
func wireStudy(cfg Config, kb *content.KnowledgeBase, store *storage.Store, sender *bot.Sender, router *bot.Router,
	audit study.Auditor, log *slog.Logger) (*study.Service, error) {
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
	svc, err := study.New(store, kb.Study, study.Options{
		Location: cfg.Location,
		Points:   &study.Points{Read: cfg.Study.ReadPoints, Correct: cfg.Study.CorrectPoints},
		DailyAt:  cfg.Study.DailyAt, WeeklyAt: cfg.Study.SummaryAt,
		Reload: reload, Audit: audit,
		Logger: log.With("component", "study"),
	})
	if err != nil {
		return nil, err
	}
	dir := bot.NewDirectory(router, store, sender, log.With("component", "membership"))
	members := membership.NewCommands(membership.New(store, membership.Options{InviteTTL: cfg.Study.InviteTTL}), membership.CommandOptions{
		Location: cfg.Location, StudyTime: cfg.Study.DailyAt, Notify: sender, Menus: dir, Audit: audit,
	})
	bot.RegisterMembership(router, members, dir, store)
	bot.RegisterStudy(router, svc, store)
	return svc, nil
}
