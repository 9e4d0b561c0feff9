package main

import (
	"log/slog"
	"strings"
	"testing"
	"time"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestParseConfigDefaults(t *testing.T) {
	c, err := parseConfig(env())
	if err != nil {
		t.Fatal(err)
	}
	if c.Mode != ModeConsole || c.APIURL != "https://api.telegram.org" || c.RedisURL != "" || c.ActiveChats != 200 ||
		c.ConversationTTL != 30*time.Minute || c.Location.String() != "Asia/Shanghai" || c.LogLevel != slog.LevelWarn {
		t.Fatalf("defaults = %+v", c)
	}
	c, err = parseConfig(env("TELEGRAM_BOT_TOKEN", "123:abc"))
	if err != nil || c.Mode != ModePolling || c.LogLevel != slog.LevelInfo || len(c.Notes) != 0 {
		t.Fatalf("with token: %+v, %v; want polling", c, err)
	}
	// WORKERS no longer applies: accepted, with a note for the log.
	c, err = parseConfig(env("ACTIVE_CHATS", "50", "WORKERS", "8"))
	if err != nil || c.ActiveChats != 50 || len(c.Notes) != 1 || !strings.Contains(c.Notes[0], "ACTIVE_CHATS") {
		t.Fatalf("ACTIVE_CHATS=50 WORKERS=8: %+v, %v; want 50 chats and a note about WORKERS", c, err)
	}
	c, err = parseConfig(env("TELEGRAM_BOT_TOKEN", "123:abc", "WEBHOOK_URL", "https://bot.example.org/hook", "WEBHOOK_SECRET", "abc_DEF-1"))
	if err != nil || c.Mode != ModeWebhook {
		t.Fatalf("with webhook: %+v, %v; want webhook", c, err)
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name    string
		env     func(string) string
		wantVar string
	}{
		{"unknown mode", env("BOT_MODE", "carrier-pigeon"), "BOT_MODE"},
		{"polling without token", env("BOT_MODE", "polling"), "TELEGRAM_BOT_TOKEN"},
		{"malformed token", env("TELEGRAM_BOT_TOKEN", "12 34"), "TELEGRAM_BOT_TOKEN"},
		{"malformed api url", env("TELEGRAM_API_URL", "api.telegram.org"), "TELEGRAM_API_URL"},
		{"webhook without url", env("TELEGRAM_BOT_TOKEN", "1:a", "BOT_MODE", "webhook", "WEBHOOK_SECRET", "x"), "WEBHOOK_URL"},
		{"webhook bad url", env("TELEGRAM_BOT_TOKEN", "1:a", "WEBHOOK_URL", "::nope", "WEBHOOK_SECRET", "x"), "WEBHOOK_URL"},
		{"webhook without secret", env("TELEGRAM_BOT_TOKEN", "1:a", "WEBHOOK_URL", "https://x.org/h"), "WEBHOOK_SECRET"},
		{"webhook bad secret", env("TELEGRAM_BOT_TOKEN", "1:a", "WEBHOOK_URL", "https://x.org/h", "WEBHOOK_SECRET", "has space"), "WEBHOOK_SECRET"},
		{"bad redis url", env("REDIS_URL", "mysql://localhost"), "REDIS_URL"},
		{"bad timezone", env("TIMEZONE", "Mars/Olympus"), "TIMEZONE"},
		{"bad ttl", env("CONVERSATION_TTL", "forever"), "CONVERSATION_TTL"},
		{"bad active chats", env("ACTIVE_CHATS", "0"), "ACTIVE_CHATS"},
		{"too many active chats", env("ACTIVE_CHATS", "100001"), "ACTIVE_CHATS"},
		{"bad log level", env("LOG_LEVEL", "loud"), "LOG_LEVEL"},
		{"bad log format", env("LOG_FORMAT", "xml"), "LOG_FORMAT"},
		{"bad admin id", env("ADMIN_IDS", "123,abc"), "ADMIN_IDS"},
		{"negative admin id", env("ADMIN_IDS", "-5"), "ADMIN_IDS"},
		{"bad study time", env("STUDY_TIME", "8点"), "STUDY_TIME"},
		{"study time out of range", env("STUDY_TIME", "25:00"), "STUDY_TIME"},
		{"bad summary time", env("STUDY_SUMMARY_TIME", "9"), "STUDY_SUMMARY_TIME"},
		{"bad read points", env("STUDY_POINTS_READ", "-1"), "STUDY_POINTS_READ"},
		{"bad correct points", env("STUDY_POINTS_CORRECT", "lots"), "STUDY_POINTS_CORRECT"},
		{"bad invite ttl", env("INVITE_TTL", "10m"), "INVITE_TTL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseConfig(tc.env)
			if err == nil || !strings.Contains(err.Error(), tc.wantVar) {
				t.Fatalf("parseConfig = %v, want an error naming %s", err, tc.wantVar)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
		})
	}
}

func TestParseConfigNeverEchoesSecrets(t *testing.T) {
	_, err := parseConfig(env("TELEGRAM_BOT_TOKEN", "123:tok3nVALUE x", "REDIS_URL", "ftp://u:hunter2@h", "WEBHOOK_URL", "https://u:pw99@x", "WEBHOOK_SECRET", "bad secret!"))
	if err == nil {
		t.Fatal("want errors")
	}
	for _, secret := range []string{"tok3nVALUE", "hunter2", "pw99", "bad secret!"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error leaks %q: %v", secret, err)
		}
	}
}

