package web

import (
	"encoding/json"
	"testing"
)

func TestRender(t *testing.T) {
	tests := []struct {
		name, in, want string // want: the nodes as JSON
	}{
		{"plain", "你好", `[{"text":"你好"}]`},
		{"entities", "a &lt;b&gt; &amp; &quot;c&quot;", `[{"text":"a \u003cb\u003e \u0026 \"c\""}]`},
		{"bold", "<b>状态</b>：推进中", `[{"tag":"b","kids":[{"text":"状态"}]},{"text":"：推进中"}]`},
		{"nested", "<b>a<i>b</i></b>", `[{"tag":"b","kids":[{"text":"a"},{"tag":"i","kids":[{"text":"b"}]}]}]`},
		{"aliases", "<strong>x</strong><em>y</em>", `[{"tag":"b","kids":[{"text":"x"}]},{"tag":"i","kids":[{"text":"y"}]}]`},
		{"link", `<a href="https://example.org/a?b=1&amp;c=2">链接</a>`, `[{"tag":"a","href":"https://example.org/a?b=1\u0026c=2","kids":[{"text":"链接"}]}]`},
		{"javascript link dropped", `<a href="javascript:alert(1)">x</a>`, `[{"tag":"a","kids":[{"text":"x"}]}]`},
		{"unknown tag dropped, text kept", `<script>alert(1)</script>`, `[{"text":"alert(1)"}]`},
		{"img dropped", `<img src=x onerror=alert(1)>后`, `[{"text":"后"}]`},
		{"stray lt", "1 < 2 和 a<b", `[{"text":"1 \u003c 2 和 a\u003cb"}]`},
		{"unclosed", "<b>没关", `[{"tag":"b","kids":[{"text":"没关"}]}]`},
		{"stray close", "a</b>b", `[{"text":"ab"}]`},
		{"escaped markup stays text", "&lt;script&gt;x&lt;/script&gt;", `[{"text":"\u003cscript\u003ex\u003c/script\u003e"}]`},
		{"empty", "", `null`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := json.Marshal(Render(tc.in))
			if string(got) != tc.want {
				t.Errorf("Render(%q) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

func FuzzRender(f *testing.F) {
	for _, s := range []string{"<b>a</b>", "<a href=\"https://x\">y", "<<>>", "</i></b>", "&lt;&amp;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var walk func([]Node, int)
		walk = func(ns []Node, depth int) {
			for _, n := range ns {
				if n.Tag != "" {
					if _, ok := allowed[n.Tag]; !ok {
						t.Fatalf("Render(%q) made tag %q", s, n.Tag)
					}
				}
				if n.Href != "" && safeHref(n.Href) == "" {
					t.Fatalf("Render(%q) kept href %q", s, n.Href)
				}
				walk(n.Kids, depth+1)
			}
		}
		walk(Render(s), 0)
	})
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		in, name, args string
		ok             bool
	}{
		{"/help", "help", "", true},
		{"/project 4", "project", "4", true},
		{"/Project@zhangmiao_bot  电梯加装 ", "project", "电梯加装", true},
		{"／ticket Q-0001", "ticket", "Q-0001", true},
		{"电梯加装", "", "", false},
		{"/", "", "", false},
	}
	for _, tc := range tests {
		name, args, ok := parseCommand(tc.in)
		if name != tc.name || args != tc.args || ok != tc.ok {
			t.Errorf("parseCommand(%q) = %q, %q, %v; want %q, %q, %v", tc.in, name, args, ok, tc.name, tc.args, tc.ok)
		}
	}
}

func TestCookieSignature(t *testing.T) {
	s := signer{key: []byte("0123456789abcdef0123456789abcdef")}
	v := s.sign(42)
	if n := s.verify(v); n != 42 {
		t.Fatalf("verify(sign(42)) = %d", n)
	}
	other := signer{key: []byte("another-secret-another-secret-xx")}
	for _, bad := range []string{"", "v1.42", "v1.43." + s.mac(42), "v2.42." + s.mac(42), other.sign(42), "v1.-1." + s.mac(-1), v + "x"} {
		if n := s.verify(bad); n != 0 {
			t.Errorf("verify(%q) = %d, want 0", bad, n)
		}
	}
}
