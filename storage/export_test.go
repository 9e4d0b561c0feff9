package storage

// Bounds of the unanswered-question counts, for tests that fill them.
const (
	MaxUnansweredTop   = maxUnansweredTop
	UnansweredTopSlack = unansweredTopSlack
)
