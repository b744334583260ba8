// Package runview is the console's run screen: pick hosts for a runbook's script step or an ad-hoc script,
// preview the plan and its guards, then watch the run live (per-host table, stage progress, output) and
// steer it at each pause. It drives rollout.Engine through deps; it adds no second way to run anything.
package runview

import (
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/ui/deps"
	"github.com/firebreak/firebreak/ui/styles"
)

// Target is what to run: a runbook's script step, or an ad-hoc script.
type Target struct {
	Runbook, Step string
	Command       string // the ad-hoc script's first text (may be empty: the operator writes it in $EDITOR)
	AdHoc         bool
	// Resume or Retry continues an earlier run under the same plan: the screen opens on its preview, where
	// every guard and confirmation is asked again.
	Resume, Retry int64
}

// again says the target continues an earlier run.
func (t Target) again() bool { return t.Resume != 0 || t.Retry != 0 }

// ClosedMsg is emitted when the operator leaves the run screen (esc with no active run).
type ClosedMsg struct{}

type phase int

const (
	phaseScript phase = iota // ad-hoc: write, version and diff the script
	phasePick                // host picker and settings
	phasePlan                // plan preview with guards
	phaseLive                // the run, live or finished
)

// Model is the run screen.
type Model struct {
	d      deps.Deps
	st     *styles.Styles
	inc    *incident.Incident
	target Target
	keys   KeyMap
	now    func() time.Time
	w, h   int
	bodyH  int // the height left for the body once the footer is laid out

	phase  phase
	msg    string // one line of feedback: an error, "saved …"
	msgErr bool

	pick   picker
	plan   planState
	live   *liveRun
	script *adhoc
	prompt *prompt
	spin   spinner.Model

	gen       int             // run generation: messages of an earlier run are ignored
	succeeded map[string]bool // script hashes that ran successfully from this screen
}

// New builds the run screen for target in incident inc.
func New(d deps.Deps, st *styles.Styles, inc *incident.Incident, target Target) *Model {
	m := &Model{d: d, st: st, inc: inc, target: target, keys: DefaultKeyMap(), now: time.Now, w: 80, h: 20,
		succeeded: map[string]bool{}}
	m.pick = newPicker()
	m.spin = spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(st.HostState["running"]))
	m.phase = phasePick
	if target.AdHoc {
		m.phase = phaseScript
		m.script = &adhoc{}
	}
	return m
}

// Init loads the inventory (and the step's defaults); for an ad-hoc script given up front, it records it
// as the first version.
func (m *Model) Init() tea.Cmd {
	if m.target.again() {
		return m.toPlan()
	}
	cmds := []tea.Cmd{m.loadCmd()}
	if m.script != nil { // the incident's ad-hoc script so far: leaving the screen loses nothing
		cmds = append(cmds, m.loadVersionsCmd())
	}
	return tea.Batch(cmds...)
}

// SetSize sets the size the screen renders in.
func (m *Model) SetSize(w, h int) {
	m.w, m.h = max(w, 1), max(h, 1)
	if m.live != nil {
		m.live.resize(m.w, m.h)
	}
}

// Active reports whether a run is in progress.
func (m *Model) Active() bool { return m.live != nil && !m.live.finished }

// InputFocused reports whether keys go to a text field (the host pattern, a setting, a reason, a typed
// confirmation), so the root should not take letters such as q as global keys.
func (m *Model) InputFocused() bool {
	if m.prompt != nil {
		return m.prompt.kind != promptConfirm
	}
	return m.phase == phasePick && m.pick.focus != focusHosts
}

func (m *Model) setMsg(s string, isErr bool) { m.msg, m.msgErr = s, isErr }

// Update handles a message.
func (m *Model) Update(msg tea.Msg) (*Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.SetSize(msg.Width, msg.Height)
		return m, nil
	case spinner.TickMsg:
		if msg.ID != m.spin.ID() || !m.Active() {
			return m, nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case loadedMsg:
		m.pick.loaded(msg, m.target)
		return m, nil
	case versionsMsg:
		return m, m.versionsLoaded(msg)
	case planMsg:
		return m, m.planned(msg)
	case batchMsg:
		return m, m.applyBatch(msg)
	case runDoneMsg:
		return m, m.runDone(msg)
	case editedMsg:
		return m, m.edited(msg)
	case versionRecordedMsg:
		if msg.err != nil {
			m.setMsg("recording the version on the timeline: "+msg.err.Error(), true)
		}
		return m, nil
	case savedMsg:
		return m, m.saved(msg)
	case tea.KeyMsg:
		if m.prompt != nil {
			return m, m.promptKey(msg)
		}
		switch m.phase {
		case phaseScript:
			return m, m.scriptKey(msg)
		case phasePick:
			return m, m.pickKey(msg)
		case phasePlan:
			return m, m.planKey(msg)
		case phaseLive:
			return m, m.liveKey(msg)
		}
	}
	return m, nil
}

