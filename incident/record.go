package incident

import "encoding/json"

// Event kinds that other parts write on the timeline. They are declared here, where the hide rule lives,
// with their payloads: the parts that write them (runbooks/rollout, incident/retro) and those that read
// them (incident/retro, ui, cmd/firebreak) use these names and types, so the dependency runs one way and a
// kind can't be typed differently in two places.
const (
	KindRunStarted     = "run_started"
	KindRunRefused     = "run_refused"
	KindGuard          = "guard_override"
	KindBreakGlass     = "break_glass"
	KindStageStarted   = "stage_started"
	KindHostDone       = "host_done"
	KindStageDone      = "stage_done"
	KindRunWaiting     = "run_waiting"
	KindRunContinued   = "run_continued"
	KindRunFinished    = "run_finished"
	KindRunInterrupted = "run_interrupted"
	KindHalt           = "halt"
	KindResume         = "resume"
	// KindRetroSaved records a saved version of a retrospective section (its data: the text's hash).
	KindRetroSaved = "retro_saved"
	// KindActionItem records a version of a retrospective action item (its data: the whole version).
	KindActionItem = "action_item"
)

// RunKinds are the kinds a run writes, for whoever shows runs apart from the rest of the timeline.
var RunKinds = []string{KindRunStarted, KindRunRefused, KindGuard, KindBreakGlass, KindStageStarted, KindHostDone,
	KindStageDone, KindRunWaiting, KindRunContinued, KindApproved, KindRunFinished, KindRunInterrupted, KindHalt, KindResume}

// Unhideable are the kinds no one may hide: what a run did, who approved it, who overrode a guard or broke
// the glass, the off-switch, the records that chain the retrospective, and hiding itself. A hidden event
// drops off the retrospective's timeline; these must stay on it whoever asks.
var Unhideable = map[string]bool{
	KindGuard: true, KindApproved: true, KindBreakGlass: true, KindHalt: true, KindResume: true,
	KindRunStarted: true, KindRunRefused: true, KindStageStarted: true, KindHostDone: true, KindStageDone: true,
	KindRunWaiting: true, KindRunContinued: true, KindRunFinished: true, KindRunInterrupted: true,
	KindRetroSaved: true, KindActionItem: true, KindHide: true,
}

// The payloads of the run kinds. A host's state is rollout.HostState's name (incident can't import the
// engine that names the states). Their fields are in the order of the keys the run engine wrote when they
// were maps (alphabetical), so that typing them changed no byte of what is stored and hashed. Parts of a
// run only the engine understands (its plan, its guards' decisions) are kept as the engine wrote them.
type (
	// RunRefusedData is the data of a run_refused event: a run the guards refused, with why.
	RunRefusedData struct {
		DryRun     bool            `json:"dry_run"`
		Guards     json.RawMessage `json:"guards"` // rollout's []Decision
		PlanHash   string          `json:"plan_hash"`
		Refusals   json.RawMessage `json:"refusals"` // rollout's []Refusal
		Runbook    string          `json:"runbook"`
		ScriptHash string          `json:"script_hash"`
		Step       string          `json:"step"`
	}
	// RunStartedData is the data of a run_started event: the run and its plan, as rollout recorded it.
	RunStartedData struct {
		Plan json.RawMessage `json:"plan"`
		Run  int64           `json:"run"`
	}
	// GuardData is the data of a guard_override or break_glass event: a guard a person overrode, and why.
	GuardData struct {
		Detail   string `json:"detail"`
		Guard    string `json:"guard"`
		PlanHash string `json:"plan_hash"`
		Reason   string `json:"reason"`
		Run      int64  `json:"run"`
	}
	// StageStartedData is the data of a stage_started event.
	StageStartedData struct {
		Hosts []string `json:"hosts"`
		Run   int64    `json:"run"`
		Stage int      `json:"stage"`
	}
	// HostDoneData is the data of a host_done event: how one host of a run ended. It was a struct from the
	// start, hence its own field order.
	HostDoneData struct {
		Run        int64  `json:"run"`
		Host       string `json:"host"`
		Stage      int    `json:"stage"`
		State      string `json:"state"`
		ExitCode   int    `json:"exit_code"`
		Phase      string `json:"phase"`
		DurationMS int64  `json:"duration_ms"`
	}
	// StageDoneData is the data of a stage_done event: how a stage of a run ended.
	StageDoneData struct {
		Run             int64          `json:"run"`
		Stage           int            `json:"stage"`
		Counts          map[string]int `json:"counts"`
		Failed          []string       `json:"failed"`
		MaxFailExceeded bool           `json:"max_fail_exceeded"`
	}
	// RunWaitingData is the data of a run_waiting event: a run paused before stage+1, for a person's go or
	// for an approval.
	RunWaitingData struct {
		Run        int64  `json:"run"`
		Stage      int    `json:"stage"`
		WaitingFor string `json:"waiting_for"`
	}
	// RunContinuedData is the data of a run_continued event: the stage the run goes on to.
	RunContinuedData struct {
		Run   int64 `json:"run"`
		Stage int   `json:"stage"`
	}
	// RunFinishedData is the data of a run_finished event.
	RunFinishedData struct {
		Counts     map[string]int `json:"counts"`
		DryRun     bool           `json:"dry_run"`
		Reason     string         `json:"reason"`
		Run        int64          `json:"run"`
		Runbook    string         `json:"runbook"`
		ScriptHash string         `json:"script_hash"`
		Status     string         `json:"status"`
		Step       string         `json:"step"`
	}
	// RunInterruptedData is the data of a run_interrupted event: a run whose firebreak died, and the hosts
	// that were in flight (their state unknown). Since runs hold a lease (schema 6) it also says which
	// machine owned the run, which machine reaped it, and whether the owner's lease ran out (else its
	// process was gone on its own machine); events from before have only pid, run and unknown.
	RunInterruptedData struct {
		LeaseLost  bool     `json:"lease_lost,omitempty"`
		LeaseUntil string   `json:"lease_until,omitempty"` // store.FormatTime
		Machine    string   `json:"machine,omitempty"`
		PID        int      `json:"pid"`
		ReapedBy   string   `json:"reaped_by,omitempty"`
		Run        int64    `json:"run"`
		Unknown    []string `json:"unknown"`
	}
	// SwitchData is the data of a halt or resume event: the off-switch's reason and when it was thrown
	// (store.FormatTime).
	SwitchData struct {
		At     string `json:"at"`
		Reason string `json:"reason"`
	}
)

