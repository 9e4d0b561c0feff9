// Package qa matches residents' questions, asked in everyday Chinese, to the
// topics and projects of a content.KnowledgeBase.
//
// Matching is lexical and runs in process: no network, no model. A question
// is normalized (Normalize), colloquial variants are folded into canonical
// terms (content synonyms), and every entry is scored by
//
//   - strong hits: keywords, project names and aliases found verbatim in the
//     question, longer terms weighing more, and
//   - character-bigram similarity: BM25 over each entry's title, example
//     questions and keywords, with IDF taken over the knowledge base so that
//     bigrams every entry shares count for little, and question words
//     (什么, 怎么, 哪些…) removed before bigrams are taken.
//
// Chinese has no spaces, and a word splitter would need a dictionary that
// knows 架空线 and 蕰藻浜; overlapping bigrams need none and still reward
// shared words. Bigrams alone would match anything that shares two
// characters with the domain, so a question is answered only when it either
// names a domain term or shares most of its content with one entry.
// Off-topic questions ("今天午饭吃什么好") get a not-found Result and the bot
// says so instead of reciting campaign text.
//
// Engine also tracks the question's intent (general, status, schedule) and
// resolves follow-ups such as 「那架空线呢？」 or 「什么时候完成」 against the
// Context of the conversation.
package qa

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/zhangmiao/communitybot/content"
)

// Intent is what a question wants to know about its subject.
type Intent int

// The intents a question can have. IntentAbout is the zero value.
const (
	IntentAbout    Intent = iota // general information (是什么、介绍)
	IntentStatus                 // how far along it is (进展、进度、怎么样了、到哪一步)
	IntentSchedule               // when it happens or ends (什么时候、何时、多久、完工)
)

func (i Intent) String() string {
	switch i {
	case IntentAbout:
		return "about"
	case IntentStatus:
		return "status"
	case IntentSchedule:
		return "schedule"
	}
	return fmt.Sprintf("Intent(%d)", int(i))
}

// Context is what the conversation was last about: the Topic or Project of
// the previous Result (normally only one is set) and its Intent. The zero
// Context means no previous question.
type Context struct {
	Topic   string
	Project string
	Intent  Intent
}

// intent returns c.Intent, or IntentAbout if it is not a valid Intent (a
// Context restored from storage is input like any other).
func (c Context) intent() Intent {
	if c.Intent < IntentAbout || c.Intent > IntentSchedule {
		return IntentAbout
	}
	return c.Intent
}

// Result is the outcome of Match. At most one of TopicID and ProjectID is
// set; neither is set when nothing matched well enough.
type Result struct {
	TopicID   string
	ProjectID string
	Intent    Intent

	// FollowUp reports that the subject or the intent came from the Context
	// rather than from the question itself.
	FollowUp bool

	// Score is the winning entry's score, zero when the subject came from
	// the Context alone. It is only comparable between results of the same
	// Engine and serves logging and tuning.
	Score float64

	// Detail is set when the question asks for a specific fact (see
	// Detail), with or without a subject.
	Detail Detail
	// NeedSubject reports a follow-up (什么时候完成, 进度多少) with nothing
	// in the conversation to refer to: the caller should ask which project.
	NeedSubject bool

	// QType is the kind of fact the question asks for.
	QType QType
	// Quote, when set, is the answer: words of a source (the newsletter or
	// a staff answer) trimmed to what was asked. TopicID or ProjectID may
	// still name the entry the question is about, for context.
	Quote *Quote
	// Missing reports that the question asks for a kind of fact (a person,
	// a date) that the matched topic's answer does not give and no
	// sentence of the sources gives either.
	Missing QType

	// When nothing answers: OffTopic says the question is outside what the
	// bot covers (no ticket); Unknown that it is about the subdistrict but
	// the sources do not say (a ticket); Request that it is a complaint or
	// a service request (a ticket marked as such). Request may come with
	// the entry it names, Unknown with the topic about reaching staff
	// (居委会的电话是多少: that topic has no numbers).
	OffTopic bool
	Unknown  bool
	Request  bool
}

// Found reports whether the question matched a topic or a project.
func (r Result) Found() bool { return r.TopicID != "" || r.ProjectID != "" }

// Detail is a kind of specific fact a question asks for that the source
// material never gives (a price, a procedure, a place, a phone number, a
// count, an eligibility rule). A question with a Detail is not answered
// with its subject's general description: the caller should say the fact
// is not known and hand the question to staff.
type Detail string

// MaxQuestionRunes bounds the part of a question that is matched. Telegram
// allows 4096 characters; a resident's question is a sentence or two, and
// matching a pasted article character by character would only cost time.
const MaxQuestionRunes = 600

// Tuning. The values were set on dev.json and the paraphrase set in
// testdata; see the tests before changing them.
const (
	bm25K1 = 1.2
	bm25B  = 0.5

	// An entry found through a domain term needs only part of the
	// question's content (the rest is often chat: 楼里、家门口、我们老楼):
	// termCoverageBase minus the term's score, but at least
	// minCoverageWithTerm. A weak term (口号) must be backed by more of the
	// question than a strong one (五个张庙), or 广告口号怎么写 would pass.
	termCoverageBase    = 0.4
	minCoverageWithTerm = 0.15
	// When the question names a domain term of another entry, it is about
	// our domain; an entry may then win on shared words alone.
	minCoverageDomain = 0.45
	// Without any domain term the question must be mostly the entry's words.
	minCoverageNoTerm = 0.6
	// A status or schedule question needs less of a project's words: the
	// cues say it is about a project.
	minCoverageProgress = 0.3
	// Small talk answers a greeting, not a question that contains one.
	minCoverageSmallTalk = 0.6
	// Extra term hits of one entry add this share of their weight; the best
	// hit counts fully. Aliases of one project (装电梯, 电梯, 电梯加装) often
	// overlap and must not add up to an unbeatable score.
	extraTermShare = 0.25
	// termScale converts a term's length into score: a four-character term
	// is worth at most 0.24, a quarter of a perfect bigram match, so a term
	// decides between entries only together with the rest of the question
	// (李强书记对比学赶超提了什么要求 is about 李强's requirement, not about
	// the meaning of 比学赶超). Terms matter most for acceptance.
	termScale = 0.08

	// Coverage says how much of the question an entry explains; BM25 adds
	// how strongly (a bigram repeated across an entry's example questions
	// is central to it) and mostly breaks ties between entries that
	// explain the same words.
	coverageWeight = 0.7
	simWeight      = 0.3

	// projectTieMargin is how close two named projects must score for the
	// one named first to win.
	projectTieMargin = 0.2

	// staffDetailBonus lifts a staff answer over the entry it was learned
	// onto when both fit and the question asks for the fact staff answered.
	staffDetailBonus = 0.2
)

