package incident

// KindApproved records a person's approval of a run's wider stages (the two-person rule). The run engine
// writes it with ApprovalData; the retrospective reads it. runbooks/rollout.KindApproved is the same kind.
const KindApproved = "approved"

// ApprovalData is the data of an approved event. It lives here, beside Actor, so that the retrospective
// can read it without importing the run engine. Events written before Actor and StartedBy were recorded
// have them empty.
type ApprovalData struct {
	Run       int64  `json:"run"`
	Stage     int    `json:"stage"`      // the stage after which the approval was given
	Person    string `json:"person"`     // who approved (Actor.Person of Actor)
	Actor     string `json:"actor"`      // the approver as the timeline records them: "root as bob"
	StartedBy string `json:"started_by"` // the run's starter, as recorded: "root as alice"
	PlanHash  string `json:"plan_hash"`  // the plan the approval binds to
}

// SameAccountAsStarter reports whether the approval was given from the OS account that started the run, so
// that only --as told approver and starter apart. False when the data does not say who either was.
func (d ApprovalData) SameAccountAsStarter() bool {
	if d.Actor == "" || d.StartedBy == "" {
		return false
	}
	return ParseActor(d.Actor).SameAccount(ParseActor(d.StartedBy))
}
