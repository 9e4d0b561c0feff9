package qa

import (
	"slices"
	"strings"
	"testing"
)

// TestPeopleFromSources: the people of the newsletter are found by office
// and name, with the ways residents call them, and a speech's sentences
// have their speaker up to the end of the paragraph.
func TestPeopleFromSources(t *testing.T) {
	_, e := mustShipped(t)
	ix := e.passages
	aliases := map[string][]string{}
	for _, p := range ix.people {
		aliases[p.name] = p.aliases
	}
	for name, want := range map[string][]string{
		"李强":  {"市委书记", "李书记", "李强书记", "书记"},
		"施永根": {"施书记", "施主任", "书记", "街道书记", "党工委书记", "人大工委主任"},
	} {
		for _, a := range want {
			if !slices.Contains(aliases[name], a) {
				t.Errorf("%s: aliases %q lack %q", name, aliases[name], a)
			}
		}
	}
	speaker := func(prefix string) string {
		for _, s := range ix.sents {
			if strings.HasPrefix(s.text, prefix) {
				if s.speaker < 0 {
					return ""
				}
				return ix.people[s.speaker].name
			}
		}
		t.Fatalf("no sentence starts with %q", prefix)
		return ""
	}
	for prefix, want := range map[string]string{
		"为深入贯彻落实市委书记李强提出的": "李强", // names him
		"1月18日":          "",    // 李强提出的… only qualified a word
		"明确张庙作为打造":       "施永根", // his speech goes on
		"会上，班子成员":        "",    // a new paragraph
		"充分发挥党建引领作用":     "施永根",
		"聚焦交运智慧湾科创园开发建设": "施永根",
		"日前，张庙街道印发了":     "",
	} {
		if got := speaker(prefix); got != want {
			t.Errorf("speaker of %s… = %q, want %q", prefix, got, want)
		}
	}
}

// TestFoldPeople: a personal alias becomes the name the sources use; a
// bare office (书记, shared by both) stays.
func TestFoldPeople(t *testing.T) {
	_, e := mustShipped(t)
	tests := []struct{ in, want string }{
		{"李书记提的要求是啥", "李强提的要求是啥"},
		{"施主任讲的第二条", "施永根讲的第二条"},
		{"施永根书记讲了啥", "施永根讲了啥"},
		{"书记讲了三条", "书记讲了三条"},
	}
	for _, tc := range tests {
		if got := e.passages.foldPeople(tc.in); got != tc.want {
			t.Errorf("foldPeople(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestVerbatimSpans: a long run of the page's words makes a question
// ours, and a city name inside such a run is the page's words, not the
// city.
func TestVerbatimSpans(t *testing.T) {
	_, e := mustShipped(t)
	ix := e.passages
	tests := []struct {
		q       string
		run     int // at least
		foreign bool
	}{
		{"Which park 要被打造成都市产业新高地", 7, false},
		{"成都的电梯加装补贴", 0, true},
		{"杭州有没有比学赶超当先锋活动", 7, true},
		{"北京今天天气怎么样", 0, true},
	}
	for _, tc := range tests {
		q := newQuery(e.vocab.fold(tc.q))
		if got := ix.longestVerbatim(q); got < tc.run {
			t.Errorf("longestVerbatim(%q) = %d, want ≥ %d", tc.q, got, tc.run)
		}
		if got := ix.foreignMention(q); got != tc.foreign {
			t.Errorf("foreignMention(%q) = %v, want %v", tc.q, got, tc.foreign)
		}
	}
}

// TestClearlyOffTopic: what /ask refuses to make a ticket of: another
// city (not one inside the page's words), writing for the resident, films.
func TestClearlyOffTopic(t *testing.T) {
	_, e := mustShipped(t)
	tests := []struct {
		q    string
		want bool
	}{
		{"帮我写一首关于比学赶超当先锋的诗", true},
		{"推荐一部关于中国共产党成立100周年的电影", true},
		{"成都的电梯加装补贴多少", true},
		{"Which park 要被打造成都市产业新高地", false},
		{"楼道堆物谁来管", false},
	}
	for _, tc := range tests {
		if got := e.ClearlyOffTopic(tc.q); got != tc.want {
			t.Errorf("ClearlyOffTopic(%q) = %v, want %v", tc.q, got, tc.want)
		}
	}
}
