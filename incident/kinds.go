// Event kinds and their payloads. Each kind has one owner: the package that declares its constant and the
// type of its data, so a writer and its readers can't drift apart on a name or a field. Writers build the
// payload type, readers decode into the same type, and no other package spells a kind as a string
// (TestKindLiteralsStayWithTheirOwner fails if one does). Every payload's JSON is in the hash chain of
// existing databases: a field's name, and its place in the order, may never change
// (TestPayloadsRoundTrip holds the bytes).
//
// Every kind: its owner, its payload type, who writes it, and who decodes its data. Besides these, the
// console's timeline filters (ui), the retrospective's key rows (incident/retro) and the notify hooks
// (cmd/firebreak) pick events by kind, with the owner's constants.
//
//	kind                        owner       payload                   written by        data read by
//	declared                    incident    declaredData              incident          incident (Apply)
//	note                        incident    NoteData ({} unless       incident          incident (Apply), retro,
//	                                        backdated)                                  cmd/firebreak (timeline order)
//	status                      incident    statusData                incident          incident (Apply)
//	severity                    incident    severityData              incident          incident (Apply)
//	role                        incident    RoleData                  incident,         incident (Apply)
//	                                                                  incidenttest
//	star                        incident    starData                  incident          incident (Apply)
//	milestone                   incident    milestoneData             incident          incident (Apply)
//	hide                        incident    HideData                  incident          incident (Apply), retro (hidden rows)
//	retro_state                 incident    retroStateData            incident          incident (Apply)
//	notify_failed               incident    NotifyFailedData          cmd/firebreak     - (shown raw)
//	attached                    incident    attachedData              incident          incident (Apply)
//	tick, untick, skip, assign  incident    stepData                  incident          incident (Apply)
//	approved                    incident    ApprovalData              rollout           rollout (VerifyRecords), retro (flags)
//	run_refused                 incident    RunRefusedData            rollout           - (shown raw)
//	run_started                 incident    RunStartedData            rollout           retro (dry runs are no key rows)
//	guard_override, break_glass incident    GuardData                 rollout           - (shown raw)
//	stage_started               incident    StageStartedData          rollout           - (shown raw)
//	host_done                   incident    HostDoneData              rollout           rollout (VerifyRecords), ui (a stage's
//	                                                                                    hosts), cmd/firebreak (notify batches)
//	stage_done                  incident    StageDoneData             rollout           ui (a stage's hosts)
//	run_waiting                 incident    RunWaitingData            rollout           - (shown raw)
//	run_continued               incident    RunContinuedData          rollout           - (shown raw)
//	run_finished                incident    RunFinishedData           rollout           retro (dry runs are no key rows)
//	run_interrupted             incident    RunInterruptedData        rollout           rollout (VerifyRecords)
//	halt, resume                incident    SwitchData                rollout           - (shown raw)
//	retro_saved                 incident    RetroSavedData            retro             retro (Verify)
//	action_item                 incident    ActionItemData            retro             retro (Verify)
//	ticket_push                 incident    TicketPushData            retro (tracker)   retro (claims: never two tickets)
//	update                      incident    UpdateData                incident          - (shown raw; sent to notify hooks)
//	script_saved                ui/runview  scriptSavedData           ui/runview        ui/runview (the script's versions)
//	script_saved_as_runbook     incident    ScriptSavedAsRunbookData  ui/runview        retro (suggestions)
//
// incident owns the run and retrospective kinds although runbooks/rollout and incident/retro write them:
// both import incident and incident imports neither, the retrospective reads run kinds without importing
// the run engine, and the rule that none of them may be hidden (Unhideable) lives here. ui/runview owns
// the ad-hoc script's versions (script_saved), which only the console writes and reads; incident owns
// script_saved_as_runbook, which the console writes and the retrospective reads (a script saved as a
// runbook needs no "save it as a runbook" action item).

package incident

// Event kinds of the incident core. Checklists, runs and the retrospective add theirs (checklist.go,
// approval.go, record.go).
const (
	KindDeclared     = "declared"
	KindNote         = "note"
	KindStatus       = "status"
	KindSeverity     = "severity"
	KindRole         = "role"
	KindStar         = "star"
	KindMilestone    = "milestone"
	KindHide         = "hide"
	KindNotifyFailed = "notify_failed"
)

// Event payloads, stored as the event's data.
type (
	declaredData struct {
		Title    string   `json:"title"`
		Severity Severity `json:"severity"`
		Drill    bool     `json:"drill"`
	}
	statusData struct {
		From       Status      `json:"from"`
		To         Status      `json:"to"`
		Back       bool        `json:"back,omitempty"`
		Milestones []Milestone `json:"milestones,omitempty"` // the milestones this change marks, if not marked yet
	}
	severityData struct {
		From Severity `json:"from"`
		To   Severity `json:"to"`
	}
	// RoleData is the data of a role event, exported for incidenttest's generated timelines.
	RoleData struct {
		Role      Role      `json:"role"`
		Person    string    `json:"person"` // empty: the role is unassigned
		Previous  string    `json:"previous,omitempty"`
		Milestone Milestone `json:"milestone,omitempty"`
	}
	starData struct {
		Seq     int64 `json:"seq"`
		Starred bool  `json:"starred"`
	}
	milestoneData struct {
		Milestone  Milestone `json:"milestone"`
		At         string    `json:"at"`
		Previous   string    `json:"previous,omitempty"` // set when this corrects an earlier time
		Correction bool      `json:"correction,omitempty"`
		Reason     string    `json:"reason,omitempty"`
	}
	// NoteData is the data of a note event: {} for a note about now; for a backdated note (firebreak note
	// --at), the time it refers to (store.FormatTime). The event's own time is when it was written.
	NoteData struct {
		At string `json:"at,omitempty"`
	}
	// HideData is the data of a hide event; the retrospective reads who hid what and why.
	HideData struct {
		Seq    int64  `json:"seq"`
		Reason string `json:"reason"`
	}
	// NotifyFailedData is the data of a notify_failed event: a hook that failed for events seq to last_seq,
	// or how many per-host events a full queue dropped.
	NotifyFailedData struct {
		Dropped int    `json:"dropped,omitempty"`
		Error   string `json:"error,omitempty"`
		Hook    string `json:"hook,omitempty"`
		LastSeq int64  `json:"last_seq,omitempty"`
		Seq     int64  `json:"seq,omitempty"`
	}
)

// KindRetroState records a retrospective moving between draft, review and published.
const KindRetroState = "retro_state"

type retroStateData struct {
	From string `json:"from"`
	To   string `json:"to"`
}
