package output

import (
	"strings"
	"unicode/utf8"
)

// Sanitize makes untrusted text safe to show in a terminal: escape sequences (CSI, OSC, DCS, SOS, PM, APC
// and two-byte ESC sequences) are removed, other C0 and C1 control characters (except tab) and bidi
// overrides become U+FFFD, and invalid UTF-8 becomes U+FFFD. A trailing carriage return is dropped.
func Sanitize(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	for i := 0; i < len(b); {
		c := b[i]
		if c == 0x1b {
			i = skipEscape(b, i)
			continue
		}
		if c < utf8.RuneSelf {
			if c == '\t' || (c >= 0x20 && c != 0x7f) {
				sb.WriteByte(c)
			} else {
				sb.WriteRune(utf8.RuneError)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			sb.WriteRune(utf8.RuneError)
		case r == 0x9b: // C1 CSI: treat like ESC [
			i = skipCSI(b, i+size)
			continue
		case r == 0x9d || r == 0x90 || r == 0x98 || r == 0x9e || r == 0x9f: // C1 OSC, DCS, SOS, PM, APC
			i = skipString(b, i+size)
			continue
		case r >= 0x80 && r <= 0x9f, isBidiControl(r):
			sb.WriteRune(utf8.RuneError)
		default:
			sb.Write(b[i : i+size])
		}
		i += size
	}
	return sb.String()
}

func isBidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}

// skipEscape returns the index after the escape sequence that starts with ESC at b[i].
func skipEscape(b []byte, i int) int {
	i++
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '[':
		return skipCSI(b, i+1)
	case ']', 'P', 'X', '^', '_':
		return skipString(b, i+1)
	}
	// ESC, intermediates (0x20-0x2f), one final byte.
	for i < len(b) && b[i] >= 0x20 && b[i] <= 0x2f {
		i++
	}
	if i < len(b) && b[i] >= 0x30 && b[i] <= 0x7e {
		i++
	}
	return i
}

// skipCSI skips parameters and intermediates up to and including the final byte.
func skipCSI(b []byte, i int) int {
	for i < len(b) {
		c := b[i]
		i++
		if c >= 0x40 && c <= 0x7e {
			return i
		}
		if c < 0x20 || c > 0x3f && c < 0x40 {
			return i
		}
	}
	return i
}

// skipString skips an OSC/DCS-like string up to BEL, ESC \ or C1 ST.
func skipString(b []byte, i int) int {
	for i < len(b) {
		switch {
		case b[i] == 0x07:
			return i + 1
		case b[i] == 0x1b && i+1 < len(b) && b[i+1] == '\\':
			return i + 2
		case b[i] == 0xc2 && i+1 < len(b) && b[i+1] == 0x9c:
			return i + 2
		}
		i++
	}
	return i
}
