// Package metrics exposes the bot's numbers to Prometheus and serves the
// operational HTTP endpoints: /metrics, /healthz (the process is up) and
// /readyz (its dependencies answer). It is the only package that imports
// the Prometheus client.
//
// Other packages never see Prometheus types: they are handed plain
// functions (ObserveUpdate, ObserveTelegramCall, ObserveDelivery, …) that
// the wiring in cmd/communitybot plugs into their hooks, so each metric
// moves at the place where the event happens, and a fault shows on
// communitybot_faults_total the moment it occurs.
package metrics

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

const namespace = "communitybot"

// Metrics holds the bot's collectors in a registry of its own (not the
// global default), so tests can create as many as they like.
type Metrics struct {
	reg *prometheus.Registry
	log *slog.Logger

	updates    *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	questions  *prometheus.CounterVec
	telegram   *prometheus.CounterVec
	deliveries *prometheus.CounterVec
	tickets    *prometheus.CounterVec
	admin      *prometheus.CounterVec
	faults     *prometheus.CounterVec

	queues *queueCollector
}

// New returns Metrics with every collector registered, plus the Go runtime
// and process collectors.
func New(log *slog.Logger) *Metrics {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		log: log,
		updates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "updates_handled_total",
			Help: "Updates (messages, commands, button presses) handled, by kind and outcome (ok, user_error, error, retry).",
		}, []string{"kind", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "handler_duration_seconds",
			Help:    "Time to handle one update, replies included, by kind.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"kind"}),
		questions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "questions_total",
			Help: "Free-text questions, by result: answered from the knowledge base, or fallback (handed to staff).",
		}, []string{"result"}),
		telegram: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "telegram_calls_total",
			Help: "Bot API call attempts by method and outcome (ok, throttled, retried, forbidden, migrated, rejected, failed), from the outbound policy.",
		}, []string{"method", "outcome"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "deliveries_total",
			Help: "Broadcast deliveries to one chat, by result (delivered, blocked, failed, …).",
		}, []string{"result"}),
		tickets: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "tickets_total",
			Help: "Questions handed to staff, by event (created, posted, answered, relayed, rated_good, rated_bad, learned).",
		}, []string{"event"}),
		admin: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "admin_actions_total",
			Help: "Admin actions written to the audit log, by action (denied: a command refused for lack of a role).",
		}, []string{"action"}),
		faults: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "faults_total",
			Help: "Faults as they happen, by source (telegram, handler, redis, redis_inbox, degraded, telegram_poll, duplicate_update, flood, panic, update_dropped, staff_chat, delivery, webhook_unauthorized: a webhook request without the secret).",
		}, []string{"source"}),
	}
	m.queues = &queueCollector{
		desc: prometheus.NewDesc(namespace+"_queue_depth", "Items waiting in a durable queue (inbox: updates not yet handled).", []string{"queue"}, nil),
		m:    m,
	}
	m.reg.MustRegister(m.updates, m.latency, m.questions, m.telegram, m.deliveries, m.tickets, m.admin, m.faults, m.queues,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Known label values start at zero, so a rate() over them works from
	// the first scrape rather than from the first event.
	for _, r := range []string{"answered", "fallback", "off_topic"} {
		m.questions.WithLabelValues(r)
	}
	for _, s := range []string{"telegram", "handler", "redis", "staff_chat", "delivery", "webhook_unauthorized"} {
		m.faults.WithLabelValues(s)
	}
	return m
}

// Registry returns the registry, for tests and for extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// ObserveUpdate records one handled update. kind is a bounded label such
// as "command:project", "callback:rate" or "text"; outcome is "ok",
// "user_error" (a clear message was shown), "error" (the user got an
// apology) or "retry" (left in the inbox).
func (m *Metrics) ObserveUpdate(kind, outcome string, d time.Duration) {
	m.updates.WithLabelValues(kind, outcome).Inc()
	m.latency.WithLabelValues(kind).Observe(d.Seconds())
	if outcome == "error" || outcome == "retry" {
		m.faults.WithLabelValues("handler").Inc()
	}
}

// ObserveQuestion records how a free-text question ended: "answered",
// "fallback" (handed to staff) or "off_topic" (outside what the bot
// covers).
func (m *Metrics) ObserveQuestion(result string) {
	m.questions.WithLabelValues(result).Inc()
}

// ObserveTelegramCall records the outcome of one Bot API call attempt.
// Anything but ok, forbidden and migrated (which are the chat's doing)
// counts as a Telegram fault.
func (m *Metrics) ObserveTelegramCall(method, outcome string) {
	m.telegram.WithLabelValues(method, outcome).Inc()
	switch outcome {
	case "retried", "failed", "rejected":
		m.faults.WithLabelValues("telegram").Inc()
	}
}

// ObserveDelivery records the result of delivering a broadcast to one
// chat. The delivery engine calls it; "failed" counts as a fault.
func (m *Metrics) ObserveDelivery(result string) {
	m.deliveries.WithLabelValues(result).Inc()
	if result == "failed" {
		m.faults.WithLabelValues("delivery").Inc()
	}
}

// ObserveTicket records a ticket event (created, posted, answered, …).
func (m *Metrics) ObserveTicket(event string) { m.tickets.WithLabelValues(event).Inc() }

// ObserveAdminAction records an audited admin action.
func (m *Metrics) ObserveAdminAction(action string) { m.admin.WithLabelValues(action).Inc() }

// Fault records a fault from source that the other hooks do not see (the
// staff chat unreachable, Redis failing a health check).
func (m *Metrics) Fault(source string) { m.faults.WithLabelValues(source).Inc() }

// DepthFunc reports how many items wait in a queue.
type DepthFunc func(ctx context.Context) (int64, error)

// AddQueue makes queue_depth{queue=name} report fn at every scrape. The
// inbox registers here now; the delivery queue can register the same way.
func (m *Metrics) AddQueue(name string, fn DepthFunc) {
	m.queues.mu.Lock()
	defer m.queues.mu.Unlock()
	m.queues.funcs = append(m.queues.funcs, namedDepth{name, fn})
}

type namedDepth struct {
	name string
	fn   DepthFunc
}

// queueCollector reads queue depths when scraped, so the figure is always
// current and costs nothing between scrapes.
type queueCollector struct {
	desc  *prometheus.Desc
	m     *Metrics
	mu    sync.Mutex
	funcs []namedDepth
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	funcs := append([]namedDepth(nil), c.funcs...)
	c.mu.Unlock()
	for _, q := range funcs {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		n, err := q.fn(ctx)
		cancel()
		if err != nil {
			// Leave the series out rather than report a made-up zero.
			c.m.faults.WithLabelValues("redis").Inc()
			c.m.log.Warn("queue depth unavailable", "queue", q.name, "err", err)
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), q.name)
	}
}

// AddRedisCounts makes communitybot_redis_round_trips_total and
// communitybot_redis_commands_total report trips and commands at every
// scrape (storage.Store.RoundTrips and Commands): with
// updates_handled_total they give the Redis cost of an update.
func (m *Metrics) AddRedisCounts(trips, commands func() int64) {
	m.reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "communitybot_redis_round_trips_total",
			Help: "Round trips to Redis (a command or a whole pipeline is one)."}, func() float64 { return float64(trips()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "communitybot_redis_commands_total",
			Help: "Commands sent to Redis (each command of a pipeline counts)."}, func() float64 { return float64(commands()) }),
	)
}
