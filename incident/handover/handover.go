// Package handover is the report a shift hands over: for every open incident, who holds which role, where
// it stands and for how long, the runs in flight or waiting (for what and whom), the approvals asked for,
// the checklist steps nobody has ticked yet and the last update. `firebreak handover` prints it and the
// console's handover screen shows it; both ask Build, so they never disagree.
package handover

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks/rollout"
	"github.com/firebreak/firebreak/store"
)

// Report is the handover of every open incident.
type Report struct {
	GeneratedAt time.Time `json:"generated_at"`
	// Halt is the off-switch when it is engaged (nil: off).
	Halt      *Halt      `json:"halt"`
	Incidents []Incident `json:"incidents"`
}

// Halt says who engaged the off-switch, when and why.
type Halt struct {
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}

// Incident is one open incident as the next shift needs it.
type Incident struct {
	ID         string            `json:"id"`
	Title      string            `json:"title"`
	Severity   incident.Severity `json:"severity"`
	Status     incident.Status   `json:"status"`
	Drill      bool              `json:"drill"`
	DeclaredAt time.Time         `json:"declared_at"`
	DeclaredBy string            `json:"declared_by"`
	// AgeSeconds is how long ago it was declared.
	AgeSeconds int64 `json:"age_seconds"`
	// Roles has every role, "" where nobody holds it.
	Roles map[incident.Role]string `json:"roles"`
	// LastUpdate is the newest status change or note (nil: none since the declaration).
	LastUpdate       *Update    `json:"last_update"`
	Runs             []Run      `json:"runs"`
	PendingApprovals []Approval `json:"pending_approvals"`
	OpenSteps        []Step     `json:"open_steps"`
}

// Update is the last word on an incident: a timeline event.
type Update struct {
	Seq   int64     `json:"seq"`
	At    time.Time `json:"at"`
	Actor string    `json:"actor"`
	Kind  string    `json:"kind"`
	Text  string    `json:"text"`
}

// What a run waits for.
const (
	WaitApproval  = "approval"   // another person's approval (the two-person rule)
	WaitContinue  = "continue"   // the go-ahead of the person driving it, at a stage pause
	WaitOffSwitch = "off-switch" // the off-switch to be released, then a resume of the run
	WaitResume    = "resume"     // a person to resume it (its firebreak stopped, or the halt is over)
)

// Run is a run in flight or waiting.
type Run struct {
	ID        string    `json:"id"`
	Runbook   string    `json:"runbook,omitempty"`
	Step      string    `json:"step,omitempty"`
	Title     string    `json:"title,omitempty"`
	DryRun    bool      `json:"dry_run"`
	Status    string    `json:"status"`
	Stage     int       `json:"stage"`
	Stages    int       `json:"stages"`
	StartedBy string    `json:"started_by"`
	StartedAt time.Time `json:"started_at"`
	// Waiting is what it waits for (WaitApproval, WaitContinue, WaitOffSwitch, WaitResume; "" while it
	// runs), WaitingOn who or what, in words, with the command that ends the wait.
	Waiting   string `json:"waiting,omitempty"`
	WaitingOn string `json:"waiting_on,omitempty"`
	// InFlight are the hosts running now; NextHosts those of the stage it waits before.
	InFlight  []string `json:"in_flight"`
	NextHosts []string `json:"next_hosts"`
	Hosts     int      `json:"hosts"`
}

// Approval is a run that waits for another person's approval.
type Approval struct {
	Run       string `json:"run"`
	Stage     int    `json:"stage"` // the stages done so far: the approval lets the next ones go ahead
	StartedBy string `json:"started_by"`
	// Needs says who may approve: anyone but the person who started the run.
	Needs   string `json:"needs"`
	Command string `json:"command"`
}

// Step is a checklist step not ticked or skipped yet.
type Step struct {
	Runbook  string `json:"runbook"`
	Step     string `json:"step"`
	Title    string `json:"title"`
	Script   bool   `json:"script,omitempty"`
	Assignee string `json:"assignee"` // "" unassigned
}

// UpdateKinds are the kinds a handover reads as updates on an incident: notes, status changes and
// stakeholder updates (firebreak update).
var UpdateKinds = []string{incident.KindNote, incident.KindStatus, incident.KindUpdate}

// activeRuns are the run statuses a handover lists: in flight, waiting at a pause, stopped by the
// off-switch, or left behind by a firebreak that died. A run that finished, failed or was stopped at a
// pause by its operator is history, not work in hand.
var activeRuns = []string{rollout.StatusRunning, rollout.StatusWaiting, rollout.StatusHalted, rollout.StatusInterrupted}

// Build reads the handover of every open incident as of now: the most severe first, then the oldest.
func Build(ctx context.Context, db store.Store, now time.Time) (*Report, error) {
	rep := &Report{GeneratedAt: now.UTC(), Incidents: []Incident{}}
	sw, err := rollout.Halted(ctx, db)
	if err != nil {
		return nil, err
	}
	if sw.Engaged {
		rep.Halt = &Halt{By: sw.Actor, At: sw.At.UTC(), Reason: sw.Reason}
	}
	svc := &incident.Service{DB: db}
	open, err := svc.List(ctx, false)
	if err != nil {
		return nil, err
	}
	for _, s := range open {
		inc, err := svc.Get(ctx, s.ID)
		if err != nil {
			return nil, err
		}
		h, err := build(ctx, db, inc, sw.Engaged, now)
		if err != nil {
			return nil, err
		}
		rep.Incidents = append(rep.Incidents, h)
	}
	slices.SortStableFunc(rep.Incidents, func(a, b Incident) int {
		if a.Severity != b.Severity {
			return int(a.Severity - b.Severity)
		}
		return a.DeclaredAt.Compare(b.DeclaredAt)
	})
	return rep, nil
}