// Engine matches questions against one knowledge base. It is immutable after
// New (apart from its memo of recent results) and safe for concurrent use;
// to change the knowledge, build a new Engine and swap it in. A Result's
// Quote may be shared between callers and must not be modified.
type Engine struct {
	entries []entry
	byID    map[string]int32

	tokens     map[uint64]tokenStats
	unknownIDF float64 // IDF given to question bigrams no entry has
	avgLen     float64

	terms        map[string]term
	maxTermRunes int

	synonyms    map[string]string // variant → canonical, both normalized
	canonicals  map[string]bool
	maxSynRunes int

	vocab    *vocabulary
	passages *passageIndex
	// counted rewrites 几大行动 to the page's 五大行动 (countedNames).
	counted phraseTable

	memo memo // recent results; see memo.go
}

type entry struct {
	id        string
	project   bool
	smallTalk bool
	length    float64  // bigram count of the entry's text, for BM25
	answer    string   // what the reply will say (title and answer, name and summary)
	atoks     []uint64 // answer's passage tokens, sorted
	staff     bool     // a staff-written answer (learned)
	about     int32    // for a staff answer learned onto an entry: that entry, else -1
	detail    Detail   // the detail its example question asked for (staff answers)
}

type posting struct {
	entry int32
	tf    float32
}

type tokenStats struct {
	idf      float64
	postings []posting
}

type term struct {
	weight  float64
	ascii   bool // matched on word boundaries only: "hi" must not fire inside "this"
	entries []int32
}

// New indexes kb and, for the passage tier, the newsletter and every
// staff-written answer of kb. It fails if kb is nil or if the
// traditional→simplified converter cannot be built (its dictionaries are
// embedded, so that is a bug, not a runtime condition). New does not keep
// kb.
func New(kb *content.KnowledgeBase) (*Engine, error) {
	return NewWithSources(kb, []Source{{Label: content.SourceName, Text: content.Newsletter()}})
}

// NewWithSources is New with the source texts given: sources are quoted by
// the passage tier, followed by kb's staff-written answers.
func NewWithSources(kb *content.KnowledgeBase, sources []Source) (*Engine, error) {
	if kb == nil {
		return nil, errors.New("qa: nil knowledge base")
	}
	if _, err := t2s(); err != nil {
		return nil, fmt.Errorf("qa: traditional to simplified converter: %w", err)
	}
	e := &Engine{
		byID:       make(map[string]int32, len(kb.Topics)+len(kb.Projects)),
		tokens:     make(map[uint64]tokenStats),
		terms:      make(map[string]term),
		synonyms:   make(map[string]string),
		canonicals: make(map[string]bool),
	}

	// Each entry's text is the material residents' questions resemble:
	// title, example questions and the terms themselves. Answers are left
	// out on purpose: they are long, full of generic words, and would let
	// any question that shares a word with an answer look on-topic.
	type doc struct {
		texts []string
		terms []string
	}
	var docs []doc
	add := func(en entry, d doc) {
		if _, dup := e.byID[en.id]; dup {
			return // content.Validate forbids this; keep the first
		}
		e.byID[en.id] = int32(len(e.entries))
		e.entries = append(e.entries, en)
		docs = append(docs, d)
	}
	sources = slices.Clone(sources)
	for _, t := range kb.Topics {
		d := doc{texts: append([]string{t.Title}, t.Questions...), terms: t.Keywords}
		en := entry{id: t.ID, smallTalk: t.SmallTalk, answer: t.Title + "\n" + t.Answer, about: -1}
		if t.StaffAnswered != "" {
			en.staff = true
			if len(t.Questions) > 0 {
				en.detail = detectDetail(newQuery(Normalize(t.Questions[0])))
			}
			sources = append(sources, Source{Label: StaffLabel(t.StaffAnswered), Staff: true, Text: content.ParseSource(t.Answer)})
		}
		add(en, d)
	}
	names := map[string]string{}
	for _, p := range kb.Projects {
		names[p.ID] = p.Name
	}
	for _, rec := range kb.Records {
		// Notes staff posted about projects: quotable, with their date.
		sources = append(sources, Source{Label: RecordLabel(names[rec.Project], rec.Date), Staff: true, Text: content.ParseSource(rec.Text)})
	}
	for _, p := range kb.Projects {
		h := kb.ProjectHints[p.ID]
		d := doc{texts: append([]string{p.Name}, h.Questions...)}
		d.terms = append(append(append(d.terms, p.Name), p.Aliases...), h.Keywords...)
		add(entry{id: p.ID, project: true, answer: p.Name + "\n" + p.Summary, about: -1}, d)
	}
	for _, t := range kb.Topics {
		k, ok := e.byID[t.ID]
		if j, found := e.byID[t.About]; ok && found && t.About != "" {
			e.entries[k].about = j
		}
	}

	df := make(map[uint64]int)
	termEntries := make(map[string][]int32)
	// Each entry's normalized text, and which entries contain each raw
	// character pair, to count how many entries mention a term without
	// scanning them all.
	docText := make([]string, len(docs))
	pairs := make(map[uint64][]int32)
	var totalLen float64
	var toks []uint64
	for i, d := range docs {
		tf := make(map[uint64]float32)
		var all strings.Builder
		for _, s := range append(d.texts, d.terms...) {
			s = Normalize(s)
			all.WriteString(s)
			all.WriteByte('|')
			prev := rune(-1)
			for _, r := range s {
				if prev >= 0 {
					k := pairKey(prev, r)
					if l := pairs[k]; len(l) == 0 || l[len(l)-1] != int32(i) {
						pairs[k] = append(l, int32(i))
					}
				}
				prev = r
			}
			toks = appendTokens(toks[:0], s)
			for _, k := range toks {
				tf[k]++
			}
			e.entries[i].length += float64(len(toks))
		}
		totalLen += e.entries[i].length
		docText[i] = all.String()
		for k, n := range tf {
			df[k]++
			st := e.tokens[k]
			st.postings = append(st.postings, posting{entry: int32(i), tf: n})
			e.tokens[k] = st
		}
		for _, s := range d.terms {
			t := Normalize(s)
			if utf8.RuneCountInString(t) < 2 {
				continue
			}
			if l := termEntries[t]; len(l) == 0 || l[len(l)-1] != int32(i) {
				termEntries[t] = append(l, int32(i))
			}
		}
	}
	n := float64(len(e.entries))
	if n > 0 {
		e.avgLen = math.Max(totalLen/n, 1)
	}
	for k, st := range e.tokens {
		st.idf = idf(n, float64(df[k]))
		e.tokens[k] = st
	}
	// A bigram no entry has is as informative as the rarest one that
	// exists; giving it more would let one chatty word sink a question.
	e.unknownIDF = idf(n, 1)

	for t, ents := range termEntries {
		r := utf8.RuneCountInString(t)
		ascii := isASCIIWord(t)
		w := termScale * float64(min(r-1, 6))
		if ascii {
			w = termScale * math.Ceil(float64(r)/3)
		}
		// A term that many entries mention (比学赶超 is in half of the
		// questions) says less about any one of them, even if only one
		// lists it as a keyword. Counting mentions keeps this automatic:
		// nobody has to curate how generic a term is.
		mentions := max(e.mentions(t, docText, pairs), len(ents))
		w *= idf(n, float64(mentions)) / idf(n, 1)
		// A term several entries list says less about each of them.
		w /= float64(len(ents))
		e.terms[t] = term{weight: w, ascii: ascii, entries: ents}
		e.maxTermRunes = max(e.maxTermRunes, r)
	}

	for _, s := range kb.Synonyms {
		c := Normalize(s.Canonical)
		if c == "" {
			continue
		}
		e.canonicals[c] = true
		e.maxSynRunes = max(e.maxSynRunes, utf8.RuneCountInString(c))
		for _, v := range s.Variants {
			v = Normalize(v)
			if v == "" || v == c {
				continue
			}
			if _, taken := e.synonyms[v]; !taken {
				e.synonyms[v] = c
				e.maxSynRunes = max(e.maxSynRunes, utf8.RuneCountInString(v))
			}
		}
	}
	for i := range e.entries {
		e.entries[i].atoks = answerTokens(e.entries[i].answer)
	}
	words := make([]string, 0, len(e.terms)+len(e.synonyms))
	for t := range e.terms {
		words = append(words, t)
	}
	for _, c := range slices.Sorted(maps.Keys(e.canonicals)) {
		words = append(words, c)
	}
	slices.Sort(words) // deterministic: the first spelling of a word wins
	var ascii []string
	for t, tm := range e.terms {
		if tm.ascii {
			ascii = append(ascii, t)
		}
	}
	slices.Sort(ascii)
	e.vocab = newVocabulary(words, ascii, sources)
	e.passages = newPassageIndex(sources)
	e.counted = newPhraseTable(countedNames(e.passages))
	return e, nil
}

