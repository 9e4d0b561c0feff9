package qa

import (
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/mozillazg/go-pinyin"
	"golang.org/x/text/unicode/norm"
)

// Pronunciation. A resident typing with a pinyin IME picks a homophone as
// often as a wrong key: 四塘一村 for 泗塘一村, 加庄电梯 for 加装电梯, 施勇根
// for 施永根, 因领 for 引领. Characters alone cannot see that; their readings
// can. Each Han character maps to its readings (go-pinyin's dictionary,
// its common reading), folded so that what a southern speaker or
// a hurried typist confuses compares equal:
//
//   - tones are ignored;
//   - initials zh/z, ch/c, sh/s and n/l are one each;
//   - finals ang/an, eng/en and ing/in are one each.
//
// A folded reading is a small integer (a syllable id), so a character pair
// becomes a token like a character bigram.

// syllable is a folded reading's id; 0 means none.
type syllable uint16

// maxReadings bounds the readings kept per character. An IME offers a
// character under its common reading, and the dictionary lists that one
// first; the others are mostly rare or literary (有 can be read wěi, which
// made 宝山区有 sound like 宝山区委) and only add false matches.
const maxReadings = 1

type pinyinTable struct {
	// The common CJK block (U+3400..U+9FFF), the characters of nearly every
	// question, is held in slices without a map lookup; the rest in maps.
	// Every slice shares one backing array and the readings are interned
	// strings: the table is built from a 41,000-character dictionary and
	// lives as long as the process, so one allocation per character (and
	// its GC scanning) was a tenth of the bot's heap.
	dense    [][]syllable
	readings map[rune][]syllable
	ids      map[string]syllable
	denseAll [][]string        // every reading, toneless and unfolded, the common one first
	all      map[rune][]string // the same outside the dense block
}

var pinyinTab = sync.OnceValue(buildPinyinTable)

func buildPinyinTable() *pinyinTable {
	t := &pinyinTable{readings: map[rune][]syllable{}, ids: make(map[string]syllable), all: map[rune][]string{},
		dense: make([][]syllable, denseEnd-denseStart), denseAll: make([][]string, denseEnd-denseStart)}
	interned := map[string]string{}
	sylBacking := make([]syllable, 0, len(pinyin.PinyinDict))
	strBacking := make([]string, 0, len(pinyin.PinyinDict)+len(pinyin.PinyinDict)/4)
	var syls []syllable
	var plains []string
	for code, value := range pinyin.PinyinDict {
		r := rune(code)
		syls, plains = syls[:0], plains[:0]
		for _, reading := range strings.Split(value, ",") {
			plain := toneless(reading)
			if plain == "" {
				continue
			}
			if p, ok := interned[plain]; ok {
				plain = p
			} else {
				interned[plain] = plain
			}
			if !slices.Contains(plains, plain) {
				plains = append(plains, plain)
			}
			f := foldSyllable(plain)
			id, ok := t.ids[f]
			if !ok {
				id = syllable(len(t.ids) + 1)
				t.ids[f] = id
			}
			if !slices.Contains(syls, id) && len(syls) < maxReadings {
				syls = append(syls, id)
			}
		}
		dense := r >= denseStart && r < denseEnd
		if len(plains) > 0 {
			if len(strBacking)+len(plains) > cap(strBacking) {
				strBacking = make([]string, 0, 4096) // the estimate fell short: a new block
			}
			at := len(strBacking)
			strBacking = append(strBacking, plains...)
			if dense {
				t.denseAll[r-denseStart] = strBacking[at:len(strBacking):len(strBacking)]
			} else {
				t.all[r] = slices.Clone(plains)
			}
		}
		if len(syls) > 0 {
			if len(sylBacking)+len(syls) > cap(sylBacking) {
				sylBacking = make([]syllable, 0, 4096)
			}
			at := len(sylBacking)
			sylBacking = append(sylBacking, syls...)
			if dense {
				t.dense[r-denseStart] = sylBacking[at:len(sylBacking):len(sylBacking)]
			} else {
				t.readings[r] = slices.Clone(syls)
			}
		}
	}
	return t
}

// spellings returns every toneless reading of r, the common one first.
func (t *pinyinTable) spellings(r rune) []string {
	if r >= denseStart && r < denseEnd {
		return t.denseAll[r-denseStart]
	}
	return t.all[r]
}

const denseStart, denseEnd = 0x3400, 0xA000

// toneless strips tone marks from a reading: "zhuāng" → "zhuang", "lǜ" →
// "lv".
func toneless(r string) string {
	r = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(r)), "ü", "v")
	var b strings.Builder
	for _, c := range norm.NFD.String(r) {
		if unicode.Is(unicode.Mn, c) {
			continue
		}
		if c < 'a' || c > 'z' {
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// foldSyllable applies the near-sound folding to a toneless syllable.
func foldSyllable(s string) string {
	switch {
	case strings.HasPrefix(s, "zh"), strings.HasPrefix(s, "ch"), strings.HasPrefix(s, "sh"):
		s = s[:1] + s[2:]
	case strings.HasPrefix(s, "n") && len(s) > 1:
		s = "l" + s[1:]
	}
	for _, f := range [][2]string{{"ang", "an"}, {"eng", "en"}, {"ing", "in"}} {
		if strings.HasSuffix(s, f[0]) {
			s = strings.TrimSuffix(s, f[0]) + f[1]
			break
		}
	}
	return s
}

// readings returns the folded readings of r, nil if it has none (not a Han
// character, or one the dictionary lacks).
func readings(r rune) []syllable {
	if r < denseStart {
		return nil
	}
	t := pinyinTab()
	if r < denseEnd {
		return t.dense[r-denseStart]
	}
	return t.readings[r]
}

// sameSound reports whether a and b share a folded reading.
func sameSound(a, b rune) bool {
	if a == b {
		return true
	}
	for _, x := range readings(a) {
		for _, y := range readings(b) {
			if x == y {
				return true
			}
		}
	}
	return false
}

// soundKey is the token of a character pair by pronunciation; it never
// collides with character tokens (bit 62 set, bit 63 clear).
func soundKey(a, b syllable) uint64 { return 1<<62 | uint64(a)<<16 | uint64(b) }

// appendSoundKeys appends the pronunciation tokens of the pair (a, b):
// one per combination of their readings.
func appendSoundKeys(dst []uint64, a, b rune) []uint64 {
	ra, rb := readings(a), readings(b)
	for _, x := range ra {
		for _, y := range rb {
			dst = append(dst, soundKey(x, y))
		}
	}
	return dst
}

// latinSpelling returns how a Han string is written in Latin script, the
// first (common) reading of each character without tones and without
// folding ("张庙" → "zhangmiao"), and false if a character has no reading.
func latinSpelling(s string) (string, bool) {
	t := pinyinTab()
	var b strings.Builder
	for _, r := range s {
		rs := t.spellings(r)
		if len(rs) == 0 {
			return "", false
		}
		b.WriteString(rs[0])
	}
	return b.String(), b.Len() > 0
}

// maxSpellings bounds the spellings allSpellings returns for one word.
const maxSpellings = 16

// allSpellings returns the ways s can be written in Latin script, every
// reading of each character combined (是谁: shishui, shishei), at most
// maxSpellings; none if a character has no reading.
func allSpellings(s string) []string {
	t := pinyinTab()
	out := []string{""}
	for _, r := range s {
		rs := t.spellings(r)
		if len(rs) == 0 {
			return nil
		}
		var next []string
		for _, p := range out {
			for _, x := range rs {
				if len(next) < maxSpellings {
					next = append(next, p+x)
				}
			}
		}
		out = next
	}
	return out
}
