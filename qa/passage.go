package qa

import (
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/zhangmiao/communitybot/content"
)

// The passage tier answers from the source text itself: the newsletter
// and every answer staff have given the bot (learned entries). It is used
// when no curated entry fits, when the question asks for words of the
// source (what comes after X, complete the quote, how the letter ends), and
// when a curated entry fits the question much worse than one sentence of
// the source does, or lacks the kind of fact asked for (a person, a date).
//
// Sentences are indexed by character bigrams taken across the whole clause
// (particles included: a quote is literal) and by the same pairs'
// pronunciations (pinyin.go), so 以生命付使命 still finds 以生命赴使命. A
// question is split at question words and cue phrases only; its bigrams
// are weighed by IDF over the sentences. The best sentence is then cut
// into clauses (，、；：), and the reply is trimmed to the clauses the
// question names, the continuation it asks for, or the clause that carries
// the kind of fact asked.

// QType is the kind of fact a question asks for.
type QType int

// Question types. QAny asks for nothing in particular (a topic, 介绍一下).
const (
	QAny      QType = iota
	QWho            // 谁, 哪位, 哪个部门
	QWhen           // 哪天, 几月几号, 什么时候
	QCount          // 多少, 几个
	QWhich          // 哪些, 哪几项
	QWhat           // 是什么, 叫啥
	QWhy            // 为什么, 目的
	QNext           // 下一句, 后面是什么
	QPrev           // 上一句, 前面是什么
	QComplete       // 补全, 原话
	QStart          // 开头, 称呼
	QEnd            // 末尾, 落款
	QTitle          // 标题
)

func (t QType) String() string {
	return [...]string{"any", "who", "when", "count", "which", "what", "why", "next", "prev", "complete", "start", "end", "title"}[t]
}

// Quote is an answer taken from a source: the words quoted, trimmed to what
// was asked, and where they come from.
type Quote struct {
	// Text is the part of the sentence that answers, with "……" where the
	// sentence was cut; its words are the source's.
	Text string
	// Answer is, for QNext and QPrev, the continuation alone, without
	// quotation marks ("唯有奋斗"); empty otherwise.
	Answer string
	// Source attributes the words: content.SourceName for the newsletter,
	// or the label staff answers carry (街道工作人员答复（2025-01-02）).
	Source string
	// Staff reports a staff-entered source.
	Staff bool
	// Coverage is the IDF share of the question's content the sentence
	// has, 0..1.
	Coverage float64
	// Ordinal, when not 0, says that Answer is the item of a list at that
	// position (1-based), or every item (OrdinalAll), joined by "；".
	Ordinal int
	// Items are the items of an OrdinalAll answer, in order.
	Items []string
}

// Source is a text the passage tier quotes: the newsletter, or a staff
// answer. Label is how replies attribute it.
type Source struct {
	Label string
	Staff bool
	Text  *content.Source
}

type psent struct {
	src     int32
	sec     int32
	idx     int32 // sentence index within its source
	para    int32 // paragraph within its source
	speaker int32 // index into people of whoever says it, or -1
	title   bool  // the page's title line
	purpose bool  // has a purpose clause (carries QWhy), computed once
	text    string
	norm    string     // Normalize(text), for verbatim runs
	clauses [][2]int   // byte ranges of the clauses in text, delimiters excluded
	ctoks   [][]uint64 // each clause's tokens, sorted
	ntok    int
}

type ppost struct{ sent int32 }

type passageIndex struct {
	sources []Source
	sents   []psent
	post    map[uint64][]ppost
	idf     map[uint64]float64
	maxIDF  float64
	// bySource[src][idx] is the global sentence id.
	bySource [][]int32
	enums    []enumeration
	people   []person
	// spkPost lists, per token of a person's names, the sentences that
	// person says.
	spkPost map[uint64][]int32
	// personal maps a personal alias (施书记) to the name (施永根).
	personal phraseTable
}

// clauseDelims cut a sentence into clauses.
const clauseDelims = "，、；：,;。！？"

