package web_test

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot/web"
)

// BenchmarkWebQuestions measures the web path end to end: HTTP POST, the
// durable store with its once-per-client-id mark and flood counters, the
// per-visitor lock, the assistant's answer and the completion script, and
// the response with the new messages, on the real Redis. 16 visitors ask
// at once, each waiting for its answer before the next question, as a
// person would. It reports questions per second and latency percentiles.
//
//	go test -run XXX -bench WebQuestions -benchtime 4000x ./web/
func BenchmarkWebQuestions(b *testing.B) {
	h := newHarness(b, web.Config{TextsPerMinute: 1 << 30, PerAddressPerMinute: 1 << 30})
	questions := []string{"五个张庙是什么？", "电梯加装进展怎么样", "那架空线呢？", "什么时候完成", "比学赶超的目标是什么", "四个定位", "养老服务有哪些", "今天天气怎么样"}
	const visitors = 16
	clients := make([]*http.Client, visitors)
	for i := range clients {
		clients[i] = h.newClient()
		h.history(clients[i])
	}
	var mu sync.Mutex
	lat := make([]time.Duration, 0, b.N)
	work := make(chan int, b.N)
	for i := range b.N {
		work <- i
	}
	close(work)
	b.ResetTimer()
	trips := h.store.RoundTrips()
	start := time.Now()
	var wg sync.WaitGroup
	for v := range visitors {
		wg.Go(func() {
			var after int64 // as the page does: only what it has not shown yet
			for i := range work {
				t0 := time.Now()
				r := h.do(clients[v], "POST", "/api/messages", map[string]any{"id": newID(), "text": questions[i%len(questions)], "after": after})
				d := time.Since(t0)
				if r.Status != 200 {
					b.Errorf("question %d = %d %s", i, r.Status, r.Error)
					return
				}
				for _, m := range r.Messages {
					after = max(after, m.Seq)
				}
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "questions/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(h.store.RoundTrips()-trips)/float64(len(lat)), "redis-trips/question")
	b.Log(fmt.Sprintf("%d questions by %d visitors in %s", len(lat), visitors, elapsed.Round(time.Millisecond)))
}
