package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks/output"
	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/ui/runview"
)

// timelineKeys are the timeline pane's keys.
type timelineKeys struct {
	Up, Down, PageUp, PageDown, Top, Bottom, Star, Filter, Open key.Binding
}

func newTimelineKeys() timelineKeys {
	return timelineKeys{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+d"), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g", "oldest")),
		Bottom:   key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G", "newest (follow)")),
		Star:     key.NewBinding(key.WithKeys("*"), key.WithHelp("*", "star")),
		Filter:   key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "filter kind")),
		Open:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open the event")),
	}
}

// The timeline keeps a bounded window of events in memory: a page is loaded at a time, and the window
// never holds more than windowMax, whatever the length of the timeline. Rendering touches only the rows
// on screen.
const (
	timelinePage = 500
	windowMax    = 2000
)

// loadMode is which part of the timeline a load fetched.
type loadMode int

const (
	loadReset  loadMode = iota // the newest page
	loadTail                   // what was appended after the window
	loadOlder                  // the page before the window
	loadNewer                  // the page after the window (scrolling back down)
	loadOldest                 // the first page
)

// eventsMsg carries a page of an incident's events.
type eventsMsg struct {
	id   int64
	mode loadMode
	evs  []store.Event
	err  error
}

// kindFilter is one choice of f: which kinds of events show.
type kindFilter struct {
	name  string
	match func(ev *store.Event, inc *incident.Incident) bool
}

func kinds(ks ...string) func(ev *store.Event, _ *incident.Incident) bool {
	return func(ev *store.Event, _ *incident.Incident) bool {
		for _, k := range ks {
			if ev.Kind == k {
				return true
			}
		}
		return false
	}
}

// foldedKinds are the per-host events of runs, which the default view folds into their stage's line
// (stage_done carries the counts; enter on it lists the hosts).
var foldedKinds = []string{incident.KindHostDone, incident.KindStageStarted}

var timelineFilters = []kindFilter{
	{"all, runs folded", func(ev *store.Event, _ *incident.Incident) bool { return !slices.Contains(foldedKinds, ev.Kind) }},
	{"everything", nil},
	{"notes", kinds(incident.KindNote)},
	{"changes", kinds(incident.KindDeclared, incident.KindStatus, incident.KindSeverity, incident.KindRole, incident.KindMilestone)},
	{"checklist", kinds(incident.KindAttached, incident.KindTick, incident.KindUntick, incident.KindSkip, incident.KindAssign)},
	{"runs", kinds(append(slices.Clone(incident.RunKinds), runview.KindScriptSaved, incident.KindScriptSavedAsRunbook)...)},
	{"starred", func(ev *store.Event, inc *incident.Incident) bool { return inc != nil && inc.IsStarred(ev.Seq) }},
}

// timelinePane is the live timeline: it follows new events (the change feed) while the cursor is on the
// newest, and pages older ones in as the operator scrolls up.
type timelinePane struct {
	cp      *cockpit
	keys    timelineKeys
	win     []store.Event // contiguous by seq
	atEnd   bool          // win holds the newest events
	view    []int         // indices into win that pass the filter
	cursor  int           // index into view
	offset  int
	follow  bool
	filter  int
	loading bool // an older or newer page is on its way
	loaded  bool
	err     string
	w, h    int
	kindW   int // the kind column's width, from the rows on screen
}

func newTimelinePane(cp *cockpit) *timelinePane {
	return &timelinePane{cp: cp, keys: newTimelineKeys(), follow: true}
}

func (t *timelinePane) Title() string { return "Timeline" }

// consumesBack: the timeline has nothing of its own for esc to close, so esc leaves the incident.
func (t *timelinePane) consumesBack() bool { return false }
func (t *timelinePane) Typing() bool       { return false }

func (t *timelinePane) SetSize(w, h int) { t.w, t.h = w, h }

func (t *timelinePane) load(mode loadMode, q store.EventQuery) tea.Cmd {
	id := t.cp.id
	q.Incident = id
	return t.cp.c.read(func(ctx context.Context) tea.Msg {
		evs, err := t.cp.c.d.DB.Events(ctx, q)
		return eventsMsg{id: id, mode: mode, evs: evs, err: err}
	})
}

// reset loads the newest page and follows.
func (t *timelinePane) reset() tea.Cmd {
	return t.load(loadReset, store.EventQuery{Limit: timelinePage, Newest: true})
}

func (t *timelinePane) first() int64 {
	if len(t.win) == 0 {
		return 0
	}
	return t.win[0].Seq
}

