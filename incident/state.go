package incident

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/firebreak/firebreak/store"
)

// Incident is the current state of an incident, as its events say.
type Incident struct {
	ID         int64                   `json:"-"`
	Title      string                  `json:"title"`
	Severity   Severity                `json:"severity"`
	Status     Status                  `json:"status"`
	Drill      bool                    `json:"drill"`
	DeclaredAt time.Time               `json:"declared_at"`
	DeclaredBy string                  `json:"declared_by"`
	UpdatedAt  time.Time               `json:"updated_at"`
	Roles      map[Role]string         `json:"roles"`
	Milestones map[Milestone]time.Time `json:"milestones"`
	Starred    []int64                 `json:"starred"`
	Hidden     map[int64]string        `json:"hidden,omitempty"`
	Checklists []*Checklist            `json:"checklists,omitempty"`
	RetroState string                  `json:"retro_state,omitempty"`
	// Backdated lists the backdated notes (firebreak note --at), in order: the retrospective's timeline
	// shows them, since they are what was seen before the incident was declared.
	Backdated []int64 `json:"backdated,omitempty"`
	Events    int64   `json:"events"`
}

// Ref is the incident's human id, INC-n.
func (inc *Incident) Ref() string { return Ref(inc.ID) }

// Commander is who holds the commander role, or "".
func (inc *Incident) Commander() string { return inc.Roles[Commander] }

// IsStarred reports whether event seq is starred.
func (inc *Incident) IsStarred(seq int64) bool {
	_, ok := slices.BinarySearch(inc.Starred, seq)
	return ok
}

// Apply folds one event into the state. It is the only place state changes, so replaying the timeline
// always rebuilds exactly the projection that was saved with it. Kinds it does not know leave it unchanged.
func (inc *Incident) Apply(ev store.Event) error {
	if inc.Roles == nil {
		inc.Roles = map[Role]string{}
	}
	if inc.Milestones == nil {
		inc.Milestones = map[Milestone]time.Time{}
	}
	inc.Events, inc.UpdatedAt = ev.Seq, ev.At
	bad := func(err error) error { return fmt.Errorf("%s event %d (%s): %w", Ref(inc.ID), ev.Seq, ev.Kind, err) }
	switch ev.Kind {
	case KindDeclared:
		var d declaredData
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return bad(err)
		}
		inc.ID, inc.Title, inc.Severity, inc.Drill = ev.Incident, d.Title, d.Severity, d.Drill
		inc.Status, inc.DeclaredAt, inc.DeclaredBy = Investigating, ev.At, ev.Actor
		inc.Milestones[Detected] = ev.At
	case KindStatus:
		var d statusData
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return bad(err)
		}
		inc.Status = d.To
		for _, m := range d.Milestones {
			inc.Milestones[m] = ev.At
		}
	case KindSeverity:
		var d severityData
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return bad(err)
		}
		inc.Severity = d.To
	case KindRole:
		var d RoleData
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return bad(err)
		}
		if d.Person == "" {
			delete(inc.Roles, d.Role)
		} else {
			inc.Roles[d.Role] = d.Person
		}
		if d.Milestone != "" {
			inc.Milestones[d.Milestone] = ev.At
		}
	case KindStar:
		var d starData
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return bad(err)
		}
		i, found := slices.BinarySearch(inc.Starred, d.Seq)
		switch {
		case d.Starred && !found:
			inc.Starred = slices.Insert(inc.Starred, i, d.Seq)
		case !d.Starred && found:
			inc.Starred = slices.Delete(inc.Starred, i, i+1)
		}
	case KindMilestone:
		var d milestoneData
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return bad(err)
		}
		at, err := store.ParseTime(d.At)
		if err != nil {
			return bad(err)
		}
		inc.Milestones[d.Milestone] = at
	case KindAttached:
		var d attachedData
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return bad(err)
		}
		inc.applyChecklist(ev, d)
	case KindTick, KindUntick, KindSkip, KindAssign:
		var d stepData
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return bad(err)
		}
		inc.applyChecklist(ev, d)
	case KindNote:
		if _, backdated := EventTime(ev); backdated {
			inc.Backdated = append(inc.Backdated, ev.Seq)
		}
	case KindRetroState:
		var d retroStateData
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return bad(err)
		}
		inc.RetroState = d.To
	case KindHide:
		var d HideData
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return bad(err)
		}
		if inc.Hidden == nil {
			inc.Hidden = map[int64]string{}
		}
		inc.Hidden[d.Seq] = d.Reason
	}
	return nil
}

// Replay rebuilds an incident's state from its whole timeline.
func Replay(events []store.Event) (*Incident, error) {
	inc := &Incident{}
	for _, ev := range events {
		if err := inc.Apply(ev); err != nil {
			return nil, err
		}
	}
	return inc, nil
}

func (inc *Incident) row() (store.IncidentRow, error) {
	state, err := json.Marshal(inc)
	if err != nil {
		return store.IncidentRow{}, err
	}
	return store.IncidentRow{ID: inc.ID, Title: inc.Title, Severity: int(inc.Severity), Status: string(inc.Status),
		Drill: inc.Drill, Commander: inc.Commander(), DeclaredAt: inc.DeclaredAt, State: state}, nil
}

// FromRow reads an incident's state from its stored row (inside a write transaction, where Get cannot be
// called).
func FromRow(r store.IncidentRow) (*Incident, error) { return fromRow(r) }

func fromRow(r store.IncidentRow) (*Incident, error) {
	inc := &Incident{}
	if err := json.Unmarshal(r.State, inc); err != nil {
		return nil, fmt.Errorf("%s: stored state unreadable: %w", Ref(r.ID), err)
	}
	// Events of other parts (runs) move the chain head without touching the state: the row knows best.
	inc.ID, inc.Events = r.ID, r.LastSeq
	if r.UpdatedAt.After(inc.UpdatedAt) {
		inc.UpdatedAt = r.UpdatedAt
	}
	return inc, nil
}
