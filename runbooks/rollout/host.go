package rollout

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/firebreak/firebreak/runbooks/output"
	"github.com/firebreak/firebreak/runbooks/transport"
)

// HostState is where a host is in a run.
type HostState string

// The host states.
const (
	Pending     HostState = "pending"
	Running     HostState = "running"
	OK          HostState = "ok"
	Changed     HostState = "changed"
	Skipped     HostState = "skipped" // check said already done
	Failed      HostState = "failed"
	TimedOut    HostState = "timed_out"
	Unreachable HostState = "unreachable"
	Cancelled   HostState = "cancelled"
	Unknown     HostState = "unknown" // in flight when its firebreak died
	RolledBack  HostState = "rolled_back"
)

// Good says the host ended where the run wanted it.
func (s HostState) Good() bool { return s == OK || s == Changed || s == Skipped || s == RolledBack }

// Bad says the host counts as a failure of its stage.
func (s HostState) Bad() bool { return s == Failed || s == TimedOut || s == Unreachable }

// stateNames are counts by state as a run's events carry them (incident.StageDoneData, RunFinishedData).
func stateNames(counts map[HostState]int) map[string]int {
	if counts == nil {
		return nil // null, as the map was written before
	}
	out := make(map[string]int, len(counts))
	for s, n := range counts {
		out[string(s)] = n
	}
	return out
}

// Mode is how a host job runs the script.
type Mode int

// The modes.
const (
	ModeDry Mode = iota
	ModeReal
	ModeRollback
)

// HostJob is one host's part of a run.
type HostJob struct {
	Script  Script
	Mode    Mode
	Env     map[string]string
	Timeout time.Duration
	Out     output.Sink
}

// HostResult is how one host's job ended.
type HostResult struct {
	State    HostState
	ExitCode int
	Phase    string // the fragment that decided: check, script, dry_run, verify, rollback, connect
	Error    string
	Duration time.Duration
}

// RunHost runs a job on one host: check (exit 0: skipped), then the script or its dry run, then verify.
// In rollback mode it runs only the rollback.
func RunHost(ctx context.Context, t transport.Transport, job HostJob) HostResult {
	start := time.Now()
	env := map[string]string{}
	for k, v := range job.Env {
		env[k] = v
	}
	env[DryRunEnv] = "0"
	if job.Mode == ModeDry {
		env[DryRunEnv] = "1"
	}
	// exec runs one fragment; completed says it ran to its end (with any exit code), else r says why not.
	exec := func(phase, script string) (r HostResult, completed bool) {
		res, err := t.Run(ctx, transport.Command{Script: script, Env: env, Timeout: job.Timeout}, job.Out)
		r = HostResult{ExitCode: res.ExitCode, Phase: phase}
		var ce *transport.ConnectError
		var hk *transport.HostKeyError
		switch {
		case err != nil && ctx.Err() != nil:
			r.State, r.Error = Cancelled, err.Error()
		case err != nil && (errors.As(err, &ce) || errors.As(err, &hk)):
			r.State, r.Error, r.Phase = Unreachable, err.Error(), "connect"
		case err != nil:
			r.State, r.Error = Failed, err.Error()
		case res.TimedOut:
			r.State, r.Error = TimedOut, phase+" "+res.String()
		case res.Cancelled:
			r.State, r.Error = Cancelled, phase+" "+res.String()
		case res.Signal != "":
			r.State, r.Error = Failed, phase+" "+res.String()
		default:
			return r, true
		}
		if res.KillErr != nil {
			r.Error += "; killing it on the host may have failed: " + res.KillErr.Error()
		}
		return r, false
	}
	// run runs a fragment that must exit 0.
	run := func(phase, script string) (HostResult, bool) {
		r, completed := exec(phase, script)
		if completed && r.ExitCode != 0 {
			r.State, r.Error = Failed, fmt.Sprintf("%s exited %d", phase, r.ExitCode)
			return r, false
		}
		return r, completed
	}
	finish := func(r HostResult) HostResult { r.Duration = time.Since(start); return r }

	if job.Mode == ModeRollback {
		if job.Script.Rollback == "" {
			return finish(HostResult{State: Failed, Phase: "rollback", ExitCode: -1, Error: "the step has no rollback"})
		}
		r, ok := run("rollback", job.Script.Rollback)
		if ok {
			r.State = RolledBack
		}
		return finish(r)
	}
	if job.Script.Check != "" {
		r, completed := exec("check", job.Script.Check)
		if !completed {
			return finish(r)
		}
		if r.ExitCode == 0 {
			r.State = Skipped
			return finish(r)
		}
	}
	phase, script := "script", job.Script.Main
	if job.Mode == ModeDry {
		switch {
		case job.Script.DryRun != "":
			phase, script = "dry_run", job.Script.DryRun
		case !job.Script.HonoursDryRun():
			// A command that knows nothing of dry runs is not run by one: the dry run proves the host is
			// reachable and logs in, and says what a real run would execute.
			phase, script = "dry_run", "printf '%s\\n' "+shellQuote("dry run: a real run would execute: "+job.Script.Main)
		}
	}
	r, ok := run(phase, script)
	if !ok {
		return finish(r)
	}
	// verify is the post-condition of a real change; after a dry run nothing changed for it to check.
	if job.Script.Verify != "" && job.Mode != ModeDry {
		if r, ok = run("verify", job.Script.Verify); !ok {
			return finish(r)
		}
	}
	r.State = OK
	if job.Mode == ModeReal && job.Script.Check != "" {
		r.State = Changed
	}
	return finish(r)
}

func shellQuote(s string) string {
	out := "'"
	for _, c := range s {
		if c == '\'' {
			out += `'\''`
		} else {
			out += string(c)
		}
	}
	return out + "'"
}

// Rehearse dry-runs a step on one host the way a CI gate should: the check runs; when it says the host is
// already in the wanted state, verify must pass there; otherwise the dry run must succeed.
func Rehearse(ctx context.Context, t transport.Transport, job HostJob) HostResult {
	job.Mode = ModeDry
	r := RunHost(ctx, t, job)
	if r.State != Skipped || job.Script.Verify == "" {
		return r
	}
	v := RunHost(ctx, t, HostJob{Script: Script{Main: job.Script.Verify, DryRun: job.Script.Verify}, Mode: ModeDry,
		Env: job.Env, Timeout: job.Timeout, Out: job.Out})
	if v.State != OK {
		v.Phase = "verify"
		if v.State == Failed {
			v.Error = "verify failed on a host the check says is already done: " + v.Error
		}
		return v
	}
	r.Phase = "check+verify"
	return r
}
