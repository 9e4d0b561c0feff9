package jobs_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/jobs"
)

type engine struct {
	got    []communitybot.Broadcast
	recent []communitybot.BroadcastStatus
}

func (e *engine) Enqueue(_ context.Context, b communitybot.Broadcast) (communitybot.Broadcast, error) {
	b.ID = "12"
	e.got = append(e.got, b)
	return b, nil
}

func (e *engine) Recent(context.Context, int) ([]communitybot.BroadcastStatus, error) {
	return e.recent, nil
}

type scheduler struct{ jobs []communitybot.ScheduledJob }

func (s *scheduler) ScheduleMessage(_ context.Context, args string, by, reportTo int64) (communitybot.ScheduledJob, error) {
	when, text, _ := strings.Cut(args, " ")
	if when != "明天9点" {
		return communitybot.ScheduledJob{}, communitybot.Errorf(communitybot.ErrInvalid, "时间看不懂")
	}
	j := communitybot.ScheduledJob{ID: "3", Text: text, At: time.Date(2026, 12, 8, 1, 0, 0, 0, time.UTC), CreatedBy: by, ReportTo: reportTo}
	s.jobs = append(s.jobs, j)
	return j, nil
}

func (s *scheduler) Jobs(context.Context) ([]communitybot.ScheduledJob, error) { return s.jobs, nil }

func (s *scheduler) Cancel(_ context.Context, id string) (communitybot.ScheduledJob, error) {
	for i, j := range s.jobs {
		if j.ID == id {
			s.jobs = append(s.jobs[:i], s.jobs[i+1:]...)
			return j, nil
		}
	}
	return communitybot.ScheduledJob{}, communitybot.Errorf(communitybot.ErrNotFound, "没有 #%s", id)
}

type counts map[communitybot.Topic]int64

func (c counts) SubscriberCount(_ context.Context, t communitybot.Topic) (int64, error) {
	return c[t], nil
}

type audit []communitybot.AuditEntry

func (a *audit) Record(_ context.Context, e communitybot.AuditEntry) { *a = append(*a, e) }

var admin = communitybot.Caller{Actor: communitybot.Actor{UserID: 7, Name: "王主任", Role: communitybot.RoleAdmin}, ChatID: 7, Chat: communitybot.ChatPrivate}

// TestJobsWithoutAChannel: the admins' broadcast commands decide and word
// their answers from plain inputs and audit what they change.
func TestJobsWithoutAChannel(t *testing.T) {
	ctx := context.Background()
	shanghai := time.FixedZone("CST", 8*3600)
	e, s, log := &engine{}, &scheduler{}, &audit{}
	now := func() time.Time { return time.Date(2026, 12, 7, 10, 0, 0, 0, shanghai) }
	svc := jobs.New(e, s, counts{communitybot.TopicAnnouncements: 2, communitybot.TopicReminders: 5}, jobs.Options{Location: shanghai, Audit: log, Now: now})

	if _, err := svc.Announce(ctx, admin, "  "); !errors.Is(err, communitybot.ErrInvalid) {
		t.Errorf("empty announcement: %v", err)
	}
	reply, err := svc.Announce(ctx, admin, "周六<体检>")
	if err != nil || reply.Text != "" {
		t.Fatalf("/announce = %q, %v (the engine's progress message is the answer)", reply.Text, err)
	}
	if len(e.got) != 1 || e.got[0].ReportTo != admin.ChatID || e.got[0].Reply.Text != "📢 <b>张庙街道公告</b>\n\n周六&lt;体检&gt;" {
		t.Errorf("enqueued %+v", e.got)
	}

	reply, err = svc.Schedule(ctx, admin, "明天9点 社区体检")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"已安排提醒 #3：将于 12月8日（周二）09:00 发送", "目前 5 个", "/cancel 3"} {
		if !strings.Contains(reply.Text, want) {
			t.Errorf("/schedule reply %q lacks %q", reply.Text, want)
		}
	}
	if _, err := svc.Schedule(ctx, admin, "某天 体检"); !strings.Contains(msg(err), "时间看不懂") {
		t.Errorf("bad time: %v", err)
	}
	if reply, _ := svc.Jobs(ctx); !strings.Contains(reply.Text, "提醒 #3 · 一次性") {
		t.Errorf("/jobs = %q", reply.Text)
	}
	if _, err := svc.Cancel(ctx, admin, " "); !errors.Is(err, communitybot.ErrInvalid) {
		t.Errorf("/cancel without id: %v", err)
	}
	if reply, err := svc.Cancel(ctx, admin, "#3"); err != nil || reply.Text != "已取消提醒 #3：社区体检" {
		t.Errorf("/cancel #3 = %q, %v", reply.Text, err)
	}
	var actions []string
	for _, a := range *log {
		if a.UserID != admin.UserID || a.Name != "王主任" {
			t.Errorf("audited as %d %q", a.UserID, a.Name)
		}
		actions = append(actions, a.Action+" "+a.Target)
	}
	if got := strings.Join(actions, ", "); got != "announce #12, schedule #3, cancel #3" {
		t.Errorf("audit = %s", got)
	}
}

// TestAnnounceToNobody: with nobody subscribed nothing is sent, unless the
// web page shows announcements (then it is recorded for the page, with no
// report of a delivery to nobody).
func TestAnnounceToNobody(t *testing.T) {
	ctx := context.Background()
	for _, web := range []bool{false, true} {
		e, log := &engine{}, &audit{}
		svc := jobs.New(e, &scheduler{}, counts{}, jobs.Options{PublishedOnWeb: web, Audit: log})
		reply, err := svc.Announce(ctx, admin, "周六体检")
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case !web && (len(e.got) != 0 || !strings.Contains(reply.Text, "没有发给任何人")):
			t.Errorf("without the page: enqueued %d, reply %q", len(e.got), reply.Text)
		case web && (len(e.got) != 1 || e.got[0].ReportTo != 0 || !strings.Contains(reply.Text, "网页版的「公告」页")):
			t.Errorf("with the page: enqueued %+v, reply %q", e.got, reply.Text)
		}
		if len(*log) != 1 {
			t.Errorf("web=%v: audit %+v", web, *log)
		}
	}
}

func msg(err error) string {
	m, _ := communitybot.UserMessage(err)
	return m
}
