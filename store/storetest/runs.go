package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/firebreak/firebreak/store"
)

func init() {
	contract("CreateRun", testCreateRun)
	contract("RunNotFound", testRunNotFound)
	contract("UpdateRun", testUpdateRun)
	contract("RenewLeaseAndBumpContinue", testLeaseAndContinue)
	contract("SetHost", testSetHost)
	contract("RunsFilters", testRunsFilters)
	contract("Approvals", testApprovals)
	contract("Switches", testSwitches)
	contract("HaltAcrossHandles", testHalt)
}

func (t *T) createRun(r store.RunRow, hosts []store.RunHost) int64 {
	t.Helper()
	if r.StartedAt.IsZero() {
		r.StartedAt = t0
	}
	var id int64
	t.write(t.db, func(tx store.Tx) error {
		var err error
		id, err = tx.CreateRun(t.ctx, r, hosts)
		return err
	})
	return id
}

// fullRun sets every field of a run.
func fullRun(incident int64) store.RunRow {
	return store.RunRow{
		ID: 77, Incident: incident, Runbook: "disk-full", Step: "rotate logs", Title: "Rotate logs on web",
		ScriptHash: "sha256:abc", DryRun: true, Status: "running", WaitingFor: "approval", Stage: 1, Stages: 3,
		Plan: json.RawMessage(`{"hosts": ["web-1","web-2"],  "max_fail":1}`), StartedBy: "alice", StartedAt: t0,
		FinishedAt: at(time.Hour), OwnerPID: 4242, OwnerStart: "1700000000", OwnerHost: "machine-a",
		LeaseUntil: at(30 * time.Second), ContinueSeq: 5, PlanHash: "plan-1", Resumes: 3,
	}
}

// CreateRun stores a run as given, except: the id is the engine's, FinishedAt and ContinueSeq start unset,
// and its hosts store only their name, stage, position and state (exit code -1, nothing else).
func testCreateRun(t *T) {
	inc := t.incident(store.IncidentRow{})
	in := fullRun(inc)
	hosts := []store.RunHost{
		{Run: 999, Host: "web-2", Stage: 1, Position: 2, State: "pending", ExitCode: 3, Duration: time.Second, Error: "e", OutputTail: "o", LogPath: "/l", LogHost: "m"},
		{Host: "web-1", Stage: 1, Position: 0, State: "pending"},
		{Host: "db-1", Stage: 2, Position: 1, State: "skipped"},
	}
	var id int64
	t.write(t.db, func(tx store.Tx) error {
		var err error
		if id, err = tx.CreateRun(t.ctx, in, hosts); err != nil {
			return err
		}
		same(t.T, "tx.Run before commit", t.getRun(tx, id).Title, in.Title)
		same(t.T, "tx.RunHosts before commit", len(t.runHosts(tx, id)), 3)
		if _, err := t.db.Run(t.ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Store.Run during the creating transaction: %v, want ErrNotFound (no dirty reads)", err)
		}
		return nil
	})
	if id != 1 {
		t.Errorf("first run id %d, want 1", id)
	}
	want := in
	want.ID, want.StartedAt, want.LeaseUntil, want.FinishedAt, want.ContinueSeq = 1, us(t0), us(in.LeaseUntil), time.Time{}, 0
	same(t.T, "Run", t.getRun(t.db, id), want)
	same(t.T, "Run (second handle)", t.getRun(t.reopen(t.T), id), want)
	same(t.T, "RunHosts (by position)", t.runHosts(t.db, id), []store.RunHost{
		{Run: id, Host: "web-1", Stage: 1, Position: 0, State: "pending", ExitCode: -1},
		{Run: id, Host: "db-1", Stage: 2, Position: 1, State: "skipped", ExitCode: -1},
		{Run: id, Host: "web-2", Stage: 1, Position: 2, State: "pending", ExitCode: -1},
	})

	// Unset: no plan is {}, no lease is the zero time; no hosts is none.
	id2 := t.createRun(store.RunRow{Incident: inc, ScriptHash: "h", Status: "running", StartedBy: "bob", StartedAt: at(time.Minute)}, nil)
	if id2 != 2 {
		t.Errorf("second run id %d, want 2", id2)
	}
	same(t.T, "minimal Run", t.getRun(t.db, id2), store.RunRow{ID: 2, Incident: inc, ScriptHash: "h", Status: "running",
		StartedBy: "bob", StartedAt: us(at(time.Minute)), Plan: json.RawMessage(`{}`)})
	if hs := t.runHosts(t.db, id2); len(hs) != 0 {
		t.Errorf("a run created without hosts has %v", hs)
	}
	// A run belongs to an incident that exists.
	err := t.db.Write(t.ctx, func(tx store.Tx) error {
		_, err := tx.CreateRun(t.ctx, store.RunRow{Incident: inc + 10, ScriptHash: "h", Status: "running", StartedBy: "x", StartedAt: t0}, nil)
		return err
	})
	if err == nil {
		t.Error("CreateRun for an unknown incident succeeded")
	}
	if runs, _ := t.db.Runs(t.ctx, store.RunQuery{}); len(runs) != 2 {
		t.Errorf("%d runs after a failed CreateRun, want 2", len(runs))
	}
	if id3 := t.createRun(store.RunRow{Incident: inc, ScriptHash: "h", Status: "running", StartedBy: "bob"}, nil); id3 != 3 {
		t.Errorf("run id after a failed CreateRun: %d, want 3", id3)
	}
}

