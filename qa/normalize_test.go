package qa

import (
	"strings"
	"sync"
	"testing"
	"unicode"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"traditional", "電梯加裝進展如何", "电梯加装进展如何"},
		{"traditional title", "張廟街道黨工委書記", "张庙街道党工委书记"},
		{"full-width letters and digits", "ＡＢＣ１２３", "abc123"},
		{"emoji and repeated marks", "🙏电梯加装进展？？", "电梯加装进展"},
		{"emoji zwj sequence", "👨‍👩‍👧电梯", "电梯"},
		{"spaces", "电 梯\t加\n装", "电梯加装"},
		{"ideographic space", "电梯\u3000加装", "电梯加装"},
		{"cjk punctuation and quotes", "“比学赶超”，当先锋！《通知》（单位）", "比学赶超当先锋通知单位"},
		{"ascii punctuation", "what's up?! (ok)", "whatsupok"},
		{"zero-width and bidi controls", "电\u200b梯\u200d加\ufeff装\u202e\u2066", "电梯加装"},
		{"invalid utf-8", "电梯\xff\xfe加装\xc3", "电梯加装"},
		{"mixed english upper case", "Elevator 电梯 Progress", "elevator电梯progress"},
		{"circled digit", "①号楼", "1号楼"},
		{"kangxi radical", "\u2f00", "一"},
		{"symbols only", "★☆♥→€$%", ""},
		{"simplified unchanged", "什么时候完成", "什么时候完成"},
		{"chinese numerals kept", "二〇二〇年", "二〇二〇年"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Normalize(tc.in); got != tc.want {
				t.Errorf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestNormalizeConcurrent exercises the shared opencc converter from many
// goroutines; run with -race.
func TestNormalizeConcurrent(t *testing.T) {
	inputs := []string{"電梯加裝進展如何", "張廟街道黨工委書記是誰", "架空線入地什麼時候完工", "比學趕超當先鋒"}
	want := make([]string, len(inputs))
	for i, s := range inputs {
		want[i] = Normalize(s)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 50; n++ {
				for i, s := range inputs {
					if got := Normalize(s); got != want[i] {
						t.Errorf("concurrent Normalize(%q) = %q, want %q", s, got, want[i])
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

func TestNormalizeLongInput(t *testing.T) {
	in := strings.Repeat("電梯加裝，", 1000)
	got := Normalize(in)
	if want := strings.Repeat("电梯加装", 1000); got != want {
		t.Errorf("Normalize(long) has %d bytes, want %d", len(got), len(want))
	}
}

// onlyKept reports whether s holds only what Normalize keeps.
func onlyKept(s string) bool {
	for _, r := range s {
		if !unicode.Is(unicode.Han, r) && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return false
		}
		if unicode.IsUpper(r) {
			return false
		}
	}
	return true
}
