package rollout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks"
	"github.com/firebreak/firebreak/runbooks/inventory"
	"github.com/firebreak/firebreak/runbooks/output"
	"github.com/firebreak/firebreak/store"
)

// Request is what a person asks to run, in the terms of `firebreak run`'s flags. The console and the
// command line both fill one in; Resolve turns it into a Spec the same way for both.
type Request struct {
	Runbook, Step string // a runbook's script step, or
	Command       string // an ad-hoc script,
	Check         string // with its optional check
	Rollback      string // and rollback (ad-hoc scripts from the console)
	Title         string // the ad-hoc script's name (default: its first meaningful line)
	// Resume continues a halted, stopped or interrupted run on its remaining hosts under the same plan;
	// Retry reruns a run's plan on its failed, timed-out, unreachable and unknown hosts. Either replaces
	// Runbook/Step/Command and the host pattern.
	Resume, Retry int64
	Hosts         string // host pattern ("": the step's targets)
	Inventories   []string
	DryRun        bool
	Stages        string // "": the step's, else the configured default
	MaxFail       string
	Timeout       string
	Soak          string
	Concurrency   int
	Vars          map[string]string

	AutoContinue      bool
	RollbackOnFailure bool
	Overrides         Overrides
}

// Defaults are the configured defaults of every run ([runs] in the config).
type Defaults struct {
	Stages      string
	Concurrency int
	MaxFail     string
	Timeout     string
	Soak        string
}

// Resolver turns requests into specs: the request first, then the runbook step, then the defaults.
type Resolver struct {
	// Runbook finds a runbook in the library.
	Runbook func(id string) (*runbooks.Runbook, error)
	// Inventory loads inventories by path or configured name (none: the configured default).
	Inventory func(names []string) (*inventory.Inventory, error)
	Defaults  Defaults
	// DB reads the runs that Resume and Retry continue.
	DB store.Store
	// Warn receives warnings (a part of the pattern that matches nothing); nil drops them.
	Warn func(string)
	// Secrets are the configured secret names (secret_vars in the config) with the name rule; a spec adds
	// its runbook's and its inventory's marks.
	Secrets output.Secrets
}

// Resolve turns a request for an incident into a spec: what to run, where, and how.
func (rs Resolver) Resolve(ctx context.Context, inc *incident.Incident, req Request) (Spec, error) {
	if inc.Status == incident.Closed {
		return Spec{}, store.Errorf(incident.ErrRefused, "%s is closed: declare a new incident to run anything", inc.Ref())
	}
	if req.Resume != 0 || req.Retry != 0 {
		return rs.resolveAgain(ctx, inc, req)
	}
	spec := Spec{Incident: inc.ID, DryRun: req.DryRun, AutoContinue: req.AutoContinue, RollbackOnFailure: req.RollbackOnFailure,
		Vars: map[string]string{}, Overrides: req.Overrides, Secrets: rs.Secrets}
	var step runbooks.Step
	switch {
	case req.Command != "" && (req.Runbook != "" || req.Step != ""):
		return spec, store.Errorf(incident.ErrInvalid, "use either --command or --runbook with --step, not both")
	case req.Command != "":
		spec.Script = Script{Main: req.Command, Check: req.Check, Rollback: req.Rollback, AdHoc: true}
		spec.Title = firstSet(strings.TrimSpace(req.Title), AdHocName(req.Command))
	case req.Runbook != "" && req.Step != "":
		rb, err := rs.Runbook(req.Runbook)
		if err != nil {
			return spec, err
		}
		st, ok := rb.Step(req.Step)
		if !ok {
			return spec, store.Errorf(incident.ErrNotFound, "runbook %s has no step %q (firebreak runbook show %s)", rb.ID, req.Step, rb.ID)
		}
		if !st.IsScript() {
			return spec, store.Errorf(incident.ErrInvalid, "step %s/%s is a manual step: tick it with firebreak tick %s %s %s", rb.ID, st.ID, inc.Ref(), rb.ID, st.ID)
		}
		step = st
		spec.Runbook, spec.Step, spec.Title = rb.ID, st.ID, st.Title
		spec.Script = Script{Main: st.Script, DryRun: st.DryRun, Check: st.Check, Verify: st.Verify, Rollback: st.Rollback}
		for k, v := range rb.Vars {
			spec.Vars[k] = v
		}
		spec.Secrets = rb.Secrets(spec.Secrets)
	default:
		return spec, store.Errorf(incident.ErrInvalid, "say what to run: --runbook R --step S, or --command CMD")
	}
	for k, v := range req.Vars {
		spec.Vars[k] = v
	}
	pattern := firstSet(req.Hosts, step.Targets)
	if pattern == "" {
		return spec, store.Errorf(incident.ErrInvalid, "say where to run it: --hosts PATTERN (firebreak hosts PATTERN previews the hosts)")
	}
	hosts, marked, err := rs.hosts(req.Inventories, pattern)
	if err != nil {
		return spec, err
	}
	spec.Hosts, spec.Pattern, spec.Secrets = hosts, pattern, spec.Secrets.With(marked...)
	stages := firstSet(req.Stages, step.Stages.String(), rs.Defaults.Stages)
	if spec.Stages, err = runbooks.ParseStages(stages); err != nil {
		return spec, store.Errorf(incident.ErrInvalid, "--stages %q: %v", stages, err)
	}
	mf := rs.Defaults.MaxFail
	if step.MaxFail != nil {
		mf = step.MaxFail.String()
	}
	mf = firstSet(req.MaxFail, mf, "0")
	if spec.MaxFail, err = runbooks.ParseMaxFail(mf); err != nil {
		return spec, store.Errorf(incident.ErrInvalid, "--max-fail %q: %v", mf, err)
	}
	spec.Concurrency = max(rs.Defaults.Concurrency, 1)
	if step.Concurrency > 0 {
		spec.Concurrency = step.Concurrency
	}
	if req.Concurrency != 0 {
		if req.Concurrency < 0 {
			return spec, store.Errorf(incident.ErrInvalid, "--concurrency must be at least 1")
		}
		spec.Concurrency = req.Concurrency
	}
	timeout := rs.Defaults.Timeout
	if step.Timeout > 0 {
		timeout = step.Timeout.String()
	}
	if spec.Timeout, err = ParseDuration("--timeout", firstSet(req.Timeout, timeout, "5m")); err != nil {
		return spec, err
	}
	if soak := firstSet(req.Soak, rs.Defaults.Soak); soak != "" {
		if spec.Soak, err = ParseDuration("--soak", soak); err != nil {
			return spec, err
		}
	}
	return spec, nil
}