func newPassageIndex(sources []Source) *passageIndex {
	ix := &passageIndex{sources: sources, post: map[uint64][]ppost{}, idf: map[uint64]float64{}}
	df := map[uint64]int{}
	var toks []uint64
	for si, s := range sources {
		if s.Text == nil {
			ix.bySource = append(ix.bySource, nil)
			continue
		}
		ids := make([]int32, 0, len(s.Text.Sentences))
		for _, sn := range s.Text.Sentences {
			id := int32(len(ix.sents))
			ps := psent{src: int32(si), sec: int32(sn.Section), idx: int32(sn.Index), para: int32(sn.Paragraph), title: sn.Title, text: sn.Text, clauses: splitClauses(sn.Text), purpose: carries(sn.Text, QWhy)}
			toks = toks[:0]
			var norm strings.Builder
			for _, c := range ps.clauses {
				// The clauses' normalized pieces, joined, are the
				// sentence normalized (Normalize drops the delimiters
				// and quotation marks anyway): one conversion, not two.
				ct := appendTextTokensNorm(nil, sn.Text[c[0]:c[1]], &norm)
				slices.Sort(ct)
				ct = slices.Clip(slices.Compact(ct))
				ps.ctoks = append(ps.ctoks, ct)
				toks = append(toks, ct...)
			}
			ps.norm = norm.String()
			slices.Sort(toks)
			toks = slices.Compact(toks)
			ps.ntok = len(toks)
			for _, k := range toks {
				ix.post[k] = append(ix.post[k], ppost{sent: id})
				df[k]++
			}
			ix.sents = append(ix.sents, ps)
			ids = append(ids, id)
		}
		ix.bySource = append(ix.bySource, ids)
	}
	n := float64(len(ix.sents))
	for k, d := range df {
		ix.idf[k] = idf(n, float64(d))
	}
	ix.maxIDF = idf(n, 1)
	ix.findPeople()
	ix.enums = ix.findEnumerations()
	return ix
}

// splitClauses returns the byte ranges of the clauses of s.
func splitClauses(s string) [][2]int {
	var out [][2]int
	start := 0
	for i, r := range s {
		if strings.ContainsRune(clauseDelims, r) {
			if i > start {
				out = append(out, [2]int{start, i})
			}
			start = i + utf8.RuneLen(r)
		}
	}
	if start < len(s) {
		out = append(out, [2]int{start, len(s)})
	}
	if len(out) == 0 {
		out = append(out, [2]int{0, len(s)})
	}
	return out
}

// quoteChars end a word as surely as a comma: 比学赶超”活动 has no pair 超活.
const quoteChars = "“”‘’《》「」『』（）()\"'"

// appendTextTokens appends the tokens of a source text, piece by piece
// between quotation marks.
func appendTextTokens(dst []uint64, text string) []uint64 {
	return appendTextTokensNorm(dst, text, nil)
}

// appendTextTokensNorm is appendTextTokens that also writes the
// normalized pieces to norm, if not nil.
func appendTextTokensNorm(dst []uint64, text string, norm *strings.Builder) []uint64 {
	for _, piece := range strings.FieldsFunc(text, func(r rune) bool { return strings.ContainsRune(quoteChars, r) }) {
		n := Normalize(piece)
		if norm != nil {
			norm.WriteString(n)
		}
		dst = appendPassageTokens(dst, n)
	}
	return dst
}

// appendPassageTokens appends the tokens of a normalized text: every pair
// of adjacent Han characters (as a character pair and by pronunciation) and
// every ASCII word.
func appendPassageTokens(dst []uint64, s string) []uint64 {
	prev := rune(-1)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r < utf8.RuneSelf {
			j := i
			for j < len(s) && s[j] < utf8.RuneSelf {
				j++
			}
			dst = append(dst, wordToken([]rune(s[i:j])))
			i, prev = j, -1
			continue
		}
		if prev >= 0 {
			dst = append(dst, pairKey(prev, r))
			dst = appendSoundKeys(dst, prev, r)
		}
		prev = r
		i += n
	}
	return dst
}

// qtoken is one content bigram of a question: its character key, its
// pronunciation keys and its weight.
type qtoken struct {
	key    uint64
	sounds []uint64
	w      float64
	pair   [2]rune // the characters of a pair token; zero for a word
	seam   bool    // a pair that joins two of the resident's words (markSeams)
	// extended: a pair of the page's inside a longer word it never uses
	// (养老 in 养老金; markSeams).
	extended bool
}

// passageQuery returns the content bigrams of a folded question: the
// question is split at question words, cue phrases and particles that only
// end a question, and pairs are taken within what remains.
func (ix *passageIndex) passageQuery(q query) []qtoken { return ix.passageTokens(q, false) }

// lenientQuery is passageQuery for the second look of lenientBest: the
// framing words are split off too (lexicon.lenientStops), the seams
// between the resident's words and a page word inside a longer one weigh
// nothing (markSeams), and characters only count: a homophone is a likely
// typo beside words that fit, not in a question that fits this loosely
// (食堂 is not 泗塘).
func (ix *passageIndex) lenientQuery(q query) []qtoken { return ix.passageTokens(q, true) }