// countedRe finds the page's counted names: 五大行动, 三大主题, 四个定位.
var countedRe = regexp.MustCompile(`([一二三四五六七八九十两])(大|个|项|条)(\p{Han}{2})`)

// countedNames maps the way a resident asks for a counted name without
// its number (几大行动, 几个定位) to the name the sources give it, when they
// give it one number only.
func countedNames(ix *passageIndex) map[string]string {
	m := map[string]string{}
	clash := map[string]bool{}
	for _, s := range ix.sents {
		for _, c := range countedRe.FindAllStringSubmatch(s.norm, -1) {
			k := "几" + c[2] + c[3]
			if v, ok := m[k]; ok && v != c[0] {
				clash[k] = true
			}
			m[k] = c[0]
		}
	}
	for k := range clash {
		delete(m, k)
	}
	return m
}

// StaffLabel is how a reply attributes an answer staff wrote on date
// (YYYY-MM-DD).
func StaffLabel(date string) string { return "街道工作人员答复（" + date + "）" }

// RecordLabel is how a reply attributes a note staff posted about a
// project on date (YYYY-MM-DD).
func RecordLabel(project, date string) string {
	if project == "" {
		return "街道工作人员发布的项目动态（" + date + "）"
	}
	return "街道工作人员发布的「" + project + "」项目动态（" + date + "）"
}

// mentions counts the entries whose text contains t. Only the entries that
// contain t's rarest character pair are searched.
func (e *Engine) mentions(t string, docText []string, pairs map[uint64][]int32) int {
	var rarest []int32
	found := false
	prev := rune(-1)
	for _, r := range t {
		if prev >= 0 {
			l := pairs[pairKey(prev, r)]
			if !found || len(l) < len(rarest) {
				rarest, found = l, true
			}
		}
		prev = r
	}
	n := 0
	for _, i := range rarest {
		if strings.Contains(docText[i], t) {
			n++
		}
	}
	return n
}

// spanMarked reports whether every rune of [start, end) is marked.
func spanMarked(marked []bool, start, end int) bool {
	for i := start; i < end; i++ {
		if !marked[i] {
			return false
		}
	}
	return end > start
}

func pairKey(a, b rune) uint64 { return uint64(a)<<32 | uint64(b) }

func idf(n, df float64) float64 {
	return math.Log(1 + (n-df+0.5)/(df+0.5))
}

// Match finds the entry a question is about. It never fails: a question it
// cannot place yields a Result whose Answered is false, with OffTopic,
// Unknown or Request saying why. c is the conversation so far; pass the
// zero Context for a first question.
func (e *Engine) Match(question string, c Context) Result {
	if question == "" {
		return Result{}
	}
	if r, ok := e.memo.get(question, c); ok {
		return r
	}
	r := e.matchFresh(question, c)
	e.memo.put(question, c, r)
	return r
}

// matchFresh is Match without the memo.
func (e *Engine) matchFresh(question string, c Context) Result {
	raw := corrected(truncateRunes(question, MaxQuestionRunes))
	q := newQuery(e.fold(raw))
	if q.n == 0 {
		return Result{}
	}
	q.raw = raw
	q.detail = detectDetail(q)
	var r Result
	if len(e.entries) > 0 {
		r = e.match(q, c)
	}
	r.Detail = q.detail
	r.QType = detectQType(q)
	e.decide(q, &r)
	return r
}

// fold is how a question's text is folded before matching: spelling
// variants, colloquial forms, people's aliases, counted names.
func (e *Engine) fold(s string) string {
	return e.counted.replace(e.passages.foldPeople(e.vocab.fold(s)))
}

// Answered reports whether r answers the question: with an entry or with a
// quote from a source.
func (r Result) Answered() bool { return r.Found() || r.Quote != nil }

// Thresholds of the passage tier against a curated entry: a sentence of
// the source replaces the entry's answer when it has this much more of the
// question's content than the answer has, and at least minQuoteOverEntry
// of it.
const (
	quoteMargin       = 0.25
	minQuoteOverEntry = 0.6
	// A sentence that fits somewhat better than the entry's answer and
	// says what the answer does not (去年除了A和B还有啥: the C) wins too.
	minQuoteGain = 0.1
	// Only a short, pointed quote may win that way: a long sentence always
	// "adds" something.
	maxAddingQuote = 50
	// A question that shares this much with a sentence, though not enough
	// to be answered by it, is about our sources: a question for staff.
	nearMissCoverage = 0.35
)

