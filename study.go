package communitybot

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// StudyItem is one entry of the party-study bank (每日学习): a short text to
// read and at least one multiple-choice question about it. Items come from
// the content file or are added by admins; a member gets one item a day.
type StudyItem struct {
	ID        string // lower-case slug, stable: it is kept in members' seen-sets and callback data
	Title     string
	Text      string // plain text; renderers escape it
	Questions []StudyQuestion
}

// StudyQuestion is a multiple-choice question of a study item.
type StudyQuestion struct {
	Prompt      string
	Options     []string
	Answer      int // index into Options of the correct option
	Explanation string
}

// Correct reports whether option i is the right answer.
func (q StudyQuestion) Correct(i int) bool { return i == q.Answer }

// StudyStats is a member's study record.
type StudyStats struct {
	Points     int64 // all-time points
	WeekPoints int64 // points of the current week (Monday to Sunday)
	Answered   int64 // days with a scored answer
	Correct    int64 // of those, days answered correctly
	Streak     int64 // consecutive days with a scored answer, ending today or yesterday
	BestStreak int64
	LastDay    string // the last day with a scored answer, 20260131; "" for never
}

// Accuracy is the share of correct answers in percent, 0 when nothing was
// answered.
func (s StudyStats) Accuracy() int {
	if s.Answered == 0 {
		return 0
	}
	return int((s.Correct*100 + s.Answered/2) / s.Answered)
}

// Standing is one line of a leaderboard: a member (ID is the user id in
// decimal) or a branch (ID is the branch name).
type Standing struct {
	ID     string
	Points int64
	Place  int // 1-based; equal points share a place
}

// StudyEvent is a member reading or answering the day's study item, as
// storage records it.
type StudyEvent struct {
	UserID  int64
	Branch  string // "" for none: no branch board is touched
	Day     string // the day in the bot's time zone, 20260131
	PrevDay string // the day before, for the streak
	Week    string // the Monday of Day's week
	Option  int    // the option chosen (answers only)
	Correct bool   // answers only

	ReadPoints    int64 // for the first read (or answer) of the day
	CorrectPoints int64 // for a correct answer
}

// StudyResult is what recording an event did.
type StudyResult struct {
	Scored bool  // false: an answer was recorded already today (nothing changed)
	Points int64 // points awarded now
	Streak int64 // the streak after this event
	// PrevOption is the option of the answer already recorded today, when
	// Scored is false.
	PrevOption int
}

// StudyDay counts one day's participation, for staff figures.
type StudyDay struct {
	Read     int64 // members who opened the day's item
	Answered int64 // members who answered (scored)
	Correct  int64
}

// User is what the bot knows of a Telegram user from their own messages,
// for showing names and resolving @username.
type User struct {
	ID        int64
	Username  string // without @, may be empty
	FirstName string
}

// DisplayName is how the user is shown in leaderboards: the first name,
// else @username, else a neutral label with the last digits of the id.
// The caller escapes it.
func (u User) DisplayName() string {
	if n := strings.TrimSpace(u.FirstName); n != "" {
		return n
	}
	if u.Username != "" {
		return "@" + u.Username
	}
	id := u.ID % 10000
	if id < 0 {
		id = -id
	}
	return fmt.Sprintf("用户%04d", id)
}

// Invite is a one-time invite code an admin hands to a party member: the
// member sends /join <code> and becomes a member of Branch.
type Invite struct {
	Code      string // normalised: upper-case, no separators
	Branch    string
	CreatedBy int64
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedBy    int64 // 0 while unused
	UsedAt    time.Time
}

// MaxBranchRunes bounds a branch name (党支部 or 居民区 name) so that it
// fits in leaderboards and stays a name, not a message.
const MaxBranchRunes = 30

// ParseBranch checks and normalises a branch name: surrounding space is
// removed and inner runs of space become one space. It returns an
// ErrInvalid error with a user-safe message when the name is empty, too
// long or contains control characters.
func ParseBranch(s string) (string, error) {
	s = strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
	switch n := utf8.RuneCountInString(s); {
	case n == 0:
		return "", Errorf(ErrInvalid, "请写上支部名称（党支部或居民区名称），例如：第一党支部。")
	case n > MaxBranchRunes:
		return "", Errorf(ErrInvalid, "支部名称太长了（%d 字），请控制在 %d 字以内。", n, MaxBranchRunes)
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == utf8.RuneError || strings.ContainsRune("<>@/\\", r) {
			return "", Errorf(ErrInvalid, "支部名称里不能有特殊符号，请只写党支部或居民区的名称。")
		}
	}
	return s, nil
}
