package main

import (
	"log/slog"
	"time"

	"github.com/zhangmiao/communitybot/bot"
	"github.com/zhangmiao/communitybot/metrics"
	"github.com/zhangmiao/communitybot/outbound"
	"github.com/zhangmiao/communitybot/storage"
)

// newSender builds the one path every message takes, before anything that
// sends: the outbound policy over the send gate shared by all replicas
// (TELEGRAM_RATE, replies ahead of broadcasts, the delivery's per-chat and
// per-group limits) and the ChatFate that unsubscribes a lost chat and
// moves a migrated group, with every attempt counted in m.
func newSender(cfg Config, store *storage.Store, m *metrics.Metrics, log *slog.Logger) (*bot.Sender, error) {
	gate := store.SendGate(storage.SendGateConfig{
		Rate:     cfg.Outbound.Rate,
		PerChat:  storage.RateLimit{Rate: cfg.Delivery.PerChat, Period: time.Second},
		PerGroup: storage.RateLimit{Rate: cfg.Delivery.PerGroup, Period: time.Minute},
	})
	log = log.With("component", "sender")
	policy := outbound.New(gate, outbound.NewChatSubscriptions(store, log), outbound.Config{
		Rate:    cfg.Outbound.Rate,
		Observe: func(method string, o outbound.Outcome) { m.ObserveTelegramCall(method, string(o)) },
		Logger:  log,
	})
	return bot.NewSender(bot.SenderConfig{Token: cfg.Token, APIURL: cfg.APIURL, Logger: log}, policy)
}
