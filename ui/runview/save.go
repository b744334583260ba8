package runview

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak/firebreak/runbooks"
	"github.com/firebreak/firebreak/runbooks/rollout"
)

// saveForm asks for the runbook's id and title when an ad-hoc script is saved as a runbook.
type saveForm struct {
	id, title, step field
	focus           int
	err             string
}

// savedMsg says where the runbook was written (or why not).
type savedMsg struct {
	path, id string
	err      error
}

func scriptOf(main, check, rollback string) rollout.Script {
	return rollout.Script{Main: main, Check: check, Rollback: rollback, AdHoc: true}
}

var nonID = regexp.MustCompile(`[^a-z0-9._-]+`)

func (m *Model) openSave() tea.Cmd {
	if m.script.current() == nil {
		m.setMsg("write the script first: e opens $EDITOR", true)
		return nil
	}
	if !m.worked() {
		m.setMsg("save it when it worked: run this version (a dry run at least) successfully first", true)
		return nil
	}
	f := &saveForm{id: newField("runbook id", ""), title: newField("title", ""), step: newField("step title", "")}
	f.id.SetValue(strings.Trim(nonID.ReplaceAllString(strings.ToLower("fix-"+m.inc.Ref()), "-"), "-"))
	f.title.SetValue("Fix from " + m.inc.Ref() + ": " + m.inc.Title)
	f.step.SetValue("Run the fix")
	m.script.save = f
	m.msg = ""
	return nil
}

func (f *saveForm) fields() []*field { return []*field{&f.id, &f.title, &f.step} }

func (m *Model) saveKey(k tea.KeyMsg) tea.Cmd {
	f := m.script.save
	switch k.Type {
	case tea.KeyEsc:
		m.script.save = nil
		return nil
	case tea.KeyTab, tea.KeyDown:
		f.focus = (f.focus + 1) % 3
		return nil
	case tea.KeyShiftTab, tea.KeyUp:
		f.focus = (f.focus + 2) % 3
		return nil
	case tea.KeyEnter:
		v := m.script.current()
		return saveRunbookCmd(m.d.RunbookDir, strings.TrimSpace(f.id.Value()), strings.TrimSpace(f.title.Value()),
			strings.TrimSpace(f.step.Value()), m.inc.Ref(), v.text, m.script.check, m.script.rollback)
	}
	if f.fields()[f.focus].update(k) {
		f.err = ""
	}
	return nil
}

func (f *saveForm) view(m *Model) []string {
	st := m.st
	out := []string{"", st.Title.Render("Save as a runbook in " + orDefault(m.d.RunbookDir, "runbooks")),
		st.Subtle.Render("one script step with its check and rollback; next time it is a step, not a memory")}
	for i, fl := range f.fields() {
		out = append(out, fl.view(st, m.w, i == f.focus))
	}
	if f.err != "" {
		out = append(out, st.Error.Render(f.err))
	}
	out = append(out, st.Subtle.Render("enter saves · tab next field · esc cancels"))
	return out
}

// runbookTOML writes a one-step runbook. Scripts go in TOML multi-line basic strings so they read as
// written; saveRunbook parses the result back to prove it is valid.
func runbookTOML(id, title, stepTitle, source, script, check, rollback string) string {
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

func saveRunbookCmd(dir, id, title, stepTitle, source, script, check, rollback string) tea.Cmd {
	return func() tea.Msg {
		path, err := saveRunbook(dir, id, title, stepTitle, source, script, check, rollback)
		return savedMsg{path: path, id: id, err: err}
	}
}

// saveRunbook writes the runbook to dir/ID.toml, refusing to overwrite one, after parsing it back.
func saveRunbook(dir, id, title, stepTitle, source, script, check, rollback string) (string, error) {
	if dir == "" {
		dir = "runbooks"
	}
	text := runbookTOML(id, title, stepTitle, source, script, check, rollback)
	rb, err := runbooks.Parse(filepath.Join(dir, id+".toml"), []byte(text))
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

func (m *Model) saved(msg savedMsg) tea.Cmd {
	a := m.script
	if msg.err != nil {
		if a.save != nil {
			a.save.err = msg.err.Error()
		} else {
			m.setMsg(msg.err.Error(), true)
		}
		return nil
	}
	a.save = nil
	v := a.current()
	text := fmt.Sprintf("ad-hoc script v%d (sha256 %s) saved as runbook %s: %s", v.n, v.hash[:12], msg.id, msg.path)
	m.setMsg(text, false)
	return m.recordCmd(KindScriptSavedAsRunbook, text, map[string]any{"runbook": msg.id, "path": msg.path, "step": "fix",
		"version": v.n, "hash": v.hash, "check": a.check != "", "rollback": a.rollback != ""})
}
