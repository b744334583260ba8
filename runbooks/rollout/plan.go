package rollout

import (
	"fmt"
	"time"

	"github.com/firebreak/firebreak/runbooks"
	"github.com/firebreak/firebreak/runbooks/inventory"
	"github.com/firebreak/firebreak/runbooks/output"
)

// Spec is what a person asks to run.
type Spec struct {
	Incident    int64
	Runbook     string // "" for an ad-hoc command
	Step        string
	Title       string
	Script      Script
	DryRun      bool
	Hosts       []*inventory.Host // in inventory order
	Pattern     string            // what selected them, for the record
	Stages      runbooks.Stages
	Concurrency int
	MaxFail     runbooks.MaxFail
	Timeout     time.Duration // per command on a host
	Soak        time.Duration // when set, continue to the next stage by itself after this long
	Vars        map[string]string
	// Secrets says which of Vars (and of the hosts' inventory variables) hold secrets: the name rule plus
	// the names the config, the runbook and the inventory mark. Their values are masked in the plan record,
	// the output, the logs and the errors.
	Secrets output.Secrets

	// AutoContinue continues past stage pauses without asking (--yes); approvals are still needed.
	AutoContinue bool
	// RollbackOnFailure runs the step's rollback on hosts that failed, without asking.
	RollbackOnFailure bool
	Overrides         Overrides
	// Again, when set, says this run resumes or retries an earlier one.
	Again *Again
}

// Again is the earlier run a resumed or retried run continues.
type Again struct {
	Run  int64
	Verb string // resume or retry
	// Stages is, for a resume, each host's stage in the earlier run (the ramp continues where it stopped).
	Stages []int
	// CanaryDone says the earlier run's first stage came through: a resume's first stage needs no canary.
	CanaryDone bool
	// FirstStage names the earlier run's first stage's hosts: for a resume, dry-run-first asks about them,
	// as it did when the earlier run started.
	FirstStage []string
}

// Overrides are guards an operator set aside, each with the reason that is recorded. Each names exactly
// one guard and never implies another; break glass sets aside every guard but host keys. They are given
// for one plan: Plan is the hash of the plan the person saw, and a run whose plan differs (a new script
// version, other hosts, a retry, a resume) asks again.
type Overrides struct {
	BreakGlass string // any guard but host keys
	NoCanary   string // a first stage larger than one host
	ShellCheck string // ShellCheck errors
	TwoPerson  string // the wide stages go ahead without a second person's approval
	OutOfHours bool   // a typed confirmation of a real run outside working hours
	// Plan is the plan hash these overrides were given for ("" when none is given).
	Plan string
}

// Any says whether any override or confirmation is given.
func (o Overrides) Any() bool {
	return o.BreakGlass != "" || o.NoCanary != "" || o.ShellCheck != "" || o.TwoPerson != "" || o.OutOfHours
}

// Plan is the stages of a run with their hosts.
type Plan struct {
	Stages [][]*inventory.Host
}

// Stage is the hosts of stage i (0-based).
func (p Plan) Stage(i int) []*inventory.Host { return p.Stages[i] }

// Sizes lists the number of hosts per stage.
func (p Plan) Sizes() []int {
	out := make([]int, len(p.Stages))
	for i, s := range p.Stages {
		out[i] = len(s)
	}
	return out
}

// PlanOf is the spec's plan: its hosts split into stages (a resume keeps each host's earlier stage).
func PlanOf(spec Spec) (Plan, error) {
	if a := spec.Again; a != nil && len(a.Stages) == len(spec.Hosts) && len(a.Stages) > 0 {
		var p Plan
		for i, h := range spec.Hosts {
			if i == 0 || a.Stages[i] != a.Stages[i-1] {
				p.Stages = append(p.Stages, nil)
			}
			p.Stages[len(p.Stages)-1] = append(p.Stages[len(p.Stages)-1], h)
		}
		return p, nil
	}
	return MakePlan(spec.Hosts, spec.Stages)
}

// MakePlan splits the hosts into stages with Ansible's serial semantics.
func MakePlan(hosts []*inventory.Host, stages runbooks.Stages) (Plan, error) {
	if len(hosts) == 0 {
		return Plan{}, fmt.Errorf("no hosts to run on")
	}
	if len(stages) == 0 {
		stages, _ = runbooks.ParseStages("100%")
	}
	var p Plan
	i := 0
	for _, n := range stages.Split(len(hosts)) {
		p.Stages = append(p.Stages, hosts[i:i+n])
		i += n
	}
	return p, nil
}