func (t *timelinePane) last() int64 {
	if len(t.win) == 0 {
		return 0
	}
	return t.win[len(t.win)-1].Seq
}

func (t *timelinePane) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case eventsMsg:
		if msg.id != t.cp.id {
			return nil
		}
		return t.apply(msg)
	case refreshMsg, changedMsg:
		if !t.loaded {
			return nil
		}
		if t.atEnd {
			// One more than a page: if that many arrived, the gap is too big to append; start again at the newest.
			return t.load(loadTail, store.EventQuery{AfterSeq: t.last(), Limit: timelinePage + 1})
		}
	case incidentMsg:
		t.rebuild() // stars and hidden events changed
	case tea.KeyMsg:
		return t.key(msg)
	}
	return nil
}

// apply merges a loaded page into the window.
func (t *timelinePane) apply(msg eventsMsg) tea.Cmd {
	if msg.err != nil {
		t.loading = false
		t.err = errText(msg.err)
		return nil
	}
	t.err = ""
	keep := t.selectedSeq()
	switch msg.mode {
	case loadReset, loadOldest:
		t.win, t.loaded = msg.evs, true
		t.atEnd = msg.mode == loadReset || len(msg.evs) < timelinePage
		t.loading = false
		t.rebuild()
		if msg.mode == loadReset {
			t.follow = true
			t.cursor = max(0, len(t.view)-1)
		} else {
			t.follow = false
			t.cursor = 0
		}
		return nil
	case loadTail:
		for len(msg.evs) > 0 && msg.evs[0].Seq <= t.last() { // two refreshes may fetch the same events
			msg.evs = msg.evs[1:]
		}
		if len(msg.evs) > timelinePage || len(msg.evs) > 0 && msg.evs[0].Seq != t.last()+1 {
			if t.follow {
				return t.reset()
			}
			t.atEnd = false
			return nil
		}
		if len(msg.evs) == 0 {
			return nil
		}
		t.win = append(t.win, msg.evs...)
		if len(t.win) > windowMax && (t.follow || t.cursorFraction() > 0.5) {
			t.win = append([]store.Event(nil), t.win[len(t.win)-windowMax:]...)
		}
	case loadOlder:
		t.loading = false
		if len(msg.evs) == 0 || msg.evs[len(msg.evs)-1].Seq != t.first()-1 {
			return nil
		}
		t.win = append(append([]store.Event(nil), msg.evs...), t.win...)
		if len(t.win) > windowMax {
			t.win, t.atEnd = t.win[:windowMax], false
		}
	case loadNewer:
		t.loading = false
		if len(msg.evs) < timelinePage {
			t.atEnd = true
		}
		if len(msg.evs) == 0 || msg.evs[0].Seq != t.last()+1 {
			return nil
		}
		t.win = append(t.win, msg.evs...)
		if len(t.win) > windowMax {
			t.win = append([]store.Event(nil), t.win[len(t.win)-windowMax:]...)
		}
	}
	t.rebuild()
	if t.follow && t.atEnd {
		t.cursor = max(0, len(t.view)-1)
	} else {
		t.selectSeq(keep)
	}
	return nil
}

func (t *timelinePane) cursorFraction() float64 {
	if len(t.view) == 0 {
		return 1
	}
	return float64(t.cursor) / float64(len(t.view))
}

// rebuild recomputes which events of the window pass the filter.
func (t *timelinePane) rebuild() {
	keep := t.selectedSeq()
	t.view = t.view[:0]
	f := timelineFilters[t.filter].match
	for i := range t.win {
		if f == nil || f(&t.win[i], t.cp.inc) {
			t.view = append(t.view, i)
		}
	}
	t.selectSeq(keep)
}

func (t *timelinePane) selectedSeq() int64 {
	if t.cursor < len(t.view) {
		return t.win[t.view[t.cursor]].Seq
	}
	return 0
}

