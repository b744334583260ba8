package runview

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks/rollout"
	"github.com/firebreak/firebreak/ui/deps"
)

// hostLines is how many output lines per host the screen keeps; the run's log file has them all.
const hostLines = 2000

// hostRow is one host of the live table.
type hostRow struct {
	name    string
	index   int // in liveRun.rows
	stage   int // 1-based
	state   rollout.HostState
	res     rollout.HostResult
	started time.Time
	out     *ring
}

// liveRun is a run as the screen shows it.
type liveRun struct {
	wrap   bool // long output lines wrap (else they are cut at the width)
	gen    int
	br     *bridge
	spec   rollout.Spec
	id     int64
	stages []stageCount
	rows   []*hostRow
	byName map[string]*hostRow
	nameW  int // the widest host name, in cells

	stage      int // current stage, 1-based; 0 before the first
	status     string
	text       string // the last thing the engine said (waiting, finished)
	pause      *rollout.Pause
	continued  bool   // the operator chose continue; the run may still wait for an approval
	approvedBy string // "approved by bob"
	finished   bool
	summary    *rollout.Summary
	err        error

	selected int
	manual   bool // the operator chose the host to watch; otherwise it follows the running host
	offset   int  // first table row shown
	vp       viewport.Model
	vpHost   string
	dirty    bool
	lines    int64
	dropped  int64
	w, h     int
	now      func() time.Time
}

// stageCount is how a stage's hosts stand, kept as their states change: a frame draws the stage bars
// without going through thousands of hosts.
type stageCount struct{ hosts, done, bad int }

// setState moves r to state st, keeping its stage's counts.
func (l *liveRun) setState(r *hostRow, st rollout.HostState) {
	c := &l.stages[r.stage-1]
	if finished(r.state) {
		c.done--
	}
	if r.state.Bad() {
		c.bad--
	}
	r.state = st
	if finished(st) {
		c.done++
	}
	if st.Bad() {
		c.bad++
	}
}

func finished(st rollout.HostState) bool { return st != rollout.Pending && st != rollout.Running }

// runDoneMsg is Engine.Run's return.
type runDoneMsg struct {
	gen int
	sum *rollout.Summary
	err error
}

func newLiveRun(gen int, spec rollout.Spec, plan rollout.Plan, w, h int) *liveRun {
	n := 0
	for _, hs := range plan.Stages {
		n += len(hs)
	}
	l := &liveRun{gen: gen, br: newBridge(gen), spec: spec, byName: make(map[string]*hostRow, n), status: "starting", w: w, h: h, now: time.Now,
		rows: make([]*hostRow, 0, n), nameW: 4}
	// One allocation for all the rows and one for their rings (which grow on a host's first line): a run
	// of 10,000 hosts opens in milliseconds.
	rows, rings := make([]hostRow, n), make([]ring, n)
	for si, hs := range plan.Stages {
		for _, host := range hs {
			i := len(l.rows)
			r := &rows[i]
			*r = hostRow{name: host.Name, index: i, stage: si + 1, state: rollout.Pending, out: &rings[i]}
			l.rows = append(l.rows, r)
			l.byName[host.Name] = r
			l.nameW = max(l.nameW, ansi.StringWidth(host.Name))
		}
		l.stages = append(l.stages, stageCount{hosts: len(hs)})
	}
	l.vp = viewport.New(w, 3)
	return l
}

// startRun starts the engine in the background: its updates come back through the bridge.
func (m *Model) startRun(spec rollout.Spec) tea.Cmd {
	m.showRun(spec, m.plan.plan)
	return tea.Batch(runCmd(m.d, m.inc, spec, m.live.br), m.live.br.waitFor(), m.spin.Tick)
}

// showRun switches to the live view of a run of spec that is about to start.
func (m *Model) showRun(spec rollout.Spec, plan rollout.Plan) {
	m.gen++
	m.live = newLiveRun(m.gen, spec, plan, m.w, m.h)
	m.live.now = m.now
	m.live.resize(m.w, m.h)
	m.phase = phaseLive
	m.msg = ""
}

