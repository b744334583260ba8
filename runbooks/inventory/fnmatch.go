package inventory

import (
	"regexp"
	"strings"
)

// fnmatchRegexp translates a shell glob to a regexp as Python's fnmatch.translate does: * any run, ? one
// character, [abc] / [!abc] classes, an unclosed [ literal; the whole name must match, case-sensitively.
func fnmatchRegexp(pat string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString(`^(?s:`)
	for i := 0; i < len(pat); {
		c := pat[i]
		i++
		switch c {
		case '*':
			for i < len(pat) && pat[i] == '*' {
				i++
			}
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		case '[':
			j := i
			if j < len(pat) && pat[j] == '!' {
				j++
			}
			if j < len(pat) && pat[j] == ']' {
				j++
			}
			for j < len(pat) && pat[j] != ']' {
				j++
			}
			if j >= len(pat) {
				b.WriteString(`\[`)
				continue
			}
			stuff := pat[i:j]
			i = j + 1
			neg := strings.HasPrefix(stuff, "!")
			if neg {
				stuff = stuff[1:]
			}
			if stuff == "" {
				if neg {
					b.WriteString(`.`)
				} else {
					b.WriteString(`[^\x00-\x{10FFFF}]`) // Python: an empty class matches nothing
				}
				continue
			}
			var cls strings.Builder
			for k := 0; k < len(stuff); k++ {
				ch := stuff[k]
				if ch == '-' && k > 0 && k < len(stuff)-1 {
					cls.WriteByte('-')
					continue
				}
				cls.WriteString(regexp.QuoteMeta(string(ch)))
				if ch == '\\' || ch == '^' || ch == '[' || ch == ']' || ch == '-' {
					// QuoteMeta leaves - unescaped; a class needs it escaped
					if ch == '-' {
						s := cls.String()
						cls.Reset()
						cls.WriteString(s[:len(s)-1] + `\-`)
					}
				}
			}
			if neg {
				b.WriteString(`[^` + cls.String() + `]`)
			} else {
				b.WriteString(`[` + cls.String() + `]`)
			}
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`)$`)
	return regexp.Compile(b.String())
}
