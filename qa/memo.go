package qa

import "sync"

// memo remembers recent Match results. An Engine never changes after New,
// so a result depends only on the question and the Context, and a new
// knowledge base (a new Engine) starts with an empty memo. Residents ask
// the same things in the same words more often than not: the follow-up
// chips and the web page's suggestions send fixed texts, and FAQ-style
// questions repeat; a hit costs a map lookup instead of the fold, the
// scoring and the passage search (tens of microseconds).
//
// It keeps two generations of at most memoGeneration entries each: when
// the current one fills, it becomes the previous one and the older is
// dropped, and a hit in the previous generation is copied forward. That
// keeps what is asked often for the price of two maps, with no per-entry
// bookkeeping.
type memo struct {
	mu        sync.Mutex
	cur, prev map[memoKey]Result
}

type memoKey struct {
	question string
	c        Context
}

const (
	memoGeneration = 1024
	// memoMaxBytes (64 Chinese characters): longer questions are rarely
	// asked twice word for word, and they would make the memo's memory a
	// multiple of its size.
	memoMaxBytes = 192
)

func (m *memo) get(question string, c Context) (Result, bool) {
	if len(question) > memoMaxBytes {
		return Result{}, false
	}
	k := memoKey{question, c}
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.cur[k]; ok {
		return r, true
	}
	r, ok := m.prev[k]
	if ok {
		m.putLocked(k, r)
	}
	return r, ok
}

func (m *memo) put(question string, c Context, r Result) {
	if len(question) > memoMaxBytes {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.putLocked(memoKey{question, c}, r)
}

func (m *memo) putLocked(k memoKey, r Result) {
	if m.cur == nil || len(m.cur) >= memoGeneration {
		m.prev, m.cur = m.cur, make(map[memoKey]Result, memoGeneration)
	}
	m.cur[k] = r
}
