package content

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zhangmiao/communitybot"
)

// maxReported bounds the problem list in an error message so that one broken
// file cannot produce a reply longer than a chat message.
const maxReported = 20

// Validate checks kb as a whole: ids are unique slugs (topics and projects
// share one namespace, since menu items and related lists may point at
// either), answers are present and short enough, every reference resolves,
// project numbers run 1..n, statuses and progress values are valid, and every
// topic can be reached by at least one question or keyword.
//
// The error wraps communitybot.ErrInvalid and its user message names each
// offending entry.
func (kb *KnowledgeBase) Validate() error {
	var v validator
	if kb.Version != CurrentVersion {
		v.addf("version 应为 %d，现在是 %d。", CurrentVersion, kb.Version)
	}
	v.text("fallback", "未找到答案时的回复", kb.Fallback, MaxAnswerRunes)

	topics := make(map[string]bool, len(kb.Topics))
	projects := make(map[string]bool, len(kb.Projects))
	seen := func(what, id string) {
		if !v.slug(what, id) {
			return
		}
		if topics[id] || projects[id] {
			v.addf("%s %q：id 重复（话题和工程的 id 不能相同）。", what, id)
		}
	}
	for _, t := range kb.Topics {
		seen("话题", t.ID)
		topics[t.ID] = true
	}
	for _, p := range kb.Projects {
		seen("工程", p.ID)
		projects[p.ID] = true
	}

	for _, t := range kb.Topics {
		where := fmt.Sprintf("话题 %q", t.ID)
		v.text(where, "标题", t.Title, MaxTitleRunes)
		v.text(where, "回答", t.Answer, MaxAnswerRunes)
		if len(t.Questions) == 0 && len(t.Keywords) == 0 {
			v.addf("%s：至少要有一个问法（questions）或关键词（keywords），否则没人能问到它。", where)
		}
		v.phrases(where, "问法", t.Questions, 1)
		v.phrases(where, "关键词", t.Keywords, 2)
		if t.About != "" && (t.About == t.ID || !topics[t.About] && !projects[t.About]) {
			v.addf("%s：about 里的 %q 不存在。", where, t.About)
		}
		if t.StaffAnswered != "" {
			if _, err := time.Parse(time.DateOnly, t.StaffAnswered); err != nil {
				v.addf("%s：staff_answered 应为 2006-01-02 这样的日期，现在是 %q。", where, t.StaffAnswered)
			}
		}
		refs := make(map[string]bool)
		for _, r := range t.Related {
			switch {
			case r == t.ID:
				v.addf("%s：related 不能指向自己。", where)
			case !topics[r] && !projects[r]:
				v.addf("%s：related 里的 %q 不存在。", where, r)
			case refs[r]:
				v.addf("%s：related 里的 %q 重复。", where, r)
			}
			refs[r] = true
		}
	}

	numbers := make(map[int]string, len(kb.Projects))
	for _, p := range kb.Projects {
		where := fmt.Sprintf("工程 %q", p.ID)
		v.text(where, "名称", p.Name, MaxTitleRunes)
		v.text(where, "简介", p.Summary, MaxAnswerRunes)
		if p.Number < 1 || p.Number > len(kb.Projects) {
			v.addf("%s：编号 %d 应在 1 到 %d 之间。", where, p.Number, len(kb.Projects))
		} else if other, dup := numbers[p.Number]; dup {
			v.addf("%s：编号 %d 与工程 %q 重复。", where, p.Number, other)
		}
		numbers[p.Number] = p.ID
		if _, err := communitybot.ParseProjectStatus(string(p.Status)); err != nil {
			msg, _ := communitybot.UserMessage(err)
			v.addf("%s：状态 %q 无效，%s", where, p.Status, msg)
		}
		if p.Progress != communitybot.NoProgress && (p.Progress < 0 || p.Progress > 100) {
			v.addf("%s：进度 %d 无效，应为 0 到 100，未公布时写 -1。", where, p.Progress)
		}
		if n := utf8.RuneCountInString(p.Note); n > communitybot.MaxNoteRunes {
			v.addf("%s：备注太长（%d 字，上限 %d 字）。", where, n, communitybot.MaxNoteRunes)
		}
		v.phrases(where, "别名", p.Aliases, 2)
	}
	for id, h := range kb.ProjectHints {
		where := fmt.Sprintf("工程 %q", id)
		if !projects[id] {
			v.addf("%s：有匹配提示（keywords/questions），但没有这个工程。", where)
		}
		v.phrases(where, "关键词", h.Keywords, 2)
		v.phrases(where, "问法", h.Questions, 1)
	}

	owner := make(map[string]string)
	for i, s := range kb.Synonyms {
		where := fmt.Sprintf("同义词 %q", s.Canonical)
		if s.Canonical == "" {
			where = fmt.Sprintf("第 %d 组同义词", i+1)
			v.addf("%s：canonical 为空。", where)
		}
		if len(s.Variants) == 0 {
			v.addf("%s：没有 variants。", where)
		}
		for _, w := range s.Variants {
			switch {
			case w == "":
				v.addf("%s：有空的 variant。", where)
			case w == s.Canonical:
				v.addf("%s：variant 与 canonical 相同。", where)
			case owner[w] != "" && owner[w] != s.Canonical:
				v.addf("%s：variant %q 已属于同义词 %q。", where, w, owner[w])
			}
			owner[w] = s.Canonical
		}
	}

	for i, m := range kb.Menu {
		where := fmt.Sprintf("菜单第 %d 项 %q", i+1, m.Label)
		v.text(where, "按钮文字", m.Label, MaxLabelRunes)
		switch {
		case (m.Topic == "") == (m.Project == ""):
			v.addf("%s：topic 和 project 必须恰好填一个。", where)
		case m.Topic != "" && !topics[m.Topic]:
			v.addf("%s：话题 %q 不存在。", where, m.Topic)
		case m.Project != "" && !projects[m.Project]:
			v.addf("%s：工程 %q 不存在。", where, m.Project)
		}
	}

	study := make(map[string]bool)
	for _, s := range kb.Study {
		if v.slug("学习题", s.ID) {
			if study[s.ID] {
				v.addf("学习题 %q：id 重复。", s.ID)
			}
			if strings.HasPrefix(s.ID, AddedStudyPrefix) {
				v.addf("学习题 %q：以 %q 开头的 id 留给管理员在机器人里添加的题目，请换一个。", s.ID, AddedStudyPrefix)
			}
		}
		study[s.ID] = true
		v.studyItem(s)
	}
	return v.err()
}

