package qa

import (
	"slices"
	"testing"
)

func TestParts(t *testing.T) {
	for in, want := range map[string][]string{
		"六大板块是哪六个？最后一个是什么？":                {"六大板块是哪六个", "最后一个是什么"},
		"征途漫漫 后面那句是啥 还有天道酬勤后面那句":           {"征途漫漫", "后面那句是啥", "还有天道酬勤后面那句"},
		"What are the five actions? 五个张庙呢": {"What are the five actions", " 五个张庙呢"},
		"请问 elevator 进展":                   {"请问 elevator 进展"},
		"？？ 。":                             nil,
	} {
		if got := Parts(in); !slices.Equal(got, want) {
			t.Errorf("Parts(%q) = %q, want %q", in, got, want)
		}
	}
}
