package tgtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Fault is a kind of failure SetFaults can inject.
type Fault int

// Fault kinds. None of them performs the request's action, so a client that
// retries after any of them neither loses nor duplicates anything.
const (
	// Fault429 answers 429 "Too Many Requests: retry after N" with
	// parameters.retry_after = Faults.RetryAfter.
	Fault429 Fault = iota + 1
	// Fault500 answers 500 "Internal Server Error".
	Fault500
	// FaultTimeout holds the request until the client gives up (its context
	// ends), the server closes, or Faults.TimeoutDelay passes, and then
	// drops the connection without an answer.
	FaultTimeout
	// FaultBadGateway answers 502 with an HTML body, as Telegram's front
	// end does when the Bot API server behind it is unreachable; a client
	// that only expects JSON gets a decode error.
	FaultBadGateway
)

// String returns the fault's name.
func (f Fault) String() string {
	switch f {
	case Fault429:
		return "429"
	case Fault500:
		return "500"
	case FaultTimeout:
		return "timeout"
	case FaultBadGateway:
		return "502"
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

// Faults configures fault injection. The zero value injects nothing.
type Faults struct {
	// Rate is the probability, 0 to 1, that a request fails.
	Rate float64
	// Kinds are the faults to choose from, uniformly; empty means Fault500.
	Kinds []Fault
	// RetryAfter is the retry_after of Fault429, in seconds; 0 means 1.
	RetryAfter int
	// Methods limits faults to these methods (case-insensitive), e.g.
	// []string{"sendMessage"} to leave getUpdates alone; empty means all.
	Methods []string
	// Seed seeds the random source, so that a run is repeatable: the n-th
	// eligible request gets the same decision every time.
	Seed uint64
	// TimeoutDelay bounds how long FaultTimeout holds a request; 0 means
	// until the client gives up or the server closes.
	TimeoutDelay time.Duration
	// Chats limits faults to requests whose chat_id is one of these (one
	// slow chat among many); empty means every request.
	Chats []int64
}

// SetFaults replaces the fault injection settings and restarts the random
// source from f.Seed. SetFaults(Faults{}) turns faults off.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
	s.faults.Kinds = append([]Fault(nil), f.Kinds...)
	s.faults.Chats = append([]int64(nil), f.Chats...)
	s.faultRNG = rand.New(rand.NewPCG(f.Seed, f.Seed^0x9E3779B97F4A7C15))
	s.faultMethods = nil
	if len(f.Methods) > 0 {
		s.faultMethods = map[string]bool{}
		for _, m := range f.Methods {
			s.faultMethods[canonicalMethod(m)] = true
		}
	}
}

// FaultsInjected returns how many faults have been injected so far.
func (s *Server) FaultsInjected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faultsInjected
}

// faultChat reports whether a request with params p is one of chats (any
// request when chats is empty).
func faultChat(chats []int64, p params) bool {
	if len(chats) == 0 {
		return true
	}
	id, ok, err := p.int64("chat_id")
	return ok && err == nil && slices.Contains(chats, id)
}

// injectFault decides whether this call of method fails and, if so, plays
// the fault. It returns nil to let the call proceed.
func (s *Server) injectFault(ctx context.Context, method string, p params) *apiError {
	s.mu.Lock()
	f := s.faults
	if f.Rate <= 0 || s.faultRNG == nil || (s.faultMethods != nil && !s.faultMethods[method]) || !faultChat(f.Chats, p) {
		s.mu.Unlock()
		return nil
	}
	if s.faultRNG.Float64() >= f.Rate {
		s.mu.Unlock()
		return nil
	}
	kind := Fault500
	if len(f.Kinds) > 0 {
		kind = f.Kinds[s.faultRNG.IntN(len(f.Kinds))]
	}
	s.faultsInjected++
	s.mu.Unlock()

	switch kind {
	case Fault429:
		ra := f.RetryAfter
		if ra <= 0 {
			ra = 1
		}
		return tooManyRequests(ra)
	case FaultTimeout:
		var delay <-chan time.Time
		if f.TimeoutDelay > 0 {
			t := time.NewTimer(f.TimeoutDelay)
			defer t.Stop()
			delay = t.C
		}
		select {
		case <-ctx.Done():
		case <-s.done:
		case <-delay:
		}
		return errAbort
	case FaultBadGateway:
		return errBadGateway
	default:
		return errInternal
	}
}

