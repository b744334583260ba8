package rollout

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/firebreak/firebreak/runbooks"
	"github.com/firebreak/firebreak/runbooks/inventory"
	"github.com/firebreak/firebreak/runbooks/lint"
	"github.com/firebreak/firebreak/store"
)

// The guard table: Decide over severity × one override (or break glass) × working hours × stage shapes ×
// facts (ShellCheck findings, missing dry runs, halt, low log space) × fresh or stale overrides. The
// expected outcome of every guard is written out below from the SPEC's rules ("Guards"), independent of
// Decide's code.

// decideShape is one way of splitting hosts into stages.
type decideShape struct {
	name   string
	hosts  int
	stages string
	sizes  []int // what the stages must come out as (checked, so the oracle reasons about the right plan)
}

var decideShapes = []decideShape{
	{"one host one stage", 1, "100%", []int{1}},
	{"one stage of 3", 3, "100%", []int{3}},
	{"canary then the rest of 3", 3, "1,100%", []int{1, 2}},
	{"1,25%,100% of 8", 8, "1,25%,100%", []int{1, 2, 5}},
	{"2,100% of 3", 3, "2,100%", []int{2, 1}},
}

// The overrides a case gives: none, each one alone, or break glass.
const (
	ovNone       = "none"
	ovNoCanary   = "NoCanary"
	ovShellCheck = "ShellCheck"
	ovTwoPerson  = "TwoPerson"
	ovOutOfHours = "OutOfHours"
	ovBreakGlass = "BreakGlass"
)

var decideOverrides = []string{ovNone, ovNoCanary, ovShellCheck, ovTwoPerson, ovOutOfHours, ovBreakGlass}

// The reasons given, so the test can tell which one a decision recorded.
const (
	reasonNoCanary   = "reason-no-canary"
	reasonShellCheck = "reason-shellcheck"
	reasonTwoPerson  = "reason-two-person"
	reasonGlass      = "reason-break-glass"
)

type decideCase struct {
	sev        int
	override   string
	inHours    bool
	shape      decideShape
	shellcheck bool // error-level findings present
	dryMissing bool // the first stage lacks a dry run
	halted     bool
	lowLog     bool // the log directory is below runs.log_min_free
	stale      bool // the overrides were given for another plan
}

func (c decideCase) String() string {
	return fmt.Sprintf("SEV%d/%s/inHours=%v/%s/shellcheck=%v/dryMissing=%v/halted=%v/lowLog=%v/stale=%v",
		c.sev, c.override, c.inHours, c.shape.name, c.shellcheck, c.dryMissing, c.halted, c.lowLog, c.stale)
}

// expectation is what the oracle says about a case.
type expectation struct {
	outcomes      map[string]string // guard -> outcome (every guard that must appear, and only those)
	overrideBy    map[string]string // guard -> a text its recorded override must contain
	approveBefore int
	refused       bool // Err() must be non-nil
}

// oracle is the SPEC's guard rules for a real run, stated case by case.
func oracle(c decideCase) expectation {
	// Overrides count only for the plan they were given for; a stale set counts for nothing and is itself
	// a refusal. "No override" given with a stale plan hash is nothing given: nothing to refuse.
	given := c.override != ovNone
	effective := given && !c.stale
	has := func(o string) bool { return effective && c.override == o }
	glass := has(ovBreakGlass)

	x := expectation{outcomes: map[string]string{}, overrideBy: map[string]string{}, approveBefore: -1}
	// decide: the guard holds, or its own override, or break glass, or the fallback.
	decide := func(guard string, holds bool, own bool, ownReason string, fallback string) {
		switch {
		case holds:
			x.outcomes[guard] = Passed
		case own:
			x.outcomes[guard] = Overridden
			x.overrideBy[guard] = ownReason
		case glass:
			x.outcomes[guard] = Overridden
			x.overrideBy[guard] = reasonGlass
		default:
			x.outcomes[guard] = fallback
		}
	}
	if given && c.stale {
		x.outcomes["overrides"] = Refused
	}
	// Off-switch: nothing starts while halted; only break glass goes through.
	decide(GuardOffSwitch, !c.halted, false, "", Refused)
	// ShellCheck: its own override or break glass.
	decide(GuardShellCheck, !c.shellcheck, has(ovShellCheck), reasonShellCheck, Refused)
	// Log space: nothing but break glass.
	decide(GuardLogSpace, !c.lowLog, false, "", Refused)
	// Host keys: never overridden, by anything.
	x.outcomes[GuardHostKeys] = Passed
	// Dry run first: nothing but break glass.
	decide(GuardDryRunFirst, !c.dryMissing, false, "", Refused)
	// Canary: a first stage of one host, else --no-canary or break glass.
	firstStage := c.shape.sizes[0]
	decide(GuardCanary, firstStage == 1, has(ovNoCanary), reasonNoCanary, Refused)
	// Working hours: outside them, a confirmation (or break glass); else the starter is asked.
	decide(GuardHours, c.inHours, has(ovOutOfHours), "", Needs)
	// Two-person: SEV1 and SEV2 only (the policy); nothing follows a lone one-host stage; otherwise the
	// stages after the canary wait for another person, and with no single-host canary first, the first
	// stage itself waits. Only --two-person-override or break glass lifts it; --no-canary never does.
	switch {
	case c.sev != 1 && c.sev != 2:
		x.outcomes[GuardTwoPerson] = NotApplicable
	case len(c.shape.sizes) == 1 && firstStage == 1:
		x.outcomes[GuardTwoPerson] = NotApplicable
	case has(ovTwoPerson):
		x.outcomes[GuardTwoPerson] = Overridden
		x.overrideBy[GuardTwoPerson] = reasonTwoPerson
	case glass:
		x.outcomes[GuardTwoPerson] = Overridden
		x.overrideBy[GuardTwoPerson] = reasonGlass
	default:
		x.outcomes[GuardTwoPerson] = Waits
		if firstStage == 1 {
			x.approveBefore = 1
		} else {
			x.approveBefore = 0
		}
	}
	for _, o := range x.outcomes {
		if o == Refused || o == Needs {
			x.refused = true
		}
	}
	return x
}

