// Package ui is firebreak's console: a bubbletea program whose root model owns the screens (the incident
// list, an incident's cockpit, the run screen) and routes messages to them, global keys first. It drives
// the incident service, the store's change feed and the rollout engine through deps; it writes no SQL and
// adds no second way of doing what the commands do.
package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks/output"
	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/ui/deps"
	"github.com/firebreak/firebreak/ui/retroview"
	"github.com/firebreak/firebreak/ui/styles"
)

// Options tune the console; the zero value is what `firebreak` uses.
type Options struct {
	// Styles are the styles (nil: styles.New()).
	Styles *styles.Styles
	// Now is the clock (nil: the incident service's clock, else time.Now).
	Now func() time.Time
	// GlamourStyle is the Markdown style of step details: "dark", "light", "notty", "ascii" (""; dark or
	// light from the terminal's background, notty with NO_COLOR).
	GlamourStyle string
	// RunScreen opens the run screen (nil: the console's own, ui/runview).
	RunScreen RunScreenFactory
	// WatchInterval is how often the change feed polls (0: 100ms).
	WatchInterval time.Duration
	// Started and FirstFrame measure start-up: FirstFrame is called once, with the time since Started, when
	// the first full frame (the incident list with its data) is rendered.
	Started    time.Time
	FirstFrame func(time.Duration)
}

// Model is the console's root model.
type Model struct {
	c    *common
	keys GlobalKeys
	help help.Model
	opts Options

	list    *listScreen
	screens []screen // the stack: the list, then a cockpit, then the run screen
	// background holds run screens whose run goes on while the operator is back in the cockpit: they get
	// every message, so the run keeps streaming, and o brings the newest back.
	background []*runScreen
	overlay    overlay

	feed   <-chan struct{}
	halt   store.Switch
	status string
	isErr  bool
	w, h   int

	firstDone bool
}

// New builds the console's root model. ctx bounds everything it starts (the change feed, reads, writes).
func New(ctx context.Context, d deps.Deps, o Options) *Model {
	st := o.Styles
	if st == nil {
		st = styles.New()
	}
	now := o.Now
	if now == nil && d.Incidents != nil && d.Incidents.Now != nil {
		now = d.Incidents.Now
	}
	if now == nil {
		now = time.Now
	}
	if o.WatchInterval <= 0 {
		o.WatchInterval = watchInterval
	}
	if o.RunScreen == nil {
		o.RunScreen = defaultRunScreen
	}
	c := &common{ctx: ctx, d: d, st: st, now: now, glamourStyle: o.GlamourStyle, runScreen: o.RunScreen}
	h := help.New()
	h.Styles.ShortKey, h.Styles.FullKey = st.HelpKey, st.HelpKey
	h.Styles.ShortDesc, h.Styles.FullDesc = st.Help, st.Help
	h.Styles.ShortSeparator, h.Styles.FullSeparator, h.Styles.Ellipsis = st.Subtle, st.Subtle, st.Subtle
	h.FullSeparator = "  "
	m := &Model{c: c, keys: NewGlobalKeys(), help: h, opts: o, w: 80, h: 24}
	m.list = newListScreen(c)
	m.screens = []screen{m.list}
	return m
}

// Run starts the console in the terminal's alternate screen and returns when the operator quits.
func Run(ctx context.Context, d deps.Deps, opts ...Options) error {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.GlamourStyle == "" {
		o.GlamourStyle = "dark"
		if !lipgloss.HasDarkBackground() {
			o.GlamourStyle = "light"
		}
	}
	return RunProgram(ctx, d, o, nil)
}

