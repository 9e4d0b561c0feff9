package intake

import "sync"

// scheduler keeps one queue per chat with updates waiting and runs each
// queue in a goroutine of its own, one update at a time, so a chat's
// updates are handled in order while chats never wait for each other. At
// most max goroutines run; a chat beyond that waits in line for the next
// free one (in memory, costing no goroutine).
type scheduler struct {
	max  int
	work func(it *item) <-chan struct{} // handles it; the channel closes when it is acknowledged

	mu      sync.Mutex
	queues  map[int64]*chatQueue // chats with updates queued or in hand
	waiting []*chatQueue         // chats with updates and no goroutine yet
	running int
}

type chatQueue struct {
	chat    int64
	items   []*item
	started bool // has a goroutine
	// acked closes when the chat's last handled update was acknowledged
	// with its deferred writes: its next update must see them (a
	// follow-up question reads the conversation the previous one saved).
	acked <-chan struct{}
}

func newScheduler(max int, work func(it *item) <-chan struct{}) *scheduler {
	return &scheduler{max: max, work: work, queues: map[int64]*chatQueue{}}
}

// push queues it behind the chat's earlier updates.
func (s *scheduler) push(chat int64, it *item) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if q := s.queues[chat]; q != nil {
		q.items = append(q.items, it)
		return
	}
	q := &chatQueue{chat: chat, items: []*item{it}}
	s.queues[chat] = q
	if s.running < s.max {
		s.running++
		q.started = true
		go s.loop(q)
		return
	}
	s.waiting = append(s.waiting, q)
}

// ownQueue is how many updates queued behind a chat's update in hand
// count as the chat's fair share of the backlog (see heldByChats).
const ownQueue = 3

// heldByChats returns how many updates wait for their own chat rather than
// for room: those queued behind a started chat's update in hand beyond its
// first ownQueue.
func (s *scheduler) heldByChats() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, q := range s.queues {
		if q.started {
			n += max(len(q.items)-ownQueue, 0)
		}
	}
	return n
}

// active returns how many chats have updates queued or in hand.
func (s *scheduler) active() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queues)
}

// loop handles q's updates in order, then those of chats waiting in line,
// until there is nothing left for it to do.
func (s *scheduler) loop(q *chatQueue) {
	for {
		s.mu.Lock()
		acked := q.acked
		q.acked = nil
		if len(q.items) == 0 {
			if acked != nil {
				// Stay until the last acknowledgement is written, so that
				// an update arriving meanwhile still waits for it.
				s.mu.Unlock()
				<-acked
				continue
			}
			delete(s.queues, q.chat)
			if len(s.waiting) == 0 {
				s.running--
				s.mu.Unlock()
				return
			}
			q = s.waiting[0]
			s.waiting[0] = nil
			s.waiting = s.waiting[1:]
			q.started = true
			s.mu.Unlock()
			continue
		}
		it := q.items[0]
		q.items[0] = nil
		q.items = q.items[1:]
		s.mu.Unlock()
		if acked != nil {
			<-acked
		}
		done := s.work(it)
		s.mu.Lock()
		q.acked = done
		s.mu.Unlock()
	}
}
