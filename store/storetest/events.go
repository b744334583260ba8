package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/firebreak/firebreak/store"
)

func init() {
	contract("AppendEvent", testAppendEvent)
	contract("AppendEventUnknownIncident", testAppendUnknown)
	contract("EventsQuery", testEventsQuery)
	contract("ActorCounts", testActorCounts)
	contract("WriteRollsBackEverything", testWriteRollback)
	contract("FailedWriteLeavesNoPartialEvent", testFailedWriteNoPartialEvent)
	contract("WriteCancelledOrPanicking", testWriteCancelAndPanic)
	contract("VerifyAndHeads", testVerifyAndHeads)
}

func testAppendEvent(t *T) {
	id := t.incident(store.IncidentRow{DeclaredAt: t0})
	if evs := t.events(t.db, store.EventQuery{Incident: id}); len(evs) != 0 {
		t.Fatalf("a new incident has events %v", evs)
	}
	if err := store.VerifyChain(t.ctx, t.db, id); err != nil {
		t.Errorf("VerifyChain of an incident without events: %v", err)
	}

	// No time: now, UTC microseconds. No data: {}. Seq, PrevHash and Hash given by the caller are replaced.
	before := time.Now()
	e1 := store.Event{Incident: id, Actor: "alice", Kind: "declared", Text: "declared", Seq: 99, PrevHash: "x", Hash: "y"}
	t.write(t.db, func(tx store.Tx) error {
		if err := tx.AppendEvent(t.ctx, &e1); err != nil {
			return err
		}
		// The transaction sees its event and the moved head; nobody else does yet.
		same(t.T, "tx.Events before commit", t.events(tx, store.EventQuery{Incident: id}), []store.Event{e1})
		same(t.T, "tx head before commit", t.getIncident(tx, id).LastSeq, int64(1))
		if evs, err := t.db.Events(t.ctx, store.EventQuery{Incident: id}); err != nil || len(evs) != 0 {
			t.Errorf("Store.Events during the appending transaction: %v, %v; want none (no dirty reads)", evs, err)
		}
		return nil
	})
	after := time.Now()
	if e1.Seq != 1 || e1.PrevHash != "" {
		t.Errorf("first event: seq %d, prev hash %q; want 1 and none", e1.Seq, e1.PrevHash)
	}
	if e1.At.Before(before.Truncate(time.Microsecond)) || e1.At.After(after) {
		t.Errorf("an event without a time got %v, want now (between %v and %v)", e1.At, before, after)
	}
	stored(t.T, "AppendEvent's At", e1)
	same(t.T, "default Data", e1.Data, json.RawMessage(`{}`))
	if want := store.ChainHash("", id, 1, store.FormatTime(e1.At), "alice", "declared", "declared", "{}"); e1.Hash != want {
		t.Errorf("first event's hash %s, want %s", e1.Hash, want)
	}

	// A given time is kept as UTC microseconds; data is kept byte for byte.
	data := json.RawMessage(`{"k": [1, 2],"a":null, "s":"é\u00e9"}`)
	e2 := t.appendEv(t.db, store.Event{Incident: id, Actor: "bob", Kind: "note", Text: "multi\nline ✓", At: t0, Data: data})
	e3 := t.appendEv(t.db, store.Event{Incident: id, Actor: "bob", Kind: "note", At: at(time.Second), Data: json.RawMessage{}})
	same(t.T, "e2", e2, store.Event{Incident: id, Seq: 2, At: us(t0), Actor: "bob", Kind: "note", Text: "multi\nline ✓", Data: data,
		PrevHash: e1.Hash, Hash: store.ChainHash(e1.Hash, id, 2, store.FormatTime(us(t0)), "bob", "note", "multi\nline ✓", string(data))})
	same(t.T, "e3's Data", e3.Data, json.RawMessage(`{}`))
	same(t.T, "e3's seq and prev", []any{e3.Seq, e3.PrevHash}, []any{int64(3), e2.Hash})

	same(t.T, "Events", t.events(t.db, store.EventQuery{Incident: id}), []store.Event{e1, e2, e3})
	same(t.T, "Events (second handle)", t.events(t.reopen(t.T), store.EventQuery{Incident: id}), []store.Event{e1, e2, e3})
	inc := t.getIncident(t.db, id)
	same(t.T, "head", []any{inc.LastSeq, inc.LastHash}, []any{int64(3), e3.Hash})
	same(t.T, "UpdatedAt moves to the newest event's time", inc.UpdatedAt, e3.At)
	same(t.T, "DeclaredAt does not move", inc.DeclaredAt, us(t0))
	if err := store.VerifyChain(t.ctx, t.db, id); err != nil {
		t.Errorf("VerifyChain: %v", err)
	}

	// Several events in one transaction chain on each other.
	var batch []store.Event
	t.write(t.db, func(tx store.Tx) error {
		for i := range 3 {
			ev := store.Event{Incident: id, Actor: "carol", Kind: "cmd", Text: fmt.Sprint(i), At: at(time.Duration(i+10) * time.Second)}
			if err := tx.AppendEvent(t.ctx, &ev); err != nil {
				return err
			}
			batch = append(batch, ev)
		}
		return nil
	})
	same(t.T, "batch seqs", seqs(batch), []int64{4, 5, 6})
	same(t.T, "batch prev", []string{batch[0].PrevHash, batch[1].PrevHash, batch[2].PrevHash}, []string{e3.Hash, batch[0].Hash, batch[1].Hash})
	same(t.T, "head after batch", t.getIncident(t.db, id).LastHash, batch[2].Hash)

	// Each incident has its own chain, starting at 1.
	other := t.incident(store.IncidentRow{})
	o1 := t.appendEv(t.db, store.Event{Incident: other, Actor: "a", Kind: "note", At: t0})
	same(t.T, "another incident's first event", []any{o1.Seq, o1.PrevHash}, []any{int64(1), ""})
	t.verify(t.db)
}

