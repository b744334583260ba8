package storetest

import (
	"time"

	"github.com/firebreak/firebreak/store"
)

func init() {
	contract("RetroVersions", testRetroVersions)
	contract("ActionItems", testActionItems)
}

// Each section of each incident's retrospective numbers its versions from 1; the newest is the section's
// text.
func testRetroVersions(t *T) {
	a := t.incident(store.IncidentRow{})
	b := t.incident(store.IncidentRow{})
	save := func(v store.RetroVersion) store.RetroVersion {
		t.Helper()
		t.write(t.db, func(tx store.Tx) error { return tx.SaveRetroVersion(t.ctx, &v) })
		v.At = us(v.At)
		return v
	}
	if m, err := t.db.LatestRetroVersions(t.ctx, a); err != nil || len(m) != 0 {
		t.Fatalf("LatestRetroVersions of a new incident: %v, %v", m, err)
	}
	t1 := save(store.RetroVersion{Incident: a, Section: "timeline", Version: 9, Text: "09:00 alert", Author: "alice", At: t0, Legacy: true})
	t1.Legacy = false // only an import stores legacy versions
	s1 := save(store.RetroVersion{Incident: a, Section: "summary", Text: "disk filled", Author: "alice", At: at(time.Minute)})
	s2 := save(store.RetroVersion{Incident: a, Section: "summary", Text: "disk filled\n\nby logs", Author: "bob", At: at(2 * time.Minute), Base: 1})
	s3 := save(store.RetroVersion{Incident: a, Section: "summary", Text: "both edits", Author: "carol", At: at(3*time.Minute + 1), Base: 1, Conflict: true})
	o1 := save(store.RetroVersion{Incident: b, Section: "summary", Text: "other", Author: "dave", At: t0})
	same(t.T, "version numbers", []int{t1.Version, s1.Version, s2.Version, s3.Version, o1.Version}, []int{1, 1, 2, 3, 1})

	latest, err := t.db.LatestRetroVersions(t.ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	stored(t.T, "LatestRetroVersions", latest)
	same(t.T, "LatestRetroVersions", latest, map[string]store.RetroVersion{"summary": s3, "timeline": t1})
	t.write(t.db, func(tx store.Tx) error {
		m, err := tx.LatestRetroVersions(t.ctx, a)
		same(t.T, "tx.LatestRetroVersions", m, latest)
		return err
	})
	hist, err := t.db.RetroHistory(t.ctx, a, "summary")
	if err != nil {
		t.Fatal(err)
	}
	same(t.T, "RetroHistory", hist, []store.RetroVersion{s1, s2, s3})
	if hist, err := t.db.RetroHistory(t.ctx, a, "nope"); err != nil || len(hist) != 0 {
		t.Errorf("RetroHistory of a section never saved: %v, %v", hist, err)
	}
	all, err := t.db.RetroVersions(t.ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	same(t.T, "RetroVersions (by section, then version)", all, []store.RetroVersion{s1, s2, s3, t1})
	all, err = t.db.RetroVersions(t.ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	same(t.T, "the other incident's RetroVersions", all, []store.RetroVersion{o1})
	if all, err := t.db.RetroVersions(t.ctx, 99); err != nil || len(all) != 0 {
		t.Errorf("RetroVersions of an unknown incident: %v, %v", all, err)
	}
	err = t.db.Write(t.ctx, func(tx store.Tx) error {
		return tx.SaveRetroVersion(t.ctx, &store.RetroVersion{Incident: 99, Section: "summary", Text: "x", Author: "x", At: t0})
	})
	if err == nil {
		t.Error("SaveRetroVersion for an unknown incident succeeded")
	}
}

// Action items of an incident are numbered from 1 (a new item is one past the highest), each item's
// versions from 1; ActionItems is the newest version of each, removed ones included.
func testActionItems(t *T) {
	a := t.incident(store.IncidentRow{})
	b := t.incident(store.IncidentRow{})
	save := func(x store.ActionItem) store.ActionItem {
		t.Helper()
		t.write(t.db, func(tx store.Tx) error { return tx.SaveActionItem(t.ctx, &x) })
		x.At = us(x.At)
		return x
	}
	if as, err := t.db.ActionItems(t.ctx, a); err != nil || len(as) != 0 {
		t.Fatalf("ActionItems of a new incident: %v, %v", as, err)
	}
	i1 := save(store.ActionItem{Incident: a, Version: 5, Text: "alert on disk", Owner: "alice", Ticket: "OPS-1", Due: "2026-04-01", Kind: "detect", Author: "alice", At: t0, Legacy: true})
	i1.Legacy = false // only an import stores legacy items
	i2 := save(store.ActionItem{Incident: a, Text: "rotate logs", Kind: "prevent", Author: "bob", At: at(time.Second)})
	i1b := save(store.ActionItem{Incident: a, Item: 1, Text: "alert on disk at 80%", Owner: "alice", Ticket: "OPS-1", Done: true, Author: "carol", At: at(2 * time.Second)})
	i2b := save(store.ActionItem{Incident: a, Item: 2, Text: "rotate logs", Removed: true, Author: "bob", At: at(3 * time.Second)})
	i7 := save(store.ActionItem{Incident: a, Item: 7, Text: "numbered by hand", Author: "dave", At: at(4 * time.Second)})
	i8 := save(store.ActionItem{Incident: a, Text: "after 7", Author: "dave", At: at(5 * time.Second)})
	o1 := save(store.ActionItem{Incident: b, Text: "other", Author: "erin", At: t0})
	same(t.T, "items and versions",
		[][2]int{{i1.Item, i1.Version}, {i2.Item, i2.Version}, {i1b.Item, i1b.Version}, {i2b.Item, i2b.Version}, {i7.Item, i7.Version}, {i8.Item, i8.Version}, {o1.Item, o1.Version}},
		[][2]int{{1, 1}, {2, 1}, {1, 2}, {2, 2}, {7, 1}, {8, 1}, {1, 1}})

	latest, err := t.db.ActionItems(t.ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	stored(t.T, "ActionItems", latest)
	same(t.T, "ActionItems", latest, []store.ActionItem{i1b, i2b, i7, i8})
	t.write(t.db, func(tx store.Tx) error {
		as, err := tx.ActionItems(t.ctx, a)
		same(t.T, "tx.ActionItems", as, latest)
		return err
	})
	all, err := t.db.ActionItemVersions(t.ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	same(t.T, "ActionItemVersions", all, []store.ActionItem{i1, i1b, i2, i2b, i7, i8})
	all, err = t.db.ActionItemVersions(t.ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	same(t.T, "the other incident's ActionItemVersions", all, []store.ActionItem{o1})
	if as, err := t.db.ActionItems(t.ctx, 99); err != nil || len(as) != 0 {
		t.Errorf("ActionItems of an unknown incident: %v, %v", as, err)
	}
	err = t.db.Write(t.ctx, func(tx store.Tx) error {
		return tx.SaveActionItem(t.ctx, &store.ActionItem{Incident: 99, Text: "x", Author: "x", At: t0})
	})
	if err == nil {
		t.Error("SaveActionItem for an unknown incident succeeded")
	}
}