func (ix *passageIndex) passageTokens(q query, lenient bool) []qtoken {
	stops := &lex.passageStops
	if lenient {
		stops = &lex.lenientStops
	}
	var out []qtoken
	at := map[uint64]int{} // token → its index in out
	var segs []string
	// slot[k]: segment k follows a question word (啥精神, 什么活动): its
	// first pair is what the question asks for.
	var slot []bool
	start, afterWh := 0, false
	for i := 0; i < q.n; {
		if l := stops.longest(q, i); l > 0 {
			segs = append(segs, q.text[q.off[start]:q.off[i]])
			slot = append(slot, afterWh)
			afterWh = slotWords[q.text[q.off[i]:q.off[i+l]]]
			i += l
			start = i
			continue
		}
		i++
	}
	segs = append(segs, q.text[q.off[start]:])
	slot = append(slot, afterWh)
	for si, seg := range segs {
		first := true
		prev := rune(-1)
		segStart := len(out)
		// order[i] is the index in out of the segment's i-th token
		// (repeats included), for telling seams apart.
		var order []int
		add := func(t qtoken) {
			j, ok := at[t.key]
			if !ok {
				j = len(out)
				at[t.key] = j
				out = append(out, t)
			}
			if lenient {
				order = append(order, j)
			}
		}
		for i := 0; i < len(seg); {
			r, n := utf8.DecodeRuneInString(seg[i:])
			if r < utf8.RuneSelf {
				end := i
				for end < len(seg) && seg[end] < utf8.RuneSelf {
					end++
				}
				k := wordToken([]rune(seg[i:end]))
				add(qtoken{key: k, w: ix.weight(k, nil)})
				i, prev = end, -1
				continue
			}
			if prev >= 0 {
				k := pairKey(prev, r)
				if _, dup := at[k]; dup {
					add(qtoken{key: k})
				} else {
					sounds := appendSoundKeys(nil, prev, r)
					w := ix.weight(k, sounds)
					if lenient {
						sounds = nil
					}
					if strings.ContainsRune(functionChars, prev) || strings.ContainsRune(functionChars, r) {
						w /= 2
					}
					if placeChars[k] {
						// 张庙 is in half of the sentences and in most
						// questions; it places a quote, it does not pick one.
						w *= placeShare
					}
					if first && slot[si] {
						w *= slotBoost
					}
					add(qtoken{key: k, sounds: sounds, w: w, pair: [2]rune{prev, r}})
				}
				first = false
			}
			prev = r
			i += n
		}
		if lenient {
			ix.markSeams(out, segStart, order)
		}
	}
	if lenient {
		for i := range out {
			if out[i].seam || out[i].extended {
				out[i].w = 0
			}
		}
	}
	return out
}

// markSeams marks the seams among a segment's pair tokens (out[from:], in
// the segment's order): a pair the sources never use that has a gluing
// character, or that lies between two pairs they do use, joins two words
// (张庙要建成: 庙要; 赶超活动: 超活; 辐射带吗我孙子: 我孙) rather than
// being one. One known neighbour is not enough: 养老金 and 垃圾房 extend
// the page's word into one it never uses.
func (ix *passageIndex) markSeams(out []qtoken, from int, order []int) {
	known := func(j int) bool {
		_, ok := ix.idf[out[j].key]
		return ok
	}
	for i, j := range order {
		if j < from || out[j].pair == [2]rune{} || known(j) {
			continue
		}
		t := &out[j]
		left, right := i > 0 && known(order[i-1]), i+1 < len(order) && known(order[i+1])
		t.seam = strings.ContainsRune(seamChars, t.pair[0]) || strings.ContainsRune(seamChars, t.pair[1]) || left && right
	}
	// A word of the page followed by a pair the page never uses, not at a
	// seam, is the start of another word: 养老金 is not 养老, 垃圾房 not
	// 垃圾. (A character before a word is mostly a verb: 讲感谢, 搞科技.)
	// Beside a Latin word the page never uses it is that word's gloss:
	// pension 方案 is not the page's plan.
	foreign := func(j int) bool { return j >= from && !known(j) && !out[j].seam }
	latin := func(j int) bool { return foreign(j) && out[j].pair == [2]rune{} }
	for i, j := range order {
		if j < from || out[j].pair == [2]rune{} || !known(j) {
			continue
		}
		if i+1 < len(order) && foreign(order[i+1]) || i > 0 && latin(order[i-1]) {
			out[j].extended = true
		}
	}
}

