package qa

import (
	"strings"
	"unicode/utf8"
)

// Phrase kinds, combined as flags because one phrase can be several things
// (那 is a filler and an ellipsis marker).
const (
	kindSchedule uint8 = 1 << iota
	kindStatus
	kindWeakStatus
	kindMore
	kindEllipsis
	kindAbout
	kindDetail
	kindRemovable // anything that is not a subject of its own
)

// phraseSet finds the longest listed phrase starting at a position.
type phraseSet struct {
	m        map[string]uint8
	maxRunes int
}

func (p *phraseSet) add(kind uint8, phrases ...string) {
	if p.m == nil {
		p.m = make(map[string]uint8)
	}
	for _, s := range phrases {
		p.m[s] |= kind
		p.maxRunes = max(p.maxRunes, utf8.RuneCountInString(s))
	}
}

// longestKind returns the rune length and kinds of the longest phrase at
// rune i of q, or 0 if there is none.
func (p *phraseSet) longestKind(q query, i int) (int, uint8) {
	for l := min(p.maxRunes, q.n-i); l >= 1; l-- {
		if k, ok := p.m[q.text[q.off[i]:q.off[i+l]]]; ok {
			return l, k
		}
	}
	return 0, 0
}

func (p *phraseSet) longest(q query, i int) int {
	l, _ := p.longestKind(q, i)
	return l
}

// lex holds the word lists of lexicon.go as lookup tables. It is built once
// at package initialisation and only read afterwards.
var lex = buildLexicon()

type lexicon struct {
	separators     phraseSet // split text before bigrams are taken
	keep           phraseSet // content words that contain a separator
	intents        phraseSet // intent cues
	residual       phraseSet // everything that is not a subject
	demonstratives phraseSet // 这个项目, 它: the subject just discussed
	passageStops   phraseSet // split a question before passage bigrams are taken
	lenientStops   phraseSet // passageStops and frameWords, for the lenient second look
	details        map[string]Detail
	maxDetailRunes int
}

func buildLexicon() *lexicon {
	var l lexicon
	l.intents.add(kindSchedule, scheduleCues...)
	l.intents.add(kindStatus, statusCues...)
	l.intents.add(kindWeakStatus, weakStatusCues...)

	l.separators.add(kindRemovable, stopPhrases...)
	l.separators.add(kindRemovable, scheduleCues...)
	l.separators.add(kindRemovable, statusCues...)
	l.separators.add(kindRemovable, weakStatusCues...)
	for _, r := range particles {
		l.separators.add(kindRemovable, string(r))
	}

	l.keep.add(kindRemovable, keepWords...)
	for s, k := range l.separators.m {
		l.residual.add(k, s)
	}
	l.residual.add(kindSchedule, scheduleCues...)
	l.residual.add(kindStatus, statusCues...)
	l.residual.add(kindWeakStatus, weakStatusCues...)
	l.residual.add(kindRemovable, fillers...)
	l.residual.add(kindMore|kindRemovable, moreCues...)
	l.residual.add(kindEllipsis|kindRemovable, ellipsisPrefixes...)
	l.residual.add(kindAbout|kindRemovable, aboutCues...)
	l.residual.add(kindRemovable, demonstratives...)
	l.residual.add(kindRemovable, secondPerson...)
	l.demonstratives.add(kindRemovable, demonstratives...)
	places := map[string]bool{}
	for _, p := range ourPlaces {
		places[p] = true
	}
	places["上海"], places["上海市"], places["街道"] = true, true, true
	for _, s := range stopPhrases {
		if !places[s] {
			l.passageStops.add(kindRemovable, s)
		}
	}
	for _, cues := range [][]string{nextCues, prevCues, completeCues, endCues, startCues, letterCues, articleCues,
		whoCues, whenCues, countCues, whichCues, whyCues, whatCues, scheduleCues, statusCues, weakStatusCues, passageFillers} {
		l.passageStops.add(kindRemovable, cues...)
	}
	for _, r := range questionParticles {
		l.passageStops.add(kindRemovable, string(r))
	}
	for p, k := range l.passageStops.m {
		l.lenientStops.add(k, p)
	}
	l.lenientStops.add(kindRemovable, frameWords...)
	l.details = map[string]Detail{}
	for d, cues := range detailCues {
		for _, c := range cues {
			l.details[c] = d
			l.maxDetailRunes = max(l.maxDetailRunes, utf8.RuneCountInString(c))
			// 多少钱 after 电梯加装 is a follow-up: the cue is no subject.
			l.residual.add(kindDetail|kindRemovable, c)
		}
	}
	for _, m := range detailMasks {
		l.details[m] = noDetail
		l.maxDetailRunes = max(l.maxDetailRunes, utf8.RuneCountInString(m))
	}
	return &l
}

