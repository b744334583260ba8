package storetest

import (
	"time"

	"github.com/firebreak/firebreak/store"
)

func init() {
	contract("WindowReads", testWindowReads)
}

// RunHostsSince and ActionItemsSince read, for the incidents declared at or after a time, what RunHosts and
// ActionItems read one run or incident at a time: the hosts without their output tails, the newest
// version of each item.
func testWindowReads(t *ct) {
	old := t.incident(store.IncidentRow{DeclaredAt: t0})
	mid := t.incident(store.IncidentRow{DeclaredAt: at(time.Hour)})
	late := t.incident(store.IncidentRow{DeclaredAt: at(2 * time.Hour)})
	var runs []int64
	t.write(t.db, func(tx store.Tx) error {
		for _, inc := range []int64{late, old, mid, late} {
			id, err := tx.CreateRun(t.ctx, store.RunRow{Incident: inc, Status: "running", StartedBy: "alice", StartedAt: t0},
				[]store.RunHost{{Host: "web2", Stage: 1, Position: 0, State: "pending"}, {Host: "web1", Stage: 2, Position: 1, State: "pending"}})
			if err != nil {
				return err
			}
			runs = append(runs, id)
			err = tx.SetHost(t.ctx, store.RunHost{Run: id, Host: "web2", Stage: 1, Position: 0, State: "ok", ExitCode: 0,
				Duration: 1500 * time.Millisecond, OutputTail: "a tail", LogPath: "/var/log/x", LogHost: "m1"})
			if err != nil {
				return err
			}
		}
		return nil
	})
	host := func(run int64, name string) store.RunHost {
		t.Helper()
		for _, h := range t.runHosts(t.db, run) {
			if h.Host == name {
				h.OutputTail = ""
				return h
			}
		}
		t.Fatalf("run %d has no host %s", run, name)
		return store.RunHost{}
	}
	hosts, err := t.db.RunHostsSince(t.ctx, at(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	same(t.T, "RunHostsSince the second incident", hosts, []store.RunHost{
		host(runs[0], "web2"), host(runs[0], "web1"), host(runs[2], "web2"), host(runs[2], "web1"), host(runs[3], "web2"), host(runs[3], "web1")})
	if hosts[0].Duration != 1500*time.Millisecond || hosts[0].LogPath != "/var/log/x" || hosts[0].State != "ok" {
		t.Errorf("RunHostsSince lost a field: %+v", hosts[0])
	}
	if hosts, err = t.db.RunHostsSince(t.ctx, t0); err != nil || len(hosts) != 8 {
		t.Errorf("RunHostsSince the first: %d hosts, %v; want 8", len(hosts), err)
	}
	if hosts, err = t.db.RunHostsSince(t.ctx, at(3*time.Hour)); err != nil || len(hosts) != 0 {
		t.Errorf("RunHostsSince after them all: %v, %v", hosts, err)
	}

	save := func(x store.ActionItem) store.ActionItem {
		t.Helper()
		t.write(t.db, func(tx store.Tx) error { return tx.SaveActionItem(t.ctx, &x) })
		x.At = us(x.At)
		return x
	}
	save(store.ActionItem{Incident: old, Text: "old", Author: "alice", At: t0})
	save(store.ActionItem{Incident: mid, Text: "alert", Author: "alice", At: t0})
	m1b := save(store.ActionItem{Incident: mid, Item: 1, Text: "alert at 80%", Owner: "bob", Ticket: "OPS-2", Due: "2026-04-01", Kind: "detect", Done: true, Author: "bob", At: at(time.Minute)})
	save(store.ActionItem{Incident: mid, Text: "gone", Author: "alice", At: at(2 * time.Minute)})
	m2b := save(store.ActionItem{Incident: mid, Item: 2, Text: "gone", Removed: true, Author: "alice", At: at(3 * time.Minute)})
	l1 := save(store.ActionItem{Incident: late, Text: "late", Author: "carol", At: at(4 * time.Minute)})
	items, err := t.db.ActionItemsSince(t.ctx, at(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	stored(t.T, "ActionItemsSince", items)
	same(t.T, "ActionItemsSince", items, []store.ActionItem{m1b, m2b, l1})
	perIncident, err := t.db.ActionItems(t.ctx, mid)
	if err != nil {
		t.Fatal(err)
	}
	same(t.T, "ActionItemsSince against ActionItems", items[:2], perIncident)
	if items, err = t.db.ActionItemsSince(t.ctx, at(3*time.Hour)); err != nil || len(items) != 0 {
		t.Errorf("ActionItemsSince after them all: %v, %v", items, err)
	}
}