// Limits of a study item. A prompt with its text, question and options,
// and after answering the explanation too, stays one comfortable message.
const (
	MaxStudyTextRunes        = 800
	MaxStudyQuestionRunes    = 200
	MaxStudyOptionRunes      = 40 // options are inline buttons
	MaxStudyExplanationRunes = 300
	MinStudyOptions          = 2
	MaxStudyOptions          = 4 // A to D
	MaxStudyQuestions        = 5
)

// AddedStudyPrefix starts the ids of items admins add in the bot, so that
// they never collide with the content file's ids.
const AddedStudyPrefix = "add-"

// ValidateStudyItem checks one study item on its own (not its id's
// uniqueness), as Validate does for the items of a file. The error wraps
// communitybot.ErrInvalid and its user message lists every problem.
// An item without an id (one an admin is adding, whose id storage assigns)
// is checked for everything else.
func ValidateStudyItem(it StudyItem) error {
	var v validator
	if it.ID != "" {
		v.slug("学习题", it.ID)
	}
	v.studyItem(it)
	return v.err()
}

func (v *validator) studyItem(it StudyItem) {
	where := "学习题"
	if it.ID != "" {
		where = fmt.Sprintf("学习题 %q", it.ID)
	}
	v.text(where, "标题", it.Title, MaxTitleRunes)
	v.text(where, "学习内容", it.Text, MaxStudyTextRunes)
	switch n := len(it.Questions); {
	case n == 0:
		v.addf("%s：至少要有一道选择题。", where)
	case n > MaxStudyQuestions:
		v.addf("%s：题目太多（%d 道，上限 %d 道）。", where, n, MaxStudyQuestions)
	}
	for i, q := range it.Questions {
		qw := fmt.Sprintf("%s第 %d 题", where, i+1)
		v.text(qw, "题目", q.Prompt, MaxStudyQuestionRunes)
		v.text(qw, "解析", q.Explanation, MaxStudyExplanationRunes)
		if n := len(q.Options); n < MinStudyOptions || n > MaxStudyOptions {
			v.addf("%s：选项应有 %d 到 %d 个，现在是 %d 个。", qw, MinStudyOptions, MaxStudyOptions, n)
		}
		seen := make(map[string]bool, len(q.Options))
		for j, o := range q.Options {
			v.text(qw, fmt.Sprintf("选项 %d ", j+1), o, MaxStudyOptionRunes)
			if seen[o] && o != "" {
				v.addf("%s：选项 %q 重复。", qw, o)
			}
			seen[o] = true
		}
		if q.Answer < 0 || q.Answer >= len(q.Options) {
			v.addf("%s：正确答案应为第 1 到第 %d 个选项（answer 写选项的序号），现在是 %d。", qw, len(q.Options), q.Answer+1)
		}
	}
}

