package communitybot

import (
	"slices"
	"testing"
)

func TestRedactURL(t *testing.T) {
	tests := map[string]string{
		"redis://:hunter2@h:6379/0":                 "redis://:xxxxx@h:6379/0",
		"rediss://bob:hunter2@h:6379":               "rediss://bob:xxxxx@h:6379",
		"redis://h:6379?password=hunter2":           "redis://h:6379?password=xxxxx",
		"redis://h:6379/0":                          "redis://h:6379/0",
		"redis+sentinel://h?sentinel_password=x":    "redis+sentinel://h?sentinel_password=xxxxx",
		"http://u:secretpw@127.0.0.1:8081":          "http://u:xxxxx@127.0.0.1:8081",
		"https://u:p%40ss@example.org/hook?a=1":     "https://u:xxxxx@example.org/hook?a=1",
		"https://api.telegram.org":                  "https://api.telegram.org",
		"http://u:secretpw@[::1:bad/x":              "http://u:xxxxx@[::1:bad/x", // unparseable
		"https://u@example.org/only-a-user-name":    "https://u@example.org/only-a-user-name",
		"http://u:secretpw@h/path with space%zz":    "http://u:xxxxx@h/path with space%zz",
		"redis://h/0?dial_timeout=1s&password=pass": "redis://h/0?dial_timeout=1s&password=xxxxx",
	}
	for in, want := range tests {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedactTextAndSecrets(t *testing.T) {
	in := `Post "http://u:secretpw@127.0.0.1:1/bot123:ABC/getMe": dial tcp: connection refused`
	if got, want := RedactText(in), `Post "http://u:xxxxx@127.0.0.1:1/bot123:ABC/getMe": dial tcp: connection refused`; got != want {
		t.Errorf("RedactText = %q, want %q", got, want)
	}
	if got := URLSecrets("https://u:p%40ss%20w@h/?password=two"); !slices.Contains(got, "p@ss w") || !slices.Contains(got, "two") || !slices.Contains(got, "p%40ss+w") {
		t.Errorf("URLSecrets = %q", got)
	}
	if got := URLSecrets("https://h/"); len(got) != 0 {
		t.Errorf("URLSecrets(no secrets) = %q", got)
	}
}
