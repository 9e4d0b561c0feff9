package content

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/zhangmiao/communitybot"
)

func TestDefault(t *testing.T) {
	kb, err := Default()
	if err != nil {
		t.Fatalf("Default() = %v", err)
	}
	for _, id := range []string{GoalsTopicID, HelloTopicID, AboutTopicID, ContactTopicID} {
		if _, ok := kb.Topic(id); !ok {
			t.Errorf("Topic(%q) missing", id)
		}
	}
	wantProjects := []string{"sitang-renovation", "two-beautiful", "elderly-care", "elevator", "overhead-cables", "zhihang-parks", "smart-bay"}
	if len(kb.Projects) != len(wantProjects) {
		t.Fatalf("got %d projects, want %d", len(kb.Projects), len(wantProjects))
	}
	for i, id := range wantProjects {
		p := kb.Projects[i]
		if p.ID != id || p.Number != i+1 {
			t.Errorf("project %d = %s #%d, want %s #%d", i, p.ID, p.Number, id, i+1)
		}
		// The newsletter publishes no figures: every project starts in
		// progress, without a percentage, and says so.
		if p.Status != communitybot.StatusInProgress || p.Progress != communitybot.NoProgress || p.HasProgress() {
			t.Errorf("project %s starts as %s/%d, want %s/%d", id, p.Status, p.Progress, communitybot.StatusInProgress, communitybot.NoProgress)
		}
		if !strings.Contains(p.Note, "没有公布") {
			t.Errorf("project %s note %q does not say that no figure was published", id, p.Note)
		}
		if len(p.Aliases) == 0 {
			t.Errorf("project %s has no aliases", id)
		}
	}
	if n := len(kb.Menu); n < 6 || n > 8 {
		t.Errorf("menu has %d items, want 6 to 8", n)
	}
	for _, tp := range kb.Topics {
		if strings.ContainsAny(tp.Answer, "<>&") {
			t.Errorf("topic %s: answer contains HTML-like characters; answers are plain text", tp.ID)
		}
	}
}

// TestDefaultHonest guards the rule that answers never make up what the
// newsletter leaves out: where residents will ask for it, the answer says
// the newsletter does not give it.
func TestDefaultHonest(t *testing.T) {
	kb, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ id, phrase string }{
		{"three-public", "没有说明"},
		{"people-projects", "没有公布"},
		{"science-parks", "没有公布"},
		{"people-community", "没有进一步解释"},
		{"contact-staff", "不提供电话号码"},
	} {
		tp, ok := kb.Topic(tc.id)
		if !ok || !strings.Contains(tp.Answer, tc.phrase) {
			t.Errorf("Topic(%q).Answer does not contain %q", tc.id, tc.phrase)
		}
	}
	p, _ := kb.Project("two-beautiful")
	if !strings.Contains(p.Summary, "没有说明") {
		t.Errorf("two-beautiful summary %q does not say the newsletter leaves 两个美丽 undefined", p.Summary)
	}
	// Numbers are facts. These are the newsletter's (1月18日, 100周年, 2020,
	// 2021) and list numbering; any other figure needs a second look.
	allowed := map[string]bool{"1": true, "2": true, "3": true, "4": true, "5": true, "18": true, "100": true, "2020": true, "2021": true}
	texts := map[string]string{"fallback": kb.Fallback}
	for _, tp := range kb.Topics {
		texts["topic "+tp.ID] = tp.Answer
	}
	for _, p := range kb.Projects {
		texts["project "+p.ID] = p.Summary + p.Note
	}
	for where, s := range texts {
		for _, n := range regexp.MustCompile(`[0-9]+`).FindAllString(s, -1) {
			if !allowed[n] {
				t.Errorf("%s mentions %s, a figure the newsletter does not give", where, n)
			}
		}
	}
}

func TestLookup(t *testing.T) {
	kb, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := kb.Topic("no-such-topic"); ok {
		t.Error(`Topic("no-such-topic") found`)
	}
	if _, ok := kb.Project("no-such-project"); ok {
		t.Error(`Project("no-such-project") found`)
	}
	p, ok := kb.Project("elevator")
	if !ok || p.Name != "电梯加装" {
		t.Fatalf(`Project("elevator") = %v, %v`, p, ok)
	}
	p.Aliases[0] = "changed"
	if q, _ := kb.Project("elevator"); q.Aliases[0] == "changed" {
		t.Error("Project returned aliases shared with the knowledge base")
	}
}