type validator struct {
	problems []string
}

func (v *validator) addf(format string, args ...any) {
	v.problems = append(v.problems, fmt.Sprintf(format, args...))
}

// slug reports whether id is a lower-case ASCII slug; ids end up in Redis
// keys and in Telegram callback data, where anything else is a liability.
func (v *validator) slug(what, id string) bool {
	ok := id != "" && len(id) <= MaxIDLen && id[0] != '-' && id[len(id)-1] != '-'
	for i := 0; ok && i < len(id); i++ {
		c := id[i]
		ok = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-'
	}
	if !ok {
		v.addf("%s %q：id 只能由小写字母、数字和连字符组成，最长 %d 个字符。", what, id, MaxIDLen)
	}
	return ok
}

func (v *validator) text(where, field, s string, max int) {
	switch n := utf8.RuneCountInString(s); {
	case strings.TrimSpace(s) == "":
		v.addf("%s：%s为空。", where, field)
	case n > max:
		v.addf("%s：%s太长（%d 字，上限 %d 字）。", where, field, n, max)
	}
}

// phrases checks matching phrases. Keywords need two characters: a single
// character (比, 学, 超) occurs in far too many unrelated questions to claim
// one for the domain.
func (v *validator) phrases(where, field string, list []string, minRunes int) {
	seen := make(map[string]bool, len(list))
	for _, s := range list {
		switch {
		case utf8.RuneCountInString(s) < minRunes:
			v.addf("%s：%s %q 太短（至少 %d 个字）。", where, field, s, minRunes)
		case seen[s]:
			v.addf("%s：%s %q 重复。", where, field, s)
		}
		seen[s] = true
	}
}

func (v *validator) err() error {
	if len(v.problems) == 0 {
		return nil
	}
	shown := v.problems
	if len(shown) > maxReported {
		shown = shown[:maxReported]
	}
	msg := fmt.Sprintf("知识库有 %d 处问题：\n· %s", len(v.problems), strings.Join(shown, "\n· "))
	if len(v.problems) > maxReported {
		msg += fmt.Sprintf("\n……另有 %d 处未列出。", len(v.problems)-maxReported)
	}
	return communitybot.Errorf(communitybot.ErrInvalid, "%s", msg)
}
