package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/firebreak/firebreak/store"
)

func init() {
	contract("ExportImportRoundTrip", testExportImport)
	contract("ExportIsOneSnapshot", testExportSnapshot)
	contract("ImportRefusesNonEmpty", testImportNonEmpty)
	contract("ImportFailureLoadsNothing", testImportFailure)
}

// record is what an Export sent, in order: each element an IncidentRow, Event, RunRow, RunHost, Approval,
// Switch, RetroVersion or ActionItem.
type record []any

func (r *record) Incident(x store.IncidentRow) error      { *r = append(*r, x); return nil }
func (r *record) Event(x store.Event) error               { *r = append(*r, x); return nil }
func (r *record) Run(x store.RunRow) error                { *r = append(*r, x); return nil }
func (r *record) RunHost(x store.RunHost) error           { *r = append(*r, x); return nil }
func (r *record) Approval(x store.Approval) error         { *r = append(*r, x); return nil }
func (r *record) Switch(x store.Switch) error             { *r = append(*r, x); return nil }
func (r *record) RetroVersion(x store.RetroVersion) error { *r = append(*r, x); return nil }
func (r *record) ActionItem(x store.ActionItem) error     { *r = append(*r, x); return nil }

// load replays the record into sink.
func (r record) load(sink store.Sink) error {
	for _, x := range r {
		var err error
		switch x := x.(type) {
		case store.IncidentRow:
			err = sink.Incident(x)
		case store.Event:
			err = sink.Event(x)
		case store.RunRow:
			err = sink.Run(x)
		case store.RunHost:
			err = sink.RunHost(x)
		case store.Approval:
			err = sink.Approval(x)
		case store.Switch:
			err = sink.Switch(x)
		case store.RetroVersion:
			err = sink.RetroVersion(x)
		case store.ActionItem:
			err = sink.ActionItem(x)
		default:
			err = fmt.Errorf("unknown %T", x)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (t *T) export(db store.Store) record {
	t.Helper()
	var r record
	if err := db.Export(t.ctx, &r); err != nil {
		t.Fatalf("Export: %v", err)
	}
	stored(t.T, "export", r)
	return r
}

// populate fills the database with some of everything, through every method of Tx.
func (t *T) populate() {
	t.Helper()
	a := t.incident(store.IncidentRow{Title: "disk full", Severity: 1, Status: "investigating", Commander: "alice", DeclaredAt: t0,
		State: json.RawMessage(`{"z": 1, "a": [true]}`)})
	b := t.incident(store.IncidentRow{Title: "drill", Severity: 3, Status: "resolved", Drill: true, DeclaredAt: at(time.Hour)})
	c := t.incident(store.IncidentRow{Title: "quiet", Status: "investigating", DeclaredAt: at(30 * time.Minute)})
	_ = c // no events at all
	t.notes(a, 4, "alice")
	t.appendEv(t.db, store.Event{Incident: b, Actor: "bob", Kind: "status", Text: "resolved", At: at(2 * time.Hour), Data: json.RawMessage(`{"to": "resolved"}`)})
	t.appendEv(t.db, store.Event{Incident: a, Actor: "carol", Kind: "cmd", Text: "df -h"})
	t.write(t.db, func(tx store.Tx) error {
		return tx.SaveIncident(t.ctx, store.IncidentRow{ID: b, Title: "drill (done)", Severity: 3, Status: "closed", Drill: true, State: json.RawMessage(`{"closed":true}`)})
	})
	r1 := t.createRun(fullRun(a), []store.RunHost{{Host: "web-2", Stage: 1, Position: 1, State: "pending"}, {Host: "web-1", Stage: 1, Position: 0, State: "pending"}})
	r2 := t.createRun(store.RunRow{Incident: b, ScriptHash: "h2", Status: "running", StartedBy: "bob", StartedAt: at(time.Hour)}, []store.RunHost{{Host: "db-1", State: "pending"}})
	t.write(t.db, func(tx store.Tx) error {
		for _, err := range []error{
			tx.SetHost(t.ctx, store.RunHost{Run: r1, Host: "web-1", State: "ok", ExitCode: 0, Duration: 1234 * time.Millisecond, OutputTail: "done\n", LogPath: "/logs/1", LogHost: "m1"}),
			tx.SetHost(t.ctx, store.RunHost{Run: r2, Host: "db-1", State: "failed", ExitCode: 1, Error: "boom"}),
			tx.UpdateRun(t.ctx, store.RunRow{ID: r1, Status: "succeeded", Stage: 1, FinishedAt: at(time.Hour + 1)}),
			tx.UpdateRun(t.ctx, store.RunRow{ID: r2, Status: "waiting", WaitingFor: "approval", Stage: 1, OwnerPID: 9, OwnerStart: "s", OwnerHost: "m2", LeaseUntil: at(2 * time.Hour)}),
			tx.BumpContinue(t.ctx, r2),
			tx.Approve(t.ctx, store.Approval{Run: r1, Stage: 1, Person: "alice", Actor: "alice", At: at(time.Minute), PlanHash: "plan-1"}),
			tx.Approve(t.ctx, store.Approval{Run: r1, Stage: 1, Person: "bob", Actor: "alice", At: at(time.Minute), PlanHash: "plan-1"}),
			tx.Approve(t.ctx, store.Approval{Run: r2, Stage: 1, Person: "carol", Actor: "carol", At: at(time.Hour), PlanHash: ""}),
			tx.SetSwitch(t.ctx, store.Switch{Name: "halt", Engaged: true, Reason: "why", Actor: "alice", At: at(time.Minute)}),
			tx.SetSwitch(t.ctx, store.Switch{Name: "another", Engaged: false, Actor: "bob", At: at(2 * time.Minute)}),
			tx.SaveRetroVersion(t.ctx, &store.RetroVersion{Incident: a, Section: "summary", Text: "v1", Author: "alice", At: at(3 * time.Hour)}),
			tx.SaveRetroVersion(t.ctx, &store.RetroVersion{Incident: a, Section: "summary", Text: "v2", Author: "bob", At: at(4 * time.Hour), Base: 1, Conflict: true}),
			tx.SaveRetroVersion(t.ctx, &store.RetroVersion{Incident: a, Section: "impact", Text: "none", Author: "bob", At: at(4 * time.Hour)}),
			tx.SaveRetroVersion(t.ctx, &store.RetroVersion{Incident: b, Section: "summary", Text: "drill", Author: "bob", At: at(4 * time.Hour)}),
			tx.SaveActionItem(t.ctx, &store.ActionItem{Incident: a, Text: "alert", Owner: "alice", Ticket: "T-1", Due: "2026-05-01", Kind: "detect", Author: "alice", At: at(5 * time.Hour)}),
			tx.SaveActionItem(t.ctx, &store.ActionItem{Incident: a, Item: 1, Text: "alert", Done: true, Author: "alice", At: at(6 * time.Hour)}),
			tx.SaveActionItem(t.ctx, &store.ActionItem{Incident: a, Text: "gone", Removed: true, Author: "bob", At: at(6 * time.Hour)}),
		} {
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// snapshot is everything a database shows through the Store's read methods.
type snapshot struct {
	IncidentIDs []int64
	Listed      []store.IncidentRow
	Incidents   []store.IncidentRow
	Events      map[int64][]store.Event
	ActorCounts map[int64][]store.ActorCount
	Heads       map[int64]store.Head
	Runs        []store.RunRow
	Hosts       map[int64][]store.RunHost
	Approvals   map[int64][]store.Approval
	Switches    map[string]store.Switch
	Latest      map[int64]map[string]store.RetroVersion
	History     map[int64]map[string][]store.RetroVersion
	Retro       map[int64][]store.RetroVersion
	Actions     map[int64][]store.ActionItem
	ActionVers  map[int64][]store.ActionItem
}

func (t *T) snapshot(db store.Store, switches ...string) snapshot {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("snapshot: %v", err)
		}
	}
	s := snapshot{
		Events: map[int64][]store.Event{}, ActorCounts: map[int64][]store.ActorCount{}, Heads: map[int64]store.Head{},
		Hosts: map[int64][]store.RunHost{}, Approvals: map[int64][]store.Approval{}, Switches: map[string]store.Switch{},
		Latest: map[int64]map[string]store.RetroVersion{}, History: map[int64]map[string][]store.RetroVersion{},
		Retro: map[int64][]store.RetroVersion{}, Actions: map[int64][]store.ActionItem{}, ActionVers: map[int64][]store.ActionItem{},
	}
	var err error
	s.IncidentIDs = t.incidentIDs(db)
	s.Listed, err = db.Incidents(t.ctx, store.IncidentQuery{})
	must(err)
	for _, id := range s.IncidentIDs {
		s.Incidents = append(s.Incidents, t.getIncident(db, id))
		s.Events[id] = t.events(db, store.EventQuery{Incident: id})
		s.ActorCounts[id], err = db.ActorCounts(t.ctx, id)
		must(err)
		s.Heads[id], err = store.HeadOf(t.ctx, db, id)
		must(err)
		s.Latest[id], err = db.LatestRetroVersions(t.ctx, id)
		must(err)
		s.Retro[id], err = db.RetroVersions(t.ctx, id)
		must(err)
		s.History[id] = map[string][]store.RetroVersion{}
		for _, v := range s.Retro[id] {
			if _, ok := s.History[id][v.Section]; !ok {
				s.History[id][v.Section], err = db.RetroHistory(t.ctx, id, v.Section)
				must(err)
			}
		}
		s.Actions[id], err = db.ActionItems(t.ctx, id)
		must(err)
		s.ActionVers[id], err = db.ActionItemVersions(t.ctx, id)
		must(err)
	}
	s.Runs, err = db.Runs(t.ctx, store.RunQuery{})
	must(err)
	for _, r := range s.Runs {
		s.Hosts[r.ID] = t.runHosts(db, r.ID)
		s.Approvals[r.ID], err = db.Approvals(t.ctx, r.ID)
		must(err)
	}
	for _, n := range switches {
		s.Switches[n], err = db.Switch(t.ctx, n)
		must(err)
	}
	stored(t.T, "snapshot", s)
	return s
}

// checkOrder fails t unless rec keeps the Sink's order: every incident before its events, runs and
// retrospective; every run before its hosts and approvals; each timeline in seq order from 1.
func checkOrder(t *T, rec record) {
	t.Helper()
	incs, runs, next := map[int64]bool{}, map[int64]bool{}, map[int64]int64{}
	for i, x := range rec {
		var inc, run int64
		switch x := x.(type) {
		case store.IncidentRow:
			incs[x.ID] = true
		case store.Event:
			inc = x.Incident
			if next[inc]++; x.Seq != next[inc] {
				t.Errorf("export #%d: INC-%d event %d, want %d", i, inc, x.Seq, next[inc])
			}
		case store.RunRow:
			inc, runs[x.ID] = x.Incident, true
		case store.RunHost:
			run = x.Run
		case store.Approval:
			run = x.Run
		case store.RetroVersion:
			inc = x.Incident
		case store.ActionItem:
			inc = x.Incident
		}
		if inc != 0 && !incs[inc] {
			t.Errorf("export #%d: %T of INC-%d before the incident", i, x, inc)
		}
		if run != 0 && !runs[run] {
			t.Errorf("export #%d: %T of RUN-%d before the run", i, x, run)
		}
	}
}

// Export then Import into a fresh database of the same engine gives back everything exactly: every row,
// every event with its hash, the same ids and numbering from there on.
func testExportImport(t *T) {
	t.populate()
	t.verify(t.db)
	rec := t.export(t.db)
	checkOrder(t, rec)
	count := map[string]int{}
	for _, x := range rec {
		count[fmt.Sprintf("%T", x)]++
	}
	same(t.T, "exported rows", count, map[string]int{
		"store.IncidentRow": 3, "store.Event": 6, "store.RunRow": 2, "store.RunHost": 3, "store.Approval": 3,
		"store.Switch": 2, "store.RetroVersion": 4, "store.ActionItem": 3,
	})
	want := t.snapshot(t.db, "halt", "another", "never")

	fresh, _ := t.freshDB()
	if err := fresh.Import(t.ctx, rec.load); err != nil {
		t.Fatalf("Import: %v", err)
	}
	t.verify(fresh)
	for _, id := range t.incidentIDs(fresh) {
		if err := store.VerifyChain(t.ctx, fresh, id); err != nil {
			t.Errorf("VerifyChain(%d) after import: %v", id, err)
		}
	}
	same(t.T, "imported database", t.snapshot(fresh, "halt", "another", "never"), want)
	same(t.T, "export of the imported database", t.export(fresh), rec)

	// Numbering goes on after the imported ids, and chains after the imported heads.
	var inc, run int64
	var ev store.Event
	t.write(fresh, func(tx store.Tx) error {
		var err error
		if inc, err = tx.CreateIncident(t.ctx, store.IncidentRow{Title: "n", Status: "investigating", DeclaredAt: t0}); err != nil {
			return err
		}
		if run, err = tx.CreateRun(t.ctx, store.RunRow{Incident: 1, ScriptHash: "h", Status: "running", StartedBy: "x", StartedAt: t0}, nil); err != nil {
			return err
		}
		ev = store.Event{Incident: 1, Actor: "a", Kind: "note"}
		return tx.AppendEvent(t.ctx, &ev)
	})
	same(t.T, "ids after import", []int64{inc, run}, []int64{4, 3})
	same(t.T, "the event after import", []any{ev.Seq, ev.PrevHash}, []any{want.Heads[1].Seq + 1, want.Heads[1].Hash})
	t.write(fresh, func(tx store.Tx) error {
		v := store.RetroVersion{Incident: 1, Section: "summary", Text: "v3", Author: "x", At: t0}
		a := store.ActionItem{Incident: 1, Author: "x", At: t0}
		if err := tx.SaveRetroVersion(t.ctx, &v); err != nil {
			return err
		}
		if err := tx.SaveActionItem(t.ctx, &a); err != nil {
			return err
		}
		same(t.T, "numbering after import", []int{v.Version, a.Item, a.Version}, []int{3, 3, 1})
		return nil
	})
	t.verify(fresh)

	// Legacy rows (from before retrospectives were on the chain) are kept legacy, and read so everywhere.
	legacy := append(record{}, rec...)
	for i, x := range legacy {
		switch x := x.(type) {
		case store.RetroVersion:
			if x.Section == "summary" && x.Incident == 1 {
				x.Legacy = true
				legacy[i] = x
			}
		case store.ActionItem:
			x.Legacy = true
			legacy[i] = x
		}
	}
	old, _ := t.freshDB()
	if err := old.Import(t.ctx, legacy.load); err != nil {
		t.Fatalf("Import of legacy rows: %v", err)
	}
	same(t.T, "export of legacy rows", t.export(old), legacy)
	s := t.snapshot(old)
	for _, v := range s.Latest[1] {
		if v.Legacy != (v.Section == "summary") {
			t.Errorf("LatestRetroVersions: %s v%d reads Legacy %v", v.Section, v.Version, v.Legacy)
		}
	}
	for _, v := range s.History[1]["summary"] {
		if !v.Legacy {
			t.Errorf("RetroHistory: summary v%d reads Legacy false, want true", v.Version)
		}
	}
	for _, a := range s.Actions[1] {
		if !a.Legacy {
			t.Errorf("ActionItems: item %d v%d reads Legacy false, want true", a.Item, a.Version)
		}
	}
}

// freshDB opens another fresh database of the engine under test (by running the suite's opener again).
func (t *T) freshDB() (store.Store, func(*testing.T) store.Store) {
	t.Helper()
	return t.open(t.T)
}

// Export is one consistent snapshot: a commit made while it runs is not in it, and what it holds verifies.
func testExportSnapshot(t *T) {
	t.populate()
	db2 := t.reopen(t.T)
	var rec record
	wrote := false
	err := t.db.Export(t.ctx, sinkFunc{&rec, func() {
		if wrote {
			return
		}
		wrote = true
		// Halfway through the export, someone else appends to every incident and creates another.
		t.write(db2, func(tx store.Tx) error {
			for _, id := range []int64{1, 2, 3} {
				if err := tx.AppendEvent(t.ctx, &store.Event{Incident: id, Actor: "late", Kind: "note"}); err != nil {
					return err
				}
			}
			_, err := tx.CreateIncident(t.ctx, store.IncidentRow{Title: "late", Status: "investigating", DeclaredAt: t0})
			return err
		})
	}})
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	if !wrote {
		t.Fatal("the export sent no incident")
	}
	for _, x := range rec {
		if ev, ok := x.(store.Event); ok && ev.Actor == "late" {
			t.Errorf("the export holds INC-%d event %d, committed after it began", ev.Incident, ev.Seq)
		}
		if inc, ok := x.(store.IncidentRow); ok && inc.Title == "late" {
			t.Errorf("the export holds INC-%d, created after it began", inc.ID)
		}
	}
	fresh, _ := t.freshDB()
	if err := fresh.Import(t.ctx, rec.load); err != nil {
		t.Fatalf("Import: %v", err)
	}
	t.verify(fresh)
	t.verify(t.db)
}

// sinkFunc is a record that calls during before taking each incident.
type sinkFunc struct {
	*record
	during func()
}

func (s sinkFunc) Incident(x store.IncidentRow) error { s.during(); return s.record.Incident(x) }

// Import into a database that holds incidents is refused as ErrUnusable, and changes nothing.
func testImportNonEmpty(t *T) {
	t.populate()
	rec := t.export(t.db)
	want := t.snapshot(t.db, "halt", "another")

	target, _ := t.freshDB()
	id := func() int64 {
		var id int64
		t.write(target, func(tx store.Tx) error {
			var err error
			id, err = tx.CreateIncident(t.ctx, store.IncidentRow{Title: "mine", Status: "investigating", DeclaredAt: t0})
			return err
		})
		return id
	}()
	t.appendEv(target, store.Event{Incident: id, Actor: "me", Kind: "note"})
	before := t.snapshot(target, "halt", "another")
	for _, db := range []store.Store{target, t.db} {
		loaded := false
		err := db.Import(t.ctx, func(s store.Sink) error { loaded = true; return rec.load(s) })
		if !errors.Is(err, store.ErrUnusable) {
			t.Errorf("Import into a database with incidents: %v, want ErrUnusable", err)
		}
		if loaded {
			t.Error("Import called load for a database with incidents")
		}
	}
	same(t.T, "target after a refused import", t.snapshot(target, "halt", "another"), before)
	same(t.T, "source after a refused import", t.snapshot(t.db, "halt", "another"), want)
	t.verify(target)
}

// An Import whose load fails loads nothing, and the database can still take an import.
func testImportFailure(t *T) {
	t.populate()
	rec := t.export(t.db)
	target, _ := t.freshDB()
	half := rec[:len(rec)/2]
	err := target.Import(t.ctx, func(s store.Sink) error {
		if err := half.load(s); err != nil {
			return err
		}
		return errSentinel
	})
	if !errors.Is(err, errSentinel) {
		t.Fatalf("Import with a failing load: %v, want load's error", err)
	}
	if ids := t.incidentIDs(target); len(ids) != 0 {
		t.Errorf("a failed import left incidents %v", ids)
	}
	if runs, err := target.Runs(t.ctx, store.RunQuery{}); err != nil || len(runs) != 0 {
		t.Errorf("a failed import left runs %v, %v", runs, err)
	}
	if sw, err := target.Switch(t.ctx, "halt"); err != nil || sw != (store.Switch{Name: "halt"}) {
		t.Errorf("a failed import left the switch %+v, %v", sw, err)
	}
	if err := target.Import(t.ctx, rec.load); err != nil {
		t.Fatalf("Import after a failed one: %v", err)
	}
	same(t.T, "export after import", t.export(target), rec)
	t.verify(target)
}