func runCmd(d deps.Deps, inc *incident.Incident, spec rollout.Spec, br *bridge) tea.Cmd {
	return func() tea.Msg {
		defer br.close()
		if d.NewEngine == nil {
			return runDoneMsg{gen: br.gen, err: errors.New("runs are not wired in this console")}
		}
		eng, done, err := d.NewEngine(inc, br.watch, br.ask)
		if err != nil {
			return runDoneMsg{gen: br.gen, err: err}
		}
		defer done()
		ctx := d.RunContext
		if ctx == nil {
			ctx = context.Background()
		}
		sum, err := eng.Run(ctx, spec)
		return runDoneMsg{gen: br.gen, sum: sum, err: err}
	}
}

func (m *Model) applyBatch(b batchMsg) tea.Cmd {
	l := m.live
	if l == nil || b.gen != l.gen {
		return nil
	}
	l.apply(b)
	if b.closed {
		return nil
	}
	return l.br.waitFor()
}

// apply folds a batch of updates into the run. It does no I/O and nothing per line beyond a ring append.
func (l *liveRun) apply(b batchMsg) {
	l.dropped += b.dropped
	for i := range b.updates {
		u := &b.updates[i]
		switch u.Kind {
		case rollout.UpdateLine: // only when a test sends one in updates
			b.lines = append(b.lines, outLine{host: u.Host, text: u.Line.Text})
		case rollout.UpdateStarted:
			l.id, l.status = u.Run, "running"
		case rollout.UpdateStage:
			l.stage, l.status, l.pause, l.continued = u.Stage, "running", nil, false
		case rollout.UpdateHostRunning:
			if r := l.byName[u.Host]; r != nil {
				l.setState(r, rollout.Running)
				r.started = l.now()
				if !l.manual && !l.selectedRunning() {
					l.selected = r.index
				}
			}
		case rollout.UpdateHostDone:
			if r := l.byName[u.Host]; r != nil {
				l.setState(r, u.Result.State)
				r.res = u.Result
			}
		case rollout.UpdateWaiting:
			l.status, l.text = "waiting", u.Text
		case rollout.UpdateApproved:
			l.approvedBy = u.Text
		case rollout.UpdateFinished:
			l.status, l.text = u.Status, u.Text
		}
	}
	var last *hostRow
	for _, ln := range b.lines {
		r := last
		if r == nil || r.name != ln.host {
			if r = l.byName[ln.host]; r == nil {
				continue
			}
			last = r
		}
		r.out.add(ln.text, hostLines)
		if l.vpHost == r.name {
			l.dirty = true
		}
	}
	l.lines += int64(len(b.lines))
	for _, p := range b.pauses {
		l.pause = &p
		l.continued = false
	}
	l.refresh(false)
}

func (l *liveRun) selectedRunning() bool {
	return l.selected < len(l.rows) && l.rows[l.selected].state == rollout.Running
}

func (m *Model) runDone(msg runDoneMsg) tea.Cmd {
	l := m.live
	if l == nil || msg.gen != l.gen {
		return nil
	}
	l.apply(l.br.take()) // whatever the last frame did not carry yet
	l.finished, l.pause, l.summary, l.err = true, nil, msg.sum, msg.err
	var ge *rollout.GuardError
	switch {
	case errors.As(msg.err, &ge):
		// Refused before it started: back to the plan, with every refusal and its fix.
		m.live = nil
		m.phase = phasePlan
		m.plan.refusals = ge.Refusals
		m.setMsg("the run was refused: see the fixes above", true)
	case msg.err != nil:
		l.status = "error"
		m.setMsg("the run failed to run: "+msg.err.Error(), true)
	case msg.sum != nil:
		l.status = msg.sum.Status
		if msg.sum.Status == rollout.StatusSucceeded {
			m.succeeded[l.spec.Script.Hash()] = true
		}
		m.plan.refusals = nil
	}
	return nil
}

// nextBad is the first host after the selected one (round to the top) that went wrong, or -1: among
// thousands of hosts, the few that failed are found by key rather than by scrolling.
func (l *liveRun) nextBad() int {
	for k := 1; k <= len(l.rows); k++ {
		i := (l.selected + k) % len(l.rows)
		if l.rows[i].state.Bad() {
			return i
		}
	}
	return -1
}