func testRunNotFound(t *T) {
	_, err := t.db.Run(t.ctx, 1)
	notFound(t, "Run on an empty database", err)
	inc := t.incident(store.IncidentRow{})
	id := t.createRun(store.RunRow{Incident: inc, ScriptHash: "h", Status: "running", StartedBy: "x"}, nil)
	_, err = t.db.Run(t.ctx, id+1)
	notFound(t, "Run(missing)", err)
	t.write(t.db, func(tx store.Tx) error {
		_, err := tx.Run(t.ctx, id+1)
		notFound(t, "tx.Run(missing)", err)
		if hs, err := tx.RunHosts(t.ctx, id+1); err != nil || len(hs) != 0 {
			t.Errorf("tx.RunHosts(missing): %v, %v", hs, err)
		}
		// Changing a run or host that does not exist is no error, and changes nothing.
		for name, err := range map[string]error{
			"UpdateRun":    tx.UpdateRun(t.ctx, store.RunRow{ID: id + 1, Status: "failed"}),
			"RenewLease":   tx.RenewLease(t.ctx, id+1, t0),
			"BumpContinue": tx.BumpContinue(t.ctx, id+1),
			"SetHost":      tx.SetHost(t.ctx, store.RunHost{Run: id, Host: "nope", State: "ok"}),
		} {
			if err != nil {
				t.Errorf("%s of a missing run or host: %v, want nil", name, err)
			}
		}
		return nil
	})
	if runs, _ := t.db.Runs(t.ctx, store.RunQuery{}); len(runs) != 1 {
		t.Errorf("%d runs, want 1", len(runs))
	}
	if hs := t.runHosts(t.db, id); len(hs) != 0 {
		t.Errorf("SetHost of a missing host added %v", hs)
	}
}

