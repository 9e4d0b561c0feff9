package main

import (
	"strconv"
	"time"

	"github.com/zhangmiao/communitybot/study"
)

// StudyConfig configures roles and the party members' daily study.
type StudyConfig struct {
	DailyAt       string        // STUDY_TIME, "08:00"
	SummaryAt     string        // STUDY_SUMMARY_TIME, "09:00" on Mondays
	ReadPoints    int64         // STUDY_POINTS_READ
	CorrectPoints int64         // STUDY_POINTS_CORRECT
	InviteTTL     time.Duration // INVITE_TTL
}

// parseStudyConfig reads the variables of StudyConfig; problems are
// reported through bad like the rest of the configuration.
func parseStudyConfig(get func(string) string, bad func(name, format string, args ...any)) StudyConfig {
	c := StudyConfig{DailyAt: "08:00", SummaryAt: "09:00", ReadPoints: 1, CorrectPoints: 2, InviteTTL: 7 * 24 * time.Hour}
	clock := func(name string, dst *string) {
		if v := get(name); v != "" {
			h, m, err := study.ParseClock(v)
			if err != nil {
				bad(name, "want a time of day like 08:00, got %q", v)
				return
			}
			*dst = time.Date(0, 1, 1, h, m, 0, 0, time.UTC).Format("15:04")
		}
	}
	clock("STUDY_TIME", &c.DailyAt)
	clock("STUDY_SUMMARY_TIME", &c.SummaryAt)
	points := func(name string, dst *int64) {
		if v := get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 || n > 100 {
				bad(name, "want a whole number from 0 to 100, got %q", v)
				return
			}
			*dst = n
		}
	}
	points("STUDY_POINTS_READ", &c.ReadPoints)
	points("STUDY_POINTS_CORRECT", &c.CorrectPoints)
	if v := get("INVITE_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Hour || d > 720*time.Hour {
			bad("INVITE_TTL", "want a duration between 1h and 720h, like 168h, got %q", v)
		} else {
			c.InviteTTL = d
		}
	}
	return c
}
