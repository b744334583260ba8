package runview

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks/rollout"
)

// planFor takes an ad-hoc script through the picker to the plan preview.
func planFor(t *testing.T, e *env, pattern string, real bool) *Model {
	t.Helper()
	m := e.model(Target{Command: "echo hi", AdHoc: true})
	runSync(m, m.Init())
	m.Update(press("enter"))
	typeText(m, pattern)
	if real {
		m.Update(press("ctrl+d"))
	}
	_, cmd := m.Update(press("enter"))
	runSync(m, cmd)
	if m.phase != phasePlan || m.plan.loading {
		t.Fatalf("not in the plan: phase %d, msg %q", m.phase, m.msg)
	}
	return m
}

func outOfHours(t *testing.T, e *env) time.Time {
	h, err := rollout.NewHours("UTC", []string{"mon", "tue", "wed", "thu", "fri"}, "09:00", "17:00", nil)
	if err != nil {
		t.Fatal(err)
	}
	e.d.Policy = rollout.Policy{TwoPerson: []int{1, 2}, Hours: h}
	now := time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC) // a Sunday, 03:00
	e.clock = func() time.Time { return now }
	return now
}

func TestPlanListsGuardsOfADryRun(t *testing.T) {
	e := newEnv(t, incident.SEV2, "")
	m := planFor(t, e, "web", false)
	v := ansi.Strip(m.View())
	for _, want := range []string{"DRY RUN", "on 3 hosts in 2 stages", "stage 1  1 host  web1", "stage 2  2 hosts  web2, web3",
		"✓ shellcheck", "- dry run first", "only its check runs", "- canary", "applies to real runs only"} {
		if !strings.Contains(v, want) {
			t.Errorf("plan lacks %q:\n%s", want, v)
		}
	}
}