// decide settles what answers q once the curated match is known: another
// place's question is off-topic, a complaint is a request, the passage tier
// may answer or sharpen the answer, and a question nothing answers is told
// apart as off-topic or unknown.
func (e *Engine) decide(q query, r *Result) {
	qt := r.QType
	if !hasAny(q, ourPlaces) && hasAny(q, foreignPlaces) && e.passages.foreignMention(q) || hasAny(q, offTopicSubjects) && !isRequest(q) {
		*r = Result{OffTopic: true, QType: qt}
		return
	}
	if isRequest(q) && !(r.ProjectID != "" && r.Intent != IntentAbout) && !e.isHelp(r.TopicID) {
		*r = Result{Request: true, QType: qt, TopicID: r.TopicID, ProjectID: r.ProjectID}
		return
	}
	var en *entry
	if r.Found() {
		en = &e.entries[e.byID[resultEntryID(*r)]]
	}
	ix := e.passages
	// An ordinal may follow up on the entry just discussed (五大行动 …
	// 第四个呢), whose answer then tells which list is meant.
	if o, ok := detectOrdinal(q); ok && r.Detail == "" && qt != QNext && qt != QPrev && qt != QStart && qt != QEnd && qt != QComplete &&
		!(en != nil && en.project && r.Intent != IntentAbout) {
		// 第三条是啥, 四个定位里第二个: the item of a list at that place.
		var atoks []uint64
		if en != nil {
			atoks = en.atoks
		}
		if quote, ok := ix.ordinalAnswer(q, o, atoks); ok {
			r.Quote, r.NeedSubject = &quote, false
			return
		}
	}
	if r.NeedSubject || r.FollowUp {
		return
	}
	if en != nil && en.staff {
		return // a staff answer to this very question
	}
	if r.Detail != "" {
		// A price, a place, a phone number, someone's age: facts the
		// newsletter never gives. A sentence that shares the question's
		// other words does not answer it; the caller says it is unknown.
		// A note staff posted may give it (意见征询会在小区广场开).
		if quote, ok := e.staffQuote(q, qt); ok {
			r.Quote = &quote
			return
		}
		if en != nil && e.isHelp(en.id) && hasAny(q, numberCues) {
			// 居委会的电话是多少: the topic about reaching staff has no
			// numbers; staff do. The topic stays as what it is about.
			r.Unknown = true
			return
		}
		if en == nil {
			if hasAny(q, offTopicCues) || !e.inDomain(q, 0) {
				r.OffTopic = true
			} else {
				r.Unknown = true
			}
		}
		return
	}
	toks := ix.passageQuery(q)
	wantLetter := hasAny(q, letterCues)
	if qt == QTitle {
		if s, ok := ix.title(); ok {
			quote := ix.quote(s, qt, toks, 1, 1)
			r.Quote = &quote
			return
		}
	}
	signature := qt == QEnd && (hasAny(q, signatureCues) || hasAny(q, whoCues) && hasAny(q, authorCues))
	if (qt == QStart || qt == QEnd) && !signature && len(toks) > 0 {
		// 信末尾说的六大板块有哪些, 信最后一句说要让群众怎样共享…: words
		// of one sentence say which; the position only placed it.
		if _, cov, ok := ix.best(toks, wantLetter, false, QAny); ok && cov >= minPassageCoverage {
			qt = contentQType(q)
			r.QType = qt
		}
	}
	if (qt == QStart || qt == QEnd) && (wantLetter || hasAny(q, articleCues)) {
		if s, ok := ix.sectionEdge(wantLetter || !hasAny(q, articleCues), qt == QEnd, signature); ok {
			quote := ix.quote(s, qt, toks, 1, 1)
			if n, ok := ix.next(s); ok && qt == QStart && strings.HasSuffix(quote.Text, "：") {
				// The salutation and the first sentence: 信的开头 is both.
				quote.Text += ix.sents[n].text
			}
			r.Quote = &quote
			return
		}
	}
	if qt == QWhich || qt == QCount && hasAny(q, listCues) {
		answer := ""
		if en != nil {
			answer = en.answer
		}
		if s, found := ix.unlistedGroup(q, answer); found {
			// 蕰藻浜沿线镇是哪几个: the page names the group, never its
			// members; say so with what it does say.
			quote := ix.quote(s, QAny, toks, 1, 1)
			r.Missing, r.Quote = QWhich, &quote
			return
		}
	}
	oneTerm := len(toks) == 1 && len(e.termHits(q, nil)) > 0
	s, cov, ok := ix.best(toks, wantLetter, oneTerm, qt)
	if !ok && en == nil && !hasAny(q, offTopicCues) {
		// Nothing curated and no sentence on the first look: a second,
		// lenient one before the resident is told the page lacks it.
		if lt, ls, lcov, found := e.lenientBest(q, wantLetter, qt); found {
			toks, s, cov, ok = lt, ls, lcov, true
		}
	}
	nb, wcov, windowed := int32(-1), 0.0, false
	if qt != QNext && qt != QPrev && qt != QComplete {
		nb, wcov, windowed = ix.window(s, toks, cov)
	}
	if ok && !windowed && qt == QWhy && !ix.sents[s].purpose {
		// 区里为啥要搞这个活动: the sentence that names it, and the one
		// beside it that says what for.
		if n, found := ix.purposeNeighbour(s); found {
			nb, wcov, windowed = n, cov, true
		}
	}
	if windowed {
		ok, cov = true, wcov
	}
	if ok {
		quote := ix.quote(s, qt, toks, countWanted(q), cov)
		if windowed {
			other := ix.quote(nb, qt, toks, 1, cov)
			if qt == QWhy && ix.sents[nb].purpose && !ix.sents[s].purpose {
				other.Text = ix.sents[nb].text // what for, in full
			}
			quote.Text = joinQuotes(quote.Text, other.Text, nb < s)
		}
		if qt == QWho && hasAny(q, speechCues) {
			// Who said 充分发挥党建引领作用…: the speech's speaker.
			if intro, ok := ix.speakerIntro(s, quote.Text); ok {
				quote.Text = joinQuotes(quote.Text, intro, true)
			}
		}
		use := false
		switch {
		case (qt == QWho || qt == QWhen || qt == QCount) && !carries(quote.Text, qt):
			// 一共有多少个居民区: a sentence without a figure does not
			// answer how many; 具体哪天印发的 is not answered by 日前. If
			// the entry has no such fact either, the resident is told
			// the sources do not give it, with what they do say.
			if en == nil && e.inDomain(q, cov) || en != nil && !en.smallTalk && !carries(en.answer, qt) &&
				!(en.project && (qt != QWho || r.Intent != IntentAbout)) {
				r.Missing, r.Quote = qt, &quote
				return
			}
		case qt == QWhy && en != nil && !carries(quote.Text, QWhy):
			// 开展这个活动的目的是什么: a sentence that only shares the
			// words (开展, 活动) does not say what for; the entry may.
		case en == nil:
			use = true
		case en.project && r.Intent != IntentAbout:
			// Status and schedule come from the live record.
		case qt == QNext || qt == QPrev:
			use = quote.Answer != ""
		case en.smallTalk:
			use = true
		default:
			ansCov := ix.answerCoverage(en.atoks, toks)
			use = cov >= minQuoteOverEntry && cov-ansCov >= quoteMargin ||
				cov >= minQuoteOverEntry && cov-ansCov >= minQuoteGain && utf8.RuneCountInString(quote.Text) <= maxAddingQuote &&
					ix.adds(quote.Text, en.atoks, toks) ||
				qt == QComplete && ansCov < cov ||
				!carries(en.answer, qt) && carries(quote.Text, qt) ||
				qt == QWho && hasAny(q, speechCues) && cov >= minQuoteOverEntry && ix.namesOther(s, quote.Text, en.answer)
		}
		if use {
			r.Quote = &quote
			return
		}
	}
	if en != nil {
		if (!en.project || qt == QWho && r.Intent == IntentAbout) && (qt == QWho || qt == QWhen) && !carries(en.answer, qt) {
			r.Missing = qt
		}
		return
	}
	if hasAny(q, offTopicCues) || !e.inDomain(q, cov) {
		r.OffTopic = true
	} else {
		r.Unknown = true
	}
}

