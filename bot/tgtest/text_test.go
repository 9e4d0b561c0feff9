package tgtest

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/go-telegram/bot/models"
)

func TestParseHTML(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		plain   string
		ents    string // fmt of entities as type@offset+length
		wantErr string // substring; "" means success
	}{
		{name: "plain", in: "hello", plain: "hello"},
		{name: "bold", in: "<b>hi</b> there", plain: "hi there", ents: "[bold@0+2]"},
		{name: "all simple tags", in: "<strong>a</strong><i>b</i><em>c</em><u>d</u><ins>e</ins><s>f</s><strike>g</strike><del>h</del>",
			plain: "abcdefgh", ents: "[bold@0+1 italic@1+1 italic@2+1 underline@3+1 underline@4+1 strikethrough@5+1 strikethrough@6+1 strikethrough@7+1]"},
		{name: "upper-case tags", in: "<B>x</B>", plain: "x", ents: "[bold@0+1]"},
		{name: "nested", in: "<b>bold <i>both</i></b>", plain: "bold both", ents: "[bold@0+9 italic@5+4]"},
		{name: "spoilers", in: `<span class="tg-spoiler">a</span><tg-spoiler>b</tg-spoiler>`, plain: "ab", ents: "[spoiler@0+1 spoiler@1+1]"},
		{name: "link", in: `<a href="https://example.com/?a=1&amp;b=2">站点</a>`, plain: "站点", ents: "[text_link@0+2 https://example.com/?a=1&b=2]"},
		{name: "unquoted attribute", in: `<a href=tg-1.2>x</a>`, plain: "x", ents: "[text_link@0+1 tg-1.2]"},
		{name: "single-quoted attribute", in: `<a href='https://x.y'>x</a>`, plain: "x", ents: "[text_link@0+1 https://x.y]"},
		{name: "mention by id", in: `<a href="tg://user?id=42">王</a>`, plain: "王", ents: "[text_mention@0+1 user 42]"},
		{name: "code", in: "<code>x := 1</code>", plain: "x := 1", ents: "[code@0+6]"},
		{name: "pre with language", in: `<pre><code class="language-go">fmt.Println()</code></pre>`, plain: "fmt.Println()", ents: "[pre@0+13 go]"},
		{name: "blockquote", in: "<blockquote>引用</blockquote>", plain: "引用", ents: "[blockquote@0+2]"},
		{name: "expandable blockquote", in: "<blockquote expandable>长引用</blockquote>", plain: "长引用", ents: "[expandable_blockquote@0+3]"},
		{name: "custom emoji", in: `<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>`, plain: "👍", ents: "[custom_emoji@0+2]"},
		{name: "tg-time", in: `<tg-time unix="1647531900" format="wDT">明天</tg-time>`, plain: "明天", ents: "[date_time@0+2]"},
		{name: "entities", in: "&lt;b&gt; &amp; &quot;x&quot;", plain: `<b> & "x"`},
		{name: "numeric entities", in: "&#20320;&#x597D;&#128077;", plain: "你好👍"},
		{name: "entity without semicolon", in: "a &lt b", plain: "a < b"},
		{name: "lone ampersand is text", in: "A & B", plain: "A & B"},
		{name: "unknown named entity is text", in: "a&nbsp;b", plain: "a&nbsp;b"},
		{name: "utf16 offsets after emoji", in: "👍🏽 <b>好</b>", plain: "👍🏽 好", ents: "[bold@5+1]"},
		{name: "trimmed", in: "\n  <b>x</b>  \n", plain: "x", ents: "[bold@0+1]"},
		{name: "empty entity dropped", in: "<b></b>x", plain: "x"},
		{name: "end tag with spaces", in: "<b>x</b >", plain: "x", ents: "[bold@0+1]"},

		{name: "bare less-than", in: "1 < 2", wantErr: `Unsupported start tag "" at byte offset 2`},
		{name: "unknown tag", in: "<div>x</div>", wantErr: `Unsupported start tag "div" at byte offset 0`},
		{name: "br is not supported", in: "a<br>b", wantErr: `Unsupported start tag "br" at byte offset 1`},
		{name: "unclosed tag", in: "<b>bold", wantErr: `Can't find end tag corresponding to start tag "b"`},
		{name: "mismatched end tag", in: "<b><i>x</b></i>", wantErr: `Unmatched end tag at byte offset 7, expected "</i>", found "</b>"`},
		{name: "unexpected end tag", in: "x</b>", wantErr: "Unexpected end tag at byte offset 1"},
		{name: "unterminated start tag", in: "<b", wantErr: "Unclosed start tag at byte offset 0"},
		{name: "unterminated attribute", in: `<a href="x>y</a>`, wantErr: "Unclosed start tag at byte offset 0"},
		{name: "span without class", in: "<span>x</span>", wantErr: `Tag "span" must have class "tg-spoiler"`},
		{name: "attribute without value", in: "<b foo>x</b>", wantErr: `Expected equal sign in declaration of an attribute of the tag "b"`},
		{name: "byte offsets count bytes", in: "你好<p>", wantErr: `Unsupported start tag "p" at byte offset 6`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plain, ents, err := ParseHTML(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseHTML(%q) error = %v, want %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseHTML(%q) error = %v", tc.in, err)
			}
			if plain != tc.plain {
				t.Errorf("ParseHTML(%q) plain = %q, want %q", tc.in, plain, tc.plain)
			}
			if got := fmtEntities(ents); got != tc.ents && !(tc.ents == "" && got == "[]") {
				t.Errorf("ParseHTML(%q) entities = %s, want %s", tc.in, got, tc.ents)
			}
		})
	}
}

