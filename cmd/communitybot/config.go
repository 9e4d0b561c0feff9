package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/storage"
)

// Mode is how the process talks to Telegram.
type Mode string

// Modes. ModeAuto picks console without a token, webhook with WEBHOOK_URL,
// polling otherwise.
const (
	ModeAuto    Mode = ""
	ModePolling Mode = "polling"
	ModeWebhook Mode = "webhook"
	ModeConsole Mode = "console"
)

// Config is the whole configuration, read from the environment.
type Config struct {
	Mode          Mode
	Token         string
	APIURL        string
	WebhookURL    string
	WebhookSecret string
	WebhookListen string

	RedisURL    string // empty: embedded Redis
	RedisPrefix string

	ContentFile     string // empty: the embedded knowledge base
	Location        *time.Location
	ConversationTTL time.Duration
	ActiveChats     int
	// Notes are warnings about the configuration for the log (a variable
	// that no longer has an effect).
	Notes []string

	LogLevel  slog.Level
	LogFormat string // text or json

	AdminIDs    []int64        // ADMIN_IDS: made admins at startup
	Study       StudyConfig    // party study and roles (config_study.go)
	Delivery    DeliveryConfig // subscriptions, broadcasts, scheduled jobs (wire_delivery.go)
	Outbound    OutboundConfig // the send path and Redis bounds (config_outbound.go)
	StaffChatID int64          // 0: tickets are not posted to a staff chat
	HTTPAddr    string         // metrics and health endpoints; empty: off
	Pprof       bool           // PPROF: the profiler on HTTP_ADDR (config_perf.go)
	Web         WebConfig      // the web chat page (config_web.go)
}

// envVar documents one variable; the README's table is written from the
// same facts.
type envVar struct {
	Name, Default, Doc string
}

// EnvVars lists every variable parseConfig reads, with its default.
var EnvVars = []envVar{
	{"TELEGRAM_BOT_TOKEN", "(empty: console mode)", "Bot token from @BotFather. Never logged."},
	{"BOT_MODE", "(auto)", "polling, webhook or console. Auto: console without a token, webhook when WEBHOOK_URL is set, else polling."},
	{"TELEGRAM_API_URL", "https://api.telegram.org", "Bot API server base URL (a self-hosted telegram-bot-api or a test emulator). Requests go to <URL>/bot<TOKEN>/<method>."},
	{"WEBHOOK_URL", "", "Public HTTPS URL Telegram posts updates to (webhook mode)."},
	{"WEBHOOK_SECRET", "", "Secret token Telegram sends with each webhook request; 1-256 of A-Z a-z 0-9 _ -. Required in webhook mode."},
	{"WEBHOOK_LISTEN", ":8080", "Address the webhook server listens on; it serves WEBHOOK_URL's path."},
	{"REDIS_URL", "(empty: embedded Redis)", "redis://, rediss://, redis+sentinel:// or redis+cluster:// URL. Without it an in-process Redis is used and nothing survives a restart."},
	{"REDIS_PREFIX", storage.DefaultPrefix, "Prefix of every Redis key."},
	{"CONTENT_FILE", "(embedded)", "Path of a knowledge YAML file to use instead of the built-in one."},
	{"TIMEZONE", "Asia/Shanghai", "Time zone for shown times, schedules and daily counters."},
	{"CONVERSATION_TTL", "30m", "How long follow-up context is kept after a user's last question."},
	{"ACTIVE_CHATS", "200", "Chats this replica handles at once, 1-100000. Each chat's updates are handled one at a time, in order; different chats never wait for each other. Further chats wait their turn in memory."},
	{"LOG_LEVEL", "info (console: warn)", "debug, info, warn or error."},
	{"LOG_FORMAT", "text", "text or json."},
	{"ADMIN_IDS", "", "Comma-separated Telegram user ids made admins at startup (existing admins stay). Console mode's user is 10001."},
	{"STUDY_TIME", "08:00", "Time of day (TIMEZONE) the daily study prompt is pushed to members."},
	{"STUDY_SUMMARY_TIME", "09:00", "Time on Mondays (TIMEZONE) each branch gets last week's study summary."},
	{"STUDY_POINTS_READ", "1", "Points for the day's first /study or answer (0-100)."},
	{"STUDY_POINTS_CORRECT", "2", "Points for a correct answer (0-100)."},
	{"INVITE_TTL", "168h", "How long a /invite code can be used (1h-720h)."},
	{"STAFF_CHAT_ID", "(empty: none)", "Chat id of the staff group (negative for groups) where residents' unanswered questions are posted and answered by replying. Without it tickets are still created; staff list them with /tickets and answer with /answer."},
	{"HTTP_ADDR", ":9090 (console: off)", "Address of the operational HTTP server: /metrics (Prometheus), /healthz, /readyz. Not the webhook port. off disables it."},
}

