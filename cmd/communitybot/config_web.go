package main

import (
	"crypto/rand"
	"net"
	"strings"
)

// WebConfig configures the web chat page (package web).
type WebConfig struct {
	Listen     string // WEB_LISTEN; empty: no page
	Secret     []byte // WEB_SECRET: signs visitor cookies
	Generated  bool   // the secret was made at startup (console mode): cookies end with the process
	TrustProxy bool   // WEB_TRUST_PROXY
}

// consoleWebListen is where console mode serves the page by default.
const consoleWebListen = "127.0.0.1:8081"

// minWebSecret is the shortest WEB_SECRET accepted.
const minWebSecret = 32

var webEnvVars = []envVar{
	{"WEB_LISTEN", "off (console: 127.0.0.1:8081)", "Address of the web chat page for residents without Telegram (host:port or :port); off disables it."},
	{"WEB_SECRET", "(console: generated)", "Secret that signs the page's visitor cookies, at least 32 characters; required when WEB_LISTEN is set outside console mode. Never logged."},
	{"WEB_TRUST_PROXY", "false", "true behind a reverse proxy (TLS): the client address is the last X-Forwarded-For entry and X-Forwarded-Proto https marks cookies Secure."},
}

func init() { EnvVars = append(EnvVars, webEnvVars...) }

// parseWebConfig reads the web variables; bad reports a bad one.
func parseWebConfig(get func(string) string, mode Mode, bad func(name, format string, args ...any)) WebConfig {
	var c WebConfig
	switch v := get("WEB_LISTEN"); {
	case strings.EqualFold(v, "off"):
	case v == "" && mode == ModeConsole:
		c.Listen = consoleWebListen
	case v == "":
	default:
		if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
			bad("WEB_LISTEN", "want host:port or :port, like :8081, got %q", v)
		}
		c.Listen = v
	}
	switch s := get("WEB_SECRET"); {
	case s != "" && len(s) < minWebSecret:
		bad("WEB_SECRET", "too short: want at least %d characters", minWebSecret)
	case s != "":
		c.Secret = []byte(s)
	case c.Listen != "" && mode == ModeConsole:
		c.Secret, c.Generated = make([]byte, 32), true
		_, _ = rand.Read(c.Secret)
	case c.Listen != "":
		bad("WEB_SECRET", "required when WEB_LISTEN is set (at least %d random characters, e.g. from `openssl rand -hex 32`)", minWebSecret)
	}
	switch v := strings.ToLower(get("WEB_TRUST_PROXY")); v {
	case "", "false", "0", "no":
	case "true", "1", "yes":
		c.TrustProxy = true
	default:
		bad("WEB_TRUST_PROXY", "want true or false, got %q", v)
	}
	return c
}
