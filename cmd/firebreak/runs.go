package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks/inventory"
	"github.com/firebreak/firebreak/runbooks/output"
	"github.com/firebreak/firebreak/runbooks/rollout"
	"github.com/firebreak/firebreak/runbooks/transport"
	"github.com/firebreak/firebreak/store"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

// varsFlag collects --var K=V.
type varsFlag map[string]string

func (v varsFlag) String() string { return "" }
func (v varsFlag) Type() string   { return "NAME=VALUE" }
func (v varsFlag) Set(s string) error {
	k, val, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("--var %q: use NAME=VALUE", s)
	}
	v[k] = val
	return nil
}

// runFlags are the flags of `run` that choose what, where and how; they fill a rollout.Request.
type runFlags struct {
	hosts, stages, maxFail, timeout, command, runbook, step, soak string
	title                                                         string
	breakGlass, noCanary, shellcheckOverride, twoPersonOverride   string
	resume, retry                                                 string
	concurrency                                                   int
	dry, yes, outOfHours, rollbackOnFailure, verbose              bool
	invs                                                          []string
	vars                                                          varsFlag
}

// runOptions are run's: the incident and the flags.
type runOptions struct {
	ID string
	runFlags
}

func newCmdRun(a *app) *cobra.Command {
	opts := &runOptions{runFlags: runFlags{vars: varsFlag{}}}
	f := &opts.runFlags
	cmd := &cobra.Command{
		Use:   "run ID (--runbook R --step S | --command CMD | --resume RUN | --retry RUN) [--hosts PATTERN] [flags]",
		Short: "run a script on hosts, stage by stage (firebreak help run)",
		Long: `Run runs a runbook's script step (--runbook and --step), or an ad-hoc --command, on the hosts --hosts
matches (default: the step's targets), for incident ID, in stages: a canary host first, then wider
(--stages, default from the config, e.g. 1,5,25%,100%). Every guard is checked first (the halt switch,
working hours, two-person approval for wide stages, ShellCheck, the canary); a refusal exits 2 naming the
flag that overrides it. Between stages it pauses and asks on the terminal; with no terminal, or with
FIREBREAK_NO_PROMPT=1, it stops at the first pause unless --yes. Each host's output is logged
(firebreak log RUN HOST). --resume continues a halted, stopped or interrupted run; --retry reruns a run's
plan on its failed hosts. Exit 0 when every host succeeded, 1 when the run stopped or a host failed.`,
		Example: `  firebreak run INC-7 --runbook free-disk --step compress-rotated --hosts web --dry-run
  firebreak run INC-7 --runbook free-disk --step compress-rotated --hosts 'web:!web1' --stages 1,50%,100% --yes
  firebreak run INC-7 --command 'systemctl restart nginx' --hosts web -i prod.ini --title "restart nginx"
  firebreak run INC-7 --retry RUN-3 --yes`,
		Args:              exactArgs(1),
		ValidArgsFunction: positional(a, completeIncidents),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			return runRun(cmd.Context(), a, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.runbook, "runbook", "", "the `RUNBOOK` whose step to run")
	fl.StringVar(&f.step, "step", "", "the script `STEP` of --runbook to run")
	fl.StringVar(&f.command, "command", "", "an ad-hoc shell `CMD` instead of a runbook step")
	fl.StringVar(&f.title, "title", "", "the ad-hoc command's name (`TEXT`) on the timeline and in runs (default: its first meaningful line)")
	fl.StringVar(&f.resume, "resume", "", "continue a halted, stopped or interrupted `RUN` on its remaining hosts, same plan")
	fl.StringVar(&f.retry, "retry", "", "rerun `RUN`'s plan on its failed, timed-out, unreachable and unknown hosts")
	fl.StringVar(&f.hosts, "hosts", "", "host `PATTERN` (Ansible syntax; default: the step's targets)")
	inventoryFlag(cmd, &f.invs)
	fl.BoolVar(&f.dry, "dry-run", false, "run the step's dry-run script instead (changes nothing; the guards for real runs do not apply)")
	fl.StringVar(&f.stages, "stages", "", "stage sizes, host counts or percentages, e.g. `1,5,25%,100%` (default from the config)")
	fl.IntVar(&f.concurrency, "concurrency", 0, "`N` hosts at once inside a stage (default from the config)")
	fl.StringVar(&f.maxFail, "max-fail", "", "failures a stage tolerates before the run stops: `N` or P% (default from the config)")
	fl.StringVar(&f.timeout, "timeout", "", "per-host command timeout, a `DURATION` like 90s or 5m (default from the config)")
	fl.StringVar(&f.soak, "soak", "", "after a stage, go on to the next by itself after this `DURATION` unless stopped")
	fl.BoolVar(&f.yes, "yes", false, "continue past stage pauses without asking (needed without a terminal)")
	fl.Var(f.vars, "var", "a variable for the script, `NAME=VALUE` (repeatable; beats the runbook's and the inventory's)")
	fl.StringVar(&f.breakGlass, "break-glass", "", "override every guard but host keys, with this `REASON` (recorded)")
	fl.StringVar(&f.noCanary, "no-canary", "", "allow a first stage of more than one host, with this `REASON`")
	fl.StringVar(&f.shellcheckOverride, "shellcheck-override", "", "run despite ShellCheck errors, with this `REASON`")
	fl.StringVar(&f.twoPersonOverride, "two-person-override", "", "go wide without another person's approval, with this `REASON`")
	fl.BoolVar(&f.outOfHours, "confirm-out-of-hours", false, "confirm a real run outside working hours (else asked on the terminal)")
	fl.BoolVar(&f.rollbackOnFailure, "rollback-on-failure", false, "run the step's rollback script on hosts that fail")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "print the hosts' output as it comes")
	cmd.RegisterFlagCompletionFunc("runbook", flagCompletion(a, completeRunbooks))
	cmd.RegisterFlagCompletionFunc("step", flagCompletion(a, completeStepsOfFlag))
	cmd.RegisterFlagCompletionFunc("hosts", flagCompletion(a, completeHosts))
	cmd.RegisterFlagCompletionFunc("resume", flagCompletion(a, completeRuns))
	cmd.RegisterFlagCompletionFunc("retry", flagCompletion(a, completeRuns))
	cmd.RegisterFlagCompletionFunc("command", cobra.NoFileCompletions)
	return cmd
}

