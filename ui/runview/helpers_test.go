package runview

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks"
	"github.com/firebreak/firebreak/runbooks/inventory"
	"github.com/firebreak/firebreak/runbooks/rollout"
	"github.com/firebreak/firebreak/runbooks/transport"
	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/engine"
	"github.com/firebreak/firebreak/ui/deps"
	"github.com/firebreak/firebreak/ui/styles"
)

const testINI = `[web]
web1 ansible_host=10.0.0.1
web2 ansible_host=10.0.0.2
web3 ansible_host=10.0.0.3

[db]
db1 ansible_host=10.0.1.1
db2 ansible_host=10.0.1.2

[eu]
web3
db2
`

// testRunbookDir holds restart-web, a runbook with one script step, for the picker's step defaults.
const testRunbookDir = "testdata/runbooks"

// env is a database, an incident and deps wired like cmd/firebreak wires them, with an inventory file.
type env struct {
	t   testing.TB
	dir string
	db  store.Store
	svc *incident.Service
	inc *incident.Incident
	d   deps.Deps
	inv string
	// clock is the guards' clock (nil: the real one).
	clock func() time.Time
}

func (e *env) now() time.Time {
	if e.clock != nil {
		return e.clock()
	}
	return time.Now()
}

func newEnv(t testing.TB, sev incident.Severity, invPath string) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := engine.Open(ctx, filepath.Join(dir, "fb.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	svc := &incident.Service{DB: db, Actor: incident.Actor{User: "root", As: "alice"}}
	inc, err := svc.Declare(ctx, "checkout is slow", sev, false)
	if err != nil {
		t.Fatal(err)
	}
	if invPath == "" {
		invPath = filepath.Join(dir, "hosts.ini")
		if err := os.WriteFile(invPath, []byte(testINI), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e := &env{t: t, dir: dir, db: db, svc: svc, inc: inc, inv: invPath}
	loadInv := func([]string) (*inventory.Inventory, error) {
		return inventory.Load([]string{invPath}, inventory.Options{SSHConfig: []string{}, Home: filepath.Dir(invPath)})
	}
	pool := transport.NewPool(transport.Config{ConnectTimeout: 5 * time.Second, AgentSocket: "none"})
	t.Cleanup(func() { pool.Close() })
	e.d = deps.Deps{
		Incidents:  svc,
		DB:         db,
		Actor:      svc.Actor,
		Library:    func() (*runbooks.Library, error) { return runbooks.LoadLibrary([]string{testRunbookDir}) },
		Inventory:  loadInv,
		RunbookDir: filepath.Join(dir, "runbooks"),
		Editor:     "true",
		ResolveRun: func(ctx context.Context, inc *incident.Incident, req rollout.Request) (rollout.Spec, error) {
			rs := rollout.Resolver{Inventory: loadInv, DB: db,
				Defaults: rollout.Defaults{Stages: "1,100%", Concurrency: 10, MaxFail: "0", Timeout: "1m"},
				Runbook: func(id string) (*runbooks.Runbook, error) {
					lib, err := runbooks.LoadLibrary([]string{testRunbookDir})
					if err != nil {
						return nil, err
					}
					return lib.Get(id)
				}}
			return rs.Resolve(ctx, inc, req)
		},
		PreviewRun: func(ctx context.Context, spec rollout.Spec) (*rollout.Preview, error) {
			eng := &rollout.Engine{DB: db, Policy: e.d.Policy, Now: e.now}
			return eng.Preview(ctx, spec)
		},
		NewEngine: func(inc *incident.Incident, watch func(rollout.Update), ask func(context.Context, rollout.Pause) rollout.Choice) (*rollout.Engine, func(), error) {
			return &rollout.Engine{DB: db, Actor: svc.Actor.String(), Transports: pool, LogDir: filepath.Join(dir, "logs"),
				Policy: e.d.Policy, Watch: watch, Ask: ask, Now: e.now}, func() {}, nil
		},
	}
	return e
}

func (e *env) model(target Target) *Model {
	m := New(e.d, styles.New(), e.inc, target)
	m.SetSize(80, 24)
	return m
}

// press makes the key message a terminal would send for s.
func press(s string) tea.KeyMsg {
	switch s {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "shift+tab":
		return tea.KeyMsg{Type: tea.KeyShiftTab}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "space":
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	case "backspace":
		return tea.KeyMsg{Type: tea.KeyBackspace}
	case "ctrl+d":
		return tea.KeyMsg{Type: tea.KeyCtrlD}
	case "ctrl+u":
		return tea.KeyMsg{Type: tea.KeyCtrlU}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

func typeText(m *Model, s string) {
	for _, r := range s {
		m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

// runSync runs a command and everything it batches, synchronously, feeding the messages to the model.
// Commands that wait on a run (the stream, the engine) must not be passed here: use driver.
func runSync(m *Model, cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		for _, c := range b {
			runSync(m, c)
		}
		return
	}
	if msg != nil {
		_, next := m.Update(msg)
		runSync(m, next)
	}
}

// driver runs commands in goroutines as bubbletea does and feeds their messages to the model, on the test's
// goroutine only.
type driver struct {
	t    *testing.T
	m    *Model
	msgs chan tea.Msg
}

func newDriver(t *testing.T, m *Model) *driver {
	return &driver{t: t, m: m, msgs: make(chan tea.Msg, 1024)}
}

func (d *driver) exec(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() { d.msgs <- cmd() }()
}

func (d *driver) key(s string) { _, cmd := d.m.Update(press(s)); d.exec(cmd) }

// until feeds messages until cond holds.
func (d *driver) until(what string, cond func() bool, timeout time.Duration) {
	d.t.Helper()
	deadline := time.After(timeout)
	for !cond() {
		select {
		case msg := <-d.msgs:
			switch msg := msg.(type) {
			case tea.BatchMsg:
				for _, c := range msg {
					d.exec(c)
				}
			case nil:
			default:
				_, cmd := d.m.Update(msg)
				d.exec(cmd)
			}
		case <-deadline:
			d.t.Fatalf("timed out waiting for %s; screen:\n%s", what, d.m.View())
		}
	}
}

// checkFits fails when the view has a line wider than w or more than h lines.
func checkFits(t *testing.T, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) > h {
		t.Errorf("%d lines in a %dx%d view:\n%s", len(lines), w, h, view)
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			t.Errorf("line %d is %d wide in a %dx%d view: %q", i, ansi.StringWidth(l), w, h, ansi.Strip(l))
		}
	}
}