// RunProgram is Run on a terminal of the caller's (a session served over SSH gives its input and output
// with tea.WithInput and tea.WithOutput); started, when not nil, gets the program so it can Send it the
// terminal's size and resizes. It returns when the operator quits or ctx is done.
func RunProgram(ctx context.Context, d deps.Deps, o Options, started func(*tea.Program), popts ...tea.ProgramOption) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := tea.NewProgram(New(ctx, d, o), append([]tea.ProgramOption{tea.WithAltScreen(), tea.WithContext(ctx)}, popts...)...)
	if started != nil {
		started(p)
	}
	_, err := p.Run()
	// Ended from outside (a signal, the server ending a session): bubbletea wraps its kill error around
	// the context's; that is the end asked for, not a failure. A panic stays an error.
	if errors.Is(err, tea.ErrProgramKilled) && !errors.Is(err, tea.ErrProgramPanic) && ctx.Err() != nil {
		return nil
	}
	return err
}

// Init opens the change feed, reads the off-switch and loads the list.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.c.openFeed(m.opts.WatchInterval), m.c.loadSwitch(), m.list.Init(), clockTick())
}

// clockTickMsg redraws the ages and the time since the incident was declared.
type clockTickMsg struct{}

func clockTick() tea.Cmd {
	return tea.Tick(10*time.Second, func(time.Time) tea.Msg { return clockTickMsg{} })
}

func (m *Model) active() screen { return m.screens[len(m.screens)-1] }

// typing reports whether keys are text right now, so q, ? and ! type instead of acting.
func (m *Model) typing() bool {
	if m.overlay != nil {
		return m.overlay.Typing()
	}
	return m.active().Typing()
}

// runActive reports whether a run is in progress on the run screen.
func (m *Model) runActive() bool {
	for _, s := range m.screens {
		if r, ok := s.(*runScreen); ok && r.Active() {
			return true
		}
	}
	for _, r := range m.background {
		if r.Active() {
			return true
		}
	}
	return false
}

// Update routes a message: global keys first, then the overlay (keys) or overlay and screen (the rest). An
// overlay a screen opened while handling it is shown before the next message arrives.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	// The terminal reader hands keys typed in one burst over as one message of several runes: split it, so
	// each key is handled as if typed slowly (":" opens the note form, the rest goes into it). A paste
	// stays whole.
	if k, ok := msg.(tea.KeyMsg); ok && k.Type == tea.KeyRunes && len(k.Runes) > 1 && !k.Paste {
		var cmds []tea.Cmd
		for _, r := range k.Runes {
			_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: k.Alt})
			cmds = append(cmds, cmd)
		}
		return m, tea.Batch(cmds...)
	}
	_, cmd := m.update(msg)
	cmds := []tea.Cmd{cmd}
	for len(m.c.soon) > 0 {
		next := m.c.soon[0]
		m.c.soon = m.c.soon[1:]
		_, c := m.update(next)
		cmds = append(cmds, c)
	}
	return m, tea.Batch(cmds...)
}