func testAppendUnknown(t *T) {
	id := t.incident(store.IncidentRow{})
	err := t.db.Write(t.ctx, func(tx store.Tx) error {
		return tx.AppendEvent(t.ctx, &store.Event{Incident: id + 1, Actor: "a", Kind: "note"})
	})
	notFound(t, "AppendEvent to an unknown incident", err)
	err = t.db.Write(t.ctx, func(tx store.Tx) error {
		return tx.AppendEvent(t.ctx, &store.Event{Incident: 0, Actor: "a", Kind: "note"})
	})
	notFound(t, "AppendEvent to incident 0", err)
	if evs := t.events(t.db, store.EventQuery{Incident: id + 1}); len(evs) != 0 {
		t.Errorf("the unknown incident has events %v", evs)
	}
	same(t.T, "IncidentIDs", t.incidentIDs(t.db), []int64{id})
}

func testEventsQuery(t *T) {
	id := t.incident(store.IncidentRow{})
	other := t.incident(store.IncidentRow{})
	kinds := []string{"note", "status", "cmd"}
	var all []store.Event
	for i := range 10 {
		all = append(all, t.appendEv(t.db, store.Event{Incident: id, Actor: "a", Kind: kinds[i%3], Text: fmt.Sprint(i + 1), At: at(time.Duration(i) * time.Minute)}))
		if i < 2 {
			t.appendEv(t.db, store.Event{Incident: other, Actor: "b", Kind: "note"})
		}
	}
	pick := func(s ...int64) []store.Event {
		out := []store.Event{}
		for _, n := range s {
			out = append(out, all[n-1])
		}
		return out
	}
	for _, c := range []struct {
		q    store.EventQuery
		want []int64
	}{
		{store.EventQuery{}, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{store.EventQuery{Limit: -1}, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{store.EventQuery{AfterSeq: 7}, []int64{8, 9, 10}},
		{store.EventQuery{AfterSeq: 10}, []int64{}},
		{store.EventQuery{AfterSeq: 50}, []int64{}},
		{store.EventQuery{AfterSeq: -5}, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{store.EventQuery{Limit: 3}, []int64{1, 2, 3}},
		{store.EventQuery{Limit: 3, AfterSeq: 4}, []int64{5, 6, 7}},
		{store.EventQuery{Limit: 30, AfterSeq: 4}, []int64{5, 6, 7, 8, 9, 10}},
		{store.EventQuery{Newest: true, Limit: 3}, []int64{8, 9, 10}},
		{store.EventQuery{Newest: true}, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{store.EventQuery{Newest: true, Limit: 3, AfterSeq: 8}, []int64{9, 10}},
		{store.EventQuery{Newest: true, Limit: 30}, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{store.EventQuery{Kinds: []string{"note"}}, []int64{1, 4, 7, 10}},
		{store.EventQuery{Kinds: []string{"cmd", "note"}}, []int64{1, 3, 4, 6, 7, 9, 10}},
		{store.EventQuery{Kinds: []string{"nope"}}, []int64{}},
		{store.EventQuery{Kinds: []string{"note"}, Newest: true, Limit: 2}, []int64{7, 10}},
		{store.EventQuery{Kinds: []string{"note"}, AfterSeq: 1, Limit: 2}, []int64{4, 7}},
		{store.EventQuery{Seqs: []int64{7, 2, 99, 2}}, []int64{2, 7}},
		{store.EventQuery{Seqs: []int64{7, 2, 4}, Kinds: []string{"note"}}, []int64{4, 7}},
		{store.EventQuery{Seqs: []int64{7, 2, 4}, AfterSeq: 3}, []int64{4, 7}},
		{store.EventQuery{Seqs: []int64{1, 2, 3, 4}, Newest: true, Limit: 2}, []int64{3, 4}},
	} {
		q := c.q
		q.Incident = id
		got := t.events(t.db, q)
		same(t.T, fmt.Sprintf("Events(%+v)", q), got, pick(c.want...))
		var txGot []store.Event
		t.write(t.db, func(tx store.Tx) error {
			var err error
			txGot, err = tx.Events(t.ctx, q)
			return err
		})
		same(t.T, fmt.Sprintf("tx.Events(%+v)", q), txGot, got)
	}
	o := t.events(t.db, store.EventQuery{Incident: other})
	same(t.T, "the other incident's events", seqs(o), []int64{1, 2})
	for _, ev := range o {
		if ev.Incident != other || ev.Actor != "b" {
			t.Errorf("the other incident's events include %+v", ev)
		}
	}
	if evs := t.events(t.db, store.EventQuery{Incident: 999}); len(evs) != 0 {
		t.Errorf("an unknown incident has events %v", evs)
	}
}

// ActorCounts counts each actor's events of an incident, in order of each actor's first event.
func testActorCounts(t *T) {
	id := t.incident(store.IncidentRow{})
	other := t.incident(store.IncidentRow{})
	for _, a := range []string{"bob", "alice", "bob", "", "carol", "alice", "bob"} {
		t.appendEv(t.db, store.Event{Incident: id, Actor: a, Kind: "note"})
	}
	t.appendEv(t.db, store.Event{Incident: other, Actor: "alice", Kind: "note"})
	t.appendEv(t.db, store.Event{Incident: other, Actor: "zed", Kind: "note"})
	got, err := t.db.ActorCounts(t.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	same(t.T, "ActorCounts", got, []store.ActorCount{{Actor: "bob", N: 3}, {Actor: "alice", N: 2}, {Actor: "", N: 1}, {Actor: "carol", N: 1}})
	got, err = t.db.ActorCounts(t.ctx, 999)
	if err != nil || len(got) != 0 {
		t.Errorf("ActorCounts of an unknown incident: %v, %v", got, err)
	}
}

// A Write whose fn fails commits nothing at all: no incident, event, run, switch, retrospective or action
// item, and no moved head.
func testWriteRollback(t *T) {
	id := t.incident(store.IncidentRow{Title: "kept", DeclaredAt: t0})
	first := t.notes(id, 2, "a")
	beforeInc := t.getIncident(t.db, id)
	err := t.db.Write(t.ctx, func(tx store.Tx) error {
		if err := tx.AppendEvent(t.ctx, &store.Event{Incident: id, Actor: "x", Kind: "note", At: at(time.Hour)}); err != nil {
			return err
		}
		if err := tx.SaveIncident(t.ctx, store.IncidentRow{ID: id, Title: "changed", Status: "resolved"}); err != nil {
			return err
		}
		nid, err := tx.CreateIncident(t.ctx, store.IncidentRow{Title: "new", Status: "investigating", DeclaredAt: t0})
		if err != nil {
			return err
		}
		if err := tx.AppendEvent(t.ctx, &store.Event{Incident: nid, Actor: "x", Kind: "note"}); err != nil {
			return err
		}
		run, err := tx.CreateRun(t.ctx, store.RunRow{Incident: id, ScriptHash: "h", Status: "running", StartedBy: "x", StartedAt: t0},
			[]store.RunHost{{Host: "web-1", State: "pending"}})
		if err != nil {
			return err
		}
		if err := tx.Approve(t.ctx, store.Approval{Run: run, Stage: 1, Person: "p", Actor: "p", At: t0}); err != nil {
			return err
		}
		if err := tx.SetSwitch(t.ctx, store.Switch{Name: "halt", Engaged: true, Reason: "r", Actor: "x", At: t0}); err != nil {
			return err
		}
		if err := tx.SaveRetroVersion(t.ctx, &store.RetroVersion{Incident: id, Section: "summary", Text: "t", Author: "x", At: t0}); err != nil {
			return err
		}
		if err := tx.SaveActionItem(t.ctx, &store.ActionItem{Incident: id, Text: "t", Author: "x", At: t0}); err != nil {
			return err
		}
		return fmt.Errorf("wrapped: %w", errSentinel)
	})
	if !errors.Is(err, errSentinel) {
		t.Fatalf("Write returned %v, want fn's error", err)
	}
	for _, db := range []store.Store{t.db, t.reopen(t.T)} {
		same(t.T, "incident after rollback", t.getIncident(db, id), beforeInc)
		same(t.T, "events after rollback", t.events(db, store.EventQuery{Incident: id}), first)
		same(t.T, "IncidentIDs after rollback", t.incidentIDs(db), []int64{id})
		if evs := t.events(db, store.EventQuery{Incident: id + 1}); len(evs) != 0 {
			t.Errorf("events of the rolled-back incident: %v", evs)
		}
		if runs, err := db.Runs(t.ctx, store.RunQuery{}); err != nil || len(runs) != 0 {
			t.Errorf("runs after rollback: %v, %v", runs, err)
		}
		if as, err := db.Approvals(t.ctx, 1); err != nil || len(as) != 0 {
			t.Errorf("approvals after rollback: %v, %v", as, err)
		}
		if sw, err := db.Switch(t.ctx, "halt"); err != nil || sw != (store.Switch{Name: "halt"}) {
			t.Errorf("switch after rollback: %+v, %v", sw, err)
		}
		if vs, err := db.RetroVersions(t.ctx, id); err != nil || len(vs) != 0 {
			t.Errorf("retrospective versions after rollback: %v, %v", vs, err)
		}
		if as, err := db.ActionItemVersions(t.ctx, id); err != nil || len(as) != 0 {
			t.Errorf("action items after rollback: %v, %v", as, err)
		}
	}
	// The chain goes on from where it was.
	next := t.appendEv(t.db, store.Event{Incident: id, Actor: "a", Kind: "note"})
	same(t.T, "next event after rollback", []any{next.Seq, next.PrevHash}, []any{int64(3), first[1].Hash})
	t.verify(t.db)
}

// An append that fails part way through a Write (here: to an unknown incident, after a good one) fails the
// Write, and the good append does not land either.
func testFailedWriteNoPartialEvent(t *T) {
	id := t.incident(store.IncidentRow{})
	first := t.notes(id, 1, "a")
	head := t.getIncident(t.db, id)
	err := t.db.Write(t.ctx, func(tx store.Tx) error {
		if err := tx.AppendEvent(t.ctx, &store.Event{Incident: id, Actor: "a", Kind: "note", Text: "lost"}); err != nil {
			return err
		}
		return tx.AppendEvent(t.ctx, &store.Event{Incident: id + 100, Actor: "a", Kind: "note"})
	})
	notFound(t, "Write with a failing append", err)
	same(t.T, "events after the failed Write", t.events(t.db, store.EventQuery{Incident: id}), first)
	same(t.T, "incident after the failed Write", t.getIncident(t.db, id), head)
	ev := t.appendEv(t.db, store.Event{Incident: id, Actor: "a", Kind: "note", Text: "kept"})
	same(t.T, "the next event", []any{ev.Seq, ev.PrevHash}, []any{int64(2), first[0].Hash})
	t.verify(t.db)
}

func testVerifyAndHeads(t *T) {
	id := t.incident(store.IncidentRow{})
	h0, err := store.HeadOf(t.ctx, t.db, id)
	if err != nil || h0 != (store.Head{}) {
		t.Errorf("HeadOf an incident without events: %+v, %v", h0, err)
	}
	if err := store.CheckHead(t.ctx, t.db, id, h0); err != nil {
		t.Errorf("CheckHead(zero head): %v", err)
	}
	evs := t.notes(id, 5, "a")
	h, err := store.HeadOf(t.ctx, t.db, id)
	if err != nil || h != (store.Head{Seq: 5, Hash: evs[4].Hash}) {
		t.Errorf("HeadOf: %+v, %v; want seq 5, hash %s", h, err, evs[4].Hash)
	}
	t.notes(id, 3, "b")
	for _, c := range []struct {
		h  store.Head
		ok bool
	}{
		{h, true},
		{store.Head{Seq: 2, Hash: evs[1].Hash}, true},
		{store.Head{Seq: 8, Hash: ""}, false},          // the hash differs
		{store.Head{Seq: 2, Hash: evs[2].Hash}, false}, // another event's hash
		{store.Head{Seq: 9, Hash: evs[4].Hash}, false}, // beyond the end
	} {
		err := store.CheckHead(t.ctx, t.db, id, c.h)
		var ce *store.ChainError
		switch {
		case c.ok && err != nil:
			t.Errorf("CheckHead(%+v): %v, want nil", c.h, err)
		case !c.ok && (!errors.As(err, &ce) || ce.Incident != id || ce.Seq != c.h.Seq):
			t.Errorf("CheckHead(%+v): %v, want a *ChainError at seq %d", c.h, err, c.h.Seq)
		}
	}
	if err := store.VerifyChain(t.ctx, t.db, id); err != nil {
		t.Errorf("VerifyChain: %v", err)
	}
	t.verify(t.db)
	t.verify(t.reopen(t.T))
}

// A Write whose context is already done fails with the context's error and commits nothing; so does one
// whose fn panics (the panic goes on to the caller), and the database stays usable after either.
func testWriteCancelAndPanic(t *T) {
	id := t.incident(store.IncidentRow{})
	ctx, cancel := context.WithCancel(t.ctx)
	cancel()
	err := t.db.Write(ctx, func(tx store.Tx) error {
		return tx.AppendEvent(ctx, &store.Event{Incident: id, Actor: "a", Kind: "note"})
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Write with a cancelled context: %v, want context.Canceled", err)
	}
	func() {
		defer func() {
			if p := recover(); p != errSentinel {
				t.Errorf("Write with a panicking fn: recovered %v, want fn's panic", p)
			}
		}()
		t.db.Write(t.ctx, func(tx store.Tx) error {
			if err := tx.AppendEvent(t.ctx, &store.Event{Incident: id, Actor: "a", Kind: "note", Text: "panicked"}); err != nil {
				return err
			}
			panic(errSentinel)
		})
	}()
	ctx, cancel = context.WithTimeout(t.ctx, 5*time.Second)
	defer cancel()
	var ev store.Event
	if err := t.db.Write(ctx, func(tx store.Tx) error {
		ev = store.Event{Incident: id, Actor: "a", Kind: "note", Text: "after"}
		return tx.AppendEvent(ctx, &ev)
	}); err != nil {
		t.Fatalf("Write after a panicking one: %v", err)
	}
	if evs := t.events(t.db, store.EventQuery{Incident: id}); len(evs) != 1 || evs[0].Text != "after" || ev.Seq != 1 {
		t.Errorf("events after a cancelled and a panicking Write: %+v", evs)
	}
	t.verify(t.db)
}
