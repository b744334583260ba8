package output

import (
	"bytes"
	"sort"
	"strings"
)

// Mask replaces a secret value wherever it appears.
const Mask = "********"

// secretWords are the parts of a variable name that make its value a secret (guard 11).
var secretWords = []string{"TOKEN", "SECRET", "PASSWORD", "KEY"}

// IsSecretName says whether a variable's value must be masked: its name contains TOKEN, SECRET,
// PASSWORD or KEY, in any case.
func IsSecretName(name string) bool {
	u := strings.ToUpper(name)
	for _, w := range secretWords {
		if strings.Contains(u, w) {
			return true
		}
	}
	return false
}

// SecretValues returns the non-empty values of the secret-looking variables in vars, longest first.
func SecretValues(vars map[string]string) []string {
	var out []string
	for k, v := range vars {
		if v != "" && IsSecretName(k) {
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

// MaskVars returns a copy of vars safe for the timeline: secret-looking variables have their value masked,
// and any secret value found inside another value is masked too.
func MaskVars(vars map[string]string) map[string]string {
	m := NewMasker(SecretValues(vars))
	out := make(map[string]string, len(vars))
	for k, v := range vars {
		if IsSecretName(k) && v != "" {
			out[k] = Mask
		} else {
			out[k] = string(m.Apply([]byte(v)))
		}
	}
	return out
}

// Masker replaces known secret values in text.
type Masker struct {
	secrets [][]byte // longest first, so a secret containing another is masked whole
	longest int
}

// NewMasker masks the given values (empty ones are ignored).
func NewMasker(values []string) *Masker {
	m := &Masker{}
	vs := append([]string(nil), values...)
	sort.Slice(vs, func(i, j int) bool { return len(vs[i]) > len(vs[j]) })
	for _, v := range vs {
		if v != "" {
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
