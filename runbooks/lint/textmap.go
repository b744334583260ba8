package lint

import (
	"strconv"
	"unicode/utf8"
)

// A column, everywhere firebreak reports FILE:LINE:COL, counts characters (Unicode code points) from 1, a
// tab being one: what a person counts, what ShellCheck's json1 format and the TOML scanner (tomlcheck)
// count, and what tomlcheck makes of the decoder's byte columns. Bytes never make a column.

// position is a 1-based line and character column.
type position struct{ line, col int }

// textMap places every character of a fragment's text where it is written in its TOML file, and the end
// of the text on the string's closing delimiter. Positions cannot be found by adding offsets: escapes
// (\t, \u00e9) take more columns than the character they decode to, a line-ending backslash joins lines,
// a newline right after the opening quotes is dropped, and a CRLF file's scripts lose their \r.
type textMap struct {
	lines [][]position // lines[l][c] is where line l+1, column c+1 of the text is; a line's newline is its last
	end   position     // the closing delimiter: where a finding after the last character points
}

// at is the file position of a text position as ShellCheck gives it. Anything past the last character
// (ShellCheck's "missing fi" is reported there) is the closing delimiter, never past the end of the file.
func (m *textMap) at(line, col int) position {
	if line < 1 {
		line, col = 1, 1
	}
	if line > len(m.lines) {
		return m.end
	}
	l := m.lines[line-1]
	switch {
	case col < 1 && len(l) > 0:
		return l[0]
	case col >= 1 && col <= len(l):
		return l[col-1]
	case line < len(m.lines): // past a newline: ShellCheck does not do it, but stay on the line
		return l[len(l)-1]
	}
	return m.end
}

// decoded is one character of a string value as the TOML decoder gives it, with where it is written.
type decoded struct {
	r   rune
	pos position
}

// newTextMap reads the TOML string value that raw starts with (its opening delimiter is at file position
// line:col) and lines its characters up with text, the value as the runbook holds it. It returns nil when
// they do not line up (a value it cannot read), so that the caller falls back to offsets.
func newTextMap(raw []byte, line, col int, text string) *textMap {
	chars, end, ok := decodeString(raw, position{line, col})
	if !ok {
		return nil
	}
	m := &textMap{lines: [][]position{nil}, end: end}
	k := 0
	for _, r := range text {
		// The parser drops the \r of a CRLF line ending from scripts; the file still has it.
		if k+1 < len(chars) && chars[k].r == '\r' && chars[k+1].r == '\n' && r == '\n' {
			k++
		}
		if k >= len(chars) || chars[k].r != r {
			return nil
		}
		last := len(m.lines) - 1
		m.lines[last] = append(m.lines[last], chars[k].pos)
		if r == '\n' {
			m.lines = append(m.lines, nil)
		}
		k++
	}
	if k != len(chars) {
		return nil
	}
	return m
}

// decodeString decodes the TOML string raw starts with ('...', ”'...”', "..." or """...""") into its
// characters, each at its file position, and returns the position of the closing delimiter.
func decodeString(raw []byte, at position) (chars []decoded, end position, ok bool) {
	if len(raw) == 0 || (raw[0] != '"' && raw[0] != '\'') {
		return nil, end, false
	}
	q := raw[0]
	basic := q == '"'
	multi := len(raw) >= 3 && raw[1] == q && raw[2] == q
	i, p := 1, at
	// step moves past n bytes of the file, counting characters and lines.
	step := func(n int) {
		for stop := i + n; i < stop && i < len(raw); {
			r, size := utf8.DecodeRune(raw[i:])
			i += size
			if r == '\n' {
				p = position{p.line + 1, 1}
			} else {
				p.col++
			}
		}
	}
	p.col++
	if multi {
		i, p.col = 3, at.col+3
		if i < len(raw) && raw[i] == '\n' { // TOML drops a newline right after the opening quotes
			step(1)
		} else if i+1 < len(raw) && raw[i] == '\r' && raw[i+1] == '\n' {
			step(2)
		}
	}
	for i < len(raw) {
		c := raw[i]
		switch {
		case c == q && !multi:
			return chars, p, true
		case c == q && i+2 < len(raw) && raw[i+1] == q && raw[i+2] == q:
			// Up to two more quotes before the closing three are part of the text.
			n := 3
			for n < 5 && i+n < len(raw) && raw[i+n] == q {
				n++
			}
			for ; n > 3; n-- {
				chars = append(chars, decoded{rune(q), p})
				step(1)
			}
			return chars, p, true
		case c == '\n' && !multi:
			return nil, end, false
		case c == '\\' && basic && multi && lineEndingBackslash(raw[i+1:]):
			// The backslash and all whitespace and newlines up to the next other character vanish.
			step(1)
			for i < len(raw) && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r') {
				step(1)
			}
		case c == '\\' && basic:
			r, n := escape(raw[i:])
			if n == 0 {
				return nil, end, false
			}
			chars = append(chars, decoded{r, p})
			step(n)
		default:
			r, _ := utf8.DecodeRune(raw[i:])
			chars = append(chars, decoded{r, p})
			step(1)
		}
	}
	return nil, end, false
}

var (
	simpleEscapes = map[byte]rune{'b': '\b', 't': '\t', 'n': '\n', 'f': '\f', 'r': '\r', 'e': 0x1b, '"': '"', '\\': '\\'}
	hexEscapes    = map[byte]int{'x': 2, 'u': 4, 'U': 8} // how many hex digits follow
)

// escape decodes the escape sequence esc starts with, returning its character and length in bytes (0 when
// it is not one).
func escape(esc []byte) (rune, int) {
	if len(esc) < 2 {
		return 0, 0
	}
	if r, ok := simpleEscapes[esc[1]]; ok {
		return r, 2
	}
	digits := hexEscapes[esc[1]]
	if digits == 0 || len(esc) < 2+digits {
		return 0, 0
	}
	v, err := strconv.ParseUint(string(esc[2:2+digits]), 16, 32)
	if err != nil {
		return 0, 0
	}
	return rune(v), 2 + digits
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
