package web

import (
	"html"
	"strings"

	"github.com/zhangmiao/communitybot"
)

// Node is a piece of a rendered message for the page: a text (Tag empty)
// or an element of the small subset replies use (b, i, u, s, code, pre,
// a, blockquote) with its children. The page builds DOM nodes from it with
// createElement and textContent, never from HTML, so nothing a resident,
// a staff member or an announcement typed can become markup.
type Node struct {
	Tag  string `json:"tag,omitempty"`
	Text string `json:"text,omitempty"`
	Href string `json:"href,omitempty"` // a only; http(s) URLs only
	Kids []Node `json:"kids,omitempty"`
}

// allowed maps the Telegram HTML tags a Reply may use to what the page
// renders; everything else is dropped, its text kept.
var allowed = map[string]string{
	"b": "b", "strong": "b", "i": "i", "em": "i", "u": "u", "ins": "u",
	"s": "s", "strike": "s", "del": "s", "code": "code", "pre": "pre",
	"a": "a", "blockquote": "blockquote",
}

// Render turns a Reply's text (Telegram's HTML subset, with every outside
// value escaped by whoever built it) into nodes. It never fails: a stray
// '<' is text, an unknown tag is dropped with its text kept, an unclosed
// tag ends with the text, and an href that is not http(s) is dropped.
func Render(text string) []Node {
	root := &Node{}
	stack := []*Node{root}
	top := func() *Node { return stack[len(stack)-1] }
	addText := func(s string) {
		if s == "" {
			return
		}
		s = html.UnescapeString(s)
		p := top()
		if n := len(p.Kids); n > 0 && p.Kids[n-1].Tag == "" {
			p.Kids[n-1].Text += s
			return
		}
		p.Kids = append(p.Kids, Node{Text: s})
	}
	for text != "" {
		i := strings.IndexByte(text, '<')
		if i < 0 {
			addText(text)
			break
		}
		addText(text[:i])
		text = text[i:]
		j := strings.IndexByte(text, '>')
		if j < 0 {
			addText(text)
			break
		}
		tag, rest := text[1:j], text[j+1:]
		closing := strings.HasPrefix(tag, "/")
		name, attrs, _ := strings.Cut(strings.TrimPrefix(tag, "/"), " ")
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" || strings.ContainsAny(name, "<\"'=") {
			addText(text[:1]) // not a tag: a literal '<'
			text = text[1:]
			continue
		}
		text = rest
		mapped, ok := allowed[name]
		if !ok {
			continue // unknown tag: dropped, its content stays as text
		}
		if closing {
			// Close the innermost open element of that kind (and what
			// is open inside it); a stray closing tag is ignored.
			for k := len(stack) - 1; k > 0; k-- {
				if stack[k].Tag == mapped {
					stack = stack[:k]
					break
				}
			}
			continue
		}
		n := Node{Tag: mapped}
		if mapped == "a" {
			n.Href = safeHref(attr(attrs, "href"))
		}
		p := top()
		p.Kids = append(p.Kids, n)
		stack = append(stack, &p.Kids[len(p.Kids)-1])
	}
	return root.Kids
}

// attr reads one double-quoted attribute, as Telegram HTML writes them.
func attr(attrs, name string) string {
	i := strings.Index(attrs, name+`="`)
	if i < 0 {
		return ""
	}
	v := attrs[i+len(name)+2:]
	if j := strings.IndexByte(v, '"'); j >= 0 {
		return html.UnescapeString(v[:j])
	}
	return ""
}

func safeHref(h string) string {
	h = strings.TrimSpace(h)
	l := strings.ToLower(h)
	if strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://") {
		return h
	}
	return ""
}

// PlainText is the text of nodes without markup (tests, logs).
func PlainText(nodes []Node) string {
	var b strings.Builder
	var walk func([]Node)
	walk = func(ns []Node) {
		for _, n := range ns {
			b.WriteString(n.Text)
			walk(n.Kids)
		}
	}
	walk(nodes)
	return b.String()
}

// Chip is a reply button as the page shows it.
type Chip struct {
	Label string `json:"label"`
	Data  string `json:"data"`
}

func chips(rows [][]communitybot.Button) [][]Chip {
	var out [][]Chip
	for _, row := range rows {
		var r []Chip
		for _, b := range row {
			r = append(r, Chip{Label: b.Text, Data: b.Data})
		}
		if len(r) > 0 {
			out = append(out, r)
		}
	}
	return out
}
