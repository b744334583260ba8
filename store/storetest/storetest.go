// Package storetest is the contract every engine of package store must keep: one suite of tests that pins
// down what each method of store.Store and store.Tx does, as observed through the interfaces alone. SQLite
// (the reference) and PostgreSQL both run it, so what firebreak sees is the same whichever engine keeps the
// record.
//
// An engine's test calls Run with a function that opens a fresh database:
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) (store.Store, func(*testing.T) store.Store) {
//			path := filepath.Join(t.TempDir(), "fb.db")
//			open := func(t *testing.T) store.Store { ... sqlite.Open(ctx, path, ...); t.Cleanup(close) ... }
//			return open(t), open
//		})
//	}
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/firebreak/firebreak/store"
)

// Open gives a subtest a fresh, empty, migrated database of the engine under test, and reopen, which opens
// another handle on that same database, as a second process would (its own connections, its own off-switch
// handle). Both fail t when they cannot open, and register cleanups that close what they opened.
type Open func(t *testing.T) (db store.Store, reopen func(t *testing.T) store.Store)

// Run runs the whole contract as subtests of t; each subtest opens its own database.
func Run(t *testing.T, open Open) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db, reopen := open(t)
			c.fn(&T{T: t, ctx: t.Context(), db: db, reopen: reopen, open: open})
		})
	}
}

// T is one subtest with its database.
type T struct {
	*testing.T
	ctx    context.Context
	db     store.Store
	reopen func(t *testing.T) store.Store
	open   Open
}

type testCase struct {
	name string
	fn   func(t *T)
}

var cases []testCase

// contract registers a subtest of Run.
func contract(name string, fn func(t *T)) { cases = append(cases, testCase{name, fn}) }

// errSentinel is what a failing fn returns: Write must hand it back.
var errSentinel = errors.New("storetest: fn fails on purpose")

// t0 is a time with nanoseconds in a zone that is not UTC: engines keep it as UTC microseconds.
var t0 = time.Date(2026, 3, 14, 9, 26, 53, 589793238, time.FixedZone("IST", 5*3600+1800))

// at is t0 moved on by d.
func at(d time.Duration) time.Time { return t0.Add(d) }

// us is how an engine gives t back: UTC, truncated to microseconds.
func us(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// write runs fn in a write transaction of db and fails the test if it fails.
func (t *T) write(db store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := db.Write(t.ctx, fn); err != nil {
		t.Fatalf("Write: %v", err)
	}
}

// incident creates an incident from r in its own transaction.
func (t *T) incident(r store.IncidentRow) int64 {
	t.Helper()
	if r.Title == "" {
		r.Title = "disk full on db-1"
	}
	if r.Status == "" {
		r.Status = "investigating"
	}
	if r.DeclaredAt.IsZero() {
		r.DeclaredAt = t0
	}
	var id int64
	t.write(t.db, func(tx store.Tx) error {
		var err error
		id, err = tx.CreateIncident(t.ctx, r)
		return err
	})
	return id
}

// appendEv appends ev in its own transaction through db and returns it as AppendEvent filled it in.
func (t *T) appendEv(db store.Store, ev store.Event) store.Event {
	t.Helper()
	t.write(db, func(tx store.Tx) error { return tx.AppendEvent(t.ctx, &ev) })
	return ev
}

// notes appends n notes by actor to an incident, one transaction for them all.
func (t *T) notes(id int64, n int, actor string) []store.Event {
	t.Helper()
	var evs []store.Event
	t.write(t.db, func(tx store.Tx) error {
		evs = nil
		for i := range n {
			ev := store.Event{Incident: id, Actor: actor, Kind: "note", Text: fmt.Sprintf("note %d", i), Data: json.RawMessage(fmt.Sprintf(`{"i": %d}`, i))}
			if err := tx.AppendEvent(t.ctx, &ev); err != nil {
				return err
			}
			evs = append(evs, ev)
		}
		return nil
	})
	return evs
}

func (t *T) getIncident(db store.Reader, id int64) store.IncidentRow {
	t.Helper()
	r, err := db.Incident(t.ctx, id)
	if err != nil {
		t.Fatalf("Incident(%d): %v", id, err)
	}
	stored(t.T, fmt.Sprintf("INC-%d", id), r)
	return r
}

func (t *T) events(db store.Reader, q store.EventQuery) []store.Event {
	t.Helper()
	evs, err := db.Events(t.ctx, q)
	if err != nil {
		t.Fatalf("Events(%+v): %v", q, err)
	}
	stored(t.T, "events", evs)
	return evs
}

func (t *T) getRun(db store.Reader, id int64) store.RunRow {
	t.Helper()
	r, err := db.Run(t.ctx, id)
	if err != nil {
		t.Fatalf("Run(%d): %v", id, err)
	}
	stored(t.T, fmt.Sprintf("RUN-%d", id), r)
	return r
}

func (t *T) runHosts(db store.Reader, id int64) []store.RunHost {
	t.Helper()
	hs, err := db.RunHosts(t.ctx, id)
	if err != nil {
		t.Fatalf("RunHosts(%d): %v", id, err)
	}
	return hs
}

func (t *T) incidentIDs(db store.Store) []int64 {
	t.Helper()
	ids, err := db.IncidentIDs(t.ctx)
	if err != nil {
		t.Fatalf("IncidentIDs: %v", err)
	}
	return ids
}

func (t *T) verify(db store.Store) {
	t.Helper()
	if err := store.VerifyAll(t.ctx, db); err != nil {
		t.Fatalf("VerifyAll: %v", err)
	}
}

// seqs lists the seqs of evs.
func seqs(evs []store.Event) []int64 {
	out := []int64{}
	for _, ev := range evs {
		out = append(out, ev.Seq)
	}
	return out
}

func ids[R any](rows []R, id func(R) int64) []int64 {
	out := []int64{}
	for _, r := range rows {
		out = append(out, id(r))
	}
	return out
}

func incidentID(r store.IncidentRow) int64 { return r.ID }
func runID(r store.RunRow) int64           { return r.ID }

// notFound fails t unless err is store.ErrNotFound (wrapped, with a message of its own).
func notFound(t *T, what string, err error) {
	t.Helper()
	if !errors.Is(err, store.ErrNotFound) || err == store.ErrNotFound {
		t.Errorf("%s: got error %v, want one wrapping store.ErrNotFound", what, err)
	}
}
