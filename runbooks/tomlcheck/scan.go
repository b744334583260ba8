package tomlcheck

import (
	"errors"
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
// valid (the toml package does that); on text it does not understand it stops quietly. It keeps nothing per
// entry: each is handed to visit, whose path is valid only during the call, so memory stays bounded by the
// nesting, not by the number of elements (a file of half a million array elements once took gigabytes).
type scanner struct {
	src       []byte
	i         int
	line, col int
	depth     int
	table     []any // the current table's path
	visit     func(e *entry) bool
	// Table paths are interned so that finding the current element of an array of tables costs one map
	// lookup per key name, whatever the length of the path.
	ids    map[nodeKey]int32
	arrays map[int32]int // elements seen so far per array-of-tables path
}

// nodeKey names one step of a path: a key name below parent, or (name "") an array index.
type nodeKey struct {
	parent int32
	name   string
	idx    int
}

// Bounds that keep a file the decoder would refuse anyway from costing more than a linear scan.
const (
	maxScanDepth = 2 * MaxDepth // brackets and braces
	maxPath      = 256          // names and indexes in one path
)

// errStop ends a scan early: the visitor has what it wants, or the text is past understanding.
var errStop = errors.New("stop")

// scan calls visit with every key, table header and array element of src, in file order, until visit
// returns false.
func scan(src []byte, visit func(e *entry) bool) {
	s := &scanner{src: src, line: 1, col: 1, visit: visit, ids: map[nodeKey]int32{}, arrays: map[int32]int{}}
	defer func() { _ = recover() }() // a half-written file must not take its reader down
	s.document()
}

func (s *scanner) emit(e entry) {
	if len(e.path) > maxPath || !s.visit(&e) {
		panic(errStop)
	}
}

func (s *scanner) intern(parent int32, name string, idx int) int32 {
	k := nodeKey{parent, name, idx}
	id, ok := s.ids[k]
	if !ok {
		id = int32(len(s.ids) + 1)
		s.ids[k] = id
	}
	return id
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
	if len(names) == 0 || len(names) > maxPath {
		panic(errStop)
	}
	path, id := s.resolve(names[:len(names)-1])
	last := names[len(names)-1]
	path, id = append(path, last), s.intern(id, last, -1)
	if array {
		idx := s.arrays[id]
		s.arrays[id] = idx + 1
		path = append(path, idx)
	} else if c, ok := s.arrays[id]; ok {
		path = append(path, c-1)
	}
	s.table = path
	s.emit(entry{path: path, line: line, col: col, vline: line, vcol: col})
}

// resolve turns key names into a path, adding the current index of every array of tables it passes through.
func (s *scanner) resolve(names []string) ([]any, int32) {
	var path []any
	var id int32
	for _, n := range names {
		path, id = append(path, n), s.intern(id, n, -1)
		if c, ok := s.arrays[id]; ok {
			path, id = append(path, c-1), s.intern(id, "", c-1)
		}
	}
	return path, id
}

// keyValue reads key = value. The key's path is prefix extended in place: prefix's own elements are never
// changed, and nothing keeps a path past the visit.
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
	path := prefix
	for _, n := range names {
		path = append(path, n)
	}
	s.emit(entry{path: path, line: line, col: col, vline: s.line, vcol: s.col})
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
		s.nest()
		for idx := 0; ; idx++ {
			s.skipBlank()
			if s.eof() || s.peek(0) == ']' {
				break
			}
			start := s.i
			elem := append(path, idx)
			s.emit(entry{path: elem, line: s.line, col: s.col, vline: s.line, vcol: s.col, element: true})
			s.value(elem)
			s.skipBlank()
			if s.peek(0) == ',' {
				s.next()
			} else if s.i == start {
				return
			}
		}
		s.depth--
		s.next()
	case '{':
		s.next()
		s.nest()
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
		s.depth--
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

// nest counts one more level of brackets or braces, giving up past any depth the decoder accepts.
func (s *scanner) nest() {
	if s.depth++; s.depth > maxScanDepth {
		panic(errStop)
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