func decideHosts(n int) []*inventory.Host {
	hs := make([]*inventory.Host, n)
	for i := range hs {
		hs[i] = &inventory.Host{Name: fmt.Sprintf("web%02d", i+1), Addr: "192.0.2.1", Port: 22}
	}
	return hs
}

// decideInput builds the spec, plan and facts of a case.
func decideInput(t *testing.T, c decideCase, hours *Hours) (Policy, Spec, Plan, Facts) {
	t.Helper()
	st, err := runbooks.ParseStages(c.shape.stages)
	if err != nil {
		t.Fatal(err)
	}
	mf, _ := runbooks.ParseMaxFail("0")
	hosts := decideHosts(c.shape.hosts)
	spec := Spec{Incident: 1, Title: "t", Script: Script{Main: "systemctl restart web"}, Hosts: hosts, Stages: st, MaxFail: mf,
		Concurrency: 2, Timeout: time.Minute}
	switch c.override {
	case ovNoCanary:
		spec.Overrides.NoCanary = reasonNoCanary
	case ovShellCheck:
		spec.Overrides.ShellCheck = reasonShellCheck
	case ovTwoPerson:
		spec.Overrides.TwoPerson = reasonTwoPerson
	case ovOutOfHours:
		spec.Overrides.OutOfHours = true
	case ovBreakGlass:
		spec.Overrides.BreakGlass = reasonGlass
	}
	if err := spec.Bind(); err != nil {
		t.Fatal(err)
	}
	if c.stale {
		spec.Overrides.Plan = strings.Repeat("ab", 32) // the hash of some other plan
	}
	plan, err := MakePlan(hosts, st)
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.Sizes(); fmt.Sprint(got) != fmt.Sprint(c.shape.sizes) {
		t.Fatalf("%s: plan sizes %v, want %v", c.shape.name, got, c.shape.sizes)
	}
	f := Facts{Severity: c.sev}
	// Mon 2026-11-23 10:00 UTC is inside Mon-Fri 09:00-18:00 UTC; Sat 2026-11-21 03:00 UTC is outside.
	f.Now = time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)
	if c.inHours {
		f.Now = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	}
	if c.shellcheck {
		f.ShellCheck = []lint.Finding{{File: "script", Line: 1, Col: 1, Severity: "error", Message: "Couldn't parse this", Code: "SC1073", Fragment: "script"}}
	}
	if c.dryMissing {
		f.DryMissing = []string{hosts[0].Name}
	}
	if c.halted {
		f.Halt = store.Switch{Name: "halt", Engaged: true, Actor: "root as bob", Reason: "wrong cluster", At: f.Now}
	}
	f.LogMinFree, f.LogFree = 1<<20, 1<<30
	if c.lowLog {
		f.LogFree = 1 << 10
	}
	return Policy{TwoPerson: []int{1, 2}, Hours: hours}, spec, plan, f
}

func outcomesOf(v Verdict) map[string]string {
	m := map[string]string{}
	for _, d := range v.Decisions {
		m[d.Guard] = d.Outcome
	}
	return m
}