// seamChars glue, address or place rather than name: a pair with one that
// the sources never use is the resident's own phrasing.
const seamChars = functionChars + "我你您他她们个吗呢吧啊呀伐哦嘛么上里中成为"

// weight is a question token's IDF: its own, or its pronunciation's when
// only that is in the index, or the rarest when neither is (a word the
// sources never use counts against every sentence).
func (ix *passageIndex) weight(k uint64, sounds []uint64) float64 {
	if w, ok := ix.idf[k]; ok {
		return w
	}
	best := 0.0
	for _, s := range sounds {
		best = math.Max(best, ix.idf[s])
	}
	if best > 0 {
		return best
	}
	return ix.maxIDF
}

// slotWords ask for what follows them (啥精神, 什么活动, 哪个部门).
var slotWords = map[string]bool{"啥": true, "什么": true, "哪个": true, "哪些": true, "哪": true, "啥样": true}

// slotBoost weighs the asked-for word: a sentence that has it is the
// answer, one that only repeats the question's other words is not.
const slotBoost = 1.5

// placeChars are the bigrams of our place names, weighed placeShare.
var placeChars = func() map[uint64]bool {
	m := map[uint64]bool{}
	for _, p := range append(append([]string{}, ourPlaces...), "街道", "上海") {
		rs := []rune(p)
		for i := 0; i+1 < len(rs); i++ {
			m[pairKey(rs[i], rs[i+1])] = true
		}
	}
	return m
}()

const placeShare = 0.3

// soundShare is what a bigram found only by pronunciation counts, against
// the same characters: a homophone is likely a typo, but not surely.
const soundShare = 0.8

// Passage acceptance. A sentence answers when it has most of the
// question's content, or a literal run of it (a quote: four characters in
// a row) and a fair part of the rest, or a long quote (six characters in a
// row) however much chat surrounds it.
const (
	minPassageCoverage    = 0.45
	minPassageRunCoverage = 0.25
	minPassageRun         = 3
	longQuoteRun          = 5
	minLongQuoteCoverage  = 0.1
	// A question about the letter prefers the letter's sentences.
	letterBoost = 0.1
	// A why-question prefers a sentence with a purpose clause.
	purposeBoost = 0.05
	// A sentence and its neighbour answer together when they cover this
	// much more of the question than the sentence alone.
	windowGain = 0.15
)

// window returns the neighbour of sentence s (the next or the previous one
// of the same section) that, read with s, covers clearly more of the
// question than s alone (cov): a heading and the sentence after it (二是抓好
// 民心工程，用力按下重点工作快进键。激发…，确保开局起步从头抓紧). It
// returns the window's coverage.
func (ix *passageIndex) window(s int32, toks []qtoken, cov float64) (int32, float64, bool) {
	var norm float64
	for _, t := range toks {
		norm += t.w
	}
	if norm == 0 || s < 0 {
		return -1, 0, false
	}
	best, bestCov := int32(-1), cov+windowGain
	for _, nb := range []func(int32) (int32, bool){ix.next, ix.prev} {
		n, ok := nb(s)
		if !ok {
			continue
		}
		var mass float64
		adds := false
		for _, t := range toks {
			a, b := ix.sentMatch(s, t), ix.sentMatch(n, t)
			mass += t.w * max(a, b)
			adds = adds || b > a
		}
		if c := mass / norm; adds && c >= bestCov && c >= minPassageCoverage {
			best, bestCov = n, c
		}
	}
	return best, bestCov, best >= 0
}

// sentMatch is how sentence s has question token t: 1 by its characters,
// soundShare by its pronunciation, 0 not at all.
func (ix *passageIndex) sentMatch(s int32, t qtoken) float64 {
	got := 0.0
	for _, ct := range ix.sents[s].ctoks {
		if _, ok := slices.BinarySearch(ct, t.key); ok {
			return 1
		}
		if got == 0 && hasToken(ct, t) {
			got = soundShare
		}
	}
	return got
}

type pacc struct {
	mass    float64
	matched int
	lastTok int
	run     int
	maxRun  int
}

