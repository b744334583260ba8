package storetest

import (
	"encoding/json"
	"errors"

	"github.com/firebreak/firebreak/store"
)

func init() {
	contract("Engine", testEngine)
	contract("IncidentIDsIncreaseFromOne", testIncidentIDs)
	contract("IncidentRoundTrip", testIncidentRoundTrip)
	contract("IncidentNotFound", testIncidentNotFound)
	contract("SaveIncident", testSaveIncident)
	contract("IncidentsOrderFilterLimit", testIncidentsList)
}

func testEngine(t *T) {
	switch e := t.db.Engine(); e {
	case "sqlite":
		if t.db.LocalPath() == "" {
			t.Error("a SQLite database has no LocalPath")
		}
	case "postgres":
		if t.db.LocalPath() != "" {
			t.Errorf("a PostgreSQL database has LocalPath %q, want none", t.db.LocalPath())
		}
	default:
		t.Errorf("Engine() = %q, want sqlite or postgres", e)
	}
	if t.db.Where() == "" {
		t.Error("Where() is empty")
	}
	if err := t.db.Check(t.ctx); err != nil {
		t.Errorf("Check on a fresh database: %v", err)
	}
	if got := t.incidentIDs(t.db); len(got) != 0 {
		t.Errorf("a fresh database has incidents %v", got)
	}
	t.verify(t.db)
}

// Ids start at 1, go up by one, are never reused, and a create that was rolled back takes no number: the
// next incident gets it (INC-n are dense).
func testIncidentIDs(t *T) {
	var got []int64
	for range 3 {
		got = append(got, t.incident(store.IncidentRow{}))
	}
	t.write(t.db, func(tx store.Tx) error {
		for range 2 {
			id, err := tx.CreateIncident(t.ctx, store.IncidentRow{Title: "x", Status: "investigating", DeclaredAt: t0})
			if err != nil {
				return err
			}
			got = append(got, id)
		}
		return nil
	})
	same(t.T, "ids", got, []int64{1, 2, 3, 4, 5})

	var rolledBack int64
	err := t.db.Write(t.ctx, func(tx store.Tx) error {
		var err error
		rolledBack, err = tx.CreateIncident(t.ctx, store.IncidentRow{Title: "gone", Status: "investigating", DeclaredAt: t0})
		if err != nil {
			return err
		}
		return errSentinel
	})
	if !errors.Is(err, errSentinel) {
		t.Fatalf("Write returned %v, want fn's error", err)
	}
	if rolledBack != 6 {
		t.Errorf("the rolled-back create got id %d inside its transaction, want 6", rolledBack)
	}
	if _, err := t.db.Incident(t.ctx, 6); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the rolled-back incident 6 reads %v, want ErrNotFound", err)
	}
	// A second handle numbers on from the same sequence.
	db2 := t.reopen(t.T)
	var next int64
	t.write(db2, func(tx store.Tx) error {
		var err error
		next, err = tx.CreateIncident(t.ctx, store.IncidentRow{Title: "y", Status: "investigating", DeclaredAt: t0})
		return err
	})
	if next != 6 {
		t.Errorf("after a rolled-back create, the next incident got id %d, want 6 (ids are dense)", next)
	}
	if id := t.incident(store.IncidentRow{}); id != 7 {
		t.Errorf("next id %d, want 7", id)
	}
	same(t.T, "IncidentIDs", t.incidentIDs(t.db), []int64{1, 2, 3, 4, 5, 6, 7})
	same(t.T, "IncidentIDs (second handle)", t.incidentIDs(db2), []int64{1, 2, 3, 4, 5, 6, 7})
}