func runRun(ctx context.Context, a *app, opts *runOptions) error {
	f := &opts.runFlags
	svc, id, err := a.serviceFor(ctx, opts.ID)
	if err != nil {
		return err
	}
	inc, err := svc.Get(ctx, id)
	if err != nil {
		return err
	}
	req, err := f.request()
	if err != nil {
		return err
	}
	eng, closeEng, err := a.engine(ctx, inc, f.verbose)
	if err != nil {
		return err
	}
	defer closeEng()
	spec, err := a.resolver(ctx).Resolve(ctx, inc, req)
	if err != nil {
		return err
	}
	// The flags were given for this very request: they bind to its plan.
	if err := spec.Bind(); err != nil {
		return store.Errorf(incident.ErrInvalid, "%v", err)
	}
	if pv, err := eng.Preview(ctx, spec); err == nil && a.canPrompt() {
		if d, ok := pv.Verdict.Decision(rollout.GuardHours); ok && d.Outcome == rollout.Needs {
			if a.confirmTyped(inc.Ref(), fmt.Sprintf("%s. Type %s to run anyway: ", d.Detail, inc.Ref())) {
				spec.Overrides.OutOfHours = true
				spec.Bind()
			}
		}
	}
	if !f.yes {
		eng.Ask = a.askAtPause
	}
	sum, err := eng.Run(ctx, spec)
	if err != nil {
		var ge *rollout.GuardError
		if errors.As(err, &ge) { // one line, as every error: each refusal with its fix
			return store.Errorf(incident.ErrRefused, "%s", ge.Error())
		}
		return err
	}
	if sum.Status != rollout.StatusSucceeded {
		return failedf("%s %s: %s", rollout.RunRef(sum.Run), sum.Status, orDash(sum.Reason))
	}
	return nil
}

// request turns the flags into what the run service resolves.
func (f *runFlags) request() (rollout.Request, error) {
	req := rollout.Request{Runbook: f.runbook, Step: f.step, Command: f.command, Title: f.title, Hosts: f.hosts, Inventories: f.invs,
		DryRun: f.dry, Stages: f.stages, MaxFail: f.maxFail, Timeout: f.timeout, Soak: f.soak, Concurrency: f.concurrency,
		Vars: f.vars, AutoContinue: f.yes, RollbackOnFailure: f.rollbackOnFailure,
		Overrides: rollout.Overrides{BreakGlass: f.breakGlass, NoCanary: f.noCanary, ShellCheck: f.shellcheckOverride,
			TwoPerson: f.twoPersonOverride, OutOfHours: f.outOfHours}}
	if f.concurrency < 0 {
		return req, usageErrorf("--concurrency must be at least 1")
	}
	var err error
	if f.resume != "" {
		if req.Resume, err = parseRunRef(f.resume); err != nil {
			return req, err
		}
	}
	if f.retry != "" {
		if req.Retry, err = parseRunRef(f.retry); err != nil {
			return req, err
		}
	}
	return req, nil
}

