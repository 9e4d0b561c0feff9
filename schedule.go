package communitybot

import "time"

// ScheduledJob is a message sent on a schedule: once at At, or on every
// fire of a cron Spec. Admins create them with /schedule; built-in jobs
// (the daily study prompt) are registered by code and carry no Text.
// Every definition lives in Redis, so a restart reloads it.
type ScheduledJob struct {
	ID   string
	Spec string    // 5-field cron spec in the configured time zone; empty for a one-off
	At   time.Time // a one-off's time; zero for a recurring job
	// The message and its audience (admin jobs).
	Text      string // plain text as the admin typed it (escaped when rendered)
	Topic     Topic
	Kind      string // the broadcast kind, e.g. "reminder"
	CreatedBy int64
	ReportTo  int64 // chat told the progress and outcome of each fire
	CreatedAt time.Time
	BuiltIn   bool // registered by code; cannot be cancelled with /cancel

	// Filled when listed.
	Next     time.Time // next fire; zero if none
	Every    string    // a recurring job's schedule in Chinese (每周一 09:00), for confirmations and /jobs
	LastFire time.Time // last completed fire; zero if none
}

// Recurring reports whether the job fires on a cron schedule.
func (j ScheduledJob) Recurring() bool { return j.Spec != "" }
