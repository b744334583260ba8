package runview

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks/rollout"
	"github.com/firebreak/firebreak/store"
)

// KindScriptSaved is the event kind the run screen records for each version of an ad-hoc script. This
// package owns it and its payload (scriptSavedData): only the console writes and reads it, so it need not
// live in package incident, whose inventory (kinds.go) lists it. A script saved as a runbook is recorded
// with incident.KindScriptSavedAsRunbook, which the retrospective reads.
const KindScriptSaved = "script_saved"

// scriptTemplate is what $EDITOR opens for a new ad-hoc script.
const scriptTemplate = `#!/usr/bin/env bash
# Ad-hoc script for %s. It runs on each host like a runbook step: first as a dry run
# (FIREBREAK_DRY_RUN=1: say what you would do, change nothing), then for real, stage by stage.
# Make it idempotent: a second run must change nothing.
set -euo pipefail
if [ "${FIREBREAK_DRY_RUN:-0}" = 1 ]; then
  echo "would ..."
  exit 0
fi
`

// version is one saved version of an ad-hoc script.
type version struct {
	n       int
	text    string
	hash    string // sha256 of the text, hex
	diff    string // unified diff to the previous version ("" for the first)
	changed int    // lines removed plus lines added
}

// adhoc is the ad-hoc script being written: every saved version, and its check and rollback.
type adhoc struct {
	versions        []version
	shown           int // the version on screen (index)
	check, rollback string
	save            *saveForm
	name            string // what the operator called it ("": its first meaningful line)
}

// title is the script's name: the operator's, else its current version's first meaningful line.
func (a *adhoc) title() string {
	if a.name != "" {
		return a.name
	}
	if v := a.current(); v != nil {
		return rollout.AdHocName(v.text)
	}
	return ""
}

func (a *adhoc) current() *version {
	if a == nil || len(a.versions) == 0 {
		return nil
	}
	return &a.versions[len(a.versions)-1]
}

