package staff

import (
	"strings"
	"testing"
)

func TestTokenizeKeepsOffsets(t *testing.T) {
	in := "口袋 公园　推进中\n60%  第一行\n第二行"
	toks := tokenize(in)
	var words []string
	for _, tk := range toks {
		words = append(words, tk.text)
		if in[tk.start:tk.end] != tk.text {
			t.Errorf("token %q has offsets %d..%d = %q", tk.text, tk.start, tk.end, in[tk.start:tk.end])
		}
	}
	if got := strings.Join(words, "|"); got != "口袋|公园|推进中|60%|第一行|第二行" {
		t.Fatalf("tokenize = %s", got)
	}
	if rest := in[toks[4].start:]; rest != "第一行\n第二行" {
		t.Errorf("text after a token = %q, want the line break kept", rest)
	}
}

func TestParseProgress(t *testing.T) {
	tests := []struct {
		in      string
		n       int
		ok, err bool
	}{
		{"60%", 60, true, false}, {"60％", 60, true, false}, {"６０％", 60, true, false}, {"进度60%", 60, true, false},
		{"0%", 0, true, false}, {"100%", 100, true, false},
		{"约60%", 60, true, false},
		{"150%", 0, true, true}, {"-1%", 0, true, true}, {"50.5%", 0, true, true}, {"abc%", 0, true, true}, {"%", 0, true, true},
		{"60", 0, false, false}, {"过半", 0, false, false},
	}
	for _, tc := range tests {
		n, ok, err := parseProgress(tc.in)
		if n != tc.n || ok != tc.ok || (err != nil) != tc.err {
			t.Errorf("parseProgress(%q) = %d, %v, %v; want %d, %v, err=%v", tc.in, n, ok, err, tc.n, tc.ok, tc.err)
		}
	}
}

func TestSplitList(t *testing.T) {
	if got := strings.Join(splitList("口袋公园、街心花园，小花园, 绿地；"), "|"); got != "口袋公园|街心花园|小花园|绿地" {
		t.Errorf("splitList = %s", got)
	}
}

func TestParseBareProgress(t *testing.T) {
	for _, tc := range []struct {
		in string
		n  int
		ok bool
	}{
		{"60", 60, true}, {"０", 0, true}, {"100", 100, true}, {"６０", 60, true},
		{"101", 0, false}, {"2024", 0, false}, {"-5", 0, false}, {"50.5", 0, false}, {"3号楼", 0, false}, {"", 0, false},
	} {
		if n, ok := parseBareProgress(tc.in); n != tc.n || ok != tc.ok {
			t.Errorf("parseBareProgress(%q) = %d, %v; want %d, %v", tc.in, n, ok, tc.n, tc.ok)
		}
	}
}
