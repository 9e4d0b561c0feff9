package communitybot

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Ticket is a resident's question handed to staff because the bot could not
// answer it (the 12345 hotline pattern): it gets a short number the resident
// can quote, is posted to the staff chat, and is closed by a staff answer
// that the bot relays back. The resident may then rate the answer once.
type Ticket struct {
	No         int64 // shown as Q-0042 (TicketNo)
	ChatID     int64 // where the resident asked; the answer is relayed there
	UserID     int64 // the resident: the only one who may see and rate it
	UserName   string
	ChatTitle  string // for a question asked in a group, the group's title
	Question   string
	Normalized string // the matcher's normal form, to spot a repeat
	CreatedAt  time.Time

	Status TicketStatus
	// Where the ticket was posted in the staff chat; 0 while not posted.
	StaffChatID    int64
	StaffMessageID int

	Answer     string
	AnsweredBy string // the staff member's display name
	AnsweredID int64  // the staff member's user id
	AnsweredAt time.Time
	Relayed    bool // the answer reached the resident's chat

	Rating  Rating
	RatedAt time.Time

	Learned string // id of the FAQ entry made from this ticket, if any

	// Kind is a question (the zero value; tickets stored before kinds
	// existed read as questions) or a request: a complaint or a service
	// request that someone has to act on (楼道堆物, 路灯坏了).
	Kind TicketKind
}

// TicketKind is what a ticket asks of staff.
type TicketKind string

// Ticket kinds.
const (
	TicketQuestion TicketKind = ""
	TicketRequest  TicketKind = "request"
)

// Label is the kind as staff read it in the staff chat and in /tickets.
func (k TicketKind) Label() string {
	if k == TicketRequest {
		return "诉求"
	}
	return "提问"
}

// TicketStatus is where a ticket stands.
type TicketStatus string

// Ticket statuses. A ticket is closed by its answer.
const (
	TicketOpen     TicketStatus = "open"
	TicketAnswered TicketStatus = "answered"
)

// Label is the status as residents read it.
func (s TicketStatus) Label() string {
	if s == TicketAnswered {
		return "已答复"
	}
	return "等待工作人员答复"
}

// Rating is a resident's verdict on a staff answer.
type Rating string

// Ratings. The zero value means not rated.
const (
	RatingNone Rating = ""
	RatingGood Rating = "good"
	RatingBad  Rating = "bad"
)

// Label is the rating in Chinese.
func (r Rating) Label() string {
	switch r {
	case RatingGood:
		return "满意"
	case RatingBad:
		return "不满意"
	}
	return "未评价"
}

// MaxStaffAnswerRunes bounds a staff answer so that the relayed message,
// with its header and the question, fits one Telegram message.
const MaxStaffAnswerRunes = 2000

// TicketNo formats a ticket number as residents see it: Q-0042.
func TicketNo(n int64) string { return fmt.Sprintf("Q-%04d", n) }

// ParseTicketNo accepts the ways people write a ticket number: "Q-0042",
// "q42", "Q0042", "＃42", "42", with full-width characters too. The error
// carries a user-safe message.
func ParseTicketNo(s string) (int64, error) {
	t := strings.TrimSpace(strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return r - '０' + '0'
		}
		switch r {
		case 'Ｑ', 'ｑ':
			return 'q'
		case '－', '—', '–':
			return '-'
		case '＃', '#', '【', '】', '[', ']':
			return -1
		}
		return r
	}, s))
	if rest, ok := strings.CutPrefix(strings.ToLower(t), "q"); ok {
		t = strings.TrimPrefix(rest, "-")
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || utf8.RuneCountInString(t) > 12 {
		return 0, Errorf(ErrInvalid, "问题编号的格式应为 Q-0042 这样的形式。")
	}
	return n, nil
}

// LearnedEntry is a FAQ change made by staff from an answered ticket. The
// Q&A uses the content file plus every learned entry, and the export tool
// writes both back as one content file.
type LearnedEntry struct {
	ID     string // unique, also the topic id of a new topic
	Kind   LearnKind
	Target string // for LearnQuestion: the topic or project id it extends
	// Question is the resident's question, added as an example phrasing.
	Question string
	// Title makes the new topic (LearnTopic only). Answer is the staff
	// answer the bot gives from then on (both kinds; a LearnQuestion
	// stored before answers were kept has none and only adds a phrasing),
	// attributed with AnsweredAt's date.
	Title      string
	Answer     string
	AnsweredAt time.Time
	Ticket     int64
	By         string
	ByID       int64
	At         time.Time
}

// LearnKind is what a learned entry does to the knowledge base.
type LearnKind string

// Learned entry kinds.
const (
	LearnQuestion LearnKind = "question" // an alternate question of an existing topic or project
	LearnTopic    LearnKind = "topic"    // a new FAQ topic
)
