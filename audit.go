package communitybot

import "time"

// AuditEntry is one admin action, kept so staff can see who changed what.
type AuditEntry struct {
	At     time.Time
	UserID int64
	Name   string // the actor's display name at the time
	Action string // the command, e.g. "setstatus", or "denied"
	Target string // what it was aimed at: a project id, a ticket number…
	Detail string // a short summary of the change
}
