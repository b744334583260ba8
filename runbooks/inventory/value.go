package inventory

import (
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// iniValue turns an INI value into the text Ansible ends up with: Ansible runs ast.literal_eval on it, so a
// quoted Python string loses its quotes (and a trailing # comment), an integer literal is normalised
// (0x10 is 16), a float literal becomes Python's repr of it (1e3 is 1000.0), and anything else stays as
// written.
func iniValue(v string) string {
	body, _ := splitPyComment(v)
	body = strings.TrimSpace(body)
	if s, ok := pyString(body); ok {
		return s
	}
	if n, ok := pyInt(body); ok {
		return n
	}
	if f, ok := pyFloat(body); ok {
		return f
	}
	switch body {
	case "True", "False":
		return body
	}
	return v
}

// splitPyComment splits off a # comment that is outside any quotes.
func splitPyComment(v string) (string, string) {
	var q byte
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case q != 0 && c == '\\':
			i++
		case q != 0 && c == q:
			q = 0
		case q == 0 && (c == '\'' || c == '"'):
			q = c
		case q == 0 && c == '#':
			return v[:i], v[i:]
		}
	}
	return v, ""
}

// pyString decodes one complete Python string literal ('...' or "..."), or reports false.
func pyString(s string) (string, bool) {
	if len(s) < 2 || (s[0] != '\'' && s[0] != '"') || s[len(s)-1] != s[0] {
		return "", false
	}
	q := s[0]
	if len(s) >= 6 && strings.HasPrefix(s, strings.Repeat(string(q), 3)) {
		return "", false // triple-quoted: leave as written
	}
	body := s[1 : len(s)-1]
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c == q {
			return "", false // the literal ended early: "a" "b" or "a" x
		}
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(body) {
			return "", false
		}
		i++
		switch e := body[i]; e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '\\', '\'', '"':
			b.WriteByte(e)
		case '\n':
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			if i+1+n > len(body) {
				return "", false
			}
			r, err := strconv.ParseUint(body[i+1:i+1+n], 16, 32)
			if err != nil || !utf8.ValidRune(rune(r)) {
				return "", false
			}
			b.WriteRune(rune(r))
			i += n
		default:
			b.WriteByte('\\')
			b.WriteByte(e)
		}
	}
	return b.String(), true
}

// pyInt normalises a Python integer literal (optional sign, 0x/0o/0b, underscores), or reports false.
func pyInt(s string) (string, bool) {
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = strings.TrimSpace(s[1:])
	}
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return "", false
	}
	base := 10
	digits := s
	if len(s) > 2 && s[0] == '0' {
		switch s[1] {
		case 'x', 'X':
			base, digits = 16, s[2:]
		case 'o', 'O':
			base, digits = 8, s[2:]
		case 'b', 'B':
			base, digits = 2, s[2:]
		}
	}
	digits = strings.ReplaceAll(digits, "_", "")
	if base == 10 && len(digits) > 1 && digits[0] == '0' && strings.Trim(digits, "0") != "" {
		return "", false // 010 is a syntax error in Python 3
	}
	n, ok := new(big.Int).SetString(digits, base)
	if !ok {
		return "", false
	}
	if neg {
		n.Neg(n)
	}
	return n.String(), true
}

// pyFloatLit is Python's float literal: digits with single underscores between them, a point, an exponent.
var pyFloatLit = regexp.MustCompile(`^[+-]?\s*(?:(?:\d(?:_?\d)*)?\.\d(?:_?\d)*|\d(?:_?\d)*\.?)(?:[eE][+-]?\d(?:_?\d)*)?$`)

// pyFloat reads a Python float literal (one with a point or an exponent) and returns Python's repr of its
// value, or reports false.
func pyFloat(s string) (string, bool) {
	if !pyFloatLit.MatchString(s) || !strings.ContainsAny(s, ".eE") {
		return "", false
	}
	s = strings.ReplaceAll(strings.ReplaceAll(s, "_", ""), " ", "")
	s = strings.ReplaceAll(s, "\t", "")
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !math.IsInf(f, 0) {
		return "", false
	}
	return pyRepr(f), true
}

// pyRepr formats f as Python's repr does: the shortest digits that read back as f, fixed notation when the
// decimal point falls within 16 digits of them (with ".0" for a whole number), else d.ddde+XX.
func pyRepr(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // -d.dddde±XX
	sign := ""
	if e[0] == '-' {
		sign, e = "-", e[1:]
	}
	mant, exp, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	x, _ := strconv.Atoi(exp)
	decpt := x + 1 // the value is 0.DIGITS × 10^decpt
	if decpt <= -4 || decpt > 16 {
		es := strconv.Itoa(abs(x))
		if len(es) < 2 {
			es = "0" + es
		}
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		if x < 0 {
			return sign + m + "e-" + es
		}
		return sign + m + "e+" + es
	}
	switch {
	case decpt <= 0:
		return sign + "0." + strings.Repeat("0", -decpt) + digits
	case decpt >= len(digits):
		return sign + digits + strings.Repeat("0", decpt-len(digits)) + ".0"
	default:
		return sign + digits[:decpt] + "." + digits[decpt:]
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