// resolveAgain builds the spec of a resume or a retry from the run it continues: the same script (checked
// against the hash it ran with), variables, stages, max_fail, concurrency, timeout and mode, on the hosts
// still to do. Guards and confirmations are asked again: they were given for the earlier run only.
func (rs Resolver) resolveAgain(ctx context.Context, inc *incident.Incident, req Request) (Spec, error) {
	id, verb := req.Resume, "resume"
	if req.Retry != 0 {
		id, verb = req.Retry, "retry"
	}
	if req.Resume != 0 && req.Retry != 0 {
		return Spec{}, store.Errorf(incident.ErrInvalid, "use either --resume or --retry, not both")
	}
	if req.Command != "" || req.Runbook != "" || req.Step != "" || req.Hosts != "" || req.Stages != "" {
		return Spec{}, store.Errorf(incident.ErrInvalid, "--%s %s runs the same plan: leave out --command, --runbook, --step, --hosts and --stages", verb, RunRef(id))
	}
	if rs.DB == nil {
		return Spec{}, errors.New("no database to read the run from")
	}
	row, err := rs.DB.Run(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Spec{}, store.Errorf(incident.ErrNotFound, "%s does not exist (firebreak runs %s lists its runs)", RunRef(id), inc.Ref())
	}
	if err != nil {
		return Spec{}, err
	}
	if row.Incident != inc.ID {
		return Spec{}, store.Errorf(incident.ErrInvalid, "%s belongs to %s, not %s", RunRef(id), incident.Ref(row.Incident), inc.Ref())
	}
	switch row.Status {
	case StatusRunning, StatusWaiting:
		return Spec{}, store.Errorf(incident.ErrRefused, "%s is still %s: it cannot be %sd until it ends (firebreak halt stops it)", RunRef(id), row.Status, verb)
	case StatusSucceeded:
		if verb == "resume" {
			return Spec{}, store.Errorf(incident.ErrRefused, "%s succeeded on every host: there is nothing to resume", RunRef(id))
		}
	}
	var pr planRecord
	if err := json.Unmarshal(row.Plan, &pr); err != nil {
		return Spec{}, fmt.Errorf("%s: its recorded plan cannot be read: %w", RunRef(id), err)
	}
	hosts, err := rs.DB.RunHosts(ctx, id)
	if err != nil {
		return Spec{}, err
	}
	var again []store.RunHost
	for _, h := range hosts {
		st := HostState(h.State)
		switch {
		case verb == "resume" && (st == Pending || st == Running || st == Cancelled || st == Unknown):
			again = append(again, h)
		case verb == "retry" && (st == Failed || st == TimedOut || st == Unreachable || st == Unknown):
			again = append(again, h)
		}
	}
	if len(again) == 0 {
		what := "no host left to run"
		if verb == "retry" {
			what = "no failed, timed-out, unreachable or unknown host"
		}
		return Spec{}, store.Errorf(incident.ErrRefused, "%s has %s: nothing to %s", RunRef(id), what, verb)
	}

	spec := Spec{Incident: inc.ID, Runbook: row.Runbook, Step: row.Step, Title: row.Title, DryRun: pr.DryRun,
		Pattern: pr.Pattern, Concurrency: pr.Concurrency, AutoContinue: req.AutoContinue, RollbackOnFailure: req.RollbackOnFailure,
		Vars: map[string]string{}, Overrides: req.Overrides, Again: &Again{Run: id, Verb: verb}, Secrets: rs.Secrets}
	spec.Script = pr.Script
	if row.Runbook != "" { // the runbook's variables, secrets included (the record keeps them masked)
		if rb, err := rs.Runbook(row.Runbook); err == nil {
			for k, v := range rb.Vars {
				spec.Vars[k] = v
			}
			spec.Secrets = rb.Secrets(spec.Secrets)
		}
	}
	for k, v := range req.Vars {
		spec.Vars[k] = v
	}
	for k, v := range pr.Vars {
		if _, ok := spec.Vars[k]; ok {
			continue
		}
		if v == output.Mask { // secrets were never recorded: the person gives them again
			return Spec{}, store.Errorf(incident.ErrInvalid, "%s used the secret variable %s, which is not recorded: give it again with --var %s=VALUE", RunRef(id), k, k)
		}
		spec.Vars[k] = v
	}
	if spec.Script.Hash() != row.ScriptHash {
		return Spec{}, store.Errorf(incident.ErrRefused, "%s's recorded script does not match its hash: start a new run", RunRef(id))
	}
	if spec.Stages, err = runbooks.ParseStages(firstSet(pr.StageSpec, "100%")); err != nil {
		return Spec{}, fmt.Errorf("%s: recorded stages %q: %w", RunRef(id), pr.StageSpec, err)
	}
	if spec.MaxFail, err = runbooks.ParseMaxFail(firstSet(req.MaxFail, pr.MaxFail, "0")); err != nil {
		return Spec{}, store.Errorf(incident.ErrInvalid, "--max-fail: %v", err)
	}
	if spec.Timeout, err = ParseDuration("--timeout", firstSet(req.Timeout, pr.Timeout, "5m")); err != nil {
		return Spec{}, err
	}
	if req.Concurrency > 0 {
		spec.Concurrency = req.Concurrency
	}
	spec.Concurrency = max(spec.Concurrency, 1)

	// The hosts come from today's inventory (addresses may have moved); every one must still be there.
	inv, err := rs.Inventory(req.Inventories)
	if err != nil {
		return Spec{}, err
	}
	spec.Secrets = spec.Secrets.With(inv.SecretVars()...)
	var missing []string
	for _, h := range again {
		ih, ok := inv.Host(h.Host)
		if !ok {
			missing = append(missing, h.Host)
			continue
		}
		spec.Hosts = append(spec.Hosts, ih)
		if verb == "resume" {
			spec.Again.Stages = append(spec.Again.Stages, h.Stage)
		}
	}
	if len(missing) > 0 {
		return Spec{}, store.Errorf(incident.ErrInvalid, "%s's hosts are not in the inventory any more: %s (-i INVENTORY)", RunRef(id), inventory.Summarize(missing))
	}
	// A resume keeps the ramp where it stopped: the canary's verdict stands if the earlier run's first
	// stage came through. A retry starts a fresh ramp on the hosts that failed.
	if verb == "resume" {
		spec.Again.CanaryDone = firstStageGood(hosts)
		for _, h := range hosts {
			if h.Stage == 1 {
				spec.Again.FirstStage = append(spec.Again.FirstStage, h.Host)
			}
		}
	}
	return spec, nil
}

