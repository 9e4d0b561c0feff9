package qa

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Folding brings a question closer to how the knowledge and the source
// write things, before anything is matched:
//
//   - Latin script, read before Normalize removes the spaces so that word
//     boundaries are known. A phrase of Latin words becomes Chinese by the
//     cheapest reading of all of it (latinDP): English words of a domain
//     glossary (positionings → 定位, five actions → 五大行动, who → 谁,
//     plurals derived), Hanyu Pinyin with or without tones and spaces
//     (dang gongwei shuji shi shui → 党工委书记是谁; wǔ gè zhāngmiào →
//     五个张庙) spelled by the corpus's own words (terms, names, the
//     sources' character n-grams) and the common question words, and
//     the knowledge's ASCII terms kept as they are (ok, hello). A word
//     nothing reads is kept as typed (python, excel), so an off-topic
//     question stays off-topic.
//   - Homophones: a span that sounds like a domain term (folded pinyin, see
//     pinyin.go) and shares at least half of its characters with it is
//     rewritten to the term: 四塘一村 → 泗塘一村, 施勇根 → 施永根. Two-
//     character words are corrected only for names of places, where a
//     near-miss (章庙, 张苗) cannot mean anything else here; any other
//     two-character term has too many innocent homophones (新馆/新冠).

// vocabulary is what folding rewrites to. It is built by New from the
// knowledge base and the sources, and is read-only afterwards.
type vocabulary struct {
	latin    map[string]latinWord // Latin spelling (lower case, no spaces) → reading
	maxLatin int
	bySound  map[uint64][]vword // sound key of a word's first two characters
	words    map[string]bool
	maxRunes int
}

// latinWord is one way to read a Latin spelling. A spelling can have an
// English reading and a pinyin one (he: 和); the DP tries both.
type latinWord struct {
	english string // glossary reading, when the spelling is an English word
	isEng   bool
	pinyin  string // pinyin reading: a word of the corpus or a question word
	pyRunes int
	keep    bool // an ASCII term of the knowledge: kept as typed
}

type vword struct {
	runes []rune
}

// minHomophoneRunes is the shortest word corrected by sound, except places.
const minHomophoneRunes = 3

// Harvesting the sources' n-grams for pinyin stops after this many
// characters: a synthetic corpus of 10,000 sentences must not make every
// build (each /learn) slow, and the newsletter is read first.
const maxHarvestRunes = 60000

