package rollout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks/inventory"
	"github.com/firebreak/firebreak/runbooks/output"
	"github.com/firebreak/firebreak/runbooks/transport"
	"github.com/firebreak/firebreak/store"
)

// Transports hands out the transport for a host (transport.Pool does).
type Transports interface {
	For(h *inventory.Host) transport.Transport
}

// Engine runs runs. The same engine serves the console and the headless command: it sends Updates out and
// asks for Decisions at every pause.
type Engine struct {
	DB         store.Store
	Actor      string // as the timeline records it: "root as alice"
	Transports Transports
	LogDir     string // run logs go to LogDir/RUN-n/HOST.log
	Policy     Policy
	// Notify is told of every committed event (the notify hooks).
	Notify func(store.Event)
	// Watch receives what happens as it happens. Keep it quick; lines are dropped rather than slow a run.
	Watch func(Update)
	// Ask is called at each pause between stages and returns what the operator decided. It should return
	// when ctx is done. Nil: stop at the first pause unless the spec continues by itself.
	Ask func(ctx context.Context, p Pause) Choice
	Now func() time.Time
	// Logs bound the run's logs and say how much free space a run needs to start.
	Logs LogLimits
	// Machine is this machine's id, recorded as the runs' owner and where their logs are ("": MachineID()).
	Machine string
	// LeaseTTL is how long a run's lease lasts unless renewed (0: DefaultLeaseTTL). The engine renews it
	// every third of it while it drives the run.
	LeaseTTL time.Duration
}

// LogLimits bound run logs ([runs] log_max_host, log_max_run, log_min_free).
type LogLimits struct {
	MaxHost, MaxRun int64  // bytes per host and per run (0: the defaults of package output, no run cap)
	MinFree         uint64 // a run refuses to start when the log directory has less free (0: not checked)
}

// Choice is what an operator decides at a pause.
type Choice int

// The choices at a pause.
const (
	Continue Choice = iota
	Stop
	RollbackFailed
)

// Pause describes a run waiting between stages.
type Pause struct {
	Run          int64
	Done         int // stages done
	Stages       int
	NextHosts    []string
	Failed       []string // hosts of the run that failed so far
	NeedApproval bool     // a second person must approve (firebreak approve RUN-n)
	CanRollback  bool
}

// UpdateKind says what an Update is about.
type UpdateKind string

// The update kinds.
const (
	UpdateStarted     UpdateKind = "started"
	UpdateStage       UpdateKind = "stage"
	UpdateHostRunning UpdateKind = "host_running"
	UpdateLine        UpdateKind = "line"
	UpdateHostDone    UpdateKind = "host_done"
	UpdateWaiting     UpdateKind = "waiting"
	UpdateApproved    UpdateKind = "approved"
	UpdateFinished    UpdateKind = "finished"
)

// Update is one thing that happened in a run.
type Update struct {
	Kind   UpdateKind
	Run    int64
	Stage  int // 1-based
	Host   string
	Line   output.Line
	Result HostResult
	Status string
	Text   string
}

// Summary is how a run ended.
type Summary struct {
	Run    int64
	Status string // succeeded, failed, halted, stopped
	Reason string
	Counts map[HostState]int
	Hosts  []store.RunHost
}

// Run statuses.
const (
	StatusRunning     = "running"
	StatusWaiting     = "waiting"
	StatusSucceeded   = "succeeded"
	StatusFailed      = "failed"
	StatusHalted      = "halted"
	StatusStopped     = "stopped"
	StatusInterrupted = "interrupted"
)

// RunRef is the human id of a run.
func RunRef(id int64) string { return fmt.Sprintf("RUN-%d", id) }

var errHalted = errors.New("halted by the off-switch")

// errLeaseLost is why a run stops when another firebreak reaped it: this process did not renew its lease in
// time (the database was out of reach, the machine paused), so the run is recorded as interrupted and this
// process must start nothing more for it nor record anything that says otherwise.
var errLeaseLost = errors.New("its lease ran out and another firebreak marked it interrupted: nothing more was started; see firebreak runs")

