package qa

import (
	"strings"
)

// Verbatim spans. Residents copy words from the page into a question and
// write the rest their own way, often in English: 「Which park 要被打造成都市
// 产业新高地」. A run of several characters that a source sentence has
// word for word says the question is about that sentence, whatever
// surrounds it: it is in our domain, and a place name inside the run (成都
// in 打造成都市产业) is the source's words, not another city.

// minVerbatimRun is how many characters in a row a question must share
// with one sentence to be about the sources for that alone. Five would let
// 中国共产党 (a general subject) in; six characters of our page are ours.
const minVerbatimRun = 6

// contains reports whether some sentence of the sources has s (normalized,
// two runes or more) word for word. Only the sentences holding one pair of
// s are searched: the pair with the fewest sentences that the index has
// (pairs across a quotation mark are not indexed, but the sentences'
// normalized text has them).
func (ix *passageIndex) contains(s string) bool {
	var cands []ppost
	found := false
	prev := rune(-1)
	for _, r := range s {
		if prev >= 0 {
			if l := ix.post[pairKey(prev, r)]; len(l) > 0 && (!found || len(l) < len(cands)) {
				cands, found = l, true
			}
		}
		prev = r
	}
	for _, p := range cands {
		if strings.Contains(ix.sents[p.sent].norm, s) {
			return true
		}
	}
	return false
}

// verbatimEnds returns, for each rune i of q, the end of the longest run
// q[i:end] some sentence has word for word (end == i+1 when not even the
// pair at i is in the sources). A run's tail is a run too, so one pass
// with two pointers finds them all.
func (ix *passageIndex) verbatimEnds(q query) []int {
	ends := make([]int, q.n)
	j := 0
	for i := 0; i < q.n; i++ {
		j = max(j, i+1)
		for j < q.n && ix.contains(q.text[q.off[i]:q.off[j+1]]) {
			j++
		}
		ends[i] = j
	}
	return ends
}

// longestVerbatim returns the length of the longest run of q that a
// sentence has word for word.
func (ix *passageIndex) longestVerbatim(q query) int {
	best := 0
	for i, end := range ix.verbatimEnds(q) {
		best = max(best, end-i)
	}
	return best
}

// foreignMention reports whether q names another city or district outside
// the words of the sources: 杭州的加装电梯补贴 does; 要被打造成都市产业新高地
// does not, because 成 ends 打造成 and 都 begins 都市产业新高地, runs of
// the page that together are a long run of its words.
func (ix *passageIndex) foreignMention(q query) bool {
	var ends []int
	for _, p := range foreignPlaces {
		for from := 0; ; {
			k := strings.Index(q.text[from:], p)
			if k < 0 {
				break
			}
			start := runeIndex(q, from+k)
			end := start + len([]rune(p))
			from += k + len(p)
			if ends == nil {
				ends = ix.verbatimEnds(q)
			}
			if !ix.absorbed(ends, start, end) {
				return true
			}
		}
	}
	return false
}

// minAbsorbingRun is the shortest run of the sources that can take a
// character of a place name as its own (打造成).
const minAbsorbingRun = 3

// absorbed reports whether every rune of [start, end) lies in a verbatim
// run (ends, see verbatimEnds) of at least minAbsorbingRun runes that
// reaches outside the span, and those runs span minVerbatimRun or more.
func (ix *passageIndex) absorbed(ends []int, start, end int) bool {
	lo, hi := start, end
	for p := start; p < end; p++ {
		covered := false
		for i := 0; i <= p; i++ {
			if ends[i] > p && ends[i]-i >= minAbsorbingRun && (i < start || ends[i] > end) {
				covered = true
				lo, hi = min(lo, i), max(hi, ends[i])
			}
		}
		if !covered {
			return false
		}
	}
	return hi-lo >= minVerbatimRun
}

// runeIndex returns the rune index of byte offset b of q.
func runeIndex(q query, b int) int {
	lo, hi := 0, q.n
	for lo < hi {
		m := (lo + hi) / 2
		if q.off[m] < b {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}