func TestRoundTrip(t *testing.T) {
	kb, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if len(kb.Study) < 20 {
		t.Fatalf("shipped study bank has %d items, want at least 20", len(kb.Study))
	}
	data, err := kb.Marshal()
	if err != nil {
		t.Fatalf("Marshal() = %v", err)
	}
	back, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse(Marshal()) = %v\n%s", err, data)
	}
	if !reflect.DeepEqual(kb, back) {
		t.Errorf("Parse(Marshal(kb)) differs from kb")
		for i := range kb.Topics {
			if !reflect.DeepEqual(kb.Topics[i], back.Topics[i]) {
				t.Logf("topic %d: %+v\n != %+v", i, kb.Topics[i], back.Topics[i])
			}
		}
	}
	// A second round is byte-for-byte stable, so exported files diff well.
	again, err := back.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, again) {
		t.Error("Marshal is not stable across a round trip")
	}
}

// TestExportAddedTopic is the staff workflow: add a learned FAQ entry,
// export, load the file back.
func TestExportAddedTopic(t *testing.T) {
	kb, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	kb.Topics = append(kb.Topics, Topic{
		ID:        "faq-1",
		Title:     "学习讨论会在哪里开",
		Answer:    "简报没有写学习讨论会的地点。",
		Questions: []string{"学习讨论会在哪里开的"},
		Related:   []string{"study-meeting"},
	})
	path := filepath.Join(t.TempDir(), "knowledge.yaml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := kb.Export(f); err != nil {
		t.Fatalf("Export() = %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	back, err := LoadFile(path)
	if err != nil {
		t.Fatalf("LoadFile() = %v", err)
	}
	if got, ok := back.Topic("faq-1"); !ok || got.Answer != "简报没有写学习讨论会的地点。" {
		t.Errorf("LoadFile lost the added topic: %+v, %v", got, ok)
	}
}

func TestExportInvalidWritesNothing(t *testing.T) {
	kb := validKB()
	kb.Topics[0].Answer = ""
	var buf bytes.Buffer
	if err := kb.Export(&buf); err == nil {
		t.Fatal("Export of an invalid knowledge base succeeded")
	}
	if buf.Len() != 0 {
		t.Errorf("Export wrote %d bytes before failing", buf.Len())
	}
}

func TestLoadFileErrors(t *testing.T) {
	if _, err := LoadFile(filepath.Join(t.TempDir(), "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadFile(missing) = %v, want os.ErrNotExist", err)
	}
	path := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(path, []byte("version: 1\ntopics: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadFile(path)
	if !errors.Is(err, communitybot.ErrInvalid) || !strings.Contains(err.Error(), path) {
		t.Errorf("LoadFile(bad) = %v, want ErrInvalid naming %s", err, path)
	}
}

func TestParseSyntax(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"empty", "", "空的"},
		{"not yaml", "topics: [\n", "格式有误"},
		{"unknown field", strings.Replace(validYAML, "keywords:", "keyword:", 1), "keyword"},
		{"wrong type", strings.Replace(validYAML, "number: 1", "number: one", 1), "格式有误"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml))
			msg, _ := communitybot.UserMessage(err)
			if !errors.Is(err, communitybot.ErrInvalid) || !strings.Contains(msg, tc.want) {
				t.Errorf("Parse(%s) = %v, want ErrInvalid mentioning %q", tc.name, err, tc.want)
			}
		})
	}
	if _, err := Parse([]byte(validYAML)); err != nil {
		t.Fatalf("Parse(validYAML) = %v", err)
	}
}

