package communitybot

import "time"

// Conversation is what a chat was last about, so that a follow-up such as
// 「那架空线呢？」 or 「什么时候完成」 can be understood. It expires after a
// period of silence (see the bot's conversation TTL).
type Conversation struct {
	Topic     string    // id of the knowledge topic last answered, if any
	Project   string    // id of the project last discussed, if any
	Intent    int       // the question's intent (qa.Intent), so 「那架空线呢」 inherits "status"
	UpdatedAt time.Time // when the conversation last moved
}

// Question is a resident's free-text question as the bot received it.
type Question struct {
	ChatID     int64
	UserID     int64
	Text       string // as typed (bounded in length by the caller)
	Normalized string // the matcher's normal form, used to group repeats
	At         time.Time
	Answered   bool
	// OffTopic reports a question outside what the bot covers (午饭吃什么):
	// not answered, but not a gap in the knowledge either, so it is
	// counted on its own and never listed for staff as unanswered.
	OffTopic bool
	// Kind is what a ticket made from the question should be: a question
	// (the zero value) or a complaint or service request.
	Kind TicketKind
}