// planRecord is the run's plan as recorded on the timeline and in the runs table.
type planRecord struct {
	Pattern     string            `json:"pattern,omitempty"`
	DryRun      bool              `json:"dry_run"`
	Stages      [][]string        `json:"stages"`
	StageSpec   string            `json:"stage_spec"`
	Concurrency int               `json:"concurrency"`
	MaxFail     string            `json:"max_fail"`
	Timeout     string            `json:"timeout"`
	ScriptHash  string            `json:"script_hash"`
	Script      Script            `json:"script"`
	Vars        map[string]string `json:"vars,omitempty"` // secrets masked
	Guards      []Decision        `json:"guards"`
	StartedBy   string            `json:"started_by"`
	PlanHash    string            `json:"plan_hash"`
	// ApproveBefore is the stage (0-based) that waits for another person's approval; -1: none.
	ApproveBefore int    `json:"approve_before"`
	Again         int64  `json:"again,omitempty"` // the run this one resumes or retries
	AgainVerb     string `json:"again_verb,omitempty"`
}

// Run decides every guard again inside the transaction that creates the run, then runs spec stage by
// stage until it ends. A refused run returns a *GuardError (and records the refusal); otherwise the summary
// says how it ended.
func (e *Engine) Run(ctx context.Context, spec Spec) (*Summary, error) {
	if spec.Concurrency < 1 {
		spec.Concurrency = 10
	}
	if spec.Timeout <= 0 {
		spec.Timeout = 5 * time.Minute
	}
	plan, findings, err := prepare(ctx, spec)
	if err != nil {
		return nil, err
	}
	rec := newRecorder(e.DB, e.Actor, e.Notify)
	defer rec.close()

	what := describe(spec)
	var verdict Verdict
	var severity int
	var pr planRecord
	var row store.RunRow
	own := currentOwner(e.machine())
	err = e.DB.Write(ctx, func(tx store.Tx) error {
		f, err := e.facts(ctx, tx, spec, plan, findings)
		if err != nil {
			return err
		}
		severity, verdict = f.Severity, Decide(e.Policy, spec, plan, f)
		if err := verdict.Err(); err != nil {
			return err // nothing is created; the refusal is recorded below
		}
		pr = planRecord{Pattern: spec.Pattern, DryRun: spec.DryRun, StageSpec: spec.Stages.String(), Concurrency: spec.Concurrency,
			MaxFail: spec.MaxFail.String(), Timeout: spec.Timeout.String(), ScriptHash: spec.Script.Hash(), Script: spec.Script,
			Vars: spec.Secrets.MaskVars(spec.Vars), Guards: verdict.Decisions, StartedBy: e.Actor, PlanHash: verdict.PlanHash,
			ApproveBefore: verdict.ApproveBefore}
		if spec.Again != nil {
			pr.Again, pr.AgainVerb = spec.Again.Run, spec.Again.Verb
		}
		var hosts []store.RunHost
		for si, stage := range plan.Stages {
			var names []string
			for _, h := range stage {
				names = append(names, h.Name)
				hosts = append(hosts, store.RunHost{Host: h.Name, Stage: si + 1, Position: len(hosts), State: string(Pending)})
			}
			pr.Stages = append(pr.Stages, names)
		}
		planJSON, _ := json.Marshal(pr)
		row = store.RunRow{Incident: spec.Incident, Runbook: spec.Runbook, Step: spec.Step, Title: spec.Title,
			ScriptHash: spec.Script.Hash(), DryRun: spec.DryRun, Status: StatusRunning, Stages: len(plan.Stages),
			Plan: planJSON, StartedBy: e.Actor, StartedAt: e.now(), OwnerPID: own.pid, OwnerStart: own.start, OwnerHost: own.machine,
			LeaseUntil: time.Now().Add(e.leaseTTL()), PlanHash: verdict.PlanHash}
		if spec.Again != nil {
			row.Resumes = spec.Again.Run
		}
		row.ID, err = tx.CreateRun(ctx, row, hosts)
		return err
	})
	var ge *GuardError
	if errors.As(err, &ge) {
		rec.event(spec.Incident, incident.KindRunRefused, fmt.Sprintf("refused %s: %s", what, ge.Error()),
			incident.RunRefusedData{Runbook: spec.Runbook, Step: spec.Step, DryRun: spec.DryRun, ScriptHash: spec.Script.Hash(),
				PlanHash: verdict.PlanHash, Guards: mustJSON(verdict.Decisions), Refusals: mustJSON(ge.Refusals)}, nil)
		if err := rec.sync(); err != nil {
			return nil, err
		}
		return nil, ge
	}
	if err != nil {
		return nil, err
	}
	mode := "real"
	if spec.DryRun {
		mode = "dry"
	}
	text := fmt.Sprintf("%s started: %s run of %s on %d hosts in %d stages (%s)", RunRef(row.ID), mode, what, len(spec.Hosts), len(plan.Stages), sizes(plan))
	if spec.Again != nil {
		text += fmt.Sprintf("; it %ss %s", spec.Again.Verb, RunRef(spec.Again.Run))
	}
	rec.event(spec.Incident, incident.KindRunStarted, text, incident.RunStartedData{Run: row.ID, Plan: row.Plan}, nil)
	for _, d := range verdict.Decisions {
		if d.Outcome == Overridden {
			kind := incident.KindGuard
			if strings.HasPrefix(d.Override, "break glass") {
				kind = incident.KindBreakGlass
			}
			rec.event(spec.Incident, kind, fmt.Sprintf("%s: guard %s overridden: %s (%s)", RunRef(row.ID), d.Guard, d.Override, d.Detail),
				incident.GuardData{Run: row.ID, Guard: d.Guard, Reason: d.Override, Detail: d.Detail, PlanHash: verdict.PlanHash}, nil)
		}
	}
	e.watch(Update{Kind: UpdateStarted, Run: row.ID, Text: what})

	r := &runState{e: e, spec: spec, plan: plan, row: row, rec: rec, owner: own, severity: severity, approveBefore: verdict.ApproveBefore,
		results: map[string]HostResult{}}
	if e.Logs.MaxRun > 0 {
		r.logBudget = output.NewRunBudget(e.Logs.MaxRun)
	}
	if d, ok := verdict.Decision(GuardOffSwitch); ok && d.Outcome == Overridden {
		r.haltPassed = true
	}
	return r.execute(ctx)
}

