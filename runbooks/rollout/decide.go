package rollout

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/firebreak/firebreak/runbooks/inventory"
	"github.com/firebreak/firebreak/runbooks/lint"
	"github.com/firebreak/firebreak/runbooks/output"
	"github.com/firebreak/firebreak/store"
)

// The guards, by the names decisions, refusals and the timeline use.
const (
	GuardOffSwitch   = "off-switch"
	GuardShellCheck  = "shellcheck"
	GuardDryRunFirst = "dry-run-first"
	GuardCanary      = "canary"
	GuardHours       = "working-hours"
	GuardTwoPerson   = "two-person"
	GuardLogSpace    = "log-space"
	GuardHostKeys    = "host-keys"
)

// The outcomes of a guard for a run.
const (
	// Passed: the guard holds and asks nothing.
	Passed = "passed"
	// Needs: the run needs something from the person starting it before it may start (a typed
	// confirmation outside working hours). Starting without it is refused.
	Needs = "needs"
	// Waits: the run starts, and waits at a stage for something from another person (an approval).
	Waits = "waits"
	// Overridden: the guard would have said no; an override for exactly this guard (or break glass) was
	// given, and is recorded.
	Overridden = "overridden"
	// Refused: the guard says no.
	Refused = "refused"
	// NotApplicable: the guard does not concern this run (a dry run, a policy that does not cover it).
	NotApplicable = "not applicable"
)

// Decision is what one guard decided about a run, for the preview, the refusal and the record.
type Decision struct {
	Guard    string `json:"guard"`
	Outcome  string `json:"outcome"`
	Detail   string `json:"detail,omitempty"`
	Override string `json:"override,omitempty"` // the recorded reason when overridden
	Fix      string `json:"fix,omitempty"`      // how to get past a refusal or a need, in the command line's terms
	// Hosts are every host the decision is about (the detail names a few of thousands): for --json and
	// the events' data.
	Hosts []string `json:"hosts,omitempty"`
}

// Facts are what the guards look at besides the spec: read from the database (inside the transaction that
// creates the run, when the engine decides) and from the clock.
type Facts struct {
	Severity   int
	Halt       store.Switch
	ShellCheck []lint.Finding // error-level findings in the script's fragments
	// DryMissing are the first stage's hosts without a successful dry run of the same script in the
	// incident.
	DryMissing []string
	// LogFree is the free space of the log directory in bytes, and LogMinFree the configured minimum
	// (0: not checked).
	LogFree, LogMinFree uint64
	Now                 time.Time
}

// Verdict is every guard's decision about one plan, and what follows from them.
type Verdict struct {
	Decisions []Decision
	// ApproveBefore is the stage (0-based) that waits for another person's approval before it starts; -1
	// when none does.
	ApproveBefore int
	// PlanHash is the hash of the plan these decisions are about (see PlanHash).
	PlanHash string
}

// Refusals are the decisions that keep the run from starting: refused, and needs nobody answered.
func (v Verdict) Refusals() []Refusal {
	var out []Refusal
	for _, d := range v.Decisions {
		if d.Outcome == Refused || d.Outcome == Needs {
			out = append(out, Refusal{Guard: d.Guard, Message: d.Detail, Fix: d.Fix, Hosts: d.Hosts})
		}
	}
	return out
}

// Err is a *GuardError listing the refusals, or nil when the run may start.
func (v Verdict) Err() error {
	if rs := v.Refusals(); len(rs) > 0 {
		return &GuardError{Refusals: rs}
	}
	return nil
}

// Decision returns the named guard's decision.
func (v Verdict) Decision(guard string) (Decision, bool) {
	for _, d := range v.Decisions {
		if d.Guard == guard {
			return d, true
		}
	}
	return Decision{}, false
}

