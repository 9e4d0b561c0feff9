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

// Only a character's common reading is folded into its sound. An IME
// offers a character under its common reading, and the dictionary lists
// that one first; the others are mostly rare or literary (有 can be read
// wěi, which made 宝山区有 sound like 宝山区委) and only add false matches.

type pinyinTable struct {
	// Every character of the dictionary has a position; the common CJK
	// block (U+3400..U+9FFF), the characters of nearly every question,
	// finds it by index (dense), the rest by binary search (runes). The
	// table lives as long as the process and is built from a
	// 41,000-character dictionary, so it holds no pointers per character:
	// flat arrays of small integers (a slice or string per character was
	// 7 MB of heap, half the bot's, and work for every GC cycle).
	dense []int32    // rune-denseStart → position, -1 without a reading
	runes []rune     // positions of the characters outside the dense block, sorted
	other []int32    // their positions, parallel to runes
	syl   []syllable // position → its folded common reading (see above), 0 if none
	start []uint32   // position → first of its spellings in spell; len = positions+1
	spell []uint16   // indexes into names: every toneless reading, the common one first
	names []string   // the distinct toneless readings ("zhuang")
}

var pinyinTab = sync.OnceValue(buildPinyinTable)

func buildPinyinTable() *pinyinTable {
	t := &pinyinTable{dense: make([]int32, denseEnd-denseStart)}
	for i := range t.dense {
		t.dense[i] = -1
	}
	ids := map[string]syllable{} // folded reading → id
	names := map[string]uint16{} // toneless reading → index in t.names
	codes := make([]int, 0, len(pinyin.PinyinDict))
	for code := range pinyin.PinyinDict {
		codes = append(codes, code)
	}
	slices.Sort(codes) // positions in rune order: the outside runes come out sorted
	t.start = make([]uint32, 0, len(codes)+1)
	t.syl = make([]syllable, 0, len(codes))
	var plains []uint16
	for _, code := range codes {
		r := rune(code)
		plains = plains[:0]
		var syl syllable
		for _, reading := range strings.Split(pinyin.PinyinDict[code], ",") {
			plain := toneless(reading)
			if plain == "" {
				continue
			}
			n, ok := names[plain]
			if !ok {
				n = uint16(len(t.names))
				names[plain] = n
				t.names = append(t.names, plain)
			}
			if !slices.Contains(plains, n) {
				plains = append(plains, n)
			}
			if syl == 0 { // the dictionary lists the common reading first
				f := foldSyllable(plain)
				id, ok := ids[f]
				if !ok {
					id = syllable(len(ids) + 1)
					ids[f] = id
				}
				syl = id
			}
		}
		if len(plains) == 0 {
			continue
		}
		pos := int32(len(t.syl))
		t.syl = append(t.syl, syl)
		t.start = append(t.start, uint32(len(t.spell)))
		t.spell = append(t.spell, plains...)
		if r >= denseStart && r < denseEnd {
			t.dense[r-denseStart] = pos
		} else {
			t.runes = append(t.runes, r)
			t.other = append(t.other, pos)
		}
	}
	t.start = append(t.start, uint32(len(t.spell)))
	return t
}

// position returns r's position in the table, -1 if it has no reading.
func (t *pinyinTable) position(r rune) int32 {
	if r >= denseStart && r < denseEnd {
		return t.dense[r-denseStart]
	}
	if i, ok := slices.BinarySearch(t.runes, r); ok {
		return t.other[i]
	}
	return -1
}

// spellings returns every toneless reading of r as indexes into t.names,
// the common one first; none if r has no reading.
func (t *pinyinTable) spellings(r rune) []uint16 {
	p := t.position(r)
	if p < 0 {
		return nil
	}
	a, b := t.start[p], t.start[p+1]
	return t.spell[a:b:b] // capped: an append must not reach the next character's
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
	p := t.position(r)
	if p < 0 || t.syl[p] == 0 {
		return nil
	}
	return t.syl[p : p+1 : p+1]
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
		b.WriteString(t.names[rs[0]])
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
					next = append(next, p+t.names[x])
				}
			}
		}
		out = next
	}
	return out
}