func (t *timelinePane) selectSeq(seq int64) {
	if seq == 0 {
		t.cursor = min(t.cursor, max(0, len(t.view)-1))
		return
	}
	// The view is in seq order: the first event at or after seq.
	lo, hi := 0, len(t.view)
	for lo < hi {
		mid := (lo + hi) / 2
		if t.win[t.view[mid]].Seq < seq {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	t.cursor = min(lo, max(0, len(t.view)-1))
}

func (t *timelinePane) rows() int { return max(0, t.h-1) }

func (t *timelinePane) key(k tea.KeyMsg) tea.Cmd {
	switch {
	case key.Matches(k, t.keys.Up):
		return t.move(-1)
	case key.Matches(k, t.keys.Down):
		return t.move(1)
	case key.Matches(k, t.keys.PageUp):
		return t.move(-max(1, t.rows()-1))
	case key.Matches(k, t.keys.PageDown):
		return t.move(max(1, t.rows()-1))
	case key.Matches(k, t.keys.Top):
		t.follow = false
		if t.first() > 1 {
			t.loading = true
			return t.load(loadOldest, store.EventQuery{Limit: timelinePage})
		}
		t.cursor = 0
	case key.Matches(k, t.keys.Bottom):
		if !t.atEnd {
			return t.reset()
		}
		t.follow, t.cursor = true, max(0, len(t.view)-1)
	case key.Matches(k, t.keys.Filter):
		t.filter = (t.filter + 1) % len(timelineFilters)
		t.rebuild()
		if t.follow {
			t.cursor = max(0, len(t.view)-1)
		}
	case key.Matches(k, t.keys.Open):
		ev := t.selected()
		if ev == nil {
			return nil
		}
		title := fmt.Sprintf("Event %d of %s", ev.Seq, t.cp.inc.Ref())
		if ev.Kind == incident.KindStageDone { // a folded stage: its hosts, one line each
			var d incident.StageDoneData
			if json.Unmarshal(ev.Data, &d) == nil && d.Run != 0 {
				return t.expandStage(title, *ev, d)
			}
		}
		return t.cp.c.open(newTextView(t.cp.c.st, title, t.eventText(ev)))
	case key.Matches(k, t.keys.Star):
		seq := t.selectedSeq()
		if seq == 0 || t.cp.inc == nil {
			return nil
		}
		on := !t.cp.inc.IsStarred(seq)
		what := fmt.Sprintf("starred event %d", seq)
		if !on {
			what = fmt.Sprintf("unstarred event %d", seq)
		}
		return t.cp.c.act(nil, what, func(ctx context.Context) error {
			_, _, err := t.cp.c.d.Incidents.Star(ctx, t.cp.id, seq, on)
			return err
		})
	}
	return nil
}

// move moves the cursor; at the window's edges it pages more in.
func (t *timelinePane) move(d int) tea.Cmd {
	t.cursor = max(0, min(len(t.view)-1, t.cursor+d))
	t.follow = t.atEnd && t.cursor >= len(t.view)-1
	switch {
	case t.loading:
	case d < 0 && t.cursor < t.rows() && t.first() > 1:
		t.loading = true
		after := max(0, t.first()-1-timelinePage)
		return t.load(loadOlder, store.EventQuery{AfterSeq: after, Limit: int(t.first() - 1 - after)})
	case d > 0 && !t.atEnd && t.cursor >= len(t.view)-t.rows():
		t.loading = true
		return t.load(loadNewer, store.EventQuery{AfterSeq: t.last(), Limit: timelinePage})
	}
	return nil
}

func (t *timelinePane) View() string {
	st := t.cp.c.st
	var b strings.Builder
	info := fmt.Sprintf("filter %s (f)", timelineFilters[t.filter].name)
	if len(t.win) > 0 {
		info = fmt.Sprintf("events %d–%d · ", t.first(), t.last()) + info
	}
	if t.follow && t.atEnd {
		info += " · following"
	}
	if t.loading {
		info += " · loading…"
	}
	b.WriteString(st.Subtle.Render(clip(info, t.w)) + "\n")
	if t.err != "" {
		b.WriteString(st.Error.Render(t.err) + "\n")
	}
	if !t.loaded {
		return fit(b.String()+st.Subtle.Render("loading…"), t.w, t.h)
	}
	if len(t.view) == 0 {
		return fit(b.String()+st.Subtle.Render("no events match the filter"), t.w, t.h)
	}
	rows := t.rows()
	t.offset = scrollTo(t.offset, t.cursor, rows, len(t.view))
	seqW := len(fmt.Sprint(t.last()))
	wide := t.w >= 70
	t.kindW = 4 // the kind column fits the longest kind on screen (run_interrupted: 15)
	for r := 0; r < rows && t.offset+r < len(t.view); r++ {
		t.kindW = max(t.kindW, len(t.win[t.view[t.offset+r]].Kind))
	}
	t.kindW = min(t.kindW, 16)
	for r := 0; r < rows && t.offset+r < len(t.view); r++ {
		j := t.offset + r
		ev := &t.win[t.view[j]]
		b.WriteString(t.row(ev, seqW, wide, j == t.cursor))
		b.WriteByte('\n')
	}
	return fit(b.String(), t.w, t.h)
}

// row renders one event in one line of the pane's width.
func (t *timelinePane) row(ev *store.Event, seqW int, wide, selected bool) string {
	st := t.cp.c.st
	inc := t.cp.inc
	mark := " "
	if inc != nil && inc.IsStarred(ev.Seq) {
		mark = "*"
	}
	text := oneLine(ev.Text)
	if at, backdated := incident.EventTime(*ev); backdated { // firebreak note --at: written now, about then
		text = "(backdated to " + at.UTC().Format("2006-01-02 15:04Z") + ") " + text
	}
	hidden := false
	if inc != nil {
		if reason, ok := inc.Hidden[ev.Seq]; ok {
			text, hidden = "(hidden: "+reason+") "+text, true
		}
	}
	head := fmt.Sprintf("%s%*d %s ", mark, seqW, ev.Seq, clock(ev.At))
	actor := ""
	if wide {
		actor = pad(incident.ShortActor(ev.Actor), 14) + " " + pad(ev.Kind, t.kindW) + " "
	}
	if selected {
		return st.Selected.Render(pad(head+actor+text, t.w))
	}
	line := st.Subtle.Render(head) + actor
	switch {
	case hidden:
		line += st.Subtle.Render(text)
	case ev.Kind == incident.KindHalt || ev.Kind == incident.KindBreakGlass:
		line += st.Error.Render(text)
	case ev.Kind == incident.KindNote:
		line += st.Bold.Render(text)
	default:
		line += text
	}
	return clip(line, t.w)
}

func (t *timelinePane) ShortHelp() []key.Binding {
	return []key.Binding{t.keys.Open, t.keys.Star, t.keys.Filter}
}

func (t *timelinePane) FullHelp() [][]key.Binding {
	return [][]key.Binding{{t.keys.Up, t.keys.Down, t.keys.PageUp, t.keys.PageDown, t.keys.Top, t.keys.Bottom},
		{t.keys.Open, t.keys.Star, t.keys.Filter}}
}

// expandStage opens a stage's line with every host of it: their states, exits and phases, read from their
// host_done events.
func (t *timelinePane) expandStage(title string, ev store.Event, stage incident.StageDoneData) tea.Cmd {
	db, id := t.cp.c.d.DB, t.cp.id
	ctx, cancel := context.WithTimeout(t.cp.c.ctx, opTimeout)
	defer cancel()
	evs, err := db.Events(ctx, store.EventQuery{Incident: id, Kinds: []string{incident.KindHostDone}})
	var b strings.Builder
	b.WriteString(t.eventText(&ev) + "\n\nhosts\n")
	if err != nil {
		b.WriteString("reading the hosts: " + err.Error())
	}
	for _, h := range evs {
		var d incident.HostDoneData
		if json.Unmarshal(h.Data, &d) != nil || d.Run != stage.Run || d.Stage != stage.Stage {
			continue
		}
		line := fmt.Sprintf("  %-24s %-11s exit %-3d %-8s %s", d.Host, d.State, d.ExitCode, d.Phase, time.Duration(d.DurationMS)*time.Millisecond)
		b.WriteString(output.Sanitize([]byte(line)) + "\n")
	}
	return t.cp.c.open(newTextView(t.cp.c.st, title, strings.TrimRight(b.String(), "\n")))
}

// selected is the event under the cursor, or nil.
func (t *timelinePane) selected() *store.Event {
	if t.cursor < 0 || t.cursor >= len(t.view) {
		return nil
	}
	return &t.win[t.view[t.cursor]]
}

// eventText is an event whole: text, who, when, kind, hash and its data, sanitised (the data of events is
// recorded with secrets masked).
func (t *timelinePane) eventText(ev *store.Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", ev.Text)
	fmt.Fprintf(&b, "when   %s\nwho    %s\nkind   %s\nhash   %s\n", ev.At.UTC().Format("2006-01-02 15:04:05.000 UTC"), ev.Actor, ev.Kind, ev.Hash)
	if inc := t.cp.inc; inc != nil {
		if reason, ok := inc.Hidden[ev.Seq]; ok {
			fmt.Fprintf(&b, "hidden %s\n", reason)
		}
	}
	if len(ev.Data) > 0 && string(ev.Data) != "null" && string(ev.Data) != "{}" {
		var pretty bytes.Buffer
		if json.Indent(&pretty, ev.Data, "", "  ") == nil {
			fmt.Fprintf(&b, "\ndata\n%s\n", pretty.String())
		}
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	for i, l := range lines {
		lines[i] = output.Sanitize([]byte(l))
	}
	return strings.Join(lines, "\n")
}
