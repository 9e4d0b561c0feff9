package staff

import (
	"context"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/storage"
)

// Store is what the staff desk keeps in storage (*storage.Store), grouped
// by concern. Each method's error contract is storage's.
type Store interface {
	projectStore
	ticketStore
	knowledgeStore
	auditStore
	statsStore
}

type projectStore interface {
	Projects(ctx context.Context) ([]communitybot.Project, error)
	Project(ctx context.Context, id string) (communitybot.Project, error)
	UpdateProject(ctx context.Context, id string, ev communitybot.ProjectEvent) error
	AddProject(ctx context.Context, p communitybot.Project) (communitybot.Project, error)
	AddedProjects(ctx context.Context) ([]communitybot.Project, error)
	DeleteProject(ctx context.Context, id string) error
	// ProjectHistory returns up to the last n events of a project, oldest
	// first (an unknown project has none).
	ProjectHistory(ctx context.Context, id string, n int) ([]communitybot.ProjectEvent, error)
}

type ticketStore interface {
	CreateTicket(ctx context.Context, t communitybot.Ticket, maxOpen int, post bool) (communitybot.Ticket, bool, error)
	Ticket(ctx context.Context, no int64) (communitybot.Ticket, error)
	OpenTickets(ctx context.Context, n int) ([]communitybot.Ticket, int64, error)
	OpenTicketCount(ctx context.Context) (int64, time.Time, error)
	UserTickets(ctx context.Context, userID int64, n int) ([]communitybot.Ticket, error)
	ClaimUnposted(ctx context.Context, n int, lease time.Duration) ([]int64, error)
	ReleaseUnposted(ctx context.Context, nos ...int64) error
	DropUnposted(ctx context.Context, no int64) error
	SetTicketPost(ctx context.Context, no, chatID int64, msgID int) error
	TicketByStaffMessage(ctx context.Context, chatID int64, msgID int) (int64, error)
	TicketPostInFlight(ctx context.Context, no int64) (bool, error)
	AnswerTicket(ctx context.Context, no int64, answer, by string, byID int64, source string) (bool, error)
	MarkTicketRelayed(ctx context.Context, no int64) error
	RateTicket(ctx context.Context, no, userID int64, r communitybot.Rating) error
}

type knowledgeStore interface {
	Learn(ctx context.Context, e communitybot.LearnedEntry) error
	Unlearn(ctx context.Context, id string) (communitybot.LearnedEntry, error)
	LearnedEntries(ctx context.Context) ([]communitybot.LearnedEntry, error)
	KnowledgeVersion(ctx context.Context) (int64, error)
	// BumpKnowledgeVersion tells every replica to rebuild its knowledge.
	BumpKnowledgeVersion(ctx context.Context) (int64, error)
}

type auditStore interface {
	AppendAudit(ctx context.Context, e communitybot.AuditEntry) error
	Audit(ctx context.Context, n int) ([]communitybot.AuditEntry, error)
	DeniedAudit(ctx context.Context, n int) ([]communitybot.AuditEntry, int64, error)
}

type statsStore interface {
	UsersSeen(ctx context.Context, t time.Time) (total, today, week int64, err error)
	CountWithRole(ctx context.Context, r communitybot.Role) (int64, error)
	SubscriberCount(ctx context.Context, t communitybot.Topic) (int64, error)
	QuestionCountsDays(ctx context.Context, t time.Time, days int) (storage.QuestionCounts, error)
	TopUnanswered(ctx context.Context, n int) ([]storage.RepeatedQuestion, error)
}

var _ Store = (*storage.Store)(nil)