// best returns the best sentence for the question tokens, its coverage, and
// whether it is acceptable as an answer. wantLetter boosts the letter;
// oneTerm says the question's only content is a domain term (李强当时担任
// 什么职务), which one matching token then suffices for.
func (ix *passageIndex) best(toks []qtoken, wantLetter, oneTerm bool, want QType) (sent int32, cov float64, ok bool) {
	var norm float64
	for _, t := range toks {
		norm += t.w
	}
	if norm == 0 || len(ix.sents) == 0 {
		return -1, 0, false
	}
	accs := map[int32]*pacc{}
	get := func(s int32) *pacc {
		a := accs[s]
		if a == nil {
			a = &pacc{lastTok: -2}
			accs[s] = a
		}
		return a
	}
	for i, t := range toks {
		touch := func(s int32, w float64) {
			a := get(s)
			if a.lastTok == i {
				return
			}
			a.mass += w
			a.matched++
			if a.lastTok == i-1 {
				a.run++
			} else {
				a.run = 1
			}
			a.maxRun = max(a.maxRun, a.run)
			a.lastTok = i
		}
		for _, p := range ix.post[t.key] {
			touch(p.sent, t.w)
		}
		for _, sk := range t.sounds {
			for _, p := range ix.post[sk] {
				touch(p.sent, soundShare*t.w)
			}
		}
		// 施书记说…: the sentences of his speech have him.
		for _, s := range ix.spkPost[t.key] {
			touch(s, t.w)
		}
	}
	bestScore := -1.0
	sent = -1
	var bestAcc *pacc
	for s, a := range accs {
		c := a.mass / norm
		score := c + 0.05*float64(a.matched)/float64(max(ix.sents[s].ntok, 1))
		if wantLetter && ix.isLetter(s) {
			score += letterBoost
		}
		if want == QWhy && ix.sents[s].purpose {
			score += purposeBoost // 为啥要搞…: the sentence that says what for
		}
		if score > bestScore || score == bestScore && s < sent {
			bestScore, sent, bestAcc = score, s, a
		}
	}
	if bestAcc == nil {
		return -1, 0, false
	}
	cov = bestAcc.mass / norm
	ok = cov >= minPassageCoverage && (bestAcc.matched >= 2 || oneTerm) ||
		bestAcc.maxRun >= minPassageRun && cov >= minPassageRunCoverage ||
		bestAcc.maxRun >= longQuoteRun && cov >= minLongQuoteCoverage
	return sent, cov, ok
}

func (ix *passageIndex) isLetter(s int32) bool {
	ps := ix.sents[s]
	src := ix.sources[ps.src].Text
	return src != nil && int(ps.sec) < len(src.Sections) && src.Sections[ps.sec].Letter
}

// sectionEdge returns the first or last sentence of the newsletter's
// letter (or article) section. The last one is the signature line when
// signature is set, else the last sentence of the text itself: a letter's
// signature (张庙街道党工委、办事处, no full stop) is no sentence of it.
func (ix *passageIndex) sectionEdge(letter, end, signature bool) (int32, bool) {
	for si, s := range ix.sources {
		if s.Staff || s.Text == nil {
			continue
		}
		for _, sec := range s.Text.Sections {
			if sec.Letter != letter {
				continue
			}
			i := sec.First
			if end {
				i = sec.Last
				for !signature && i > sec.First && i < len(ix.bySource[si]) && !endsSentence(ix.sents[ix.bySource[si][i]].text) {
					i--
				}
			}
			if i >= 0 && i < len(ix.bySource[si]) {
				return ix.bySource[si][i], true
			}
		}
	}
	return -1, false
}

// endsSentence reports whether text ends as a sentence does (。！？, maybe
// with a closing quote), not as a heading or a signature line.
func endsSentence(text string) bool {
	text = strings.TrimRight(text, "”’」）")
	return strings.HasSuffix(text, "。") || strings.HasSuffix(text, "！") || strings.HasSuffix(text, "？")
}

// purposeNeighbour returns the sentence before (or else after) s in the
// same paragraph that says what for: 1月18日，宝山区委正式通过…活动的通知
// names the campaign, the sentence before it gives its purpose (为深入
// 贯彻落实…，以优异成绩庆祝…).
func (ix *passageIndex) purposeNeighbour(s int32) (int32, bool) {
	for _, nb := range []func(int32) (int32, bool){ix.prev, ix.next} {
		if n, ok := nb(s); ok && ix.sents[n].para == ix.sents[s].para && ix.sents[n].purpose {
			return n, true
		}
	}
	return -1, false
}

// title returns the page title's sentence, if a source has one.
func (ix *passageIndex) title() (int32, bool) {
	for i := range ix.sents {
		if ix.sents[i].title && !ix.sources[ix.sents[i].src].Staff {
			return int32(i), true
		}
	}
	return -1, false
}

