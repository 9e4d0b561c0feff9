package qa

import (
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Enumerations. The newsletter lists things: 一是…二是…三是… (the
// secretary's three points), “A”、“B”、“C”五大行动, “A、B、C、D”的全新定位,
// A；B；C等三大主题. A resident asks for one of them by position (第三条是啥,
// 四个定位里第二个, 五个张庙里最后一个) or for all of them (一二三条分别是
// 啥). The lists are found in the sources when the index is built, and an
// ordinal question is answered with the item it points at, quoted.

// enumeration is one list of a source.
type enumeration struct {
	items  []enumItem
	marker bool     // 一是…二是…: points of a speech
	count  int      // the count its name gives (五大行动: 5), 0 if none
	ctx    string   // the words around the list, with its name; a marker list's are its sentences
	toks   []uint64 // sorted tokens of ctx
}

// enumItem is one item of a list and where the source says it.
type enumItem struct {
	text       string
	norm       string   // text in Normalize form, for finding it in a question
	htoks      []uint64 // the heading's character tokens (itemTokens), sorted
	sent       int32
	start, end int // byte range of the item in the sentence
}

var (
	markerRe   = regexp.MustCompile(`(^|[，。：；,])([一二三四五六七八九十])是`)
	countRe    = regexp.MustCompile(`([一二三四五六七八九十两])(大|个|项|条|点|种)`)
	etcCountRe = regexp.MustCompile(`等([一二三四五六七八九十两])(大|个|项|条|点|种)`)
)

// cnDigits reads a Chinese numeral of one to ten.
func cnDigit(r rune) int {
	return strings.IndexRune("一二三四五六七八九十", r)/3 + 1
}

func cnNumber(s string) int {
	rs := []rune(s)
	if len(rs) == 0 {
		return 0
	}
	if rs[0] == '两' {
		return 2
	}
	return cnDigit(rs[0])
}

// findEnumerations returns the lists of the sentences of one source
// section after another.
func (ix *passageIndex) findEnumerations() []enumeration {
	var out []enumeration
	// 一是…二是…: markers in order across the sentences of a section.
	var open *enumeration
	var openAt int32
	for si := range ix.sents {
		ps := &ix.sents[si]
		if open != nil && (ix.sents[openAt].src != ps.src || ix.sents[openAt].sec != ps.sec || int32(si)-openAt > 12) {
			open = closeMarker(&out, open)
		}
		for _, m := range markerRe.FindAllStringSubmatchIndex(ps.text, -1) {
			k := cnDigit([]rune(ps.text[m[4]:m[5]])[0])
			start := m[1]
			end := len(ps.text)
			if next := markerRe.FindStringIndex(ps.text[start:]); next != nil {
				end = start + next[0]
			}
			item := enumItem{text: strings.TrimRight(ps.text[start:end], "。！？；，"), sent: int32(si), start: start, end: end}
			switch {
			case k == 1:
				open = closeMarker(&out, open)
				open, openAt = &enumeration{marker: true, items: []enumItem{item}}, int32(si)
			case open != nil && k == len(open.items)+1:
				open.items = append(open.items, item)
			}
		}
	}
	closeMarker(&out, open)
	for si := range ix.sents {
		out = append(out, ix.quotedLists(int32(si))...)
		out = append(out, ix.bareLists(int32(si))...)
		if e, ok := ix.semicolonList(int32(si)); ok {
			out = append(out, e)
		}
	}
	for i := range out {
		ix.enumTokens(&out[i])
		for j := range out[i].items {
			out[i].items[j].htoks = itemTokens(out[i].items[j].text)
			out[i].items[j].norm = Normalize(out[i].items[j].text)
		}
	}
	return out
}

func closeMarker(out *[]enumeration, e *enumeration) *enumeration {
	if e != nil && len(e.items) >= 2 {
		*out = append(*out, *e)
	}
	return nil
}

// quotedLists finds “A”、“B”、“C”… (three or more quotations with only
// 、 between them) and “A、B、C…” (one quotation cut by 、) in sentence s.
func (ix *passageIndex) quotedLists(s int32) []enumeration {
	text := ix.sents[s].text
	type quoted struct{ start, end int } // inside the marks
	var qs []quoted
	for i := 0; i < len(text); {
		j := strings.Index(text[i:], "“")
		if j < 0 {
			break
		}
		open := i + j + len("“")
		k := strings.Index(text[open:], "”")
		if k < 0 {
			break
		}
		qs = append(qs, quoted{open, open + k})
		i = open + k + len("”")
	}
	var out []enumeration
	name := func(after int) string {
		rest := text[after:]
		if i := strings.IndexAny(rest, "，。；：、“"); i >= 0 {
			rest = rest[:i]
		}
		return rest
	}
	for i := 0; i < len(qs); {
		j := i + 1
		for j < len(qs) && strings.Trim(text[qs[j-1].end+len("”"):qs[j].start-len("“")], "、 ") == "" {
			j++
		}
		if j-i >= 3 {
			e := enumeration{}
			for _, q := range qs[i:j] {
				e.items = append(e.items, enumItem{text: text[q.start:q.end], sent: s, start: q.start, end: q.end})
			}
			e.count = countIn(name(qs[j-1].end + len("”")))
			e.ctx = listContext(text, qs[i].start, qs[j-1].end)
			out = append(out, e)
		} else {
			for _, q := range qs[i:j] {
				parts := strings.Split(text[q.start:q.end], "、")
				if len(parts) < 3 {
					continue
				}
				e := enumeration{count: countIn(name(q.end + len("”"))), ctx: listContext(text, q.start, q.end)}
				at := q.start
				for _, p := range parts {
					e.items = append(e.items, enumItem{text: strings.TrimSpace(p), sent: s, start: at, end: at + len(p)})
					at += len(p) + len("、")
				}
				out = append(out, e)
			}
		}
		i = j
	}
	return out
}

// bareLists finds lists without quotation marks in sentence s: three or
// more words of one length cut by 、 within a clause (坚持理念先行、应变求
// 变、谋定即动), the first and the last trimmed to that length (the verb
// before, the words after), the first from the character the others start
// with (能够更多、更公平、更实在). That reading is only as good as the
// sources' layout (in 加快产城融合、城市更新、城乡一体 the shared 城 falls
// inside the first word), so it is used for the edited sources, not for
// staff answers.
func (ix *passageIndex) bareLists(s int32) []enumeration {
	if ix.sources[ix.sents[s].src].Staff {
		return nil
	}
	text := ix.sents[s].text
	var out []enumeration
	for from := 0; from < len(text); {
		to := strings.IndexAny(text[from:], listDelims)
		if to < 0 {
			to = len(text)
		} else {
			to += from
		}
		at, clause := from, text[from:to]
		if to < len(text) {
			_, n := utf8.DecodeRuneInString(text[to:])
			to += n
		}
		from = to
		if strings.ContainsAny(clause, quoteChars) {
			continue // quotedLists'
		}
		parts := strings.Split(clause, "、")
		if len(parts) < 3 {
			continue
		}
		l := utf8.RuneCountInString(parts[1])
		ok := l >= 2 && l <= 6
		for _, p := range parts[1 : len(parts)-1] {
			ok = ok && utf8.RuneCountInString(p) == l
		}
		first, last := []rune(parts[0]), []rune(parts[len(parts)-1])
		if !ok || len(first) < l || len(last) < l {
			continue
		}
		e := enumeration{ctx: listContext(text, at, at+len(clause))}
		for i, p := range parts {
			start, end := at, at+len(p)
			at = end + len("、")
			switch i {
			case 0:
				cut := len(string(first[:len(first)-l]))
				if lead, shared := sharedFirst(parts[1 : len(parts)-1]); shared {
					// 能够更多、更公平、更实在: from the word the others
					// start with.
					if j := strings.LastIndex(p, string(lead)); j >= 0 {
						cut = j
					}
				}
				start += cut
			case len(parts) - 1:
				end = start + len(string(last[:l]))
			}
			e.items = append(e.items, enumItem{text: text[start:end], sent: s, start: start, end: end})
		}
		out = append(out, e)
	}
	return out
}

// sharedFirst returns the first character all of parts start with.
func sharedFirst(parts []string) (rune, bool) {
	r, _ := utf8.DecodeRuneInString(parts[0])
	for _, p := range parts[1:] {
		if !strings.HasPrefix(p, string(r)) {
			return 0, false
		}
	}
	return r, true
}

// listDelims end the clause a bare list lies in: clauseDelims but 、, which
// cuts the list itself.
const listDelims = "，；：。！？,;"

// semicolonList finds A；B；C等三大主题: parts of a sentence cut by ；, the
// first cut to as many clauses as the second has, the last ending at 等.
func (ix *passageIndex) semicolonList(s int32) (enumeration, bool) {
	text := ix.sents[s].text
	parts := strings.Split(text, "；")
	if len(parts) < 3 {
		return enumeration{}, false
	}
	clauses := func(p string) []string { return strings.Split(p, "，") }
	e := enumeration{}
	n := len(clauses(parts[1]))
	at := 0
	for i, p := range parts {
		start, end := at, at+len(p)
		at = end + len("；")
		if i == 0 {
			cs := clauses(p)
			if len(cs) > n {
				cut := strings.Join(cs[:len(cs)-n], "，") + "，"
				start += len(cut)
				p = p[len(cut):]
			}
		}
		if i == len(parts)-1 {
			m := etcCountRe.FindStringSubmatchIndex(p)
			if m == nil {
				return enumeration{}, false
			}
			e.count = cnNumber(p[m[2]:m[3]])
			p = p[:m[0]]
			end = start + m[0]
		}
		e.items = append(e.items, enumItem{text: strings.TrimSpace(p), sent: s, start: start, end: end})
	}
	e.ctx = text[e.items[0].start:]
	if i := strings.IndexAny(e.ctx, "，。"); i >= 0 && i > e.items[len(e.items)-1].end-e.items[0].start {
		e.ctx = e.ctx[:i]
	}
	return e, e.count == 0 || e.count == len(e.items)
}

// listContext returns the text around a list from start to end in text:
// from the clause delimiter before it to the one after it (its name: 五大
// 行动, 的全新定位).
func listContext(text string, start, end int) string {
	from := strings.LastIndexAny(text[:start], "，；：。")
	if from < 0 {
		from = 0
	} else {
		from += len("，")
	}
	to := strings.IndexAny(text[end:], "，；。")
	if to < 0 {
		to = len(text)
	} else {
		to += end
	}
	return text[from:to]
}

func countIn(name string) int {
	if m := countRe.FindStringSubmatch(name); m != nil {
		return cnNumber(m[1])
	}
	return 0
}

func (ix *passageIndex) enumTokens(e *enumeration) {
	var toks []uint64
	if e.ctx != "" {
		toks = appendTextTokens(toks, e.ctx)
	}
	if sp := ix.sents[e.items[0].sent].speaker; sp >= 0 {
		toks = append(toks, ix.people[sp].toks...) // 施书记讲的第三条
	}
	seen := map[int32]bool{}
	for _, it := range e.items {
		if e.ctx == "" && !seen[it.sent] {
			seen[it.sent] = true
			toks = appendTextTokens(toks, ix.sents[it.sent].text)
		}
	}
	slices.Sort(toks)
	e.toks = slices.Clip(slices.Compact(toks))
}

// Ordinals.

// OrdinalAll in Quote.Ordinal marks an answer with every item of a list.
const OrdinalAll = -1

// OrdinalLast marks the last item (最后一个).
const OrdinalLast = -2

var (
	ordinalRe  = regexp.MustCompile(`第(十[一二三四五六七八九]?|[一二三四五六七八九十]|[1-9])(条|点|个|项|大|位|方面|部分|件|句|词)?`)
	lastRe     = regexp.MustCompile(`最后(一|那)(个|条|点|项|件)`)
	firstRe    = regexp.MustCompile(`头一(个|条|点|项)`)
	severalRe  = regexp.MustCompile(`([一二三四五六七八九十]{2,})(条|点|个|项)`)
	leadMarkRe = regexp.MustCompile(`^([一二三四五六七八九十])是`)
)

// notListOrdinals follow 第N without making it a list position.
var notListOrdinals = []string{"名", "次", "届", "季", "年", "天", "期", "批", "阶段", "轮", "号", "层", "楼", "栋", "幢", "户", "步"}

// ordinal is what position an ordinal question asks for.
type ordinal struct {
	n        int  // 1-based, or OrdinalAll / OrdinalLast
	points   bool // 条/点: points of a speech rather than names of a list
	lead     bool // the question starts with the point's own marker (一是…)
	from, to int  // rune span of the ordinal phrase in the question
}

// detectOrdinal finds the position a question asks for, if any.
func detectOrdinal(q query) (ordinal, bool) {
	byteToRune := func(b int) int { return utf8.RuneCountInString(q.text[:b]) }
	if m := severalRe.FindStringSubmatchIndex(q.text); m != nil {
		digits := []rune(q.text[m[2]:m[3]])
		ascending := true
		for i := 1; i < len(digits); i++ {
			ascending = ascending && cnDigit(digits[i]) == cnDigit(digits[i-1])+1
		}
		if ascending && cnDigit(digits[0]) == 1 {
			cls := q.text[m[4]:m[5]]
			return ordinal{n: OrdinalAll, points: cls == "条" || cls == "点", from: byteToRune(m[0]), to: byteToRune(m[1])}, true
		}
	}
	if m := ordinalRe.FindStringSubmatchIndex(q.text); m != nil {
		cls := ""
		if m[4] >= 0 {
			cls = q.text[m[4]:m[5]]
		}
		if cls == "句" {
			return ordinal{}, false // 第一句: the start of a text, see QStart
		}
		if cls == "" {
			// 第一名, 第二批, 第三季度: a rank or a stage, no list item.
			for _, w := range notListOrdinals {
				if strings.HasPrefix(q.text[m[1]:], w) {
					return ordinal{}, false
				}
			}
		}
		num := q.text[m[2]:m[3]]
		n := 0
		switch rs := []rune(num); {
		case rs[0] >= '1' && rs[0] <= '9':
			n = int(rs[0] - '0')
		case rs[0] == '十':
			n = 10
			if len(rs) > 1 {
				n += cnDigit(rs[1])
			}
		default:
			n = cnDigit(rs[0])
			if len(rs) > 1 {
				n *= 10
			}
		}
		return ordinal{n: n, points: cls == "条" || cls == "点", from: byteToRune(m[0]), to: byteToRune(m[1])}, true
	}
	if m := lastRe.FindStringSubmatchIndex(q.text); m != nil {
		cls := q.text[m[4]:m[5]]
		return ordinal{n: OrdinalLast, points: cls == "条" || cls == "点", from: byteToRune(m[0]), to: byteToRune(m[1])}, true
	}
	if m := firstRe.FindStringSubmatchIndex(q.text); m != nil {
		cls := q.text[m[2]:m[3]]
		return ordinal{n: 1, points: cls == "条" || cls == "点", from: byteToRune(m[0]), to: byteToRune(m[1])}, true
	}
	if m := leadMarkRe.FindStringSubmatchIndex(q.text); m != nil {
		return ordinal{n: cnDigit([]rune(q.text[m[2]:m[3]])[0]), points: true, lead: true, from: 0, to: byteToRune(m[1])}, true
	}
	return ordinal{}, false
}

// Enumeration choice: a list is chosen by the question's words (in the
// list's sentences), the count it names (四个定位: four items), the
// counter (条, 点: the points of a speech) and the entry the question
// matched (whose answer lists the same items).
const (
	minEnumScore    = 0.4
	enumCountBonus  = 0.4
	enumPointsBonus = 0.3
	enumEntryBonus  = 0.4
	enumNamedBonus  = 0.5 // per item the question quotes, for two at most
)

// ordinalAnswer resolves an ordinal question against the lists of the
// sources. atoks are the matched entry's answer tokens (nil without one).
func (ix *passageIndex) ordinalAnswer(q query, o ordinal, atoks []uint64) (Quote, bool) {
	rest := q.text[:q.off[o.from]] + q.text[q.off[o.to]:]
	rq := newQuery(rest)
	asked := 0
	if m := countRe.FindStringSubmatch(rest); m != nil {
		asked = cnNumber(m[1])
	}
	toks := ix.passageQuery(rq)
	var norm float64
	for _, t := range toks {
		norm += t.w
	}
	if o.lead && norm > 0 {
		// 二是抓好民心工程那段，要激发什么动力: the marker anchors the
		// question on a point; what it asks is in the point's sentences.
		return Quote{}, false
	}
	best, bestScore := -1, 0.0
	for i, e := range ix.enums {
		n := len(e.items)
		if o.n > n || asked != 0 && asked != n && asked != e.count {
			continue
		}
		score := 0.0
		if norm > 0 {
			var got float64
			for _, t := range toks {
				if hasToken(e.toks, t) {
					got += t.w
				}
			}
			score = got / norm
		}
		if asked != 0 {
			score += enumCountBonus
		}
		if o.points && e.marker {
			score += enumPointsBonus
		}
		// 理念先行、应变求变，第三个是啥: the list whose items the
		// question quotes.
		named := 0
		for _, it := range e.items {
			if utf8.RuneCountInString(it.norm) >= 3 && strings.Contains(rq.text, it.norm) {
				named++
			}
		}
		score += enumNamedBonus * float64(min(named, 2))
		if len(atoks) > 0 {
			in := 0
			for _, it := range e.items {
				if itemIn(it.htoks, atoks) {
					in++
				}
			}
			if 2*in >= n {
				score += enumEntryBonus
			}
		}
		if score > bestScore+1e-9 {
			best, bestScore = i, score
		}
	}
	if best >= 0 && bestScore < minEnumScore && norm == 0 && o.points && ix.enums[best].marker {
		// 一二三条分别是啥 with nothing else said: the points, if the
		// sources hold one speech's points only.
		markers := 0
		for _, e := range ix.enums {
			if e.marker {
				markers++
			}
		}
		if markers == 1 {
			bestScore = minEnumScore
		}
	}
	if best < 0 || bestScore < minEnumScore {
		return Quote{}, false
	}
	e := ix.enums[best]
	if o.n > 0 && o.n <= len(e.items) && norm > 0 && (itemIn(e.items[o.n-1].htoks, questionKeys(toks)) || ix.inItemRegion(e, o.n-1, toks)) {
		// 第一条讲党建引领，里头…要由谁带头养成, 第三点里说要敢于争先
		// 进创一流，然后实现啥: the question names the item or words of
		// its sentences; the ordinal anchors it, the question is there.
		return Quote{}, false
	}
	src := ix.sources[ix.sents[e.items[0].sent].src]
	qt := Quote{Source: src.Label, Staff: src.Staff, Coverage: bestScore, Ordinal: o.n}
	var picked []enumItem
	switch o.n {
	case OrdinalAll:
		picked = e.items
	case OrdinalLast:
		picked = e.items[len(e.items)-1:]
		qt.Ordinal = len(e.items)
	default:
		picked = e.items[o.n-1 : o.n]
	}
	var answers []string
	for _, it := range picked {
		answers = append(answers, it.text)
	}
	qt.Answer = strings.Join(answers, "；")
	if o.n == OrdinalAll {
		qt.Items = answers
	}
	// The item is the answer, in the source's words; the rest of the list
	// is not repeated.
	qt.Text = qt.Answer
	return qt, true
}

// itemTokens returns the sorted character tokens of an item's heading
// (推动党建引领 of 推动党建引领，积极谱写…).
func itemTokens(text string) []uint64 {
	if i := strings.Index(text, "，"); i > 0 {
		text = text[:i]
	}
	var out []uint64
	for _, k := range appendTextTokens(nil, text) {
		if k&(1<<62) == 0 {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// itemIn reports whether most of an item's heading tokens are in the
// sorted tokens.
func itemIn(htoks, atoks []uint64) bool {
	in := 0
	for _, k := range htoks {
		if _, ok := slices.BinarySearch(atoks, k); ok {
			in++
		}
	}
	return len(htoks) > 0 && 2*in >= len(htoks)
}

// questionKeys returns the sorted character keys of question tokens.
func questionKeys(toks []qtoken) []uint64 {
	keys := make([]uint64, 0, len(toks))
	for _, t := range toks {
		keys = append(keys, t.key)
	}
	slices.Sort(keys)
	return keys
}

// minRegionShare is how much of a question's own words (besides the
// speaker's names) the sentences of one point must have for the ordinal
// to be an anchor rather than the question.
const minRegionShare = 0.5

// inItemRegion reports whether the question's words, leaving aside those
// of the speaker's names, are mostly in the sentences of point k of a
// marker list: from the point's sentence up to the next point's, or to
// the end of the paragraph for the last one.
func (ix *passageIndex) inItemRegion(e enumeration, k int, toks []qtoken) bool {
	if !e.marker {
		return false
	}
	first := e.items[k].sent
	last := first
	if k+1 < len(e.items) {
		last = max(first, e.items[k+1].sent-1)
	} else {
		for n, ok := ix.next(last); ok && ix.sents[n].para == ix.sents[first].para; n, ok = ix.next(n) {
			last = n
		}
	}
	var spk []uint64
	if sp := ix.sents[first].speaker; sp >= 0 {
		spk = ix.people[sp].toks
	}
	var norm, got float64
	found := 0
	for _, t := range toks {
		if hasToken(spk, t) {
			continue
		}
		norm += t.w
		for s := first; s <= last; s++ {
			if ix.sentMatch(s, t) > 0 {
				got += t.w
				found++
				break
			}
		}
	}
	return found >= 2 && got >= minRegionShare*norm
}

// listCues ask for the members of a group (沿线镇是哪几个, 民心工程有哪些).
var listCues = []string{"是哪几个", "是哪几", "有哪几个", "有哪几", "都有哪些", "都是哪些", "是哪些", "有哪些", "包括哪些", "哪几个", "哪几"}

// unlistedGroup returns the group a which-question asks the members of,
// when the sources name the group but never list its members: 蕰藻浜沿
// 线镇是哪几个 (the page says only 主动与蕰藻浜沿线镇对接). It returns a
// sentence naming the group, to quote. The group is the two to four
// characters before the cue that some sentence has; a sentence lists it
// when one of its lists (enumerations) has the group in its context, or
// the group's clause holds a 、.
func (ix *passageIndex) unlistedGroup(q query, answer string) (int32, bool) {
	at := -1
	for _, c := range listCues {
		if i := strings.Index(q.text, c); i >= 0 {
			at = i
			break
		}
	}
	if at <= 0 {
		return -1, false
	}
	head := []rune(strings.TrimSuffix(q.text[:at], "都"))
	group := ""
	for n := min(4, len(head)); n >= 2; n-- {
		g := string(head[len(head)-n:])
		if ix.contains(g) {
			group = g
			break
		}
	}
	if group == "" {
		return -1, false
	}
	if answer != "" && (!strings.Contains(Normalize(answer), group) || listedIn(answer, group)) {
		// The entry the question matched answers it its own way, or
		// lists the members.
		return -1, false
	}
	named := int32(-1)
	for si := range ix.sents {
		ps := &ix.sents[si]
		if !strings.Contains(ps.norm, group) {
			continue
		}
		if named < 0 {
			named = int32(si)
		}
		for _, e := range ix.enums {
			if e.items[0].sent == int32(si) && strings.Contains(Normalize(e.ctx), group) {
				return -1, false
			}
		}
		if listedIn(ps.text, group) {
			return -1, false
		}
	}
	return named, named >= 0
}

// listedIn reports whether a clause of text that names group is joined to
// a list by 、 (、 ends clauses too: one before or after it), or is
// followed by a colon or a new line (三大主题：一是…).
func listedIn(text, group string) bool {
	for _, c := range splitClauses(text) {
		from, to := c[0], c[1]
		if !strings.Contains(Normalize(text[from:to]), group) {
			continue
		}
		if strings.HasSuffix(text[:from], "、") || strings.HasPrefix(text[to:], "、") || strings.HasPrefix(text[to:], "：") || strings.HasPrefix(text[to:], "\n") {
			return true
		}
	}
	return false
}
