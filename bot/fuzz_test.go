package bot

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/go-telegram/bot/models"

	"github.com/zhangmiao/communitybot/intake"
)

// Hostile or odd inputs every parser must survive: long text, emoji only,
// right-to-left text, zero-width characters, injection attempts, foreign
// bot names, forged callback data.
var hostileInputs = []string{
	"",
	"/",
	"/start",
	"/project 电梯加装",
	"/help@other_bot",
	"/HELP@ZhangMiao_Bot extra",
	strings.Repeat("张", 4096),
	strings.Repeat("/a", 2048),
	"😀😀😀🙏🏻👍🏽",
	"\u202eمرحبا بالعالم\u202c",
	"电\u200b梯\u200d加\ufeff装",
	"'; DROP TABLE users; --",
	"<b>bold</b><script>alert(1)</script>&amp;&lt;",
	"*bold* _italic_ [link](http://x) `code`",
	"t:../../etc/passwd",
	"p:" + strings.Repeat("x", 200),
	"\x00\x01\xff\xfe",
	"／项目　电梯",
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range hostileInputs {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cmd, args := parseCommand(text, "zhangmiao_bot")
		if cmd == "" && args != "" {
			t.Fatalf("parseCommand(%q) = %q, %q: args without a command", text, cmd, args)
		}
		if cmd != "" && (!isCommandName(cmd) || strings.ToLower(cmd) != cmd) {
			t.Fatalf("parseCommand(%q) = %q: not a lower-case command name", text, cmd)
		}
	})
}

func FuzzUpdateOf(f *testing.F) {
	f.Add([]byte(`{"update_id":5,"message":{"message_id":1,"date":1,"chat":{"id":42,"type":"private"},"text":"hi"}}`))
	f.Add([]byte(`{"update_id":6,"callback_query":{"id":"x","from":{"id":7},"data":"t:x"}}`))
	f.Add([]byte(`{"update_id":-1}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"update_id":1e400}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		u, err := updateOf(raw)
		if err != nil {
			return
		}
		if p := intake.PartitionOf(u.Chat); u.ID <= 0 || p < 0 || p >= intake.Partitions {
			t.Fatalf("updateOf(%q) = %+v, partition %d", raw, u, p)
		}
	})
}

// FuzzNewRequest feeds arbitrary message texts and callback data through
// the update → Request path.
func FuzzNewRequest(f *testing.F) {
	for _, s := range hostileInputs {
		f.Add(s, s, int64(42), true)
	}
	f.Fuzz(func(t *testing.T, text, data string, chatID int64, callback bool) {
		u := &models.Update{ID: 1}
		if callback {
			u.CallbackQuery = &models.CallbackQuery{ID: "q", From: models.User{ID: 7}, Data: data,
				Message: models.MaybeInaccessibleMessage{Message: &models.Message{ID: 3, Chat: models.Chat{ID: chatID, Type: "group"}}}}
		} else {
			u.Message = &models.Message{ID: 3, Text: text, Chat: models.Chat{ID: chatID, Type: "private"}, From: &models.User{ID: 7}}
		}
		// Through JSON, as updates arrive.
		raw, err := json.Marshal(u)
		if err != nil {
			return
		}
		var back models.Update
		if err := json.Unmarshal(raw, &back); err != nil {
			return
		}
		r := newRequest(&back, "zhangmiao_bot", nil)
		if r == nil {
			t.Fatal("newRequest returned nil for a user's message or button press")
		}
		if r.IsCallback() != callback {
			t.Fatalf("IsCallback = %v, want %v", r.IsCallback(), callback)
		}
		_ = callbackArg(r.Data)
	})
}
