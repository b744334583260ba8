package incident

import (
	"strings"
	"unicode/utf8"

	"github.com/firebreak/firebreak/store"
)

// OneLine checks a short field that is shown as one line everywhere (a title, a person, a ticket, a
// reason): it is trimmed and refused when it has a line break, a tab, another control character, a bidi
// control, or invalid UTF-8, or is longer than max characters. An empty text passes: callers that need
// one say so. A line break in a title would forge a row in `list` and a heading in the export.
func OneLine(what, text string, max int) (string, error) {
	text = strings.TrimSpace(text)
	switch {
	case !utf8.ValidString(text):
		return "", store.Errorf(ErrInvalid, "the %s is not valid UTF-8", what)
	case utf8.RuneCountInString(text) > max:
		return "", store.Errorf(ErrInvalid, "the %s is longer than %d characters", what, max)
	case strings.ContainsAny(text, "\r\n"):
		return "", store.Errorf(ErrInvalid, "the %s has a line break: it is one line (longer text belongs in a note)", what)
	case strings.ContainsFunc(text, func(r rune) bool { return isControl(r) || isBidiControl(r) }):
		return "", store.Errorf(ErrInvalid, "the %s contains control characters: type it again without them", what)
	}
	return text, nil
}

// FoldLine makes text one line without refusing it, for fields that must never stop the action they
// explain (the off-switch's reason): line breaks and tabs become spaces, other control and bidi
// characters are dropped.
func FoldLine(text string) string {
	text = strings.ToValidUTF8(text, "\uFFFD")
	text = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case isControl(r) || isBidiControl(r):
			return -1
		}
		return r
	}, text)
	return strings.Join(strings.Fields(text), " ")
}

// isBidiControl reports the characters that reorder the text around them (U+202A-U+202E, U+2066-U+2069,
// the marks): shown in a terminal they make a line read differently from its bytes.
func isBidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}