func (m *Model) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
		m.help.Width = msg.Width
		m.layout()
		return m, func() tea.Msg { return resizedMsg{} }
	case clockTickMsg:
		return m, clockTick()
	case feedMsg:
		if msg.err != nil {
			m.setStatus("the change feed is not working, the console will not see other people's changes: "+msg.err.Error(), true)
			return m, nil
		}
		m.feed = msg.ch
		return m, waitFor(m.feed)
	case changedMsg:
		cmds := []tea.Cmd{waitFor(m.feed), m.c.loadSwitch()}
		cmds = append(cmds, m.toScreens(msg)...)
		return m, tea.Batch(cmds...)
	case switchMsg:
		if msg.err == nil && (msg.sw.Engaged != m.halt.Engaged || msg.sw.At != m.halt.At) {
			m.halt = msg.sw
			m.layout()
		}
		return m, nil
	case haltedMsg:
		if msg.err != nil {
			m.setStatus("HALT FAILED: "+errText(msg.err)+" (run firebreak halt from any terminal)", true)
			return m, m.c.loadSwitch()
		}
		m.setStatus(fmt.Sprintf("halted: recorded on %d open incidents; firebreak resume allows runs again", len(msg.ids)), false)
		return m, tea.Batch(m.c.loadSwitch(), m.refresh())
	case resumedMsg:
		if msg.err != nil {
			m.setStatus("resume failed: "+errText(msg.err), true)
		} else {
			m.setStatus("resumed: runs may start again", false)
		}
		return m, tea.Batch(m.c.loadSwitch(), m.refresh())
	case openMsg:
		m.overlay = msg.o
		m.layout()
		return m, nil
	case openIncidentMsg:
		m.overlay = nil
		m.screens = []screen{m.list}
		cp := newCockpit(m.c, msg.id)
		m.push(cp)
		return m, cp.Init()
	case openRunMsg:
		if m.c.runScreen == nil {
			m.setStatus("the run screen is not available in this build", true)
			return m, nil
		}
		rs := &runScreen{RunScreen: m.c.runScreen(m.c.d, m.c.st, msg.inc, msg.target)}
		m.push(rs)
		return m, rs.Init()
	case pushScreenMsg:
		m.push(msg.s)
		return m, msg.s.Init()
	case openRetroMsg:
		rs := &retroScreen{retroview.New(m.c.d, m.c.st, msg.inc)}
		m.push(rs)
		return m, rs.Init()
	case backMsg:
		m.pop()
		return m, m.refresh()
	case declaredMsg:
		m.Update(msg.actionMsg)
		return m.Update(openIncidentMsg{msg.id})
	case actionMsg:
		var cmds []tea.Cmd
		if m.overlay != nil {
			closed, cmd := m.overlay.Update(msg)
			if closed {
				m.closeOverlay()
			}
			cmds = append(cmds, cmd)
		}
		switch {
		case msg.err != nil && (m.overlay == nil || msg.from != m.overlay):
			m.setStatus(errText(msg.err), true)
		case msg.err == nil && msg.info != "":
			m.setStatus(msg.info, false)
		}
		if msg.err == nil {
			cmds = append(cmds, m.refresh())
		}
		return m, tea.Batch(cmds...)
	case tea.KeyMsg:
		return m, m.key(msg)
	}
	// Anything else: run screens' own messages, loads. Both the overlay and the screens may want it.
	var cmds []tea.Cmd
	if m.overlay != nil {
		closed, cmd := m.overlay.Update(msg)
		if closed {
			m.closeOverlay()
		}
		cmds = append(cmds, cmd)
	}
	if len(m.screens) > 0 {
		if r, ok := m.active().(*runScreen); ok && r.Closed(msg) {
			m.pop()
			return m, tea.Batch(append(cmds, m.refresh())...)
		}
		if r, ok := m.active().(*retroScreen); ok && r.closed(msg) {
			m.pop()
			return m, tea.Batch(append(cmds, m.refresh())...)
		}
	}
	cmds = append(cmds, m.toScreens(msg)...)
	return m, tea.Batch(cmds...)
}

// toScreens gives a non-key message to every screen on the stack: the cockpit under the run screen keeps
// following its timeline, the run keeps streaming while the operator looks at the cockpit.
func (m *Model) toScreens(msg tea.Msg) []tea.Cmd {
	var cmds []tea.Cmd
	for _, s := range m.screens {
		cmds = append(cmds, s.Update(msg))
	}
	kept := m.background[:0]
	for _, r := range m.background {
		cmds = append(cmds, r.Update(msg))
		if r.Active() {
			kept = append(kept, r)
		} else {
			m.setStatus("the run in the background has ended: the runs pane shows how", false)
		}
	}
	m.background = kept
	return cmds
}

func (m *Model) refresh() tea.Cmd {
	return func() tea.Msg { return refreshMsg{} }
}