// Acceptance of the lenient second look (lenientBest): more of the
// question's remaining content than the first look asks, and some of it
// distinctive (a place name alone is not).
const (
	minLenientCoverage       = 0.5
	minLenientClauseCoverage = 0.6
	minLenientMass           = 3.0
	minLenientOneWord        = 0.85
)

// lenientBest is the second look for a question the first found no
// sentence for. Residents write the way they talk: 我们张庙要建成啥样的社
// 区, 张庙是科创的辐射带吗？我孙子问我我也讲不清, a life story and then
// the question. The seams between their words (庙要, 的辐, 我孙) and the
// words that only frame the question (打算, 关系, 情况) stop counting, and
// each clause is also tried alone, so that the clause that asks is
// matched without the ones that tell. Words the sources never use still
// count against every sentence: a question about what the page lacks
// still fails.
func (e *Engine) lenientBest(q query, wantLetter bool, qt QType) (toks []qtoken, sent int32, cov float64, found bool) {
	ix := e.passages
	try := func(cq query, floor float64) {
		lt := ix.lenientQuery(cq)
		s, c, ok := ix.best(lt, wantLetter, false, qt)
		// One matched word suffices when it is nearly all that is left
		// (街道在养老上有啥打算), not beside a word the page lacks (养老金).
		ok = ok || s >= 0 && c >= minLenientOneWord
		if !ok || c < floor || c <= cov {
			return
		}
		var norm float64
		for _, t := range lt {
			norm += t.w
		}
		if c*norm < minLenientMass {
			return
		}
		toks, sent, cov, found = lt, s, c, true
	}
	try(q, minLenientCoverage)
	clauses := cut(q.raw, sentenceEnds+"，,")
	if len(clauses) < 2 {
		return
	}
	for _, c := range clauses {
		if cq := newQuery(e.fold(c)); cq.n > 0 {
			try(cq, minLenientClauseCoverage)
		}
	}
	return
}

// sentenceEnds end the questions of a message typed as several.
const sentenceEnds = "？?！!。；;\n"

// Parts cuts a message typed as several questions (六大板块是哪六个？最后一
// 个是什么？) at its question marks and full stops, and at a space between
// Chinese words (征途漫漫 后面那句是啥), which is a comma; a space between
// English words is not. Empty pieces are dropped.
func Parts(text string) []string { return cut(text, sentenceEnds) }

// cut is Parts cutting at delims.
func cut(text, delims string) []string {
	rs := []rune(text)
	at := func(i int) bool {
		if strings.ContainsRune(delims, rs[i]) {
			return true
		}
		return unicode.IsSpace(rs[i]) && i > 0 && i+1 < len(rs) && rs[i-1] >= utf8.RuneSelf && !unicode.IsSpace(rs[i-1]) &&
			rs[i+1] >= utf8.RuneSelf && !unicode.IsSpace(rs[i+1])
	}
	var out []string
	from := 0
	for i := range rs {
		if at(i) {
			if p := string(rs[from:i]); strings.TrimSpace(p) != "" {
				out = append(out, p)
			}
			from = i + 1
		}
	}
	if p := string(rs[from:]); strings.TrimSpace(p) != "" {
		out = append(out, p)
	}
	return out
}

// joinQuotes joins two quotes of neighbouring sentences, before or after
// a, with one "……" where both were cut.
func joinQuotes(a, b string, bFirst bool) string {
	if bFirst {
		a, b = b, a
	}
	if strings.HasSuffix(a, "……") && strings.HasPrefix(b, "……") {
		b = strings.TrimPrefix(b, "……")
	}
	return a + b
}

// minStaffDetailCoverage is how much of a detail question a staff
// record's sentence must cover to answer it.
const minStaffDetailCoverage = 0.6

// staffQuote answers a detail question from a staff-written source, if
// one fits it best and well.
func (e *Engine) staffQuote(q query, qt QType) (Quote, bool) {
	ix := e.passages
	toks := ix.passageQuery(q)
	s, cov, ok := ix.best(toks, false, false, qt)
	if !ok || cov < minStaffDetailCoverage || !ix.sources[ix.sents[s].src].Staff {
		return Quote{}, false
	}
	return ix.quote(s, qt, toks, 1, cov), true
}

// inDomain reports whether a question nothing answers is still about the
// subdistrict: it names one of our places or domain terms, something of
// neighbourhood life, or shares a fair part of a source sentence (cov).
//
// A term counts only if it names a substantive entry: 机器人 is a keyword
// of the topic about the bot (你是机器人吗), which makes 推荐一款扫地机器人
// no question about the subdistrict.
func (e *Engine) inDomain(q query, cov float64) bool {
	if hasAny(q, ourPlaces) || hasAny(q, localWords) || hasAny(q, letterCues) || hasAny(q, articleCues) || cov >= nearMissCoverage {
		return true
	}
	if e.passages.longestVerbatim(q) >= minVerbatimRun {
		return true // words of the page, whatever is around them
	}
	for _, h := range e.termHits(q, e.synonymSpans(q)) {
		if en := e.entries[h.entry]; !en.smallTalk && !e.isHelp(en.id) {
			return true
		}
	}
	return false
}