// runState is one run in progress.
type runState struct {
	e             *Engine
	spec          Spec
	plan          Plan
	row           store.RunRow
	rec           *recorder
	owner         owner
	severity      int
	approveBefore int  // the stage that waits for an approval (-1: none)
	approved      bool // someone else approved this plan
	haltPassed    bool // break glass let this run through the halt engaged when it started
	logBudget     *output.RunBudget

	mu      sync.Mutex
	results map[string]HostResult
}

func (r *runState) execute(parent context.Context) (*Summary, error) {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	// Once reaped elsewhere, the run is no longer this process's: nothing more of it is recorded here.
	r.rec.guard(r.row.ID, r.owner, func() { cancel(errLeaseLost) })
	go r.watchHalt(ctx, cancel)
	// The lease is renewed until the run's end is recorded, even after a signal cancelled ctx.
	beat, stopBeat := context.WithCancel(context.WithoutCancel(parent))
	defer stopBeat()
	go r.heartbeat(beat)

	status, reason := StatusSucceeded, ""
	if r.approveBefore == 0 { // no canary: even the first stage is wide and waits for another person
		choice, err := r.pause(ctx, -1)
		if err != nil {
			return nil, err
		}
		if choice == Stop {
			status, reason = StatusStopped, "stopped before the first stage, waiting for an approval"
			if cause := context.Cause(ctx); cause != nil {
				status, reason = stopStatus(cause)
			}
			return r.finish(status, reason)
		}
	}
	for si := range r.plan.Stages {
		if context.Cause(ctx) != nil {
			break
		}
		r.row.Stage = si + 1
		r.rec.run(r.row)
		stage := r.plan.Stage(si)
		r.rec.event(r.spec.Incident, incident.KindStageStarted, fmt.Sprintf("%s stage %d/%d started on %d hosts: %s", RunRef(r.row.ID),
			si+1, len(r.plan.Stages), len(stage), hostList(stage)), incident.StageStartedData{Run: r.row.ID, Stage: si + 1, Hosts: names(stage)}, nil)
		r.e.watch(Update{Kind: UpdateStage, Run: r.row.ID, Stage: si + 1, Text: fmt.Sprintf("stage %d/%d: %d hosts", si+1, len(r.plan.Stages), len(stage))})

		failed, stopped := r.runStage(ctx, si, stage)
		counts := r.countStage(stage)
		exceeded := r.spec.MaxFail.Exceeded(len(failed), len(stage))
		r.rec.event(r.spec.Incident, incident.KindStageDone, fmt.Sprintf("%s stage %d/%d done: %s", RunRef(r.row.ID), si+1, len(r.plan.Stages), countText(counts)),
			incident.StageDoneData{Run: r.row.ID, Stage: si + 1, Counts: stateNames(counts), Failed: failed, MaxFailExceeded: exceeded}, nil)
		if err := r.rec.sync(); err != nil {
			return nil, fmt.Errorf("recording the run: %w", err)
		}
		if len(failed) > 0 && r.spec.RollbackOnFailure && !r.spec.DryRun && !r.rec.isTaken() {
			r.rollback(ctx, failed)
		}
		if cause := context.Cause(ctx); cause != nil {
			status, reason = stopStatus(cause)
			break
		}
		if len(failed) == len(stage) { // as Ansible: a batch that failed whole ends the play, whatever max_fail says
			status = StatusFailed
			reason = fmt.Sprintf("stage %d: every host failed (%d of %d); a stage that fails whole always stops the run", si+1, len(failed), len(stage))
			break
		}
		if exceeded || stopped {
			status = StatusFailed
			reason = fmt.Sprintf("stage %d: %d of %d hosts failed, more than max_fail %s allows; the next stage was not started",
				si+1, len(failed), len(stage), r.spec.MaxFail)
			break
		}
		if si == len(r.plan.Stages)-1 {
			break
		}
		choice, err := r.pause(ctx, si)
		if err != nil {
			return nil, err
		}
		if choice == Stop {
			status, reason = StatusStopped, fmt.Sprintf("stopped by the operator after stage %d", si+1)
			if cause := context.Cause(ctx); cause != nil {
				status, reason = stopStatus(cause)
			}
			break
		}
	}
	return r.finish(status, reason)
}

