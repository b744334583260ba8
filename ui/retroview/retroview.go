// Package retroview is the console's retrospective screen: the template's sections with their state, an
// editor per section that saves every edit within seconds (and never overwrites someone else's newer text:
// a conflict keeps both for a person to merge), a rendered preview, the blameless check's findings next to
// the text they refer to, the retrospective's state and its action items. It drives retro.Service; it adds
// no second way to save anything.
package retroview

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/incident/retro"
	"github.com/firebreak/firebreak/ui/deps"
	"github.com/firebreak/firebreak/ui/styles"
)

// ClosedMsg is emitted when the operator leaves the retrospective (esc from the section list).
type ClosedMsg struct{}

// Autosave timing: a save goes out this long after the last keystroke, and never later than maxWait after
// the first unsaved one, so continuous typing is saved too. A kill -9 loses at most about maxWait of text.
const (
	defaultDebounce = 2 * time.Second
	defaultMaxWait  = 5 * time.Second
)

type mode int

const (
	modeList    mode = iota // the sections, the action items
	modeEditor              // one section's text
	modePreview             // rendered Markdown of a section or the whole document
	modeAction              // the action item form
)

// Model is the retrospective screen.
type Model struct {
	d    deps.Deps
	st   *styles.Styles
	inc  *incident.Incident
	svc  *retro.Service
	keys KeyMap

	now      func() time.Time
	after    func(d time.Duration, msg tea.Msg) tea.Cmd // a timer: tea.Tick, a fake in tests
	debounce time.Duration
	maxWait  time.Duration

	w, h int
	mode mode

	retro    *retro.Retro
	findings map[string][]retro.Finding // by section slug, of the loaded (or saved) text
	loadErr  error
	loadGen  int

	cursor, offset int // the selected row of the list and the first one shown

	editors map[string]*editor // by slug: kept after esc so an unsaved edit is never dropped
	ed      *editor            // the open one
	prev    preview
	form    *actionForm
	confirm *confirm

	pushUnknown map[int]bool // action items whose last push has an unknown outcome: T asks before retrying

	msg    string
	msgErr bool
}

// New builds the retrospective screen of incident inc.
func New(d deps.Deps, st *styles.Styles, inc *incident.Incident) *Model {
	svc := &retro.Service{Incidents: d.Incidents, Template: d.RetroTemplate, Rules: d.RetroRules}
	if d.Incidents != nil {
		svc.Now = d.Incidents.Now
	}
	m := &Model{d: d, st: st, inc: inc, svc: svc, keys: DefaultKeyMap(), now: time.Now,
		after: func(d time.Duration, msg tea.Msg) tea.Cmd {
			return tea.Tick(d, func(time.Time) tea.Msg { return msg })
		},
		debounce: defaultDebounce, maxWait: defaultMaxWait, w: 80, h: 20, editors: map[string]*editor{}}
	if d.Incidents != nil && d.Incidents.Now != nil {
		m.now = d.Incidents.Now
	}
	if d.RetroRulesErr != nil {
		m.setMsg("the blameless rules file: "+d.RetroRulesErr.Error()+" (checking with the built-in rules until it is fixed)", true)
	}
	return m
}

// Init loads the retrospective.
func (m *Model) Init() tea.Cmd { return m.loadCmd() }

// loadedMsg is a retrospective read from the database.
type loadedMsg struct {
	gen int
	r   *retro.Retro
	err error
}

func (m *Model) loadCmd() tea.Cmd {
	m.loadGen++
	gen, svc, id := m.loadGen, m.svc, m.inc.ID
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		r, err := svc.Load(ctx, id)
		return loadedMsg{gen: gen, r: r, err: err}
	}
}

// SetSize sets the size the screen renders in.
func (m *Model) SetSize(w, h int) {
	m.w, m.h = max(w, 1), max(h, 1)
	if m.ed != nil {
		m.ed.resize(m.w, m.editorHeight())
	}
	if m.form != nil {
		m.form.resize(m.w)
	}
}

// InputFocused reports whether keys are text (the editor, the action item form), so the root must not take
// letters such as q as global keys.
func (m *Model) InputFocused() bool {
	if m.confirm != nil {
		return false
	}
	return m.mode == modeEditor || m.mode == modeAction
}

func (m *Model) setMsg(s string, isErr bool) { m.msg, m.msgErr = s, isErr }