// ClearlyOffTopic reports whether a question names a subject the bot and
// staff do not cover (the weather, films, another city): not merely one it
// cannot place. /ask refuses only these; a resident who asks staff about
// something unplaceable still gets a ticket.
func (e *Engine) ClearlyOffTopic(question string) bool {
	q := newQuery(e.vocab.fold(truncateRunes(question, MaxQuestionRunes)))
	if isRequest(q) {
		return false
	}
	return hasAny(q, offTopicCues) || hasAny(q, offTopicSubjects) || !hasAny(q, ourPlaces) && hasAny(q, foreignPlaces) && e.passages.foreignMention(q)
}

// isHelp reports whether id is the topic about reaching staff or about
// the bot: 怎么找街道反映问题 is a question about them, not a request.
func (e *Engine) isHelp(id string) bool {
	return id == content.ContactTopicID || id == content.AboutTopicID
}

// isRequest reports a complaint or a service request about the
// neighbourhood (not about one's own television).
func isRequest(q query) bool {
	return hasAny(q, requestCues) && !hasAny(q, privateWords)
}

func resultEntryID(r Result) string {
	if r.ProjectID != "" {
		return r.ProjectID
	}
	return r.TopicID
}

// corrected keeps what a resident says they meant: for 不是电梯，我问的是养老
// only 养老 is the question.
func corrected(question string) string {
	for _, m := range corrections {
		if i := strings.LastIndex(question, m); i >= 0 && i+len(m) < len(question) {
			return question[i+len(m):]
		}
	}
	return question
}

func (e *Engine) match(q query, c Context) Result {
	intent, weakStatus := detectIntent(q)
	spans := e.synonymSpans(q)
	hits := e.termHits(q, spans)
	// 这个项目 points back at the subject just discussed; the generic
	// word in it must not name an entry of its own. With nothing
	// discussed yet (这个活动是什么), the word is all the subject there is.
	if _, _, ctxUsable := e.context(c); ctxUsable {
		demo := demonstrativeSpans(q)
		kept := hits[:0]
		for _, h := range hits {
			if !spanMarked(demo, h.start, h.end) {
				kept = append(kept, h)
			}
		}
		hits = kept
	}

	// A question with no subject of its own (什么时候完成, 详细说说,
	// 它是干嘛的) is a follow-up; it must not be matched on its own, where
	// a stray bigram could pick some unrelated entry.
	covered := make([]bool, q.n)
	for _, h := range hits {
		markSpan(covered, h.start, h.end)
	}
	for _, s := range spans {
		markSpan(covered, s.start, s.end)
	}
	residual, more, elliptical, about, detail := scanResidual(q, covered)
	_, _, usable := e.context(c)
	// A question naming only our place (张庙街道在哪里) is about the place,
	// not about the project just discussed.
	if len(hits) == 0 && residual == 0 && (intent != IntentAbout || weakStatus || more || about || detail) &&
		(usable || !hasAny(q, demonstrativeNouns)) && !hasAny(q, ourPlaces) {
		if !usable && about && hasAny(q, secondPerson) {
			// 你们是做什么的: about the bot itself.
			if i, ok := e.byID[content.AboutTopicID]; ok && !e.entries[i].project {
				return Result{TopicID: content.AboutTopicID}
			}
		}
		return e.followUp(c, intent, weakStatus, about || detail)
	}

	cands := e.score(q, spans, hits)
	best, ok := e.pick(cands, acceptance{
		asksProgress: intent != IntentAbout || weakStatus,
		domain:       len(hits) > 0,
		onlyTerms:    residual == 0,
	})
	if !ok {
		return Result{}
	}
	en := e.entries[best.entry]
	r := Result{Intent: intent, Score: best.total}
	if en.project {
		r.ProjectID = en.id
		if weakStatus && intent == IntentAbout {
			r.Intent = IntentStatus
		}
	} else {
		r.TopicID = en.id
	}
	// 那架空线呢: a new project asked with the previous question's intent.
	// Topics have no status or schedule, so there is nothing to carry over.
	if en.project && elliptical && residual == 0 && intent == IntentAbout && !weakStatus {
		if _, _, usable := e.context(c); usable {
			r.Intent = c.intent()
			r.FollowUp = true
		}
	}
	return r
}

// followUp answers a question that has no subject from the Context: the
// project for status and schedule questions (they are about projects), the
// topic otherwise; whichever is set if only one is.
func (e *Engine) followUp(c Context, intent Intent, weakStatus, about bool) Result {
	topic, project, usable := e.context(c)
	if !usable {
		// 什么时候完成 out of the blue: which project?
		return Result{Intent: intent, NeedSubject: intent != IntentAbout || weakStatus}
	}
	if weakStatus && intent == IntentAbout && project != "" {
		intent = IntentStatus
	}
	if intent == IntentAbout && !weakStatus && !about {
		// 详细说说 / 还有呢: go on in the same vein. 它是干嘛的 asks what
		// the subject is, whatever was asked before.
		intent = c.intent()
	}
	r := Result{Intent: intent, FollowUp: true}
	switch {
	case project != "" && (intent != IntentAbout || topic == ""):
		r.ProjectID = project
	case topic != "":
		r.TopicID = topic
	default:
		r.ProjectID = project
	}
	return r
}

// context returns the ids of c that exist in this Engine. Small talk is no
// context: after 你好, 什么时候完成 has nothing to refer to. Ids of entries
// removed since the Context was saved are ignored the same way.
func (e *Engine) context(c Context) (topic, project string, usable bool) {
	if i, ok := e.byID[c.Project]; ok && e.entries[i].project {
		project = c.Project
	}
	if i, ok := e.byID[c.Topic]; ok && !e.entries[i].project && !e.entries[i].smallTalk {
		topic = c.Topic
	}
	return topic, project, topic != "" || project != ""
}

type candidate struct {
	entry    int32
	term     float64 // strong-hit score
	sim      float64 // BM25, scaled to about 0..1
	coverage float64 // IDF share of the question's bigrams the entry has
	total    float64
	firstPos int // where the entry's first term hit starts; for ties
}

