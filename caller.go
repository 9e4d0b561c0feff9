package communitybot

// Actor is the person behind a request, as every channel can tell it:
// who they are, a display name for history entries and the audit log,
// and their role as the channel's edge looked it up (empty when it did
// not: a feature that needs the role looks it up itself).
type Actor struct {
	UserID int64
	Name   string
	Role   Role
}

// Audit returns the audit entry of an action of a: action is the
// command's name (the /audit view shows it in Chinese), target what it
// acted on, detail a human-readable summary.
func (a Actor) Audit(action, target, detail string) AuditEntry {
	return AuditEntry{UserID: a.UserID, Name: a.Name, Role: a.Role, Action: action, Target: target, Detail: detail}
}

// ChatKind is what kind of conversation a request comes from.
type ChatKind string

// Chat kinds. A web visitor's conversation is private: only they read it.
const (
	ChatPrivate ChatKind = "private" // one person and the bot
	ChatGroup   ChatKind = "group"   // a group or supergroup: everyone there reads the replies
	ChatChannel ChatKind = "channel" // a broadcast channel
)

// Caller is who sent a command and where: the plain input every feature
// takes instead of a channel's request type. ChatID is the conversation a
// reply goes to; a web visitor's chat and user ids are the same WebID.
type Caller struct {
	Actor
	ChatID int64
	Chat   ChatKind
}

// Private reports whether only the caller reads the replies (secrets such
// as invite codes may be shown).
func (c Caller) Private() bool { return c.Chat == ChatPrivate }

// Group reports whether the conversation is a group chat.
func (c Caller) Group() bool { return c.Chat == ChatGroup }
