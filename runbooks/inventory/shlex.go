package inventory

import (
	"errors"
	"strings"
)

// shlexSplit splits a line as Python's shlex.split(line, comments=True) does in POSIX mode, which is how
// Ansible reads an INI host line: quotes group words, a backslash escapes outside single quotes, and an
// unquoted # starts a comment even in the middle of a word.
func shlexSplit(line string) ([]string, error) {
	var out []string
	var tok strings.Builder
	inTok := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			if inTok {
				out = append(out, tok.String())
				tok.Reset()
				inTok = false
			}
		case c == '#':
			if inTok {
				out = append(out, tok.String())
			}
			return out, nil
		case c == '\\':
			if i+1 >= len(line) {
				return nil, errors.New("no escaped character")
			}
			i++
			tok.WriteByte(line[i])
			inTok = true
		case c == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("no closing quotation")
			}
			tok.WriteString(line[i+1 : i+1+j])
			i += j + 1
			inTok = true
		case c == '"':
			i++
			closed := false
			for ; i < len(line); i++ {
				d := line[i]
				if d == '"' {
					closed = true
					break
				}
				if d == '\\' && i+1 < len(line) && (line[i+1] == '"' || line[i+1] == '\\') {
					i++
					d = line[i]
				}
				tok.WriteByte(d)
			}
			if !closed {
				return nil, errors.New("no closing quotation")
			}
			inTok = true
		default:
			tok.WriteByte(c)
			inTok = true
		}
	}
	if inTok {
		out = append(out, tok.String())
	}
	return out, nil
}