func fmtEntities(ents []models.MessageEntity) string {
	parts := make([]string, 0, len(ents))
	for _, e := range ents {
		s := fmt.Sprintf("%s@%d+%d", e.Type, e.Offset, e.Length)
		switch {
		case e.URL != "":
			s += " " + e.URL
		case e.User != nil:
			s += fmt.Sprintf(" user %d", e.User.ID)
		case e.Language != "":
			s += " " + e.Language
		}
		parts = append(parts, s)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func TestBotCommandEntities(t *testing.T) {
	tests := []struct {
		in   string
		want []string // the commands, as sliced by UTF-16 offsets
		ents string
	}{
		{in: "/start", want: []string{"/start"}, ents: "[bot_command@0+6]"},
		{in: "/start@zhangmiao_test_bot 参数", want: []string{"/start@zhangmiao_test_bot"}, ents: "[bot_command@0+25]"},
		{in: "你好 /help", want: []string{"/help"}, ents: "[bot_command@3+5]"},
		{in: "你好/help", want: nil},
		{in: "👍 /help", want: []string{"/help"}, ents: "[bot_command@3+5]"},
		{in: "👍🏽/help", want: []string{"/help"}, ents: "[bot_command@4+5]"},
		{in: "/a /b", want: []string{"/a", "/b"}, ents: "[bot_command@0+2 bot_command@3+2]"},
		{in: "see a/b or 1/2", want: nil},
		{in: "/help的", want: nil},
		{in: "/help,", want: []string{"/help"}, ents: "[bot_command@0+5]"},
		{in: "/cmd@ab", want: []string{"/cmd"}, ents: "[bot_command@0+4]"}, // mention too short
		{in: "/", want: nil},
		{in: "//x", want: nil},
		{in: "/" + strings.Repeat("a", 65), want: nil},
	}
	for _, tc := range tests {
		ents := BotCommandEntities(tc.in)
		var got []string
		for _, e := range ents {
			got = append(got, UTF16Slice(tc.in, e.Offset, e.Offset+e.Length))
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("BotCommandEntities(%q) commands = %q, want %q", tc.in, got, tc.want)
		}
		if tc.ents != "" && fmtEntities(ents) != tc.ents {
			t.Errorf("BotCommandEntities(%q) = %s, want %s", tc.in, fmtEntities(ents), tc.ents)
		}
	}
}

func TestUTF16(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0}, {"abc", 3}, {"你好", 2}, {"👍", 2}, {"👍🏽", 4}, {"a👍b", 4},
	}
	for _, tc := range tests {
		if got := UTF16Len(tc.in); got != tc.want {
			t.Errorf("UTF16Len(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
	if got := UTF16Slice("a👍b你", 1, 3); got != "👍" {
		t.Errorf("UTF16Slice(a👍b你, 1, 3) = %q, want 👍", got)
	}
	if got := UTF16Slice("a👍b你", 3, 99); got != "b你" {
		t.Errorf("UTF16Slice(a👍b你, 3, 99) = %q, want b你", got)
	}
}

func TestParseMarkdownV2(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		plain   string
		ents    string
		wantErr string
	}{
		{name: "plain", in: "hello", plain: "hello"},
		{name: "escaped dot", in: `版本 1\.2\!`, plain: "版本 1.2!"},
		{name: "bold italic", in: "*粗* _斜_", plain: "粗 斜", ents: "[bold@0+1 italic@2+1]"},
		{name: "underline spoiler strike", in: "__u__ ||s|| ~x~", plain: "u s x", ents: "[underline@0+1 spoiler@2+1 strikethrough@4+1]"},
		{name: "nested", in: "*bold _both_*", plain: "bold both", ents: "[bold@0+9 italic@5+4]"},
		{name: "link", in: `[站点](https://example.com/a\)b)`, plain: "站点", ents: "[text_link@0+2 https://example.com/a)b]"},
		{name: "mention", in: "[王](tg://user?id=42)", plain: "王", ents: "[text_mention@0+1 user 42]"},
		{name: "code keeps specials", in: "`a.b-c`", plain: "a.b-c", ents: "[code@0+5]"},
		{name: "pre with language", in: "```go\nfmt.Println(1)\n```", plain: "fmt.Println(1)", ents: "[pre@0+14 go]"},
		{name: "emoji offsets", in: "👍 *x*", plain: "👍 x", ents: "[bold@3+1]"},
		{name: "quote", in: ">引用\n>第二行\n正文", plain: "引用\n第二行\n正文", ents: "[blockquote@0+6]"},
		{name: "expandable quote", in: "**>长\n>引用||", plain: "长\n引用", ents: "[expandable_blockquote@0+4]"},
		{name: "custom emoji", in: "![👍](tg://emoji?id=5368324170671202286)", plain: "👍", ents: "[custom_emoji@0+2]"},

		{name: "unescaped dot", in: "Hello.", wantErr: `Character '.' is reserved and must be escaped with the preceding '\'`},
		{name: "unescaped dash", in: "a - b", wantErr: `Character '-' is reserved`},
		{name: "unescaped paren", in: "(x)", wantErr: `Character '(' is reserved`},
		{name: "quote mid-line", in: "a > b", wantErr: `Character '>' is reserved`},
		{name: "unclosed bold", in: "*bold", wantErr: "Can't find end of Bold entity at byte offset 0"},
		{name: "unclosed code", in: "x `code", wantErr: "Can't find end of Code entity at byte offset 2"},
		{name: "unclosed url", in: "[a](http://x", wantErr: "Can't find end of a URL at byte offset 4"},
		{name: "single pipe", in: "a|b", wantErr: `Character '|' is reserved`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plain, ents, err := ParseMarkdownV2(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseMarkdownV2(%q) error = %v, want %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseMarkdownV2(%q) error = %v", tc.in, err)
			}
			if plain != tc.plain {
				t.Errorf("ParseMarkdownV2(%q) plain = %q, want %q", tc.in, plain, tc.plain)
			}
			if got := fmtEntities(ents); got != tc.ents && !(tc.ents == "" && got == "[]") {
				t.Errorf("ParseMarkdownV2(%q) entities = %s, want %s", tc.in, got, tc.ents)
			}
		})
	}
}

func TestParseMarkdown(t *testing.T) {
	tests := []struct {
		in      string
		plain   string
		ents    string
		wantErr string
	}{
		{in: "*粗* _斜_ `c` 1.2-3!", plain: "粗 斜 c 1.2-3!", ents: "[bold@0+1 italic@2+1 code@4+1]"},
		{in: `snake\_case`, plain: "snake_case"},
		{in: "[站点](https://example.com)", plain: "站点", ents: "[text_link@0+2 https://example.com]"},
		{in: "```py\nprint(1)```", plain: "print(1)", ents: "[pre@0+8 py]"},
		{in: "1 *bold", wantErr: "Can't find end of the entity starting at byte offset 2"},
	}
	for _, tc := range tests {
		plain, ents, err := ParseMarkdown(tc.in)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("ParseMarkdown(%q) error = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || plain != tc.plain || (fmtEntities(ents) != tc.ents && !(tc.ents == "" && len(ents) == 0)) {
			t.Errorf("ParseMarkdown(%q) = %q, %s, %v; want %q, %s", tc.in, plain, fmtEntities(ents), err, tc.plain, tc.ents)
		}
	}
}

func TestMentionEntities(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"@zhangmiao_bot 你好", []string{"@zhangmiao_bot"}},
		{"请问 @zhangmiao_bot，五个张庙是什么", []string{"@zhangmiao_bot"}},
		{"@zhangmiao_botHelper 你好", []string{"@zhangmiao_botHelper"}},
		{"/help@zhangmiao_bot", nil},  // part of the command
		{"mail a@zhangmiao_bot", nil}, // inside a word
		{"@abc 太短", nil},
		{"😀@zhangmiao_bot", []string{"@zhangmiao_bot"}},
	}
	for _, tc := range tests {
		var got []string
		for _, e := range MentionEntities(tc.in) {
			got = append(got, string(utf16.Decode(utf16.Encode([]rune(tc.in))[e.Offset:e.Offset+e.Length])))
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("MentionEntities(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