// clauseMatches returns, per clause of sentence s, how many of the
// question's tokens it has.
func (ix *passageIndex) clauseMatches(s int32, toks []qtoken) []int {
	ps := ix.sents[s]
	out := make([]int, len(ps.clauses))
	for ci, ctoks := range ps.ctoks {
		for _, t := range toks {
			if hasToken(ctoks, t) {
				out[ci]++
			}
		}
	}
	return out
}

// next returns sentence s's successor in the same source and section.
func (ix *passageIndex) next(s int32) (int32, bool) {
	if int(s)+1 >= len(ix.sents) {
		return -1, false
	}
	a, b := ix.sents[s], ix.sents[s+1]
	return s + 1, a.src == b.src && a.sec == b.sec
}

func (ix *passageIndex) prev(s int32) (int32, bool) {
	if s == 0 {
		return -1, false
	}
	a, b := ix.sents[s], ix.sents[s-1]
	return s - 1, a.src == b.src && a.sec == b.sec
}

// quoteMarks are trimmed from a continuation shown on its own.
const quoteMarks = "“”‘’《》「」（）()\"'，、；：。！？,;"

// trimQuote trims quotation marks and punctuation from the ends of a
// continuation shown on its own, keeping a pair whose one half is inside:
// 弥补发展“短板” stays whole, not 弥补发展“短板.
func trimQuote(s string) string {
	s = strings.Trim(s, quoteMarks)
	for _, p := range [][2]string{{"“", "”"}, {"‘", "’"}, {"《", "》"}, {"「", "」"}, {"（", "）"}} {
		open, close := strings.Count(s, p[0]), strings.Count(s, p[1])
		switch {
		case open > close:
			s += strings.Repeat(p[1], open-close)
		case close > open:
			s = strings.Repeat(p[0], close-open) + s
		}
	}
	return s
}

var (
	// dateFact is a date a when-question can be answered with; vagueDate
	// only says roughly when (日前: recently), which is not the date asked.
	dateFact  = regexp.MustCompile(`[0-9一二三四五六七八九十〇]+月[0-9一二三四五六七八九十]+[日号]|[0-9]{4}年|[0-9]{1,2}月份?`)
	vagueDate = regexp.MustCompile(`日前|近日|近期|年初|年底|月底|接下来|此前`)
	// purposeFact is a clause that says what something is for: 为深入贯彻
	// 落实…, 以优异成绩庆祝…, 加快建设…, 切实让群众得实惠.
	purposeFact = regexp.MustCompile(`(^|[，。；：“])(为了|为[^什何啥]|以[^学干]|旨在|目的是|确保|切实让|让|助力|加快|着力|力争|全面营造|凝聚)`)
	countFact   = regexp.MustCompile(`[0-9]+|[一二三四五六七八九十百两]+(个|项|条|大|周年|户|栋|年|位|件|点|支)`)
)

// carries reports whether text has the kind of fact t asks for. Types that
// ask for no particular kind of fact are carried by any text.
func carries(text string, t QType) bool {
	switch t {
	case QWho:
		for _, w := range agentWords {
			if strings.Contains(text, w) {
				return true
			}
		}
		return false
	case QWhen:
		return dateFact.MatchString(text)
	case QCount:
		return countFact.MatchString(text)
	case QWhy:
		return purposeFact.MatchString(text)
	}
	return true
}