func TestValidate(t *testing.T) {
	long := strings.Repeat("长", MaxAnswerRunes+1)
	tests := []struct {
		name   string
		mutate func(kb *KnowledgeBase)
		want   []string // each must appear in the user message
	}{
		{"wrong version", func(kb *KnowledgeBase) { kb.Version = 2 }, []string{"version"}},
		{"no fallback", func(kb *KnowledgeBase) { kb.Fallback = " " }, []string{"fallback"}},
		{"duplicate topic id", func(kb *KnowledgeBase) { kb.Topics = append(kb.Topics, kb.Topics[0]) }, []string{`"a"`, "重复"}},
		{"topic id equals project id", func(kb *KnowledgeBase) { kb.Topics[1].ID = "p" }, []string{`"p"`, "重复"}},
		{"bad slug", func(kb *KnowledgeBase) { kb.Topics[0].ID = "电梯" }, []string{`"电梯"`, "小写字母"}},
		{"slug with space", func(kb *KnowledgeBase) { kb.Topics[0].ID = "a b" }, []string{`"a b"`}},
		{"empty answer", func(kb *KnowledgeBase) { kb.Topics[0].Answer = "" }, []string{`话题 "a"`, "回答为空"}},
		{"long answer", func(kb *KnowledgeBase) { kb.Topics[1].Answer = long }, []string{`话题 "b"`, "回答太长"}},
		{"empty title", func(kb *KnowledgeBase) { kb.Topics[0].Title = "" }, []string{`话题 "a"`, "标题为空"}},
		{"unreachable topic", func(kb *KnowledgeBase) { kb.Topics[1].Questions, kb.Topics[1].Keywords = nil, nil }, []string{`话题 "b"`, "问法"}},
		{"one-character keyword", func(kb *KnowledgeBase) { kb.Topics[0].Keywords = []string{"比"} }, []string{`话题 "a"`, `"比"`, "太短"}},
		{"duplicate keyword", func(kb *KnowledgeBase) { kb.Topics[0].Keywords = []string{"关键", "关键"} }, []string{`"关键"`, "重复"}},
		{"dangling related", func(kb *KnowledgeBase) { kb.Topics[0].Related = []string{"nope"} }, []string{`话题 "a"`, `"nope"`}},
		{"self related", func(kb *KnowledgeBase) { kb.Topics[0].Related = []string{"a"} }, []string{`话题 "a"`, "自己"}},
		{"project number zero", func(kb *KnowledgeBase) { kb.Projects[0].Number = 0 }, []string{`工程 "p"`, "编号 0"}},
		{"project number duplicate", func(kb *KnowledgeBase) { kb.Projects[1].Number = 1 }, []string{`工程 "q"`, "编号 1", `"p"`}},
		{"project number gap", func(kb *KnowledgeBase) { kb.Projects[1].Number = 3 }, []string{`工程 "q"`, "编号 3"}},
		{"invalid status", func(kb *KnowledgeBase) { kb.Projects[0].Status = "搞定了" }, []string{`工程 "p"`, "搞定了", "推进中"}},
		{"empty status", func(kb *KnowledgeBase) { kb.Projects[0].Status = "" }, []string{`工程 "p"`, "状态"}},
		{"progress out of range", func(kb *KnowledgeBase) { kb.Projects[0].Progress = 101 }, []string{`工程 "p"`, "进度 101"}},
		{"empty project name", func(kb *KnowledgeBase) { kb.Projects[0].Name = "" }, []string{`工程 "p"`, "名称为空"}},
		{"empty summary", func(kb *KnowledgeBase) { kb.Projects[0].Summary = "" }, []string{`工程 "p"`, "简介为空"}},
		{"long note", func(kb *KnowledgeBase) {
			kb.Projects[0].Note = strings.Repeat("注", communitybot.MaxNoteRunes+1)
		}, []string{`工程 "p"`, "备注太长"}},
		{"hints for missing project", func(kb *KnowledgeBase) {
			kb.ProjectHints = map[string]Hints{"zzz": {Keywords: []string{"某某"}}}
		}, []string{`工程 "zzz"`}},
		{"menu without target", func(kb *KnowledgeBase) { kb.Menu[0].Topic = "" }, []string{"菜单第 1 项", "恰好填一个"}},
		{"menu with two targets", func(kb *KnowledgeBase) { kb.Menu[0].Project = "p" }, []string{"菜单第 1 项", "恰好填一个"}},
		{"menu dangling topic", func(kb *KnowledgeBase) { kb.Menu[0].Topic = "nope" }, []string{"菜单第 1 项", `"nope"`}},
		{"menu topic is a project", func(kb *KnowledgeBase) { kb.Menu[0].Topic = "p" }, []string{"菜单第 1 项", `"p"`}},
		{"menu dangling project", func(kb *KnowledgeBase) { kb.Menu[1].Project = "nope" }, []string{"菜单第 2 项", `"nope"`}},
		{"menu empty label", func(kb *KnowledgeBase) { kb.Menu[0].Label = "" }, []string{"菜单第 1 项", "按钮文字为空"}},
		{"synonym without canonical", func(kb *KnowledgeBase) { kb.Synonyms[0].Canonical = "" }, []string{"第 1 组同义词"}},
		{"synonym variant twice", func(kb *KnowledgeBase) {
			kb.Synonyms = append(kb.Synonyms, Synonym{Canonical: "架空线入地", Variants: []string{"加梯"}})
		}, []string{`"加梯"`, "已属于"}},
		{"synonym variant equals canonical", func(kb *KnowledgeBase) {
			kb.Synonyms[0].Variants = []string{"电梯加装"}
		}, []string{`同义词 "电梯加装"`}},
		{"duplicate study id", func(kb *KnowledgeBase) { kb.Study = []StudyItem{validStudyItem("s1"), validStudyItem("s1")} }, []string{`学习题 "s1"`, "id 重复"}},
		{"study id reserved for the bot", func(kb *KnowledgeBase) { kb.Study = []StudyItem{validStudyItem("add-1")} }, []string{`学习题 "add-1"`, `"add-"`}},
		{"several problems reported together", func(kb *KnowledgeBase) {
			kb.Topics[0].Answer = ""
			kb.Projects[0].Status = "x"
		}, []string{"2 处问题", `话题 "a"`, `工程 "p"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kb := validKB()
			tc.mutate(kb)
			err := kb.Validate()
			if !errors.Is(err, communitybot.ErrInvalid) {
				t.Fatalf("Validate() = %v, want ErrInvalid", err)
			}
			msg, _ := communitybot.UserMessage(err)
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("Validate() = %q, want it to mention %q", msg, w)
				}
			}
		})
	}
	if err := validKB().Validate(); err != nil {
		t.Fatalf("validKB().Validate() = %v", err)
	}
}

func TestValidateManyProblems(t *testing.T) {
	kb := validKB()
	for i := 0; i < 30; i++ {
		kb.Topics = append(kb.Topics, Topic{ID: "x"})
	}
	msg, _ := communitybot.UserMessage(kb.Validate())
	if !strings.Contains(msg, "另有") {
		t.Errorf("Validate() with many problems did not summarise the rest: %q", msg)
	}
	if n := utf8.RuneCountInString(msg); n > 2000 {
		t.Errorf("Validate() message is %d characters long", n)
	}
}

// validKB returns a small valid knowledge base for tests to break.
func validKB() *KnowledgeBase {
	return &KnowledgeBase{
		Version:  CurrentVersion,
		Fallback: "抱歉，暂时无法回答。",
		Topics: []Topic{
			{ID: "a", Title: "话题A", Answer: "回答A", Questions: []string{"问题A"}, Keywords: []string{"关键"}, Related: []string{"b", "p"}},
			{ID: "b", Title: "话题B", Answer: "回答B", Questions: []string{"问题B"}},
		},
		Projects: []communitybot.Project{
			{ID: "p", Number: 1, Name: "工程P", Aliases: []string{"别名"}, Summary: "简介", Status: communitybot.StatusInProgress, Progress: communitybot.NoProgress},
			{ID: "q", Number: 2, Name: "工程Q", Summary: "简介", Status: communitybot.StatusDone, Progress: 100},
		},
		Synonyms: []Synonym{{Canonical: "电梯加装", Variants: []string{"加梯", "装电梯"}}},
		Menu:     []MenuItem{{Label: "话题A", Topic: "a"}, {Label: "工程P", Project: "p"}},
	}
}

const validYAML = `version: 1
fallback: 抱歉
topics:
  - id: a
    title: 话题A
    answer: 回答A
    questions: [问题A]
    keywords: [关键]
projects:
  - id: p
    number: 1
    name: 工程P
    summary: 简介
    status: 推进中
menu:
  - label: 话题A
    topic: a
study: []
`
