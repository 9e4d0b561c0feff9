package study

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/content"
)

// AddUsage explains /addstudy's format to admins.
const AddUsage = `请按下面的格式发送（一条消息，每项一行；可以有多道题，每道题 2 到 4 个选项）：

/addstudy
标题：“五个张庙”
内容：“五个张庙”是美丽张庙、和谐张庙、宜居张庙、智慧张庙、活力张庙。
题目：下列哪一项属于“五个张庙”？
A. 宜居张庙
B. 文明张庙
答案：A
解析：宜居张庙是“五个张庙”之一。

内容请严格依据街道正式材料，不要加入材料以外的说法。`

// ParseItem reads an item in /addstudy's format (see AddUsage). It checks
// the form line by line; content.ValidateStudyItem checks the rest.
func ParseItem(text string) (communitybot.StudyItem, error) {
	if !strings.Contains(strings.TrimSpace(text), "\n") {
		// A whole item on one line ("标题：… 内容：… 题目：…") would be read
		// as one long title: an item needs at least five lines.
		return communitybot.StudyItem{}, communitybot.Errorf(communitybot.ErrInvalid,
			"学习内容要分行写：标题、内容、题目、每个选项、答案、解析各占一行（手机上直接换行；电脑上按 Shift+Enter 换行）。\n\n%s", AddUsage)
	}
	var it communitybot.StudyItem
	var q *communitybot.StudyQuestion
	var field *string // the field a continuation line extends
	sep := ""         // how a continuation joins it
	answerSet := false
	bad := func(line int, format string, args ...any) (communitybot.StudyItem, error) {
		return communitybot.StudyItem{}, communitybot.Errorf(communitybot.ErrInvalid, "第 %d 行："+format+"\n\n发送 /addstudy 可以查看格式。", append([]any{line}, args...)...)
	}
	finish := func(line int) error {
		if q != nil && !answerSet {
			_, err := bad(line, "第 %d 题还没有写“答案：”。", len(it.Questions))
			return err
		}
		return nil
	}
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	for i, raw := range lines {
		n := i + 1
		line := strings.TrimSpace(strings.Trim(raw, "\u3000"))
		if line == "" {
			if field == &it.Text && it.Text != "" {
				it.Text += "\n"
			}
			continue
		}
		if key, val, ok := cutKey(line); ok {
			switch key {
			case "标题":
				it.Title, field, sep = val, &it.Title, ""
			case "内容", "正文":
				it.Text, field, sep = val, &it.Text, "\n"
			case "题目", "问题":
				if err := finish(n); err != nil {
					return communitybot.StudyItem{}, err
				}
				it.Questions = append(it.Questions, communitybot.StudyQuestion{Prompt: val, Answer: -1})
				q = &it.Questions[len(it.Questions)-1]
				answerSet = false
				field, sep = &q.Prompt, ""
			case "答案":
				if q == nil {
					return bad(n, "“答案：”要写在题目和选项之后。")
				}
				idx, ok := optionIndex(val)
				if !ok || utf8.RuneCountInString(strings.TrimSpace(val)) != 1 {
					return bad(n, "答案请写选项字母，例如“答案：B”。")
				}
				q.Answer, answerSet, field = idx, true, nil
			case "解析":
				if q == nil {
					return bad(n, "“解析：”要写在题目之后。")
				}
				q.Explanation, field, sep = val, &q.Explanation, ""
			}
			continue
		}
		if idx, val, ok := cutOption(line); ok {
			if q == nil {
				return bad(n, "选项要写在“题目：”之后。")
			}
			if idx != len(q.Options) {
				return bad(n, "选项请按 A、B、C、D 的顺序逐行书写，这里应为 %s。", letter(len(q.Options)))
			}
			q.Options = append(q.Options, val)
			field, sep = &q.Options[len(q.Options)-1], ""
			continue
		}
		if field == nil {
			return bad(n, "看不懂“%s”。每一项请以“标题：”“内容：”“题目：”、选项字母（A.）、“答案：”或“解析：”开头。", clip(line, 20))
		}
		if *field != "" && !strings.HasSuffix(*field, "\n") {
			*field += sep
		}
		*field += line
	}
	if err := finish(len(lines)); err != nil {
		return communitybot.StudyItem{}, err
	}
	it.Text = strings.TrimSpace(it.Text)
	return it, nil
}