func init() { EnvVars = append(EnvVars, deliveryEnvVars...) }

// parseAdminIDs reads ADMIN_IDS: user ids separated by commas, spaces or
// semicolons.
func parseAdminIDs(v string, bad func(name, format string, args ...any)) []int64 {
	var ids []int64
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil || id <= 0 {
			bad("ADMIN_IDS", "want comma-separated positive user ids, got %q", f)
			continue
		}
		ids = append(ids, id)
	}
	return ids
}

var webhookSecretRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// parseConfig reads the configuration through getenv. A bad value stops
// startup with an error naming the variable; values are never echoed for
// secret variables.
func parseConfig(getenv func(string) string) (Config, error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	c := Config{
		Token:         get("TELEGRAM_BOT_TOKEN"),
		APIURL:        or(get("TELEGRAM_API_URL"), "https://api.telegram.org"),
		WebhookURL:    get("WEBHOOK_URL"),
		WebhookSecret: get("WEBHOOK_SECRET"),
		WebhookListen: or(get("WEBHOOK_LISTEN"), ":8080"),
		RedisURL:      get("REDIS_URL"),
		RedisPrefix:   or(get("REDIS_PREFIX"), storage.DefaultPrefix),
		ContentFile:   get("CONTENT_FILE"),
		LogFormat:     or(strings.ToLower(get("LOG_FORMAT")), "text"),
	}
	var problems []string
	bad := func(name, format string, args ...any) {
		problems = append(problems, name+": "+fmt.Sprintf(format, args...))
	}

	switch m := Mode(strings.ToLower(get("BOT_MODE"))); m {
	case ModeAuto:
		switch {
		case c.Token == "":
			c.Mode = ModeConsole
		case c.WebhookURL != "":
			c.Mode = ModeWebhook
		default:
			c.Mode = ModePolling
		}
	case ModePolling, ModeWebhook, ModeConsole:
		c.Mode = m
	default:
		bad("BOT_MODE", "unknown mode %q (want polling, webhook or console)", m)
	}
	if (c.Mode == ModePolling || c.Mode == ModeWebhook) && c.Token == "" {
		bad("TELEGRAM_BOT_TOKEN", "required in %s mode", c.Mode)
	}
	if c.Token != "" && strings.ContainsAny(c.Token, " /?#\t\n") {
		bad("TELEGRAM_BOT_TOKEN", "malformed token (expected the form 123456:ABC-DEF…)")
	}
	if err := checkHTTPURL(c.APIURL); err != nil {
		bad("TELEGRAM_API_URL", "%v", err)
	}
	if c.Mode == ModeWebhook {
		if c.WebhookURL == "" {
			bad("WEBHOOK_URL", "required in webhook mode")
		} else if err := checkHTTPURL(c.WebhookURL); err != nil {
			bad("WEBHOOK_URL", "%v", err)
		}
		if !webhookSecretRE.MatchString(c.WebhookSecret) {
			bad("WEBHOOK_SECRET", "required in webhook mode: 1-256 characters of A-Z a-z 0-9 _ -")
		}
	}
	if c.RedisURL != "" {
		if rdb, err := storage.NewClient(c.RedisURL); err != nil {
			bad("REDIS_URL", "%v", err)
		} else {
			rdb.Close()
		}
	}
	tz := or(get("TIMEZONE"), "Asia/Shanghai")
	loc, err := time.LoadLocation(tz)
	if err != nil {
		bad("TIMEZONE", "unknown time zone %q", tz)
	}
	c.Location = loc
	c.ConversationTTL = 30 * time.Minute
	if v := get("CONVERSATION_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute || d > 7*24*time.Hour {
			bad("CONVERSATION_TTL", "want a duration between 1m and 168h, like 30m, got %q", v)
		}
		c.ConversationTTL = d
	}
	c.ActiveChats = 200
	if v := get("ACTIVE_CHATS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100000 {
			bad("ACTIVE_CHATS", "want a whole number from 1 to 100000, got %q", v)
		}
		c.ActiveChats = n
	}
	if get("WORKERS") != "" {
		// It bounded updates at once (default 8) when the inbox had one
		// worker per partition; concurrency is per chat now.
		c.Notes = append(c.Notes, "WORKERS has no effect any more and can be removed; ACTIVE_CHATS bounds how many chats are handled at once")
	}
	if get("DELIVERY_RATE") != "" && get("TELEGRAM_RATE") == "" {
		// Replies and broadcasts share one limit now; an old setting is
		// not silently dropped.
		bad("DELIVERY_RATE", "was replaced by TELEGRAM_RATE (replies and broadcasts together); rename it")
	}
	switch lv := strings.ToLower(get("LOG_LEVEL")); lv {
	case "":
		// The console is a chat: keep it free of routine log lines.
		c.LogLevel = slog.LevelInfo
		if c.Mode == ModeConsole {
			c.LogLevel = slog.LevelWarn
		}
	case "info":
		c.LogLevel = slog.LevelInfo
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "warn", "warning":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		bad("LOG_LEVEL", "want debug, info, warn or error, got %q", lv)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("LOG_FORMAT", "want text or json, got %q", c.LogFormat)
	}
	c.AdminIDs = parseAdminIDs(get("ADMIN_IDS"), bad)
	c.Study = parseStudyConfig(get, bad)
	if v := get("STAFF_CHAT_ID"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n == 0 {
			bad("STAFF_CHAT_ID", "want a chat id such as -1001234567890, got %q", v)
		}
		c.StaffChatID = n
	}
	switch v := get("HTTP_ADDR"); {
	case v == "" && c.Mode == ModeConsole, strings.EqualFold(v, "off"):
		c.HTTPAddr = ""
	case v == "":
		c.HTTPAddr = ":9090"
	default:
		if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
			bad("HTTP_ADDR", "want host:port or :port, like :9090, got %q", v)
		}
		c.HTTPAddr = v
	}
	c.Pprof = parsePprof(get, bad)
	if c.Pprof && c.HTTPAddr == "" {
		bad("PPROF", "needs HTTP_ADDR (the profiler is served there)")
	}
	if c.HTTPAddr != "" && c.Mode == ModeWebhook && c.HTTPAddr == c.WebhookListen {
		bad("HTTP_ADDR", "must differ from WEBHOOK_LISTEN (%s)", c.WebhookListen)
	}
	c.Delivery = parseDeliveryConfig(get, bad)
	c.Web = parseWebConfig(get, c.Mode, bad)
	if l := c.Web.Listen; l != "" && (l == c.HTTPAddr || (c.Mode == ModeWebhook && l == c.WebhookListen)) {
		bad("WEB_LISTEN", "must differ from HTTP_ADDR and WEBHOOK_LISTEN")
	}
	c.Outbound = parseOutboundConfig(get, bad)
	if len(problems) > 0 {
		// One line, so it reads well in a container's log.
		return c, errors.New("configuration: " + strings.Join(problems, "; "))
	}
	return c, nil
}

func checkHTTPURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("want an absolute http(s) URL, got %q", communitybot.RedactURL(raw))
	}
	return nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
