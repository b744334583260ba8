package incident

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/firebreak/firebreak/store"
)

// Checklist event kinds.
const (
	KindAttached = "attached"
	KindTick     = "tick"
	KindUntick   = "untick"
	KindSkip     = "skip"
	KindAssign   = "assign"
)

// StepState is where a checklist step is.
type StepState string

// The states of a checklist step.
const (
	StepOpen    StepState = "open"
	StepDone    StepState = "done"
	StepSkipped StepState = "skipped"
)

// RunbookCopy is the version of a runbook an incident attaches: its exact text is stored with the incident,
// so a runbook that changes on disk later does not change the checklist under people's feet.
type RunbookCopy struct {
	ID     string
	Title  string
	Source string
	Raw    string
	Steps  []StepRef
}

// StepRef names one step of an attached runbook.
type StepRef struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Script bool   `json:"script,omitempty"`
}

// Checklist is an attached runbook's steps and who did what with them.
type Checklist struct {
	Runbook    string          `json:"runbook"`
	Title      string          `json:"title"`
	Source     string          `json:"source"`
	Hash       string          `json:"hash"` // SHA-256 of Raw
	Raw        string          `json:"raw"`
	AttachedBy string          `json:"attached_by"`
	AttachedAt time.Time       `json:"attached_at"`
	Steps      []ChecklistStep `json:"steps"`
}

// ChecklistStep is one step's state.
type ChecklistStep struct {
	StepRef
	State    StepState `json:"state"`
	By       string    `json:"by,omitempty"` // who ticked or skipped it
	At       time.Time `json:"at,omitzero"`
	Reason   string    `json:"reason,omitempty"` // why it was skipped
	Assignee string    `json:"assignee,omitempty"`
}

// Step finds a step by id.
func (c *Checklist) Step(id string) (*ChecklistStep, bool) {
	for i := range c.Steps {
		if c.Steps[i].ID == id {
			return &c.Steps[i], true
		}
	}
	return nil, false
}

// Done counts the steps ticked or skipped.
func (c *Checklist) Done() (done, skipped int) {
	for _, s := range c.Steps {
		switch s.State {
		case StepDone:
			done++
		case StepSkipped:
			skipped++
		}
	}
	return done, skipped
}

type attachedData struct {
	Runbook string    `json:"runbook"`
	Title   string    `json:"title"`
	Source  string    `json:"source"`
	Hash    string    `json:"hash"`
	Raw     string    `json:"raw"`
	Steps   []StepRef `json:"steps"`
}

type stepData struct {
	Runbook string `json:"runbook"`
	Step    string `json:"step"`
	Reason  string `json:"reason,omitempty"`
	Person  string `json:"person,omitempty"`
}

// Checklist returns the checklist of an attached runbook.
func (inc *Incident) Checklist(runbook string) (*Checklist, bool) {
	for _, c := range inc.Checklists {
		if c.Runbook == runbook {
			return c, true
		}
	}
	return nil, false
}

func (inc *Incident) applyChecklist(ev store.Event, d any) {
	switch d := d.(type) {
	case attachedData:
		c := &Checklist{Runbook: d.Runbook, Title: d.Title, Source: d.Source, Hash: d.Hash, Raw: d.Raw,
			AttachedBy: ev.Actor, AttachedAt: ev.At}
		for _, s := range d.Steps {
			c.Steps = append(c.Steps, ChecklistStep{StepRef: s, State: StepOpen})
		}
		inc.Checklists = append(inc.Checklists, c)
	case stepData:
		c, ok := inc.Checklist(d.Runbook)
		if !ok {
			return
		}
		s, ok := c.Step(d.Step)
		if !ok {
			return
		}
		switch ev.Kind {
		case KindTick:
			s.State, s.By, s.At, s.Reason = StepDone, ev.Actor, ev.At, ""
		case KindSkip:
			s.State, s.By, s.At, s.Reason = StepSkipped, ev.Actor, ev.At, d.Reason
		case KindUntick:
			s.State, s.By, s.At, s.Reason = StepOpen, "", time.Time{}, ""
		case KindAssign:
			s.Assignee = d.Person
		}
	}
}

