package qa

import (
	"testing"

	"golang.org/x/text/unicode/norm"
)

func TestNFKCMatchesNorm(t *testing.T) {
	for _, s := range []string{"", "垃圾几点清运？", "ＡＢＣ１２３，你好！", "ﬁ ① ㍿ 가", "e\u0301\u0323x", "plain ascii", "\u1e9b\u0323"} {
		if got, want := nfkc(s), norm.NFKC.String(s); got != want {
			t.Errorf("nfkc(%q) = %q, want %q", s, got, want)
		}
	}
}

// nfkcStable's characters are each unchanged by NFKC and starters of
// combining class 0, and no two of them compose (every ASCII pair, and
// ideographs next to every ASCII character and to another ideograph), so a
// string of them is NFKC; and the check says no to what NFKC changes.
func TestNFKCStableCharacters(t *testing.T) {
	var set []rune
	for r := rune(0); r <= 0xFFFF; r++ {
		s := string(r)
		if !nfkcStable(s) {
			continue
		}
		set = append(set, r)
		p := norm.NFKC.PropertiesString(s)
		if norm.NFKC.String(s) != s || p.CCC() != 0 || !p.BoundaryBefore() {
			t.Fatalf("U+%04X is taken as NFKC-stable but is not", r)
		}
	}
	if len(set) < 128+20000 {
		t.Fatalf("only %d characters taken as stable: the fast path covers too little", len(set))
	}
	for i, a := range set {
		if a >= 0x80 && i%61 != 0 {
			continue // every ASCII character, one ideograph in 61
		}
		for b := rune(0); b < 0x80; b++ {
			for _, s := range []string{string(a) + string(b), string(b) + string(a), string(a) + "张"} {
				if !norm.NFKC.IsNormalString(s) {
					t.Fatalf("%q is taken as NFKC-stable but is not", s)
				}
			}
		}
	}
	for _, s := range []string{"五个张庙？", "ＡＢＣ", "e\u0301", "<\u0338", "\uF900", "①"} {
		if nfkcStable(s) {
			t.Errorf("nfkcStable(%q) = true; NFKC changes it", s)
		}
	}
}