// errBadGateway is written as HTML by serveHTTP.
var errBadGateway = &apiError{Code: http.StatusBadGateway, Description: "Bad Gateway"}

const badGatewayHTML = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n"

// FloodLimits are the sending limits Telegram enforces with 429 errors.
// A zero field disables that limit.
type FloodLimits struct {
	PerChatPerSecond  int // messages to one chat per second
	PerGroupPerMinute int // messages to one group or supergroup per minute
	GlobalPerSecond   int // messages to all chats per second
}

// DefaultFloodLimits are the limits in Telegram's bot FAQ: about one
// message per second per chat, 20 per minute per group, 30 per second in
// total.
var DefaultFloodLimits = FloodLimits{PerChatPerSecond: 1, PerGroupPerMinute: 20, GlobalPerSecond: 30}

// WithFloodLimits turns on flood control for sendMessage: a send that would
// exceed a limit fails with 429 and a retry_after of the seconds until it
// would succeed, and is not performed. Off by default.
func WithFloodLimits(l FloodLimits) Option {
	return func(s *Server) { s.flood = &l }
}

// SetFloodLimits turns flood control on (or off, with nil) while the
// server runs, as WithFloodLimits does at start.
func (s *Server) SetFloodLimits(l *FloodLimits) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l == nil {
		s.flood = nil
		return
	}
	c := *l
	s.flood = &c
}

// floodLog remembers recent send times.
type floodLog struct {
	global  []time.Time
	perChat map[int64][]time.Time
}

// windowWait returns how long until a new event fits in a window of d that
// already holds times, given the limit, or 0 if it fits now.
func windowWait(times []time.Time, now time.Time, limit int, d time.Duration) time.Duration {
	if limit <= 0 {
		return 0
	}
	n := 0
	for _, t := range times {
		if now.Sub(t) < d {
			n++
		}
	}
	if n < limit {
		return 0
	}
	// The (n-limit)-th recent event must leave the window first.
	var recent []time.Time
	for _, t := range times {
		if now.Sub(t) < d {
			recent = append(recent, t)
		}
	}
	return recent[n-limit].Add(d).Sub(now)
}

// floodCheckLocked returns a 429 if sending to c now would break a limit.
func (s *Server) floodCheckLocked(c *chatState) *apiError {
	if s.flood == nil {
		return nil
	}
	now := s.now()
	l := s.flood
	hist := s.floodLog.perChat[c.chat.ID]
	wait := windowWait(hist, now, l.PerChatPerSecond, time.Second)
	if c.chat.Type != ChatPrivate {
		wait = max(wait, windowWait(hist, now, l.PerGroupPerMinute, time.Minute))
	}
	wait = max(wait, windowWait(s.floodLog.global, now, l.GlobalPerSecond, time.Second))
	if wait <= 0 {
		return nil
	}
	secs := int((wait + time.Second - 1) / time.Second)
	return tooManyRequests(max(secs, 1))
}

// floodRecordLocked records a send to c and forgets sends older than any
// window.
func (s *Server) floodRecordLocked(c *chatState) {
	if s.flood == nil {
		return
	}
	now := s.now()
	if s.floodLog.perChat == nil {
		s.floodLog.perChat = map[int64][]time.Time{}
	}
	prune := func(ts []time.Time, d time.Duration) []time.Time {
		i := 0
		for i < len(ts) && now.Sub(ts[i]) >= d {
			i++
		}
		return ts[i:]
	}
	s.floodLog.perChat[c.chat.ID] = append(prune(s.floodLog.perChat[c.chat.ID], time.Minute), now)
	s.floodLog.global = append(prune(s.floodLog.global, time.Second), now)
}

// isHTMLError reports whether e is answered with HTML rather than JSON.
func isHTMLError(e *apiError) bool { return e == errBadGateway }

// writeHTMLError writes an nginx-style HTML error page.
func writeHTMLError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(e.Code)
	_, _ = w.Write([]byte(strings.ReplaceAll(badGatewayHTML, "\r\n", "\n")))
}