func (l *liveRun) canRollback() bool {
	return l.pause != nil && l.pause.CanRollback && len(l.pause.Failed) > 0
}

func (m *Model) liveKey(k tea.KeyMsg) tea.Cmd {
	l := m.live
	if l == nil {
		return nil
	}
	km := m.keys
	switch s := k.String(); {
	case s == "esc":
		return m.back()
	case s == "c" && l.pause != nil:
		l.br.choose(rollout.Continue)
		l.continued = true
		if !l.pause.NeedApproval || l.approvedBy != "" {
			l.pause = nil
		}
	case s == "n" && l.pause != nil:
		l.br.choose(rollout.Stop)
		l.pause = nil
		m.setMsg("stopping after this stage", false)
	case s == "r" && l.canRollback():
		l.br.choose(rollout.RollbackFailed)
		l.pause = nil
		m.setMsg("rolling back the failed hosts", false)
	case keyMatches(k, km.Up) || s == "k":
		l.manual = true
		l.selected = max(0, l.selected-1)
		l.refresh(true)
	case keyMatches(k, km.Down) || s == "j":
		l.manual = true
		l.selected = min(len(l.rows)-1, l.selected+1)
		l.refresh(true)
	case s == "g" || s == "G": // a table of thousands: its ends in one key
		l.manual = true
		l.selected = 0
		if s == "G" {
			l.selected = len(l.rows) - 1
		}
		l.refresh(true)
	case s == "x":
		if i := l.nextBad(); i >= 0 {
			l.manual = true
			l.selected = i
			l.refresh(true)
		} else {
			m.setMsg("no host has failed", false)
		}
	case s == "f":
		l.manual = false
	case s == "w": // long output lines: wrapped whole, or cut to the width
		l.wrap = !l.wrap
		l.refresh(true)
	case keyMatches(k, km.PageUp):
		l.vp.HalfViewUp()
	case keyMatches(k, km.PageDown):
		l.vp.HalfViewDown()
	case keyMatches(k, km.Top):
		l.vp.GotoTop()
	case keyMatches(k, km.Bottom):
		l.vp.GotoBottom()
	}
	return nil
}

// refresh rebuilds the output viewport when the watched host or its output changed. Only then: with
// thousands of lines a second, building the text on every frame for every host would be the bottleneck.
func (l *liveRun) refresh(force bool) {
	if len(l.rows) == 0 {
		return
	}
	l.selected = max(0, min(l.selected, len(l.rows)-1))
	r := l.rows[l.selected]
	if r.name != l.vpHost {
		l.vpHost, force = r.name, true
	}
	if !force && !l.dirty {
		return
	}
	l.dirty = false
	atBottom := l.vp.AtBottom() || force
	var b strings.Builder
	b.Grow(r.out.Len() * 64)
	first := true
	w := max(l.vp.Width, 1)
	r.out.each(func(s string) {
		if !first {
			b.WriteByte('\n')
		}
		first = false
		if strings.IndexByte(s, '\t') >= 0 {
			s = strings.ReplaceAll(s, "\t", "    ")
		}
		if len(s) > w { // bytes ≥ cells, so shorter lines never need the (slower) width check
			if l.wrap {
				s = ansi.Hardwrap(s, w, true)
			} else {
				s = ansi.Truncate(s, w, "…")
			}
		}
		b.WriteString(s)
	})
	l.vp.SetContent(b.String())
	if atBottom {
		l.vp.GotoBottom()
	}
}

// layout splits the height: header, stage bars, table, output.
func (l *liveRun) layout(h int) (stages, table, out int) {
	rest := h - 1 - 1 // header, output title
	stages = min(len(l.stages), 3, max(rest/6, 1))
	rest -= stages
	table = min(len(l.rows)+1, max(rest/2, 2))
	out = max(rest-table, 1)
	return
}