// Update handles a message.
func (m *Model) Update(msg tea.Msg) (*Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.SetSize(msg.Width, msg.Height)
		return m, nil
	case loadedMsg:
		m.loaded(msg)
		return m, nil
	case tickMsg:
		return m, m.tick(msg.ed)
	case savedMsg:
		return m, m.saved(msg)
	case flushedMsg:
		var cmds []tea.Cmd
		for _, s := range msg {
			cmds = append(cmds, m.saved(s))
		}
		return m, tea.Batch(cmds...)
	case stateMsg:
		return m, m.stateDone(msg)
	case actionMsg:
		return m, m.actionDone(msg)
	case pushMsg:
		return m, m.pushDone(msg)
	case pushStartedMsg:
		m.setMsg(fmt.Sprintf("action item %d: running the tracker…", msg.item), false)
		return m, nil
	case tea.KeyMsg:
		if m.confirm != nil {
			return m, m.confirmKey(msg)
		}
		switch m.mode {
		case modeList:
			return m, m.listKey(msg)
		case modeEditor:
			return m, m.editorKey(msg)
		case modePreview:
			return m, m.previewKey(msg)
		case modeAction:
			return m, m.formKey(msg)
		}
	case tea.MouseMsg:
		if m.mode == modePreview {
			var cmd tea.Cmd
			m.prev.vp, cmd = m.prev.vp.Update(msg)
			return m, cmd
		}
		return m, nil
	}
	// The text widgets' own messages (a clipboard paste) go to the one that has the focus.
	switch {
	case m.mode == modeEditor && m.ed != nil:
		var cmd tea.Cmd
		m.ed.ta, cmd = m.ed.ta.Update(msg)
		if v := m.ed.ta.Value(); v != m.ed.text {
			m.ed.text = v
			return m, tea.Batch(cmd, m.edited(m.ed))
		}
		return m, cmd
	case m.mode == modeAction && m.form != nil:
		var cmd tea.Cmd
		m.form.fields[m.form.focus], cmd = m.form.fields[m.form.focus].Update(msg)
		return m, cmd
	}
	return m, nil
}

func (m *Model) loaded(msg loadedMsg) {
	if msg.gen != m.loadGen {
		return // a newer load is on its way
	}
	if msg.err != nil {
		m.loadErr = msg.err
		m.setMsg("loading the retrospective: "+msg.err.Error(), true)
		return
	}
	m.loadErr = nil
	m.retro = msg.r
	// A save of ours that finished after this load started is newer than what it read.
	for slug, e := range m.editors {
		if sec, ok := m.retro.Section(slug); ok && e.savedVersion > sec.Version {
			sec.Text, sec.Version, sec.Author, sec.Conflict = e.savedText, e.savedVersion, m.actor(), e.savedConflict
		}
	}
	m.recheck()
	m.cursor = min(m.cursor, max(m.rows()-1, 0))
	if m.mode == modePreview {
		m.prev.key = "" // re-render
	}
	// Someone else saved the section being edited: say so now, not only when our save collides with it.
	if e := m.ed; m.mode == modeEditor && e != nil {
		if sec, ok := m.retro.Section(e.slug); ok && sec.Version > max(e.loadedVersion, e.savedVersion) && sec.Author != m.actor() {
			m.setMsg(fmt.Sprintf("%s saved a newer version of this section (v%d): your text is kept, and saving keeps both, marked",
				sec.Author, sec.Version), true)
		}
	}
}

// Changed tells the screen the database changed (another console or command wrote): it reads the
// retrospective again, so new versions, conflicts, findings and states show without leaving the screen.
// The text being edited is never replaced.
func (m *Model) Changed() tea.Cmd { return m.loadCmd() }

// recheck runs the blameless check over the whole document (retro.Check), keeping the findings by section.
func (m *Model) recheck() {
	m.findings = map[string][]retro.Finding{}
	if m.retro == nil {
		return
	}
	for _, f := range m.retro.Check() {
		m.findings[f.Section] = append(m.findings[f.Section], f)
	}
}

// check runs the blameless check over a section's text as it is being written.
func (m *Model) check(slug, text string) []retro.Finding {
	if m.retro == nil {
		return m.svc.CheckText(slug, text, nil)
	}
	return m.retro.CheckText(slug, text)
}

func (m *Model) actor() string {
	if m.d.Incidents != nil {
		return m.d.Incidents.Actor.String()
	}
	return m.d.Actor.String()
}

func closed() tea.Msg { return ClosedMsg{} }