func TestDecideGuardTable(t *testing.T) {
	hours, err := NewHours("UTC", []string{"mon", "tue", "wed", "thu", "fri"}, "09:00", "18:00", nil)
	if err != nil {
		t.Fatal(err)
	}
	if hours.Within(time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)) || !hours.Within(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)) {
		t.Fatal("the test's clock does not fall where it means to")
	}
	var cases []decideCase
	for sev := 1; sev <= 4; sev++ {
		for _, ov := range decideOverrides {
			for _, in := range []bool{true, false} {
				for _, sh := range decideShapes {
					for _, sc := range []bool{false, true} {
						for _, dm := range []bool{false, true} {
							for _, halt := range []bool{false, true} {
								for _, low := range []bool{false, true} {
									for _, stale := range []bool{false, true} {
										cases = append(cases, decideCase{sev, ov, in, sh, sc, dm, halt, low, stale})
									}
								}
							}
						}
					}
				}
			}
		}
	}
	// baseline[key without the override] is the verdict with no override: the reference that no override
	// may change except for its own guard.
	type key struct {
		sev                                      int
		inHours                                  bool
		shape                                    string
		shellcheck, dryMissing, halt, low, stale bool
	}
	keyOf := func(c decideCase) key {
		return key{c.sev, c.inHours, c.shape.name, c.shellcheck, c.dryMissing, c.halted, c.lowLog, c.stale}
	}
	baseline := map[key]Verdict{}
	ownGuard := map[string]string{ovNoCanary: GuardCanary, ovShellCheck: GuardShellCheck, ovTwoPerson: GuardTwoPerson, ovOutOfHours: GuardHours}

	failures := 0
	for _, c := range cases {
		if failures > 20 {
			t.Fatal("too many failures; stopping")
		}
		policy, spec, plan, f := decideInput(t, c, hours)
		v := Decide(policy, spec, plan, f)
		x := oracle(c)
		fail := func(format string, args ...any) {
			failures++
			t.Errorf("%s: %s\n  decisions: %+v", c, fmt.Sprintf(format, args...), v.Decisions)
		}
		seen := map[string]int{}
		for _, d := range v.Decisions {
			seen[d.Guard]++
		}
		for g, n := range seen {
			if n != 1 {
				fail("guard %s decided %d times", g, n)
			}
			if _, ok := x.outcomes[g]; !ok {
				fail("unexpected decision by %q", g)
			}
		}
		for g, want := range x.outcomes {
			d, ok := v.Decision(g)
			if !ok {
				fail("no decision by %s (want %s)", g, want)
				continue
			}
			if d.Outcome != want {
				fail("%s: %s, want %s", g, d.Outcome, want)
			}
			if want == Overridden {
				if by := x.overrideBy[g]; !strings.Contains(d.Override, by) || d.Override == "" {
					fail("%s overridden with %q, want the reason %q recorded", g, d.Override, by)
				}
			} else if d.Override != "" {
				fail("%s is %s but records the override %q", g, d.Outcome, d.Override)
			}
			if (want == Refused || want == Needs) && d.Fix == "" && g != "overrides" {
				fail("%s says %s without saying how to get past it", g, want)
			}
		}
		if v.ApproveBefore != x.approveBefore {
			fail("ApproveBefore %d, want %d", v.ApproveBefore, x.approveBefore)
		}
		if (v.Err() != nil) != x.refused {
			fail("Err() = %v, want refused=%v", v.Err(), x.refused)
		}
		if err := v.Err(); err != nil && !strings.Contains(err.Error(), "run refused") {
			fail("Err() %q", err)
		}
		// Host keys: nothing overrides them.
		if d, _ := v.Decision(GuardHostKeys); d.Outcome != Passed {
			fail("host-keys is %s", d.Outcome)
		}
		// Overriding the canary never drops the two-person rule.
		if c.override == ovNoCanary && (c.sev == 1 || c.sev == 2) && c.shape.sizes[0] > 1 {
			if d, _ := v.Decision(GuardTwoPerson); d.Outcome != Waits || v.ApproveBefore != 0 {
				fail("--no-canary on SEV%d: two-person %s, ApproveBefore %d; want waits before stage 0", c.sev, d.Outcome, v.ApproveBefore)
			}
		}
		if c.override == ovNone {
			baseline[keyOf(c)] = v
		}
	}
	// No override changes another guard's outcome (cases are built with "none" first for every key).
	for _, c := range cases {
		own, single := ownGuard[c.override]
		if !single && !(c.stale && c.override == ovBreakGlass) {
			continue
		}
		base, ok := baseline[keyOf(c)]
		if !ok {
			t.Fatalf("%s: no baseline", c)
		}
		policy, spec, plan, f := decideInput(t, c, hours)
		v := Decide(policy, spec, plan, f)
		bo, vo := outcomesOf(base), outcomesOf(v)
		for g, o := range bo {
			if !single {
				break
			}
			if g == own {
				continue
			}
			if vo[g] != o && !(c.stale && g == "overrides") {
				t.Errorf("%s: the %s override changed %s from %s to %s", c, c.override, g, o, vo[g])
			}
		}
		if single && own != GuardTwoPerson && v.ApproveBefore != base.ApproveBefore {
			t.Errorf("%s: the %s override moved the approval from stage %d to %d", c, c.override, base.ApproveBefore, v.ApproveBefore)
		}
		if c.stale {
			// A stale override counts for nothing: every guard decides as with no override at all.
			for g, o := range bo {
				if vo[g] != o {
					t.Errorf("%s: a stale %s override changed %s from %s to %s", c, c.override, g, o, vo[g])
				}
			}
			if v.ApproveBefore != base.ApproveBefore {
				t.Errorf("%s: a stale override moved the approval", c)
			}
		}
	}
	t.Logf("guard table: %d cases", len(cases))
}

