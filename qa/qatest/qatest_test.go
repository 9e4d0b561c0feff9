package qatest

import "testing"

func TestCheck(t *testing.T) {
	c := Case{All: []string{"美丽张庙", "活力 张庙"}, AnyOf: []string{"书记", "党工委"}, NoneOf: []string{"五个张庙"}}
	tests := []struct {
		reply string
		ok    bool
	}{
		{"美丽张庙、活力张庙，党工委书记", true},
		{"美 丽 张 庙\n活力张庙 书记", true},   // whitespace ignored
		{"美丽张庙，书记", false},           // lacks one of All
		{"美丽张庙 活力张庙", false},         // none of AnyOf
		{"五个张庙：美丽张庙 活力张庙 书记", false}, // has NoneOf
	}
	for _, tc := range tests {
		if why := c.Check(tc.reply); (why == "") != tc.ok {
			t.Errorf("Check(%q) = %q, want ok=%v", tc.reply, why, tc.ok)
		}
	}
	if _, err := Load("../testdata/dev.json"); err != nil {
		t.Fatal(err)
	}
}
