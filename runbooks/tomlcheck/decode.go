package tomlcheck

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// Decode decodes data into v and reports what is wrong with it: a syntax error, a type mismatch, or keys that
// v has no field for (each with a suggestion when it looks like a typo). It returns nil when the file is
// clean, else Problems.
func Decode(file string, data []byte, v any) error {
	ps, _ := DecodeAll(file, data, v)
	return ps.Err()
}

// DecodeAll is Decode that also reports whether v holds everything the file says: true when the only
// problems are unknown keys (the decoder went on past them), false after a syntax error or a type mismatch
// stopped it half way. A caller that checks what was decoded can then do so without decoding again.
func DecodeAll(file string, data []byte, v any) (Problems, bool) {
	if p := CheckDepth(file, data); p != nil {
		return Problems{*p}, false
	}
	md, err := toml.Decode(string(data), v)
	if err != nil {
		return Problems{decodeProblem(file, data, err)}, false
	}
	undecoded := md.Undecoded()
	if len(undecoded) == 0 {
		return nil, true
	}
	unknown := map[string]bool{}
	for _, k := range undecoded {
		unknown[join(k)] = true
	}
	var ps Problems
	more := 0
	seen := map[[2]int]bool{}
	scan(data, func(e *entry) bool {
		if e.element {
			return true
		}
		names := namesOf(e.path)
		if !unknown[join(names)] || (len(names) > 1 && unknown[join(names[:len(names)-1])]) {
			return true
		}
		if !seen[[2]int{e.line, e.col}] {
			seen[[2]int{e.line, e.col}] = true
			if len(ps) == MaxProblems {
				more++
				return true
			}
			ps = append(ps, Problem{File: file, Line: e.line, Col: e.col, Msg: unknownMsg(reflect.TypeOf(v), names)})
		}
		return true
	})
	if len(ps) == 0 { // the scanner could not place them: still never ignore them
		for _, k := range undecoded {
			if len(ps) == MaxProblems {
				more++
				continue
			}
			ps = append(ps, Problem{File: file, Msg: fmt.Sprintf("unknown key %q", k.String())})
		}
	}
	if more > 0 {
		ps = append(ps, MoreProblems(file, more))
	}
	return ps, true
}

// KeyPos returns the line and column where the value of the key at path starts, or for a table the position
// of its header. Integers in path index arrays of tables: KeyPos(data, "steps", 2, "script"). Each call
// reads data again: for many lookups in one file use an Index.
func KeyPos(data []byte, path ...any) (line, col int, ok bool) {
	scan(data, func(e *entry) bool {
		if samePath(e.path, path) {
			line, col, ok = e.vline, e.vcol, true
			return false
		}
		return true
	})
	return line, col, ok
}

// samePath compares paths as fmt.Sprint would show them: an int in one matches the same int in the other.
func samePath(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && fmt.Sprint(a[i]) != fmt.Sprint(b[i]) {
			return false
		}
	}
	return true
}

var typeErr = regexp.MustCompile(`^toml: line (\d+) \(last key "(.*)"\): (.*)$`)

func decodeProblem(file string, data []byte, err error) Problem {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		msg := pe.Message
		if pe.LastKey != "" && !strings.Contains(msg, pe.LastKey) {
			msg = fmt.Sprintf("%s: %s", pe.LastKey, msg)
		}
		return Problem{File: file, Line: pe.Position.Line, Col: charCol(data, pe.Position.Line, pe.Position.Col), Msg: msg}
	}
	if m := typeErr.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		col := 1
		scan(data, func(e *entry) bool {
			if e.line == line && strings.Join(namesOf(e.path), ".") == m[2] {
				col = e.vcol
				return false
			}
			return true
		})
		return Problem{File: file, Line: line, Col: col, Msg: fmt.Sprintf("%s: %s", m[2], m[3])}
	}
	return Problem{File: file, Msg: strings.TrimPrefix(err.Error(), "toml: ")}
}

// charCol converts the decoder's byte column on a line of data to a character column (see Problem.Col).
func charCol(data []byte, line, byteCol int) int {
	if line < 1 || byteCol < 1 {
		return byteCol
	}
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return byteCol
		}
		data = data[i+1:]
	}
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		data = data[:i+1]
	}
	if byteCol-1 > len(data) {
		return byteCol - len(data) + utf8.RuneCount(data)
	}
	return utf8.RuneCount(data[:byteCol-1]) + 1
}

func namesOf(path []any) []string {
	var names []string
	for _, p := range path {
		if s, ok := p.(string); ok {
			names = append(names, s)
		}
	}
	return names
}

func join(names []string) string { return strings.Join(names, "\x00") }

// unknownMsg says which key is unknown and, when the type tells us the valid keys, suggests one.
func unknownMsg(t reflect.Type, names []string) string {
	name := names[len(names)-1]
	where := ""
	if len(names) > 1 {
		where = " in [" + strings.Join(names[:len(names)-1], ".") + "]"
	}
	valid := fieldNames(t, names[:len(names)-1])
	if len(valid) == 0 {
		return fmt.Sprintf("unknown key %q%s", name, where)
	}
	best, dist := "", 3
	for _, v := range valid {
		if d := distance(strings.ToLower(name), strings.ToLower(v)); d < dist {
			best, dist = v, d
		}
	}
	if best != "" {
		return fmt.Sprintf("unknown key %q%s: did you mean %q?", name, where, best)
	}
	return fmt.Sprintf("unknown key %q%s; valid keys are %s", name, where, strings.Join(valid, ", "))
}

// fieldNames lists the TOML keys the struct reached by following names from t accepts.
func fieldNames(t reflect.Type, names []string) []string {
	for {
		for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			t = t.Elem()
		}
		if t == nil {
			return nil
		}
		if t.Kind() == reflect.Map && len(names) > 0 {
			t, names = t.Elem(), names[1:]
			continue
		}
		if t.Kind() != reflect.Struct {
			return nil
		}
		fields := map[string]reflect.Type{}
		collectFields(t, fields)
		if len(names) == 0 {
			out := make([]string, 0, len(fields))
			for k := range fields {
				out = append(out, k)
			}
			sort.Strings(out)
			return out
		}
		next, ok := fields[names[0]]
		if !ok {
			return nil
		}
		t, names = next, names[1:]
	}
}

func collectFields(t reflect.Type, into map[string]reflect.Type) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("toml")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			collectFields(f.Type, into)
			continue
		}
		if name == "" {
			name = f.Name
		}
		into[name] = f.Type
	}
}

// distance is the Levenshtein edit distance, for typo suggestions.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
