package communitybot

import (
	"strings"
	"time"
)

// Topic is something a chat can subscribe to.
type Topic string

// The fixed topics. Each project also has one (ProjectTopic).
const (
	TopicAnnouncements Topic = "announce" // 公告
	TopicReminders     Topic = "remind"   // 提醒
	TopicStudy         Topic = "study"    // 每日学习, party members only
)

const projectTopicPrefix = "project:"

// ProjectTopic is the topic of a project's updates.
func ProjectTopic(projectID string) Topic { return Topic(projectTopicPrefix + projectID) }

// ProjectID returns the project of a project topic.
func (t Topic) ProjectID() (string, bool) {
	return strings.CutPrefix(string(t), projectTopicPrefix)
}

// Broadcast is one message sent to many chats: an announcement, a
// reminder, a project update, a study prompt. It is stored before any of it
// is sent, and its per-recipient state lets a restarted process finish it
// without sending anything twice.
type Broadcast struct {
	ID   string
	Kind string // "announcement", "reminder", "project-update", "study", …
	// The audience: the subscribers of Topic at the moment the broadcast
	// is created, or an explicit list of chats.
	Topic   Topic
	ChatIDs []int64
	// Reply is the message. It is empty for kinds whose message is made per
	// recipient at delivery time (the study prompt).
	Reply     Reply
	CreatedBy int64 // user id of the admin, 0 for a scheduled job
	CreatedAt time.Time
	// ReportTo is the chat that is told the progress and the outcome; 0 for
	// none.
	ReportTo int64
	// Title is how the admin knows the broadcast, when it has a number of
	// its own elsewhere: a scheduled reminder is 「提醒 #3」 (its /jobs
	// number) in its progress message, its summary and /broadcasts. Empty:
	// the kind and the broadcast's id (「公告 #12」).
	Title string
}

// Label is the broadcast's name in reports and lists: its Title, or its
// kind and id.
func (b Broadcast) Label() string {
	if b.Title != "" {
		return b.Title
	}
	return KindLabel(b.Kind) + " #" + b.ID
}

// FixedTopics are the topics every chat can see in /subscribe, in display
// order. Project topics follow them, one per project.
var FixedTopics = []Topic{TopicAnnouncements, TopicReminders, TopicStudy}

// Label is the topic's Chinese name for fixed topics; a project topic's
// label is the project's name, which only the caller knows, so it returns
// the project id there.
func (t Topic) Label() string {
	switch t {
	case TopicAnnouncements:
		return "公告"
	case TopicReminders:
		return "提醒"
	case TopicStudy:
		return "每日学习"
	}
	if id, ok := t.ProjectID(); ok {
		return id
	}
	return string(t)
}

// MembersOnly reports whether only party members may subscribe to t.
func (t Topic) MembersOnly() bool { return t == TopicStudy }

// ParseFixedTopic accepts the Chinese and English names of a fixed topic
// (公告/announce, 提醒/remind, 每日学习/study and a few everyday variants).
// Project topics are resolved by the caller, who knows the projects.
func ParseFixedTopic(s string) (Topic, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "announce", "announcement", "announcements", "公告", "通知", "公告通知", "街道公告":
		return TopicAnnouncements, true
	case "remind", "reminder", "reminders", "提醒", "活动提醒":
		return TopicReminders, true
	case "study", "每日学习", "学习", "每日一学":
		return TopicStudy, true
	}
	return "", false
}

// BroadcastStatus is a broadcast with its delivery so far, for the admin's
// progress report and /broadcasts.
type BroadcastStatus struct {
	Broadcast
	Total      int       // recipients in the audience snapshot
	Delivered  int       // Telegram accepted the message (a migrated group counts here too)
	Blocked    int       // 403: the chat blocked or removed the bot; unsubscribed
	Failed     int       // gave up: rejected by Telegram, or unavailable past the retry budget
	Skipped    int       // the renderer declined the recipient (e.g. no longer a member)
	Migrated   int       // groups that had become supergroups (also counted in Delivered)
	FinishedAt time.Time // zero while delivering
}

// Done is how many recipients have an outcome.
func (s BroadcastStatus) Done() int { return s.Delivered + s.Blocked + s.Failed + s.Skipped }

// Finished reports whether every recipient has an outcome.
func (s BroadcastStatus) Finished() bool { return !s.FinishedAt.IsZero() }

// Broadcast kinds used by this module. Other kinds are allowed; they are
// shown by their id.
const (
	KindAnnouncement  = "announcement"
	KindReminder      = "reminder"
	KindStudy         = "study"
	KindProjectUpdate = "project-update"
)

// KindLabel is a broadcast kind's Chinese name.
func KindLabel(kind string) string {
	switch kind {
	case KindAnnouncement:
		return "公告"
	case KindReminder:
		return "提醒"
	case KindStudy:
		return "每日学习"
	case KindProjectUpdate:
		return "项目进展"
	}
	return kind
}
