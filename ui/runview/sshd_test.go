package runview

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks"
	"github.com/firebreak/firebreak/runbooks/rollout"
	"github.com/firebreak/firebreak/runbooks/transport/sshtest"
	"github.com/firebreak/firebreak/store"
)

const touchScript = `if [ "$FIREBREAK_DRY_RUN" = 1 ]; then echo "would touch $FIREBREAK_HOST"; exit 0; fi
echo "touched $FIREBREAK_HOST"
`

// TestRealEngineDryRunThenCanary drives the screen with the messages its commands return, against a real
// engine and real sshd hosts: write an ad-hoc script, dry-run it on one host, then a real run whose canary
// stage pauses for the operator, continue, and save the script as a runbook.
func TestRealEngineDryRunThenCanary(t *testing.T) {
	fleet := sshtest.Start(t, 2)
	e := newEnv(t, incident.SEV3, fleet.Inventory)
	m := e.model(Target{Command: touchScript, AdHoc: true})
	d := newDriver(t, m)
	d.exec(m.Init())
	d.until("the inventory and the script", func() bool { return m.pick.ready && m.script.current() != nil }, 10*time.Second)

	// Dry run on one host.
	d.key("enter")
	typeText(m, "host01")
	d.key("enter")
	d.until("the dry plan", func() bool { return m.phase == phasePlan && !m.plan.loading }, 30*time.Second)
	if m.plan.err != nil {
		t.Fatal(m.plan.err)
	}
	d.key("s")
	d.until("the dry run's end", func() bool { return m.live != nil && m.live.finished }, 60*time.Second)
	if s := m.live.summary; s == nil || s.Status != rollout.StatusSucceeded {
		t.Fatalf("dry run: %+v %v\n%s", s, m.live.err, ansi.Strip(m.View()))
	}
	if v := ansi.Strip(m.View()); !strings.Contains(v, "would touch host01") {
		t.Errorf("dry run output not shown:\n%s", v)
	}

	// Real run: canary host01, then host02.
	d.key("esc")
	m.Update(press("ctrl+u"))
	typeText(m, "host01,host02")
	m.Update(press("ctrl+d"))
	d.key("enter")
	d.until("the real plan", func() bool { return m.phase == phasePlan && !m.plan.loading }, 30*time.Second)
	if v := ansi.Strip(m.View()); !strings.Contains(v, "✓ dry run first") || !strings.Contains(v, "✓ canary") {
		t.Fatalf("guards after the dry run:\n%s", v)
	}
	d.key("s")
	if m.prompt == nil {
		t.Fatal("a real run started without confirmation")
	}
	d.key("y")
	d.until("the canary pause", func() bool { return m.live != nil && m.live.pause != nil }, 60*time.Second)
	if st := m.live.byName["host01"].state; st != rollout.Changed && st != rollout.OK {
		t.Fatalf("canary host01 is %s", st)
	}
	if st := m.live.byName["host02"].state; st != rollout.Pending {
		t.Fatalf("host02 is %s before the operator continued", st)
	}
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "Stage 1/2 done · c continue to stage 2 (1 host)") || !strings.Contains(v, "touched host01") {
		t.Errorf("pause view:\n%s", v)
	}
	d.key("c")
	d.until("the real run's end", func() bool { return m.live.finished }, 60*time.Second)
	if s := m.live.summary; s == nil || s.Status != rollout.StatusSucceeded {
		t.Fatalf("real run: %+v %v\n%s", s, m.live.err, ansi.Strip(m.View()))
	}
	checkFits(t, m.View(), 80, 24)

	// It worked: save it as a runbook.
	d.key("esc")
	d.key("esc")
	if m.phase != phaseScript {
		t.Fatalf("phase %d, want the script", m.phase)
	}
	d.key("W")
	if m.script.save == nil {
		t.Fatalf("no save form: %s", m.msg)
	}
	d.key("enter")
	d.until("the saved runbook", func() bool { return strings.Contains(m.msg, "saved as runbook") }, 10*time.Second)
	path := e.d.RunbookDir + "/fix-inc-1.toml"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := runbooks.Parse(path, data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if st, _ := rb.Step("fix"); st.Script != touchScript {
		t.Errorf("saved script %q", st.Script)
	}
	d.until("the timeline", func() bool { return len(kinds(t, e, incident.KindScriptSavedAsRunbook)) == 1 }, 10*time.Second)
	if n := len(kinds(t, e, KindScriptSaved)); n != 1 {
		t.Errorf("%d script_saved events", n)
	}
}

func kinds(t *testing.T, e *env, kind string) []store.Event {
	evs, err := e.db.Events(context.Background(), store.EventQuery{Incident: e.inc.ID})
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Event
	for _, ev := range evs {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}