func build(ctx context.Context, db store.Store, inc *incident.Incident, halted bool, now time.Time) (Incident, error) {
	h := Incident{ID: inc.Ref(), Title: inc.Title, Severity: inc.Severity, Status: inc.Status, Drill: inc.Drill,
		DeclaredAt: inc.DeclaredAt, DeclaredBy: inc.DeclaredBy, AgeSeconds: int64(now.Sub(inc.DeclaredAt) / time.Second),
		Roles: map[incident.Role]string{}, Runs: []Run{}, PendingApprovals: []Approval{}, OpenSteps: []Step{}}
	for _, r := range incident.Roles {
		h.Roles[r] = inc.Roles[r]
	}
	for _, c := range inc.Checklists {
		for _, st := range c.Steps {
			if st.State == incident.StepOpen {
				h.OpenSteps = append(h.OpenSteps, Step{Runbook: c.Runbook, Step: st.ID, Title: st.Title, Script: st.Script, Assignee: st.Assignee})
			}
		}
	}
	var err error
	if h.LastUpdate, err = lastUpdate(ctx, db, inc); err != nil {
		return h, err
	}
	runs, err := db.Runs(ctx, store.RunQuery{Incident: inc.ID})
	if err != nil {
		return h, err
	}
	superseded := map[int64]bool{} // runs another run resumed or retried: that one is the live one
	for _, r := range runs {
		if r.Resumes != 0 {
			superseded[r.Resumes] = true
		}
	}
	for _, r := range runs {
		if !slices.Contains(activeRuns, r.Status) || superseded[r.ID] {
			continue
		}
		hosts, err := db.RunHosts(ctx, r.ID)
		if err != nil {
			return h, err
		}
		run := describe(inc, r, hosts, halted)
		h.Runs = append(h.Runs, run)
		if run.Waiting == WaitApproval {
			h.PendingApprovals = append(h.PendingApprovals, Approval{Run: run.ID, Stage: r.Stage, StartedBy: run.StartedBy,
				Needs: "anyone but " + run.StartedBy, Command: "firebreak approve " + run.ID})
		}
	}
	return h, nil
}

// describe says what a run is doing, or what and whom it waits for.
func describe(inc *incident.Incident, r store.RunRow, hosts []store.RunHost, halted bool) Run {
	starter := rollout.PersonOf(r.StartedBy)
	run := Run{ID: rollout.RunRef(r.ID), Runbook: r.Runbook, Step: r.Step, Title: r.Title, DryRun: r.DryRun, Status: r.Status,
		Stage: r.Stage, Stages: r.Stages, StartedBy: starter, StartedAt: r.StartedAt, Hosts: len(hosts),
		InFlight: []string{}, NextHosts: []string{}}
	for _, hst := range hosts {
		switch {
		case hst.State == string(rollout.Running):
			run.InFlight = append(run.InFlight, hst.Host)
		case hst.Stage == r.Stage+1 && hst.State == string(rollout.Pending):
			run.NextHosts = append(run.NextHosts, hst.Host)
		}
	}
	resume := fmt.Sprintf("firebreak run %s --resume %s", inc.Ref(), run.ID)
	switch r.Status {
	case rollout.StatusWaiting:
		if r.WaitingFor == WaitApproval {
			run.Waiting = WaitApproval
			run.WaitingOn = fmt.Sprintf("an approval by another person than %s: firebreak approve %s", starter, run.ID)
		} else {
			run.Waiting = WaitContinue
			run.WaitingOn = fmt.Sprintf("%s to continue after stage %d/%d (the stage pause, at %s's terminal or console)", starter, r.Stage, r.Stages, starter)
		}
		if halted {
			run.WaitingOn += "; and the off-switch is engaged: firebreak resume first"
		}
	case rollout.StatusHalted:
		if halted {
			run.Waiting = WaitOffSwitch
			run.WaitingOn = "the off-switch to be released (firebreak resume), then a resume of the run: " + resume
		} else {
			run.Waiting = WaitResume
			run.WaitingOn = "someone to resume it after the halt: " + resume
		}
	case rollout.StatusInterrupted:
		run.Waiting = WaitResume
		run.WaitingOn = "someone to resume it (its firebreak stopped; hosts in flight then are unknown): " + resume
	case rollout.StatusRunning:
		if halted {
			run.WaitingOn = "the off-switch is engaged: it stops within a second"
		}
	}
	return run
}

// lastUpdate is the newest update on the incident's timeline that is not hidden.
func lastUpdate(ctx context.Context, db store.Store, inc *incident.Incident) (*Update, error) {
	const look = 20 // hidden updates are rare: the newest visible one is among the last few
	evs, err := db.Events(ctx, store.EventQuery{Incident: inc.ID, Kinds: UpdateKinds, Newest: true, Limit: look})
	if err != nil {
		return nil, err
	}
	for i := len(evs) - 1; i >= 0; i-- {
		if _, hidden := inc.Hidden[evs[i].Seq]; hidden {
			continue
		}
		ev := evs[i]
		return &Update{Seq: ev.Seq, At: ev.At.UTC(), Actor: ev.Actor, Kind: ev.Kind, Text: ev.Text}, nil
	}
	return nil, nil
}