func closed() tea.Msg { return ClosedMsg{} }

// back leaves the current phase.
func (m *Model) back() tea.Cmd {
	m.msg = ""
	switch m.phase {
	case phaseLive:
		if m.Active() {
			m.setMsg("a run is in progress: n stops it at the next pause, ! halts everything", true)
			return nil
		}
		if m.target.again() {
			return closed
		}
		m.phase = phasePick
	case phasePlan:
		if m.target.again() {
			return closed
		}
		m.phase = phasePick
	case phasePick:
		if m.script != nil {
			m.phase = phaseScript
			return nil
		}
		return closed
	case phaseScript:
		return closed
	}
	return nil
}

// View renders the screen in exactly the size given: no line is wider, and there are no more lines.
func (m *Model) View() string {
	foot := m.footer()
	m.bodyH = max(m.h-len(foot), 1)
	var body string
	switch m.phase {
	case phaseScript:
		body = m.scriptView()
	case phasePick:
		body = m.pickView()
	case phasePlan:
		body = m.planView()
	case phaseLive:
		body = m.liveView()
	}
	return fit(body, foot, m.w, m.h)
}

// footer is the prompt, or the feedback line.
func (m *Model) footer() []string {
	var out []string
	if m.phase == phaseLive && m.live != nil {
		for _, l := range m.live.promptLines(m) {
			out = append(out, wrapIndent(l, m.w, 0)...)
		}
	}
	if m.prompt != nil {
		return append(out, m.prompt.view(m.st, m.w)...)
	}
	if m.msg != "" {
		style := m.st.OK
		if m.msgErr {
			style = m.st.Error
		}
		return append(out, wrapIndent(style.Render(m.msg), m.w, 0)...)
	}
	return out
}

// fit lays body above foot in w×h: lines truncated to w, the body cut so the footer always shows.
func fit(body string, foot []string, w, h int) string {
	lines := strings.Split(strings.TrimRight(body, "\n"), "\n")
	if len(foot) > h {
		foot = foot[len(foot)-h:]
	}
	room := h - len(foot)
	if len(lines) > room {
		lines = lines[:room]
	}
	lines = append(lines, foot...)
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			lines[i] = ansi.Truncate(l, w, "…")
		}
	}
	return strings.Join(lines, "\n")
}

// ShortHelp lists the keys that apply now.
func (m *Model) ShortHelp() []key.Binding {
	k := m.keys
	if m.prompt != nil {
		return m.prompt.help(k)
	}
	switch m.phase {
	case phaseScript:
		out := []key.Binding{k.Edit}
		if m.script.current() != nil {
			out = append(out, k.Run, k.Save)
		}
		return append(out, k.Back)
	case phasePick:
		if m.pick.focus == focusHosts {
			return []key.Binding{k.Toggle, k.Up, k.Down, k.NextField, k.DryReal, k.Plan, k.Back}
		}
		return []key.Binding{k.NextField, k.DryReal, k.Plan, k.Back}
	case phasePlan:
		return []key.Binding{k.Start, k.DryReal, k.BreakGlass, k.Back}
	case phaseLive:
		out := []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown}
		if m.live != nil && m.live.pause != nil {
			out = append([]key.Binding{k.Continue, k.Stop}, out...)
			if m.live.canRollback() {
				out = append(out[:2], append([]key.Binding{k.Rollback}, out[2:]...)...)
			}
		}
		if !m.Active() {
			out = append(out, k.Back)
		}
		return out
	}
	return nil
}

// FullHelp lists every key of the screen, in groups.
func (m *Model) FullHelp() [][]key.Binding {
	k := m.keys
	groups := [][]key.Binding{
		{k.NextField, k.PrevField, k.Toggle, k.AllHosts, k.NoHosts, k.DryReal, k.Plan},
		{k.Start, k.BreakGlass, k.Confirm, k.Cancel, k.Back},
		{k.Continue, k.Stop, k.Rollback, k.Up, k.Down, k.FirstHost, k.LastHost, k.NextBad, k.PageUp, k.PageDown, k.Top, k.Bottom, k.Follow},
	}
	if m.script != nil {
		groups = append([][]key.Binding{{k.Edit, k.EditCheck, k.EditRollback, k.Versions, k.Run, k.Save, k.Name}}, groups...)
	}
	return groups
}
