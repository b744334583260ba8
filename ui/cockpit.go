package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/incident/handover"
	"github.com/firebreak/firebreak/runbooks/rollout"
	"github.com/firebreak/firebreak/store"
)

// cockpitKeys are the keys of the incident view that work in every pane.
type cockpitKeys struct {
	NextPane, PrevPane, Back, Note, Status, Severity, Role, Milestone, Retro key.Binding
	Update                                                                   key.Binding // a stakeholder update
}

func newCockpitKeys() cockpitKeys {
	return cockpitKeys{
		NextPane:  key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "pane")),
		PrevPane:  key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("S-tab", "prev pane")),
		Back:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Note:      key.NewBinding(key.WithKeys(":"), key.WithHelp(":", "note")),
		Status:    key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "status")),
		Severity:  key.NewBinding(key.WithKeys("V"), key.WithHelp("V", "severity")),
		Role:      key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "role")),
		Milestone: key.NewBinding(key.WithKeys("M"), key.WithHelp("M", "milestone")),
		Retro:     key.NewBinding(key.WithKeys("P"), key.WithHelp("P", "retrospective")),
		Update:    key.NewBinding(key.WithKeys("U"), key.WithHelp("U", "stakeholder update")),
	}
}

// incidentMsg carries an incident's current state.
type incidentMsg struct {
	id  int64
	inc *incident.Incident
	err error
}

// runsMsg carries an incident's runs.
type runsMsg struct {
	id   int64
	runs []store.RunRow
	err  error
}

// pane is one pane of the cockpit.
type pane interface {
	Update(msg tea.Msg) tea.Cmd
	View() string
	SetSize(w, h int)
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
	// Typing reports whether the pane has a text field with the keyboard.
	Typing() bool
	// Title names the pane in the tab bar.
	Title() string
}

// The panes, in tab order.
const (
	paneChecklist = iota
	paneTimeline
	paneRuns
)

// cockpit is one incident's view: a header that always shows where the incident is, a banner when the
// off-switch is on or a run waits for someone, and the checklist, timeline and runs panes.
type cockpit struct {
	c     *common
	keys  cockpitKeys
	id    int64
	inc   *incident.Incident
	err   string
	runs  []store.RunRow
	panes []pane
	focus int
	w, h  int

	checklist *checklistPane
	timeline  *timelinePane
	runsPane  *runsPane
}

func newCockpit(c *common, id int64) *cockpit {
	cp := &cockpit{c: c, keys: newCockpitKeys(), id: id}
	cp.checklist = newChecklistPane(cp)
	cp.timeline = newTimelinePane(cp)
	cp.runsPane = newRunsPane(cp)
	cp.panes = []pane{cp.checklist, cp.timeline, cp.runsPane}
	return cp
}

func (cp *cockpit) Init() tea.Cmd {
	return tea.Batch(cp.loadIncident(), cp.loadRuns(), cp.timeline.reset())
}

func (cp *cockpit) loadIncident() tea.Cmd {
	id := cp.id
	return cp.c.read(func(ctx context.Context) tea.Msg {
		inc, err := cp.c.d.Incidents.Get(ctx, id)
		return incidentMsg{id: id, inc: inc, err: err}
	})
}

func (cp *cockpit) loadRuns() tea.Cmd {
	id := cp.id
	return cp.c.read(func(ctx context.Context) tea.Msg {
		runs, err := cp.c.d.DB.Runs(ctx, store.RunQuery{Incident: id})
		return runsMsg{id: id, runs: runs, err: err}
	})
}

func (cp *cockpit) Typing() bool { return cp.panes[cp.focus].Typing() }

// headerHeight is the header's lines: title, facts, the waiting banner when a run waits, the tabs.
func (cp *cockpit) headerHeight() int {
	if len(cp.waiting()) > 0 {
		return 4
	}
	return 3
}

func (cp *cockpit) SetSize(w, h int) {
	cp.w, cp.h = w, h
	for _, p := range cp.panes {
		p.SetSize(w, max(0, h-cp.headerHeight()))
	}
}

// waiting lists the incident's runs that wait for someone (an approval or a person to continue).
func (cp *cockpit) waiting() []store.RunRow {
	var out []store.RunRow
	for _, r := range cp.runs {
		if r.Status == rollout.StatusWaiting {
			out = append(out, r)
		}
	}
	return out
}

