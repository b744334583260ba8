package tomlcheck

import (
	"fmt"
	"unicode/utf8"
)

// entry is one key (or table header) defined in a TOML file. Its path holds the key names with the index of
// every array-of-tables element on the way, e.g. ["steps", 2, "script"].
type entry struct {
	path        []any
	line, col   int  // where the key (or the header's opening bracket) is
	vline, vcol int  // where its value starts (for headers: the header itself)
	element     bool // an element of an array value, not a key
}

// scanner walks TOML source just far enough to know where every key is. It never decides whether the file is
// valid (the toml package does that); on text it does not understand it stops quietly.
type scanner struct {
	src       []byte
	i         int
	line, col int
	table     []any          // the current table's path
	arrays    map[string]int // elements seen so far per array-of-tables path
	entries   []entry
}

func scan(src []byte) []entry {
	s := &scanner{src: src, line: 1, col: 1, arrays: map[string]int{}}
	defer func() { _ = recover() }() // a half-written file must not take its reader down
	s.document()
	return s.entries
}

func (s *scanner) eof() bool { return s.i >= len(s.src) }

func (s *scanner) peek(off int) byte {
	if s.i+off < len(s.src) {
		return s.src[s.i+off]
	}
	return 0
}

func (s *scanner) next() {
	if s.eof() {
		return
	}
	if s.src[s.i] == '\n' {
		s.line, s.col = s.line+1, 1
		s.i++
		return
	}
	_, n := utf8.DecodeRune(s.src[s.i:])
	s.i += n
	s.col++
}

func (s *scanner) skipSpace() {
	for !s.eof() && (s.peek(0) == ' ' || s.peek(0) == '\t') {
		s.next()
	}
}

// skipBlank skips spaces, newlines and comments (inside arrays).
func (s *scanner) skipBlank() {
	for !s.eof() {
		switch s.peek(0) {
		case ' ', '\t', '\r', '\n':
			s.next()
		case '#':
			s.skipComment()
		default:
			return
		}
	}
}

func (s *scanner) skipComment() {
	for !s.eof() && s.peek(0) != '\n' {
		s.next()
	}
}

func (s *scanner) document() {
	for !s.eof() {
		s.skipBlank()
		if s.eof() {
			return
		}
		start := s.i
		if s.peek(0) == '[' {
			s.header()
		} else {
			s.keyValue(s.table)
		}
		if s.i == start { // not understood: give up rather than loop
			return
		}
	}
}

func (s *scanner) header() {
	line, col := s.line, s.col
	array := s.peek(1) == '['
	s.next()
	if array {
		s.next()
	}
	s.skipSpace()
	names := s.key()
	s.skipSpace()
	s.next()
	if array {
		s.next()
	}
	path := s.resolve(names[:len(names)-1])
	path = append(path, names[len(names)-1])
	if array {
		k := fmt.Sprint(path...)
		idx := s.arrays[k]
		s.arrays[k] = idx + 1
		path = append(path, idx)
	} else {
		path = s.resolve(names)
	}
	s.table = path
	s.entries = append(s.entries, entry{path: path, line: line, col: col, vline: line, vcol: col})
}

// resolve turns key names into a path, adding the current index of every array of tables it passes through.
func (s *scanner) resolve(names []string) []any {
	var path []any
	for _, n := range names {
		path = append(path, n)
		if c, ok := s.arrays[fmt.Sprint(path...)]; ok {
			path = append(path, c-1)
		}
	}
	return path
}

func (s *scanner) keyValue(prefix []any) {
	line, col := s.line, s.col
	names := s.key()
	if len(names) == 0 {
		return
	}
	s.skipSpace()
	if s.peek(0) != '=' {
		return
	}
	s.next()
	s.skipSpace()
	path := append(append([]any{}, prefix...), toAny(names)...)
	s.entries = append(s.entries, entry{path: path, line: line, col: col, vline: s.line, vcol: s.col})
	s.value(path)
}

func toAny(names []string) []any {
	out := make([]any, len(names))
	for i, n := range names {
		out[i] = n
	}
	return out
}

// key reads a dotted key: bare, "basic" or 'literal' parts separated by dots.
func (s *scanner) key() []string {
	var names []string
	for {
		s.skipSpace()
		switch c := s.peek(0); {
		case c == '"' || c == '\'':
			names = append(names, s.quoted(c))
		case isBare(c):
			start := s.i
			for !s.eof() && isBare(s.peek(0)) {
				s.next()
			}
			names = append(names, string(s.src[start:s.i]))
		default:
			return names
		}
		s.skipSpace()
		if s.peek(0) != '.' {
			return names
		}
		s.next()
	}
}

func isBare(c byte) bool {
	return c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// quoted reads a one-line string and returns its text (escapes kept as written: good enough for key names).
func (s *scanner) quoted(q byte) string {
	s.next()
	start := s.i
	for !s.eof() && s.peek(0) != q && s.peek(0) != '\n' {
		if q == '"' && s.peek(0) == '\\' {
			s.next()
		}
		s.next()
	}
	text := string(s.src[start:s.i])
	s.next()
	return text
}

func (s *scanner) value(path []any) {
	switch c := s.peek(0); c {
	case '"', '\'':
		if s.peek(1) == c && s.peek(2) == c {
			s.multiline(c)
		} else {
			s.quoted(c)
		}
	case '[':
		s.next()
		for idx := 0; ; idx++ {
			s.skipBlank()
			if s.eof() || s.peek(0) == ']' {
				break
			}
			start := s.i
			elem := append(append([]any{}, path...), idx)
			s.entries = append(s.entries, entry{path: elem, line: s.line, col: s.col, vline: s.line, vcol: s.col, element: true})
			s.value(elem)
			s.skipBlank()
			if s.peek(0) == ',' {
				s.next()
			} else if s.i == start {
				return
			}
		}
		s.next()
	case '{':
		s.next()
		for {
			s.skipSpace()
			if s.eof() || s.peek(0) == '}' || s.peek(0) == '\n' {
				break
			}
			start := s.i
			s.keyValue(path)
			s.skipSpace()
			if s.peek(0) == ',' {
				s.next()
			} else if s.i == start {
				return
			}
		}
		s.next()
	default: // numbers, booleans, dates: up to the next delimiter
		for !s.eof() {
			switch s.peek(0) {
			case ',', ']', '}', '#', '\n', '\r':
				return
			}
			s.next()
		}
	}
}

func (s *scanner) multiline(q byte) {
	s.next()
	s.next()
	s.next()
	for !s.eof() {
		if q == '"' && s.peek(0) == '\\' {
			s.next()
			s.next()
			continue
		}
		if s.peek(0) == q && s.peek(1) == q && s.peek(2) == q {
			for s.peek(0) == q { // up to two quotes may end the string's content
				s.next()
			}
			return
		}
		s.next()
	}
}
