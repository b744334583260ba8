package runbooks

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// runbookTOML writes a one-step runbook. Scripts go in TOML multi-line basic strings so they read as
// written; SaveAdHoc parses the result back to prove it is valid.
func adHocTOML(id, title, stepTitle, source, script, check, rollback string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Saved from the ad-hoc script of %s by firebreak.\n", source)
	fmt.Fprintf(&b, "id = %s\ntitle = %s\ntags = [\"adhoc\"]\n\n[[steps]]\nid = \"fix\"\ntitle = %s\n", tomlString(id), tomlString(title), tomlString(stepTitle))
	for _, f := range []struct{ key, text string }{{"script", script}, {"check", check}, {"rollback", rollback}} {
		if f.text != "" {
			fmt.Fprintf(&b, "%s = %s\n", f.key, tomlString(f.text))
		}
	}
	return b.String()
}

// tomlString quotes s as a TOML string: a basic string for one line, a multi-line basic string otherwise.
func tomlString(s string) string {
	multi := strings.Contains(s, "\n")
	var b strings.Builder
	if multi {
		b.WriteString("\"\"\"\n") // a newline right after the opening quotes is not part of the value
	} else {
		b.WriteByte('"')
	}
	for i, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '"' && (!multi || i+1 == len(s) || s[i+1] == '"'):
			// In a multi-line string only a quote that could start a run of three (or touch the closing
			// quotes) needs escaping; scripts keep their ordinary quotes readable.
			b.WriteString(`\"`)
		case r == '\n' && multi, r == '\t':
			b.WriteRune(r)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		case r == utf8.RuneError:
			b.WriteString(`\uFFFD`)
		default:
			b.WriteRune(r)
		}
	}
	if multi {
		b.WriteString(`"""`)
	} else {
		b.WriteByte('"')
	}
	return b.String()
}

// AdHoc is an ad-hoc script that worked, to be saved as a one-step runbook: next time it is a step, not a
// memory.
type AdHoc struct {
	ID, Title, StepTitle string
	Source               string // where it came from, e.g. the incident's id
	Script, Check        string
	Rollback             string
}

// SaveAdHoc writes a one-step runbook to dir/ID.toml (dir "" is ./runbooks), refusing to overwrite one,
// after parsing it back to prove it reads as written. It returns the file's path.
func SaveAdHoc(dir string, a AdHoc) (string, error) {
	id, script, check, rollback := a.ID, a.Script, a.Check, a.Rollback
	if dir == "" {
		dir = "runbooks"
	}
	text := adHocTOML(id, a.Title, a.StepTitle, a.Source, script, check, rollback)
	rb, err := Parse(filepath.Join(dir, id+".toml"), []byte(text))
	if err != nil {
		return "", err
	}
	st, ok := rb.Step("fix")
	if !ok || st.Script != script || st.Check != check || st.Rollback != rollback {
		return "", errors.New("the runbook did not read back as written (a quoting bug): nothing saved")
	}
	if strings.ContainsAny(id, `/\`) || id == "" {
		return "", fmt.Errorf("runbook id %q: use lower case letters, digits, - . and _", id)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, id+".toml")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("%s already exists: choose another runbook id", path)
	}
	if err != nil {
		return "", err
	}
	_, err = f.WriteString(text)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return "", err
	}
	return path, nil
}