func (l *liveRun) resize(w, h int) {
	l.w, l.h = w, h
	_, _, out := l.layout(h - 1)
	l.vp.Width, l.vp.Height = w, out
	l.refresh(true)
}

func (m *Model) liveView() string {
	l, st := m.live, m.st
	if l == nil {
		return ""
	}
	w := m.w
	nStages, tableH, outH := l.layout(m.bodyH)
	var b []string

	mode := st.OK.Render("DRY")
	if !l.spec.DryRun {
		mode = st.Error.Render("REAL")
	}
	ref := "RUN-…"
	if l.id != 0 {
		ref = rollout.RunRef(l.id)
	}
	head := fmt.Sprintf("%s %s %s · stage %d/%d · %s", st.Title.Render(ref), mode, m.what(), max(l.stage, 1), len(l.stages), l.statusText())
	b = append(b, head)

	// Stage bars: a window around the current stage.
	first := max(0, min(l.stage-1-(nStages-1)/2, len(l.stages)-nStages))
	for i := first; i < first+nStages; i++ {
		b = append(b, l.stageBar(m, i, w))
	}

	// The host table: a window around the selected host.
	rowsH := tableH - 1
	if l.selected < l.offset {
		l.offset = l.selected
	}
	if l.selected >= l.offset+rowsH {
		l.offset = l.selected - rowsH + 1
	}
	l.offset = max(0, min(l.offset, max(len(l.rows)-rowsH, 0)))
	hostW := min(l.nameW, max(w/3, 8))
	b = append(b, st.Subtle.Render(fmt.Sprintf("   %s %-3s %-12s %4s %7s  %s", pad("HOST", hostW), "STG", "STATE", "EXIT", "TIME", "LAST OUTPUT")))
	for i := l.offset; i < len(l.rows) && i < l.offset+rowsH; i++ {
		b = append(b, m.hostLine(l.rows[i], i == l.selected, hostW))
	}

	// The selected host's output.
	title := "output"
	if len(l.rows) > 0 {
		r := l.rows[l.selected]
		title = fmt.Sprintf("output of %s", r.name)
		if r.out.total > int64(r.out.Len()) {
			title += fmt.Sprintf(" (last %d of %d lines; the log has all)", r.out.Len(), r.out.total)
		}
	}
	if l.dropped > 0 {
		title += fmt.Sprintf(" · %d lines not shown", l.dropped)
	}
	if l.manual {
		title += " · f follows the running host"
	}
	if l.wrap {
		title += " · w cuts long lines"
	} else {
		title += " · w wraps long lines"
	}
	b = append(b, rule(m, title, w))
	if l.vp.Width != w || l.vp.Height != outH {
		l.vp.Width, l.vp.Height = w, outH
		l.refresh(true)
	}
	b = append(b, strings.Split(l.vp.View(), "\n")...)
	return strings.Join(b, "\n")
}

func (l *liveRun) statusText() string {
	switch {
	case l.finished && l.summary != nil:
		return l.summary.Status
	case l.pause != nil && l.pause.NeedApproval && l.approvedBy == "":
		return "waiting for approval"
	case l.pause != nil:
		return "waiting for you"
	}
	return l.status
}

func (l *liveRun) stageBar(m *Model, i, w int) string {
	st := m.st
	c := l.stages[i]
	done, bad := c.done, c.bad
	label := fmt.Sprintf("stage %d ", i+1)
	count := fmt.Sprintf(" %d/%d", done, c.hosts)
	if bad > 0 {
		count += st.Error.Render(fmt.Sprintf(" %d failed", bad))
	}
	barW := max(w-ansi.StringWidth(label)-ansi.StringWidth(count)-1, 4)
	barW = min(barW, 40)
	fill := 0
	if c.hosts > 0 {
		fill = barW * done / c.hosts
	}
	full := st.OK
	if bad > 0 {
		full = st.Warn
	}
	bar := full.Render(strings.Repeat("█", fill)) + st.Subtle.Render(strings.Repeat("░", barW-fill))
	if i+1 == l.stage && !l.finished {
		label = st.Bold.Render(label)
	}
	return label + bar + count
}