func testIncidentRoundTrip(t *T) {
	in := store.IncidentRow{
		ID:         42, // ignored: the engine numbers incidents
		Title:      "Ünïcode — «title» 🔥 with 'quotes' and \"doubles\"\nand a newline",
		Severity:   1,
		Status:     "mitigating",
		Drill:      true,
		Commander:  "alice@example.com",
		DeclaredAt: t0,
		UpdatedAt:  at(99e9), // ignored: a new incident was last updated when it was declared
		LastSeq:    9,        // ignored: no events yet
		LastHash:   "feed",   // ignored
		State:      json.RawMessage(`{"b": 1,  "a":[2, {"z":null}] }`),
	}
	var id int64
	t.write(t.db, func(tx store.Tx) error {
		var err error
		if id, err = tx.CreateIncident(t.ctx, in); err != nil {
			return err
		}
		// The transaction reads its own writes; nobody else sees them before commit.
		same(t.T, "tx.Incident before commit", t.getIncident(tx, id).Title, in.Title)
		if _, err := t.db.Incident(t.ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Store.Incident during the creating transaction: %v, want ErrNotFound (no dirty reads)", err)
		}
		return nil
	})
	if id != 1 {
		t.Errorf("first incident id %d, want 1", id)
	}
	want := store.IncidentRow{
		ID: 1, Title: in.Title, Severity: 1, Status: "mitigating", Drill: true, Commander: "alice@example.com",
		DeclaredAt: us(t0), UpdatedAt: us(t0), LastSeq: 0, LastHash: "",
		State: json.RawMessage(`{"b": 1,  "a":[2, {"z":null}] }`), // byte for byte: not normalised
	}
	same(t.T, "Incident", t.getIncident(t.db, id), want)
	same(t.T, "Incident (second handle)", t.getIncident(t.reopen(t.T), id), want)

	// No state is stored as {}.
	id2 := t.incident(store.IncidentRow{Title: "plain", Severity: 3, Status: "investigating", DeclaredAt: at(1e9)})
	r := t.getIncident(t.db, id2)
	same(t.T, "State of an incident created without one", r.State, json.RawMessage(`{}`))
	same(t.T, "Drill and Commander defaults", []any{r.Drill, r.Commander}, []any{false, ""})

	// A zero DeclaredAt is kept as the zero time.
	var id3 int64
	t.write(t.db, func(tx store.Tx) error {
		var err error
		id3, err = tx.CreateIncident(t.ctx, store.IncidentRow{Title: "z", Status: "investigating"})
		return err
	})
	r = t.getIncident(t.db, id3)
	if !r.DeclaredAt.IsZero() || !r.UpdatedAt.IsZero() {
		t.Errorf("an incident declared at the zero time reads DeclaredAt %v, UpdatedAt %v; want zero", r.DeclaredAt, r.UpdatedAt)
	}
}

func testIncidentNotFound(t *T) {
	for _, id := range []int64{0, 1, -1, 1 << 40} {
		_, err := t.db.Incident(t.ctx, id)
		notFound(t, "Incident on an empty database", err)
	}
	id := t.incident(store.IncidentRow{})
	_, err := t.db.Incident(t.ctx, id+1)
	notFound(t, "Incident(missing)", err)
	err = t.db.Write(t.ctx, func(tx store.Tx) error {
		_, err := tx.Incident(t.ctx, id+1)
		notFound(t, "tx.Incident(missing)", err)
		err = tx.SaveIncident(t.ctx, store.IncidentRow{ID: id + 1, Title: "nope", Status: "resolved"})
		notFound(t, "SaveIncident(missing)", err)
		return err
	})
	notFound(t, "Write returning SaveIncident's error", err)
	same(t.T, "IncidentIDs after saving a missing incident", t.incidentIDs(t.db), []int64{id})
	_, err = store.HeadOf(t.ctx, t.db, id+1)
	notFound(t, "HeadOf(missing)", err)
	err = store.VerifyChain(t.ctx, t.db, id+1)
	notFound(t, "VerifyChain(missing)", err)
}

// SaveIncident rewrites the projection's fields and state, never its id, declaration, update time or head.
func testSaveIncident(t *T) {
	id := t.incident(store.IncidentRow{Title: "before", Severity: 2, Status: "investigating", Commander: "a", DeclaredAt: t0})
	ev := t.appendEv(t.db, store.Event{Incident: id, Actor: "a", Kind: "note", Text: "x", At: at(5e9)})
	t.write(t.db, func(tx store.Tx) error {
		return tx.SaveIncident(t.ctx, store.IncidentRow{
			ID: id, Title: "after", Severity: 1, Status: "resolved", Drill: true, Commander: "b",
			DeclaredAt: at(1e12), UpdatedAt: at(2e12), LastSeq: 77, LastHash: "bogus",
			State: json.RawMessage(`{"status":"resolved",  "n":1}`),
		})
	})
	want := store.IncidentRow{
		ID: id, Title: "after", Severity: 1, Status: "resolved", Drill: true, Commander: "b",
		DeclaredAt: us(t0), UpdatedAt: ev.At, LastSeq: 1, LastHash: ev.Hash,
		State: json.RawMessage(`{"status":"resolved",  "n":1}`),
	}
	same(t.T, "Incident after SaveIncident", t.getIncident(t.db, id), want)
	// No state saves {}; Drill goes back to false.
	t.write(t.db, func(tx store.Tx) error {
		return tx.SaveIncident(t.ctx, store.IncidentRow{ID: id, Title: "again", Severity: 3, Status: "closed"})
	})
	want.Title, want.Severity, want.Status, want.Drill, want.Commander, want.State = "again", 3, "closed", false, "", json.RawMessage(`{}`)
	same(t.T, "Incident after a second SaveIncident", t.getIncident(t.db, id), want)
	t.verify(t.db)
}

