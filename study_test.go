package communitybot

import (
	"errors"
	"strings"
	"testing"
)

func TestParseBranch(t *testing.T) {
	good := map[string]string{
		"第一党支部":            "第一党支部",
		"  泗塘一村\u3000居民区 ": "泗塘一村 居民区",
		"A & B 支部":         "A & B 支部",
	}
	for in, want := range good {
		if got, err := ParseBranch(in); err != nil || got != want {
			t.Errorf("ParseBranch(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "   ", strings.Repeat("支", MaxBranchRunes+1), "<b>支部</b>", "@admin", "a/b", "支部\x00"} {
		if _, err := ParseBranch(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseBranch(%q) = %v, want ErrInvalid", bad, err)
		} else if _, ok := UserMessage(err); !ok {
			t.Errorf("ParseBranch(%q) error has no user message", bad)
		}
	}
}

func TestDisplayNameAndAccuracy(t *testing.T) {
	for u, want := range map[User]string{
		{ID: 1, FirstName: "张三", Username: "zs"}: "张三",
		{ID: 2, Username: "lisi"}:                "@lisi",
		{ID: 123456789}:                          "用户6789",
		{ID: -42}:                                "用户0042",
	} {
		if got := u.DisplayName(); got != want {
			t.Errorf("%+v.DisplayName() = %q, want %q", u, got, want)
		}
	}
	for _, tc := range []struct {
		s    StudyStats
		want int
	}{{StudyStats{}, 0}, {StudyStats{Answered: 3, Correct: 2}, 67}, {StudyStats{Answered: 8, Correct: 8}, 100}} {
		if got := tc.s.Accuracy(); got != tc.want {
			t.Errorf("Accuracy(%+v) = %d, want %d", tc.s, got, tc.want)
		}
	}
}
