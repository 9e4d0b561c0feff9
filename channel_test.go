package communitybot_test

import (
	"testing"

	"github.com/zhangmiao/communitybot"
)

func TestChannelOf(t *testing.T) {
	tests := []struct {
		id   int64
		want communitybot.Channel
	}{
		{10001, communitybot.ChannelTelegram},
		{1<<52 - 1, communitybot.ChannelTelegram}, // the largest 52-bit Telegram user id
		{-1001234567890, communitybot.ChannelTelegram},
		{communitybot.WebIDBase, communitybot.ChannelTelegram}, // visitor 0 does not exist
		{communitybot.WebID(1), communitybot.ChannelWeb},
		{communitybot.WebID(1<<52 - 1), communitybot.ChannelWeb},
		{1 << 53, communitybot.ChannelTelegram},
	}
	for _, tc := range tests {
		if got := communitybot.ChannelOf(tc.id); got != tc.want {
			t.Errorf("ChannelOf(%d) = %s, want %s", tc.id, got, tc.want)
		}
	}
	if n := communitybot.WebVisitorNo(communitybot.WebID(42)); n != 42 {
		t.Errorf("WebVisitorNo(WebID(42)) = %d", n)
	}
	if n := communitybot.WebVisitorNo(42); n != 0 {
		t.Errorf("WebVisitorNo(42) = %d, want 0 for a Telegram id", n)
	}
	if s := communitybot.WebVisitorLabel(communitybot.WebID(7)); s != "网页访客 W-7" {
		t.Errorf("WebVisitorLabel = %q", s)
	}
}
