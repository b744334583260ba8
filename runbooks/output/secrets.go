package output

import (
	"bytes"
	"sort"
	"strings"
	"unicode"
)

// Mask replaces a secret value wherever it appears.
const Mask = "********"

// MinMaskLen is the shortest secret value masked inside free text (host output, logs, errors, other
// variables' values). A shorter value ("1", "prod") would mask every occurrence of it everywhere and
// guess the secret besides; it is still masked as a variable's own value (MaskVars, Redact), never in
// text. Give secrets of at least this many characters.
const MinMaskLen = 6

// The name rule (guard 11). A name is split into words at _, -, ., at a change from lower to upper case
// (apiKey) and between letters and digits (KEY2). Its value is a secret when
//   - the name contains TOKEN, SECRET, PASSWORD, PASSWD, CREDENTIAL, PASSPHRASE or PRIVATE anywhere, in any
//     case (APITOKEN, db_password, SSH_PRIVATE_KEY, aws_secret_access_key, CREDENTIALS), or
//   - one of its words is KEY, KEYS, PAT, AUTH or OAUTH (API_KEY, SECRET_KEY, GITHUB_PAT, INV_PAT,
//     BASIC_AUTH, apiKey).
//
// The short words must be whole words because they hide inside ordinary names: PATH, PATTERN, MONKEY,
// KEYBOARD, AUTHOR and APIKEY are not secrets by name (mark APIKEY secret, or name it API_KEY).
var (
	secretSubstrings = []string{"TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "PASSPHRASE", "PRIVATE"}
	secretWords      = map[string]bool{"KEY": true, "KEYS": true, "PAT": true, "AUTH": true, "OAUTH": true}
)

// IsSecretName says whether a variable's value must be masked by its name alone (see the name rule above).
func IsSecretName(name string) bool {
	u := strings.ToUpper(name)
	for _, w := range secretSubstrings {
		if strings.Contains(u, w) {
			return true
		}
	}
	for _, w := range nameWords(name) {
		if secretWords[strings.ToUpper(w)] {
			return true
		}
	}
	return false
}

// nameWords splits a variable name into its words (see the name rule).
func nameWords(name string) []string {
	var words []string
	start := 0
	rs := []rune(name)
	for i := 0; i <= len(rs); i++ {
		cut, skip := i == len(rs), false
		if !cut {
			r := rs[i]
			switch {
			case r == '_' || r == '-' || r == '.':
				cut, skip = true, true
			case i > start && unicode.IsUpper(r) && unicode.IsLower(rs[i-1]):
				cut = true
			case i > start && unicode.IsDigit(r) != unicode.IsDigit(rs[i-1]):
				cut = true
			}
		}
		if cut {
			if i > start {
				words = append(words, string(rs[start:i]))
			}
			start = i
			if skip {
				start = i + 1
			}
		}
	}
	return words
}

// Secrets says which variables hold secrets: those the name rule catches and those marked secret by name
// (a runbook's secret_vars, an inventory's firebreak_secret_vars, the config's secret_vars). The zero value
// knows the name rule only. Marked names match in any case.
type Secrets struct {
	marked map[string]bool
}

// NewSecrets returns the name rule plus the marked names.
func NewSecrets(marked ...string) Secrets {
	return Secrets{}.With(marked...)
}

// With returns s with more names marked secret (s itself is unchanged).
func (s Secrets) With(marked ...string) Secrets {
	out := Secrets{marked: make(map[string]bool, len(s.marked)+len(marked))}
	for k := range s.marked {
		out.marked[k] = true
	}
	for _, n := range marked {
		if n = strings.TrimSpace(n); n != "" {
			out.marked[strings.ToUpper(n)] = true
		}
	}
	return out
}

// Marked lists the names marked secret (upper case, sorted).
func (s Secrets) Marked() []string {
	out := make([]string, 0, len(s.marked))
	for k := range s.marked {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// IsSecret says whether the variable name holds a secret: by the name rule or because it is marked.
func (s Secrets) IsSecret(name string) bool {
	return s.marked[strings.ToUpper(name)] || IsSecretName(name)
}

// Values returns the distinct values of the secret variables in vars that are long enough to mask in text
// (MinMaskLen), longest first.
func (s Secrets) Values(vars map[string]string) []string {
	seen := map[string]bool{}
	var out []string
	for k, v := range vars {
		if len(v) >= MinMaskLen && !seen[v] && s.IsSecret(k) {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i]) != len(out[j]) {
			return len(out[i]) > len(out[j])
		}
		return out[i] < out[j]
	})
	return out
}

// Masker masks the values of the secret variables in vars (see Values).
func (s Secrets) Masker(vars map[string]string) *Masker {
	return NewMasker(s.Values(vars))
}

// MaskVars returns a copy of vars safe for the timeline: each secret variable's value is the Mask
// whatever its length, and any secret value found inside another value is masked too.
func (s Secrets) MaskVars(vars map[string]string) map[string]string {
	m := s.Masker(vars)
	out := make(map[string]string, len(vars))
	for k, v := range vars {
		if s.IsSecret(k) && v != "" {
			out[k] = Mask
		} else {
			out[k] = string(m.Apply([]byte(v)))
		}
	}
	return out
}

// SecretValues is Secrets{}.Values: the values the name rule alone makes secret.
func SecretValues(vars map[string]string) []string { return Secrets{}.Values(vars) }

// MaskVars is Secrets{}.MaskVars: vars masked by the name rule alone.
func MaskVars(vars map[string]string) map[string]string { return Secrets{}.MaskVars(vars) }

// Masker replaces known secret values in text.
type Masker struct {
	secrets [][]byte // longest first, so a secret containing another is masked whole
	longest int
}

// NewMasker masks the given values. Values shorter than MinMaskLen are ignored: masking them in text would
// hide every "1" or "prod" in the output.
func NewMasker(values []string) *Masker {
	m := &Masker{}
	vs := append([]string(nil), values...)
	sort.Slice(vs, func(i, j int) bool { return len(vs[i]) > len(vs[j]) })
	for _, v := range vs {
		if len(v) >= MinMaskLen {
			m.secrets = append(m.secrets, []byte(v))
			m.longest = max(m.longest, len(v))
		}
	}
	return m
}

// Apply returns b with every secret replaced by Mask (b itself when there is nothing to mask).
func (m *Masker) Apply(b []byte) []byte {
	if m == nil || len(m.secrets) == 0 {
		return b
	}
	for _, s := range m.secrets {
		if bytes.Contains(b, s) {
			b = bytes.ReplaceAll(b, s, []byte(Mask))
		}
	}
	return b
}

// String is Apply for a string.
func (m *Masker) String(s string) string {
	return string(m.Apply([]byte(s)))
}

// safeCut returns the largest n <= want such that no secret occurrence in b straddles b[:n] | b[n:],
// so a long line can be emitted in pieces without leaking a secret split across two pieces.
func (m *Masker) safeCut(b []byte, want int) int {
	if m == nil || m.longest <= 1 {
		return want
	}
	cut := want
	for _, s := range m.secrets {
		lo := max(0, cut-len(s)+1)
		for {
			j := bytes.Index(b[lo:], s)
			if j < 0 || lo+j >= cut {
				break
			}
			if lo+j+len(s) > cut {
				cut = lo + j
				break
			}
			lo += j + 1
		}
	}
	if cut == 0 { // b starts with a secret longer than want: emit the secret whole
		return min(len(b), m.longest)
	}
	return cut
}
