package ui

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/store"
)

// golden runs the whole program with teatest at 80×24, presses keys once text appears, and compares the
// final frame with testdata/<test>.golden (go test ./ui -run Golden -update rewrites them).
func golden(t *testing.T, steps ...func(tm *teatest.TestModel)) {
	t.Helper()
	goldenAt(t, 80, 24, steps...)
}

// goldenAt is golden at another terminal size.
func goldenAt(t *testing.T, width, height int, steps ...func(tm *teatest.TestModel)) {
	t.Helper()
	w := newWorld(t)
	w.fill()
	m := w.model(width, height)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(width, height))
	waitText(t, tm, "INC-3")
	for _, s := range steps {
		s(tm)
	}
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	frame := final.View()
	checkFits(t, frame, width, height)
	teatest.RequireEqualOutput(t, []byte(frame))
}

// waitText waits until the program has drawn text.
func waitText(t *testing.T, tm *teatest.TestModel, text string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(string(b), text) },
		teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
}

func keys(tm *teatest.TestModel, ks ...tea.KeyMsg) {
	for _, k := range ks {
		tm.Send(k)
	}
}

func runes(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

var (
	enter = tea.KeyMsg{Type: tea.KeyEnter}
	tab   = tea.KeyMsg{Type: tea.KeyTab}
)

func TestUIGoldenList(t *testing.T) { golden(t) }

func TestUIGoldenCockpitChecklist(t *testing.T) {
	golden(t, func(tm *teatest.TestModel) {
		keys(tm, runes("j"), enter) // INC-1 is the second open one
		waitText(t, tm, "Find what is using the space")
	})
}

func TestUIGoldenCockpitTimeline(t *testing.T) {
	golden(t, func(tm *teatest.TestModel) {
		keys(tm, runes("j"), enter)
		waitText(t, tm, "Find what is using the space")
		keys(tm, tab)
		waitText(t, tm, "following")
	})
}

func TestUIGoldenCockpitRuns(t *testing.T) {
	golden(t, func(tm *teatest.TestModel) {
		keys(tm, runes("j"), enter)
		waitText(t, tm, "Find what is using the space")
		keys(tm, tab, tab)
		waitText(t, tm, "RUN-1   real")
	})
}

func TestUIGoldenStepDetails(t *testing.T) {
	golden(t, func(tm *teatest.TestModel) {
		keys(tm, runes("j"), enter)
		waitText(t, tm, "Find what is using the space")
		keys(tm, enter)
		waitText(t, tm, "lsof")
	})
}

func TestUIGoldenHelp(t *testing.T) {
	golden(t, func(tm *teatest.TestModel) {
		keys(tm, runes("j"), enter)
		waitText(t, tm, "Find what is using the space")
		keys(tm, runes("?"))
		waitText(t, tm, "milestone")
	})
}

func TestUIListFilter(t *testing.T) {
	w := newWorld(t)
	w.fill()
	m := w.model(80, 24)
	start(t, m)
	if n := len(m.list.shown); n != 3 {
		t.Fatalf("list shows %d incidents, want 3", n)
	}
	press(t, m, "/", "d", "r", "i", "l", "l")
	if !m.typing() {
		t.Error("typing into the filter: q would quit")
	}
	if n := len(m.list.shown); n != 1 || m.list.all[m.list.shown[0]].ID != 2 {
		t.Fatalf("filter drill: %d shown, want INC-2 only", n)
	}
	press(t, m, "q") // typed, not quit
	if got := m.list.filter.Value(); got != "drillq" {
		t.Errorf("filter %q, want drillq", got)
	}
	press(t, m, "backspace", "enter")
	if m.typing() {
		t.Error("enter should keep the filter and leave it")
	}
	if !strings.Contains(m.View(), "Game day") || strings.Contains(m.View(), "Checkout") {
		t.Errorf("filtered view:\n%s", m.View())
	}
	press(t, m, "esc")
	if n := len(m.list.shown); n != 3 {
		t.Errorf("esc: %d shown, want 3", n)
	}
}

func TestUIDeclareForm(t *testing.T) {
	w := newWorld(t)
	m := w.model(80, 24)
	start(t, m)
	press(t, m, "n")
	if _, ok := m.overlay.(*form); !ok {
		t.Fatalf("n opened %T, want the declare form", m.overlay)
	}
	press(t, m, "enter") // enter submits from any field; an empty title is refused and the form stays
	if m.overlay == nil || !strings.Contains(m.View(), "title is empty") {
		t.Fatalf("empty title: want the form with the service's error, got:\n%s", m.View())
	}
	// Typing into a prefilled field replaces it: "1" over the severity, "y" over the drill's "n".
	press(t, m, "D", "B", " ", "d", "o", "w", "n", "tab", "1", "tab", "y", "enter")
	if m.overlay != nil {
		t.Fatalf("form still open:\n%s", m.View())
	}
	cp, ok := m.active().(*cockpit)
	if !ok || cp.inc == nil {
		t.Fatalf("declare should open the new incident, active %T", m.active())
	}
	if cp.inc.Title != "DB down" || cp.inc.Severity != incident.SEV1 || !cp.inc.Drill {
		t.Errorf("declared %+v", cp.inc)
	}
}

func TestUINoteAndTick(t *testing.T) {
	w := newWorld(t)
	w.fill()
	m := w.model(80, 24)
	start(t, m)
	press(t, m, "j", "enter")
	cp := m.active().(*cockpit)
	press(t, m, ":")
	press(t, m, strings.Split("rolled back! q?", "")...)
	if cp.inc.Events == 0 || m.overlay == nil {
		t.Fatal("note form not open")
	}
	press(t, m, "enter")
	if m.overlay != nil {
		t.Fatalf("note form still open:\n%s", m.View())
	}
	evs, err := w.db.Events(w.ctx, store.EventQuery{Incident: 1, Limit: 1, Newest: true})
	if err != nil || len(evs) != 1 || evs[0].Text != "rolled back! q?" || evs[0].Actor != "alice" {
		t.Fatalf("last event %+v %v, want alice's note", evs, err)
	}
	if m.halt.Engaged {
		t.Fatal("! typed in a note must not halt")
	}
	// Tick the second step (the first is ticked by bob): space ticks, space again unticks.
	press(t, m, "down", "space")
	inc, _ := w.d.Incidents.Get(w.ctx, 1)
	if st := inc.Checklists[0].Steps[1]; st.State != incident.StepDone || st.By != "alice" {
		t.Fatalf("after space: %+v", st)
	}
	if !strings.Contains(m.View(), "done by alice") {
		t.Errorf("the checklist does not show who ticked:\n%s", m.View())
	}
	press(t, m, "space")
	inc, _ = w.d.Incidents.Get(w.ctx, 1)
	if st := inc.Checklists[0].Steps[1]; st.State != incident.StepOpen {
		t.Fatalf("after a second space: %+v", st)
	}
	// Skip needs a reason: the service's message shows and the form stays.
	press(t, m, "s", "enter")
	if m.overlay == nil || !strings.Contains(m.View(), "reason is empty") {
		t.Fatalf("skip without reason:\n%s", m.View())
	}
	press(t, m, "n", "/", "a", "enter")
	inc, _ = w.d.Incidents.Get(w.ctx, 1)
	if st := inc.Checklists[0].Steps[1]; st.State != incident.StepSkipped || st.Reason != "n/a" {
		t.Fatalf("after skip: %+v", st)
	}
}

func TestUIStatusRules(t *testing.T) {
	w := newWorld(t)
	w.fill()
	m := w.model(80, 24)
	start(t, m)
	press(t, m, "j", "enter")
	// identified → investigating is a step back: it asks first.
	press(t, m, "S")
	p, ok := m.overlay.(*picker)
	if !ok {
		t.Fatalf("S opened %T", m.overlay)
	}
	press(t, m, strings.Split("closed", "")...)
	press(t, m, "enter")
	if _, ok := m.overlay.(*confirm); !ok {
		t.Fatalf("closing should ask first, overlay %T", m.overlay)
	}
	press(t, m, "y")
	if m.overlay != nil || !m.isErr || !strings.Contains(m.status, "retrospective is published") {
		t.Fatalf("closing without a retrospective: status %q (err %v), overlay %T", m.status, m.isErr, m.overlay)
	}
	_ = p
	press(t, m, "V")
	press(t, m, "1", "enter")
	inc, _ := w.d.Incidents.Get(w.ctx, 1)
	if inc.Severity != incident.SEV1 {
		t.Fatalf("severity %s, want SEV1", inc.Severity)
	}
	press(t, m, "R", "tab", "ctrl+u")
	press(t, m, "enter") // Role=commander, Person=alice (default): nothing changes, no error
	if m.overlay != nil {
		t.Fatalf("role form open:\n%s", m.View())
	}
	press(t, m, "R")
	f := m.overlay.(*form)
	f.fields[1].in.SetValue("-")
	press(t, m, "enter", "enter")
	if m.overlay == nil || !strings.Contains(m.View(), "must keep a commander") {
		t.Fatalf("unassigning the commander of an identified incident should be refused:\n%s", m.View())
	}
}

func TestUIApproveFromRunsPane(t *testing.T) {
	w := newWorld(t)
	w.fill()
	m := w.model(80, 24)
	start(t, m)
	press(t, m, "j", "enter")
	if !strings.Contains(m.View(), "RUN-1 waits for approval") {
		t.Fatalf("no waiting banner:\n%s", m.View())
	}
	press(t, m, "tab", "tab", "enter")
	if _, ok := m.overlay.(*confirm); !ok {
		t.Fatalf("enter on a run waiting for approval should ask, overlay %T\n%s", m.overlay, m.View())
	}
	press(t, m, "y")
	as, err := w.db.Approvals(w.ctx, 1)
	if err != nil || len(as) != 1 || as[0].Person != "alice" {
		t.Fatalf("approvals %+v %v", as, err)
	}
}

func TestUIHaltShowsAtOnce(t *testing.T) {
	w := newWorld(t)
	w.fill()
	m := w.model(80, 24)
	start(t, m)
	_, cmd := m.Update(runes("!"))
	if !strings.Contains(m.View(), "HALTED by alice") {
		t.Fatalf("the banner must show before the write returns:\n%s", m.View())
	}
	settle(t, m, cmd)
	sw, err := w.db.Switch(w.ctx, "halt")
	if err != nil || !sw.Engaged || sw.Actor != "alice" {
		t.Fatalf("switch %+v %v", sw, err)
	}
	checkFits(t, m.View(), 80, 24)
}

func TestUIResumeAsksThenReleases(t *testing.T) {
	w := newWorld(t)
	w.fill()
	m := w.model(80, 24)
	start(t, m)
	_, cmd := m.Update(runes("!"))
	settle(t, m, cmd)
	_, cmd = m.Update(tea.KeyMsg{Type: tea.KeyCtrlR})
	if cmd != nil || m.overlay == nil || !strings.Contains(m.View(), "Resume?") {
		t.Fatalf("ctrl+r must ask first:\n%s", m.View())
	}
	if sw, _ := w.db.Switch(w.ctx, "halt"); !sw.Engaged {
		t.Fatal("resumed before the answer")
	}
	_, cmd = m.Update(runes("y"))
	settle(t, m, cmd)
	if sw, err := w.db.Switch(w.ctx, "halt"); err != nil || sw.Engaged {
		t.Fatalf("after y: switch %+v %v", sw, err)
	}
	if strings.Contains(m.View(), "HALTED") {
		t.Fatalf("the banner stays after resume:\n%s", m.View())
	}
}

func TestUIQuitAsksDuringRun(t *testing.T) {
	w := newWorld(t)
	w.fill()
	m := w.model(80, 24)
	start(t, m)
	press(t, m, "j", "enter", "down", "r")
	rs, ok := m.active().(*runScreen)
	if !ok {
		t.Fatalf("r on a script step: active %T", m.active())
	}
	rs.RunScreen.(*fakeRun).active = true
	if _, cmd := m.Update(runes("q")); cmd != nil {
		t.Fatal("q during a run quit without asking")
	}
	if _, ok := m.overlay.(*quitConfirm); !ok {
		t.Fatalf("q during a run: overlay %T", m.overlay)
	}
	press(t, m, "n")
	rs.RunScreen.(*fakeRun).active = false
	press(t, m, "esc")
	if _, ok := m.active().(*cockpit); !ok {
		t.Fatalf("esc on an idle run screen: active %T", m.active())
	}
	if _, cmd := m.Update(runes("q")); cmd == nil {
		t.Fatal("q with no run should quit")
	}
}

func TestUIResizeSmallAndBack(t *testing.T) {
	w := newWorld(t)
	w.fill()
	m := w.model(80, 24)
	start(t, m)
	sizes := [][2]int{{80, 24}, {40, 10}, {20, 5}, {1, 1}, {0, 0}, {40, 10}, {80, 24}, {200, 60}}
	views := []func(){
		func() {},
		func() { press(t, m, "j", "enter") },
		func() { press(t, m, "tab") },
		func() { press(t, m, "tab") },
		func() { press(t, m, "tab", "enter") },
		func() { press(t, m, "esc", "?") },
		func() { press(t, m, ":") },
	}
	for _, v := range views {
		v()
		for _, s := range sizes {
			_, cmd := m.Update(tea.WindowSizeMsg{Width: s[0], Height: s[1]})
			settle(t, m, cmd)
			checkFits(t, m.View(), max(s[0], 0), max(s[1], 0))
		}
	}
}

// The changed screens at 60×20 too: nothing wraps mid-value, columns align.
func TestUIGolden60List(t *testing.T) { goldenAt(t, 60, 20) }

func TestUIGolden60CockpitChecklist(t *testing.T) {
	goldenAt(t, 60, 20, func(tm *teatest.TestModel) {
		keys(tm, runes("j"), enter)
		waitText(t, tm, "Find what is using")
	})
}

func TestUIGolden60CockpitTimeline(t *testing.T) {
	goldenAt(t, 60, 20, func(tm *teatest.TestModel) {
		keys(tm, runes("j"), enter)
		waitText(t, tm, "Find what is using")
		keys(tm, tab)
		waitText(t, tm, "following")
	})
}

func TestUIGolden60StatusPicker(t *testing.T) {
	goldenAt(t, 60, 20, func(tm *teatest.TestModel) {
		keys(tm, runes("j"), enter)
		waitText(t, tm, "Find what is using")
		keys(tm, runes("S"))
		waitText(t, tm, "next")
	})
}