func (m *Model) hostLine(r *hostRow, selected bool, hostW int) string {
	st := m.st
	state := string(r.state)
	icon := " "
	switch {
	case r.state == rollout.Running:
		icon = m.spin.View()
	case r.state.Good():
		icon = "✓"
	case r.state.Bad():
		icon = "✗"
	}
	style, ok := st.HostState[state]
	if !ok {
		style = st.Subtle
	}
	exit, dur := "", ""
	if r.state != rollout.Pending && r.state != rollout.Running {
		exit = fmt.Sprint(r.res.ExitCode)
		dur = r.res.Duration.Round(time.Millisecond * 10).String()
	} else if r.state == rollout.Running && !r.started.IsZero() {
		dur = m.now().Sub(r.started).Round(time.Second).String()
	}
	last := r.out.last()
	if r.res.Error != "" && r.state.Bad() {
		last = r.res.Error
	}
	name := r.name
	if ansi.StringWidth(name) > hostW {
		name = ansi.Truncate(name, hostW, "…")
	}
	cursor := " "
	if selected {
		cursor = st.Selected.Render(">")
	}
	return fmt.Sprintf("%s%s %s %-3d %s %4s %7s  %s", cursor, icon, pad(name, hostW), r.stage, style.Render(pad(state, 12)), exit, dur,
		st.Subtle.Render(strings.ReplaceAll(last, "\t", " ")))
}

// promptLines say what the run waits for, or how it ended.
func (l *liveRun) promptLines(m *Model) []string {
	st := m.st
	var out []string
	switch {
	case l.finished && l.err != nil:
		out = append(out, st.Error.Render("error: "+l.err.Error()))
	case l.finished && l.summary != nil:
		s := l.summary
		text := fmt.Sprintf("%s %s", rollout.RunRef(s.Run), s.Status)
		if s.Reason != "" {
			text += ": " + s.Reason
		}
		switch s.Status {
		case rollout.StatusHalted:
			// What the run was; whether the off-switch is still on is the console's banner, which follows it.
			out = append(out, st.Error.Render(text))
			out = append(out, st.Subtle.Render("after a resume, c in the cockpit's runs pane continues it on the hosts it did not finish"))
		case rollout.StatusSucceeded:
			out = append(out, st.OK.Render(text)+st.Subtle.Render(" · esc: back to the hosts to ramp up"))
		default:
			out = append(out, st.Error.Render(text)+st.Subtle.Render(" · esc: back"))
		}
	case l.pause != nil:
		p := l.pause
		if p.NeedApproval && l.approvedBy == "" {
			ref := rollout.RunRef(p.Run)
			out = append(out, st.BannerWarn.Render(fmt.Sprintf("Needs another person's approval: firebreak approve %s from their terminal", ref)))
			if l.continued {
				out = append(out, st.Subtle.Render("you chose to continue: the next stage starts once it is approved · n stops"))
				return out
			}
		} else if l.approvedBy != "" {
			out = append(out, st.OK.Render(l.approvedBy))
		}
		q := fmt.Sprintf("Stage %d/%d done · c continue to stage %d (%s) · n stop", p.Done, p.Stages, p.Done+1, plural(len(p.NextHosts), "host"))
		if l.canRollback() {
			q += fmt.Sprintf(" · r roll back %d failed", len(p.Failed))
		}
		out = append(out, st.BannerWarn.Render(q))
	case l.status == "starting":
		out = append(out, st.Subtle.Render("checking the guards and starting…"))
	}
	return out
}

func keyMatches(k tea.KeyMsg, b interface{ Keys() []string }) bool {
	s := k.String()
	for _, x := range b.Keys() {
		if x == s {
			return true
		}
	}
	return false
}

// rule is a titled horizontal rule exactly w cells wide (or the title cut to w).
func rule(m *Model, title string, w int) string {
	head := m.st.Border.Render("── ") + m.st.Bold.Render(title) + " "
	if n := w - ansi.StringWidth(head); n > 0 {
		return head + m.st.Border.Render(strings.Repeat("─", n))
	}
	return ansi.Truncate(head, w, "")
}
