package main

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/assistant"
	"github.com/zhangmiao/communitybot/bot"
	"github.com/zhangmiao/communitybot/delivery"
	"github.com/zhangmiao/communitybot/jobs"
	"github.com/zhangmiao/communitybot/outbound"
	"github.com/zhangmiao/communitybot/scheduler"
	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/subscriptions"
)

// DeliveryConfig configures subscriptions, broadcasts and scheduled jobs.
type DeliveryConfig struct {
	PerChat   int           // DELIVERY_PER_CHAT: messages per second to one chat
	PerGroup  int           // DELIVERY_PER_GROUP: messages per minute to one group
	Workers   int           // DELIVERY_WORKERS: delivery workers per replica
	ClaimIdle time.Duration // DELIVERY_CLAIM_IDLE: takeover of a dead worker's chunk
}

// deliveryEnvVars are appended to EnvVars.
var deliveryEnvVars = []envVar{
	{"DELIVERY_PER_CHAT", "1", "Messages per second to one chat."},
	{"DELIVERY_PER_GROUP", "20", "Messages per minute to one group."},
	{"DELIVERY_WORKERS", "4", "Broadcast delivery workers per replica."},
	{"DELIVERY_CLAIM_IDLE", "30s", "How long a delivery chunk must go untouched before another worker takes it over (its worker or replica died)."},
}

// parseDeliveryConfig reads the delivery variables; bad reports a bad one.
func parseDeliveryConfig(get func(string) string, bad func(name, format string, args ...any)) DeliveryConfig {
	c := DeliveryConfig{PerChat: 1, PerGroup: 20, Workers: 4, ClaimIdle: 30 * time.Second}
	positive := func(name string, dst *int, max int) {
		if v := get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > max {
				bad(name, "want a whole number from 1 to %d, got %q", max, v)
				return
			}
			*dst = n
		}
	}
	positive("DELIVERY_PER_CHAT", &c.PerChat, 100000)
	positive("DELIVERY_PER_GROUP", &c.PerGroup, 1000000)
	positive("DELIVERY_WORKERS", &c.Workers, 256)
	if v := get("DELIVERY_CLAIM_IDLE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second || d > time.Hour {
			bad("DELIVERY_CLAIM_IDLE", "want a duration between 1s and 1h, like 30s, got %q", v)
		} else {
			c.ClaimIdle = d
		}
	}
	return c
}

// deliveryWiring holds the delivery engine and the scheduler. Other
// features use them: Engine.Enqueue and Engine.RegisterRenderer for their
// broadcasts, Scheduler.Register for their built-in recurring jobs (before
// start).
type deliveryWiring struct {
	Engine    *delivery.Engine
	Scheduler *scheduler.Scheduler
	log       *slog.Logger
}

// wireDelivery builds the engine (sending through sender) and the
// scheduler, and registers the subscription commands and the admins'
// broadcast and job commands (audited by audit).
func wireDelivery(cfg Config, store *storage.Store, sender *bot.Sender, router *bot.Router, asst *assistant.Assistant,
	audit jobs.Auditor, log *slog.Logger) *deliveryWiring {
	replica := communitybot.NewReplicaID()
	d := cfg.Delivery
	engine := delivery.New(store, sender, delivery.Config{
		Workers: d.Workers, ClaimIdle: d.ClaimIdle,
		ReplicaID: replica, Location: cfg.Location, Logger: log.With("component", "delivery"),
	})
	sched := scheduler.New(store, engine, scheduler.Config{
		Location: cfg.Location, ReplicaID: replica, Logger: log.With("component", "scheduler"),
	})
	subs := subscriptions.New(store, store, asst, log.With("component", "subscriptions"))
	bot.RegisterSubscriptions(router, subs, outbound.NewChatSubscriptions(store, log.With("component", "subscriptions")))
	admin := jobs.New(engine, sched, store, jobs.Options{Location: cfg.Location, PublishedOnWeb: cfg.Web.Listen != "", Audit: audit})
	bot.RegisterAdminBroadcast(router, admin, store)
	return &deliveryWiring{Engine: engine, Scheduler: sched, log: log}
}

// start runs the delivery workers and the scheduler until ctx ends. The
// returned func waits for them to stop.
func (d *deliveryWiring) start(ctx context.Context) (wait func()) {
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := d.Engine.Run(ctx); err != nil {
			d.log.Error("delivery engine stopped", "err", err)
		}
	})
	wg.Go(func() {
		if err := d.Scheduler.Run(ctx); err != nil {
			d.log.Error("scheduler stopped", "err", err)
		}
	})
	return wg.Wait
}
