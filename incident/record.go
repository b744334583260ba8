package incident

// Event kinds that other parts write on the timeline. They are declared here, where the hide rule lives,
// and the parts that write them (runbooks/rollout, incident/retro) use these constants: the dependency runs
// one way, and a kind can't be retyped differently in two places.
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

// Unhideable are the kinds no one may hide: what a run did, who approved it, who overrode a guard or broke
// the glass, the off-switch, the records that chain the retrospective, and hiding itself. A hidden event
// drops off the retrospective's timeline; these must stay on it whoever asks.
var Unhideable = map[string]bool{
	KindGuard: true, KindApproved: true, KindBreakGlass: true, KindHalt: true, KindResume: true,
	KindRunStarted: true, KindRunRefused: true, KindStageStarted: true, KindHostDone: true, KindStageDone: true,
	KindRunWaiting: true, KindRunContinued: true, KindRunFinished: true, KindRunInterrupted: true,
	KindRetroSaved: true, KindActionItem: true, KindHide: true,
}
