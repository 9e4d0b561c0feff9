package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/zhangmiao/communitybot/assistant"
	"github.com/zhangmiao/communitybot/bot"
	"github.com/zhangmiao/communitybot/content"
	"github.com/zhangmiao/communitybot/intake"
	"github.com/zhangmiao/communitybot/metrics"
	"github.com/zhangmiao/communitybot/staff"
	"github.com/zhangmiao/communitybot/storage"
)

// staffWiring holds the staff side: the desk (project updates, tickets,
// learning, statistics, audit), metrics, and the operational HTTP server.
type staffWiring struct {
	svc     *staff.Service
	routed  *channelPoster // the Sender, and the web page for web visitors' chats (wire_web.go)
	metrics *metrics.Metrics
}

// newDesk builds the staff desk (posting through sender, or to the web
// page for web visitors' chats) and plugs it into the assistant. It is
// built before the other features: it keeps the audit log every admin
// command writes to.
//
// Still to plug in by the features that provide them:
//   - svc.SetNotifier(deliveryEngine): project updates are stored but not
//     pushed until then (the admin is told so);
//   - svc.SetStats(broadcastStats, studyStats): /stats shows "—" for them;
//   - metrics.ObserveDelivery as the delivery engine's result hook, and
//     metrics.AddQueue("delivery", …) for its queue depth.
func newDesk(ctx context.Context, cfg Config, kb *content.KnowledgeBase, store *storage.Store, sender *bot.Sender, m *metrics.Metrics,
	asst *assistant.Assistant, log *slog.Logger) (*staffWiring, error) {
	routed := &channelPoster{telegram: sender}
	svc, err := staff.New(staff.Deps{Store: store, Base: kb, QA: asst, Poster: routed, Observer: m}, staff.Config{
		StaffChatID: cfg.StaffChatID, Location: cfg.Location, Logger: log.With("component", "staff"),
	})
	if err != nil {
		return nil, err
	}
	svc.LoadKnowledge(ctx)
	asst.SetHooks(assistant.Hooks{Escalate: svc.Escalate, Observe: func(o assistant.Outcome) { m.ObserveQuestion(string(o)) }})
	return &staffWiring{svc: svc, routed: routed, metrics: m}, nil
}

// wireStaff registers the desk's commands and the metrics on the router,
// starts the desk's background work and the HTTP server for /metrics,
// /healthz and /readyz, and registers their shutdown on closers.
func wireStaff(ctx context.Context, cfg Config, store *storage.Store, w *staffWiring, router *bot.Router, log *slog.Logger, closers *closeStack) error {
	m, svc := w.metrics, w.svc
	router.ObserveUpdates(m.ObserveUpdate) // first: it times everything after it
	router.Use(bot.CountUsers(store.SeenUser, log.With("component", "stats")))
	bot.RegisterStaff(router, svc, store)
	bot.RegisterTickets(router, svc, store)
	if cfg.StaffChatID == 0 {
		log.Info("STAFF_CHAT_ID is not set: unanswered questions become tickets listed by /tickets, not posted to a staff chat")
	}

	m.AddQueue("inbox", func(ctx context.Context) (int64, error) { return store.InboxBacklog(ctx, intake.Partitions) })
	m.AddRedisCounts(store.RoundTrips, store.Commands)

	runCtx, stopDesk := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { svc.Run(runCtx) })
	closers.push("staff desk", func() error { stopDesk(); wg.Wait(); return nil })

	if cfg.HTTPAddr != "" {
		h := m.Handler(store.Ping)
		if cfg.Pprof {
			h = withPprof(h)
		}
		srv, err := metrics.Listen(cfg.HTTPAddr, h)
		if err != nil {
			return fmt.Errorf("HTTP_ADDR: %w", err)
		}
		go func() {
			if err := srv.Serve(); err != nil {
				log.Error("metrics server stopped", "err", err)
			}
		}()
		closers.push("http server", func() error {
			shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return srv.Shutdown(shutCtx)
		})
		log.Info("metrics and health endpoints listening", "addr", srv.Addr())
	}
	return nil
}