// stopStatus is how a run whose context ended is recorded: halted by the off-switch, else stopped (the
// process driving it was asked to quit).
func stopStatus(cause error) (string, string) {
	if errors.Is(cause, errHalted) {
		return StatusHalted, cause.Error()
	}
	if errors.Is(cause, errLeaseLost) {
		return StatusInterrupted, cause.Error()
	}
	return StatusStopped, cause.Error()
}

// runStage runs one stage's hosts in a sliding window. It returns the hosts that failed, and whether it
// stopped launching because failures exceeded max_fail.
func (r *runState) runStage(ctx context.Context, si int, stage []*inventory.Host) (failed []string, stopped bool) {
	sem := make(chan struct{}, r.spec.Concurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex
	nfail := 0
	for i, h := range stage {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		mu.Lock()
		over := r.spec.MaxFail.Exceeded(nfail, len(stage))
		mu.Unlock()
		if ctx.Err() != nil || over {
			stopped = over
			for _, rest := range stage[i:] {
				r.hostDone(rest, si, HostResult{State: Cancelled, ExitCode: -1, Error: notStarted(ctx, over)})
			}
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			res := r.runHost(ctx, h, si, ModeFor(r.spec.DryRun))
			if res.State.Bad() {
				mu.Lock()
				nfail++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, h := range stage {
		if res := r.result(h.Name); res.State.Bad() {
			failed = append(failed, h.Name)
		}
	}
	return failed, stopped
}

func notStarted(ctx context.Context, overMaxFail bool) string {
	if overMaxFail {
		return "not started: the stage's failures exceeded max_fail"
	}
	return "not started: " + context.Cause(ctx).Error()
}

// ModeFor is the host mode of a dry or real run.
func ModeFor(dry bool) Mode {
	if dry {
		return ModeDry
	}
	return ModeReal
}

func (r *runState) runHost(ctx context.Context, h *inventory.Host, si int, mode Mode) HostResult {
	ref := RunRef(r.row.ID)
	r.rec.host(store.RunHost{Run: r.row.ID, Host: h.Name, State: string(Running), ExitCode: -1})
	r.e.watch(Update{Kind: UpdateHostRunning, Run: r.row.ID, Stage: si + 1, Host: h.Name})
	env := hostEnv(r.spec, h)
	env["FIREBREAK_INCIDENT"] = fmt.Sprintf("INC-%d", r.spec.Incident)
	env["FIREBREAK_RUN"] = ref
	env["FIREBREAK_HOST"] = h.Name
	env["FIREBREAK_STAGE"] = fmt.Sprint(si + 1)
	logPath := ""
	if r.e.LogDir != "" {
		logPath = filepath.Join(r.e.LogDir, ref, safeName(h.Name)+".log")
	}
	secrets := r.spec.Secrets.Values(env)
	capture, err := output.NewCapture(output.Config{LogPath: logPath, LogMax: r.e.Logs.MaxHost, Budget: r.logBudget,
		TailBytes: 8 << 10, Secrets: secrets,
		OnLine: func(l output.Line) {
			r.e.watch(Update{Kind: UpdateLine, Run: r.row.ID, Stage: si + 1, Host: h.Name, Line: l})
		}})
	var res HostResult
	if err != nil {
		res = HostResult{State: Failed, ExitCode: -1, Phase: "log", Error: err.Error()}
	} else {
		t := r.e.Transports.For(h)
		res = RunHost(ctx, t, HostJob{Script: r.spec.Script, Mode: mode, Env: env, Timeout: r.spec.Timeout, Out: capture})
		if !r.rollsBack(mode, res) {
			t.Close() // its connection is not needed again: memory grows with the concurrency, not the fleet
		}
		if err := capture.Close(); err != nil && res.Error == "" {
			res.Error = "writing its log: " + err.Error()
		}
		if !capture.LogWritten() { // a host that printed nothing leaves no file
			logPath = ""
		}
	}
	res.Error = output.NewMasker(secrets).String(res.Error) // an error may quote the command or its output
	tail := ""
	if capture != nil {
		tail = capture.Tail()
	}
	r.hostDoneTail(h, si, res, tail, logPath)
	return res
}

// rollsBack says the stage's rollback will run on this host after the stage, over the same connection.
func (r *runState) rollsBack(mode Mode, res HostResult) bool {
	return mode != ModeRollback && res.State.Bad() && r.spec.RollbackOnFailure && !r.spec.DryRun && r.spec.Script.Rollback != ""
}

func (r *runState) hostDone(h *inventory.Host, si int, res HostResult) {
	r.hostDoneTail(h, si, res, "", "")
}

func (r *runState) hostDoneTail(h *inventory.Host, si int, res HostResult, tail, logPath string) {
	r.mu.Lock()
	r.results[h.Name] = res
	r.mu.Unlock()
	logHost := ""
	if logPath != "" {
		logHost = r.owner.machine
	}
	r.rec.host(store.RunHost{Run: r.row.ID, Host: h.Name, State: string(res.State), ExitCode: res.ExitCode,
		Duration: res.Duration, Error: output.Sanitize([]byte(res.Error)), OutputTail: tail, LogPath: logPath, LogHost: logHost})
	text := fmt.Sprintf("%s %s: %s", RunRef(r.row.ID), h.Name, res.State)
	if res.State != Cancelled || res.Duration > 0 {
		text += fmt.Sprintf(" (%s exit %d, %s)", res.Phase, res.ExitCode, res.Duration.Round(time.Millisecond))
	}
	if res.Error != "" && res.State != OK {
		text += ": " + output.Sanitize([]byte(res.Error))
	}
	r.rec.event(r.spec.Incident, incident.KindHostDone, text, incident.HostDoneData{Run: r.row.ID, Host: h.Name, Stage: si + 1,
		State: string(res.State), ExitCode: res.ExitCode, Phase: res.Phase, DurationMS: res.Duration.Milliseconds()},
		func(store.Event) {
			r.e.watch(Update{Kind: UpdateHostDone, Run: r.row.ID, Stage: si + 1, Host: h.Name, Result: res})
		})
}

func (r *runState) result(host string) HostResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.results[host]
}

func (r *runState) countStage(stage []*inventory.Host) map[HostState]int {
	counts := map[HostState]int{}
	for _, h := range stage {
		counts[r.result(h.Name).State]++
	}
	return counts
}

// rollback runs the step's rollback on the failed hosts.
func (r *runState) rollback(ctx context.Context, failed []string) {
	if r.spec.Script.Rollback == "" {
		return
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, r.spec.Concurrency)
	for _, name := range failed {
		h := findHost(r.spec.Hosts, name)
		si := r.stageOf(name)
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r.runHost(ctx, h, si, ModeRollback)
		}()
	}
	wg.Wait()
	r.rec.sync()
}

func (r *runState) stageOf(host string) int {
	for si, st := range r.plan.Stages {
		for _, h := range st {
			if h.Name == host {
				return si
			}
		}
	}
	return 0
}

// pause waits between stage si and the next (si -1: before the first) for the operator's choice and, when
// the two-person rule makes the next stage wait (Decide says which), another person's approval. Before the
// first stage the operator has already said go: only the approval is waited for.
func (r *runState) pause(ctx context.Context, si int) (Choice, error) {
	needApproval := !r.approved && si+1 == r.approveBefore
	waitingFor := "continue"
	if needApproval {
		waitingFor = "approval"
	}
	r.row.Status, r.row.WaitingFor = StatusWaiting, waitingFor
	r.rec.run(r.row)
	next := r.plan.Stage(si + 1)
	text := fmt.Sprintf("%s waiting after stage %d/%d before %d hosts: %s", RunRef(r.row.ID), si+1, len(r.plan.Stages), len(next), hostList(next))
	if si < 0 {
		text = fmt.Sprintf("%s waiting before stage 1/%d (%d hosts, no canary before it): %s", RunRef(r.row.ID), len(r.plan.Stages), len(next), hostList(next))
	}
	if needApproval {
		text += fmt.Sprintf("; SEV%d needs another person's approval: firebreak approve %s", r.severity, RunRef(r.row.ID))
	}
	r.rec.event(r.spec.Incident, incident.KindRunWaiting, text, incident.RunWaitingData{Run: r.row.ID, Stage: si + 1, WaitingFor: waitingFor}, nil)
	if err := r.rec.sync(); err != nil {
		return Stop, err
	}
	p := Pause{Run: r.row.ID, Done: si + 1, Stages: len(r.plan.Stages), NextHosts: names(next), NeedApproval: needApproval,
		CanRollback: r.spec.Script.Rollback != "" && !r.spec.DryRun}
	for name, res := range r.results {
		if res.State.Bad() {
			p.Failed = append(p.Failed, name)
		}
	}
	r.e.watch(Update{Kind: UpdateWaiting, Run: r.row.ID, Stage: si + 1, Text: text})

	decided := r.spec.AutoContinue || si < 0
	choices := make(chan Choice, 1)
	askCtx, stopAsking := context.WithCancel(ctx)
	defer stopAsking()
	ask := func() {
		if r.e.Ask == nil {
			choices <- Stop
			return
		}
		go func() { choices <- r.e.Ask(askCtx, p) }()
	}
	if !decided {
		ask()
	}
	var soak <-chan time.Time
	if r.spec.Soak > 0 && !decided {
		soak = time.After(r.spec.Soak)
	}
	poll := time.NewTicker(200 * time.Millisecond)
	defer poll.Stop()
	for {
		if needApproval && !r.approved {
			// A database out of reach for a moment (a server restarting) only delays the approval: the
			// run keeps waiting and asks again at the next poll.
			if by, err := r.approval(ctx, si+1); err == nil && by != "" {
				r.approved = true
				r.e.watch(Update{Kind: UpdateApproved, Run: r.row.ID, Stage: si + 1, Text: "approved by " + by})
			}
		}
		if decided && (!needApproval || r.approved) {
			break
		}
		select {
		case <-ctx.Done():
			return Stop, nil
		case c := <-choices:
			switch c {
			case Continue:
				decided = true
			case RollbackFailed:
				r.rollback(ctx, p.Failed)
				p.Failed = nil
				ask()
			default:
				return Stop, nil
			}
		case <-soak:
			decided = true
		case <-poll.C:
		}
	}
	r.row.Status, r.row.WaitingFor = StatusRunning, ""
	r.rec.run(r.row)
	r.rec.event(r.spec.Incident, incident.KindRunContinued, fmt.Sprintf("%s continues to stage %d/%d", RunRef(r.row.ID), si+2, len(r.plan.Stages)),
		incident.RunContinuedData{Run: r.row.ID, Stage: si + 2}, nil)
	return Continue, nil
}

// approval returns who approved the run (someone the two-person rule counts as another person, for this
// very plan), or "".
func (r *runState) approval(ctx context.Context, stage int) (string, error) {
	as, err := r.e.DB.Approvals(ctx, r.row.ID)
	if err != nil {
		return "", err
	}
	for _, a := range as {
		if checkApproval(r.e.Policy, r.row, a) == nil {
			return a.Person, nil
		}
	}
	return "", nil
}

func (r *runState) finish(status, reason string) (*Summary, error) {
	r.row.Status, r.row.WaitingFor, r.row.FinishedAt = status, "", r.e.now()
	counts := map[HostState]int{}
	for _, st := range r.plan.Stages {
		for _, h := range st {
			res, ok := r.results[h.Name]
			if !ok { // a stage that never started: its hosts were never touched
				res = HostResult{State: Cancelled, ExitCode: -1, Error: "not started: the run ended before this stage"}
				r.rec.host(store.RunHost{Run: r.row.ID, Host: h.Name, State: string(Cancelled), ExitCode: -1, Error: res.Error})
				r.e.watch(Update{Kind: UpdateHostDone, Run: r.row.ID, Stage: r.stageOf(h.Name) + 1, Host: h.Name, Result: res})
			}
			counts[res.State]++
		}
	}
	if status == StatusSucceeded {
		for state, n := range counts {
			if n > 0 && !state.Good() {
				status, reason = StatusFailed, fmt.Sprintf("%d hosts %s", n, state)
			}
		}
		r.row.Status = status
	}
	r.rec.run(r.row)
	text := fmt.Sprintf("%s %s: %s", RunRef(r.row.ID), status, countText(counts))
	if reason != "" {
		text += "; " + reason
	}
	r.rec.event(r.spec.Incident, incident.KindRunFinished, text, incident.RunFinishedData{Run: r.row.ID, Status: status, Reason: reason,
		Counts: stateNames(counts), DryRun: r.spec.DryRun, Runbook: r.spec.Runbook, Step: r.spec.Step, ScriptHash: r.spec.Script.Hash()}, nil)
	if err := r.rec.sync(); err != nil {
		return nil, err
	}
	if r.rec.isTaken() { // another firebreak's record of the run stands, not this process's view of it
		status, reason = StatusInterrupted, errLeaseLost.Error()
		text = fmt.Sprintf("%s %s: %s", RunRef(r.row.ID), status, reason)
	}
	hosts, err := r.e.DB.RunHosts(context.Background(), r.row.ID)
	if err != nil {
		return nil, err
	}
	r.e.watch(Update{Kind: UpdateFinished, Run: r.row.ID, Status: status, Text: text})
	return &Summary{Run: r.row.ID, Status: status, Reason: reason, Counts: counts, Hosts: hosts}, nil
}

// watchHalt cancels the run within a fraction of a second of the off-switch being engaged anywhere. It
// polls the off-switch file, which a halt writes even when the database cannot be written.
func (r *runState) watchHalt(ctx context.Context, cancel context.CancelCauseFunc) {
	// A run that broke glass through a halt ignores that halt, but not a new one.
	var overridden time.Time
	if sw, err := Halted(ctx, r.e.DB); err == nil && sw.Engaged && r.haltPassed {
		overridden = sw.At
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		sw, err := Halted(ctx, r.e.DB)
		if err == nil && sw.Engaged && !sw.At.Equal(overridden) {
			cancel(fmt.Errorf("%w (by %s: %s)", errHalted, sw.Actor, sw.Reason))
			return
		}
	}
}

// heartbeat renews the run's lease every third of its TTL until ctx ends, so no firebreak on any machine
// reaps a run this process still drives. A renewal that fails (the database out of reach) is retried
// soon and never stops the run. One that finds the run reaped stops it: the recorder's guard cancels it.
func (r *runState) heartbeat(ctx context.Context) {
	ttl := r.e.leaseTTL()
	retry := min(max(ttl/10, 50*time.Millisecond), time.Second)
	wait := ttl / 3
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		taken := false
		err := r.e.DB.Write(ctx, func(tx store.Tx) error {
			cur, err := tx.Run(ctx, r.row.ID)
			if err != nil {
				return err
			}
			if taken = !r.owner.owns(cur); taken {
				return nil
			}
			return tx.RenewLease(ctx, r.row.ID, time.Now().Add(ttl))
		})
		switch {
		case err != nil:
			wait = retry
		case taken:
			r.rec.lose()
			return
		default:
			wait = ttl / 3
		}
	}
}

func (e *Engine) leaseTTL() time.Duration {
	if e.LeaseTTL > 0 {
		return e.LeaseTTL
	}
	return DefaultLeaseTTL
}

func (e *Engine) machine() string {
	if e.Machine != "" {
		return e.Machine
	}
	return MachineID()
}

func (e *Engine) watch(u Update) {
	if e.Watch != nil {
		e.Watch(u)
	}
}

// hostEnv is the runbook's vars overridden by the host's inventory vars (but not Ansible's connection vars).
func hostEnv(spec Spec, h *inventory.Host) map[string]string {
	env := map[string]string{}
	for k, v := range spec.Vars {
		env[k] = v
	}
	for k, v := range h.Vars {
		if !strings.HasPrefix(k, "ansible_") && k != inventory.SecretVarsVar && isShellName(k) {
			env[k] = v
		}
	}
	return env
}

func isShellName(s string) bool {
	for i, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}

func describe(spec Spec) string {
	if spec.Runbook != "" {
		return fmt.Sprintf("%s/%s", spec.Runbook, spec.Step)
	}
	return fmt.Sprintf("ad-hoc %q", firstSet(spec.Title, AdHocName(spec.Script.Main)))
}

// AdHocName is the default name of an ad-hoc script: its first meaningful line (not blank, not a comment,
// not a shebang or `set -e`), at most 60 characters. The operator can give another (--title).
func AdHocName(script string) string {
	for _, l := range strings.Split(script, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, "set -") || strings.HasPrefix(l, "set -o") {
			continue
		}
		if r := []rune(l); len(r) > 60 {
			l = string(r[:59]) + "…"
		}
		return l
	}
	return "ad-hoc script"
}

