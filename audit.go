package communitybot

import "time"

// AuditEntry is one admin action, kept so staff can see who changed what.
type AuditEntry struct {
	At     time.Time
	UserID int64
	Name   string // the actor's display name at the time
	// Role is the actor's role when they acted: an admin for an admin
	// action, a resident or member for a denied attempt; empty in entries
	// written before roles were recorded.
	Role   Role
	Action string // the command, e.g. "setstatus", or AuditDenied
	Target string // what it was aimed at: a project id, a ticket number…
	Detail string // a short summary of the change
}

// AuditDenied is the action of an entry recording an admin command refused
// for lack of the admin role. Such entries are kept apart from the admin
// actions, so that no number of refused attempts can push a real admin
// action out of the audit log.
const AuditDenied = "denied"
