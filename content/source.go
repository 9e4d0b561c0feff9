package content

import (
	_ "embed"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The newsletter page the knowledge file was written from, as it was
// extracted from the printed page: lines break inside words, the layout
// adds spaces, a column break can fall in the middle of a sentence, and the
// title line has every character doubled (bold type extracted twice). It is
// embedded so that the Q&A can quote the source itself where no curated
// topic fits (package qa indexes its sentences).
//
//go:embed newsletter-2021.txt
var newsletterRaw string

// NewsletterRaw returns the newsletter page exactly as extracted.
func NewsletterRaw() string { return newsletterRaw }

// SourceName is how replies attribute a quote from the newsletter.
const SourceName = "简报原文"

// Source is a text rebuilt as running text and cut into sentences, each
// with its position.
type Source struct {
	Sentences []Sentence
	Sections  []Section
}

// Sentence is one sentence of a Source. Text keeps the source's punctuation
// (simplified, as printed) with the layout's spaces and line breaks removed.
type Sentence struct {
	Text    string
	Index   int  // position in the whole source, from 0
	Section int  // index into Source.Sections
	Title   bool // the page's title line (比学赶超新征程　扬帆起航再出发)
	// Paragraph counts the source's paragraphs from 0: a blank line after
	// a sentence's end starts a new one (a column break inside a sentence
	// does not). A speech goes on to the end of its paragraph.
	Paragraph int
}

// Section is a part of a source with its own beginning and end: the
// newsletter has an article and a letter (「同志们、朋友们：」 … signed
// 「张庙街道党工委、办事处」). First and Last are sentence indexes.
type Section struct {
	Letter      bool // opens with a salutation line (…：)
	First, Last int
}

// Newsletter returns the embedded newsletter rebuilt as running text.
func Newsletter() *Source { return ParseSource(newsletterRaw) }

// ParseSource rebuilds running text from a page extracted line by line:
//
//   - a line whose characters all come in identical pairs (比比学学…) is
//     collapsed to single characters;
//   - line breaks and layout spaces are removed (a space is kept only
//     between two Latin letters or digits);
//   - a sentence ends at 。！？ (with any closing quote after them), at the
//     end of the title line, and at a salutation (a paragraph of one line
//     ending in ：), which also starts a new section;
//   - a blank line ends a sentence only where the text before it already
//     ended one: column breaks fall mid-sentence.
func ParseSource(raw string) *Source {
	src := &Source{}
	paras := paragraphs(raw)
	var cur strings.Builder
	section, para := 0, 0
	src.Sections = append(src.Sections, Section{})
	flush := func() {
		s := strings.TrimSpace(cur.String())
		cur.Reset()
		if s == "" {
			return
		}
		src.Sentences = append(src.Sentences, Sentence{Text: s, Index: len(src.Sentences), Section: section, Paragraph: para})
	}
	for pi, lines := range paras {
		if pi > 0 && strings.TrimSpace(cur.String()) == "" {
			para++ // the text before the blank line ended a sentence
		}
		if pi == 0 && doubled(lines[0]) {
			cur.WriteString(undouble(lines[0]))
			flush()
			src.Sentences[len(src.Sentences)-1].Title = true
			if lines = lines[1:]; len(lines) == 0 {
				continue
			}
		}
		if len(lines) == 1 && strings.HasSuffix(strings.TrimSpace(lines[0]), "：") && utf8.RuneCountInString(lines[0]) <= 20 {
			flush()
			if len(src.Sentences) > 0 {
				src.Sections[section].Last = len(src.Sentences) - 1
				section++
				src.Sections = append(src.Sections, Section{Letter: true, First: len(src.Sentences)})
			}
			cur.WriteString(squeezeLayout(lines[0]))
			flush()
			continue
		}
		for _, line := range lines {
			appendJoined(&cur, squeezeLayout(line))
			// Split what has accumulated at sentence ends.
			text := cur.String()
			cur.Reset()
			for {
				i := sentenceEnd(text)
				if i < 0 {
					break
				}
				cur.WriteString(text[:i])
				flush()
				text = text[i:]
			}
			cur.WriteString(text)
		}
		if pi == len(paras)-1 {
			flush()
		}
	}
	flush()
	src.Sections[section].Last = len(src.Sentences) - 1
	return src
}

// Text returns the whole source as running text, sentences joined.
func (s *Source) Text() string {
	var b strings.Builder
	for _, sn := range s.Sentences {
		b.WriteString(sn.Text)
	}
	return b.String()
}

// paragraphs splits raw into runs of non-blank lines.
func paragraphs(raw string) [][]string {
	var out [][]string
	var cur []string
	for _, line := range strings.Split(strings.ReplaceAll(raw, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			if len(cur) > 0 {
				out = append(out, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, line)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// appendJoined appends s to b, keeping one space between two Latin words
// that a line break separated.
func appendJoined(b *strings.Builder, s string) {
	if b.Len() > 0 && s != "" {
		last, _ := utf8.DecodeLastRuneInString(b.String())
		first, _ := utf8.DecodeRuneInString(s)
		if isLatin(last) && isLatin(first) {
			b.WriteByte(' ')
		}
	}
	b.WriteString(s)
}

// squeezeLayout removes spaces, except one between two Latin letters or
// digits.
func squeezeLayout(s string) string {
	runes := []rune(strings.TrimSpace(s))
	var b strings.Builder
	for i, r := range runes {
		if unicode.IsSpace(r) {
			if i > 0 && i+1 < len(runes) && isLatin(runes[i-1]) && isLatin(runes[i+1]) && isLetter(runes[i-1]) && isLetter(runes[i+1]) {
				b.WriteByte(' ')
			}
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isLatin(r rune) bool  { return r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)) }
func isLetter(r rune) bool { return r < utf8.RuneSelf && unicode.IsLetter(r) }

// sentenceEnd returns the byte offset just after the first sentence end in
// s (。！？ and any closing quotes after it), or -1.
func sentenceEnd(s string) int {
	for i, r := range s {
		if r != '。' && r != '！' && r != '？' {
			continue
		}
		j := i + utf8.RuneLen(r)
		for j < len(s) {
			q, n := utf8.DecodeRuneInString(s[j:])
			if q != '”' && q != '’' && q != '」' && q != '）' {
				break
			}
			j += n
		}
		return j
	}
	return -1
}

// doubled reports whether every non-space character of line comes twice in
// a row (比比学学赶赶超超).
func doubled(line string) bool {
	var rs []rune
	for _, r := range line {
		if !unicode.IsSpace(r) {
			rs = append(rs, r)
		}
	}
	if len(rs) < 4 || len(rs)%2 != 0 {
		return false
	}
	for i := 0; i < len(rs); i += 2 {
		if rs[i] != rs[i+1] {
			return false
		}
	}
	return true
}

// undouble collapses each doubled pair; a space between halves becomes a
// full-width space, as a printed title separates its two lines.
func undouble(line string) string {
	var b strings.Builder
	var prev rune = -1
	for _, r := range strings.TrimSpace(line) {
		switch {
		case unicode.IsSpace(r):
			b.WriteRune('　')
			prev = -1
		case r == prev:
			prev = -1
		default:
			b.WriteRune(r)
			prev = r
		}
	}
	return b.String()
}
