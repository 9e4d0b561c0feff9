package storage

import (
	"context"
	_ "embed"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

//go:embed lua/gate_admit.lua
var gateAdmitLua string

var gateAdmit = redis.NewScript(gateAdmitLua)

// SpacingMargin widens the gap between two messages beyond what a limit
// strictly allows (1/30 s for 30 a second) by this fraction. Telegram
// counts messages as they arrive, and a send leaves a little earlier or
// later than its slot (scheduling, the network): without a margin two
// sends 30 slots apart could arrive within one second. 3% absorbs 30 ms
// of such jitter (a busy 2-core machine sees that much) and keeps 97% of
// the ceiling.
const SpacingMargin = 0.03

// SendGateConfig sets the limits of a SendGate.
type SendGateConfig struct {
	// Rate is the messages per second all replicas together may send
	// (Telegram: about 30); 0 means no global limit (pauses still hold).
	Rate int
	// PerChat and PerGroup bound broadcast messages to one chat and to
	// one group (Telegram: about 1 a second, 20 a minute). Replies do not
	// take them: a resident's answer never waits for its own chat's limit
	// (a 429 then pauses just that chat).
	PerChat, PerGroup RateLimit
}

// SendGate is the limiter every outgoing message passes, shared by all
// replicas (outbound.Gate): one global schedule that replies reserve ahead
// of broadcasts, per-chat and per-group limits for broadcasts, and the
// pauses a 429 sets, global or for one chat. Every check is one Lua call.
type SendGate struct {
	s                    *Store
	global, chat, groupI int64 // intervals in microseconds; 0: none
}

// SendGate returns the store's send gate with limits cfg.
func (s *Store) SendGate(cfg SendGateConfig) *SendGate {
	return &SendGate{s: s, global: interval(RateLimit{Rate: cfg.Rate, Period: time.Second}),
		chat: interval(cfg.PerChat), groupI: interval(cfg.PerGroup)}
}

func interval(l RateLimit) int64 {
	if l.Rate <= 0 || l.Period <= 0 {
		return 0
	}
	return int64(float64(l.Period.Microseconds()) / float64(l.Rate) * (1 + SpacingMargin))
}

func (g *SendGate) chatKey(kind string, chat int64) string {
	return g.s.bcKey("gate", kind, strconv.FormatInt(chat, 10))
}

// Admit follows outbound.Gate: a reply reserves the next free slot (ok,
// and the wait until it); a broadcast takes a slot only when replies leave
// room and the chat's limits allow (ok and the wait), else !ok and how long
// to wait before asking again; during a pause !ok and its rest.
func (g *SendGate) Admit(ctx context.Context, chat int64, broadcast bool) (bool, time.Duration, error) {
	b, groupI := "0", int64(0)
	if broadcast {
		b = "1"
		if chat < 0 {
			groupI = g.groupI
		}
	}
	keys := []string{g.s.pauseKey(), g.chatKey("pause", chat), g.s.bcKey("gate", "next"), g.chatKey("chat", chat), g.chatKey("group", chat)}
	res, err := values(2)(g.s.script(ctx, gateAdmit, keys, b, g.global, g.chat, groupI).Slice())
	if err != nil {
		return false, 0, fmt.Errorf("send gate: %w", err)
	}
	ok, _ := res[0].(int64)
	us, _ := res[1].(int64)
	return ok == 1, time.Duration(us) * time.Microsecond, nil
}

// Pause makes every message to chat wait d, or every message of every
// replica when chat is 0 (the delivery workers read the same pause).
func (g *SendGate) Pause(ctx context.Context, chat int64, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	key := g.s.pauseKey()
	if chat != 0 {
		key = g.chatKey("pause", chat)
	}
	if err := g.s.runScript(ctx, extendPause, []string{key}, d.Milliseconds()).Err(); err != nil {
		return fmt.Errorf("send gate: pause: %w", err)
	}
	return nil
}