// key handles a key press: ctrl+c always; halt, help and quit unless a text field has the keyboard; then the
// overlay, else the active screen.
func (m *Model) key(k tea.KeyMsg) tea.Cmd {
	if key.Matches(k, m.keys.Interrupt) {
		if _, asking := m.overlay.(*quitConfirm); asking || !m.runActive() {
			return m.quit()
		}
		return m.askQuit()
	}
	if m.help.ShowAll && k.Type == tea.KeyEsc { // esc closes the innermost thing first: the full help
		m.help.ShowAll = false
		m.layout()
		return nil
	}
	if !m.typing() {
		switch {
		case key.Matches(k, m.keys.Halt):
			// Shown at once, confirmed (or corrected) when the write reports back.
			m.halt = store.Switch{Name: "halt", Engaged: true, Actor: m.c.d.Actor.String(), At: m.c.now()}
			m.setStatus("halting every run…", false)
			m.layout()
			return m.c.halt()
		case key.Matches(k, m.keys.Resume) && m.halt.Engaged && m.overlay == nil:
			m.overlay = newConfirm(m.c.st, "Resume? Runs may start again everywhere, for everyone.", m.c.resume())
			m.layout()
			return nil
		case key.Matches(k, m.keys.Help):
			m.help.ShowAll = !m.help.ShowAll
			m.layout()
			return nil
		case key.Matches(k, m.keys.Quit) && m.overlay == nil:
			if m.runActive() {
				return m.askQuit()
			}
			return m.quit()
		}
	}
	if m.status != "" && !m.isErr {
		m.status = ""
	}
	if m.overlay != nil {
		closed, cmd := m.overlay.Update(k)
		if closed {
			m.closeOverlay()
		}
		return cmd
	}
	m.isErr, m.status = false, ""
	if r, ok := m.active().(*runScreen); ok && r.Active() && !r.Typing() && key.Matches(k, m.keys.Background) {
		m.background = append(m.background, r)
		m.pop()
		m.setStatus("the run goes on in the background: o brings it back, ! halts it", false)
		return m.refresh()
	}
	if _, onRun := m.active().(*runScreen); !onRun && len(m.background) > 0 && !m.typing() && key.Matches(k, m.keys.Reopen) {
		r := m.background[len(m.background)-1]
		m.background = m.background[:len(m.background)-1]
		m.push(r)
		return nil
	}
	return m.active().Update(k)
}

// quitConfirm is the question asked before quitting with a run in progress.
type quitConfirm struct{ *confirm }

func (m *Model) askQuit() tea.Cmd {
	m.overlay = &quitConfirm{newConfirm(m.c.st, "A run is in progress: quitting stops it (hosts in flight are cancelled). Quit?", m.quit())}
	m.layout()
	return nil
}

func (m *Model) closeOverlay() {
	m.overlay = nil
	m.layout()
}

func (m *Model) push(s screen) {
	m.screens = append(m.screens, s)
	m.layout()
}

func (m *Model) pop() {
	if len(m.screens) > 1 {
		m.screens = m.screens[:len(m.screens)-1]
	}
	m.layout()
}

func (m *Model) setStatus(s string, isErr bool) { m.status, m.isErr = s, isErr }

// chrome are the lines the root draws around the screen: the halt banner, the overlay, the status line and
// the help.
func (m *Model) helpView() string {
	if m.help.ShowAll {
		return m.help.FullHelpView(m.FullHelp())
	}
	return m.help.ShortHelpView(m.ShortHelp())
}

func (m *Model) bannerView() string {
	if !m.halt.Engaged {
		return ""
	}
	who := m.halt.Actor
	if who == "" {
		who = "someone"
	}
	reason := strings.TrimSpace(m.halt.Reason)
	if reason == "" {
		reason = "no reason given"
	}
	text := fmt.Sprintf("HALTED by %s at %s: %s. Every run is stopped and none starts until a resume (ctrl+r, or firebreak resume)",
		who, m.halt.At.UTC().Format("15:04:05 UTC"), reason)
	// The reason always shows: the banner wraps (at most bannerMax lines) rather than cut it off.
	lines := strings.Split(ansi.Wrap(output.Sanitize([]byte(text)), max(1, m.w-2), " "), "\n")
	if len(lines) > bannerMax {
		lines = append(lines[:bannerMax-1], clip(strings.Join(lines[bannerMax-1:], " "), max(1, m.w-2)))
	}
	for i, l := range lines {
		lines[i] = m.c.st.Banner.Render(pad(" "+l, m.w))
	}
	return strings.Join(lines, "\n")
}

