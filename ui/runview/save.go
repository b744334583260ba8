package runview

import (
	"fmt"
	"regexp"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak/firebreak/incident"
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

func saveRunbookCmd(dir, id, title, stepTitle, source, script, check, rollback string) tea.Cmd {
	return func() tea.Msg {
		path, err := runbooks.SaveAdHoc(dir, runbooks.AdHoc{ID: id, Title: title, StepTitle: stepTitle, Source: source,
			Script: script, Check: check, Rollback: rollback})
		return savedMsg{path: path, id: id, err: err}
	}
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
	return m.recordCmd(incident.KindScriptSavedAsRunbook, text, incident.ScriptSavedAsRunbookData{Runbook: msg.id, Path: msg.path, Step: "fix",
		Version: v.n, Hash: v.hash, Check: a.check != "", Rollback: a.rollback != ""})
}
