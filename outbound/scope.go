package outbound

import (
	"sync"
	"time"
)

// Which 429 is the bot's rather than one chat's. Telegram's answer does
// not say: it limits each chat (about one message a second, 20 a minute
// in a group) and the bot as a whole (about 30 a second). A 429 on a call
// without a chat can only be the bot's. Otherwise it is taken as the
// chat's own (that chat waits, everyone else goes on), unless the
// evidence of the last second says the bot is over its limit: 429s for at
// least globalChats different chats and at least as many 429s as
// successes. One chat answered 429 again and again never pauses the
// others; Telegram refusing most messages, to many chats, pauses all.

const (
	scopeWindow = time.Second
	globalChats = 3
	scopeCap    = 4096 // events kept at most (very high rates)
)

type scopeEvent struct {
	at        time.Time
	chat      int64
	throttled bool
}

type scopeTracker struct {
	mu     sync.Mutex
	events []scopeEvent
}

func newScopeTracker() *scopeTracker { return &scopeTracker{} }

// record notes a send's result and, for a 429, reports whether it is the
// bot's (global) rather than the chat's.
func (s *scopeTracker) record(chat int64, throttled bool, now time.Time) (global bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := 0
	for i < len(s.events) && now.Sub(s.events[i].at) > scopeWindow {
		i++
	}
	if i > 0 || len(s.events) >= scopeCap {
		i = max(i, len(s.events)-scopeCap+1)
		s.events = append(s.events[:0], s.events[i:]...)
	}
	s.events = append(s.events, scopeEvent{at: now, chat: chat, throttled: throttled})
	if !throttled {
		return false
	}
	if chat == 0 {
		return true
	}
	ok, refused := 0, 0
	chats := map[int64]bool{}
	for _, e := range s.events {
		if e.throttled {
			refused++
			chats[e.chat] = true
		} else {
			ok++
		}
	}
	return len(chats) >= globalChats && refused >= ok
}