// bannerMax bounds the halt banner's lines, so a long reason cannot push the screen away.
const bannerMax = 4

// layout gives the active screen what is left of the terminal after the banner, the overlay, the status
// line and the help.
func (m *Model) layout() {
	avail := m.screenHeight()
	if m.overlay != nil {
		avail -= m.overlay.Height(avail)
	}
	for _, s := range m.screens {
		s.SetSize(m.w, max(0, avail))
	}
}

func (m *Model) screenHeight() int {
	used := 1 + lipgloss.Height(m.helpView()) // status line + help
	if b := m.bannerView(); b != "" {
		used += lipgloss.Height(b)
	}
	return max(0, m.h-used)
}

// View renders the frame: banner, screen, overlay, status line, help; exactly the terminal's size.
func (m *Model) View() string {
	if m.w <= 0 || m.h <= 0 {
		return ""
	}
	var parts []string
	if b := m.bannerView(); b != "" {
		parts = append(parts, b)
	}
	avail := m.screenHeight()
	oh := 0
	if m.overlay != nil {
		oh = m.overlay.Height(avail)
	}
	parts = append(parts, fit(m.active().View(), m.w, avail-oh))
	if m.overlay != nil && oh > 0 {
		parts = append(parts, m.overlay.View(m.w, oh))
	}
	status := ""
	if m.status != "" {
		if m.isErr {
			status = m.c.st.Error.Render(m.status)
		} else {
			status = m.c.st.OK.Render(m.status)
		}
	}
	parts = append(parts, clip(status, m.w), m.helpView())
	out := fit(strings.Join(parts, "\n"), m.w, m.h)
	if !m.firstDone && m.list.loaded {
		m.firstDone = true
		if m.opts.FirstFrame != nil && !m.opts.Started.IsZero() {
			m.opts.FirstFrame(time.Since(m.opts.Started))
		}
	}
	return out
}

// ShortHelp is the help bar: the overlay's or the screen's keys, then the global ones.
func (m *Model) ShortHelp() []key.Binding {
	var ks []key.Binding
	if m.overlay != nil {
		ks = m.overlay.ShortHelp()
	} else {
		ks = m.active().ShortHelp()
	}
	if m.typing() {
		return append(ks, m.keys.Interrupt)
	}
	// The global keys first: the halt key must always show, whatever the width cuts off.
	global := m.keys.ShortHelp()
	if m.halt.Engaged {
		global = append(global, m.keys.Resume)
	}
	if r, ok := m.active().(*runScreen); ok && r.Active() {
		global = append(global, m.keys.Background)
	} else if len(m.background) > 0 {
		global = append(global, m.keys.Reopen)
	}
	return append(global, ks...)
}

// FullHelp is the full help (?): the screen's columns, the global keys under the last one.
func (m *Model) FullHelp() [][]key.Binding {
	var ks [][]key.Binding
	if m.overlay != nil {
		ks = m.overlay.FullHelp()
	} else {
		ks = m.active().FullHelp()
	}
	if len(ks) > 0 && len(ks[len(ks)-1])+len(m.keys.FullHelp()) <= 8 {
		last := append(append([]key.Binding(nil), ks[len(ks)-1]...), m.keys.FullHelp()...)
		return append(ks[:len(ks)-1:len(ks)-1], last)
	}
	return append(ks, m.keys.FullHelp())
}

// resizedMsg tells the screens the terminal was resized (after SetSize), for work that depends on the
// width and runs in the background, such as rendering Markdown.
type resizedMsg struct{}

// openRunMsg opens the run screen.
type openRunMsg struct {
	inc    *incident.Incident
	target RunTarget
}

// runScreen adapts a RunScreen to the console's screens.
type runScreen struct{ RunScreen }

func (r *runScreen) Typing() bool {
	if f, ok := r.RunScreen.(interface{ InputFocused() bool }); ok {
		return f.InputFocused()
	}
	return false
}