// TestDecideResume: a resume whose canary came through is all "after the canary": the two-person rule
// waits before its first stage, even when that stage (or the whole rest) is one host; a resume whose canary
// never finished starts with a canary again.
func TestDecideResume(t *testing.T) {
	hosts := decideHosts(3)
	for _, c := range []struct {
		name       string
		hosts      int
		stages     []int // each host's stage in the earlier run
		canaryDone bool
		want       string
		before     int
	}{
		{"one host left after the canary", 1, []int{2}, true, Waits, 0},
		{"one host then more after the canary", 3, []int{2, 3, 3}, true, Waits, 0},
		{"two hosts left in one stage", 2, []int{2, 2}, true, Waits, 0},
		{"the canary never finished", 3, []int{1, 2, 2}, false, Waits, 1},
		{"only the unfinished canary left", 1, []int{1}, false, NotApplicable, -1},
	} {
		t.Run(c.name, func(t *testing.T) {
			spec := Spec{Script: Script{Main: "true"}, Hosts: hosts[:c.hosts],
				Again: &Again{Run: 1, Verb: "resume", Stages: c.stages, CanaryDone: c.canaryDone}}
			plan, err := PlanOf(spec)
			if err != nil {
				t.Fatal(err)
			}
			v := Decide(Policy{TwoPerson: []int{1, 2}}, spec, plan, Facts{Severity: 2, Now: time.Now()})
			d, _ := v.Decision(GuardTwoPerson)
			if d.Outcome != c.want || v.ApproveBefore != c.before {
				t.Errorf("two-person %s, approval before stage %d; want %s before %d (%s)", d.Outcome, v.ApproveBefore, c.want, c.before, d.Detail)
			}
			if cd, _ := v.Decision(GuardCanary); cd.Outcome != Passed && c.canaryDone {
				t.Errorf("a resume whose canary came through: canary %s (%s)", cd.Outcome, cd.Detail)
			}
		})
	}
}

// TestDecideSummarisesMissingDryRuns: a first stage of 5,000 hosts without a dry run is refused with a
// message that names them as a range, and the refusal's data lists every one.
func TestDecideSummarisesMissingDryRuns(t *testing.T) {
	hosts := make([]*inventory.Host, 5000)
	var missing []string
	for i := range hosts {
		hosts[i] = &inventory.Host{Name: fmt.Sprintf("host%05d", i+1), Addr: "192.0.2.1", Port: 22}
		missing = append(missing, hosts[i].Name)
	}
	st, _ := runbooks.ParseStages("100%")
	spec := Spec{Script: Script{Main: "true"}, Hosts: hosts, Stages: st, Overrides: Overrides{NoCanary: "a fleet at once"}}
	plan, err := MakePlan(hosts, st)
	if err != nil {
		t.Fatal(err)
	}
	v := Decide(Policy{}, spec, plan, Facts{Severity: 3, Now: time.Now(), DryMissing: missing})
	var got *Refusal
	for _, r := range v.Refusals() {
		if r.Guard == GuardDryRunFirst {
			got = &r
		}
	}
	if got == nil {
		t.Fatalf("no dry-run-first refusal in %+v", v.Refusals())
	}
	if !strings.HasSuffix(got.Message, "on host00001–host05000, 5,000 hosts") || len(got.Message) > 200 {
		t.Errorf("message %q", got.Message)
	}
	if len(got.Hosts) != 5000 || got.Hosts[4999] != "host05000" {
		t.Errorf("the refusal lists %d hosts, want all 5,000", len(got.Hosts))
	}
}
