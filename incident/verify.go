package incident

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/firebreak/firebreak/store"
)

// projectedField is one part of an incident's state that its events decide, with how the stored row and a
// replayed state show it.
type projectedField struct {
	name string
	show func(*Incident) string
}

func showJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

var projectedFields = []projectedField{
	{"title", func(i *Incident) string { return fmt.Sprintf("%q", i.Title) }},
	{"severity", func(i *Incident) string { return i.Severity.String() }},
	{"status", func(i *Incident) string { return string(i.Status) }},
	{"drill flag", func(i *Incident) string { return fmt.Sprint(i.Drill) }},
	{"declared time", func(i *Incident) string { return store.FormatTime(i.DeclaredAt) }},
	{"declarer", func(i *Incident) string { return fmt.Sprintf("%q", i.DeclaredBy) }},
	{"roles", func(i *Incident) string { return showJSON(i.Roles) }},
	{"milestones", func(i *Incident) string { return showJSON(i.Milestones) }},
	{"starred events", func(i *Incident) string { return showJSON(i.Starred) }},
	{"hidden events", func(i *Incident) string { return showJSON(i.Hidden) }},
	{"checklists", func(i *Incident) string { return showJSON(i.Checklists) }},
	{"retrospective state", func(i *Incident) string { return fmt.Sprintf("%q", i.RetroState) }},
	{"backdated notes", func(i *Incident) string { return showJSON(i.Backdated) }},
}

// VerifyProjection replays an incident's timeline and compares the result with what the incidents table
// stores (its columns and its state), so that editing the table alone, which `show` and `list` read, is
// caught. It returns a *store.Mismatch naming the first field that differs and the event that last set it.
// Run it after store.VerifyChain: it trusts the events.
func VerifyProjection(ctx context.Context, db store.Store, id int64) error {
	row, err := db.Incident(ctx, id)
	if err != nil {
		return err
	}
	replayed := &Incident{}
	if err := eachEvent(ctx, db, id, replayed.Apply); err != nil {
		return &store.Mismatch{Incident: id, Reason: fmt.Sprintf("the timeline does not replay: %v", err)}
	}
	stored := &Incident{}
	if err := json.Unmarshal(row.State, stored); err != nil {
		return &store.Mismatch{Incident: id, Reason: fmt.Sprintf("the stored state is unreadable: %v", err)}
	}
	// The list columns first (what `list` shows), then the state (what `show` shows).
	columns := &Incident{Title: row.Title, Severity: Severity(row.Severity), Status: Status(row.Status), Drill: row.Drill,
		DeclaredAt: row.DeclaredAt, Roles: map[Role]string{}}
	if row.Commander != "" {
		columns.Roles[Commander] = row.Commander
	}
	checks := []struct {
		got    *Incident
		fields []projectedField
	}{
		{columns, projectedFields[:5]},
		{columns, []projectedField{{"commander", func(i *Incident) string { return fmt.Sprintf("%q", i.Commander()) }}}},
		{stored, projectedFields},
	}
	for _, c := range checks {
		for _, f := range c.fields {
			if got, want := f.show(c.got), f.show(replayed); got != want {
				return &store.Mismatch{Incident: id, Seq: lastSetBy(ctx, db, id, f),
					Reason: fmt.Sprintf("the stored %s is %s but the timeline says %s", f.name, got, want)}
			}
		}
	}
	return nil
}

// lastSetBy is the event after which f last changed, replaying again: only done once a mismatch is found.
func lastSetBy(ctx context.Context, db store.Store, id int64, f projectedField) int64 {
	inc, seq, prev := &Incident{}, int64(0), ""
	eachEvent(ctx, db, id, func(ev store.Event) error {
		if err := inc.Apply(ev); err != nil {
			return err
		}
		if cur := f.show(inc); cur != prev {
			seq, prev = ev.Seq, cur
		}
		return nil
	})
	return seq
}

// eachEvent calls fn with every event of an incident in order, a page at a time, so a 200,000-event
// timeline never sits in memory whole.
func eachEvent(ctx context.Context, db store.Store, id int64, fn func(store.Event) error) error {
	const page = 5000
	var after int64
	for {
		events, err := db.Events(ctx, store.EventQuery{Incident: id, AfterSeq: after, Limit: page})
		if err != nil {
			return err
		}
		for _, ev := range events {
			if err := fn(ev); err != nil {
				return err
			}
			after = ev.Seq
		}
		if len(events) < page {
			return nil
		}
	}
}