// UpdateRun writes status, waiting, stage, finish time, owner and lease, and nothing else.
func testUpdateRun(t *T) {
	inc := t.incident(store.IncidentRow{})
	id := t.createRun(fullRun(inc), []store.RunHost{{Host: "web-1", State: "pending"}})
	t.write(t.db, func(tx store.Tx) error { return tx.BumpContinue(t.ctx, id) })
	want := t.getRun(t.db, id)

	upd := store.RunRow{
		ID: id, Incident: inc + 5, Runbook: "other", Step: "other", Title: "other", ScriptHash: "other", DryRun: false,
		Status: "succeeded", WaitingFor: "", Stage: 3, Stages: 9, Plan: json.RawMessage(`{"x":1}`), StartedBy: "other",
		StartedAt: at(time.Hour), FinishedAt: at(2*time.Hour + 123456789), OwnerPID: 0, OwnerStart: "", OwnerHost: "",
		LeaseUntil: time.Time{}, ContinueSeq: 0, PlanHash: "other", Resumes: 9,
	}
	t.write(t.db, func(tx store.Tx) error { return tx.UpdateRun(t.ctx, upd) })
	want.Status, want.WaitingFor, want.Stage, want.FinishedAt = "succeeded", "", 3, us(upd.FinishedAt)
	want.OwnerPID, want.OwnerStart, want.OwnerHost, want.LeaseUntil = 0, "", "", time.Time{}
	got := t.getRun(t.db, id)
	same(t.T, "Run after UpdateRun", got, want)
	same(t.T, "ContinueSeq survives UpdateRun", got.ContinueSeq, int64(1))

	// A zero FinishedAt unsets it; owner and lease are set again.
	upd.Status, upd.WaitingFor, upd.Stage, upd.FinishedAt = "waiting", "continue", 2, time.Time{}
	upd.OwnerPID, upd.OwnerStart, upd.OwnerHost, upd.LeaseUntil = 7, "start-7", "machine-b", at(90*time.Second+999)
	t.write(t.db, func(tx store.Tx) error { return tx.UpdateRun(t.ctx, upd) })
	want.Status, want.WaitingFor, want.Stage, want.FinishedAt = "waiting", "continue", 2, time.Time{}
	want.OwnerPID, want.OwnerStart, want.OwnerHost, want.LeaseUntil = 7, "start-7", "machine-b", us(upd.LeaseUntil)
	same(t.T, "Run after a second UpdateRun", t.getRun(t.db, id), want)
	same(t.T, "Run after UpdateRun (second handle)", t.getRun(t.reopen(t.T), id), want)
}

func testLeaseAndContinue(t *T) {
	inc := t.incident(store.IncidentRow{})
	id := t.createRun(fullRun(inc), nil)
	other := t.createRun(fullRun(inc), nil)
	want := t.getRun(t.db, id)
	wantOther := t.getRun(t.db, other)

	until := at(10*time.Minute + 1234567)
	t.write(t.db, func(tx store.Tx) error { return tx.RenewLease(t.ctx, id, until) })
	want.LeaseUntil = us(until)
	same(t.T, "Run after RenewLease", t.getRun(t.db, id), want)

	t.write(t.db, func(tx store.Tx) error { return tx.BumpContinue(t.ctx, id) })
	want.ContinueSeq = 1
	same(t.T, "Run after BumpContinue", t.getRun(t.db, id), want)
	t.write(t.reopen(t.T), func(tx store.Tx) error {
		if err := tx.BumpContinue(t.ctx, id); err != nil {
			return err
		}
		if got := t.getRun(tx, id).ContinueSeq; got != 2 {
			t.Errorf("tx.Run sees ContinueSeq %d after its bump, want 2", got)
		}
		return tx.BumpContinue(t.ctx, id)
	})
	want.ContinueSeq = 3
	same(t.T, "Run after three bumps", t.getRun(t.db, id), want)
	same(t.T, "the other run", t.getRun(t.db, other), wantOther)

	// A zero lease reads back as the zero time.
	t.write(t.db, func(tx store.Tx) error { return tx.RenewLease(t.ctx, id, time.Time{}) })
	if got := t.getRun(t.db, id).LeaseUntil; !got.IsZero() {
		t.Errorf("LeaseUntil after RenewLease(zero) = %v, want zero", got)
	}
}

