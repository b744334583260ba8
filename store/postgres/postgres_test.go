package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/engine"
	"github.com/firebreak/firebreak/store/postgres"
	"github.com/firebreak/firebreak/store/postgres/pgtest"
	"github.com/firebreak/firebreak/store/sqlite"

	"github.com/jackc/pgx/v5"
)

// childEnv, when set, makes the test binary a writer process of a multi-process test instead of running
// tests: "append URL INCIDENT N" appends N events; "watch URL FILE" records feed latencies.
const childEnv = "FIREBREAK_PGTEST_CHILD"

func TestMain(m *testing.M) {
	if args := os.Getenv(childEnv); args != "" {
		if err := child(strings.Fields(args)); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	pgtest.Main(m)
}

func child(args []string) error {
	ctx := context.Background()
	db, err := postgres.Open(ctx, args[1])
	if err != nil {
		return err
	}
	defer db.Close()
	switch args[0] {
	case "append":
		inc, _ := strconv.ParseInt(args[2], 10, 64)
		n, _ := strconv.Atoi(args[3])
		var lat []string
		for i := range n {
			start := time.Now()
			if err := db.Write(ctx, func(tx store.Tx) error {
				ev := store.Event{Incident: inc, Actor: "proc-" + strconv.Itoa(os.Getpid()), Kind: "note", Text: fmt.Sprintf("note %d", i)}
				return tx.AppendEvent(ctx, &ev)
			}); err != nil {
				return err
			}
			lat = append(lat, strconv.FormatInt(time.Since(start).Microseconds(), 10))
		}
		if len(args) > 4 {
			return os.WriteFile(args[4], []byte(strings.Join(lat, "\n")), 0o600)
		}
		return nil
	case "watch":
		// Prints "ready", then for every signal the delay since the newest event of incident 1 was written.
		wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		ch, err := db.Watch(wctx, 50*time.Millisecond)
		if err != nil {
			return err
		}
		out, err := os.Create(args[2])
		if err != nil {
			return err
		}
		defer out.Close()
		fmt.Println("ready")
		var seen int64
		for range ch {
			now := time.Now()
			evs, err := db.Events(ctx, store.EventQuery{Incident: 1, AfterSeq: seen})
			if err != nil {
				return err
			}
			for _, ev := range evs {
				if ev.Kind == "stop" {
					return nil
				}
				seen = ev.Seq
				fmt.Fprintln(out, now.Sub(ev.At).Microseconds())
			}
		}
		return nil
	}
	return fmt.Errorf("unknown child command %q", args[0])
}

func open(t testing.TB, u string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newIncident(t testing.TB, db store.Store, n int) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	err := db.Write(ctx, func(tx store.Tx) error {
		var err error
		id, err = tx.CreateIncident(ctx, store.IncidentRow{Title: "t", Severity: 2, Status: "investigating", DeclaredAt: time.Now()})
		if err != nil {
			return err
		}
		for i := range n {
			ev := store.Event{Incident: id, Actor: "tester", Kind: "note", Text: fmt.Sprintf("note %d", i), Data: json.RawMessage(`{"i":1}`)}
			if err := tx.AppendEvent(ctx, &ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestOpenMigrateReopen(t *testing.T) {
	ctx := context.Background()
	u := pgtest.NewDatabase(t)
	db := open(t, u)
	if db.Engine() != "postgres" || db.LocalPath() != "" {
		t.Fatalf("Engine %q LocalPath %q", db.Engine(), db.LocalPath())
	}
	if pw := pgtest.Shared(t).Password(); strings.Contains(db.Where(), pw) {
		t.Fatalf("Where() shows the password: %s", db.Where())
	}
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
	id := newIncident(t, db, 3)
	db.Close()
	db2 := open(t, u)
	inc, err := db2.Incident(ctx, id)
	if err != nil || inc.LastSeq != 3 {
		t.Fatalf("after reopening: %+v %v", inc, err)
	}
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var v int
	if err := conn.QueryRow(ctx, `SELECT version FROM firebreak_schema`).Scan(&v); err != nil || v != postgres.SchemaVersion() {
		t.Fatalf("recorded version %d (%v), want %d", v, err, postgres.SchemaVersion())
	}
	// engine.Open takes the URL too.
	s, err := engine.Open(ctx, u, store.Options{})
	if err != nil || s.Engine() != "postgres" {
		t.Fatalf("engine.Open: %v %v", s, err)
	}
	s.Close()
}

func TestConcurrentOpensMigrateOnce(t *testing.T) {
	u := pgtest.NewDatabase(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := postgres.Open(context.Background(), u)
			if err == nil {
				db.Close()
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestRefusesNewerAndForeignDatabases(t *testing.T) {
	ctx := context.Background()
	u := pgtest.NewDatabase(t)
	open(t, u).Close()
	exec := func(u, sql string) {
		conn, err := pgx.Connect(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	exec(u, `UPDATE firebreak_schema SET version = 99`)
	_, err := postgres.Open(ctx, u)
	if !errors.Is(err, store.ErrUnusable) || !strings.Contains(err.Error(), "newer firebreak") {
		t.Fatalf("newer schema: %v", err)
	}

	other := pgtest.NewDatabase(t)
	exec(other, `CREATE TABLE customers (id int)`)
	_, err = postgres.Open(ctx, other)
	if !errors.Is(err, store.ErrUnusable) || !strings.Contains(err.Error(), "another program") {
		t.Fatalf("foreign database: %v", err)
	}
}

func TestConnectionErrorsNeverShowThePassword(t *testing.T) {
	ctx := context.Background()
	u, _ := url.Parse(pgtest.NewDatabase(t))
	const secret = "s3cret-Wrong-pw"
	u.User = url.UserPassword(pgtest.Superuser, secret)
	cases := map[string]string{"refused the login": u.String()}
	missing := *u
	missing.User = url.UserPassword(pgtest.Superuser, pgtest.Shared(t).Password())
	missing.Path = "/no_such_db"
	cases["create the database"] = missing.String()
	down := *u
	down.Host = "127.0.0.1:1"
	cases["cannot reach"] = down.String()
	for want, target := range cases {
		_, err := postgres.Open(ctx, target)
		if !errors.Is(err, store.ErrUnusable) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", want, err)
			continue
		}
		for _, pw := range []string{secret, pgtest.Shared(t).Password()} {
			if strings.Contains(err.Error(), pw) {
				t.Errorf("the error shows the password: %v", err)
			}
		}
	}
}

func TestAppendChainAndAppendOnly(t *testing.T) {
	ctx := context.Background()
	u := pgtest.NewDatabase(t)
	db := open(t, u)
	id := newIncident(t, db, 20)
	if err := store.VerifyChain(ctx, db, id); err != nil {
		t.Fatal(err)
	}
	evs, err := db.Events(ctx, store.EventQuery{Incident: id, Newest: true, Limit: 3, Kinds: []string{"note"}})
	if err != nil || len(evs) != 3 || evs[0].Seq != 18 || evs[2].Seq != 20 {
		t.Fatalf("newest 3: %+v %v", evs, err)
	}
	err = db.Write(ctx, func(tx store.Tx) error {
		return tx.AppendEvent(ctx, &store.Event{Incident: 999, Kind: "note"})
	})
	if !errors.Is(err, store.ErrNotFound) || err.Error() != "incident 999: not found" {
		t.Fatalf("append to a missing incident: %v", err)
	}
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{`UPDATE events SET text = 'x' WHERE seq = 1`, `DELETE FROM events WHERE seq = 20`, `TRUNCATE events`} {
		if _, err := conn.Exec(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v", q, err)
		}
	}
}

func TestConcurrentAppendsFromGoroutines(t *testing.T) {
	ctx := context.Background()
	u := pgtest.NewDatabase(t)
	id := newIncident(t, open(t, u), 0)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		db := open(t, u) // a pool each, as separate consoles have
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				err := db.Write(ctx, func(tx store.Tx) error {
					return tx.AppendEvent(ctx, &store.Event{Incident: id, Actor: fmt.Sprint("g", g), Kind: "note", Text: fmt.Sprint(i)})
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	checkGapless(t, open(t, u), id, 200)
}

func checkGapless(t *testing.T, db store.Store, id int64, n int) {
	t.Helper()
	ctx := context.Background()
	evs, err := db.Events(ctx, store.EventQuery{Incident: id})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != n {
		t.Fatalf("%d events, want %d", len(evs), n)
	}
	for i, ev := range evs {
		if ev.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d", i, ev.Seq)
		}
	}
	if err := store.VerifyChain(ctx, db, id); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentAppendsFromProcesses(t *testing.T) {
	u := pgtest.NewDatabase(t)
	db := open(t, u)
	shared := newIncident(t, db, 0)
	own := []int64{newIncident(t, db, 0), newIncident(t, db, 0)}
	var cmds []*exec.Cmd
	for p := range 4 {
		inc := shared
		if p >= 2 {
			inc = own[p-2]
		}
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=append %s %d 60", childEnv, u, inc))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("writer process: %v", err)
		}
	}
	checkGapless(t, db, shared, 120)
	checkGapless(t, db, own[0], 60)
	checkGapless(t, db, own[1], 60)
}

// waitSignal fails t unless ch signals within d.
func waitSignal(t *testing.T, ch <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case _, ok := <-ch:
		if !ok {
			t.Fatalf("%s: the feed closed", what)
		}
	case <-time.After(d):
		t.Fatalf("%s: no signal within %v", what, d)
	}
}

func drain(ch <-chan struct{}) {
	for {
		select {
		case <-ch:
		case <-time.After(100 * time.Millisecond):
			return
		}
	}
}

func TestWatchAcrossHandlesAndReconnects(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	u := pgtest.NewDatabase(t)
	reader, writer := open(t, u), open(t, u)
	id := newIncident(t, writer, 0)
	ch, err := reader.Watch(ctx, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	drain(ch)
	note := func() {
		t.Helper()
		if err := writer.Write(ctx, func(tx store.Tx) error {
			return tx.AppendEvent(ctx, &store.Event{Incident: id, Kind: "note"})
		}); err != nil {
			t.Fatal(err)
		}
	}
	note()
	waitSignal(t, ch, 200*time.Millisecond, "a write by another handle")

	// Kill every connection to the database: the feed reconnects and signals (catch-up), then carries on.
	drain(ch)
	dbname := strings.TrimPrefix(mustParse(t, u).Path, "/")
	if err := pgtest.Shared(t).Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, dbname); err != nil {
		t.Fatal(err)
	}
	waitSignal(t, ch, 3*time.Second, "the catch-up after a killed connection")
	drain(ch)
	note()
	waitSignal(t, ch, 200*time.Millisecond, "a write after reconnecting")

	// A server restart: the same, and writes go on once it is back.
	drain(ch)
	if err := pgtest.Shared(t).Restart(); err != nil {
		t.Fatal(err)
	}
	waitSignal(t, ch, 10*time.Second, "the catch-up after a server restart")
	drain(ch)
	note()
	waitSignal(t, ch, 200*time.Millisecond, "a write after the restart")

	cancel()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("the feed did not close with its context")
		}
	}
}

func mustParse(t *testing.T, u string) *url.URL {
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHaltAcrossHandles(t *testing.T) {
	ctx := context.Background()
	u := pgtest.NewDatabase(t)
	a, b := open(t, u), open(t, u)
	if sw, err := b.Halt().Read(); err != nil || sw.Engaged {
		t.Fatalf("a new database is halted: %+v %v", sw, err)
	}
	// A halt does not wait for a writer holding the write lock.
	locked, release := make(chan struct{}), make(chan struct{})
	go a.Write(ctx, func(tx store.Tx) error {
		close(locked)
		<-release
		return nil
	})
	<-locked
	start := time.Now()
	if err := a.Halt().Write(store.Switch{Engaged: true, Actor: "alice", Reason: "stop", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	close(release)
	if d := time.Since(start); d > time.Second {
		t.Fatalf("the halt waited %v for a writer", d)
	}
	sw, err := b.Halt().Read()
	if err != nil || !sw.Engaged || sw.Actor != "alice" || sw.Reason != "stop" {
		t.Fatalf("the other handle reads %+v %v", sw, err)
	}
	// The record (switches) is written with the timeline, separately, as SQLite's is.
	if rec, err := b.Switch(ctx, "halt"); err != nil || rec.Engaged {
		t.Fatalf("the record says %+v %v before anything recorded it", rec, err)
	}
}

func TestImportRefusesNonEmpty(t *testing.T) {
	ctx := context.Background()
	src := open(t, pgtest.NewDatabase(t))
	newIncident(t, src, 2)
	dst := open(t, pgtest.NewDatabase(t))
	newIncident(t, dst, 1)
	if _, err := engine.Copy(ctx, src, dst); !errors.Is(err, store.ErrUnusable) || !strings.Contains(err.Error(), "already holds") {
		t.Fatalf("import into a non-empty database: %v", err)
	}
}

// fill writes a record with every kind of row, with fixed times, the same on any engine.
func fill(t *testing.T, db store.Store) {
	t.Helper()
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC)
	at := func(i int) time.Time { return base.Add(time.Duration(i) * time.Second) }
	err := db.Write(ctx, func(tx store.Tx) error {
		for i := range 3 {
			id, err := tx.CreateIncident(ctx, store.IncidentRow{Title: fmt.Sprint("inc ", i), Severity: i + 1, Status: "investigating",
				Drill: i == 1, Commander: "ann", DeclaredAt: at(i), State: json.RawMessage(`{"b": 2, "a": [1]}`)})
			if err != nil {
				return err
			}
			for j := range 4 {
				ev := store.Event{Incident: id, At: at(10*i + j), Actor: []string{"ann", "bob"}[j%2], Kind: []string{"note", "status"}[j%2],
					Text: "ünïcode ✓ " + fmt.Sprint(j), Data: json.RawMessage(`{"z":1,  "a":"x"}`)}
				if err := tx.AppendEvent(ctx, &ev); err != nil {
					return err
				}
			}
			if i == 2 {
				if err := tx.SaveIncident(ctx, store.IncidentRow{ID: id, Title: "renamed", Severity: 1, Status: "resolved", State: json.RawMessage(`{}`)}); err != nil {
					return err
				}
			}
			run, err := tx.CreateRun(ctx, store.RunRow{Incident: id, Runbook: "rb", Step: "s", Title: "run", ScriptHash: "h", DryRun: i == 0,
				Status: "running", Stages: 2, Plan: json.RawMessage(`{"hosts":["a","b"]}`), StartedBy: "ann", StartedAt: at(i),
				OwnerPID: 42, OwnerHost: "m1", PlanHash: "ph", LeaseUntil: at(100)},
				[]store.RunHost{{Host: "b", Stage: 1, Position: 0, State: "pending"}, {Host: "a", Stage: 2, Position: 1, State: "pending"}})
			if err != nil {
				return err
			}
			if err := tx.SetHost(ctx, store.RunHost{Run: run, Host: "b", State: "ok", ExitCode: 0, Duration: 1500 * time.Millisecond,
				OutputTail: "done", LogPath: "/var/log/x", LogHost: "m1"}); err != nil {
				return err
			}
			if i == 1 {
				if err := tx.UpdateRun(ctx, store.RunRow{ID: run, Status: "succeeded", Stage: 2, FinishedAt: at(50), OwnerHost: "m1"}); err != nil {
					return err
				}
			}
			if err := tx.BumpContinue(ctx, run); err != nil {
				return err
			}
			for _, p := range []string{"zed", "amy", "amy"} {
				if err := tx.Approve(ctx, store.Approval{Run: run, Stage: 1, Person: p, Actor: p, At: at(60), PlanHash: "ph"}); err != nil {
					return err
				}
			}
			for _, sec := range []string{"summary", "Timeline", "impact"} {
				v := store.RetroVersion{Incident: id, Section: sec, Text: "text " + sec, Author: "ann", At: at(70)}
				if err := tx.SaveRetroVersion(ctx, &v); err != nil {
					return err
				}
				v.Text, v.Base, v.Conflict = "second", 1, true
				if err := tx.SaveRetroVersion(ctx, &v); err != nil {
					return err
				}
			}
			a := store.ActionItem{Incident: id, Text: "fix", Owner: "bob", Due: "2026-04-01", Kind: "prevent", Author: "ann", At: at(80)}
			if err := tx.SaveActionItem(ctx, &a); err != nil {
				return err
			}
			a.Done = true
			if err := tx.SaveActionItem(ctx, &a); err != nil {
				return err
			}
		}
		if err := tx.SetSwitch(ctx, store.Switch{Name: "halt", Engaged: true, Reason: "r", Actor: "ann", At: at(90)}); err != nil {
			return err
		}
		return tx.SetSwitch(ctx, store.Switch{Name: "another", At: at(91)})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// snapshot is everything a Store reads back, for comparing engines.
type snapshot struct {
	Sink        recorder
	Incidents   []store.IncidentRow
	Resolved    []store.IncidentRow
	Limited     []store.IncidentRow
	Events      [][]store.Event
	Newest      [][]store.Event
	Kinds       [][]store.Event
	Runs        []store.RunRow
	DryRuns     []store.RunRow
	Hosts       [][]store.RunHost
	Approvals   [][]store.Approval
	Switches    []store.Switch
	Latest      []map[string]store.RetroVersion
	History     [][]store.RetroVersion
	Items       [][]store.ActionItem
	ItemVers    [][]store.ActionItem
	Actors      [][]store.ActorCount
	IDs         []int64
	MissingErrs []string
}

type recorder struct{ Rows []string }

func (r *recorder) add(kind string, v any) error {
	b, err := json.Marshal(v)
	r.Rows = append(r.Rows, kind+" "+string(b))
	return err
}
func (r *recorder) Incident(v store.IncidentRow) error { return r.add("incident", v) }
func (r *recorder) Event(v store.Event) error {
	return r.add("event", []any{v, v.Incident, v.PrevHash, v.At})
}
func (r *recorder) Run(v store.RunRow) error                { return r.add("run", v) }
func (r *recorder) RunHost(v store.RunHost) error           { return r.add("host", v) }
func (r *recorder) Approval(v store.Approval) error         { return r.add("approval", v) }
func (r *recorder) Switch(v store.Switch) error             { return r.add("switch", v) }
func (r *recorder) RetroVersion(v store.RetroVersion) error { return r.add("retro", v) }
func (r *recorder) ActionItem(v store.ActionItem) error     { return r.add("action", v) }

func take(t *testing.T, db store.Store) snapshot {
	t.Helper()
	ctx := context.Background()
	var s snapshot
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.Export(ctx, &s.Sink))
	var err error
	s.Incidents, err = db.Incidents(ctx, store.IncidentQuery{})
	must(err)
	s.Resolved, err = db.Incidents(ctx, store.IncidentQuery{Statuses: []string{"resolved", "nope"}})
	must(err)
	s.Limited, err = db.Incidents(ctx, store.IncidentQuery{Limit: 2})
	must(err)
	s.IDs, err = db.IncidentIDs(ctx)
	must(err)
	for _, id := range s.IDs {
		evs, err := db.Events(ctx, store.EventQuery{Incident: id})
		must(err)
		s.Events = append(s.Events, evs)
		evs, err = db.Events(ctx, store.EventQuery{Incident: id, Newest: true, Limit: 2})
		must(err)
		s.Newest = append(s.Newest, evs)
		evs, err = db.Events(ctx, store.EventQuery{Incident: id, Kinds: []string{"status"}, AfterSeq: 1, Seqs: []int64{2, 3, 4}})
		must(err)
		s.Kinds = append(s.Kinds, evs)
		latest, err := db.LatestRetroVersions(ctx, id)
		must(err)
		s.Latest = append(s.Latest, latest)
		h, err := db.RetroHistory(ctx, id, "summary")
		must(err)
		s.History = append(s.History, h)
		h, err = db.RetroVersions(ctx, id)
		must(err)
		s.History = append(s.History, h)
		items, err := db.ActionItems(ctx, id)
		must(err)
		s.Items = append(s.Items, items)
		items, err = db.ActionItemVersions(ctx, id)
		must(err)
		s.ItemVers = append(s.ItemVers, items)
		actors, err := db.ActorCounts(ctx, id)
		must(err)
		s.Actors = append(s.Actors, actors)
	}
	s.Runs, err = db.Runs(ctx, store.RunQuery{})
	must(err)
	dry := true
	s.DryRuns, err = db.Runs(ctx, store.RunQuery{Incident: 1, Statuses: []string{"running"}, ScriptHash: "h", DryRun: &dry})
	must(err)
	for _, r := range s.Runs {
		hosts, err := db.RunHosts(ctx, r.ID)
		must(err)
		s.Hosts = append(s.Hosts, hosts)
		aps, err := db.Approvals(ctx, r.ID)
		must(err)
		s.Approvals = append(s.Approvals, aps)
	}
	for _, n := range []string{"halt", "another", "never"} {
		sw, err := db.Switch(ctx, n)
		must(err)
		s.Switches = append(s.Switches, sw)
	}
	_, err = db.Incident(ctx, 999)
	s.MissingErrs = append(s.MissingErrs, err.Error())
	_, err = db.Run(ctx, 999)
	s.MissingErrs = append(s.MissingErrs, err.Error())
	return s
}

func compare(t *testing.T, what string, want, got snapshot) {
	t.Helper()
	wv, gv := reflect.ValueOf(want), reflect.ValueOf(got)
	for i := range wv.NumField() {
		w, g := wv.Field(i).Interface(), gv.Field(i).Interface()
		if !reflect.DeepEqual(w, g) {
			wb, _ := json.MarshalIndent(w, "", " ")
			gb, _ := json.MarshalIndent(g, "", " ")
			t.Errorf("%s: %s differ:\nsqlite:   %s\npostgres: %s", what, wv.Type().Field(i).Name, wb, gb)
		}
	}
}

func openSQLite(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "fb.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// The same writes read back the same from both engines.
func TestReadsMatchSQLite(t *testing.T) {
	lite, pg := openSQLite(t), open(t, pgtest.NewDatabase(t))
	fill(t, lite)
	fill(t, pg)
	compare(t, "same writes", take(t, lite), take(t, pg))
}

// A record goes sqlite -> postgres -> sqlite -> postgres unchanged, every chain verified on the way (Copy
// verifies both sides), and new ids after an import never reuse an imported one.
func TestCopyRoundTrip(t *testing.T) {
	ctx := context.Background()
	lite := openSQLite(t)
	fill(t, lite)
	want := take(t, lite)
	pg := open(t, pgtest.NewDatabase(t))
	if n, err := engine.Copy(ctx, lite, pg); err != nil || n != 3 {
		t.Fatalf("sqlite -> postgres: %d %v", n, err)
	}
	compare(t, "sqlite -> postgres", want, take(t, pg))
	lite2 := openSQLite(t)
	if _, err := engine.Copy(ctx, pg, lite2); err != nil {
		t.Fatalf("postgres -> sqlite: %v", err)
	}
	compare(t, "postgres -> sqlite", want, take(t, lite2))
	// A backup file from postgres restores into a new postgres database.
	file := filepath.Join(t.TempDir(), "backup.db")
	if err := engine.Backup(ctx, pg, file); err != nil {
		t.Fatal(err)
	}
	u := pgtest.NewDatabase(t)
	if _, err := engine.Restore(ctx, file, u); err != nil {
		t.Fatal(err)
	}
	pg2 := open(t, u)
	compare(t, "backup -> restore", want, take(t, pg2))
	if sw, err := pg2.Halt().Read(); err != nil || !sw.Engaged {
		t.Fatalf("the restored off-switch is %+v %v, the record says halted", sw, err)
	}
	id := newIncident(t, pg2, 1)
	if id != 4 {
		t.Fatalf("a new incident after the import got id %d, want 4", id)
	}
	var run int64
	if err := pg2.Write(ctx, func(tx store.Tx) error {
		var err error
		run, err = tx.CreateRun(ctx, store.RunRow{Incident: id, ScriptHash: "h", Status: "running", StartedAt: time.Now()}, nil)
		return err
	}); err != nil || run != 4 {
		t.Fatalf("a new run after the import got id %d (%v), want 4", run, err)
	}
}

// A connection lost inside a Write, before its commit, runs fn again on a new one: the event lands once.
func TestWriteRetriesAfterLostConnection(t *testing.T) {
	ctx := context.Background()
	u := pgtest.NewDatabase(t)
	db := open(t, u)
	id := newIncident(t, db, 0)
	dbname := strings.TrimPrefix(mustParse(t, u).Path, "/")
	calls := 0
	err := db.Write(ctx, func(tx store.Tx) error {
		calls++
		if calls == 1 {
			if err := pgtest.Shared(t).Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, dbname); err != nil {
				t.Error(err)
			}
		}
		return tx.AppendEvent(ctx, &store.Event{Incident: id, Kind: "note"})
	})
	if err != nil || calls != 2 {
		t.Fatalf("Write: %v after %d calls, want success after 2", err, calls)
	}
	checkGapless(t, db, id, 1)

	// fn's own error is not retried.
	calls = 0
	boom := errors.New("boom")
	if err := db.Write(ctx, func(tx store.Tx) error { calls++; return boom }); !errors.Is(err, boom) || calls != 1 {
		t.Fatalf("Write: %v after %d calls", err, calls)
	}
}