// resolver is the run service's resolver wired to this app's library, inventories and defaults.
func (a *app) resolver(ctx context.Context) rollout.Resolver {
	db, _ := a.store(ctx)
	r := a.cfg.Runs
	return rollout.Resolver{
		Runbook:   a.runbook,
		Inventory: a.inventory,
		Defaults:  rollout.Defaults{Stages: r.Stages, Concurrency: r.Concurrency, MaxFail: r.MaxFail, Timeout: r.Timeout, Soak: r.SoakTime},
		DB:        db,
		Warn:      func(s string) { fmt.Fprintf(a.stderr, "firebreak: warning: %s\n", clean(s)) },
		Secrets:   a.cfg.secrets(),
	}
}

func parseDuration(flag, s string) (time.Duration, error) { return rollout.ParseDuration(flag, s) }

// policy is the configured guard policy.
func (a *app) policy() (rollout.Policy, error) {
	h := a.cfg.Hours
	hours, err := rollout.NewHours(h.TimeZone, h.Days, h.Start, h.End, h.Holidays)
	if err != nil {
		return rollout.Policy{}, store.Errorf(errConfig, "%v", err)
	}
	return rollout.Policy{TwoPerson: a.cfg.Approval.TwoPerson, Hours: hours, DistinctOSUsers: a.cfg.Approval.DistinctOSUsers}, nil
}

// engine builds the rollout engine for this app: its transports, logs beside the database, the policy from
// the config, notify hooks, and progress printed to stdout.
func (a *app) engine(ctx context.Context, inc *incident.Incident, verbose bool) (*rollout.Engine, func(), error) {
	// A run cancelled by a signal still records its hosts (the second signal exits at once).
	allowDrain(30 * time.Second)
	db, err := a.store(ctx)
	if err != nil {
		return nil, nil, err
	}
	policy, err := a.policy()
	if err != nil {
		return nil, nil, err
	}
	connect, _ := time.ParseDuration(a.cfg.Runs.ConnectTimeout)
	pool := transport.NewPool(transport.Config{ConnectTimeout: connect})
	logDir := filepath.Join(a.cfg.logDir(db.LocalPath()), inc.Ref())
	maxHost, maxRun, minFree := a.cfg.Runs.logLimits()
	var mu sync.Mutex
	eng := &rollout.Engine{DB: db, Actor: a.actor.String(), Transports: pool, LogDir: logDir, Policy: policy, LeaseTTL: a.leaseTTL,
		Logs:   rollout.LogLimits{MaxHost: maxHost, MaxRun: maxRun, MinFree: uint64(max(minFree, 0))},
		Notify: a.notifyEvent,
		Watch: func(u rollout.Update) {
			mu.Lock()
			defer mu.Unlock()
			printUpdate(a, u, verbose)
		}}
	return eng, func() { pool.Close() }, nil
}

func printUpdate(a *app, u rollout.Update, verbose bool) {
	w := a.stdout
	switch u.Kind {
	case rollout.UpdateStarted:
		fmt.Fprintf(w, "%s: %s\n", rollout.RunRef(u.Run), clean(u.Text))
	case rollout.UpdateStage:
		fmt.Fprintf(w, "%s %s\n", rollout.RunRef(u.Run), clean(u.Text))
	case rollout.UpdateLine:
		if verbose {
			fmt.Fprintf(w, "  %s | %s\n", clean(u.Host), clean(u.Line.Text))
		}
	case rollout.UpdateHostDone:
		r := u.Result
		fmt.Fprintf(w, "  %-20s %-12s %s exit %d  %s", clean(u.Host), r.State, r.Phase, r.ExitCode, r.Duration.Round(time.Millisecond))
		if r.Error != "" && !r.State.Good() {
			fmt.Fprintf(w, "  %s", clean(r.Error))
		}
		fmt.Fprintln(w)
	case rollout.UpdateWaiting, rollout.UpdateApproved, rollout.UpdateFinished:
		fmt.Fprintln(w, clean(u.Text))
	}
}

