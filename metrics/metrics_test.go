package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot/metrics"
	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestHealthAndReadiness(t *testing.T) {
	live := storagetest.New(t)
	// A store pointed at a port nobody listens on: Redis unreachable.
	rdb, err := storage.NewClient("redis://127.0.0.1:1/0?dial_timeout=200ms")
	if err != nil {
		t.Fatal(err)
	}
	dead := storage.NewFromClient(rdb, storage.Options{})
	defer dead.Close()

	m := metrics.New(nil)
	up := httptest.NewServer(m.Handler(live.Ping))
	defer up.Close()
	down := httptest.NewServer(m.Handler(dead.Ping))
	defer down.Close()

	if code, body := get(t, up.URL+"/healthz"); code != 200 || !strings.Contains(body, "ok") {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, _ := get(t, up.URL+"/readyz"); code != 200 {
		t.Errorf("/readyz with redis up = %d", code)
	}
	if code, body := get(t, down.URL+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "redis") {
		t.Errorf("/readyz with redis down = %d %q", code, body)
	}
	// The process is still alive, and the failure shows as a fault.
	if code, _ := get(t, down.URL+"/healthz"); code != 200 {
		t.Errorf("/healthz with redis down = %d", code)
	}
	if _, page := get(t, up.URL+"/metrics"); !strings.Contains(page, `communitybot_faults_total{source="redis"} 1`) {
		t.Errorf("readiness failure not counted:\n%s", grep(page, "faults"))
	}
}

func TestQueueDepthAndCounters(t *testing.T) {
	m := metrics.New(nil)
	m.AddQueue("inbox", func(context.Context) (int64, error) { return 7, nil })
	m.AddQueue("broken", func(context.Context) (int64, error) { return 0, errors.New("redis down") })
	m.ObserveUpdate("text", "ok", 30*time.Millisecond)
	m.ObserveUpdate("command:stats", "error", time.Second)
	m.ObserveQuestion("answered")
	m.ObserveTelegramCall("sendMessage", "retried")
	m.ObserveTelegramCall("sendMessage", "forbidden")
	m.ObserveTicket("created")
	srv := httptest.NewServer(m.Handler(func(context.Context) error { return nil }))
	defer srv.Close()
	// The broken queue's fault is counted while a scrape reads the queues;
	// collectors run concurrently, so it shows from the next scrape on.
	get(t, srv.URL+"/metrics")
	_, page := get(t, srv.URL+"/metrics")
	for _, want := range []string{
		`communitybot_queue_depth{queue="inbox"} 7`,
		`communitybot_updates_handled_total{kind="text",outcome="ok"} 1`,
		`communitybot_handler_duration_seconds_count{kind="command:stats"} 1`,
		`communitybot_questions_total{result="answered"} 1`,
		`communitybot_questions_total{result="fallback"} 0`,
		`communitybot_questions_total{result="off_topic"} 0`,
		`communitybot_telegram_calls_total{method="sendMessage",outcome="retried"} 1`,
		`communitybot_faults_total{source="telegram"} 1`, // forbidden is the chat's doing, not a fault
		`communitybot_faults_total{source="handler"} 1`,
		`communitybot_tickets_total{event="created"} 1`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// One count per scrape; the second scrape's may not be in yet.
	if !strings.Contains(page, `communitybot_faults_total{source="redis"} 1`) && !strings.Contains(page, `communitybot_faults_total{source="redis"} 2`) {
		t.Errorf("/metrics does not count the broken queue as a redis fault:\n%s", grep(page, "faults_total"))
	}
	if strings.Contains(page, `queue="broken"`) {
		t.Error("a queue whose depth could not be read was reported")
	}
}

func TestListenAndShutdown(t *testing.T) {
	m := metrics.New(nil)
	srv, err := metrics.Listen("127.0.0.1:0", m.Handler(func(context.Context) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	if code, _ := get(t, "http://"+srv.Addr()+"/healthz"); code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	if _, err := metrics.Listen(srv.Addr(), nil); err == nil {
		t.Error("a taken port did not fail Listen")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve after Shutdown = %v", err)
	}
}

func grep(page, word string) string {
	var out []string
	for _, l := range strings.Split(page, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