// Decide is every guard rule of a run, in one place: the console's preview, `firebreak run` and the engine
// (inside the transaction that creates the run) all ask it. Each override names one guard and never
// implies another; break glass overrides every guard but host keys. Overrides given for another plan
// (Overrides.Plan differs from this plan's hash) count for nothing.
func Decide(policy Policy, spec Spec, plan Plan, f Facts) Verdict {
	v := Verdict{ApproveBefore: -1, PlanHash: PlanHash(spec, plan)}
	o := spec.Overrides
	stale := o.Any() && o.Plan != v.PlanHash
	if stale {
		o = Overrides{}
	}
	glass := o.BreakGlass
	add := func(d Decision) { v.Decisions = append(v.Decisions, d) }
	// guard decides one guard: ok holds; else its own override, then break glass, then the fallback
	// outcome (refused, or needs when a person can answer it at the start).
	guard := func(name string, ok bool, detail, own, fix, fallback string) {
		d := Decision{Guard: name, Outcome: Passed, Detail: detail}
		switch {
		case ok:
		case own != "":
			d.Outcome, d.Override = Overridden, own
		case glass != "":
			d.Outcome, d.Override = Overridden, "break glass: "+glass
		default:
			d.Outcome, d.Fix = fallback, fix
		}
		add(d)
	}
	if stale {
		add(Decision{Guard: "overrides", Outcome: Refused, Detail: "the overrides and confirmations were given for another plan (" +
			short(o.Plan) + "); this plan is " + short(v.PlanHash), Fix: "look at the plan again and give them for this one"})
	}

	if f.Halt.Engaged { // break glass lets this one run through a halt; the halt stays for everyone else
		guard(GuardOffSwitch, false, fmt.Sprintf("everything is halted (by %s at %s: %s)", f.Halt.Actor,
			f.Halt.At.UTC().Format("15:04:05 UTC"), orNone(f.Halt.Reason)), "", "firebreak resume, once it is safe", Refused)
	} else {
		add(Decision{Guard: GuardOffSwitch, Outcome: Passed, Detail: "not halted"})
	}
	guard(GuardShellCheck, len(f.ShellCheck) == 0, shellcheckDetail(f.ShellCheck), o.ShellCheck,
		"fix the script, or --shellcheck-override REASON", Refused)
	if f.LogMinFree > 0 {
		guard(GuardLogSpace, f.LogFree >= f.LogMinFree, fmt.Sprintf("the log directory has %s free (runs.log_min_free is %s)",
			bytesText(f.LogFree), bytesText(f.LogMinFree)), "", "free space there, or set runs.log_dir to a roomier place", Refused)
	}
	add(Decision{Guard: GuardHostKeys, Outcome: Passed, Detail: "verified against known_hosts; nothing overrides this"})

	if spec.DryRun {
		detail := "this is the dry run: the script runs with FIREBREAK_DRY_RUN=1 and changes nothing"
		switch {
		case spec.Script.DryRun != "":
			detail = "this is the dry run: the step's dry_run command runs instead of the script"
		case !spec.Script.HonoursDryRun():
			detail = "this is the dry run; the script neither has a dry_run nor reads FIREBREAK_DRY_RUN, so only its check runs and it prints what a real run would execute"
		}
		add(Decision{Guard: GuardDryRunFirst, Outcome: NotApplicable, Detail: detail})
		for _, g := range []string{GuardCanary, GuardHours, GuardTwoPerson} {
			add(Decision{Guard: g, Outcome: NotApplicable, Detail: "applies to real runs only"})
		}
		return v
	}

	detail := "a dry run of this script succeeded on the first stage's hosts"
	if len(f.DryMissing) > 0 {
		detail = fmt.Sprintf("no successful dry run of this script (hash %s) in this incident on %s", short(spec.Script.Hash()), inventory.Summarize(f.DryMissing))
	}
	guard(GuardDryRunFirst, len(f.DryMissing) == 0, detail, "", "run it with --dry-run first", Refused)
	if len(f.DryMissing) > 0 {
		v.Decisions[len(v.Decisions)-1].Hosts = f.DryMissing
	}

	first := len(plan.Stages[0])
	canary := first == 1 || spec.Again != nil && spec.Again.CanaryDone
	switch {
	case first == 1:
		detail = "the first stage is one host: " + plan.Stages[0][0].Name
	case canary:
		detail = fmt.Sprintf("%s %s: its canary stage came through", spec.Again.Verb, RunRef(spec.Again.Run))
	default:
		detail = fmt.Sprintf("the first stage has %d hosts; a real run starts with one canary", first)
	}
	guard(GuardCanary, canary, detail, o.NoCanary, "start the stages with 1, or --no-canary REASON", Refused)

	if h := policy.Hours; h != nil {
		inside := h.Within(f.Now)
		detail := "inside working hours (" + h.Describe() + ")"
		own := ""
		if !inside {
			detail = fmt.Sprintf("%s is outside working hours (%s)", f.Now.In(h.Loc).Format("Mon 15:04 MST"), h.Describe())
			if o.OutOfHours {
				own = "confirmed by the operator"
			}
		}
		guard(GuardHours, inside, detail, own, "confirm it: type the incident id when asked, or --confirm-out-of-hours", Needs)
	} else {
		add(Decision{Guard: GuardHours, Outcome: NotApplicable, Detail: "no working hours configured"})
	}

	// The two-person rule: the stages after the canary need another person. Without a canary (one
	// overridden, or a single wide stage) every stage is wide, so the approval comes before the first; so
	// it does for a resume whose canary already came through: everything left is after the canary.
	sev := f.Severity
	canaryFirst := first == 1 && (spec.Again == nil || !spec.Again.CanaryDone)
	switch {
	case !slices.Contains(policy.TwoPerson, sev):
		add(Decision{Guard: GuardTwoPerson, Outcome: NotApplicable, Detail: fmt.Sprintf("not required for SEV%d by the policy", sev)})
	case len(plan.Stages) == 1 && canaryFirst:
		add(Decision{Guard: GuardTwoPerson, Outcome: NotApplicable, Detail: "one host in one stage: nothing after the canary"})
	default:
		before := 0
		if canaryFirst {
			before = 1
		}
		detail := fmt.Sprintf("SEV%d: stage %d and after wait for another person's approval (firebreak approve RUN-n)", sev, before+1)
		d := Decision{Guard: GuardTwoPerson, Outcome: Waits, Detail: detail}
		switch {
		case o.TwoPerson != "":
			d.Outcome, d.Override = Overridden, o.TwoPerson
		case glass != "":
			d.Outcome, d.Override = Overridden, "break glass: "+glass
		default:
			v.ApproveBefore = before
		}
		add(d)
	}
	return v
}