func hashText(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// editedMsg is $EDITOR's return.
type editedMsg struct {
	which string // script, check, rollback
	path  string
	err   error
}

// versionRecordedMsg says a version reached the timeline (or why not).
type versionRecordedMsg struct{ err error }

// editCmd opens $EDITOR on a temporary file holding the fragment's current text, suspending the console.
func (m *Model) editCmd(which string) tea.Cmd {
	if m.d.NoEditor != "" {
		m.setMsg(m.d.NoEditor, true)
		return nil
	}
	text := ""
	switch which {
	case "script":
		if v := m.script.current(); v != nil {
			text = v.text
		} else {
			text = fmt.Sprintf(scriptTemplate, m.inc.Ref())
		}
	case "check":
		text = m.script.check
	case "rollback":
		text = m.script.rollback
	}
	f, err := os.CreateTemp("", "firebreak-"+which+"-*.sh")
	if err == nil {
		_, err = f.WriteString(text)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		m.setMsg("preparing the file for the editor: "+err.Error(), true)
		return nil
	}
	editor := m.d.Editor
	if editor == "" {
		editor = "vi"
	}
	// The editor may carry arguments ("code --wait"), so the shell splits it; the path is passed as $1.
	c := exec.Command("sh", "-c", editor+` "$1"`, "sh", f.Name())
	path := f.Name()
	return tea.ExecProcess(c, func(err error) tea.Msg { return editedMsg{which: which, path: path, err: err} })
}

func (m *Model) edited(msg editedMsg) tea.Cmd {
	data, rerr := os.ReadFile(msg.path)
	os.Remove(msg.path)
	switch {
	case msg.err != nil:
		m.setMsg("the editor failed: "+msg.err.Error(), true)
		return nil
	case rerr != nil:
		m.setMsg("reading what the editor saved: "+rerr.Error(), true)
		return nil
	}
	return m.applyEdit(msg.which, string(data))
}

// applyEdit takes an edited fragment: a changed script becomes a new version, recorded on the timeline.
func (m *Model) applyEdit(which, text string) tea.Cmd {
	a := m.script
	switch which {
	case "check", "rollback":
		if strings.TrimSpace(text) == "" {
			text = ""
		}
		if which == "check" {
			a.check = text
		} else {
			a.rollback = text
		}
		m.setMsg(fmt.Sprintf("%s %s (%d lines): it runs with the script and is saved with it", which, map[bool]string{true: "cleared", false: "set"}[text == ""], len(splitLines(text))), false)
		return nil
	}
	prev := fmt.Sprintf(scriptTemplate, m.inc.Ref())
	if v := a.current(); v != nil {
		prev = v.text
	}
	if strings.TrimSpace(text) == "" || text == prev {
		m.setMsg("no change: nothing saved", false)
		return nil
	}
	return m.newVersion(text)
}

// versionsMsg carries the incident's ad-hoc script versions, read back from its timeline.
type versionsMsg struct {
	versions []version
	err      error
}

// loadVersionsCmd reads the versions recorded on the incident's timeline: an ad-hoc script belongs to the
// incident, so leaving the screen and coming back (or another console) finds it, numbered on.
func (m *Model) loadVersionsCmd() tea.Cmd {
	db, id := m.d.DB, m.inc.ID
	return func() tea.Msg {
		if db == nil {
			return versionsMsg{}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		evs, err := db.Events(ctx, store.EventQuery{Incident: id, Kinds: []string{KindScriptSaved}})
		if err != nil {
			return versionsMsg{err: err}
		}
		var out []version
		for _, ev := range evs {
			var d scriptSavedData
			if json.Unmarshal(ev.Data, &d) != nil || d.Hash == "" {
				continue
			}
			out = append(out, version{n: len(out) + 1, text: d.Text, hash: d.Hash, diff: d.Diff, changed: d.Changed})
		}
		return versionsMsg{versions: out}
	}
}

// scriptSavedData is the data of a script_saved event: one version of the ad-hoc script. Its fields are in
// the order of the keys it was written with as a map (alphabetical): what is stored and hashed stays so.
type scriptSavedData struct {
	Changed      int    `json:"changed_lines"`
	Diff         string `json:"diff"`
	Hash         string `json:"hash"`
	PreviousHash string `json:"previous_hash"`
	Text         string `json:"text"`
	Version      int    `json:"version"`
}

// versionsLoaded takes the recorded versions (unless versions were made here meanwhile), then records the
// text the screen was opened with when it is not the current version already.
func (m *Model) versionsLoaded(msg versionsMsg) tea.Cmd {
	a := m.script
	if msg.err != nil {
		m.setMsg("reading the incident's ad-hoc script: "+msg.err.Error(), true)
	}
	if a == nil {
		return nil
	}
	if len(a.versions) == 0 && len(msg.versions) > 0 {
		a.versions, a.shown = msg.versions, len(msg.versions)-1
		m.setMsg(fmt.Sprintf("the incident's ad-hoc script, v%d: e edits it", len(msg.versions)), false)
	}
	if t := m.target.Command; strings.TrimSpace(t) != "" {
		return m.newVersion(t)
	}
	return nil
}

// newVersion adds text as the next version, shows it with its diff, and records it on the timeline. Text
// identical to the current version is no new version.
func (m *Model) newVersion(text string) tea.Cmd {
	a := m.script
	if cur := a.current(); cur != nil && cur.hash == hashText(text) {
		a.shown = len(a.versions) - 1
		return nil
	}
	v := version{n: len(a.versions) + 1, text: text, hash: hashText(text)}
	prevText, prevHash := "", ""
	if p := a.current(); p != nil {
		prevText, prevHash = p.text, p.hash
	}
	diff, changed := scriptDiff(fmt.Sprintf("v%d", v.n-1), fmt.Sprintf("v%d", v.n), prevText, text)
	v.changed = changed
	if prevHash != "" {
		v.diff = diff
	}
	a.versions = append(a.versions, v)
	a.shown = len(a.versions) - 1
	// A new version is a new script: the host picker starts fresh (dry run, no pattern), never carrying
	// the last version's hosts and mode over.
	inv, ready, err := m.pick.inv, m.pick.ready, m.pick.err
	m.pick = newPicker()
	m.pick.inv, m.pick.ready, m.pick.err = inv, ready, err
	desc := fmt.Sprintf("ad-hoc script v%d saved (sha256 %s, %d lines)", v.n, v.hash[:12], len(splitLines(text)))
	if v.n > 1 {
		desc = fmt.Sprintf("ad-hoc script v%d saved (sha256 %s, %d lines changed from v%d)", v.n, v.hash[:12], v.changed, v.n-1)
	}
	m.setMsg(desc, false)
	data := scriptSavedData{Version: v.n, Hash: v.hash, Text: text, Diff: v.diff, Changed: v.changed, PreviousHash: prevHash}
	return m.recordCmd(KindScriptSaved, desc, data)
}

func (m *Model) recordCmd(kind, text string, data any) tea.Cmd {
	svc, id := m.d.Incidents, m.inc.ID
	return func() tea.Msg {
		if svc == nil {
			return versionRecordedMsg{err: fmt.Errorf("no incident service")}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _, err := svc.Change(ctx, id, func(*incident.Incident) ([]incident.Draft, error) {
			return []incident.Draft{{Kind: kind, Text: text, Data: data}}, nil
		})
		return versionRecordedMsg{err: err}
	}
}

func (m *Model) scriptKey(k tea.KeyMsg) tea.Cmd {
	a := m.script
	if a.save != nil {
		return m.saveKey(k)
	}
	switch k.String() {
	case "esc":
		return m.back()
	case "e":
		return m.editCmd("script")
	case "k":
		return m.editCmd("check")
	case "b":
		return m.editCmd("rollback")
	case "left":
		a.shown = max(0, a.shown-1)
	case "right":
		a.shown = min(len(a.versions)-1, a.shown+1)
	case "enter":
		if a.current() == nil {
			m.setMsg("write the script first: e opens $EDITOR", true)
			return nil
		}
		m.msg = ""
		m.phase = phasePick
	case "W":
		return m.openSave()
	case "n":
		m.ask(&prompt{kind: promptReason, question: "Name of this script (shown in runs, on the timeline and in the retrospective):",
			ok: func(name string) tea.Cmd {
				a.name = strings.TrimSpace(name)
				m.setMsg("named "+a.name, false)
				return nil
			}})
	}
	return nil
}

// worked says whether the current version (with its check and rollback) ran successfully from here.
func (m *Model) worked() bool {
	v := m.script.current()
	if v == nil {
		return false
	}
	return m.succeeded[m.adhocHash()]
}

// adhocHash is the engine's hash of the current script with its check and rollback.
func (m *Model) adhocHash() string {
	v := m.script.current()
	if v == nil {
		return ""
	}
	return scriptOf(v.text, m.script.check, m.script.rollback).Hash()
}

func (m *Model) scriptView() string {
	st, a := m.st, m.script
	var b []string
	v := a.current()
	if v == nil {
		b = append(b, st.Title.Render("Ad-hoc script for "+m.inc.Ref()))
		b = append(b, "", "No script yet. e opens $EDITOR ("+orDefault(m.d.Editor, "vi")+") on a new one.",
			st.Subtle.Render("Every saved version is hashed, recorded on the timeline with its diff, and runs like a runbook step:"),
			st.Subtle.Render("a dry run on one host first, then a careful ramp. When it worked, W writes it as a runbook."))
		return strings.Join(b, "\n")
	}
	shown := a.versions[a.shown]
	state := st.Subtle.Render("not run yet")
	if m.worked() {
		state = st.OK.Render("ran successfully")
	}
	b = append(b, st.Title.Render(fmt.Sprintf("Ad-hoc script v%d of %d", shown.n, len(a.versions)))+
		st.Subtle.Render(fmt.Sprintf(" · sha256 %s · ", shown.hash[:12]))+state)
	b = append(b, st.Subtle.Render("name: ")+a.title()+st.Subtle.Render(" (n renames)"))
	b = append(b, st.Subtle.Render(fmt.Sprintf("check: %s · rollback: %s", fragmentSummary(a.check), fragmentSummary(a.rollback))))
	room := m.bodyH - len(b) - 1
	scriptH := room
	if shown.diff != "" {
		scriptH = max(room/2, 1)
	}
	b = append(b, rule(m, "script", m.w))
	lines := splitLines(shown.text)
	for i, l := range lines {
		if i == scriptH-1 && len(lines) > scriptH {
			b = append(b, st.Subtle.Render(fmt.Sprintf("… %d more lines", len(lines)-i)))
			break
		}
		b = append(b, strings.ReplaceAll(l, "\t", "    "))
	}
	if shown.diff != "" {
		b = append(b, rule(m, fmt.Sprintf("diff to v%d (%d lines changed)", shown.n-1, shown.changed), m.w))
		for _, l := range splitLines(shown.diff) {
			switch {
			case strings.HasPrefix(l, "+++"), strings.HasPrefix(l, "---"), strings.HasPrefix(l, "@@"):
				b = append(b, st.Subtle.Render(l))
			case strings.HasPrefix(l, "+"):
				b = append(b, st.OK.Render(strings.ReplaceAll(l, "\t", "    ")))
			case strings.HasPrefix(l, "-"):
				b = append(b, st.Error.Render(strings.ReplaceAll(l, "\t", "    ")))
			default:
				b = append(b, strings.ReplaceAll(l, "\t", "    "))
			}
		}
	}
	if a.save != nil {
		return strings.Join(append(b[:min(len(b), 2)], a.save.view(m)...), "\n")
	}
	return strings.Join(b, "\n")
}

func fragmentSummary(s string) string {
	if s == "" {
		return "none"
	}
	first := strings.TrimSpace(splitLines(s)[0])
	if n := len(splitLines(s)); n > 1 {
		return fmt.Sprintf("%s (+%d lines)", first, n-1)
	}
	return first
}
