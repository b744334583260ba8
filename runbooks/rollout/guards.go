package rollout

import (
	"context"
	"errors"
	"fmt"
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
	// Hosts are every host the refusal is about; the message names a few of thousands.
	Hosts []string `json:"hosts,omitempty"`
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
	// DistinctOSUsers refuses approvals given from the same OS account as the run ([approval]
	// distinct_os_users): on a shared account, --as alone does not make a second person.
	DistinctOSUsers bool
}

// DryRunMissing lists the hosts (the first stage's) without a successful dry run of the same script text
// in the incident: the dry-run-first guard. The console's plan preview asks it too.
func DryRunMissing(ctx context.Context, db store.Store, incident int64, script Script, hosts []*inventory.Host) ([]string, error) {
	return dryRunMissing(ctx, db, incident, script, names(hosts))
}

func dryRunMissing(ctx context.Context, db reader, incident int64, script Script, hosts []string) ([]string, error) {
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
		if !good[h] {
			missing = append(missing, h)
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
