package staff

import (
	"context"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/qa"
)

// token is one whitespace-separated word of a command's arguments, with
// its place in the original text, so that free text after it (a note, an
// answer) keeps its own spacing and line breaks.
type token struct {
	text       string
	start, end int // byte offsets in the arguments
}

func tokenize(s string) []token {
	var out []token
	start := -1
	for i, r := range s {
		if unicode.IsSpace(r) {
			if start >= 0 {
				out = append(out, token{s[start:i], start, i})
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out = append(out, token{s[start:], start, len(s)})
	}
	return out
}

// parseProgress reads a percentage: "60%", "60％", "进度60%", "约60%".
// ok is false when the token is not a percentage at all. A percentage that
// is not a whole number from 0 to 100 ("50.5%", "150%", "很多%") is an
// error, never silently taken as part of the note.
func parseProgress(tok string) (n int, ok bool, err error) {
	t := strings.TrimPrefix(strings.TrimPrefix(tok, "进度"), "约")
	var num string
	switch {
	case strings.HasSuffix(t, "%"):
		num = strings.TrimSuffix(t, "%")
	case strings.HasSuffix(t, "％"):
		num = strings.TrimSuffix(t, "％")
	default:
		return 0, false, nil
	}
	v, isInt := wholeNumber(num)
	if !isInt || v < 0 || v > 100 {
		return 0, true, communitybot.Errorf(communitybot.ErrInvalid, "进度应为 0 到 100 之间的整数（例如 60%%），收到的是“%s”。", truncate(tok, 20))
	}
	return v, true, nil
}

// parseBareProgress reads a progress written without the percent sign
// ("60"): a whole number from 0 to 100, digits only. Anything else is not
// a progress (ok is false) and belongs to the note.
func parseBareProgress(tok string) (n int, ok bool) {
	v, isInt := wholeNumber(tok)
	if !isInt || v < 0 || v > 100 {
		return 0, false
	}
	return v, true
}

// wholeNumber reads a non-negative integer written in ASCII or full-width
// digits, and nothing else ("-1", "50.5", "六十" are not).
func wholeNumber(s string) (int, bool) {
	if s == "" || utf8.RuneCountInString(s) > 9 {
		return 0, false
	}
	v := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			v = v*10 + int(r-'0')
		case r >= '０' && r <= '９':
			v = v*10 + int(r-'０')
		default:
			return 0, false
		}
	}
	return v, true
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// resolveProject finds a project by its number ("4", "4号", "第4个"), id,
// exact name or alias. Unlike the residents' /project, it never guesses
// from a description: an admin command must change exactly the project
// meant, or nothing.
func resolveProject(ctx context.Context, st projectStore, ref string) (communitybot.Project, error) {
	ref = strings.TrimSpace(ref)
	list, err := st.Projects(ctx)
	if err != nil {
		return communitybot.Project{}, internal("list projects", err)
	}
	norm := qa.Normalize(ref)
	num := strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(norm, "第"), "个"), "号")
	if n, err := strconv.Atoi(num); err == nil {
		for _, p := range list {
			if p.Number == n {
				return p, nil
			}
		}
		return communitybot.Project{}, communitybot.Errorf(communitybot.ErrNotFound, "没有编号为 %d 的项目。发送 /projects 可查看全部项目和编号。", n)
	}
	if norm != "" {
		for _, p := range list {
			if norm == qa.Normalize(p.ID) || norm == qa.Normalize(p.Name) {
				return p, nil
			}
		}
		for _, p := range list {
			for _, al := range p.Aliases {
				if norm == qa.Normalize(al) {
					return p, nil
				}
			}
		}
	}
	return communitybot.Project{}, communitybot.Errorf(communitybot.ErrNotFound,
		"没有找到项目“%s”。请使用项目编号或完整名称（发送 /projects 查看），例如 /setstatus 4 推进中 60%% 说明。", truncate(ref, 30))
}

// splitProjectAndText splits "<project> <text>" where the project may be
// several words: the longest leading run of words that names a project
// wins. It returns the project and the text after it (possibly empty).
func splitProjectAndText(ctx context.Context, st projectStore, args string) (communitybot.Project, string, error) {
	toks := tokenize(args)
	if len(toks) == 0 {
		return communitybot.Project{}, "", errNoProject
	}
	var firstErr error
	for k := len(toks); k >= 1; k-- {
		p, err := resolveProject(ctx, st, args[:toks[k-1].end])
		if err == nil {
			return p, strings.TrimSpace(args[toks[k-1].end:]), nil
		}
		if _, safe := communitybot.UserMessage(err); !safe {
			return communitybot.Project{}, "", err
		}
		if k == 1 {
			firstErr = err
		}
	}
	return communitybot.Project{}, "", firstErr
}

var errNoProject = communitybot.Errorf(communitybot.ErrInvalid, "请写上项目编号或名称。发送 /projects 可查看全部项目。")

// splitList splits aliases written as "甲、乙，丙" or "甲,乙;丙".
func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune("、,，;；/", r) }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// mustMessage returns the user-safe message of an error made with
// communitybot.Errorf.
func mustMessage(err error) string {
	msg, _ := communitybot.UserMessage(err)
	return msg
}
