package rollout

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/firebreak/firebreak/incident"
)

// TestPreviewAndRunDecideAlike asks the console's preview (Engine.Preview) and the engine's start
// (Engine.Run, which decides again inside the transaction that creates the run) about the same specs
// against a real store, and compares what they decided: the refusals, every guard's decision, the plan
// hash and the stage that waits for an approval.
func TestPreviewAndRunDecideAlike(t *testing.T) {
	f := newFixture(t, 3, 1) // SEV1: the two-person rule applies
	ctx := context.Background()
	e := f.engine("root as alice")
	e.Policy.TwoPerson = []int{1, 2}
	hours, err := NewHours("UTC", []string{"mon", "tue", "wed", "thu", "fri"}, "09:00", "18:00", nil)
	if err != nil {
		t.Fatal(err)
	}
	e.Policy.Hours = hours
	inside := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) // Monday 10:00
	outside := time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC) // Saturday 03:00
	e.Now = func() time.Time { return inside }

	script := Script{Main: `[ "$FIREBREAK_DRY_RUN" = 1 ] && exit 0; echo "$FIREBREAK_HOST" >> "$OUT/ran"`}
	bound := func(s Spec) Spec {
		if err := s.Bind(); err != nil {
			t.Fatal(err)
		}
		return s
	}

	// compare previews spec, runs it, and checks both decided the same. It returns the run's summary (nil
	// when refused).
	compare := func(name string, spec Spec, wantRefused []string) *Summary {
		t.Helper()
		pv, err := e.Preview(ctx, spec)
		if err != nil {
			t.Fatalf("%s: preview: %v", name, err)
		}
		refusedBefore := len(f.events(incident.KindRunRefused))
		sum, err := e.Run(ctx, spec)
		var ge *GuardError
		if errors.As(err, &ge) != (len(pv.Verdict.Refusals()) > 0) {
			t.Fatalf("%s: preview refusals %+v, run error %v", name, pv.Verdict.Refusals(), err)
		}
		var got []string
		for _, r := range pv.Verdict.Refusals() {
			got = append(got, r.Guard)
		}
		if strings.Join(got, ",") != strings.Join(wantRefused, ",") {
			t.Errorf("%s: preview refused by %v, want %v", name, got, wantRefused)
		}
		if ge != nil {
			if !reflect.DeepEqual(ge.Refusals, pv.Verdict.Refusals()) {
				t.Errorf("%s: refusals differ\npreview: %+v\nrun:     %+v", name, pv.Verdict.Refusals(), ge.Refusals)
			}
			evs := f.events(incident.KindRunRefused)
			if len(evs) != refusedBefore+1 {
				t.Fatalf("%s: %d run_refused events, want %d", name, len(evs), refusedBefore+1)
			}
			var data struct {
				PlanHash string     `json:"plan_hash"`
				Guards   []Decision `json:"guards"`
			}
			if err := json.Unmarshal(evs[len(evs)-1].Data, &data); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(data.Guards, pv.Verdict.Decisions) || data.PlanHash != pv.Verdict.PlanHash {
				t.Errorf("%s: decisions differ\npreview: %+v\nrun:     %+v", name, pv.Verdict.Decisions, data.Guards)
			}
			return nil
		}
		if err != nil {
			t.Fatalf("%s: run: %v", name, err)
		}
		row, err := f.db.Run(ctx, sum.Run)
		if err != nil {
			t.Fatal(err)
		}
		var pr planRecord
		if err := json.Unmarshal(row.Plan, &pr); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(pr.Guards, pv.Verdict.Decisions) || pr.PlanHash != pv.Verdict.PlanHash || pr.ApproveBefore != pv.Verdict.ApproveBefore {
			t.Errorf("%s: decisions differ\npreview: %+v (approve before %d)\nrun:     %+v (approve before %d)", name,
				pv.Verdict.Decisions, pv.Verdict.ApproveBefore, pr.Guards, pr.ApproveBefore)
		}
		return sum
	}

	// No dry run yet: a real run is refused by dry-run-first; without a canary, by the canary too.
	compare("no dry run", f.spec(script, false, "1,100%"), []string{GuardDryRunFirst})
	compare("no dry run, no canary", f.spec(script, false, "3"), []string{GuardDryRunFirst, GuardCanary})
	// ShellCheck errors refuse even a dry run.
	compare("shellcheck", f.spec(Script{Main: "if [ -f x ]; then echo y"}, true, "1"), []string{GuardShellCheck})
	// Overrides given for another plan count for nothing, and are refused themselves.
	stale := bound(f.spec(script, false, "3"))
	stale.Overrides.NoCanary = "given for another plan"
	stale.Overrides.Plan = strings.Repeat("0", 64)
	compare("stale overrides", stale, []string{"overrides", GuardDryRunFirst, GuardCanary})
	// Halted: nothing starts.
	if _, err := Halt(ctx, f.db, "root as bob", "wrong cluster", nil); err != nil {
		t.Fatal(err)
	}
	compare("halted", f.spec(script, true, "1"), []string{GuardOffSwitch})
	if _, err := Resume(ctx, f.db, "root as bob", "fixed", nil); err != nil {
		t.Fatal(err)
	}
	// The dry run of the whole fleet, which runs (both say yes).
	if sum := compare("dry run", f.spec(script, true, "100%"), nil); sum == nil || sum.Status != StatusSucceeded {
		t.Fatalf("dry run: %+v", sum)
	}
	// Outside working hours, unconfirmed: the starter is asked (needs), which refuses a run without it.
	e.Now = func() time.Time { return outside }
	compare("out of hours", f.spec(script, false, "1,100%"), []string{GuardHours})
	// Confirmed, no canary, two-person overridden: every guard says yes, with the overrides recorded.
	wide := f.spec(script, false, "3")
	wide.Overrides = Overrides{OutOfHours: true, NoCanary: "one cluster", TwoPerson: "the approver is asleep and the site is down"}
	if sum := compare("wide, overridden", bound(wide), nil); sum == nil || sum.Status != StatusSucceeded {
		t.Fatalf("wide run: %+v", sum)
	}
	e.Now = func() time.Time { return inside }

	// Runs that wait for an approval: both must say which stage waits. The run is stopped once it waits.
	for _, c := range []struct {
		name   string
		stages string
		nc     string
		before int
	}{
		{"canary then approval", "1,100%", "", 1},
		{"no canary: approval before the first stage", "3", "one cluster", 0},
	} {
		spec := f.spec(script, false, c.stages)
		spec.Overrides.NoCanary = c.nc
		spec = bound(spec)
		pv, err := e.Preview(ctx, spec)
		if err != nil {
			t.Fatal(err)
		}
		if pv.Verdict.ApproveBefore != c.before || pv.Verdict.Err() != nil {
			t.Fatalf("%s: preview approve before %d (%v), want %d", c.name, pv.Verdict.ApproveBefore, pv.Verdict.Err(), c.before)
		}
		ranBefore := ranLines(f)
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { _, err := e.Run(rctx, spec); done <- err }()
		run := waitWaiting(t, f.db)
		row, err := f.db.Run(ctx, run)
		if err != nil {
			t.Fatal(err)
		}
		var pr planRecord
		json.Unmarshal(row.Plan, &pr)
		if pr.ApproveBefore != pv.Verdict.ApproveBefore || !reflect.DeepEqual(pr.Guards, pv.Verdict.Decisions) {
			t.Errorf("%s: run decided approve before %d %+v, preview %d %+v", c.name, pr.ApproveBefore, pr.Guards,
				pv.Verdict.ApproveBefore, pv.Verdict.Decisions)
		}
		if row.Stage != c.before {
			t.Errorf("%s: the run waits at stage %d, want after %d stages", c.name, row.Stage, c.before)
		}
		if got := ranLines(f) - ranBefore; got != c.before {
			t.Errorf("%s: %d hosts ran before the approval, want %d", c.name, got, c.before)
		}
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: the run did not stop when its context ended", c.name)
		}
	}
}

// ranLines counts the hosts the real runs of the test's script reached so far.
func ranLines(f *fixture) int {
	b, _ := os.ReadFile(filepath.Join(f.dir, "ran"))
	return strings.Count(string(b), "\n")
}