func firstStageGood(hosts []store.RunHost) bool {
	seen := false
	for _, h := range hosts {
		if h.Stage != 1 {
			continue
		}
		seen = true
		if !HostState(h.State).Good() {
			return false
		}
	}
	return seen
}

// hosts loads the inventories and selects the pattern's hosts; marked are the names the inventories mark
// secret.
func (rs Resolver) hosts(inventories []string, pattern string) (hosts []*inventory.Host, marked []string, err error) {
	inv, err := rs.Inventory(inventories)
	if err != nil {
		return nil, nil, err
	}
	marked = inv.SecretVars()
	sel, err := inv.Select(pattern)
	if err != nil {
		return nil, nil, store.Errorf(incident.ErrInvalid, "host pattern %q: %v", pattern, err)
	}
	if rs.Warn != nil {
		for _, u := range sel.Unmatched {
			rs.Warn(fmt.Sprintf("%q in the pattern matches no host or group", u))
		}
	}
	if len(sel.Hosts) == 0 {
		return nil, nil, store.Errorf(incident.ErrInvalid, "pattern %q matches no host in the inventory (firebreak hosts lists them all)", pattern)
	}
	return sel.Hosts, marked, nil
}

// ParseDuration reads a positive duration given for flag.
func ParseDuration(flag, s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, store.Errorf(incident.ErrInvalid, "%s %q: use a duration like 30s or 5m", flag, s)
	}
	return d, nil
}

func firstSet(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
