package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks"
	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/engine"
	"github.com/firebreak/firebreak/ui/deps"
	"github.com/firebreak/firebreak/ui/styles"
)

// fixedNow is the clock of every test: goldens must not change with the time of day.
var fixedNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) {
	// A pinned profile: goldens are plain text whatever terminal runs the tests.
	lipgloss.SetColorProfile(termenv.Ascii)
	lipgloss.SetHasDarkBackground(true)
	os.Exit(m.Run())
}

// testClock is a clock the test moves.
type testClock struct{ t time.Time }

func (c *testClock) now() time.Time { return c.t }

// world is a database with fixed data and the deps the console drives, acting as alice.
type world struct {
	t     *testing.T
	ctx   context.Context
	db    store.Store
	clock *testClock
	d     deps.Deps
	as    func(person string) *incident.Service
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	db, err := engine.Open(ctx, filepath.Join(t.TempDir(), "fb.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := &testClock{t: fixedNow.Add(-2 * time.Hour)}
	as := func(person string) *incident.Service {
		return &incident.Service{DB: db, Actor: incident.Actor{User: person}, Now: clock.now}
	}
	w := &world{t: t, ctx: ctx, db: db, clock: clock, as: as}
	w.d = deps.Deps{
		Incidents: as("alice"),
		DB:        db,
		Actor:     incident.Actor{User: "alice"},
		Library:   func() (*runbooks.Library, error) { return runbooks.LoadLibrary(nil) },
	}
	return w
}

// fill writes the fixed incidents: INC-1 (SEV2, a checklist, notes, a commander, a waiting run),
// INC-2 (a drill), INC-3 (resolved).
func (w *world) fill() {
	t, ctx := w.t, w.ctx
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	alice, bob := w.as("alice"), w.as("bob")
	step := func(d time.Duration) { w.clock.t = w.clock.t.Add(d) }
	inc, err := alice.Declare(ctx, "Checkout latency above 4s in EU", incident.SEV2, false)
	must(err)
	step(time.Minute)
	_, _, err = alice.AssignRole(ctx, inc.ID, incident.Commander, "alice")
	must(err)
	step(time.Minute)
	_, err = bob.Note(ctx, inc.ID, "p99 latency on checkout at 4.2s, error rate 3%")
	must(err)
	step(time.Minute)
	lib, err := runbooks.LoadLibrary(nil)
	must(err)
	rb, err := lib.Get("free-disk")
	must(err)
	cpy := incident.RunbookCopy{ID: rb.ID, Title: rb.Title, Source: rb.Source, Raw: rb.Raw}
	for _, s := range rb.Steps {
		cpy.Steps = append(cpy.Steps, incident.StepRef{ID: s.ID, Title: s.Title, Script: s.IsScript()})
	}
	_, _, err = alice.Attach(ctx, inc.ID, cpy)
	must(err)
	step(time.Minute)
	_, _, err = bob.MarkStep(ctx, inc.ID, "free-disk", rb.Steps[0].ID, incident.Tick, "")
	must(err)
	_, _, err = alice.MarkStep(ctx, inc.ID, "free-disk", rb.Steps[1].ID, incident.Assign, "carol")
	must(err)
	step(time.Minute)
	_, _, err = alice.SetStatus(ctx, inc.ID, incident.Identified)
	must(err)
	step(5 * time.Minute)
	drill, err := bob.Declare(ctx, "Game day: primary database failover", incident.SEV3, true)
	must(err)
	_ = drill
	step(5 * time.Minute)
	old, err := bob.Declare(ctx, "Disk full on web-07", incident.SEV4, false)
	must(err)
	_, _, err = bob.AssignRole(ctx, old.ID, incident.Commander, "bob")
	must(err)
	_, _, err = bob.SetStatus(ctx, old.ID, incident.Resolved)
	must(err)
	must(w.db.Write(ctx, func(tx store.Tx) error {
		_, err := tx.CreateRun(ctx, store.RunRow{Incident: inc.ID, Runbook: "free-disk", Step: rb.Steps[1].ID, Title: rb.Steps[1].Title,
			ScriptHash: "abc", Status: "waiting", WaitingFor: "approval", Stage: 1, Stages: 3, StartedBy: "bob",
			StartedAt: w.clock.t, OwnerPID: os.Getpid()},
			[]store.RunHost{{Host: "web-01", Stage: 1, Position: 0, State: "ok"}, {Host: "web-02", Stage: 2, Position: 1, State: "pending"}})
		return err
	}))
	w.clock.t = fixedNow
}

// model is the console's root model on w, sized w×h, with the pinned styles and Markdown style.
func (w *world) model(width, height int) *Model {
	m := New(w.ctx, w.d, Options{Styles: styles.New(), GlamourStyle: "notty", Now: w.clock.now,
		RunScreen: func(deps.Deps, *styles.Styles, *incident.Incident, RunTarget) RunScreen { return &fakeRun{} }})
	m.Update(tea.WindowSizeMsg{Width: width, Height: height})
	return m
}

// settle runs cmd and every command its messages lead to, synchronously, feeding the messages to m. Commands
// that wait (the change feed, timers) are never started: tests call the loads they need.
func settle(t *testing.T, m *Model, cmd tea.Cmd) {
	t.Helper()
	queue := []tea.Cmd{cmd}
	for n := 0; len(queue) > 0; n++ {
		if n > 1000 {
			t.Fatal("settle: too many messages")
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		msg := c()
		switch msg := msg.(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		default:
			_, next := m.Update(msg)
			queue = append(queue, next)
		}
	}
}

// press sends keys (as typed) to m and settles what they start.
func press(t *testing.T, m *Model, keys ...string) {
	t.Helper()
	for _, k := range keys {
		var msg tea.KeyMsg
		switch k {
		case "enter":
			msg = tea.KeyMsg{Type: tea.KeyEnter}
		case "esc":
			msg = tea.KeyMsg{Type: tea.KeyEsc}
		case "tab":
			msg = tea.KeyMsg{Type: tea.KeyTab}
		case "space":
			msg = tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
		case "up":
			msg = tea.KeyMsg{Type: tea.KeyUp}
		case "down":
			msg = tea.KeyMsg{Type: tea.KeyDown}
		case "backspace":
			msg = tea.KeyMsg{Type: tea.KeyBackspace}
		default:
			msg = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
		}
		_, cmd := m.Update(msg)
		settle(t, m, cmd)
	}
}

// start loads what Init loads, but for the change feed and the clock.
func start(t *testing.T, m *Model) {
	t.Helper()
	settle(t, m, tea.Batch(m.c.loadSwitch(), m.list.Init()))
}

// fakeRun stands in for the run screen in tests.
type fakeRun struct {
	active bool
	w, h   int
}

type fakeRunClosed struct{}

func (f *fakeRun) Init() tea.Cmd { return nil }
func (f *fakeRun) Update(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyMsg); ok && k.Type == tea.KeyEsc && !f.active {
		return func() tea.Msg { return fakeRunClosed{} }
	}
	return nil
}
func (f *fakeRun) View() string              { return "RUN SCREEN" }
func (f *fakeRun) SetSize(w, h int)          { f.w, f.h = w, h }
func (f *fakeRun) ShortHelp() []key.Binding  { return nil }
func (f *fakeRun) FullHelp() [][]key.Binding { return nil }
func (f *fakeRun) Active() bool              { return f.active }
func (f *fakeRun) Closed(msg tea.Msg) bool   { _, ok := msg.(fakeRunClosed); return ok }

// checkFits fails when the frame has more lines than h or a line wider than w.
func checkFits(t *testing.T, frame string, w, h int) {
	t.Helper()
	if frame == "" {
		return
	}
	lines := strings.Split(frame, "\n")
	if len(lines) > h {
		t.Errorf("%d lines, want at most %d", len(lines), h)
	}
	for i, l := range lines {
		if n := lipgloss.Width(l); n > w {
			t.Errorf("line %d is %d wide, want at most %d: %q", i+1, n, w, l)
		}
	}
}