// score combines term hits and bigram similarity. Similarity is computed for
// the question as typed and, if synonyms apply, for its substituted form,
// keeping the better of the two per entry, so that substitution can only add
// matches.
func (e *Engine) score(q query, spans []synSpan, hits []termHit) []candidate {
	byEntry := make(map[int32]*candidate)
	get := func(i int32) *candidate {
		c := byEntry[i]
		if c == nil {
			c = &candidate{entry: i, firstPos: math.MaxInt}
			byEntry[i] = c
		}
		return c
	}
	e.similarity(weighTokens(q, nil), get)
	if len(spans) > 0 {
		e.similarity(weighTokens(q, spans), get)
	}

	// Per entry: drop hits inside a longer hit of the same entry (电梯 in
	// 电梯加装), then count the best fully and the rest a little.
	slices.SortFunc(hits, func(a, b termHit) int {
		return cmp.Or(cmp.Compare(a.entry, b.entry), cmp.Compare(b.weight, a.weight), cmp.Compare(len(b.text), len(a.text)))
	})
	for i := 0; i < len(hits); {
		j := i
		for j < len(hits) && hits[j].entry == hits[i].entry {
			j++
		}
		c := get(hits[i].entry)
		var kept []string
		for _, h := range hits[i:j] {
			c.firstPos = min(c.firstPos, h.start)
			if slices.ContainsFunc(kept, func(k string) bool { return strings.Contains(k, h.text) }) {
				continue
			}
			if len(kept) == 0 {
				c.term += h.weight
			} else {
				c.term += extraTermShare * h.weight
			}
			kept = append(kept, h.text)
		}
		i = j
	}

	cands := make([]candidate, 0, len(byEntry))
	for _, c := range byEntry {
		en := e.entries[c.entry]
		bonus := 0.0
		if en.staff {
			// A staff answer learned from a question answers questions
			// that ask for the same kind of fact (补贴多少钱 is not 在哪
			// 申请), and the entry it was learned onto lends it its terms:
			// 装电梯有补贴吗 names 电梯加装, whose answer staff extended.
			if en.detail != q.detail {
				continue
			}
			if t, ok := byEntry[en.about]; ok && en.about >= 0 && t.term > c.term {
				c.term, c.firstPos = t.term, t.firstPos
			}
			if en.detail != "" {
				bonus = staffDetailBonus
			}
		}
		c.total = c.term + coverageWeight*c.coverage + simWeight*c.sim + bonus
		cands = append(cands, *c)
	}
	slices.SortFunc(cands, func(a, b candidate) int {
		return cmp.Or(cmp.Compare(b.total, a.total), cmp.Compare(a.firstPos, b.firstPos), cmp.Compare(a.entry, b.entry))
	})
	return cands
}

// wtoken is a similarity token with the weight it has in the question.
type wtoken struct {
	key uint64
	w   float64
}

// weighTokens returns the tokens of q with each synonym span replaced by its
// canonical term. A canonical term is often longer than the variant it
// replaces (新冠 → 新冠肺炎疫情); its tokens share the weight the variant's
// tokens had, or a short variant would swamp the rest of the question and
// 新冠疫苗在哪打 would look like a question about the 2020 epidemic.
func weighTokens(q query, spans []synSpan) []wtoken {
	var out []wtoken
	add := func(text string, w float64) {
		for _, k := range appendTokens(nil, text) {
			out = append(out, wtoken{k, w})
		}
	}
	last := 0
	for _, sp := range spans {
		add(q.text[q.off[last]:q.off[sp.start]], 1)
		variant := len(appendTokens(nil, q.text[q.off[sp.start]:q.off[sp.end]]))
		if canon := appendTokens(nil, sp.canonical); len(canon) > 0 {
			w := float64(max(variant, 1)) / float64(len(canon))
			for _, k := range canon {
				out = append(out, wtoken{k, w})
			}
		}
		last = sp.end
	}
	add(q.text[q.off[last]:], 1)
	// A bigram asked twice counts once, at its larger weight.
	slices.SortFunc(out, func(a, b wtoken) int { return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(b.w, a.w)) })
	return slices.CompactFunc(out, func(a, b wtoken) bool { return a.key == b.key })
}

// similarity adds BM25 and coverage of the question's tokens to every entry
// sharing one. Only the postings of the question's own tokens are visited,
// so the cost follows the question, not the size of the knowledge base.
func (e *Engine) similarity(toks []wtoken, get func(int32) *candidate) {
	var norm float64
	for _, t := range toks {
		if st, ok := e.tokens[t.key]; ok {
			norm += st.idf * t.w
		} else {
			norm += e.unknownIDF * t.w
		}
	}
	if norm == 0 {
		return
	}
	type acc struct{ sim, cov float64 }
	sums := make(map[int32]acc)
	for _, t := range toks {
		st, ok := e.tokens[t.key]
		if !ok {
			continue
		}
		for _, p := range st.postings {
			tf := float64(p.tf)
			l := e.entries[p.entry].length / e.avgLen
			s := sums[p.entry]
			s.sim += t.w * st.idf * tf / (tf + bm25K1*(1-bm25B+bm25B*l))
			s.cov += t.w * st.idf
			sums[p.entry] = s
		}
	}
	for i, s := range sums {
		c := get(i)
		c.sim = math.Max(c.sim, s.sim/norm)
		c.coverage = math.Max(c.coverage, s.cov/norm)
	}
}

// acceptance is what the question as a whole says about how much an entry
// must share with it.
type acceptance struct {
	// asksProgress: a status or schedule question. "X 什么时候好" says
	// almost nothing besides X, so a project named by a term passes with
	// little else in common.
	asksProgress bool
	// domain: the question names at least one domain term.
	domain bool
	// onlyTerms: apart from terms, the question holds only question words
	// and fillers (你是谁, 电梯加装呢).
	onlyTerms bool
}

// pick returns the best acceptable candidate. A substantive entry that the
// question names by a term beats small talk ("你好，电梯什么时候装" is about
// the elevator); one that merely shares a character does not (你是谁 is
// not about the newsletter because 你的资料 shares 你).
func (e *Engine) pick(cands []candidate, a acceptance) (candidate, bool) {
	var smallTalk *candidate
	for i := range cands {
		c := &cands[i]
		if !e.acceptable(*c, a) {
			continue
		}
		if e.entries[c.entry].smallTalk {
			// 你好 is small talk; 把早上好翻成英语怎么说 only mentions it.
			if smallTalk == nil && (a.onlyTerms || c.coverage >= minCoverageSmallTalk) {
				smallTalk = c
			}
			continue
		}
		if smallTalk == nil || c.term > 0 {
			return e.firstNamed(*c, cands[i+1:], a), true
		}
	}
	if smallTalk != nil {
		return *smallTalk, true
	}
	return candidate{}, false
}

// firstNamed resolves a question that names several projects (电梯加装和
// 架空线入地进展如何): scores that close say nothing about which one the
// resident cares about most, so the first one named wins, as it would in
// conversation; the longer name would otherwise always win.
func (e *Engine) firstNamed(best candidate, rest []candidate, a acceptance) candidate {
	if best.term == 0 || !e.entries[best.entry].project {
		return best
	}
	for _, c := range rest {
		if best.total-c.total > projectTieMargin {
			break
		}
		if c.term > 0 && e.entries[c.entry].project && c.firstPos < best.firstPos && e.acceptable(c, a) {
			best = c
		}
	}
	return best
}

