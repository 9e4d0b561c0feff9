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