func (cp *cockpit) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case incidentMsg:
		if msg.id != cp.id {
			return nil
		}
		if msg.err != nil {
			cp.err = errText(msg.err)
			return nil
		}
		cp.inc, cp.err = msg.inc, ""
		var cmds []tea.Cmd
		for _, p := range cp.panes {
			cmds = append(cmds, p.Update(msg))
		}
		return tea.Batch(cmds...)
	case runsMsg:
		if msg.id != cp.id || msg.err != nil {
			return nil
		}
		before := cp.headerHeight()
		cp.runs = msg.runs
		if cp.headerHeight() != before {
			cp.SetSize(cp.w, cp.h)
		}
		return cp.runsPane.Update(msg)
	case refreshMsg, changedMsg:
		return tea.Batch(cp.loadIncident(), cp.loadRuns(), cp.timeline.Update(msg), cp.runsPane.Update(msg))
	case tea.KeyMsg:
		p := cp.panes[cp.focus]
		if p.Typing() {
			return p.Update(msg)
		}
		switch {
		case key.Matches(msg, cp.keys.NextPane):
			cp.focus = (cp.focus + 1) % len(cp.panes)
			return nil
		case key.Matches(msg, cp.keys.PrevPane):
			cp.focus = (cp.focus + len(cp.panes) - 1) % len(cp.panes)
			return nil
		case key.Matches(msg, cp.keys.Note):
			return cp.c.open(cp.noteForm())
		case cp.inc == nil:
		case key.Matches(msg, cp.keys.Status):
			return cp.c.open(cp.statusPicker())
		case key.Matches(msg, cp.keys.Severity):
			return cp.c.open(cp.severityPicker())
		case key.Matches(msg, cp.keys.Role):
			return cp.c.open(cp.roleForm())
		case key.Matches(msg, cp.keys.Milestone):
			return cp.c.open(cp.milestoneForm())
		case key.Matches(msg, cp.keys.Retro):
			inc := cp.inc
			return cp.c.handleNow(openRetroMsg{inc: inc})
		case key.Matches(msg, cp.keys.Update):
			return cp.openUpdateEditor()
		}
		if cmd, handled := cp.paneKey(p, msg); handled {
			return cmd
		}
		if key.Matches(msg, cp.keys.Back) {
			return back
		}
		return nil
	default:
		var cmds []tea.Cmd
		for _, p := range cp.panes {
			cmds = append(cmds, p.Update(msg))
		}
		return tea.Batch(cmds...)
	}
}

// paneKey gives a key to the focused pane; esc goes to it first (to leave a detail view), and only when it
// did nothing with it does esc leave the incident.
func (cp *cockpit) paneKey(p pane, k tea.KeyMsg) (tea.Cmd, bool) {
	if b, ok := p.(interface{ consumesBack() bool }); ok && key.Matches(k, cp.keys.Back) && !b.consumesBack() {
		return nil, false
	}
	return p.Update(k), true
}

// noteForm adds a note, like firebreak note.
func (cp *cockpit) noteForm() *form {
	return newForm(cp.c.st, "Add a note to the timeline", func(f *form, v []string) tea.Cmd {
		return cp.c.act(f, "note added", func(ctx context.Context) error {
			_, err := cp.c.d.Incidents.Note(ctx, cp.id, v[0])
			return err
		})
	}, field("Note", "", "what you see, what you did, what you think"))
}

// statusPicker moves the incident through its lifecycle with SetStatus's rules; leaving the open statuses
// and going back ask first.
func (cp *cockpit) statusPicker() *picker {
	cur := cp.inc.Status
	var items []pickItem
	forward := ""
	for _, s := range incident.Lifecycle {
		if s == cur {
			continue
		}
		it := pickItem{id: string(s), label: string(s)}
		switch ok, back := cur.CanMoveTo(s); {
		case !ok:
			it.detail, it.disabled = "not allowed from "+string(cur), true
		case back:
			it.detail = "back one step"
		case forward == "":
			forward, it.detail = string(s), "next"
		}
		items = append(items, it)
	}
	p := newPicker(cp.c.st, fmt.Sprintf("Status of %s (now %s)", cp.inc.Ref(), cur), items, nil)
	p.preselect(forward) // the sensible next step, never a step back or one not allowed
	p.pick = func(p *picker, it pickItem) tea.Cmd {
		to := incident.Status(it.id)
		set := cp.c.act(p, "status "+it.id, func(ctx context.Context) error {
			_, _, err := cp.c.d.Incidents.SetStatus(ctx, cp.id, to)
			return err
		})
		if _, back := cur.CanMoveTo(to); back || !to.Open() {
			return cp.c.open(newConfirm(cp.c.st, fmt.Sprintf("Move %s from %s to %s?", cp.inc.Ref(), cur, to), set))
		}
		return set
	}
	return p
}

// severityPicker sets the severity.
func (cp *cockpit) severityPicker() *picker {
	var items []pickItem
	for s := incident.SEV1; s <= incident.SEV4; s++ {
		detail := map[incident.Severity]string{incident.SEV1: "the worst", incident.SEV4: "minor"}[s]
		if s == cp.inc.Severity {
			detail = "now"
		}
		items = append(items, pickItem{id: fmt.Sprint(int(s)), label: s.String(), detail: detail})
	}
	return newPicker(cp.c.st, "Severity of "+cp.inc.Ref(), items, func(p *picker, it pickItem) tea.Cmd {
		return cp.c.act(p, "severity "+it.label, func(ctx context.Context) error {
			sev, err := incident.ParseSeverity(it.id)
			if err != nil {
				return err
			}
			_, _, err = cp.c.d.Incidents.SetSeverity(ctx, cp.id, sev)
			return err
		})
	})
}