// askAtPause asks the operator on the terminal (or reads a line from stdin) whether to go on.
func (a *app) askAtPause(ctx context.Context, p rollout.Pause) rollout.Choice {
	prompt := fmt.Sprintf("Continue %s to stage %d/%d (%s hosts)? [y]es, [n]o: stop", rollout.RunRef(p.Run), p.Done+1, p.Stages, inventory.Count(len(p.NextHosts)))
	if p.CanRollback && len(p.Failed) > 0 {
		prompt += fmt.Sprintf(", [r]ollback the %s failed hosts", inventory.Count(len(p.Failed)))
	}
	if p.NeedApproval {
		prompt += fmt.Sprintf(" (it also waits for another person: firebreak approve %s)", rollout.RunRef(p.Run))
	}
	if !a.canPrompt() {
		// No one to ask (no terminal, or FIREBREAK_NO_PROMPT): stop here, never go wider by default.
		fmt.Fprintf(a.stdout, "%s pauses before stage %d/%d and there is no terminal to ask: it stops here (--yes continues past pauses; firebreak run ID --resume %s goes on)\n",
			rollout.RunRef(p.Run), p.Done+1, p.Stages, rollout.RunRef(p.Run))
		return rollout.Stop
	}
	fmt.Fprint(a.stdout, prompt+" ")
	answer := make(chan string, 1)
	go func() {
		line, err := a.stdinLines().ReadString('\n')
		if err != nil && line == "" {
			line = "n" // no one to ask: stop, never go wider by default
		}
		answer <- strings.ToLower(strings.TrimSpace(line))
	}()
	select {
	case <-ctx.Done():
		return rollout.Stop
	case s := <-answer:
		switch s {
		case "y", "yes":
			return rollout.Continue
		case "r", "rollback":
			return rollout.RollbackFailed
		}
		return rollout.Stop
	}
}

// stdinLines is a's stdin read by lines; every prompt reads from the one buffer, so none loses what
// another read ahead.
func (a *app) stdinLines() *bufio.Reader {
	a.stdinOnce.Do(func() { a.stdinReader = bufio.NewReader(a.stdin) })
	return a.stdinReader
}

// confirmTyped asks the operator to type want; it reports whether they did.
func (a *app) confirmTyped(want, prompt string) bool {
	fmt.Fprint(a.stdout, prompt)
	line, _ := a.stdinLines().ReadString('\n')
	return strings.EqualFold(strings.TrimSpace(line), want)
}

// noPromptEnv, set to 1, makes every prompt behave as without a terminal: for scripts that run with one.
const noPromptEnv = "FIREBREAK_NO_PROMPT"

// canPrompt reports whether a person can be asked: stdin is a terminal and FIREBREAK_NO_PROMPT is not set.
func (a *app) canPrompt() bool {
	if v := os.Getenv(noPromptEnv); v != "" && v != "0" {
		return false
	}
	return isTerminal(a.stdin)
}

// isTerminal reports whether r is a terminal (not merely a character device like /dev/null).
func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

type approveOptions struct {
	Run string
	Yes bool
}

func newCmdApprove(a *app) *cobra.Command {
	opts := &approveOptions{}
	cmd := &cobra.Command{
		Use:   "approve RUN [--yes]",
		Short: "approve the wide stages of someone else's run",
		Long: `Approve approves RUN's plan for its wide stages, as the second person of the two-person rule: it prints
what you approve (the script and its diff from the dry-run version, the next stage's hosts, the results
so far) and asks you to type yes. The one who started a run cannot approve it. With no terminal (or with
FIREBREAK_NO_PROMPT=1) it refuses unless --yes.`,
		Example:           "  firebreak approve RUN-12",
		Args:              exactArgs(1),
		ValidArgsFunction: positional(a, completeRuns),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Run = args[0]
			return approveRun(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Yes, "yes", false, "approve without asking (scripts); the plan is still printed")
	return cmd
}

func approveRun(ctx context.Context, a *app, opts *approveOptions) error {
	yes := &opts.Yes
	id, err := parseRunRef(opts.Run)
	if err != nil {
		return err
	}
	db, err := a.store(ctx)
	if err != nil {
		return err
	}
	policy, err := a.policy()
	if err != nil {
		return err
	}
	brief, err := rollout.BriefOf(ctx, db, id)
	if err != nil {
		return runErr(err)
	}
	if err := rollout.MayApprove(policy, brief.Run, a.actor.String()); err != nil {
		return store.Errorf(incident.ErrRefused, "%v", err) // before showing a plan this person cannot approve
	}
	printBrief(a.stdout, brief)
	if !*yes {
		if !a.canPrompt() {
			return store.Errorf(incident.ErrRefused, "approving %s needs a person at a terminal to answer, or --yes", rollout.RunRef(id))
		}
		fmt.Fprintf(a.stdout, "Approve %s's plan %s? Type yes to approve: ", rollout.RunRef(id), brief.PlanHash[:12])
		line, _ := a.stdinLines().ReadString('\n')
		if strings.TrimSpace(strings.ToLower(line)) != "yes" {
			return store.Errorf(incident.ErrRefused, "not approved: %s still waits", rollout.RunRef(id))
		}
	}
	ev, err := rollout.Approve(ctx, db, policy, id, a.actor.String(), brief.PlanHash, a.notifyEvent)
	if err != nil {
		return runErr(err)
	}
	fmt.Fprintln(a.stdout, clean(ev.Text))
	return nil
}

// printBrief shows an approver what they approve: the script and its diff from the dry-run version, the
// next stage's hosts, and the results so far with the end of their output.
func printBrief(w io.Writer, b *rollout.Brief) {
	for _, l := range b.Lines() {
		for _, l := range cleanLines(l) {
			fmt.Fprintln(w, l)
		}
	}
	fmt.Fprintln(w)
}

func newCmdHalt(a *app) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "halt [--reason TEXT]",
		Short: "the off-switch: stop every run everywhere now",
		Long: `Halt engages the off-switch: every run, from every firebreak on this database, cancels its hosts in
flight within a second, and no run starts until firebreak resume. It is recorded on every open incident.
It works even when the disk is full (the next firebreak that can write records it).`,
		Example: "  firebreak halt --reason 'wrong hosts'",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return haltRun(cmd.Context(), a, reason)
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (`TEXT`, recorded on the timelines)")
	return cmd
}

