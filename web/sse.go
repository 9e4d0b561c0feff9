package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// hub wakes the event streams of a visitor when a message is added to the
// visitor's conversation (on any replica: storage publishes, Run listens).
type hub struct {
	mu      sync.Mutex
	streams map[int64]map[chan struct{}]struct{}
	total   int
}

func newHub() *hub { return &hub{streams: map[int64]map[chan struct{}]struct{}{}} }

// subscribe registers a stream of visitor v, unless the server's or the
// visitor's bound is reached.
func (h *hub) subscribe(v int64, maxTotal, maxPerVisitor int) (chan struct{}, func(), bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.total >= maxTotal || len(h.streams[v]) >= maxPerVisitor {
		return nil, nil, false
	}
	ch := make(chan struct{}, 1)
	if h.streams[v] == nil {
		h.streams[v] = map[chan struct{}]struct{}{}
	}
	h.streams[v][ch] = struct{}{}
	h.total++
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.streams[v], ch)
		if len(h.streams[v]) == 0 {
			delete(h.streams, v)
		}
		h.total--
	}, true
}

func (h *hub) wake(v int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.streams[v] {
		select {
		case ch <- struct{}{}:
		default: // already woken
		}
	}
}

func (h *hub) wakeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, set := range h.streams {
		for ch := range set {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}
}

// streamCheck is how often a stream looks for new messages without being
// woken (a notification lost while Redis reconnected) and keeps proxies
// from closing an idle connection.
const streamCheck = 20 * time.Second

// events streams the visitor's new messages as Server-Sent Events: one
// "message" event per message, its id the message's seq, so a browser
// that reconnects (Last-Event-ID) gets what it missed and nothing twice.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	v := s.visitor(r)
	if v == 0 {
		writeError(w, http.StatusUnauthorized, errExpired)
		return
	}
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	if id, err := strconv.ParseInt(r.Header.Get("Last-Event-ID"), 10, 64); err == nil && id > after {
		after = id
	}
	wake, cancel, ok := s.hub.subscribe(v, s.cfg.MaxStreams, s.cfg.MaxStreamsPerVisitor)
	if !ok {
		writeError(w, http.StatusTooManyRequests, "打开的页面太多了，请关闭多余的页面后刷新。")
		return
	}
	defer cancel()
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives the server's write timeout
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	// Tell the browser how long to wait before reconnecting.
	fmt.Fprint(w, "retry: 3000\n\n")
	if err := rc.Flush(); err != nil {
		return
	}
	ctx := r.Context()
	tick := time.NewTicker(streamCheck)
	defer tick.Stop()
	for {
		recs, err := s.store.WebMessagesAfter(ctx, v, after, historyShown)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("web: stream cannot read messages", "visitor", v, "err", err)
		}
		for _, m := range s.views(recs) {
			data, _ := json.Marshal(m)
			fmt.Fprintf(w, "id: %d\nevent: message\ndata: %s\n\n", m.Seq, data)
			after = m.Seq
		}
		if len(recs) == 0 {
			fmt.Fprint(w, ": ping\n\n")
		}
		if err := rc.Flush(); err != nil {
			return
		}
		if len(recs) == historyShown {
			continue // more to send at once
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-tick.C:
		}
	}
}
