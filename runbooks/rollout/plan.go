package rollout

import (
	"fmt"
	"time"

	"github.com/firebreak/firebreak/runbooks"
	"github.com/firebreak/firebreak/runbooks/inventory"
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

	// AutoContinue continues past stage pauses without asking (--yes); approvals are still needed.
	AutoContinue bool
	// RollbackOnFailure runs the step's rollback on hosts that failed, without asking.
	RollbackOnFailure bool
	Overrides         Overrides
}

// Overrides are guards an operator set aside, each with the reason that is recorded.
type Overrides struct {
	BreakGlass string // any guard but host keys
	NoCanary   string // a first stage larger than one host
	ShellCheck string // ShellCheck errors
	OutOfHours bool   // a typed confirmation of a real run outside working hours
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