func haltRun(ctx context.Context, a *app, reason string) error {
	db, err := a.store(ctx)
	if err != nil {
		return err
	}
	res, err := rollout.Halt(ctx, db, a.actor.String(), reason, a.notifyEvent)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "HALTED: every run stops within a second and none starts until firebreak resume (recorded on %d open incidents)\n", len(res.Incidents))
	if res.RecordErr != nil {
		fmt.Fprintf(a.stderr, "firebreak: warning: the halt is in force, but the timeline could not record it yet (%v); the next firebreak that can write will\n", res.RecordErr)
	}
	return nil
}

func newCmdResume(a *app) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:     "resume [--reason TEXT]",
		Short:   "allow runs again after a halt",
		Long:    `Resume releases the off-switch engaged by firebreak halt (or ! in the console): runs may start again. Runs that were halted stay halted; continue one with firebreak run ID --resume RUN.`,
		Example: "  firebreak resume --reason 'inventory fixed'",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return resumeRun(cmd.Context(), a, reason)
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why it is safe again (`TEXT`, recorded on the timelines)")
	return cmd
}

func resumeRun(ctx context.Context, a *app, reason string) error {
	db, err := a.store(ctx)
	if err != nil {
		return err
	}
	sw, err := rollout.Halted(ctx, db)
	if err != nil {
		return err
	}
	if !sw.Engaged {
		fmt.Fprintln(a.stderr, "not halted: nothing to resume")
		return nil
	}
	res, err := rollout.Resume(ctx, db, a.actor.String(), reason, a.notifyEvent)
	if err != nil {
		return err
	}
	if res.RecordErr != nil {
		return res.RecordErr
	}
	fmt.Fprintln(a.stdout, "resumed: runs may start again")
	return nil
}

type runsOptions struct {
	Ref  string // "", an incident id or a run id
	JSON bool
}