// Facts gathers what the guards look at, reading through r: the database, or the transaction that creates
// the run. ShellCheck's findings are passed in: they depend on the script text alone, and ShellCheck runs
// outside any transaction.
func (e *Engine) facts(ctx context.Context, r reader, spec Spec, plan Plan, shellcheck []lint.Finding) (Facts, error) {
	inc, err := r.Incident(ctx, spec.Incident)
	if err != nil {
		return Facts{}, err
	}
	f := Facts{Severity: inc.Severity, ShellCheck: shellcheck, Now: e.now()}
	if f.Halt, err = Halted(ctx, e.DB); err != nil {
		return Facts{}, err
	}
	if !spec.DryRun {
		first := names(plan.Stages[0])
		if a := spec.Again; a != nil && a.Verb == "resume" && len(a.FirstStage) > 0 {
			first = a.FirstStage // a resume continues a run that passed this guard on its own first stage
		}
		if f.DryMissing, err = dryRunMissing(ctx, r, spec.Incident, spec.Script, first); err != nil {
			return Facts{}, err
		}
	}
	if e.Logs.MinFree > 0 && e.LogDir != "" {
		if free, err := output.FreeSpace(e.LogDir); err == nil {
			f.LogFree, f.LogMinFree = free, e.Logs.MinFree
		}
	}
	return f, nil
}

// Preview is what the guards would decide about a spec now, for the console's plan screen and
// `firebreak run` before it asks its questions. The engine decides again, with the same rules, inside the
// transaction that creates the run.
type Preview struct {
	Spec    Spec
	Plan    Plan
	Verdict Verdict
}

// Preview resolves the spec's plan and asks every guard about it.
func (e *Engine) Preview(ctx context.Context, spec Spec) (*Preview, error) {
	plan, findings, err := prepare(ctx, spec)
	if err != nil {
		return nil, err
	}
	f, err := e.facts(ctx, e.DB, spec, plan, findings)
	if err != nil {
		return nil, err
	}
	return &Preview{Spec: spec, Plan: plan, Verdict: Decide(e.Policy, spec, plan, f)}, nil
}

// prepare is the spec's plan and ShellCheck's findings in its script: what the guards need that no
// transaction holds.
func prepare(ctx context.Context, spec Spec) (Plan, []lint.Finding, error) {
	plan, err := PlanOf(spec)
	if err != nil {
		return Plan{}, nil, err
	}
	findings, err := ShellCheckErrors(ctx, spec.Script)
	return plan, findings, err
}

// reader is what the guards read: the database, or a transaction of it.
type reader interface {
	Incident(ctx context.Context, id int64) (store.IncidentRow, error)
	Runs(ctx context.Context, q store.RunQuery) ([]store.RunRow, error)
	RunHosts(ctx context.Context, run int64) ([]store.RunHost, error)
	Switch(ctx context.Context, name string) (store.Switch, error)
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "no reason given"
	}
	return s
}

func bytesText(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
