package main

import (
	"strings"

	"github.com/firebreak/firebreak/runbooks/output"
)

// clean makes data text (titles, names, notes, reasons, host names) safe to print as one field of one
// line: it passes the sanitiser remote output passes (guard 10: escape sequences removed, other control
// characters and bidi overrides shown as U+FFFD), line breaks are shown as ⏎ so a value never forges a
// row, and tabs become spaces so a value never shifts a table's columns. Every data value the CLI prints
// as text goes through it; JSON output does not (encoding/json escapes control characters itself).
func clean(s string) string {
	if isPlain(s) {
		return s
	}
	s = strings.NewReplacer("\r\n", " ⏎ ", "\n", " ⏎ ", "\t", " ").Replace(s)
	return output.Sanitize([]byte(s))
}

// cleanLines is clean for text that is shown over several lines (a retrospective section, a runbook
// step's details): each line is sanitised and the line breaks are kept.
func cleanLines(s string) []string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if !isPlain(l) {
			lines[i] = output.Sanitize([]byte(strings.TrimSuffix(l, "\r")))
		}
	}
	return lines
}

// cleanAll is clean over a list.
func cleanAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = clean(s)
	}
	return out
}

// isPlain reports whether s is printable ASCII, the common case, which needs no work.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}