// PlanScript returns the main script text of the run's plan, "" if the plan does not say.
func (d RunStartedData) PlanScript() string {
	var p struct {
		Script struct {
			Main string `json:"script"`
		} `json:"script"`
	}
	json.Unmarshal(d.Plan, &p)
	return p.Script.Main
}

// KindScriptSavedAsRunbook records an ad-hoc script of the incident saved as a runbook (the console's W).
const KindScriptSavedAsRunbook = "script_saved_as_runbook"

// ScriptSavedAsRunbookData is the data of a script_saved_as_runbook event: the runbook written and the
// version of the script it holds (Hash: the sha256 of the script text, hex). Fields in their JSON order,
// as the console first wrote them.
type ScriptSavedAsRunbookData struct {
	Check    bool   `json:"check"` // whether the runbook got a check, and a rollback
	Hash     string `json:"hash"`
	Path     string `json:"path"`
	Rollback bool   `json:"rollback"`
	Runbook  string `json:"runbook"`
	Step     string `json:"step"`
	Version  int    `json:"version"`
}

// PlanDryRun reports whether the run's plan says it was a dry run; false if the plan does not say.
func (d RunStartedData) PlanDryRun() bool {
	var p struct {
		DryRun bool `json:"dry_run"`
	}
	json.Unmarshal(d.Plan, &p)
	return p.DryRun
}

// The payloads of the retrospective's kinds.
type (
	// RetroSavedData is the data of a retro_saved event: which version of which section, and the hash of
	// its text, so the chain proves the text without carrying it twice.
	RetroSavedData struct {
		Section    string `json:"section"`
		Version    int    `json:"version"`
		Base       int    `json:"base"`
		Conflict   bool   `json:"conflict,omitempty"`
		TextSHA256 string `json:"text_sha256"`
	}
	// ActionItemData is the data of an action_item event: the whole version of the item.
	ActionItemData struct {
		Item    int    `json:"item"`
		Version int    `json:"version"`
		Text    string `json:"text"`
		Owner   string `json:"owner,omitempty"`
		Ticket  string `json:"ticket,omitempty"`
		Due     string `json:"due,omitempty"`
		Kind    string `json:"kind,omitempty"`
		Done    bool   `json:"done,omitempty"`
		Removed bool   `json:"removed,omitempty"`
	}
)