// SetHost writes a host's state and result (the duration in whole milliseconds, truncated), not its stage or
// position, and no other host.
func testSetHost(t *T) {
	inc := t.incident(store.IncidentRow{})
	id := t.createRun(fullRun(inc), []store.RunHost{
		{Host: "web-1", Stage: 1, Position: 0, State: "pending"},
		{Host: "web-2", Stage: 1, Position: 1, State: "pending"},
	})
	other := t.createRun(fullRun(inc), []store.RunHost{{Host: "web-1", Stage: 1, Position: 0, State: "pending"}})
	set := store.RunHost{Run: id, Host: "web-2", Stage: 5, Position: 9, State: "failed", ExitCode: 2,
		Duration: 1999999 * time.Nanosecond, Error: "exit status 2", OutputTail: "line1\nline2 ✗\n", LogPath: "/var/log/fb/run-1/web-2.log", LogHost: "machine-a"}
	t.write(t.db, func(tx store.Tx) error { return tx.SetHost(t.ctx, set) })
	same(t.T, "RunHosts after SetHost", t.runHosts(t.db, id), []store.RunHost{
		{Run: id, Host: "web-1", Stage: 1, Position: 0, State: "pending", ExitCode: -1},
		{Run: id, Host: "web-2", Stage: 1, Position: 1, State: "failed", ExitCode: 2, Duration: time.Millisecond,
			Error: "exit status 2", OutputTail: "line1\nline2 ✗\n", LogPath: "/var/log/fb/run-1/web-2.log", LogHost: "machine-a"},
	})
	same(t.T, "the other run's hosts", t.runHosts(t.db, other), []store.RunHost{{Run: other, Host: "web-1", Stage: 1, Position: 0, State: "pending", ExitCode: -1}})

	for _, c := range []struct{ in, want time.Duration }{
		{2500 * time.Millisecond, 2500 * time.Millisecond},
		{999 * time.Microsecond, 0},
		{time.Hour + 1500*time.Microsecond, time.Hour + time.Millisecond},
		{0, 0},
	} {
		t.write(t.db, func(tx store.Tx) error {
			return tx.SetHost(t.ctx, store.RunHost{Run: id, Host: "web-1", State: "ok", Duration: c.in})
		})
		hs := t.runHosts(t.db, id)
		same(t.T, fmt.Sprintf("Duration %v", c.in), hs[0], store.RunHost{Run: id, Host: "web-1", Stage: 1, Position: 0, State: "ok", Duration: c.want})
	}
}

// Runs lists runs oldest (lowest id) first, filtered by incident, statuses, script hash and dry run.
func testRunsFilters(t *T) {
	if runs, err := t.db.Runs(t.ctx, store.RunQuery{}); err != nil || len(runs) != 0 {
		t.Fatalf("Runs on an empty database: %v, %v", runs, err)
	}
	a := t.incident(store.IncidentRow{})
	b := t.incident(store.IncidentRow{})
	mk := func(inc int64, status, hash string, dry bool, started time.Duration) int64 {
		return t.createRun(store.RunRow{Incident: inc, ScriptHash: hash, DryRun: dry, Status: status, StartedBy: "x", StartedAt: at(started)}, nil)
	}
	// Started in an order unlike their ids: Runs orders by id.
	r1 := mk(a, "succeeded", "h1", true, 5*time.Minute)
	r2 := mk(b, "running", "h1", false, time.Minute)
	r3 := mk(a, "failed", "h2", false, 3*time.Minute)
	r4 := mk(a, "running", "h1", false, 0)
	r5 := mk(b, "succeeded", "h2", true, 4*time.Minute)
	yes, no := true, false
	for _, c := range []struct {
		q    store.RunQuery
		want []int64
	}{
		{store.RunQuery{}, []int64{r1, r2, r3, r4, r5}},
		{store.RunQuery{Incident: a}, []int64{r1, r3, r4}},
		{store.RunQuery{Incident: b}, []int64{r2, r5}},
		{store.RunQuery{Incident: 99}, []int64{}},
		{store.RunQuery{Statuses: []string{"running"}}, []int64{r2, r4}},
		{store.RunQuery{Statuses: []string{"succeeded", "failed"}}, []int64{r1, r3, r5}},
		{store.RunQuery{ScriptHash: "h1"}, []int64{r1, r2, r4}},
		{store.RunQuery{DryRun: &yes}, []int64{r1, r5}},
		{store.RunQuery{DryRun: &no}, []int64{r2, r3, r4}},
		{store.RunQuery{Incident: a, ScriptHash: "h1", DryRun: &no}, []int64{r4}},
		{store.RunQuery{Incident: a, Statuses: []string{"succeeded"}, ScriptHash: "h1", DryRun: &yes}, []int64{r1}},
		{store.RunQuery{Incident: b, Statuses: []string{"failed"}}, []int64{}},
	} {
		got, err := t.db.Runs(t.ctx, c.q)
		if err != nil {
			t.Fatalf("Runs(%+v): %v", c.q, err)
		}
		stored(t.T, "Runs", got)
		same(t.T, fmt.Sprintf("Runs(%+v)", c.q), ids(got, runID), c.want)
		var txGot []store.RunRow
		t.write(t.db, func(tx store.Tx) error {
			var err error
			txGot, err = tx.Runs(t.ctx, c.q)
			return err
		})
		same(t.T, fmt.Sprintf("tx.Runs(%+v)", c.q), txGot, got)
		for _, r := range got {
			same(t.T, fmt.Sprintf("RUN-%d as listed", r.ID), r, t.getRun(t.db, r.ID))
		}
	}
}

