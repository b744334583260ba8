package tomlcheck

import "fmt"

// MaxDepth is how deeply arrays and inline tables may nest in a file firebreak reads. Real files nest two or
// three levels; a file of thousands of nested brackets is an attack on the decoder, which recurses once per
// level (a 400 KB file of them once took 24 GB).
const MaxDepth = 64

// CheckDepth finds the first [ or { that opens a level past MaxDepth, outside strings and comments, before
// anything else reads the file. It returns nil when the nesting is within bounds.
func CheckDepth(file string, src []byte) *Problem {
	depth, line, col := 0, 1, 1
	i := 0
	// advance moves past one byte, counting lines and (UTF-8) columns.
	advance := func() {
		if src[i] == '\n' {
			line, col = line+1, 1
		} else if src[i]&0xC0 != 0x80 {
			col++
		}
		i++
	}
	for i < len(src) {
		switch c := src[i]; c {
		case '#':
			for i < len(src) && src[i] != '\n' {
				advance()
			}
		case '"', '\'':
			if i+2 < len(src) && src[i+1] == c && src[i+2] == c {
				advance()
				advance()
				advance()
				for i < len(src) {
					if c == '"' && src[i] == '\\' && i+1 < len(src) {
						advance()
						advance()
						continue
					}
					if i+2 < len(src) && src[i] == c && src[i+1] == c && src[i+2] == c {
						for n := 0; n < 5 && i < len(src) && src[i] == c; n++ { // """"" ends with two quotes inside
							advance()
						}
						break
					}
					advance()
				}
				continue
			}
			advance()
			for i < len(src) && src[i] != c && src[i] != '\n' {
				if c == '"' && src[i] == '\\' && i+1 < len(src) && src[i+1] != '\n' {
					advance()
				}
				advance()
			}
			if i < len(src) && src[i] == c {
				advance()
			}
			continue
		case '[', '{':
			if depth++; depth > MaxDepth {
				return &Problem{File: file, Line: line, Col: col, Msg: fmt.Sprintf(
					"arrays and inline tables nest more than %d levels deep here: flatten the data (real files need a few levels)", MaxDepth)}
			}
		case ']', '}':
			if depth > 0 {
				depth--
			}
		}
		if i < len(src) {
			advance()
		}
	}
	return nil
}
