package study

import (
	"context"
	"fmt"
	"time"

	"github.com/zhangmiao/communitybot"
)

// participationStore is what Participation reads.
type participationStore interface {
	UsersWithRole(ctx context.Context, r communitybot.Role) ([]int64, error)
	StudyAnswerers(ctx context.Context, days []string) (map[int64]bool, error)
}

// Participation is the staff's view of the study: how many members there
// are, and how many of them answered today and in the last seven days.
type Participation struct {
	Members int64
	Today   int64 // members with a scored answer today
	Week    int64 // distinct members with a scored answer in the last 7 days
}

// Participation counts study participation on the day of t and the six
// days before it, in the study's time zone.
func (s *Service) Participation(ctx context.Context, st participationStore, t time.Time) (Participation, error) {
	members, err := st.UsersWithRole(ctx, communitybot.RoleMember)
	if err != nil {
		return Participation{}, fmt.Errorf("participation: %w", err)
	}
	t = t.In(s.opts.Location)
	y, m, d := t.Date()
	days := make([]string, 7)
	for i := range days {
		days[i] = dayOf(time.Date(y, m, d-i, 12, 0, 0, 0, t.Location()))
	}
	today, err := st.StudyAnswerers(ctx, days[:1])
	if err != nil {
		return Participation{}, fmt.Errorf("participation: %w", err)
	}
	week, err := st.StudyAnswerers(ctx, days)
	if err != nil {
		return Participation{}, fmt.Errorf("participation: %w", err)
	}
	return Participation{Members: int64(len(members)), Today: int64(len(today)), Week: int64(len(week))}, nil
}