func TestPlanRealRunOutOfHoursNeedsTypedID(t *testing.T) {
	e := newEnv(t, incident.SEV2, "")
	now := outOfHours(t, e)
	m := e.model(Target{Command: "echo hi", AdHoc: true})
	m.now = func() time.Time { return now }
	runSync(m, m.Init())
	m.Update(press("enter"))
	typeText(m, "web")
	m.Update(press("ctrl+d"))
	_, cmd := m.Update(press("enter"))
	runSync(m, cmd)
	v := ansi.Strip(m.View())
	for _, want := range []string{"REAL RUN", "✗ dry run first", "no successful dry run of this script", "on web1",
		"✓ canary", "the first stage is one host: web1", "! working hours", "Sun 03:00 UTC is outside working hours",
		"starting asks you to type INC-1", "• two-person", "SEV2: stage 2 and after wait for another person's approval"} {
		if !strings.Contains(v, want) {
			t.Errorf("plan lacks %q:\n%s", want, v)
		}
	}
	// Starting asks for the typed incident id; y is not enough, a wrong id is refused.
	m.Update(press("s"))
	if m.prompt == nil || m.prompt.kind != promptTyped || !m.InputFocused() {
		t.Fatalf("no typed prompt: %+v", m.prompt)
	}
	typeText(m, "y")
	m.Update(press("enter"))
	if m.prompt == nil || !strings.Contains(ansi.Strip(m.View()), "that is not INC-1") {
		t.Fatalf("a wrong confirmation was accepted:\n%s", ansi.Strip(m.View()))
	}
	m.Update(press("ctrl+u"))
	typeText(m, "inc-1")
	d := newDriver(t, m)
	d.key("enter")
	if m.live == nil || !m.live.spec.Overrides.OutOfHours || m.live.spec.Overrides.Plan != m.plan.verdict.PlanHash {
		t.Fatalf("the typed confirmation did not reach the run's spec, bound to its plan")
	}
	if m.plan.overrides.OutOfHours {
		t.Fatalf("the typed confirmation was kept for later runs: it is for this one only")
	}
	// The engine refuses it (no dry run yet): the screen goes back to the plan with the refusal and its fix.
	d.until("the refusal", func() bool { return m.phase == phasePlan && len(m.plan.refusals) > 0 }, 30*time.Second)
	v = ansi.Strip(m.View())
	for _, want := range []string{"Refused:", "✗ dry-run-first", "fix: d switches to a dry run"} {
		if !strings.Contains(v, want) {
			t.Errorf("refusal view lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "working-hours") {
		t.Errorf("the typed confirmation did not reach the engine:\n%s", v)
	}
}

func TestPlanRealRunInHoursAsksYesNo(t *testing.T) {
	e := newEnv(t, incident.SEV3, "")
	m := planFor(t, e, "web", true)
	m.Update(press("s"))
	if m.prompt == nil || m.prompt.kind != promptConfirm {
		t.Fatalf("a real run did not ask for confirmation")
	}
	if v := ansi.Strip(m.View()); !strings.Contains(v, "Start a REAL run of ad-hoc script v1") || !strings.Contains(v, "y/n") {
		t.Errorf("confirmation:\n%s", v)
	}
	m.Update(press("n"))
	if m.prompt != nil || m.live != nil {
		t.Fatalf("n did not cancel")
	}
}

func TestPlanBreakGlassAsksReason(t *testing.T) {
	e := newEnv(t, incident.SEV1, "")
	outOfHours(t, e)
	m := planFor(t, e, "web", true)
	m.Update(press("g"))
	if m.prompt == nil || m.prompt.kind != promptReason {
		t.Fatal("g did not ask for a reason")
	}
	m.Update(press("enter"))
	if m.prompt == nil || !strings.Contains(ansi.Strip(m.View()), "a reason is needed") {
		t.Fatal("an empty reason was accepted")
	}
	typeText(m, "checkout down, db on fire")
	_, cmd := m.Update(press("enter"))
	runSync(m, cmd)
	v := ansi.Strip(m.View())
	for _, want := range []string{"BREAK GLASS: checkout down, db on fire", "overridden by break glass"} {
		if !strings.Contains(v, want) {
			t.Errorf("plan lacks %q:\n%s", want, v)
		}
	}
	if m.plan.spec.Overrides.BreakGlass != "checkout down, db on fire" {
		t.Errorf("spec overrides %+v", m.plan.spec.Overrides)
	}
	m.Update(press("s"))
	for _, sz := range [][2]int{{80, 24}, {40, 10}, {10, 3}, {80, 24}} {
		m.SetSize(sz[0], sz[1])
		checkFits(t, m.View(), sz[0], sz[1])
	}
}

func TestPlanShowsResolveErrors(t *testing.T) {
	e := newEnv(t, incident.SEV3, "")
	m := e.model(Target{Command: "echo hi", AdHoc: true})
	runSync(m, m.Init())
	m.Update(press("enter"))
	typeText(m, "web")
	for range 3 {
		m.Update(press("tab")) // hosts, stages
	}
	m.Update(press("shift+tab"))
	typeText(m, "0,x")
	_, cmd := m.Update(press("enter"))
	runSync(m, cmd)
	if m.plan.err == nil || !strings.Contains(ansi.Strip(m.View()), "esc: back to the hosts") {
		t.Fatalf("bad stages not shown: %v\n%s", m.plan.err, ansi.Strip(m.View()))
	}
	checkFits(t, m.View(), 80, 24)
}

// TestPlanOverridesAreForOnePlan: break glass given for script v1 is not carried over to v2 (a new plan):
// the preview says so and shows the guards again, and the out-of-hours confirmation of one start is never
// kept for the next.
func TestPlanOverridesAreForOnePlan(t *testing.T) {
	e := newEnv(t, incident.SEV1, "")
	outOfHours(t, e)
	m := planFor(t, e, "web", true)
	m.Update(press("g"))
	typeText(m, "db on fire")
	_, cmd := m.Update(press("enter"))
	runSync(m, cmd)
	if d, _ := m.plan.verdict.Decision(rollout.GuardDryRunFirst); d.Outcome != rollout.Overridden {
		t.Fatalf("break glass for v1 did not override dry-run-first: %+v", d)
	}
	// A new version of the script: a new plan (the picker starts fresh, so the hosts are chosen again).
	runSync(m, m.newVersion("echo v2"))
	m.phase = phasePick
	typeText(m, "web")
	m.Update(press("ctrl+d"))
	_, cmd = m.Update(press("enter"))
	runSync(m, cmd)
	v := ansi.Strip(m.View())
	if m.plan.overrides.Any() || strings.Contains(v, "BREAK GLASS") || !strings.Contains(v, "the plan changed") {
		t.Fatalf("break glass given for v1 still applies to v2 (%+v):\n%s", m.plan.overrides, v)
	}
	if d, _ := m.plan.verdict.Decision(rollout.GuardDryRunFirst); d.Outcome != rollout.Refused {
		t.Fatalf("v2 without a dry run: dry-run-first %s", d.Outcome)
	}
	if d, _ := m.plan.verdict.Decision(rollout.GuardHours); d.Outcome != rollout.Needs {
		t.Fatalf("v2 outside working hours: %s (the confirmation is asked again)", d.Outcome)
	}
}
