package main

import (
	"net/http"
	"net/http/pprof"
	"strings"
)

// pprofEnvVars documents the profiling switch.
var pprofEnvVars = []envVar{
	{"PPROF", "off", "on serves Go's profiler (net/http/pprof, /debug/pprof/) on HTTP_ADDR, for benchmarks. Keep it off in production: profiles show the program's internals to whoever reaches the port."},
	{"GOGC", "70", "Go's garbage-collector target (read by the Go runtime; the program sets 70 when it is unset, which keeps RSS under 50 MB at ACTIVE_CHATS=200). GOMEMLIMIT works as usual."},
}

func init() { EnvVars = append(EnvVars, pprofEnvVars...) }

// parsePprof reads PPROF; bad reports a bad value.
func parsePprof(get func(string) string, bad func(name, format string, args ...any)) bool {
	switch v := strings.ToLower(get("PPROF")); v {
	case "", "off", "0", "false":
		return false
	case "on", "1", "true":
		return true
	default:
		bad("PPROF", "want on or off, got %q", v)
		return false
	}
}

// withPprof serves the profiler under /debug/pprof/ beside h.
func withPprof(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/", h)
	return mux
}
