package assistant_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/zhangmiao/communitybot/bot/tgtest"
)

// FuzzAsk: whatever a resident types, the assistant answers without
// panicking, with a reply Telegram accepts (valid HTML within the length
// limit) that echoes nothing unescaped.
func FuzzAsk(f *testing.F) {
	for _, s := range []string{
		"五个张庙是什么", "電梯加裝進展如何", "🙏电梯加装进展？？", "", " ", strings.Repeat("张庙", 2048),
		"😀😀😀", "\u202eمرحبا\u202c", "电\u200b梯", "<b>x</b><script>alert(1)</script>", "'; DROP TABLE x; --",
		"*bold* _i_ [l](http://x)", "&amp;&lt;&#x41;", "\xff\xfe", "那它呢", "/project 4",
	} {
		f.Add(s)
	}
	a, _ := newAssistant(f)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, q string) {
		ans, err := a.Ask(ctx, 1, 1, q)
		if err != nil {
			t.Fatalf("Ask(%q): %v", q, err)
		}
		plain, _, err := tgtest.ParseHTML(ans.Reply.Text)
		if err != nil {
			t.Fatalf("Ask(%q) reply is not valid Telegram HTML: %v\n%s", q, err, ans.Reply.Text)
		}
		if plain == "" || !utf8.ValidString(ans.Reply.Text) {
			t.Fatalf("Ask(%q) gave an empty or invalid reply", q)
		}
		if strings.Contains(ans.Reply.Text, "<script") {
			t.Fatalf("Ask(%q) echoed markup: %s", q, ans.Reply.Text)
		}
		for _, row := range ans.Reply.Buttons {
			for _, b := range row {
				if b.Data == "" || len(b.Data) > 64 {
					t.Fatalf("Ask(%q) button %q has data %q", q, b.Text, b.Data)
				}
			}
		}
	})
}