func (e *Engine) acceptable(c candidate, a acceptance) bool {
	switch {
	case c.term > 0:
		need := max(termCoverageBase-c.term, minCoverageWithTerm)
		return c.coverage >= need || a.onlyTerms || a.asksProgress && e.entries[c.entry].project
	case a.domain:
		return c.coverage >= minCoverageDomain
	case a.asksProgress && e.entries[c.entry].project:
		// 那个改造项目进展咋样: a status question about a word of one
		// project's name, though the word is no term of its own.
		return c.coverage >= minCoverageProgress
	}
	return c.coverage >= minCoverageNoTerm
}

// termHit is one domain term found in the question.
type termHit struct {
	entry      int32
	weight     float64
	text       string
	start, end int // rune span in the question as typed
}

// termHits returns every occurrence of a known term in q, and the terms
// inside the canonical form of each synonym span. A term reached through a
// synonym weighs as much as the words the resident typed: 加梯 stands for
// 电梯加装 but is as short, and as ambiguous, as any two-character term.
func (e *Engine) termHits(q query, spans []synSpan) []termHit {
	var hits []termHit
	for i := 0; i < q.n; i++ {
		for l := min(e.maxTermRunes, q.n-i); l >= 2; l-- {
			s := q.text[q.off[i]:q.off[i+l]]
			t, ok := e.terms[s]
			if !ok || t.ascii && !q.wordBoundary(i, i+l) {
				continue
			}
			for _, en := range t.entries {
				hits = append(hits, termHit{entry: en, weight: t.weight, text: s, start: i, end: i + l})
			}
		}
	}
	for _, sp := range spans {
		c := newQuery(sp.canonical)
		typed := sp.end - sp.start
		for i := 0; i < c.n; i++ {
			for l := min(e.maxTermRunes, c.n-i); l >= 2; l-- {
				s := c.text[c.off[i]:c.off[i+l]]
				t, ok := e.terms[s]
				if !ok {
					continue
				}
				w := t.weight * min(1, float64(typed-1)/float64(l-1))
				for _, en := range t.entries {
					hits = append(hits, termHit{entry: en, weight: w, text: s, start: sp.start, end: sp.end})
				}
			}
		}
	}
	return hits
}

// synSpan is a synonym variant found in the question: its rune span and
// the canonical term it stands for.
type synSpan struct {
	start, end int
	canonical  string
}

// synonymSpans finds the synonym variants in q, the longest first and left
// to right, never inside an occurrence of a canonical term (入地 must not
// rewrite 架空线入地).
func (e *Engine) synonymSpans(q query) []synSpan {
	if len(e.synonyms) == 0 {
		return nil
	}
	protected := make([]bool, q.n)
	for i := 0; i < q.n; i++ {
		for l := min(e.maxSynRunes, q.n-i); l >= 2; l-- {
			if e.canonicals[q.text[q.off[i]:q.off[i+l]]] {
				markSpan(protected, i, i+l)
				break
			}
		}
	}
	var spans []synSpan
	for i := 0; i < q.n; {
		l, c := e.variantAt(q, i)
		if l == 0 || slices.Contains(protected[i:i+l], true) {
			i++
			continue
		}
		spans = append(spans, synSpan{i, i + l, c})
		i += l
	}
	return spans
}

func (e *Engine) variantAt(q query, i int) (int, string) {
	for l := min(e.maxSynRunes, q.n-i); l >= 2; l-- {
		if c, ok := e.synonyms[q.text[q.off[i]:q.off[i+l]]]; ok {
			return l, c
		}
	}
	return 0, ""
}

// query is a normalized question with the byte offset of each rune, so that
// substrings can be looked up in maps without allocating.
type query struct {
	raw    string // the question as asked (set by matchFresh), for its clauses
	text   string
	off    []int // off[i] is the byte offset of rune i; off[n] == len(text)
	n      int
	detail Detail // set by Match
}

func newQuery(s string) query {
	off := make([]int, 0, len(s)/3+1)
	for i := range s {
		off = append(off, i)
	}
	n := len(off)
	return query{text: s, off: append(off, len(s)), n: n}
}

func (q query) wordBoundary(start, end int) bool {
	isWord := func(i int) bool {
		c := q.text[q.off[i]]
		return c < utf8.RuneSelf && (c >= 'a' && c <= 'z' || c >= '0' && c <= '9')
	}
	return (start == 0 || !isWord(start-1)) && (end == q.n || !isWord(end))
}

func markSpan(b []bool, start, end int) {
	for i := start; i < end && i < len(b); i++ {
		b[i] = true
	}
}

func truncateRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

func isASCIIWord(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// appendTokens appends the similarity tokens of a normalized text: the text
// is split at stop phrases and particles, each Han run yields its overlapping
// character bigrams (a run of one character yields that character), and
// each run of ASCII letters and digits is one token (2020, hello).
func appendTokens(dst []uint64, s string) []uint64 {
	q := newQuery(s)
	runes := make([]rune, 0, q.n)
	for _, r := range s {
		runes = append(runes, r)
	}
	flush := func(seg []rune) {
		for i := 0; i < len(seg); {
			if seg[i] < utf8.RuneSelf {
				j := i
				for j < len(seg) && seg[j] < utf8.RuneSelf {
					j++
				}
				dst = append(dst, wordToken(seg[i:j]))
				i = j
				continue
			}
			j := i
			for j < len(seg) && seg[j] >= utf8.RuneSelf {
				j++
			}
			if j-i == 1 {
				// A lone character between stop words (开了个什么会)
				// is often all that is left of the subject.
				dst = append(dst, uint64(seg[i]))
			}
			for k := i; k+1 < j; k++ {
				dst = append(dst, pairKey(seg[k], seg[k+1]))
			}
			i = j
		}
	}
	start := 0
	for i := 0; i < q.n; {
		if k := lex.keep.longest(q, i); k > 0 && k >= lex.separators.longest(q, i) {
			i += k
			continue
		}
		if l := lex.separators.longest(q, i); l > 0 {
			flush(runes[start:i])
			i += l
			start = i
			continue
		}
		i++
	}
	flush(runes[start:])
	return dst
}

// wordToken hashes an ASCII word (FNV-1a). Bigram and single-character
// tokens are runes below 2^21, so they never reach bit 63, which word tokens
// always set.
func wordToken(w []rune) uint64 {
	h := uint64(14695981039346656037)
	for _, r := range w {
		h ^= uint64(r)
		h *= 1099511628211
	}
	return h | 1<<63
}
