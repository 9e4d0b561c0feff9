package staff_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/staff"
)

// TestTicketOfPost: both kinds of ticket post are recognized by their
// header, so a staff reply in the instant before the post is recorded is
// handled again rather than refused. Before the fix only 🆕 questions
// were: a reply to a fresh 🛠 request post was told it answered nothing.
func TestTicketOfPost(t *testing.T) {
	for _, tc := range []struct {
		text string
		no   int64
		ok   bool
	}{
		{"🆕 居民提问 Q-0042\n来自私聊（用户 1）", 42, true},
		{"🛠 居民提问 Q-0043 【诉求：需要处理】\n来自私聊（用户 1）", 43, true},
		{"已转告居民（Q-0042），工单已关闭。", 0, false},
		{"回复 🆕 居民提问 Q-0042\n", 0, false},
		{"🆕 居民提问 Q-\n", 0, false},
	} {
		no, ok := staff.TicketOfPost(tc.text)
		if no != tc.no || ok != tc.ok {
			t.Errorf("TicketOfPost(%q) = %d, %v; want %d, %v", tc.text, no, ok, tc.no, tc.ok)
		}
	}
}

func TestParseRating(t *testing.T) {
	for _, tc := range []struct {
		data string
		no   int64
		r    communitybot.Rating
		ok   bool
	}{
		{"rate:42:g", 42, communitybot.RatingGood, true},
		{"rate:7:b", 7, communitybot.RatingBad, true},
		{"rate:7:x", 0, communitybot.RatingNone, false},
		{"rate:0:g", 0, communitybot.RatingNone, false},
		{"rate:-3:g", 0, communitybot.RatingNone, false},
		{"rate:7", 0, communitybot.RatingNone, false},
		{"quiz:7:g", 0, communitybot.RatingNone, false},
	} {
		no, r, ok := staff.ParseRating(tc.data)
		if no != tc.no || r != tc.r || ok != tc.ok {
			t.Errorf("ParseRating(%q) = %d, %q, %v; want %d, %q, %v", tc.data, no, r, ok, tc.no, tc.r, tc.ok)
		}
	}
}

func TestParseAnswer(t *testing.T) {
	no, text, err := staff.ParseAnswer(" Q-0042  周三上午九点 ")
	if err != nil || no != 42 || strings.TrimSpace(text) != "周三上午九点" {
		t.Errorf("ParseAnswer = %d, %q, %v", no, text, err)
	}
	for _, args := range []string{"", "Q-0042", "Q-0042   ", "问题 答复"} {
		_, _, err := staff.ParseAnswer(args)
		msg, _ := communitybot.UserMessage(err)
		if !errors.Is(err, communitybot.ErrInvalid) || !strings.Contains(msg, "用法：/answer Q-0042 答复内容") {
			t.Errorf("ParseAnswer(%q): %v", args, err)
		}
	}
}