func newCmdRuns(a *app) *cobra.Command {
	opts := &runsOptions{}
	cmd := &cobra.Command{
		Use:   "runs [ID|RUN] [--json]",
		Short: "runs of an incident, or one run's hosts",
		Long: `Runs lists the runs, oldest first (of incident ID only, when given): run id, incident, mode (real or
dry), status, stage, what it runs and who started it. Given a RUN id it shows that run and each of its
hosts: stage, state, exit code, duration and log file. With --json it prints a JSON array of runs, or
one run object with its "hosts" (fields in the README).`,
		Example:           "  firebreak runs INC-7\n  firebreak runs RUN-12 --json",
		Args:              argsRange(0, 1),
		ValidArgsFunction: positional(a, completeIncidentsAndRuns),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Ref = args[0]
			}
			return runsRun(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON (an array of runs, or one run with its hosts)")
	return cmd
}

// runJSON is a run in runs --json.
type runJSON struct {
	ID         string        `json:"id"`
	Incident   string        `json:"incident"`
	Runbook    string        `json:"runbook,omitempty"`
	Step       string        `json:"step,omitempty"`
	Title      string        `json:"title,omitempty"`
	DryRun     bool          `json:"dry_run"`
	Status     string        `json:"status"`
	WaitingFor string        `json:"waiting_for,omitempty"`
	Stage      int           `json:"stage"`
	Stages     int           `json:"stages"`
	StartedBy  string        `json:"started_by"`
	StartedAt  time.Time     `json:"started_at"`
	FinishedAt *time.Time    `json:"finished_at,omitempty"`
	PlanHash   string        `json:"plan_hash,omitempty"`
	Resumes    string        `json:"resumes,omitempty"`
	Hosts      []runHostJSON `json:"hosts,omitempty"`
}

// runHostJSON is one host of a run in runs RUN --json.
type runHostJSON struct {
	Host       string  `json:"host"`
	Stage      int     `json:"stage"`
	State      string  `json:"state"`
	ExitCode   int     `json:"exit_code"`
	DurationMS float64 `json:"duration_ms"`
	Error      string  `json:"error,omitempty"`
	Log        string  `json:"log,omitempty"`
	LogMachine string  `json:"log_machine,omitempty"` // the machine id the log is on
}

func toRunJSON(r store.RunRow) runJSON {
	j := runJSON{ID: rollout.RunRef(r.ID), Incident: incident.Ref(r.Incident), Runbook: r.Runbook, Step: r.Step, Title: r.Title,
		DryRun: r.DryRun, Status: r.Status, WaitingFor: r.WaitingFor, Stage: r.Stage, Stages: r.Stages, StartedBy: r.StartedBy,
		StartedAt: r.StartedAt, PlanHash: r.PlanHash}
	if !r.FinishedAt.IsZero() {
		t := r.FinishedAt
		j.FinishedAt = &t
	}
	if r.Resumes != 0 {
		j.Resumes = rollout.RunRef(r.Resumes)
	}
	return j
}

func runsRun(ctx context.Context, a *app, opts *runsOptions) error {
	var pos []string
	if opts.Ref != "" {
		pos = []string{opts.Ref}
	}
	db, err := a.store(ctx)
	if err != nil {
		return err
	}
	if len(pos) == 1 && strings.HasPrefix(strings.ToUpper(pos[0]), "RUN-") {
		id, err := parseRunRef(pos[0])
		if err != nil {
			return err
		}
		return showOneRun(ctx, a, db, id, opts.JSON)
	}
	q := store.RunQuery{}
	if len(pos) == 1 {
		if q.Incident, err = incident.ParseRef(pos[0]); err != nil {
			return err
		}
	}
	runs, err := db.Runs(ctx, q)
	if err != nil {
		return err
	}
	if opts.JSON {
		out := make([]runJSON, 0, len(runs))
		for _, r := range runs {
			out = append(out, toRunJSON(r))
		}
		return writeJSON(a, out)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tINCIDENT\tMODE\tSTATUS\tSTAGE\tWHAT\tSTARTED BY")
	for _, r := range runs {
		mode := "real"
		if r.DryRun {
			mode = "dry"
		}
		what := clean(r.Title)
		if r.Runbook != "" {
			what = clean(r.Runbook + "/" + r.Step)
		}
		status := r.Status
		if r.WaitingFor != "" {
			status += " (" + clean(r.WaitingFor) + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d/%d\t%s\t%s\n", rollout.RunRef(r.ID), incident.Ref(r.Incident), mode, status, r.Stage, r.Stages, what, clean(r.StartedBy))
	}
	return tw.Flush()
}

func showOneRun(ctx context.Context, a *app, db store.Store, id int64, asJSON bool) error {
	r, err := db.Run(ctx, id)
	if err != nil {
		return runErr(err)
	}
	hosts, err := db.RunHosts(ctx, id)
	if err != nil {
		return err
	}
	if asJSON {
		j := toRunJSON(r)
		j.Hosts = []runHostJSON{}
		for _, h := range hosts {
			j.Hosts = append(j.Hosts, runHostJSON{Host: h.Host, Stage: h.Stage, State: h.State, ExitCode: h.ExitCode,
				DurationMS: float64(h.Duration.Microseconds()) / 1000, Error: h.Error, Log: h.LogPath, LogMachine: h.LogHost})
		}
		return writeJSON(a, j)
	}
	fmt.Fprintf(a.stdout, "%s  %s  %s  stage %d/%d  started by %s at %s\n", rollout.RunRef(r.ID), incident.Ref(r.Incident), r.Status,
		r.Stage, r.Stages, clean(r.StartedBy), r.StartedAt.Format("2006-01-02 15:04:05 UTC"))
	return writeRunHosts(a.stdout, hosts, rollout.MachineID())
}

// hostColumns are the columns of a run's hosts in runs RUN.
var hostColumns = [...]string{"STAGE", "HOST", "STATE", "EXIT", "DURATION", "LOG"}

// hostCells are the cells of host h's row; here is this machine's id (a log elsewhere says where).
func hostCells(h store.RunHost, here string) [len(hostColumns)]string {
	log := h.LogPath
	if log != "" && h.LogHost != "" && h.LogHost != here { // a log on another bastion: say which
		log = h.LogHost + ":" + log
	}
	return [...]string{strconv.Itoa(h.Stage), clean(h.Host), h.State, strconv.Itoa(h.ExitCode), h.Duration.String(), orDash(clean(log))}
}

// writeRunHosts writes a run's hosts as the table tabwriter would (columns two spaces apart), a row at a
// time: the widths are measured in a first pass, so a run of 10,000 hosts is neither held as one text
// nor waited for before its first row shows.
func writeRunHosts(w io.Writer, hosts []store.RunHost, here string) error {
	var width [len(hostColumns)]int
	for i, c := range hostColumns {
		width[i] = utf8.RuneCountInString(c)
	}
	for _, h := range hosts {
		for i, c := range hostCells(h, here) {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	spaces := strings.Repeat(" ", slices.Max(width[:])+2)
	bw := bufio.NewWriterSize(w, 64<<10)
	row := func(cells [len(hostColumns)]string) {
		for i, c := range cells {
			bw.WriteString(c)
			if i < len(cells)-1 { // the last column is not padded, as tabwriter leaves it
				bw.WriteString(spaces[:width[i]-utf8.RuneCountInString(c)+2])
			}
		}
		bw.WriteByte('\n')
	}
	row(hostColumns)
	for _, h := range hosts {
		row(hostCells(h, here))
	}
	return bw.Flush()
}

func parseRunRef(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if len(t) > 4 && strings.EqualFold(t[:4], "RUN-") {
		t = t[4:]
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 {
		return 0, store.Errorf(incident.ErrInvalid, "%q is not a run id: use the form RUN-3 (firebreak runs lists them)", s)
	}
	return n, nil
}

func runErr(err error) error {
	switch {
	case errors.Is(err, rollout.ErrNotFound), errors.Is(err, store.ErrNotFound):
		return store.Errorf(incident.ErrNotFound, "%v", err)
	case errors.Is(err, rollout.ErrRefused):
		return store.Errorf(incident.ErrRefused, "%v", err)
	}
	return err
}

// cmdRunbookTest dry-runs every script step of a runbook on the hosts (default localhost): check, then
// verify where the check says the host is already done, else the dry run. It is the CI gate for
// remediation code; it needs no database.
type runbookTestOptions struct {
	Runbook, Hosts, Timeout string
	Inventories             []string
	Vars                    varsFlag
	Verbose                 bool
}

func newCmdRunbookTest(a *app) *cobra.Command {
	opts := &runbookTestOptions{Vars: varsFlag{}}
	cmd := &cobra.Command{
		Use:   "test RUNBOOK [--hosts PATTERN] [-i INVENTORY] [--var NAME=VALUE]",
		Short: "dry-run every script step on hosts (default localhost): the CI gate",
		Long: `Test dry-runs every script step of RUNBOOK on the hosts --hosts matches (default localhost): its check,
then its verify where the check says the host is already done, else its dry run. Nothing is recorded
and no database is needed: it is the CI gate for remediation code. Exit 1 when any step fails on any host.`,
		Example:           "  firebreak runbook test free-disk\n  firebreak runbook test free-disk --hosts staging -i staging.ini --var DIR=/srv/tmp",
		Args:              exactArgs(1),
		ValidArgsFunction: positional(a, completeRunbooks),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Runbook = args[0]
			return runbookTestRun(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Hosts, "hosts", "localhost", "host `PATTERN` to test on")
	inventoryFlag(cmd, &opts.Inventories)
	cmd.Flags().Var(opts.Vars, "var", "a variable for the scripts, `NAME=VALUE` (repeatable)")
	cmd.Flags().StringVar(&opts.Timeout, "timeout", "2m", "per-host command timeout (`DURATION`)")
	cmd.Flags().BoolVarP(&opts.Verbose, "verbose", "v", false, "print the hosts' output as it comes")
	cmd.RegisterFlagCompletionFunc("hosts", flagCompletion(a, completeHosts))
	return cmd
}

func runbookTestRun(ctx context.Context, a *app, opts *runbookTestOptions) error {
	pos, invs, vars, hostsFlag, timeoutFlag, verbose := []string{opts.Runbook}, opts.Inventories, opts.Vars, &opts.Hosts, &opts.Timeout, &opts.Verbose
	timeout, err := parseDuration("--timeout", *timeoutFlag)
	if err != nil {
		return err
	}
	rb, err := a.runbook(pos[0])
	if err != nil {
		return err
	}
	inv, err := a.inventory(invs)
	if err != nil {
		return err
	}
	hosts, err := a.selectHosts(inv, *hostsFlag)
	if err != nil {
		return err
	}
	if len(hosts) == 0 {
		return store.Errorf(incident.ErrInvalid, "pattern %q matches no host", *hostsFlag)
	}
	connect, _ := time.ParseDuration(a.cfg.Runs.ConnectTimeout)
	pool := transport.NewPool(transport.Config{ConnectTimeout: connect})
	defer pool.Close()
	secrets := rb.Secrets(a.cfg.secrets()).With(inv.SecretVars()...)
	failures, tested := 0, 0
	for _, st := range rb.Steps {
		if !st.IsScript() {
			continue
		}
		script := rollout.Script{Main: st.Script, DryRun: st.DryRun, Check: st.Check, Verify: st.Verify, Rollback: st.Rollback}
		for _, h := range hosts {
			env := map[string]string{}
			for k, v := range rb.Vars {
				env[k] = v
			}
			for k, v := range h.Vars {
				if !strings.HasPrefix(k, "ansible_") && k != inventory.SecretVarsVar && validName(k) {
					env[k] = v
				}
			}
			for k, v := range vars {
				env[k] = v
			}
			env["FIREBREAK_INCIDENT"], env["FIREBREAK_RUN"], env["FIREBREAK_HOST"], env["FIREBREAK_STAGE"] = "test", "test", h.Name, "1"
			mask := secrets.Masker(env)
			out := &lineSink{host: h.Name, verbose: *verbose, w: a.stdout, secrets: secrets.Values(env)}
			res := rollout.Rehearse(ctx, pool.For(h), rollout.HostJob{Script: script, Env: env, Timeout: timeout, Out: out})
			res.Error = mask.String(res.Error)
			tested++
			mark := "ok"
			if !res.State.Good() {
				mark, failures = "FAIL", failures+1
			}
			fmt.Fprintf(a.stdout, "%-4s %s/%s on %s: %s (%s, exit %d, %s)\n", mark, clean(rb.ID), clean(st.ID), clean(h.Name), res.State, res.Phase, res.ExitCode,
				res.Duration.Round(time.Millisecond))
			if !res.State.Good() {
				fmt.Fprintf(a.stdout, "     %s\n", clean(res.Error))
				for _, l := range out.last() {
					fmt.Fprintf(a.stdout, "     | %s\n", clean(l))
				}
			}
		}
	}
	if tested == 0 {
		fmt.Fprintf(a.stderr, "%s has no script steps: nothing to test\n", rb.ID)
		return nil
	}
	if failures > 0 {
		return failedf("runbook test %s: %d of %d step runs failed", rb.ID, failures, tested)
	}
	fmt.Fprintf(a.stderr, "runbook test %s: %d step runs passed on %d hosts\n", rb.ID, tested, len(hosts))
	return nil
}

func validName(s string) bool {
	for i, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}

// lineSink captures a host's output for `runbook test`: printed as it comes with -v, and its last lines
// kept to show under a failure.
type lineSink struct {
	host    string
	verbose bool
	secrets []string // values masked in every line (output.Secrets.Values)
	w       io.Writer
	once    sync.Once
	capture *output.Capture
	mu      sync.Mutex
	lines   []string
}

func (s *lineSink) Writer(st output.Stream) io.Writer {
	s.once.Do(func() {
		s.capture, _ = output.NewCapture(output.Config{Secrets: s.secrets, OnLine: func(l output.Line) {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.verbose {
				fmt.Fprintf(s.w, "     %s | %s\n", clean(s.host), clean(l.Text))
			}
			s.lines = append(s.lines, l.Text)
			if len(s.lines) > 10 {
				s.lines = s.lines[1:]
			}
		}})
	})
	return s.capture.Writer(st)
}

func (s *lineSink) last() []string {
	if s.capture != nil {
		s.capture.Close()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lines
}