// noDetail marks a mask in the detail table (see detailMasks).
const noDetail Detail = "-"

// detectDetail returns the kind of the first detail cue in q, longest cue
// first at each position.
func detectDetail(q query) Detail {
	for i := 0; i < q.n; i++ {
		for l := min(lex.maxDetailRunes, q.n-i); l >= 1; l-- {
			d, ok := lex.details[q.text[q.off[i]:q.off[i+l]]]
			if !ok {
				continue
			}
			if d != noDetail {
				return d
			}
			i += l - 1 // skip the masked cue
			break
		}
	}
	return ""
}

// demonstrativeSpans marks the runes of q that are demonstratives (这个项目,
// 它): term hits inside them are no subject.
func demonstrativeSpans(q query) []bool {
	marked := make([]bool, q.n)
	for i := 0; i < q.n; {
		if l := lex.demonstratives.longest(q, i); l > 0 {
			markSpan(marked, i, i+l)
			i += l
			continue
		}
		i++
	}
	return marked
}

// hasAny reports whether q contains one of the phrases.
func hasAny(q query, phrases []string) bool {
	for _, p := range phrases {
		if strings.Contains(q.text, p) {
			return true
		}
	}
	return false
}

// detectIntent scans q for intent cues, longest first. A schedule cue beats a
// status cue (进展如何，什么时候完成 wants a date). weak reports a bare
// 怎么样 with no stronger cue; the caller decides what it means.
func detectIntent(q query) (intent Intent, weak bool) {
	var seen uint8
	for i := 0; i < q.n; {
		l, k := lex.intents.longestKind(q, i)
		if l == 0 {
			i++
			continue
		}
		seen |= k
		i += l
	}
	switch {
	case seen&kindSchedule != 0:
		return IntentSchedule, false
	case seen&kindStatus != 0:
		return IntentStatus, false
	}
	return IntentAbout, seen&kindWeakStatus != 0
}

// scanResidual counts the runes of q that are neither covered (part of a
// domain term or synonym) nor removable words: a question whose residual is
// zero says nothing beyond its cues and its terms. It also reports whether q
// asks for more (详细说说), whether it is elliptical (那…, …呢) and whether
// it asks what something is (是干嘛的).
func scanResidual(q query, covered []bool) (residual int, more, elliptical, about, detail bool) {
	for i := 0; i < q.n; {
		if covered[i] {
			i++
			continue
		}
		l, k := lex.residual.longestKind(q, i)
		if l == 0 {
			residual++
			i++
			continue
		}
		if k&kindMore != 0 {
			more = true
		}
		if k&kindEllipsis != 0 && i == 0 {
			elliptical = true
		}
		if k&kindAbout != 0 {
			about = true
		}
		if k&kindDetail != 0 {
			detail = true
		}
		i += l
	}
	for _, s := range ellipsisSuffixes {
		if q.n > 0 && q.text[q.off[q.n-1]:] == s {
			elliptical = true
		}
	}
	return residual, more, elliptical, about, detail
}