// Flush saves every unsaved edit now. The root calls it before quitting; the returned command does the
// saving itself (it does not depend on a later Update).
func (m *Model) Flush() tea.Cmd {
	var jobs []func() savedMsg
	for _, e := range m.editors {
		if j := m.dispatch(e); j != nil {
			jobs = append(jobs, j)
		}
	}
	if len(jobs) == 0 {
		return nil
	}
	return func() tea.Msg {
		out := make(flushedMsg, 0, len(jobs))
		for _, j := range jobs {
			out = append(out, j())
		}
		return out
	}
}

// flushedMsg is the result of the saves of a Flush.
type flushedMsg []savedMsg

// View renders the screen in exactly the size given: no line is wider, and there are no more lines.
func (m *Model) View() string {
	foot := m.footer()
	room := max(m.h-len(foot), 0)
	var body []string
	switch {
	case m.retro == nil && m.loadErr == nil:
		body = []string{m.st.Subtle.Render("loading the retrospective…")}
	case m.retro == nil:
		body = []string{m.st.Error.Render("the retrospective could not be loaded"), m.st.Subtle.Render("r retries, esc goes back")}
	default:
		switch m.mode {
		case modeList:
			body = m.listView(room)
		case modeEditor:
			body = m.editorView(room)
		case modePreview:
			body = m.previewView(room)
		case modeAction:
			body = m.formView(room)
		}
	}
	return fit(body, foot, m.w, m.h)
}

// footer is the confirmation, the conflict banner, or the feedback line.
func (m *Model) footer() []string {
	var out []string
	if m.ed != nil && m.mode != modeList && m.ed.conflict != "" {
		out = append(out, wrap(m.st.Banner.Render(m.ed.conflict), m.w)...)
	}
	if m.confirm != nil {
		return append(out, wrap(m.st.Warn.Render(m.confirm.text+"  [y/n]"), m.w)...)
	}
	if m.msg != "" {
		style := m.st.OK
		if m.msgErr {
			style = m.st.Error
		}
		out = append(out, wrap(style.Render(m.msg), m.w)...)
	}
	// The footer never takes more than half the screen.
	if lim := max(m.h/2, 1); len(out) > lim {
		out = out[len(out)-lim:]
	}
	return out
}

// fit lays body above foot in w×h: lines truncated to w, the body cut so the footer always shows, padded
// to h lines.
func fit(body, foot []string, w, h int) string {
	var lines []string
	for _, b := range body {
		lines = append(lines, strings.Split(b, "\n")...)
	}
	if len(foot) > h {
		foot = foot[len(foot)-h:]
	}
	room := h - len(foot)
	if len(lines) > room {
		lines = lines[:room]
	}
	for len(lines) < room {
		lines = append(lines, "")
	}
	lines = append(lines, foot...)
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			lines[i] = ansi.Truncate(l, w, "…")
		}
	}
	return strings.Join(lines, "\n")
}

// wrap breaks a (possibly styled) line into lines of at most w cells.
func wrap(s string, w int) []string {
	if w < 1 {
		return []string{""}
	}
	return strings.Split(ansi.Wrap(s, w, " "), "\n")
}

// ShortHelp lists the keys that apply now.
func (m *Model) ShortHelp() []key.Binding {
	k := m.keys
	if m.confirm != nil {
		return []key.Binding{k.Confirm, k.Cancel}
	}
	switch m.mode {
	case modeEditor:
		return []key.Binding{k.Back, k.SaveNow, k.EditorPreview}
	case modePreview:
		return []key.Binding{k.Preview, k.Up, k.Down, k.Back}
	case modeAction:
		return []key.Binding{k.NextField, k.Submit, k.Back}
	}
	if m.retro != nil && m.cursor >= len(m.retro.Sections) {
		return []key.Binding{k.Open, k.ToggleDone, k.RemoveAction, k.PushTicket, k.AddAction, k.NextState, k.Back}
	}
	return []key.Binding{k.Open, k.Preview, k.AddAction, k.NextState, k.PrevState, k.Back}
}

// FullHelp lists every key of the screen, in groups.
func (m *Model) FullHelp() [][]key.Binding {
	k := m.keys
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{k.Open, k.Preview, k.Reload, k.NextState, k.PrevState, k.Back},
		{k.AddAction, k.ToggleDone, k.RemoveAction, k.PushTicket},
		{k.SaveNow, k.EditorPreview, k.NextField, k.PrevField, k.Submit},
	}
}

// errText is an error for the feedback line: what failed and what the service said.
func errText(what string, err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("%s: the database did not answer in time; the text is kept and saving is retried", what)
	}
	return fmt.Sprintf("%s: %v", what, err)
}
