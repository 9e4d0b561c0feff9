package assistant

// Phrases returns the assistant's own phrases (for TestRepliesAreTraceable).
func Phrases() []string { return phrases }

// Labels returns the fixed labels that fill phrases.
func Labels() []string {
	var out []string
	for _, l := range detailLabels {
		out = append(out, l)
	}
	for _, l := range missingLabels {
		out = append(out, l)
	}
	return out
}