// quote builds the answer from sentence s for a question of type t with
// tokens toks. k is how many clauses a continuation should have.
func (ix *passageIndex) quote(s int32, t QType, toks []qtoken, k int, cov float64) Quote {
	ps := ix.sents[s]
	src := ix.sources[ps.src]
	qt := Quote{Source: src.Label, Staff: src.Staff, Coverage: cov}
	if t == QStart || t == QEnd || t == QTitle {
		qt.Text = ps.text
		return qt
	}
	m := ix.clauseMatches(s, toks)
	first, last := -1, -1
	for i, n := range m {
		if n > 0 && (n >= 2 || clauseTokens(ps, i) <= 3) {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		for i, n := range m {
			if n > 0 {
				if first < 0 {
					first = i
				}
				last = i
			}
		}
	}
	if first < 0 {
		first, last = 0, len(ps.clauses)-1
	}
	switch t {
	case QNext:
		text, ok := ix.clausesAfter(s, last, k)
		if ok {
			qt.Answer = trimQuote(text)
			qt.Text = ix.span(s, first, min(last+k, len(ps.clauses)-1))
			if last+k >= len(ps.clauses) {
				qt.Text = ix.span(s, first, len(ps.clauses)-1)
				if n, ok := ix.next(s); ok {
					qt.Text += ix.span(n, 0, min(k-(len(ps.clauses)-1-last), len(ix.sents[n].clauses))-1)
				}
			}
			return qt
		}
	case QPrev:
		if first > 0 {
			qt.Answer = trimQuote(ix.clauseText(s, first-1))
			qt.Text = ix.span(s, first-1, last)
			return qt
		}
		if p, ok := ix.prev(s); ok {
			pc := len(ix.sents[p].clauses) - 1
			qt.Answer = trimQuote(ix.clauseText(p, pc))
			qt.Text = ix.span(p, pc, pc) + ix.span(s, 0, last)
			return qt
		}
	case QComplete:
		qt.Text = ix.span(s, first, min(last+1, len(ps.clauses)-1))
		return qt
	}
	// Short sentences are quoted whole.
	if utf8.RuneCountInString(ps.text) <= 60 {
		qt.Text = ps.text
		return qt
	}
	lo, hi := first, min(last+1, len(ps.clauses)-1)
	if !carries(ix.span(s, lo, hi), t) {
		// Widen towards the nearest clause with the fact. A person, a
		// date or a figure belongs to the clauses asked about: one four
		// clauses away (相关部门（单位）支持 for 哪家施工单位承建) is about
		// something else.
		reach := len(ps.clauses)
		if t == QWho || t == QWhen || t == QCount {
			reach = maxFactReach + 1
		}
		for d := 1; d < reach; d++ {
			if hi+d < len(ps.clauses) && carries(ix.clauseText(s, hi+d), t) {
				hi += d
				break
			}
			if lo-d >= 0 && carries(ix.clauseText(s, lo-d), t) {
				lo -= d
				break
			}
		}
	}
	qt.Text = ix.span(s, lo, hi)
	return qt
}

// maxFactReach is how many clauses away from the clauses a question names
// a who/when/how-many fact may be found.
const maxFactReach = 2

func clauseTokens(ps psent, i int) int {
	return utf8.RuneCountInString(ps.text[ps.clauses[i][0]:ps.clauses[i][1]]) - 1
}

func (ix *passageIndex) clauseText(s int32, i int) string {
	ps := ix.sents[s]
	return ps.text[ps.clauses[i][0]:ps.clauses[i][1]]
}

// clausesAfter returns the k clauses after clause i of s, continuing into
// the next sentence when s ends first, with the source's own punctuation
// between them.
func (ix *passageIndex) clausesAfter(s int32, i, k int) (string, bool) {
	var parts []string
	cur, ci := s, i+1
	for len(parts) < k {
		ps := ix.sents[cur]
		if ci >= len(ps.clauses) {
			n, ok := ix.next(cur)
			if !ok {
				break
			}
			cur, ci = n, 0
			continue
		}
		// The clause with the delimiter the source puts after it.
		c := ps.clauses[ci]
		end := c[1]
		if ci+1 < len(ps.clauses) {
			end = ps.clauses[ci+1][0]
		}
		parts = append(parts, ps.text[c[0]:end])
		ci++
	}
	if len(parts) == 0 {
		return "", false
	}
	return strings.TrimRight(strings.Join(parts, ""), quoteMarks), true
}

// span returns clauses lo..hi of s as the source writes them, with "……"
// where the sentence was cut.
func (ix *passageIndex) span(s int32, lo, hi int) string {
	ps := ix.sents[s]
	lo, hi = max(lo, 0), min(hi, len(ps.clauses)-1)
	// Never cut inside a quotation (“聚合力、…、谋新篇”工作主线 is one
	// phrase, though commas cut it into clauses), nor inside a list cut
	// by 、 (班子成员、各职能部门、居民区负责人); widening for one may
	// open the other.
	open := func(i int) bool { return strings.Count(ps.text[:i], "“") > strings.Count(ps.text[:i], "”") }
	for moved := true; moved; {
		moved = false
		for lo > 0 && (open(ps.clauses[lo][0]) || strings.HasSuffix(ps.text[:ps.clauses[lo][0]], "、")) {
			lo, moved = lo-1, true
		}
		for hi < len(ps.clauses)-1 && (open(ps.clauses[hi][1]) || strings.HasPrefix(ps.text[ps.clauses[hi][1]:], "、")) {
			hi, moved = hi+1, true
		}
	}
	start, end := ps.clauses[lo][0], ps.clauses[hi][1]
	// Keep the delimiter after the last clause (。，) and any closing
	// quote the clause range excluded.
	for end < len(ps.text) {
		r, n := utf8.DecodeRuneInString(ps.text[end:])
		if !strings.ContainsRune("。！？”’》」）", r) {
			break
		}
		end += n
	}
	text := ps.text[start:end]
	if lo > 0 {
		text = "……" + text
	}
	if hi < len(ps.clauses)-1 {
		text = strings.TrimRight(text, "，、；：,;") + "……"
	}
	return text
}

// countWanted reads how many clauses a continuation question asks for
// (后头还跟着哪两条 → 2).
func countWanted(q query) int {
	for _, c := range []struct {
		s string
		n int
	}{{"两", 2}, {"二", 2}, {"三", 3}, {"四", 4}, {"2", 2}, {"3", 3}} {
		for _, p := range []string{"哪" + c.s, "后" + c.s, c.s + "条", c.s + "句", c.s + "个"} {
			if strings.Contains(q.text, p) {
				return c.n
			}
		}
	}
	return 1
}

// detectQType scans q for the kind of fact it asks for, the most specific
// first.
func detectQType(q query) QType {
	if t := positionQType(q); t != QAny {
		return t
	}
	return contentQType(q)
}

// positionQType is the type of a question about a place in the source
// (what comes next, the end, the title), QAny if none.
func positionQType(q query) QType {
	has := func(cues []string) bool { return hasAny(q, cues) }
	switch {
	case has(completeCues):
		return QComplete
	case has(endCues) && !has(explicitNextCues):
		// 最后一句 holds 后一句: the end, not what follows.
		return QEnd
	case has(nextCues):
		return QNext
	case has(prevCues):
		return QPrev
	case has(startCues) && has(letterCues):
		return QStart
	case has(letterCues) && has(addresseeCues):
		return QStart // 这封信是写给谁的: the salutation
	case has(letterCues) && has(whoCues) && has(authorCues):
		return QEnd // 新年信是谁写的: the signature
	case has(titleCues) && !has(otherTextCues):
		return QTitle
	}
	return QAny
}

// contentQType is the kind of fact a question asks for, leaving aside
// where in the source it is.
func contentQType(q query) QType {
	has := func(cues []string) bool { return hasAny(q, cues) }
	switch {
	case has(whoCues):
		return QWho
	case has(whenCues):
		return QWhen
	case has(whyCues):
		return QWhy
	case has(countCues):
		return QCount
	case has(whichCues):
		return QWhich
	case has(whatCues):
		return QWhat
	}
	return QAny
}

// answerCoverage is the IDF share of the question's tokens that text has:
// how much of what was asked a curated answer actually contains.
func (ix *passageIndex) answerCoverage(atoks []uint64, toks []qtoken) float64 {
	var norm, got float64
	for _, t := range toks {
		norm += t.w
		if _, ok := slices.BinarySearch(atoks, t.key); ok {
			got += t.w
			continue
		}
		for _, s := range t.sounds {
			if _, ok := slices.BinarySearch(atoks, s); ok {
				got += soundShare * t.w
				break
			}
		}
	}
	if norm == 0 {
		return 0
	}
	return got / norm
}

// adds reports whether quote says something the curated answer does not:
// most of the quote's own words (those the question did not bring) are
// missing from answer.
func (ix *passageIndex) adds(quote string, atoks []uint64, toks []qtoken) bool {
	asked := map[uint64]bool{}
	for _, t := range toks {
		asked[t.key] = true
	}
	var novel, kept int
	for _, k := range appendTextTokens(nil, quote) {
		if k&(1<<62) != 0 || asked[k] {
			continue // pronunciation tokens and the question's own words
		}
		novel++
		if _, ok := slices.BinarySearch(atoks, k); ok {
			kept++
		}
	}
	return novel > 0 && 2*kept < novel
}

// hasToken reports whether the sorted tokens have t, by its characters or
// its pronunciation.
func hasToken(sorted []uint64, t qtoken) bool {
	if _, ok := slices.BinarySearch(sorted, t.key); ok {
		return true
	}
	for _, k := range t.sounds {
		if _, ok := slices.BinarySearch(sorted, k); ok {
			return true
		}
	}
	return false
}

// answerTokens returns the sorted tokens of a curated answer, for
// answerCoverage and adds.
func answerTokens(text string) []uint64 {
	t := appendTextTokens(nil, text)
	slices.Sort(t)
	return slices.Clip(slices.Compact(t))
}
