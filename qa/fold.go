package qa

import (
	"strings"
	"unicode/utf8"
)

// Folding brings a normalized question closer to how the knowledge and the
// source write things, before anything is matched:
//
//   - Latin script: a run of letters made entirely of known words becomes
//     Chinese: pinyin spellings of domain terms and places (zhangmiao →
//     张庙, baoshan → 宝山, sitang → 泗塘, derived from the terms
//     themselves) and a small glossary of English words residents mix in
//     (five actions → 五大行动, signed by → 落款, who → 谁). Normalize has
//     removed the spaces, so a run is split greedily into known words; a
//     run with anything unknown in it (python, excel) is left alone.
//   - Homophones: a span that sounds like a domain term (folded pinyin, see
//     pinyin.go) and shares at least half of its characters with it is
//     rewritten to the term: 四塘一村 → 泗塘一村, 施勇根 → 施永根. Two-
//     character words are corrected only for names of places, where a
//     near-miss (章庙, 张苗) cannot mean anything else here; any other
//     two-character term has too many innocent homophones (新馆/新冠).

// vocabulary is what folding rewrites to. It is built by New from the
// knowledge base and is read-only afterwards.
type vocabulary struct {
	latin    map[string]string // Latin word → Chinese
	maxLatin int
	bySound  map[uint64][]vword // sound key of a word's first two characters
	words    map[string]bool
	maxRunes int
}

type vword struct {
	runes []rune
}

// minHomophoneRunes is the shortest word corrected by sound, except places.
const minHomophoneRunes = 3

func newVocabulary(words []string) *vocabulary {
	v := &vocabulary{latin: map[string]string{}, bySound: map[uint64][]vword{}, words: map[string]bool{}}
	addLatin := func(k, han string) {
		if _, taken := v.latin[k]; taken || k == "" {
			return
		}
		v.latin[k] = han
		v.maxLatin = max(v.maxLatin, len(k))
	}
	for k, han := range englishGlossary {
		addLatin(k, han)
	}
	places := map[string]bool{}
	for _, p := range ourPlaces {
		places[p] = true
	}
	seen := map[string]bool{}
	for _, w := range append(append([]string{}, ourPlaces...), words...) {
		if seen[w] || !allHan(w) {
			continue
		}
		seen[w] = true
		n := utf8.RuneCountInString(w)
		if n >= 2 {
			if sp, ok := latinSpelling(w); ok && len(sp) >= 5 {
				addLatin(sp, w)
			}
		}
		v.words[w] = true
		if n < minHomophoneRunes && !places[w] {
			continue
		}
		rs := []rune(w)
		seenKey := map[uint64]bool{}
		for _, k := range appendSoundKeys(nil, rs[0], rs[1]) {
			if !seenKey[k] {
				seenKey[k] = true
				v.bySound[k] = append(v.bySound[k], vword{runes: rs})
			}
		}
		v.maxRunes = max(v.maxRunes, n)
	}
	return v
}

func allHan(s string) bool {
	for _, r := range s {
		if r < 0x3400 {
			return false
		}
	}
	return s != ""
}

// fold applies both foldings to a normalized question.
func (v *vocabulary) fold(q string) string {
	if v == nil {
		return q
	}
	return v.homophones(v.latinWords(q))
}

// latinWords replaces every run of Latin letters (and digits inside it)
// that splits entirely into known words.
func (v *vocabulary) latinWords(q string) string {
	if !hasLetter(q) {
		return q
	}
	var b strings.Builder
	for i := 0; i < len(q); {
		c := q[i]
		if !isLowerAlnum(c) {
			_, n := utf8.DecodeRuneInString(q[i:])
			b.WriteString(q[i : i+n])
			i += n
			continue
		}
		j := i
		for j < len(q) && isLowerAlnum(q[j]) {
			j++
		}
		run := q[i:j]
		if han, ok := v.splitLatin(run); ok {
			b.WriteString(han)
		} else {
			b.WriteString(run)
		}
		i = j
	}
	return b.String()
}

// maxLatinRun bounds the runs tried: a word salad longer than a sentence
// is not a question in English.
const maxLatinRun = 60

func (v *vocabulary) splitLatin(run string) (string, bool) {
	if len(run) > maxLatinRun || !hasLetter(run) {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(run); {
		l := 0
		for n := min(v.maxLatin, len(run)-i); n >= 2; n-- {
			if han, ok := v.latin[run[i:i+n]]; ok {
				b.WriteString(han)
				l = n
				break
			}
		}
		if l == 0 {
			return "", false
		}
		i += l
	}
	return b.String(), true
}

func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

func hasLetter(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'a' && s[i] <= 'z' {
			return true
		}
	}
	return false
}

// homophones rewrites spans that sound like a vocabulary word.
func (v *vocabulary) homophones(q string) string {
	rs := []rune(q)
	changed := false
	var keys []uint64
	for i := 0; i+1 < len(rs); i++ {
		keys = appendSoundKeys(keys[:0], rs[i], rs[i+1])
		var best []rune
		for _, k := range keys {
			for _, w := range v.bySound[k] {
				if len(w.runes) > len(best) && soundsLike(rs[i:], w.runes) {
					best = w.runes
				}
			}
		}
		if best == nil || v.words[string(rs[i:i+len(best)])] {
			continue
		}
		copy(rs[i:], best)
		changed = true
		i += len(best) - 1
	}
	if !changed {
		return q
	}
	return string(rs)
}

// soundsLike reports whether the start of text sounds like w, differs from
// it, and keeps at least half of its characters.
func soundsLike(text, w []rune) bool {
	if len(text) < len(w) {
		return false
	}
	same := 0
	for i, r := range w {
		if !sameSound(text[i], r) {
			return false
		}
		if text[i] == r {
			same++
		}
	}
	return same < len(w) && 2*same >= len(w)
}
