package bot

import (
	"sync"
	"time"
)

// logThrottle lets a repeated log line through at most once per interval
// and counts the ones it held back, so that a flood of the same event (a
// scanner posting to the webhook without the secret) costs a few lines,
// not one per request. The events themselves are counted in full by a
// metric; the line says how many it stood for.
type logThrottle struct {
	every time.Duration
	now   func() time.Time

	mu         sync.Mutex
	next       time.Time // when the next line may be written
	suppressed int64     // events since the last line that wrote none
}

func newLogThrottle(every time.Duration) *logThrottle {
	return &logThrottle{every: every, now: time.Now}
}

// allow reports whether this event may be logged now and, if so, how many
// events were held back since the last line.
func (t *logThrottle) allow() (ok bool, suppressed int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if now.Before(t.next) {
		t.suppressed++
		return false, 0
	}
	t.next = now.Add(t.every)
	suppressed, t.suppressed = t.suppressed, 0
	return true, suppressed
}