// roleForm assigns a role, like firebreak role (- unassigns).
func (cp *cockpit) roleForm() *form {
	return newForm(cp.c.st, "Assign a role", func(f *form, v []string) tea.Cmd {
		role, err := incident.ParseRole(v[0])
		if err != nil {
			return f.failed(err)
		}
		return cp.c.act(f, fmt.Sprintf("%s: %s", role, v[1]), func(ctx context.Context) error {
			_, _, err := cp.c.d.Incidents.AssignRole(ctx, cp.id, role, v[1])
			return err
		})
	}, field("Role", "commander", "commander, communications, operations or scribe"),
		field("Person", cp.c.person(), "a name; - unassigns"))
}

// milestoneForm sets or corrects a milestone, like firebreak milestone.
func (cp *cockpit) milestoneForm() *form {
	return newForm(cp.c.st, "Set or correct a milestone", func(f *form, v []string) tea.Cmd {
		m, err := incident.ParseMilestone(v[0])
		if err != nil {
			return f.failed(err)
		}
		at, err := incident.ParseTime(v[1], cp.c.now().Local())
		if err != nil {
			return f.failed(err)
		}
		return cp.c.act(f, string(m)+" set", func(ctx context.Context) error {
			_, _, err := cp.c.d.Incidents.SetMilestone(ctx, cp.id, m, at, v[2])
			return err
		})
	}, field("Milestone", "", "impact_started, detected, acknowledged, mitigated or resolved"),
		field("Time", "now", "now, -15m, 14:05, 2026-11-21 14:05"),
		field("Reason", "", "why (for a correction)"))
}

func (cp *cockpit) View() string {
	st := cp.c.st
	var b strings.Builder
	if cp.inc == nil {
		if cp.err != "" {
			return fit(st.Error.Render(cp.err)+"\n"+st.Subtle.Render("esc goes back"), cp.w, cp.h)
		}
		return fit(st.Subtle.Render("loading "+incident.Ref(cp.id)+"…"), cp.w, cp.h)
	}
	inc := cp.inc
	title := st.Title.Render(inc.Ref()) + " " + st.Header.Render(inc.Title)
	if inc.Drill {
		title = st.Warn.Render("[DRILL] ") + title
	}
	b.WriteString(clip(title, cp.w) + "\n")
	commander := inc.Commander()
	if commander == "" {
		commander = st.Warn.Render("none")
	}
	sev := st.Severity[min(4, max(0, int(inc.Severity)))].Render(inc.Severity.String())
	facts := fmt.Sprintf("%s · %s · IC %s · declared %s ago", sev, st.Bold.Render(string(inc.Status)), commander,
		handover.Age(cp.c.now().Sub(inc.DeclaredAt))) // the header says an age as the handover does
	if cp.w >= 70 {
		facts += st.Subtle.Render(" (" + inc.DeclaredAt.UTC().Format("2006-01-02 15:04 UTC") + ")")
	}
	b.WriteString(clip(facts, cp.w) + "\n")
	if w := cp.waiting(); len(w) > 0 {
		var parts []string
		for _, r := range w {
			parts = append(parts, fmt.Sprintf("%s waits for %s after stage %d/%d", rollout.RunRef(r.ID), r.WaitingFor, r.Stage, r.Stages))
		}
		b.WriteString(st.BannerWarn.Render(pad(" "+strings.Join(parts, "; ")+" ", cp.w)) + "\n")
	}
	var tabs []string
	for i, p := range cp.panes {
		name := p.Title()
		if i == cp.focus {
			tabs = append(tabs, st.TabActive.Render("["+name+"]"))
		} else {
			tabs = append(tabs, st.Tab.Render(" "+name+" "))
		}
	}
	b.WriteString(clip(strings.Join(tabs, " "), cp.w) + "\n")
	b.WriteString(cp.panes[cp.focus].View())
	return fit(b.String(), cp.w, cp.h)
}

func (cp *cockpit) ShortHelp() []key.Binding {
	p := cp.panes[cp.focus]
	if p.Typing() {
		return p.ShortHelp()
	}
	ks := append(p.ShortHelp(), cp.keys.NextPane, cp.keys.Note)
	if b, ok := p.(interface{ consumesBack() bool }); !ok || !b.consumesBack() {
		ks = append(ks, cp.keys.Back)
	}
	return ks
}

func (cp *cockpit) FullHelp() [][]key.Binding {
	return append(cp.panes[cp.focus].FullHelp(),
		[]key.Binding{cp.keys.NextPane, cp.keys.PrevPane, cp.keys.Note, cp.keys.Back,
			cp.keys.Status, cp.keys.Severity, cp.keys.Role, cp.keys.Milestone, cp.keys.Retro, cp.keys.Update})
}

// clock formats an event time for a column.
func clock(t time.Time) string { return t.UTC().Format("15:04:05") }
