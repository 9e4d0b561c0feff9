package content

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/zhangmiao/communitybot"
)

func validStudyItem(id string) StudyItem {
	return StudyItem{
		ID:    id,
		Title: "五个张庙",
		Text:  "“五个张庙”是美丽张庙、和谐张庙、宜居张庙、智慧张庙、活力张庙。",
		Questions: []communitybot.StudyQuestion{{
			Prompt:      "下列哪一项属于“五个张庙”？",
			Options:     []string{"宜居张庙", "文明张庙"},
			Answer:      0,
			Explanation: "宜居张庙是“五个张庙”之一。",
		}},
	}
}

func TestValidateStudyItem(t *testing.T) {
	long := func(n int) string { return strings.Repeat("学", n) }
	tests := []struct {
		name   string
		mutate func(*StudyItem)
		want   []string // in the user message; nil: valid
	}{
		{"valid", func(*StudyItem) {}, nil},
		{"four options", func(it *StudyItem) {
			it.Questions[0].Options = []string{"甲", "乙", "丙", "丁"}
			it.Questions[0].Answer = 3
		}, nil},
		{"bad id", func(it *StudyItem) { it.ID = "五个" }, []string{"id 只能由"}},
		{"empty title", func(it *StudyItem) { it.Title = " " }, []string{"标题为空"}},
		{"long text", func(it *StudyItem) { it.Text = long(MaxStudyTextRunes + 1) }, []string{"学习内容太长"}},
		{"no question", func(it *StudyItem) { it.Questions = nil }, []string{"至少要有一道选择题"}},
		{"too many questions", func(it *StudyItem) {
			for len(it.Questions) <= MaxStudyQuestions {
				it.Questions = append(it.Questions, it.Questions[0])
			}
		}, []string{"题目太多"}},
		{"empty prompt", func(it *StudyItem) { it.Questions[0].Prompt = "" }, []string{"第 1 题", "题目为空"}},
		{"one option", func(it *StudyItem) { it.Questions[0].Options = []string{"甲"} }, []string{"选项应有 2 到 4 个"}},
		{"five options", func(it *StudyItem) { it.Questions[0].Options = []string{"甲", "乙", "丙", "丁", "戊"} }, []string{"选项应有 2 到 4 个"}},
		{"empty option", func(it *StudyItem) { it.Questions[0].Options[1] = "" }, []string{"选项 2 为空"}},
		{"long option", func(it *StudyItem) { it.Questions[0].Options[1] = long(MaxStudyOptionRunes + 1) }, []string{"选项 2 太长"}},
		{"duplicate option", func(it *StudyItem) { it.Questions[0].Options[1] = "宜居张庙" }, []string{"重复"}},
		{"answer too high", func(it *StudyItem) { it.Questions[0].Answer = 2 }, []string{"第 1 到第 2 个选项", "现在是 3"}},
		{"answer missing", func(it *StudyItem) { it.Questions[0].Answer = -1 }, []string{"现在是 0"}},
		{"no explanation", func(it *StudyItem) { it.Questions[0].Explanation = "" }, []string{"解析为空"}},
		{"long explanation", func(it *StudyItem) { it.Questions[0].Explanation = long(MaxStudyExplanationRunes + 1) }, []string{"解析太长"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			it := validStudyItem("five-zhangmiao")
			it.Questions[0].Options = append([]string(nil), it.Questions[0].Options...)
			tc.mutate(&it)
			err := ValidateStudyItem(it)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("ValidateStudyItem() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, communitybot.ErrInvalid) {
				t.Fatalf("ValidateStudyItem() = %v, want ErrInvalid", err)
			}
			msg, _ := communitybot.UserMessage(err)
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message lacks %q:\n%s", w, msg)
				}
			}
		})
	}
}

func TestStudyYAML(t *testing.T) {
	// answer is 1-based in the file and 0-based in the domain type.
	kb, err := Parse([]byte(validYAML[:len(validYAML)-len("study: []\n")] + `study:
  - id: s1
    title: 四个定位
    text: 区域交通链接点、科创建设辐射带、服务配套综合体、社会治理创新地。
    questions:
      - question: 哪一项是张庙的定位？
        options: [国际航运枢纽, 区域交通链接点]
        answer: 2
        explanation: 四个定位里有区域交通链接点。
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(kb.Study) != 1 || len(kb.Study[0].Questions) != 1 {
		t.Fatalf("Study = %+v", kb.Study)
	}
	q := kb.Study[0].Questions[0]
	if q.Answer != 1 || !q.Correct(1) || q.Options[1] != "区域交通链接点" {
		t.Errorf("question = %+v, want answer index 1", q)
	}

	_, err = Parse([]byte(validYAML[:len(validYAML)-len("study: []\n")] + `study:
  - id: s1
    title: 四个定位
    text: 内容
    questions:
      - question: 问题
        options: [甲, 乙]
        answer: 3
        explanation: 解析
      - question: 问题二
        options: [甲, 乙]
        anwser: 1
`))
	if msg, _ := communitybot.UserMessage(err); !strings.Contains(msg, "anwser") {
		t.Errorf("a misspelled key must be refused, got %v", err)
	}
}

// TestShippedStudyBank checks the shipped bank: big enough, every item
// valid, answers spread over the positions (a bank whose answer is always
// A teaches nothing), and every quoted phrase taken word for word from the
// newsletter, so no item invents a slogan.
func TestShippedStudyBank(t *testing.T) {
	kb, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if len(kb.Study) < 20 {
		t.Fatalf("%d study items, want at least 20", len(kb.Study))
	}
	source := squeeze(NewsletterRaw())
	positions := map[int]int{}
	quoted := regexp.MustCompile(`[“‘]([^”’“‘]{2,})[”’]`)
	for _, it := range kb.Study {
		if err := ValidateStudyItem(it); err != nil {
			t.Errorf("item %s: %v", it.ID, err)
		}
		texts := []string{it.Text}
		for _, q := range it.Questions {
			positions[q.Answer]++
			texts = append(texts, q.Explanation, q.Options[q.Answer])
		}
		for _, s := range texts {
			for _, m := range quoted.FindAllStringSubmatch(s, -1) {
				if !strings.Contains(source, squeeze(m[1])) {
					t.Errorf("item %s quotes %q, which is not in the newsletter", it.ID, m[1])
				}
			}
		}
	}
	for pos := 0; pos < 3; pos++ {
		if positions[pos] < 5 {
			t.Errorf("only %d questions have their answer at position %d: %v", positions[pos], pos+1, positions)
		}
	}
}

// squeeze removes what the newsletter's layout adds: spaces, line breaks,
// and the difference between nested and outer quotes.
func squeeze(s string) string {
	s = strings.NewReplacer("‘", "“", "’", "”", "，", "", ",", "", "、", "").Replace(s)
	return strings.Join(strings.Fields(s), "")
}
