package qa

import (
	"errors"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/longbridgeapp/opencc"
	"golang.org/x/text/unicode/norm"
)

// t2s is the traditional→simplified converter, built once: opencc builds its
// dictionaries (a few thousand entries) from embedded text on every New,
// which costs milliseconds, far more than a conversion.
//
// Sharing one converter between goroutines is safe: after New, Convert only
// reads the dictionaries (cedar.Jump/Value/Key index fixed arrays) and keeps
// all of its state in local variables. TestNormalizeConcurrent checks this
// under the race detector.
var t2s = sync.OnceValues(newConverter)

type converter struct {
	cc *opencc.OpenCC
	// Characters that are dictionary keys by themselves (電), and those
	// that only begin longer keys (么 in 么麼). Text with neither comes out
	// of Convert unchanged, and most questions are already simplified:
	// skipping Convert for them makes Normalize several times faster
	// (Convert allocates a map per character).
	single      map[rune]bool
	phraseStart map[rune]bool
}

func newConverter() (*converter, error) {
	cc, err := opencc.New("t2s")
	if err != nil {
		return nil, err
	}
	c := &converter{cc: cc, single: make(map[rune]bool), phraseStart: make(map[rune]bool)}
	// opencc keeps its tries in exported fields; asking each trie about
	// every CJK character is the only way to learn which ones it knows.
	for _, span := range [][2]rune{{0x2E80, 0x9FFF}, {0xF900, 0xFAFF}, {0xFE30, 0xFE4F}, {0x20000, 0x2FA1F}} {
		for r := span[0]; r <= span[1]; r++ {
			switch isKey, isPrefix := c.lookup(string(r)); {
			case isKey:
				c.single[r] = true
			case isPrefix:
				c.phraseStart[r] = true
			}
		}
	}
	if len(c.single) == 0 {
		return nil, errors.New("opencc t2s dictionaries are empty")
	}
	return c, nil
}

// lookup reports whether key is a dictionary key and whether some key
// starts with it. When in doubt (a panic in the trie) it says yes to both,
// which only costs a Convert call.
func (c *converter) lookup(key string) (isKey, isPrefix bool) {
	defer func() {
		if recover() != nil {
			isKey, isPrefix = true, true
		}
	}()
	for _, g := range c.cc.DictChains {
		for _, d := range g.Dicts {
			if d == nil || d.Trie == nil {
				continue
			}
			if _, err := d.Trie.Jump([]byte(key), 0); err != nil {
				continue
			}
			isPrefix = true
			// The same call Convert makes, so both agree on what a key is.
			if m, err := d.PrefixMatch(key); err == nil && len(m[key]) > 0 {
				return true, true
			}
		}
	}
	return false, isPrefix
}

// startsKey reports whether some dictionary key starts with prefix.
func (c *converter) startsKey(prefix string) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = true
		}
	}()
	for _, g := range c.cc.DictChains {
		for _, d := range g.Dicts {
			if d != nil && d.Trie != nil {
				if _, err := d.Trie.Jump([]byte(prefix), 0); err == nil {
					return true
				}
			}
		}
	}
	return false
}

// needed reports whether Convert could change s.
func (c *converter) needed(s string) bool {
	prev := rune(-1)
	for i, r := range s {
		if c.single[r] {
			return true
		}
		if prev >= 0 && c.phraseStart[prev] && c.startsKey(s[i-utf8.RuneLen(prev):i+utf8.RuneLen(r)]) {
			return true
		}
		prev = r
	}
	return false
}

// Normalize folds a question into the form the matcher compares:
//
//   - invalid UTF-8 bytes are dropped;
//   - NFKC folds full-width letters and digits (ＡＢＣ１２３), compatibility
//     ideographs and ideographic spaces into their plain forms;
//   - traditional characters become simplified ones (電梯加裝 → 电梯加装);
//   - letters are lower-cased;
//   - everything that is not a Han character, a letter or a digit is removed:
//     spaces, CJK and ASCII punctuation, emoji, symbols, zero-width and
//     bidirectional control characters.
//
// Chinese is written without spaces, so removing them loses nothing and makes
// "电 梯 加 装" and "电梯加装" the same question. Normalize never panics.
func Normalize(s string) string {
	if s == "" {
		return ""
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "")
	}
	s = nfkc(s)
	s = toSimplified(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Han, r):
			b.WriteRune(r)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// toSimplified converts s with the shared t2s converter. It returns s
// unchanged if s has nothing to convert (the common case), if the converter
// could not be built, or if it fails: a question that keeps a traditional
// character matches a little worse, which beats no answer.
func toSimplified(s string) (out string) {
	if !hasCJK(s) {
		return s
	}
	c, err := t2s()
	if err != nil {
		return s
	}
	if !c.needed(s) {
		return s
	}
	// opencc is third-party code fed with arbitrary user input; a panic in
	// it must not take a bot worker down with it.
	defer func() {
		if recover() != nil {
			out = s
		}
	}()
	conv, err := c.cc.Convert(s)
	if err != nil {
		return s
	}
	return conv
}

func hasCJK(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0xE2 { // lead byte of U+2000 and above
			return true
		}
	}
	return false
}

// normIters reuses NFKC iterators: norm.Form.String allocates its 2 KB
// reorder buffer on every call, and every question is normalized a few
// times (measured: 7% of the bytes the bot allocated under load).
var normIters = sync.Pool{New: func() any { return new(norm.Iter) }}

// nfkcStable reports, without allocating, whether s is made only of
// characters NFKC leaves alone whatever surrounds them: ASCII and the CJK
// Unified Ideographs (with Extension A), none of which decomposes,
// composes or carries a combining class. Most questions are; the check
// saves norm's reorder buffer for them.
func nfkcStable(s string) bool {
	for _, r := range s {
		if r >= 0x80 && (r < 0x3400 || r > 0x9FFF || (r > 0x4DBF && r < 0x4E00)) {
			return false
		}
	}
	return true
}

// nfkc returns s in Unicode normalization form NFKC (norm.NFKC.String).
func nfkc(s string) string {
	if nfkcStable(s) || norm.NFKC.IsNormalString(s) {
		return s
	}
	it := normIters.Get().(*norm.Iter)
	it.InitString(norm.NFKC, s)
	buf := make([]byte, 0, len(s)+8)
	for !it.Done() {
		buf = append(buf, it.Next()...)
	}
	normIters.Put(it)
	return string(buf)
}
