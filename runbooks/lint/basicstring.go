package lint

import "unicode/utf8"

// position is a 1-based line and column.
type position struct{ line, col int }

// basicStringMap maps each character of a decoded TOML basic string ("..." or """...""") back to where it
// is written in the file. Escapes (\" \\ \n \t \uXXXX ...) take more file columns than the character they
// decode to, and a line-ending backslash joins lines, so ShellCheck's line and column in the decoded script
// cannot be found by adding offsets. raw starts at the opening quotes, which are at file position (line, col).
func basicStringMap(raw []byte, line, col int) map[position]position {
	m := map[position]position{}
	multi := len(raw) >= 3 && string(raw[:3]) == `"""`
	i := 1
	fl, fc := line, col+1
	if multi {
		i, fc = 3, col+3
		if i < len(raw) && raw[i] == '\n' { // a newline right after """ is not part of the text
			i, fl, fc = i+1, fl+1, 1
		} else if i+1 < len(raw) && raw[i] == '\r' && raw[i+1] == '\n' {
			i, fl, fc = i+2, fl+1, 1
		}
	}
	dl, dc := 1, 1
	advance := func(n int) { // n bytes of file on the current line
		for k := 0; k < n && i < len(raw); {
			_, size := utf8.DecodeRune(raw[i:])
			i, k, fc = i+size, k+size, fc+1
		}
	}
	for i < len(raw) {
		c := raw[i]
		switch {
		case c == '"' && !multi:
			return m
		case c == '"' && multi && i+2 < len(raw) && raw[i+1] == '"' && raw[i+2] == '"' && (i+3 >= len(raw) || raw[i+3] != '"'):
			return m
		case c == '\\' && multi && lineEndingBackslash(raw[i+1:]):
			// Skip the backslash and all whitespace and newlines up to the next other character.
			i, fc = i+1, fc+1
			for i < len(raw) && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r') {
				if raw[i] == '\n' {
					fl, fc = fl+1, 0
				}
				i, fc = i+1, fc+1
			}
		case c == '\\':
			m[position{dl, dc}] = position{fl, fc}
			n := 2
			if i+1 < len(raw) {
				switch raw[i+1] {
				case 'u':
					n = 6
				case 'U':
					n = 10
				case 'n':
					advance(2)
					dl, dc = dl+1, 1
					continue
				}
			}
			advance(n)
			dc++
		case c == '\n':
			m[position{dl, dc}] = position{fl, fc}
			i, fl, fc = i+1, fl+1, 1
			dl, dc = dl+1, 1
		default:
			m[position{dl, dc}] = position{fl, fc}
			advance(1)
			dc++
		}
	}
	return m
}

// lineEndingBackslash reports whether what follows a backslash is only spaces or tabs up to a newline.
func lineEndingBackslash(rest []byte) bool {
	for _, b := range rest {
		switch b {
		case ' ', '\t', '\r':
		case '\n':
			return true
		default:
			return false
		}
	}
	return false
}