// cutKey splits "标题：…" (full-width or ASCII colon) into key and value.
func cutKey(line string) (key, val string, ok bool) {
	for _, k := range []string{"标题", "内容", "正文", "题目", "问题", "答案", "解析"} {
		if rest, found := strings.CutPrefix(line, k); found {
			for _, c := range []string{"：", ":"} {
				if v, found := strings.CutPrefix(strings.TrimSpace(rest), c); found {
					return k, strings.TrimSpace(v), true
				}
			}
		}
	}
	return "", "", false
}

// cutOption splits "A. 选项" (also A、 A． A: A） and full-width letters).
func cutOption(line string) (int, string, bool) {
	r, size := utf8.DecodeRuneInString(line)
	idx, ok := optionIndex(string(r))
	if !ok {
		return 0, "", false
	}
	rest := line[size:]
	for _, p := range []string{".", "．", "、", ":", "：", ")", "）", " "} {
		if v, found := strings.CutPrefix(rest, p); found {
			return idx, strings.TrimSpace(v), true
		}
	}
	return 0, "", false
}

// optionIndex maps A–D (either case, half- or full-width) to 0–3.
func optionIndex(s string) (int, bool) {
	s = strings.TrimSpace(s)
	r, _ := utf8.DecodeRuneInString(s)
	switch {
	case r >= 'A' && r <= 'D':
		return int(r - 'A'), true
	case r >= 'a' && r <= 'd':
		return int(r - 'a'), true
	case r >= 'Ａ' && r <= 'Ｄ':
		return int(r - 'Ａ'), true
	case r >= 'ａ' && r <= 'ｄ':
		return int(r - 'ａ'), true
	}
	return 0, false
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// AddItem parses, validates and stores an item an admin sent; members get
// it after the items they have not had yet. It returns the stored item
// (with its new id) and a confirmation with a preview.
func (s *Service) AddItem(ctx context.Context, text string) (communitybot.StudyItem, communitybot.Reply, error) {
	it, err := ParseItem(text)
	if err != nil {
		return it, communitybot.Reply{}, err
	}
	if err := content.ValidateStudyItem(it); err != nil {
		return it, communitybot.Reply{}, err
	}
	it, err = s.store.AddStudyItem(ctx, it)
	if err != nil {
		return it, communitybot.Reply{}, err
	}
	bank, err := s.Bank(ctx)
	if err != nil {
		return it, communitybot.Reply{}, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "✅ 已加入学习题库，编号 <code>%s</code>，共 %d 道题。题库现有 %d 条学习内容。\n\n预览：\n<b>%s</b>\n%s",
		esc(it.ID), len(it.Questions), len(bank), esc(it.Title), esc(it.Text))
	for i, q := range it.Questions {
		fmt.Fprintf(&b, "\n\n%d. %s\n💡 %s", i+1, questionWithMarks(q, -1), esc(q.Explanation))
	}
	fmt.Fprintf(&b, "\n\n如需删除：/delstudy %s", esc(it.ID))
	return it, communitybot.Reply{Text: b.String()}, nil
}

// DeleteItem removes an item added in the bot. Items of the content file
// are changed in the file.
func (s *Service) DeleteItem(ctx context.Context, id string) error {
	id = strings.TrimSpace(id)
	if id == "" {
		return communitybot.Errorf(communitybot.ErrInvalid, "请写要删除的题目编号，例如：/delstudy add-3。发送 /studylist 可以查看编号。")
	}
	if !strings.HasPrefix(id, content.AddedStudyPrefix) {
		return communitybot.Errorf(communitybot.ErrInvalid, "只能删除在机器人里添加的题目（编号以 %s 开头）。内容文件里的题目请修改文件后重新加载。", content.AddedStudyPrefix)
	}
	ok, err := s.store.DeleteStudyItem(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		return communitybot.Errorf(communitybot.ErrNotFound, "没有编号为 %s 的题目。发送 /studylist 可以查看编号。", id)
	}
	return nil
}

// List is /studylist: every item with its id, in the order members get
// them.
func (s *Service) List(ctx context.Context) (communitybot.Reply, error) {
	bank, err := s.Bank(ctx)
	if err != nil {
		return communitybot.Reply{}, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "📚 <b>学习题库</b>：共 %d 条，按推送顺序排列\n", len(bank))
	for i, it := range bank {
		fmt.Fprintf(&b, "\n%d. <code>%s</code> %s（%d 题）", i+1, esc(it.ID), esc(it.Title), len(it.Questions))
	}
	fmt.Fprintf(&b, "\n\n编号以 %s 开头的是在机器人里添加的，可用 /delstudy 删除；添加新题请发送 /addstudy。", content.AddedStudyPrefix)
	return communitybot.Reply{Text: b.String()}, nil
}
