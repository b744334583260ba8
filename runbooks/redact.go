package runbooks

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/firebreak/firebreak/runbooks/output"
	"github.com/firebreak/firebreak/runbooks/tomlcheck"
)

// Secrets is base (the name rule and the configured marks) with the runbook's own secret_vars marked.
func (r *Runbook) Secrets(base output.Secrets) output.Secrets {
	return base.With(r.SecretVars...)
}

// Redacted returns the runbook's text with the values of its secret variables (see Secrets) replaced by
// output.Mask: what an incident stores when the runbook is attached, since the timeline can never forget
// what it was told (guard 11). The value in [vars] is masked whatever its length; elsewhere in the text
// (a script, a comment) values of output.MinMaskLen characters or more are masked. Runs read the real
// values from the library, never from the attached copy. The result is parsed again and checked: a
// secret written in a way this cannot find (a TOML escape) is an error, never stored.
func (r *Runbook) Redacted(base output.Secrets) (string, error) {
	sec := r.Secrets(base)
	data := []byte(r.Raw)
	type span struct{ from, to int }
	var spans []span
	var secretNames []string
	for name, v := range r.Vars {
		if v == "" || !sec.IsSecret(name) {
			continue
		}
		secretNames = append(secretNames, name)
		line, col, ok := tomlcheck.KeyPos(data, "vars", name)
		if !ok {
			continue
		}
		if from, to, ok := stringToken(data, line, col); ok {
			spans = append(spans, span{from, to})
		}
	}
	if len(secretNames) == 0 {
		return r.Raw, nil
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].from > spans[j].from })
	for _, s := range spans { // from the end, so earlier offsets stay put
		data = append(data[:s.from:s.from], append([]byte(`"`+output.Mask+`"`), data[s.to:]...)...)
	}
	values := sec.Values(r.Vars)
	forms := append([]string(nil), values...)
	for _, v := range values {
		if e := tomlEscape(v); e != v {
			forms = append(forms, e)
		}
	}
	data = output.NewMasker(forms).Apply(data)

	redacted := string(data)
	sort.Strings(secretNames)
	fail := func(what string) (string, error) {
		return "", fmt.Errorf("%s: %s; write secret values in [vars] as plain quoted strings (%s)", r.Source, what, strings.Join(secretNames, ", "))
	}
	back, err := Parse(r.Source, data)
	if err != nil {
		return fail("its text could not be redacted: " + err.Error())
	}
	for _, name := range secretNames {
		if back.Vars[name] != output.Mask {
			return fail(fmt.Sprintf("the value of its secret variable %s could not be removed from its text", name))
		}
	}
	for _, t := range back.texts() {
		for _, v := range values {
			if strings.Contains(t, v) {
				return fail("a secret value is left in its text")
			}
		}
	}
	return redacted, nil
}

// texts are every string the runbook holds, as parsed.
func (r *Runbook) texts() []string {
	out := []string{r.ID, r.Title, r.Description}
	out = append(out, r.Symptoms...)
	out = append(out, r.Tags...)
	for _, v := range r.Vars {
		out = append(out, v)
	}
	for _, s := range r.Steps {
		out = append(out, s.ID, s.Title, s.Details, s.Targets)
		for _, f := range s.Fragments() {
			out = append(out, f.Text)
		}
	}
	return out
}

// stringToken finds the TOML string that starts at line and col (1-based, col in characters) and returns
// its byte span, quotes included.
func stringToken(data []byte, line, col int) (from, to int, ok bool) {
	i := 0
	for l := 1; l < line; l++ {
		j := bytes.IndexByte(data[i:], '\n')
		if j < 0 {
			return 0, 0, false
		}
		i += j + 1
	}
	for c := 1; c < col && i < len(data); c++ {
		_, n := utf8.DecodeRune(data[i:])
		i += n
	}
	rest := data[i:]
	for _, q := range []string{`"""`, `'''`, `"`, `'`} {
		if !bytes.HasPrefix(rest, []byte(q)) {
			continue
		}
		escapes := q[0] == '"'
		for k := len(q); k < len(rest); k++ {
			if escapes && rest[k] == '\\' {
				k++
				continue
			}
			if len(q) == 1 && rest[k] == '\n' {
				return 0, 0, false
			}
			if bytes.HasPrefix(rest[k:], []byte(q)) {
				end := k + len(q)
				for n := 0; len(q) == 3 && n < 2 && end < len(rest) && rest[end] == q[0]; n++ {
					end++ // """a"""" ends with the value's own quote before the delimiter
				}
				return i, i + end, true
			}
		}
		return 0, 0, false
	}
	return 0, 0, false
}

// tomlEscape writes s as it appears inside a TOML basic string.
func tomlEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`, "\r", `\r`).Replace(s)
}