// Incidents lists the most recently updated first (ties: the higher id first), optionally only some
// statuses and at most Limit of them.
func testIncidentsList(t *T) {
	if got, err := t.db.Incidents(t.ctx, store.IncidentQuery{}); err != nil || len(got) != 0 {
		t.Fatalf("Incidents on an empty database: %v, %v", got, err)
	}
	// Declared at +2h, +1h, +2h, +3h: a new incident was updated when it was declared.
	a := t.incident(store.IncidentRow{Status: "investigating", DeclaredAt: at(2 * 3600e9)})
	b := t.incident(store.IncidentRow{Status: "resolved", DeclaredAt: at(1 * 3600e9)})
	c := t.incident(store.IncidentRow{Status: "investigating", DeclaredAt: at(2 * 3600e9)})
	d := t.incident(store.IncidentRow{Status: "mitigating", DeclaredAt: at(3 * 3600e9)})
	list := func(q store.IncidentQuery) []int64 {
		t.Helper()
		rows, err := t.db.Incidents(t.ctx, q)
		if err != nil {
			t.Fatalf("Incidents(%+v): %v", q, err)
		}
		stored(t.T, "Incidents", rows)
		var txRows []store.IncidentRow
		t.write(t.db, func(tx store.Tx) error {
			var err error
			txRows, err = tx.Incidents(t.ctx, q)
			return err
		})
		same(t.T, "tx.Incidents", txRows, rows)
		return ids(rows, incidentID)
	}
	same(t.T, "all", list(store.IncidentQuery{}), []int64{d, c, a, b})
	same(t.T, "Limit 2", list(store.IncidentQuery{Limit: 2}), []int64{d, c})
	same(t.T, "Limit 10", list(store.IncidentQuery{Limit: 10}), []int64{d, c, a, b})
	same(t.T, "Limit -1", list(store.IncidentQuery{Limit: -1}), []int64{d, c, a, b})
	same(t.T, "investigating", list(store.IncidentQuery{Statuses: []string{"investigating"}}), []int64{c, a})
	same(t.T, "investigating, resolved", list(store.IncidentQuery{Statuses: []string{"resolved", "investigating"}}), []int64{c, a, b})
	same(t.T, "investigating, limit 1", list(store.IncidentQuery{Statuses: []string{"investigating"}, Limit: 1}), []int64{c})
	same(t.T, "unknown status", list(store.IncidentQuery{Statuses: []string{"nope"}}), []int64{})

	// An event moves updated_at to its time, even back in time.
	t.appendEv(t.db, store.Event{Incident: b, Actor: "x", Kind: "note", At: at(4 * 3600e9)})
	same(t.T, "after an event on b", list(store.IncidentQuery{}), []int64{b, d, c, a})
	ev := t.appendEv(t.db, store.Event{Incident: b, Actor: "x", Kind: "note", At: at(-3600e9)})
	same(t.T, "UpdatedAt after an event dated in the past", t.getIncident(t.db, b).UpdatedAt, ev.At)
	same(t.T, "after an event on b dated in the past", list(store.IncidentQuery{}), []int64{d, c, a, b})
	// SaveIncident moves nothing.
	t.write(t.db, func(tx store.Tx) error {
		return tx.SaveIncident(t.ctx, store.IncidentRow{ID: a, Title: "t", Status: "resolved", UpdatedAt: at(1e15)})
	})
	same(t.T, "after SaveIncident", list(store.IncidentQuery{}), []int64{d, c, a, b})
	same(t.T, "resolved", list(store.IncidentQuery{Statuses: []string{"resolved"}}), []int64{a, b})
}
