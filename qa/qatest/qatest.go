// Package qatest reads the Q&A quality data (qa/testdata/dev.json and the
// sets beside it) and checks replies against it. Both the qa engine's
// tests and the end-to-end tests through the bot use it, so the two judge
// a reply by the same rules.
package qatest

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"unicode"
)

// Case is one question with the phrases a correct reply must contain:
// every phrase of All, at least one of AnyOf (when given), none of NoneOf.
// Whitespace is ignored when comparing.
type Case struct {
	ID     string   `json:"id"`
	Q      string   `json:"q"`
	All    []string `json:"all"`
	AnyOf  []string `json:"any_of"`
	NoneOf []string `json:"none_of"`
	// Ticket, when set, says whether the question must be handed to
	// staff (true) or must not (false: answered, or off-topic).
	Ticket *bool `json:"ticket,omitempty"`
	// OffTopic marks a question outside what the bot covers: a polite
	// refusal, no ticket.
	OffTopic bool `json:"offtopic,omitempty"`
}

// ForStaff reports whether the question must be handed to staff: one
// about the subdistrict that no source answers.
func (c Case) ForStaff() bool { return c.Ticket != nil && *c.Ticket }

// Load reads a JSON array of cases.
func Load(path string) ([]Case, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cases []Case
	if err := json.Unmarshal(raw, &cases); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(cases) == 0 {
		return nil, fmt.Errorf("%s has no cases", path)
	}
	return cases, nil
}

// Check returns why reply fails c, or "" when it passes.
func (c Case) Check(reply string) string {
	reply = Compact(reply)
	var problems []string
	for _, p := range c.All {
		if !strings.Contains(reply, Compact(p)) {
			problems = append(problems, fmt.Sprintf("missing %q", p))
		}
	}
	if len(c.AnyOf) > 0 {
		found := false
		for _, p := range c.AnyOf {
			found = found || strings.Contains(reply, Compact(p))
		}
		if !found {
			problems = append(problems, fmt.Sprintf("none of %q", c.AnyOf))
		}
	}
	for _, p := range c.NoneOf {
		if strings.Contains(reply, Compact(p)) {
			problems = append(problems, fmt.Sprintf("unwanted %q", p))
		}
	}
	return strings.Join(problems, "; ")
}

// CheckTicket returns why handing the question to staff (made) or not
// fails c, or "" when it passes or c does not say.
func (c Case) CheckTicket(made bool) string {
	switch {
	case c.Ticket == nil || *c.Ticket == made:
		return ""
	case made:
		return "handed to staff, want no ticket"
	}
	return "not handed to staff, want a ticket"
}

// Compact removes all whitespace.
func Compact(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}
