package rollout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/firebreak/firebreak/runbooks/inventory"
	"github.com/firebreak/firebreak/runbooks/lint"
	"github.com/firebreak/firebreak/store"
)

// ErrRefused marks a run a guard would not start (exit 2).
var ErrRefused = errors.New("refused by a guard")

// Refusal is one guard saying no, and how to get past it.
type Refusal struct {
	Guard   string `json:"guard"`
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
}

// GuardError lists every guard that refused a run.
type GuardError struct{ Refusals []Refusal }

func (e *GuardError) Error() string {
	parts := make([]string, len(e.Refusals))
	for i, r := range e.Refusals {
		parts[i] = r.Message
		if r.Fix != "" {
			parts[i] += " (" + r.Fix + ")"
		}
	}
	return "run refused: " + strings.Join(parts, "; ")
}

// Is makes errors.Is(err, ErrRefused) true.
func (e *GuardError) Is(target error) bool { return target == ErrRefused }

// Policy is the configured part of the guards.
type Policy struct {
	// TwoPerson lists the severities (1-4) whose real stages after the canary need a second person.
	TwoPerson []int
	// Hours are working hours; nil means always.
	Hours *Hours
}

// Decision is what a guard decided, for the record.
type Decision struct {
	Guard    string `json:"guard"`
	Outcome  string `json:"outcome"` // passed, overridden, refused, not applicable
	Reason   string `json:"reason,omitempty"`
	Detail   string `json:"detail,omitempty"`
	Override string `json:"override,omitempty"` // the recorded reason when overridden
}

// checkGuards asks every guard about a run before it starts. It returns the decisions (to record) and a
// GuardError when any guard refuses and nothing overrides it.
func (e *Engine) checkGuards(ctx context.Context, spec Spec, plan Plan, severity int) ([]Decision, error) {
	var ds []Decision
	var refusals []Refusal
	glass := spec.Overrides.BreakGlass
	decide := func(guard string, ok bool, detail string, override string, fix string) {
		d := Decision{Guard: guard, Outcome: "passed", Detail: detail}
		switch {
		case ok:
		case override != "":
			d.Outcome, d.Override = "overridden", override
		case glass != "":
			d.Outcome, d.Override = "overridden", "break glass: "+glass
		default:
			d.Outcome = "refused"
			refusals = append(refusals, Refusal{Guard: guard, Message: detail, Fix: fix})
		}
		ds = append(ds, d)
	}

	halt, err := e.DB.Switch(ctx, HaltSwitch)
	if err != nil {
		return nil, err
	}
	if halt.Engaged { // break glass lets this one run through a halt; the halt stays for everyone else
		decide("off-switch", false, fmt.Sprintf("everything is halted (by %s at %s: %s)", halt.Actor,
			halt.At.Format("15:04:05 UTC"), halt.Reason), "", "firebreak resume, once it is safe")
	}

	findings, err := ShellCheckErrors(ctx, spec.Script)
	if err != nil {
		return nil, err
	}
	decide("shellcheck", len(findings) == 0, shellcheckDetail(findings), spec.Overrides.ShellCheck,
		"fix the script, or --shellcheck-override REASON")

	if !spec.DryRun {
		missing, err := DryRunMissing(ctx, e.DB, spec.Incident, spec.Script, plan.Stages[0])
		if err != nil {
			return nil, err
		}
		detail := "a dry run of this script succeeded on the first stage's hosts"
		if len(missing) > 0 {
			detail = fmt.Sprintf("no successful dry run of this script (hash %s) in this incident on %s", spec.Script.Hash()[:12], strings.Join(missing, ", "))
		}
		decide("dry-run-first", len(missing) == 0, detail, "", "run it with --dry-run first")

		first := len(plan.Stages[0])
		decide("canary", first == 1, fmt.Sprintf("the first stage has %d hosts; a real run starts with one canary", first),
			spec.Overrides.NoCanary, "start the stages with 1, or --no-canary REASON")

		if e.Policy.Hours != nil {
			now := e.now()
			inside := e.Policy.Hours.Within(now)
			detail := "inside working hours (" + e.Policy.Hours.Describe() + ")"
			override := ""
			if !inside {
				detail = fmt.Sprintf("%s is outside working hours (%s)", now.In(e.Policy.Hours.Loc).Format("Mon 15:04 MST"), e.Policy.Hours.Describe())
				if spec.Overrides.OutOfHours {
					override = "confirmed by the operator"
				}
			}
			decide("working-hours", inside, detail, override, "confirm with --confirm-out-of-hours")
		}
		if slices.Contains(e.Policy.TwoPerson, severity) && len(plan.Stages) > 1 {
			d := Decision{Guard: "two-person", Outcome: "passed",
				Detail: fmt.Sprintf("SEV%d: the stages after the canary wait for another person's approval (firebreak approve RUN)", severity)}
			if glass != "" {
				d.Outcome, d.Override = "overridden", "break glass: "+glass
			}
			ds = append(ds, d)
		}
	}
	if len(refusals) > 0 {
		return ds, &GuardError{Refusals: refusals}
	}
	return ds, nil
}

// DryRunMissing lists the hosts (the first stage's) without a successful dry run of the same script text
// in the incident: the dry-run-first guard. The console's plan preview asks it too.
func DryRunMissing(ctx context.Context, db *store.DB, incident int64, script Script, hosts []*inventory.Host) ([]string, error) {
	dry := true
	runs, err := db.Runs(ctx, store.RunQuery{Incident: incident, ScriptHash: script.Hash(), DryRun: &dry})
	if err != nil {
		return nil, err
	}
	good := map[string]bool{}
	for _, r := range runs {
		done, err := db.RunHosts(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		for _, h := range done {
			if HostState(h.State).Good() {
				good[h.Host] = true
			}
		}
	}
	var missing []string
	for _, h := range hosts {
		if !good[h.Name] {
			missing = append(missing, h.Name)
		}
	}
	return missing, nil
}

// ShellCheckErrors returns ShellCheck's error-level findings in the script's fragments: the ShellCheck
// guard. The console's plan preview asks it too.
func ShellCheckErrors(ctx context.Context, s Script) ([]lint.Finding, error) {
	var scripts []lint.Script
	for _, f := range []struct{ name, text string }{{"script", s.Main}, {"dry_run", s.DryRun}, {"check", s.Check},
		{"verify", s.Verify}, {"rollback", s.Rollback}} {
		if strings.TrimSpace(f.text) != "" {
			scripts = append(scripts, lint.Script{Text: f.text, File: f.name, Line: 1, Col: 1, Fragment: f.name})
		}
	}
	fs, err := lint.Scripts(ctx, scripts)
	if err != nil {
		return nil, err
	}
	var errs []lint.Finding
	for _, f := range fs {
		if f.Severity == "error" {
			errs = append(errs, f)
		}
	}
	return errs, nil
}

func shellcheckDetail(fs []lint.Finding) string {
	if len(fs) == 0 {
		return "no ShellCheck errors"
	}
	parts := make([]string, 0, len(fs))
	for _, f := range fs {
		parts = append(parts, fmt.Sprintf("%s line %d: %s (%s)", f.Fragment, f.Line, f.Message, f.Code))
	}
	return "ShellCheck errors: " + strings.Join(parts, "; ")
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}
