package incident

// Event kinds of the incident core. Later parts (checklists, runs, the retrospective) add their own.
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
	roleData struct {
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
	hideData struct {
		Seq    int64  `json:"seq"`
		Reason string `json:"reason"`
	}
)

// KindRetroState records a retrospective moving between draft, review and published.
const KindRetroState = "retro_state"

type retroStateData struct {
	From string `json:"from"`
	To   string `json:"to"`
}