// Attach attaches a runbook to the incident as a checklist, storing the exact version attached.
func (s *Service) Attach(ctx context.Context, id int64, rb RunbookCopy) (*Incident, []store.Event, error) {
	sum := sha256.Sum256([]byte(rb.Raw))
	d := attachedData{Runbook: rb.ID, Title: rb.Title, Source: rb.Source, Hash: hex.EncodeToString(sum[:]), Raw: rb.Raw, Steps: rb.Steps}
	return s.Change(ctx, id, func(inc *Incident) ([]Draft, error) {
		if c, ok := inc.Checklist(rb.ID); ok {
			if c.Hash == d.Hash {
				return nil, nil
			}
			return nil, store.Errorf(ErrRefused, "%s already has runbook %s attached (the version of %s); its checklist stays as it is", inc.Ref(), rb.ID, c.AttachedAt.Format("2006-01-02 15:04 UTC"))
		}
		return []Draft{{Kind: KindAttached, Text: fmt.Sprintf("attached runbook %s: %s (%d steps)", rb.ID, rb.Title, len(rb.Steps)), Data: d}}, nil
	})
}

// StepAction is what a person does with a checklist step.
type StepAction string

// The step actions.
const (
	Tick   StepAction = KindTick
	Untick StepAction = KindUntick
	Skip   StepAction = KindSkip
	Assign StepAction = KindAssign
)

// MarkStep ticks, unticks, skips (with a reason) or assigns (to person) a step of an attached runbook.
// Doing what is already so records nothing.
func (s *Service) MarkStep(ctx context.Context, id int64, runbook, step string, action StepAction, arg string) (*Incident, []store.Event, error) {
	arg = strings.TrimSpace(arg)
	if action == Skip {
		var err error
		if arg, err = OneLine("reason", arg, 1000); err == nil && arg == "" {
			err = store.Errorf(ErrInvalid, "the reason is empty")
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%w (skip needs --reason TEXT)", err)
		}
	}
	if action == Assign && (arg == "-" || strings.EqualFold(arg, "none")) {
		arg = ""
	}
	if action == Assign {
		var err error
		if arg, err = OneLine("person", arg, 200); err != nil {
			return nil, nil, err
		}
	}
	return s.Change(ctx, id, func(inc *Incident) ([]Draft, error) {
		c, ok := inc.Checklist(runbook)
		if !ok {
			return nil, store.Errorf(ErrNotFound, "runbook %s is not attached to %s: firebreak attach %s %s", runbook, inc.Ref(), inc.Ref(), runbook)
		}
		st, ok := c.Step(step)
		if !ok {
			ids := make([]string, len(c.Steps))
			for i, s := range c.Steps {
				ids[i] = s.ID
			}
			return nil, store.Errorf(ErrNotFound, "runbook %s has no step %q: its steps are %s", runbook, step, strings.Join(ids, ", "))
		}
		d := stepData{Runbook: runbook, Step: step}
		var text string
		switch action {
		case Tick:
			if st.State == StepDone {
				return nil, nil
			}
			text = fmt.Sprintf("ticked %s/%s: %s", runbook, step, st.Title)
		case Untick:
			if st.State == StepOpen {
				return nil, nil
			}
			text = fmt.Sprintf("unticked %s/%s: %s", runbook, step, st.Title)
		case Skip:
			if st.State == StepSkipped && st.Reason == arg {
				return nil, nil
			}
			d.Reason = arg
			text = fmt.Sprintf("skipped %s/%s: %s (%s)", runbook, step, st.Title, arg)
		case Assign:
			if st.Assignee == arg {
				return nil, nil
			}
			d.Person = arg
			text = fmt.Sprintf("assigned %s/%s to %s", runbook, step, arg)
			if arg == "" {
				text = fmt.Sprintf("unassigned %s/%s", runbook, step)
			}
		default:
			return nil, store.Errorf(ErrInvalid, "unknown step action %q", action)
		}
		return []Draft{{Kind: string(action), Text: text, Data: d}}, nil
	})
}