func newVocabulary(words []string, asciiTerms []string, sources []Source) *vocabulary {
	v := &vocabulary{latin: map[string]latinWord{}, bySound: map[uint64][]vword{}, words: map[string]bool{}}
	for k, han := range glossary() {
		lw := v.latin[k]
		lw.english, lw.isEng = han, true
		v.latin[k] = lw
		v.maxLatin = max(v.maxLatin, len(k))
	}
	for _, t := range asciiTerms {
		lw := v.latin[t]
		lw.keep = true
		v.latin[t] = lw
		v.maxLatin = max(v.maxLatin, len(t))
	}
	// Pinyin spellings, the first one added for a spelling wins: question
	// words, then the knowledge's terms, then the sources' n-grams by
	// frequency.
	addPinyin := func(sp, han string) {
		if sp == "" {
			return
		}
		lw := v.latin[sp]
		if lw.pinyin != "" {
			return
		}
		lw.pinyin, lw.pyRunes = han, utf8.RuneCountInString(han)
		v.latin[sp] = lw
		v.maxLatin = max(v.maxLatin, len(sp))
	}
	for _, w := range pinyinQuestionWords() {
		for _, sp := range allSpellings(w) {
			addPinyin(sp, w)
		}
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
		if sp, ok := latinSpelling(w); ok && n >= 2 {
			addPinyin(sp, w)
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
	grams, chars := harvest(sources)
	for _, g := range grams {
		if sp, ok := latinSpelling(g); ok {
			addPinyin(sp, g)
		}
	}
	// Single syllables: the particles residents type, then the source's
	// most frequent character of each reading.
	for sp, han := range pinyinParticles {
		addPinyin(sp, han)
	}
	for _, c := range chars {
		if sp, ok := latinSpelling(string(c)); ok {
			addPinyin(sp, string(c))
		}
	}
	return v
}

// harvest returns the sources' Han n-grams of two to four characters,
// most frequent first, and their characters, most frequent first.
func harvest(sources []Source) (grams []string, chars []rune) {
	count := map[string]int{}
	ccount := map[rune]int{}
	budget := maxHarvestRunes
	for _, s := range sources {
		if s.Text == nil {
			continue
		}
		for _, sn := range s.Text.Sentences {
			if budget <= 0 {
				break
			}
			for _, run := range strings.FieldsFunc(sn.Text, func(r rune) bool { return !unicode.Is(unicode.Han, r) }) {
				rs := []rune(run)
				budget -= len(rs)
				for i := range rs {
					ccount[rs[i]]++
					for n := 2; n <= 4 && i+n <= len(rs); n++ {
						count[string(rs[i:i+n])]++
					}
				}
			}
		}
	}
	for g := range count {
		grams = append(grams, g)
	}
	slices.SortFunc(grams, func(a, b string) int { return cmp.Or(cmp.Compare(count[b], count[a]), cmp.Compare(a, b)) })
	for c := range ccount {
		chars = append(chars, c)
	}
	slices.SortFunc(chars, func(a, b rune) int { return cmp.Or(cmp.Compare(ccount[b], ccount[a]), cmp.Compare(a, b)) })
	return grams, chars
}

func allHan(s string) bool {
	for _, r := range s {
		if r < 0x3400 {
			return false
		}
	}
	return s != ""
}

// fold applies both foldings to a question as typed and normalizes it.
func (v *vocabulary) fold(q string) string {
	if v == nil {
		return Normalize(q)
	}
	return v.homophones(foldColloquial(Normalize(v.latinText(q))))
}

// colloquial is colloquialFolds and everydayWords as one phrase table, in
// Normalize form.
var colloquial = newPhraseTable(foldTable())

func foldTable() map[string]string {
	m := make(map[string]string, len(colloquialFolds)+len(everydayWords))
	for k, v := range everydayWords {
		m[Normalize(k)] = Normalize(v)
	}
	for k, v := range colloquialFolds {
		m[k] = v
	}
	return m
}

// phraseTable rewrites phrases, the longest match first at each position.
type phraseTable struct {
	m        map[string]string
	first    map[rune]bool // first runes of the keys: others are skipped at once
	maxRunes int
}

func newPhraseTable(m map[string]string) phraseTable {
	t := phraseTable{m: m, first: map[rune]bool{}}
	for k := range m {
		r, _ := utf8.DecodeRuneInString(k)
		t.first[r] = true
		t.maxRunes = max(t.maxRunes, utf8.RuneCountInString(k))
	}
	return t
}

// touches reports whether s has a rune that starts a phrase of t or is
// one of extra.
func (t phraseTable) touches(s, extra string) bool {
	for _, r := range s {
		if t.first[r] || strings.ContainsRune(extra, r) {
			return true
		}
	}
	return false
}

// at returns the byte length and replacement of the longest phrase at
// byte offset i of s (off holds the rune offsets from i on), or 0.
func (t phraseTable) at(s string, off []int) (int, string) {
	if r, _ := utf8.DecodeRuneInString(s[off[0]:]); !t.first[r] {
		return 0, ""
	}
	for l := min(t.maxRunes, len(off)-1); l >= 1; l-- {
		if to, ok := t.m[s[off[0]:off[l]]]; ok {
			return off[l] - off[0], to
		}
	}
	return 0, ""
}

// replace rewrites every phrase of t in s, the longest first at each
// position; s itself when nothing is rewritten (most questions: nothing is
// allocated).
func (t phraseTable) replace(s string) string {
	if !t.touches(s, "") {
		return s
	}
	q := newQuery(s)
	var b strings.Builder
	changed := false
	for i := 0; i < q.n; {
		if l, to := t.at(s, q.off[i:]); l > 0 {
			if !changed {
				b.WriteString(s[:q.off[i]])
				changed = true
			}
			b.WriteString(to)
			i += utf8.RuneCountInString(s[q.off[i] : q.off[i]+l])
			continue
		}
		if changed {
			b.WriteString(s[q.off[i]:q.off[i+1]])
		}
		i++
	}
	if !changed {
		return s
	}
	return b.String()
}

// foldColloquial rewrites dialect and colloquial words of a normalized
// question into standard ones (colloquialFolds), 伐 after a verb or
// adjective into 吗, a final 嘛 away, 搞 before an activity into 开展, and
// a bare year (2021是) into 2021年.
func foldColloquial(s string) string {
	if !colloquial.touches(s, "伐嘛搞12") {
		return s // most questions: nothing to rewrite, nothing allocated
	}
	q := newQuery(s)
	rs := []rune(s)
	var b strings.Builder
	changed := false
	for i := 0; i < q.n; {
		if l, to := colloquial.at(s, q.off[i:]); l > 0 {
			n := utf8.RuneCountInString(s[q.off[i] : q.off[i]+l])
			changed = changed || to != s[q.off[i]:q.off[i]+l]
			b.WriteString(to)
			i += n
			continue
		}
		switch r := rs[i]; {
		case r == '伐' && i > 0 && strings.ContainsRune(faAfter, rs[i-1]):
			b.WriteString("吗")
			changed = true
		case r == '嘛' && i == len(rs)-1 && i > 0 && !strings.ContainsRune("干啥做", rs[i-1]):
			changed = true
		case r == '搞' && activityFollows(rs[i+1:]):
			b.WriteString("开展")
			changed = true
		case bareYear(rs, i):
			// 2021是啥年份: a year written without 年 is still the year.
			b.WriteString(string(rs[i:i+4]) + "年")
			changed = true
			i += 4
			continue
		default:
			b.WriteRune(r)
		}
		i++
	}
	if !changed {
		return s
	}
	return b.String()
}

// activityFollows reports whether one of activityWords starts within the
// next few runes (搞这个活动, 搞比学赶超).
func activityFollows(rs []rune) bool {
	head := string(rs[:min(len(rs), 8)])
	for _, w := range activityWords {
		if strings.Contains(head, w) {
			return true
		}
	}
	return false
}

// maxLatinPhrase bounds the phrases read: a word salad longer than a few
// sentences is not a question.
const maxLatinPhrase = 200

// latinText replaces every phrase of Latin words in s (letters, digits,
// tone marks, with spaces and apostrophes between words) by its reading.
func (v *vocabulary) latinText(s string) string {
	if !hasASCIILetterOrMark(s) {
		return s
	}
	s = norm.NFKC.String(s)
	var b strings.Builder
	rs := []rune(s)
	for i := 0; i < len(rs); {
		if !isLatinRune(rs[i]) {
			b.WriteRune(rs[i])
			i++
			continue
		}
		j := i
		for j < len(rs) && (isLatinRune(rs[j]) || isLatinJoiner(rs[j]) && j+1 < len(rs) && isLatinRune(rs[j+1])) {
			j++
		}
		b.WriteString(v.readPhrase(string(rs[i:j])))
		i = j
	}
	return b.String()
}

func hasASCIILetterOrMark(s string) bool {
	for _, r := range s {
		if r < utf8.RuneSelf && unicode.IsLetter(r) || r >= 0xC0 && r < 0x250 || r >= 0xFF21 && r <= 0xFF5A {
			return true
		}
	}
	return false
}

// isLatinRune reports a letter or digit of the Latin script (tone marks
// included: ǎ, ü).
func isLatinRune(r rune) bool {
	return r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') || r >= 0xC0 && r < 0x250 && unicode.IsLetter(r)
}

// isLatinJoiner may stand between two Latin words of one phrase.
func isLatinJoiner(r rune) bool { return r == ' ' || r == '\'' || r == '’' || r == '-' || r == '\t' }

// plainLatin lower-cases a Latin word and removes its tone marks (ü → v).
func plainLatin(w string) string {
	w = strings.ToLower(w)
	if isPlainASCII(w) {
		return w
	}
	w = strings.ReplaceAll(strings.ReplaceAll(w, "ü", "v"), "ǖ", "v")
	var b strings.Builder
	for _, c := range norm.NFD.String(w) {
		if unicode.Is(unicode.Mn, c) {
			continue
		}
		if c == 'ü' {
			c = 'v'
		}
		b.WriteRune(c)
	}
	return b.String()
}

func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// stripToneDigits removes tone numbers from a word written zhang1miao4:
// digits 1 to 5 after a letter, if one of them is followed by a letter
// (so mp3 and covid19 keep theirs).
func stripToneDigits(w string) string {
	internal := false
	for i := 1; i+1 < len(w); i++ {
		if w[i] >= '1' && w[i] <= '5' && isLetterByte(w[i-1]) && isLetterByte(w[i+1]) {
			internal = true
			break
		}
	}
	if !internal {
		return w
	}
	var b strings.Builder
	for i := 0; i < len(w); i++ {
		if w[i] >= '1' && w[i] <= '5' && i > 0 && isLetterByte(w[i-1]) {
			continue
		}
		b.WriteByte(w[i])
	}
	return b.String()
}

func isLetterByte(c byte) bool { return c >= 'a' && c <= 'z' }

// readPhrase reads one phrase of Latin words; it returns the phrase
// unchanged (spaces dropped) when nothing in it is known.
func (v *vocabulary) readPhrase(phrase string) string {
	if len(phrase) > maxLatinPhrase {
		return phrase
	}
	words := strings.FieldsFunc(phrase, func(r rune) bool { return !isLatinRune(r) })
	var joined strings.Builder
	bounds := []int{0}
	for _, w := range words {
		joined.WriteString(stripToneDigits(plainLatin(w)))
		bounds = append(bounds, joined.Len())
	}
	text := joined.String()
	if !hasLetter(text) {
		return phrase
	}
	out, ok := v.latinDP(text, bounds, true)
	if !ok {
		out, ok = v.latinDP(text, bounds, false)
	}
	if !ok {
		return phrase
	}
	return out
}

// Costs of the readings in latinDP: the reading with the fewest, longest
// known words wins; a pinyin syllable alone is a weak reading, a word kept
// as typed the last resort.
const (
	costWord       = 1.0
	costKeepTerm   = 0.9
	costParticle   = 2.0
	costSyllable   = 3.0
	costKeepWord   = 4.0
	maxLatinTokens = 64
)

// latinDP reads text (the phrase's words joined, bounds their offsets) as
// the cheapest sequence of readings. English glossary words and kept
// words must start and end on word boundaries; pinyin may run across
// and within words (zhangmiao, shi yong gen). With pinyin, a reading is
// accepted only if it uses at least one pinyin word of two or more
// characters: a lone syllable (he, you, men) is more likely English.
// ok is false when the reading changes nothing.
func (v *vocabulary) latinDP(text string, bounds []int, pinyin bool) (string, bool) {
	n := len(text)
	isBound := make([]bool, n+1)
	nextBound := make([]int, n+1)
	for _, b := range bounds {
		isBound[b] = true
	}
	nb := n
	for i := n; i >= 0; i-- {
		if isBound[i] {
			nb = i
		}
		nextBound[i] = nb
	}
	type step struct {
		cost   float64
		from   int
		out    string
		pyWord bool // a pinyin word of 2+ characters on the way here
		known  bool // something other than a kept word
	}
	best := make([]step, n+1)
	for i := 1; i <= n; i++ {
		best[i].cost = math.Inf(1)
	}
	relax := func(i, j int, c float64, out string, pyWord, known bool) {
		nc := best[i].cost + c
		if nc < best[j].cost-1e-9 {
			best[j] = step{cost: nc, from: i, out: out, pyWord: best[i].pyWord || pyWord, known: best[i].known || known}
		}
	}
	for i := 0; i < n; i++ {
		if math.IsInf(best[i].cost, 1) {
			continue
		}
		if isBound[i] {
			// The whole word as typed.
			j := nextBound[i+1]
			w := text[i:j]
			relax(i, j, costKeepWord, w, false, false)
		}
		for l := 1; l <= v.maxLatin && i+l <= n; l++ {
			lw, ok := v.latin[text[i:i+l]]
			if !ok {
				continue
			}
			j := i + l
			if isBound[i] && isBound[j] {
				if lw.keep {
					// "thank you" is small talk, kept as typed; in a
					// sentence of English (What did they thank us for)
					// the glossary's reading of the word beats it.
					c := costKeepTerm
					if lw.isEng && len(bounds) > 3 {
						c = costWord + 0.05
					}
					relax(i, j, c, text[i:j], false, true)
				}
				if lw.isEng {
					relax(i, j, costWord, lw.english, false, true)
				}
			}
			if pinyin && lw.pinyin != "" {
				switch {
				case lw.pyRunes >= 2:
					relax(i, j, costWord, lw.pinyin, true, true)
				case pinyinParticles[text[i:j]] != "":
					relax(i, j, costParticle, lw.pinyin, false, true)
				default:
					relax(i, j, costSyllable, lw.pinyin, false, true)
				}
			}
		}
	}
	if math.IsInf(best[n].cost, 1) || !best[n].known || pinyin && !best[n].pyWord {
		return "", false
	}
	var parts []string
	for j := n; j > 0; j = best[j].from {
		parts = append(parts, best[j].out)
		if len(parts) > maxLatinTokens*4 {
			return "", false
		}
	}
	slices.Reverse(parts)
	return strings.Join(parts, ""), true
}

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

// bareYear reports whether rs[i:i+4] is a year of this or the last
// century written alone (2021是, 2020怎么样), not a part of a longer number
// or word, nor already followed by 年 or a unit.
func bareYear(rs []rune, i int) bool {
	if i+4 > len(rs) || !(rs[i] == '1' && rs[i+1] == '9' || rs[i] == '2' && rs[i+1] == '0') {
		return false
	}
	for _, r := range rs[i : i+4] {
		if r < '0' || r > '9' {
			return false
		}
	}
	if i > 0 && rs[i-1] < utf8.RuneSelf {
		return false // covid2019, 12020
	}
	if i+4 == len(rs) {
		return true
	}
	next := rs[i+4]
	return next >= utf8.RuneSelf && !strings.ContainsRune("年号元块米个户人次届期万千百", next)
}
