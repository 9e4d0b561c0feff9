package storage

import "time"

// RateLimit allows Rate events per Period, evenly spaced: with no burst,
// 30 per second means one every 33 ms (the SendGate widens the gap by
// SpacingMargin), so no sliding one-second window (Telegram's) ever holds
// more than 30.
type RateLimit struct {
	Rate   int
	Period time.Duration
}
