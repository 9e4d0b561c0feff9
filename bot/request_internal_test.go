package bot

import (
	"strings"
	"testing"
	"unicode/utf16"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		text, wantCmd, wantArgs string
	}{
		{"/start", "start", ""},
		{"/project 电梯加装", "project", "电梯加装"},
		{"/project@zhangmiao_bot  3 ", "project", "3"},
		{"/Project@ZhangMiao_Bot 3", "project", "3"},
		{"/help@other_bot", "", ""},
		{"／help", "help", ""},
		{"/project\u3000电梯", "project", "电梯"},
		{"  /help", "help", ""},
		{"/项目", "", ""},
		{"/ 你好", "", ""},
		{"/😀", "", ""},
		{"你好 /help", "", ""},
		{"/", "", ""},
		{"/" + strings.Repeat("a", 40), "", ""},
		{"/start\n第二行", "start", "第二行"},
	}
	for _, tc := range tests {
		cmd, args := parseCommand(tc.text, "zhangmiao_bot")
		if cmd != tc.wantCmd || args != tc.wantArgs {
			t.Errorf("parseCommand(%q) = %q, %q; want %q, %q", tc.text, cmd, args, tc.wantCmd, tc.wantArgs)
		}
	}
}

func TestSplitText(t *testing.T) {
	short := "短消息"
	if got := splitText(short, 10); len(got) != 1 || got[0] != short {
		t.Fatalf("splitText(short) = %q", got)
	}
	var b strings.Builder
	for i := range 300 {
		b.WriteString(strings.Repeat("张庙", 10) + "<b>标题</b> &amp; 😀\n")
		_ = i
	}
	text := b.String()
	parts := splitText(text, 4096)
	if len(parts) < 2 {
		t.Fatalf("splitText gave %d parts for %d units", len(parts), units(text))
	}
	for i, p := range parts {
		if n := len(utf16.Encode([]rune(p))); n > 4096 {
			t.Errorf("part %d has %d units", i, n)
		}
		if strings.Count(p, "<b>") != strings.Count(p, "</b>") {
			t.Errorf("part %d splits a tag", i)
		}
	}
	if strings.Join(parts, "\n") != strings.TrimRight(text, "\n") {
		t.Error("parts do not add up to the text")
	}
	// One over-long line is cut by runes, never inside an entity or a surrogate pair.
	long := strings.Repeat("&amp;😀", 2000)
	for i, p := range splitText(long, 4096) {
		if units(p) > 4096 {
			t.Errorf("long line part %d has %d units", i, units(p))
		}
		if strings.HasSuffix(p, "&") || strings.HasSuffix(p, "&am") || strings.HasPrefix(p, "amp;") {
			t.Errorf("long line part %d cut inside an entity: ...%q", i, p[len(p)-5:])
		}
	}
}

func TestUpdateOf(t *testing.T) {
	tests := []struct {
		raw      string
		wantChat int64
		wantErr  bool
	}{
		{`{"update_id":5,"message":{"message_id":1,"date":1,"chat":{"id":42,"type":"private"},"text":"hi"}}`, 42, false},
		{`{"update_id":6,"callback_query":{"id":"x","from":{"id":7},"message":{"message_id":1,"date":1,"chat":{"id":-100,"type":"group"}},"data":"t:x"}}`, -100, false},
		{`{"update_id":7,"callback_query":{"id":"x","from":{"id":7},"data":"t:x"}}`, 7, false},
		{`{"update_id":8,"my_chat_member":{"chat":{"id":-5,"type":"group"}}}`, -5, false},
		{`{"message":{}}`, 0, true},
		{`not json`, 0, true},
	}
	for _, tc := range tests {
		u, err := updateOf([]byte(tc.raw))
		if tc.wantErr {
			if err == nil {
				t.Errorf("updateOf(%s) succeeded, want error", tc.raw)
			}
			continue
		}
		if err != nil || u.Chat != tc.wantChat || string(u.Payload) != tc.raw {
			t.Errorf("updateOf(%s) = %+v, %v; want chat %d", tc.raw, u, err, tc.wantChat)
		}
	}
}