// Approvals lists a run's approvals by time (ties: by stage, then person); approving the same stage of the
// same run twice keeps the first approval as it was.
func testApprovals(t *T) {
	inc := t.incident(store.IncidentRow{})
	run := t.createRun(fullRun(inc), nil)
	other := t.createRun(fullRun(inc), nil)
	if as, err := t.db.Approvals(t.ctx, run); err != nil || len(as) != 0 {
		t.Fatalf("Approvals of a new run: %v, %v", as, err)
	}
	in := []store.Approval{
		{Run: run, Stage: 2, Person: "carol", Actor: "carol", At: at(3 * time.Second), PlanHash: "p1"},
		{Run: run, Stage: 1, Person: "bob", Actor: "alice", At: at(time.Second + 999), PlanHash: "p1"},
		{Run: run, Stage: 1, Person: "alice", Actor: "alice", At: at(2 * time.Second), PlanHash: "p1"},
		// The same time as carol's: by stage, then person.
		{Run: run, Stage: 2, Person: "bob", Actor: "bob", At: at(3 * time.Second), PlanHash: "p1"},
		{Run: run, Stage: 1, Person: "dave", Actor: "dave", At: at(3 * time.Second), PlanHash: "p1"},
		{Run: other, Stage: 1, Person: "alice", Actor: "alice", At: t0, PlanHash: "p9"},
	}
	t.write(t.db, func(tx store.Tx) error {
		for _, a := range in {
			if err := tx.Approve(t.ctx, a); err != nil {
				return err
			}
		}
		// A second approval of the same stage by the same person is ignored, whatever it says.
		return tx.Approve(t.ctx, store.Approval{Run: run, Stage: 1, Person: "bob", Actor: "mallory", At: t0, PlanHash: "p2"})
	})
	t.write(t.reopen(t.T), func(tx store.Tx) error {
		return tx.Approve(t.ctx, store.Approval{Run: run, Stage: 2, Person: "carol", Actor: "x", At: at(time.Hour), PlanHash: "p3"})
	})
	norm := func(a store.Approval) store.Approval { a.At = us(a.At); return a }
	want := []store.Approval{norm(in[1]), norm(in[2]), norm(in[4]), norm(in[3]), norm(in[0])}
	got, err := t.db.Approvals(t.ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	stored(t.T, "Approvals", got)
	same(t.T, "Approvals", got, want)
	got, err = t.db.Approvals(t.ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	same(t.T, "the other run's Approvals", got, []store.Approval{norm(in[5])})

	err = t.db.Write(t.ctx, func(tx store.Tx) error {
		return tx.Approve(t.ctx, store.Approval{Run: other + 10, Stage: 1, Person: "p", Actor: "p", At: t0})
	})
	if err == nil {
		t.Error("Approve of an unknown run succeeded")
	}
}

// A switch never set reads released (with its name); SetSwitch engages and releases it.
func testSwitches(t *T) {
	for _, name := range []string{"halt", "other", ""} {
		sw, err := t.db.Switch(t.ctx, name)
		if err != nil || sw != (store.Switch{Name: name}) {
			t.Errorf("Switch(%q) never set: %+v, %v; want released with its name", name, sw, err)
		}
	}
	engaged := store.Switch{Name: "halt", Engaged: true, Reason: "runaway script\non web", Actor: "alice", At: t0}
	t.write(t.db, func(tx store.Tx) error {
		if err := tx.SetSwitch(t.ctx, engaged); err != nil {
			return err
		}
		sw, err := tx.Switch(t.ctx, "halt")
		same(t.T, "tx.Switch before commit", sw, store.Switch{Name: "halt", Engaged: true, Reason: engaged.Reason, Actor: "alice", At: us(t0)})
		return err
	})
	for _, db := range []store.Store{t.db, t.reopen(t.T)} {
		sw, err := db.Switch(t.ctx, "halt")
		if err != nil {
			t.Fatal(err)
		}
		same(t.T, "engaged", sw, store.Switch{Name: "halt", Engaged: true, Reason: engaged.Reason, Actor: "alice", At: us(t0)})
		stored(t.T, "Switch", sw)
		if sw, _ := db.Switch(t.ctx, "other"); sw != (store.Switch{Name: "other"}) {
			t.Errorf("another switch: %+v", sw)
		}
	}
	t.write(t.db, func(tx store.Tx) error {
		return tx.SetSwitch(t.ctx, store.Switch{Name: "halt", Engaged: false, Reason: "", Actor: "bob", At: at(time.Minute)})
	})
	sw, _ := t.db.Switch(t.ctx, "halt")
	same(t.T, "released", sw, store.Switch{Name: "halt", Actor: "bob", At: us(at(time.Minute))})
	t.write(t.db, func(tx store.Tx) error {
		return tx.SetSwitch(t.ctx, store.Switch{Name: "other", Engaged: true, Actor: "c"})
	})
	sw, _ = t.db.Switch(t.ctx, "other")
	same(t.T, "a switch set with no time", sw, store.Switch{Name: "other", Engaged: true, Actor: "c"})
	sw, _ = t.db.Switch(t.ctx, "halt")
	same(t.T, "halt after setting other", sw, store.Switch{Name: "halt", Actor: "bob", At: us(at(time.Minute))})
}

// The off-switch engaged through one handle reads engaged through another, and back.
func testHalt(t *T) {
	db2 := t.reopen(t.T)
	for _, db := range []store.Store{t.db, db2} {
		sw, err := db.Halt().Read()
		if err != nil || sw.Name != "halt" || sw.Engaged {
			t.Errorf("the off-switch of a new database: %+v, %v; want released", sw, err)
		}
	}
	on := store.Switch{Name: "halt", Engaged: true, Reason: "stop everything", Actor: "alice", At: us(t0)}
	if err := t.db.Halt().Write(on); err != nil {
		t.Fatal(err)
	}
	for _, db := range []store.Store{t.db, db2, t.reopen(t.T)} {
		sw, err := db.Halt().Read()
		if err != nil {
			t.Fatal(err)
		}
		same(t.T, "engaged off-switch", sw, on)
	}
	off := store.Switch{Name: "halt", Engaged: false, Reason: "", Actor: "bob", At: us(at(time.Minute))}
	if err := db2.Halt().Write(off); err != nil {
		t.Fatal(err)
	}
	sw, err := t.db.Halt().Read()
	if err != nil {
		t.Fatal(err)
	}
	same(t.T, "released off-switch", sw, off)
}
