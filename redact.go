package communitybot

import (
	"net/url"
	"regexp"
	"strings"
)

// Redacted replaces a secret wherever it is shown.
const Redacted = "xxxxx"

// secretParams are query parameters that carry a password (Redis URLs).
var secretParams = []string{"password", "sentinel_password"}

// RedactURL returns raw fit for a log or an error message: the password of
// its user info ("http://u:secret@host" → "http://u:xxxxx@host") and of any
// password query parameter are replaced. It is the one redaction of URLs:
// every URL the bot logs or puts in an error goes through it. A string that
// does not parse as a URL still has anything that looks like user info
// replaced.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return RedactText(raw)
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), Redacted)
	}
	if u.RawQuery != "" {
		q := u.Query()
		changed := false
		for _, k := range secretParams {
			if q.Has(k) {
				q.Set(k, Redacted)
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
	}
	return u.String()
}

// URLSecrets returns the secrets raw carries (the password of its user
// info, password query parameters), as they may appear in text, decoded
// and not, so that a log can scrub them wherever a library quotes them.
func URLSecrets(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	var out []string
	add := func(s string) {
		if s != "" {
			out = append(out, s, url.QueryEscape(s), url.PathEscape(s))
		}
	}
	if pw, ok := u.User.Password(); ok {
		add(pw)
	}
	q := u.Query()
	for _, k := range secretParams {
		add(q.Get(k))
	}
	return out
}

// userInfo finds "scheme://user:password@" in free text.
var userInfo = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:)[^@\s/]*@`)

// RedactText replaces the password of every URL user info in s, for text
// that may quote URLs (an error from a library).
func RedactText(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	return userInfo.ReplaceAllString(s, "${1}"+Redacted+"@")
}
