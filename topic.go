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
}
