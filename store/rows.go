package store

import (
	"encoding/json"
	"time"
)

// IncidentRow is the stored projection of one incident (INC-n): what its events say it is now, and the
// head of its chain.
type IncidentRow struct {
	ID         int64
	Title      string
	Severity   int
	Status     string
	Drill      bool
	Commander  string
	DeclaredAt time.Time
	UpdatedAt  time.Time
	LastSeq    int64
	LastHash   string
	State      json.RawMessage
}

// IncidentQuery selects incidents for a list.
type IncidentQuery struct {
	Statuses []string // only these statuses (none: all)
	Limit    int      // 0: all
}

// RunRow is the stored state of one run (RUN-n).
type RunRow struct {
	ID         int64
	Incident   int64
	Runbook    string
	Step       string
	Title      string
	ScriptHash string
	DryRun     bool
	Status     string
	WaitingFor string
	Stage      int
	Stages     int
	Plan       json.RawMessage
	StartedBy  string
	StartedAt  time.Time
	FinishedAt time.Time
	// The owner is the process driving the run: its machine (OwnerHost, the machine id), pid and start
	// time. It holds a lease it renews while it drives the run; a run whose lease ran out (or whose owner
	// on this machine is gone) is reaped by any firebreak on any machine.
	OwnerPID    int
	OwnerStart  string
	OwnerHost   string
	LeaseUntil  time.Time
	ContinueSeq int64
	// PlanHash identifies what the run does (script, hosts, stages, max_fail, variables, mode): approvals
	// bind to it.
	PlanHash string
	// Resumes is the run this one resumes or retries (0: none).
	Resumes int64
}

// RunHost is one host's state in a run.
type RunHost struct {
	Run        int64
	Host       string
	Stage      int
	Position   int
	State      string
	ExitCode   int
	Duration   time.Duration
	Error      string
	OutputTail string
	// LogPath is the host's output log, on the machine LogHost (the machine id of the run's owner).
	LogPath string
	LogHost string
}

// RunQuery selects runs.
type RunQuery struct {
	Incident   int64    // 0: any incident
	Statuses   []string // none: any status
	ScriptHash string   // "": any script
	DryRun     *bool    // nil: both
}

// Approval is a person's approval of a stage of a run.
type Approval struct {
	Run    int64
	Stage  int
	Person string
	Actor  string
	At     time.Time
	// PlanHash is the plan the person saw and approved.
	PlanHash string
}

// Switch is the state of a named switch (the off-switch is "halt").
type Switch struct {
	Name    string
	Engaged bool
	Reason  string
	Actor   string
	At      time.Time
}

// RetroVersion is one saved version of a retrospective section.
type RetroVersion struct {
	Incident int64
	Section  string
	Version  int
	Text     string
	Author   string
	At       time.Time
	Base     int
	Conflict bool
	// Legacy marks a version saved before retrospectives were on the hash chain: no event records it.
	Legacy bool
}

// ActionItem is one version of a retrospective action item.
type ActionItem struct {
	Incident int64
	Item     int
	Version  int
	Text     string
	Owner    string
	Ticket   string
	Due      string
	Kind     string
	Done     bool
	Removed  bool
	Author   string
	At       time.Time
	// Legacy marks a version saved before action items were on the hash chain: no event records it.
	Legacy bool
}
