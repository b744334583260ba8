package retroview

import (
	"context"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/incident/retro"
	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/engine"
	"github.com/firebreak/firebreak/ui/deps"
	"github.com/firebreak/firebreak/ui/styles"
)

// epoch is the fixed clock of the tests.
var epoch = time.Date(2025, 3, 14, 9, 26, 0, 0, time.UTC)

// clock is a fake clock that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a database with one incident, declared by alice with bob on it.
type env struct {
	t     testing.TB
	path  string
	db    store.Store
	clock *clock
	inc   *incident.Incident
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "fb.db")
	db, err := engine.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := &clock{t: epoch}
	e := &env{t: t, path: path, db: db, clock: c}
	alice := e.service("alice")
	inc, err := alice.Declare(ctx, "checkout is slow", incident.SEV2, false)
	if err != nil {
		t.Fatal(err)
	}
	c.add(2 * time.Minute)
	if _, _, err := alice.AssignRole(ctx, inc.ID, incident.Operations, "bob"); err != nil {
		t.Fatal(err)
	}
	c.add(time.Minute)
	if _, err := e.service("bob").Note(ctx, inc.ID, "p99 latency is back to normal after the cache flush"); err != nil {
		t.Fatal(err)
	}
	e.inc = inc
	return e
}

// service is the incident service of one person on the shared database and clock.
func (e *env) service(person string) *incident.Service {
	return &incident.Service{DB: e.db, Actor: incident.Actor{User: "ops", As: person}, Now: e.clock.Now}
}

func (e *env) deps(person string) deps.Deps {
	svc := e.service(person)
	return deps.Deps{Incidents: svc, DB: e.db, Actor: svc.Actor}
}

// load reads the retrospective as it is in the database.
func (e *env) load() *retro.Retro {
	e.t.Helper()
	r, err := (&retro.Service{Incidents: e.service("reader")}).Load(context.Background(), e.inc.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func (e *env) section(slug string) retro.SectionText {
	e.t.Helper()
	s, ok := e.load().Section(slug)
	if !ok {
		e.t.Fatalf("no section %s", slug)
	}
	return *s
}

// timer is a tea.Tick of the fake clock, due at a time.
type timer struct {
	at  time.Time
	msg tea.Msg
}

// driver runs a Model the way bubbletea would, synchronously: commands run at once, their messages go to
// Update, and timers wait for the fake clock.
type driver struct {
	t      testing.TB
	m      *Model
	clock  *clock
	timers []timer
}

func newDriver(t testing.TB, e *env, person string, w, h int) *driver {
	t.Helper()
	m := New(e.deps(person), styles.New(), e.inc)
	dr := &driver{t: t, m: m, clock: e.clock}
	m.now = e.clock.Now
	m.after = func(d time.Duration, msg tea.Msg) tea.Cmd {
		at := e.clock.Now().Add(d)
		return func() tea.Msg { return timer{at: at, msg: msg} }
	}
	m.SetSize(w, h)
	dr.run(m.Init())
	return dr
}

func (dr *driver) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	dr.deliver(cmd())
}

func (dr *driver) deliver(msg tea.Msg) {
	switch msg := msg.(type) {
	case nil:
		return
	case tea.BatchMsg:
		for _, c := range msg {
			dr.run(c)
		}
		return
	case timer:
		dr.timers = append(dr.timers, msg)
		return
	}
	if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeOf(tea.Cmd(nil)) {
		for i := range v.Len() { // tea.Sequence
			dr.run(v.Index(i).Interface().(tea.Cmd))
		}
		return
	}
	_, cmd := dr.m.Update(msg)
	dr.run(cmd)
	dr.checkView()
}

// advance moves the clock and fires the timers that fall due, in order.
func (dr *driver) advance(d time.Duration) {
	end := dr.clock.Now().Add(d)
	for {
		sort.SliceStable(dr.timers, func(i, j int) bool { return dr.timers[i].at.Before(dr.timers[j].at) })
		if len(dr.timers) == 0 || dr.timers[0].at.After(end) {
			break
		}
		t := dr.timers[0]
		dr.timers = dr.timers[1:]
		if now := dr.clock.Now(); t.at.After(now) {
			dr.clock.add(t.at.Sub(now))
		}
		dr.deliver(t.msg)
	}
	if now := dr.clock.Now(); end.After(now) {
		dr.clock.add(end.Sub(now))
	}
}

// keys sends keys: "enter", "esc", "tab", "ctrl+s", "up", "down", "space", "backspace", else runes.
func (dr *driver) keys(ks ...string) {
	for _, k := range ks {
		dr.deliver(keyMsg(k))
	}
}

// typeText types s one rune at a time, each after gap on the clock.
func (dr *driver) typeText(s string, gap time.Duration) {
	for _, r := range s {
		dr.advance(gap)
		if r == '\n' {
			dr.keys("enter")
			continue
		}
		dr.deliver(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

func keyMsg(k string) tea.KeyMsg {
	switch k {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "ctrl+s":
		return tea.KeyMsg{Type: tea.KeyCtrlS}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "space":
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	case "backspace":
		return tea.KeyMsg{Type: tea.KeyBackspace}
	case "ctrl+u":
		return tea.KeyMsg{Type: tea.KeyCtrlU}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// checkView fails when the view has a line wider than the screen or more lines than it.
func (dr *driver) checkView() {
	dr.t.Helper()
	checkFits(dr.t, dr.m.View(), dr.m.w, dr.m.h)
}

func checkFits(t testing.TB, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) > h {
		t.Fatalf("%d lines in a %d-line screen:\n%s", len(lines), h, view)
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n > w {
			t.Fatalf("line %d is %d cells wide in a %d-cell screen: %q", i+1, n, w, l)
		}
	}
}

// plain is the view without styles.
func (dr *driver) plain() string { return ansi.Strip(dr.m.View()) }

// open moves the cursor to a section and opens its editor.
func (dr *driver) open(slug string) {
	dr.t.Helper()
	for i, s := range dr.m.retro.Sections {
		if s.Slug == slug {
			dr.m.cursor = i
			dr.keys("enter")
			if dr.m.mode != modeEditor || dr.m.ed.slug != slug {
				dr.t.Fatalf("enter on %s did not open its editor", slug)
			}
			return
		}
	}
	dr.t.Fatalf("no section %s", slug)
}
