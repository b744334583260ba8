package incident

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/firebreak/firebreak/store"
)

// Service changes and reads incidents on behalf of one actor.
type Service struct {
	DB    store.Store
	Actor Actor
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Notify, when set, is told of every event after it is committed (notify hooks, the console). It must not
	// block: the incident never waits for whoever listens.
	Notify func(inc *Incident, ev store.Event)
}

// Draft is an event a command wants to append; the store gives it its seq, time and hash.
type Draft struct {
	Kind string
	Text string
	Data any
	At   time.Time // zero: now
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Change decides on events against the incident's current state and appends them, in one write transaction
// that also saves the new projection. decide sees the state as of the lock, so two people changing the same
// incident at once are decided one after the other, never on a stale view. decide returning no drafts
// changes nothing.
func (s *Service) Change(ctx context.Context, id int64, decide func(inc *Incident) ([]Draft, error)) (*Incident, []store.Event, error) {
	var inc *Incident
	var events []store.Event
	err := s.DB.Write(ctx, func(tx store.Tx) error {
		inc, events = nil, nil
		row, err := tx.Incident(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return store.Errorf(ErrNotFound, "%s does not exist (firebreak list --all shows every incident)", Ref(id))
		}
		if err != nil {
			return err
		}
		if inc, err = fromRow(row); err != nil {
			return err
		}
		drafts, err := decide(inc)
		if err != nil || len(drafts) == 0 {
			return err
		}
		events, err = s.append(ctx, tx, inc, drafts)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	s.notify(inc, events)
	return inc, events, nil
}

func (s *Service) append(ctx context.Context, tx store.Tx, inc *Incident, drafts []Draft) ([]store.Event, error) {
	events := make([]store.Event, 0, len(drafts))
	for _, d := range drafts {
		data, err := json.Marshal(d.Data)
		if err != nil {
			return nil, err
		}
		if d.Data == nil {
			data = []byte("{}")
		}
		at := d.At
		if at.IsZero() {
			at = s.now()
		}
		ev := store.Event{Incident: inc.ID, At: at, Actor: s.Actor.String(), Kind: d.Kind, Text: d.Text, Data: data}
		if err := tx.AppendEvent(ctx, &ev); err != nil {
			return nil, err
		}
		if err := inc.Apply(ev); err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
	row, err := inc.row()
	if err != nil {
		return nil, err
	}
	return events, tx.SaveIncident(ctx, row)
}

func (s *Service) notify(inc *Incident, events []store.Event) {
	if s.Notify == nil {
		return
	}
	for _, ev := range events {
		s.Notify(inc, ev)
	}
}

// Declare opens a new incident, investigating, with the detected milestone at now.
func (s *Service) Declare(ctx context.Context, title string, sev Severity, drill bool) (*Incident, error) {
	title, err := OneLine("title", title, 200)
	if err == nil && title == "" {
		err = store.Errorf(ErrInvalid, "the title is empty")
	}
	if err != nil {
		return nil, err
	}
	if sev < SEV1 || sev > SEV4 {
		return nil, store.Errorf(ErrInvalid, "severity %d: use 1 to 4", sev)
	}
	text := fmt.Sprintf("declared %s: %s", sev, title)
	if drill {
		text = fmt.Sprintf("declared a drill, %s: %s", sev, title)
	}
	var inc *Incident
	var events []store.Event
	err = s.DB.Write(ctx, func(tx store.Tx) error {
		now := s.now()
		inc = &Incident{Title: title, Severity: sev, Status: Investigating, Drill: drill, DeclaredAt: now}
		row, err := inc.row()
		if err != nil {
			return err
		}
		if inc.ID, err = tx.CreateIncident(ctx, row); err != nil {
			return err
		}
		events, err = s.append(ctx, tx, inc, []Draft{{Kind: KindDeclared, Text: text, At: now,
			Data: declaredData{Title: title, Severity: sev, Drill: drill}}})
		return err
	})
	if err != nil {
		return nil, err
	}
	s.notify(inc, events)
	return inc, nil
}

// Note adds a note to the timeline.
func (s *Service) Note(ctx context.Context, id int64, text string) (store.Event, error) {
	text, err := cleanText("note", text, 10000)
	if err != nil {
		return store.Event{}, err
	}
	_, events, err := s.Change(ctx, id, func(*Incident) ([]Draft, error) {
		return []Draft{{Kind: KindNote, Text: text}}, nil
	})
	if err != nil {
		return store.Event{}, err
	}
	return events[0], nil
}

// NoteAt adds a backdated note: one about at, a time before now (a sign seen before the incident was
// declared, a moment noted late). It is written now, like every event; its data says the time it refers
// to, and timelines and the retrospective sort it there (EventTime).
func (s *Service) NoteAt(ctx context.Context, id int64, text string, at time.Time) (store.Event, error) {
	text, err := cleanText("note", text, 10000)
	if err != nil {
		return store.Event{}, err
	}
	if at.IsZero() {
		return s.Note(ctx, id, text)
	}
	if now := s.now(); at.After(now) {
		return store.Event{}, store.Errorf(ErrInvalid, "the time %s is in the future (it is %s): a note can be backdated, not postdated",
			at.UTC().Format("2006-01-02 15:04:05Z"), now.Format("2006-01-02 15:04:05Z"))
	}
	_, events, err := s.Change(ctx, id, func(*Incident) ([]Draft, error) {
		return []Draft{{Kind: KindNote, Text: text, Data: NoteData{At: store.FormatTime(at.UTC())}}}, nil
	})
	if err != nil {
		return store.Event{}, err
	}
	return events[0], nil
}

// EventTime is the time an event is about: for a backdated note, the time its data names (backdated
// true); for every other event, when it was recorded.
func EventTime(ev store.Event) (at time.Time, backdated bool) {
	if ev.Kind != KindNote || len(ev.Data) < 3 {
		return ev.At, false
	}
	var d NoteData
	if json.Unmarshal(ev.Data, &d) != nil || d.At == "" {
		return ev.At, false
	}
	t, err := store.ParseTime(d.At)
	if err != nil {
		return ev.At, false
	}
	return t, true
}

// SetStatus moves the incident through its lifecycle: forward to any later status, back one step at a time.
// Leaving investigating needs a commander; closing needs the retrospective published.
func (s *Service) SetStatus(ctx context.Context, id int64, to Status) (*Incident, []store.Event, error) {
	return s.Change(ctx, id, func(inc *Incident) ([]Draft, error) {
		if inc.Status == to {
			return nil, nil
		}
		ok, back := inc.Status.CanMoveTo(to)
		if !ok {
			return nil, store.Errorf(ErrRefused, "%s cannot go from %s to %s: allowed next are %s (back only one step at a time)", inc.Ref(), inc.Status, to, joinStatuses(inc.Status.Next()))
		}
		if to != Investigating && inc.Commander() == "" {
			return nil, store.Errorf(ErrRefused, "%s needs a commander before it leaves investigating: firebreak role %s commander NAME", inc.Ref(), inc.Ref())
		}
		if to == Closed && inc.RetroState != "published" {
			return nil, store.Errorf(ErrRefused, "%s can be closed only once its retrospective is published: firebreak retro state %s published", inc.Ref(), inc.Ref())
		}
		d := statusData{From: inc.Status, To: to, Back: back}
		if !back {
			d.Milestones = statusMilestones(inc, to)
		}
		text := fmt.Sprintf("status %s → %s", inc.Status, to)
		if back {
			text += " (back one step)"
		}
		return []Draft{{Kind: KindStatus, Text: text, Data: d}}, nil
	})
}

// statusMilestones are the milestones a move to status marks, those the incident has not got yet: resolving
// an incident that was never marked mitigated marks both.
func statusMilestones(inc *Incident, to Status) []Milestone {
	var marks []Milestone
	switch to {
	case Monitoring:
		marks = []Milestone{Mitigated}
	case Resolved, Closed:
		marks = []Milestone{Mitigated, ResolvedAt}
	}
	var out []Milestone
	for _, m := range marks {
		if inc.Milestones[m].IsZero() {
			out = append(out, m)
		}
	}
	return out
}

// SetSeverity changes the severity.
func (s *Service) SetSeverity(ctx context.Context, id int64, sev Severity) (*Incident, []store.Event, error) {
	return s.Change(ctx, id, func(inc *Incident) ([]Draft, error) {
		if inc.Severity == sev {
			return nil, nil
		}
		return []Draft{{Kind: KindSeverity, Text: fmt.Sprintf("severity %s → %s", inc.Severity, sev),
			Data: severityData{From: inc.Severity, To: sev}}}, nil
	})
}

// AssignRole gives role to person; an empty person (or "-") unassigns it. The commander can't be
// unassigned once the incident is past investigating. The first commander marks the acknowledged milestone.
func (s *Service) AssignRole(ctx context.Context, id int64, role Role, person string) (*Incident, []store.Event, error) {
	person = strings.TrimSpace(person)
	if person == "-" || strings.EqualFold(person, "none") {
		person = ""
	}
	person, err := OneLine("person", person, 200)
	if err != nil {
		return nil, nil, err
	}
	return s.Change(ctx, id, func(inc *Incident) ([]Draft, error) {
		prev := inc.Roles[role]
		if prev == person {
			return nil, nil
		}
		if role == Commander && person == "" && inc.Status != Investigating {
			return nil, store.Errorf(ErrRefused, "%s is %s and must keep a commander: hand over with firebreak role %s commander NAME", inc.Ref(), inc.Status, inc.Ref())
		}
		d := RoleData{Role: role, Person: person, Previous: prev}
		text := fmt.Sprintf("%s is now %s", person, role)
		switch {
		case person == "":
			text = fmt.Sprintf("%s is no longer %s", prev, role)
		case prev != "":
			text = fmt.Sprintf("%s is now %s (was %s)", person, role, prev)
		}
		if role == Commander && person != "" && inc.Milestones[Acknowledged].IsZero() {
			d.Milestone = Acknowledged
		}
		return []Draft{{Kind: KindRole, Text: text, Data: d}}, nil
	})
}

// Star marks (or with on false, unmarks) event seq as a key moment for the retrospective.
func (s *Service) Star(ctx context.Context, id, seq int64, on bool) (*Incident, []store.Event, error) {
	return s.Change(ctx, id, func(inc *Incident) ([]Draft, error) {
		if seq < 1 || seq > inc.Events {
			return nil, store.Errorf(ErrNotFound, "%s has no event %d (its events are 1 to %d: firebreak timeline %s)", inc.Ref(), seq, inc.Events, inc.Ref())
		}
		if inc.IsStarred(seq) == on {
			return nil, nil
		}
		text := fmt.Sprintf("starred event %d", seq)
		if !on {
			text = fmt.Sprintf("unstarred event %d", seq)
		}
		return []Draft{{Kind: KindStar, Text: text, Data: starData{Seq: seq, Starred: on}}}, nil
	})
}

// SetMilestone records when a milestone happened; setting one that has a time already is a correction,
// recorded with the previous time and the reason.
func (s *Service) SetMilestone(ctx context.Context, id int64, m Milestone, at time.Time, reason string) (*Incident, []store.Event, error) {
	if at.After(s.now().Add(time.Minute)) {
		return nil, nil, store.Errorf(ErrInvalid, "%s is in the future", at.Format(time.RFC3339))
	}
	reason, err := OneLine("reason", reason, 1000)
	if err != nil {
		return nil, nil, err
	}
	return s.Change(ctx, id, func(inc *Incident) ([]Draft, error) {
		d := milestoneData{Milestone: m, At: store.FormatTime(at), Reason: reason}
		text := fmt.Sprintf("%s at %s", m, at.Format("2006-01-02 15:04:05 UTC"))
		if prev, ok := inc.Milestones[m]; ok {
			if prev.Equal(at.Truncate(time.Microsecond)) {
				return nil, nil
			}
			d.Previous, d.Correction = store.FormatTime(prev), true
			text = fmt.Sprintf("corrected %s to %s (was %s)", m, at.Format("2006-01-02 15:04:05 UTC"), prev.Format("2006-01-02 15:04:05 UTC"))
		}
		if d.Reason != "" {
			text += ": " + d.Reason
		}
		return []Draft{{Kind: KindMilestone, Text: text, Data: d}}, nil
	})
}

// Hide marks event seq as hidden (a mistake, a duplicate) with a reason. Nothing is removed: the event
// stays on the timeline and in the hash chain, shown as hidden. The kinds in Unhideable are refused.
func (s *Service) Hide(ctx context.Context, id, seq int64, reason string) (*Incident, []store.Event, error) {
	reason, err := OneLine("reason", reason, 1000)
	if err == nil && reason == "" {
		err = store.Errorf(ErrInvalid, "the reason is empty")
	}
	if err != nil {
		return nil, nil, err
	}
	// Events never change once written, so the kind can be read before the write transaction.
	evs, err := s.DB.Events(ctx, store.EventQuery{Incident: id, Seqs: []int64{seq}})
	if err != nil {
		return nil, nil, err
	}
	if len(evs) == 1 && Unhideable[evs[0].Kind] {
		return nil, nil, store.Errorf(ErrRefused, "%s event %d is %s, which cannot be hidden: it stays on the record", Ref(id), seq, evs[0].Kind)
	}
	return s.Change(ctx, id, func(inc *Incident) ([]Draft, error) {
		if seq < 1 || seq > inc.Events {
			return nil, store.Errorf(ErrNotFound, "%s has no event %d", inc.Ref(), seq)
		}
		if _, ok := inc.Hidden[seq]; ok {
			return nil, nil
		}
		return []Draft{{Kind: KindHide, Text: fmt.Sprintf("hid event %d: %s", seq, reason), Data: HideData{Seq: seq, Reason: reason}}}, nil
	})
}

// Get reads an incident's current state.
func (s *Service) Get(ctx context.Context, id int64) (*Incident, error) {
	row, err := s.DB.Incident(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, store.Errorf(ErrNotFound, "%s does not exist (firebreak list --all shows every incident)", Ref(id))
	}
	if err != nil {
		return nil, err
	}
	return fromRow(row)
}

// Summary is an incident as a list shows it, read without parsing its whole state.
type Summary struct {
	ID         int64     `json:"-"`
	Ref        string    `json:"id"`
	Title      string    `json:"title"`
	Severity   Severity  `json:"severity"`
	Status     Status    `json:"status"`
	Drill      bool      `json:"drill"`
	Commander  string    `json:"commander"`
	DeclaredAt time.Time `json:"declared_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	Events     int64     `json:"events"`
}

// List returns open incidents (all of them with all), most recently active first.
func (s *Service) List(ctx context.Context, all bool) ([]Summary, error) {
	q := store.IncidentQuery{}
	if !all {
		for _, st := range OpenStatuses {
			q.Statuses = append(q.Statuses, string(st))
		}
	}
	return s.summaries(ctx, q)
}

// Recent returns at most limit resolved or closed incidents, most recently active first: a bounded read,
// so a database with thousands of old incidents lists as fast as an empty one.
func (s *Service) Recent(ctx context.Context, limit int) ([]Summary, error) {
	return s.summaries(ctx, store.IncidentQuery{Statuses: []string{string(Resolved), string(Closed)}, Limit: limit})
}

func (s *Service) summaries(ctx context.Context, q store.IncidentQuery) ([]Summary, error) {
	rows, err := s.DB.Incidents(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]Summary, len(rows))
	for i, r := range rows {
		out[i] = Summary{ID: r.ID, Ref: Ref(r.ID), Title: r.Title, Severity: Severity(r.Severity), Status: Status(r.Status),
			Drill: r.Drill, Commander: r.Commander, DeclaredAt: r.DeclaredAt, UpdatedAt: r.UpdatedAt, Events: r.LastSeq}
	}
	return out, nil
}

// Timeline returns an incident's events after seq afterSeq (0: from the start), at most limit (0: all).
func (s *Service) Timeline(ctx context.Context, id, afterSeq int64, limit int) ([]store.Event, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	return s.DB.Events(ctx, store.EventQuery{Incident: id, AfterSeq: afterSeq, Limit: limit})
}

// cleanText trims text and refuses it empty, too long, or with control characters other than newline
// and tab (which would garble every terminal that shows the timeline).
func cleanText(what, text string, max int) (string, error) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return "", store.Errorf(ErrInvalid, "the %s is empty", what)
	case !utf8.ValidString(text):
		return "", store.Errorf(ErrInvalid, "the %s is not valid UTF-8", what)
	case utf8.RuneCountInString(text) > max:
		return "", store.Errorf(ErrInvalid, "the %s is longer than %d characters", what, max)
	case strings.ContainsFunc(text, func(r rune) bool { return r != '\n' && r != '\t' && isControl(r) }):
		return "", store.Errorf(ErrInvalid, "the %s contains control characters", what)
	}
	return text, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 }

// Retrospective states.
const (
	RetroDraft     = "draft"
	RetroReview    = "review"
	RetroPublished = "published"
)

// SetRetroState moves the retrospective between draft, review and published: draft to review and back,
// review to published, and published back to review to reopen it. Each move is an event.
func (s *Service) SetRetroState(ctx context.Context, id int64, to string) (*Incident, []store.Event, error) {
	allowed := map[string][]string{RetroDraft: {RetroReview}, RetroReview: {RetroDraft, RetroPublished}, RetroPublished: {RetroReview}}
	if _, ok := allowed[to]; !ok {
		return nil, nil, store.Errorf(ErrInvalid, "retrospective state %q: use draft, review or published", to)
	}
	return s.Change(ctx, id, func(inc *Incident) ([]Draft, error) {
		from := inc.RetroState
		if from == "" {
			from = RetroDraft
		}
		if from == to {
			return nil, nil
		}
		if !slices.Contains(allowed[from], to) {
			return nil, store.Errorf(ErrRefused, "the retrospective of %s is %s and cannot go to %s: next is %s", inc.Ref(), from, to,
				strings.Join(allowed[from], " or "))
		}
		return []Draft{{Kind: KindRetroState, Text: fmt.Sprintf("retrospective %s → %s", from, to),
			Data: retroStateData{From: from, To: to}}}, nil
	})
}
