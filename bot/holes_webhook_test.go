package bot_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/zhangmiao/communitybot/bot"
	"github.com/zhangmiao/communitybot/metrics"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

// lockedBuffer collects log output written from many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestUnauthenticatedWebhookFlood: 1,000 requests without the secret are
// each refused with 401 and each counted on
// communitybot_faults_total{source="webhook_unauthorized"}, but write only a
// handful of log lines.
func TestUnauthenticatedWebhookFlood(t *testing.T) {
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	store := storagetest.New(t)
	b, err := bot.New(bot.Config{Token: "1:x", APIURL: "http://127.0.0.1:1", Mode: bot.ModeWebhook,
		WebhookURL: "https://example.org/hook", WebhookSecret: "s3cret", Logger: log}, store, bot.NewRouter(store, log))
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New(log)
	b.OnFault(m.Fault)
	h := b.WebhookHandler()
	const n = 1000
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < n; i += 4 {
				req := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(`{"update_id":1}`))
				if i%2 == 0 {
					req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "guess"+strconv.Itoa(i))
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusUnauthorized {
					t.Errorf("request %d: HTTP %d, want 401", i, rec.Code)
				}
			}
		})
	}
	wg.Wait()

	lines := strings.Count(logs.String(), "wrong or missing secret")
	if lines < 1 || lines > 5 {
		t.Errorf("%d requests wrote %d log lines, want a handful (1–5):\n%s", n, lines, logs.String())
	}
	srv := httptest.NewServer(m.Handler(store.Ping))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	got := regexp.MustCompile(`communitybot_faults_total\{source="webhook_unauthorized"\} (\d+)`).FindSubmatch(page)
	if got == nil || string(got[1]) != strconv.Itoa(n) {
		t.Fatalf("webhook_unauthorized = %q, want %d", got, n)
	}
}
