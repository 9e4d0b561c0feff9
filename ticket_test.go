package communitybot_test

import (
	"errors"
	"testing"

	"github.com/zhangmiao/communitybot"
)

func TestParseTicketNo(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"Q-0042", 42}, {"q42", 42}, {"Q0042", 42}, {"42", 42}, {"＃42", 42}, {"Ｑ－００４２", 42}, {" Q-7 ", 7}, {"[Q-0001]", 1},
		{"", 0}, {"Q-", 0}, {"Q-0", 0}, {"-5", 0}, {"abc", 0}, {"Q-12a", 0}, {"Q-99999999999999999999", 0},
	}
	for _, tc := range tests {
		got, err := communitybot.ParseTicketNo(tc.in)
		if got != tc.want || (tc.want == 0) != (err != nil) {
			t.Errorf("ParseTicketNo(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
		if err != nil {
			if _, ok := communitybot.UserMessage(err); !ok || !errors.Is(err, communitybot.ErrInvalid) {
				t.Errorf("ParseTicketNo(%q) error %v has no user message", tc.in, err)
			}
		}
	}
	if s := communitybot.TicketNo(42); s != "Q-0042" {
		t.Errorf("TicketNo(42) = %q", s)
	}
	if s := communitybot.TicketNo(123456); s != "Q-123456" {
		t.Errorf("TicketNo(123456) = %q", s)
	}
}