func TestParseStudyConfig(t *testing.T) {
	c, err := parseConfig(env())
	if err != nil {
		t.Fatal(err)
	}
	want := StudyConfig{DailyAt: "08:00", SummaryAt: "09:00", ReadPoints: 1, CorrectPoints: 2, InviteTTL: 168 * time.Hour}
	if c.Study.DailyAt != want.DailyAt || c.Study.SummaryAt != want.SummaryAt || c.Study.ReadPoints != 1 || c.Study.CorrectPoints != 2 || c.Study.InviteTTL != want.InviteTTL || c.AdminIDs != nil {
		t.Fatalf("study defaults = %+v", c.Study)
	}
	c, err = parseConfig(env("ADMIN_IDS", "12, 34;56", "STUDY_TIME", "7:30", "STUDY_SUMMARY_TIME", "18:05",
		"STUDY_POINTS_READ", "0", "STUDY_POINTS_CORRECT", "5", "INVITE_TTL", "72h"))
	if err != nil {
		t.Fatal(err)
	}
	s := c.Study
	if len(c.AdminIDs) != 3 || c.AdminIDs[2] != 56 || s.DailyAt != "07:30" || s.SummaryAt != "18:05" || s.ReadPoints != 0 || s.CorrectPoints != 5 || s.InviteTTL != 72*time.Hour {
		t.Fatalf("study config = %+v", s)
	}
}

func TestParseConfigWeb(t *testing.T) {
	secret := strings.Repeat("s", 32)
	tests := []struct {
		name      string
		env       func(string) string
		listen    string
		generated bool
		wantErr   string
	}{
		{"console default", env(), "127.0.0.1:8081", true, ""},
		{"console off", env("WEB_LISTEN", "off"), "", false, ""},
		{"polling default is off", env("TELEGRAM_BOT_TOKEN", "1:a"), "", false, ""},
		{"polling with page and secret", env("TELEGRAM_BOT_TOKEN", "1:a", "WEB_LISTEN", ":8081", "WEB_SECRET", secret), ":8081", false, ""},
		{"polling without secret", env("TELEGRAM_BOT_TOKEN", "1:a", "WEB_LISTEN", ":8081"), "", false, "WEB_SECRET"},
		{"short secret", env("TELEGRAM_BOT_TOKEN", "1:a", "WEB_LISTEN", ":8081", "WEB_SECRET", "hunter2-tiny"), "", false, "WEB_SECRET"},
		{"bad address", env("WEB_LISTEN", "localhost"), "", false, "WEB_LISTEN"},
		{"same as metrics", env("TELEGRAM_BOT_TOKEN", "1:a", "WEB_LISTEN", ":9090", "WEB_SECRET", secret), "", false, "WEB_LISTEN"},
		{"bad proxy flag", env("WEB_TRUST_PROXY", "maybe"), "", false, "WEB_TRUST_PROXY"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseConfig(tc.env)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("parseConfig = %v, want an error naming %s", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Fatalf("the secret was echoed: %v", err)
				}
				return
			}
			if err != nil || c.Web.Listen != tc.listen || c.Web.Generated != tc.generated || (tc.listen != "" && len(c.Web.Secret) < 32) {
				t.Fatalf("Web = %+v, %v; want listen %q, generated %v", c.Web, err, tc.listen, tc.generated)
			}
		})
	}
}
