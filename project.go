package communitybot

import (
	"fmt"
	"strings"
	"time"
)

// ProjectStatus is one of the fixed stages a public project (民心工程) can be in.
// The values are the Chinese words residents see.
type ProjectStatus string

// The fixed set of project statuses.
const (
	StatusPlanning   ProjectStatus = "规划中"
	StatusInProgress ProjectStatus = "推进中"
	StatusDone       ProjectStatus = "已完工"
	StatusPaused     ProjectStatus = "暂停"
)

// ProjectStatuses lists every valid status in display order.
var ProjectStatuses = []ProjectStatus{StatusPlanning, StatusInProgress, StatusDone, StatusPaused}

// ParseProjectStatus returns the status named by s, or an ErrInvalid error
// whose user message lists the valid choices.
func ParseProjectStatus(s string) (ProjectStatus, error) {
	s = strings.TrimSpace(s)
	for _, st := range ProjectStatuses {
		if s == string(st) {
			return st, nil
		}
	}
	names := make([]string, len(ProjectStatuses))
	for i, st := range ProjectStatuses {
		names[i] = string(st)
	}
	return "", Errorf(ErrInvalid, "状态只能是：%s。", strings.Join(names, "、"))
}

// NoProgress marks a project whose progress percentage has not been published.
// The bot must then say so instead of inventing a figure.
const NoProgress = -1

// Project is a public project of the subdistrict (民心工程 or a science park).
// The static part (ID, Number, Name, Aliases, Summary) comes from the content
// file; the live part (Status, Progress, Note, UpdatedAt, UpdatedBy) is kept
// in storage and changed by staff.
type Project struct {
	ID      string   // stable slug used in keys and callback data, e.g. "elevator"
	Number  int      // 1-based display number, so residents can type /project 3
	Name    string   // official name, e.g. 电梯加装
	Aliases []string // other names residents use, e.g. 加梯, 装电梯
	Summary string   // what the source material says about the project

	Status    ProjectStatus
	Progress  int // percent 0..100, or NoProgress
	Note      string
	UpdatedAt time.Time
	UpdatedBy string
}

// HasProgress reports whether a progress figure has been published.
func (p Project) HasProgress() bool { return p.Progress >= 0 && p.Progress <= 100 }

// SeedAuthor is the author recorded for a project's first history entry,
// written from the content file rather than by staff. Replies show such an
// entry as the source material, not as an update made on the day the bot
// was installed.
const SeedAuthor = "内容初始化"

// ProjectEvent is one entry of a project's history. History is append-only:
// a status change never overwrites what was said before.
type ProjectEvent struct {
	At       time.Time
	By       string        // who made the change: "内容初始化" for the seed, else the staff member
	Status   ProjectStatus // empty: unchanged
	Progress int           // NoProgress: not given, the previous figure stays
	// ClearProgress withdraws the published figure (Progress must then be
	// NoProgress): a project sent back to planning has no progress to
	// show, and keeping the old "约 60%" beside 规划中 would mislead.
	ClearProgress bool
	Note          string
}

// Validate checks the fields staff may set. An empty Status means the
// event leaves the status unchanged (a note only).
func (e ProjectEvent) Validate() error {
	if e.Status != "" {
		if _, err := ParseProjectStatus(string(e.Status)); err != nil {
			return err
		}
	}
	if e.Progress != NoProgress && (e.Progress < 0 || e.Progress > 100) {
		return Errorf(ErrInvalid, "进度应为 0 到 100 之间的整数（例如 60%%）。")
	}
	if e.ClearProgress && e.Progress != NoProgress {
		return Errorf(ErrInvalid, "不能同时设置进度又清除进度。")
	}
	if n := len([]rune(e.Note)); n > MaxNoteRunes {
		return Errorf(ErrInvalid, "备注太长了（%d 字），请控制在 %d 字以内。", n, MaxNoteRunes)
	}
	return nil
}

// MaxNoteRunes bounds staff notes so one update fits in a Telegram message
// together with the project header.
const MaxNoteRunes = 1000

func (p Project) String() string { return fmt.Sprintf("%s(%s)", p.ID, p.Name) }