func names(hs []*inventory.Host) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.Name
	}
	return out
}

// hostList names a stage's hosts in an event's text, which says how many already; the event's data lists
// them all.
func hostList(hs []*inventory.Host) string { return inventory.Abbreviate(names(hs)) }

func sizes(p Plan) string {
	parts := []string{}
	for _, n := range p.Sizes() {
		parts = append(parts, fmt.Sprint(n))
	}
	return strings.Join(parts, "+") + " hosts"
}

func countText(c map[HostState]int) string {
	var parts []string
	for _, s := range []HostState{OK, Changed, Skipped, RolledBack, Failed, TimedOut, Unreachable, Cancelled, Unknown} {
		if c[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c[s], s))
		}
	}
	if len(parts) == 0 {
		return "no hosts"
	}
	return strings.Join(parts, ", ")
}

func findHost(hs []*inventory.Host, name string) *inventory.Host {
	for _, h := range hs {
		if h.Name == name {
			return h
		}
	}
	return nil
}

// safeName makes a host name safe as a file name.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == 0 || r == '\\' {
			return '_'
		}
		return r
	}, strings.TrimLeft(s, "."))
}

// PersonOf is the person behind an actor string ("root as alice" -> alice).
func PersonOf(actor string) string {
	if _, as, ok := cutAs(actor); ok {
		return as
	}
	return actor
}

func cutAs(actor string) (string, string, bool) { return strings.Cut(actor, " as ") }
