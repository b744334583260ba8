package postgres_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/postgres/pgtest"
)

// The targets, on a local server: append p50 < 2 ms and p99 < 10 ms with 4 writer processes;
// listing 1,000 incidents holding 200,000 events < 100 ms; the feed reaching another process < 200 ms.
//
//	go test -run '^$' -bench . -benchtime 1x ./store/postgres/

// percentiles reports p50 and p99 of latencies given in microseconds, as ms.
func percentiles(b *testing.B, us []int64) {
	if len(us) == 0 {
		b.Fatal("no samples")
	}
	slices.Sort(us)
	p := func(q float64) float64 { return float64(us[int(q*float64(len(us)-1))]) / 1000 }
	b.ReportMetric(p(0.50), "p50-ms")
	b.ReportMetric(p(0.99), "p99-ms")
	b.ReportMetric(float64(us[len(us)-1])/1000, "max-ms")
	b.ReportMetric(float64(len(us)), "samples")
}

func readLatencies(b *testing.B, file string) []int64 {
	data, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	var out []int64
	for _, l := range strings.Fields(string(data)) {
		n, _ := strconv.ParseInt(l, 10, 64)
		out = append(out, n)
	}
	return out
}

// Four writer processes, each appending to an incident of its own (every Write takes the database's write
// lock, so they contend as much as on one incident).
func BenchmarkAppend4Processes(b *testing.B) { benchAppend(b, 4) }

// One writer process: the latency of a write that never waits for another.
func BenchmarkAppend1Process(b *testing.B) { benchAppend(b, 1) }

func benchAppend(b *testing.B, procs int) {
	const perProc = 500
	var all []int64
	for range b.N {
		u := pgtest.NewDatabase(b)
		db := open(b, u)
		dir := b.TempDir()
		var cmds []*exec.Cmd
		for p := range procs {
			inc := newIncident(b, db, 0)
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), fmt.Sprintf("%s=append %s %d %d %s", childEnv, u, inc, perProc, filepath.Join(dir, strconv.Itoa(p))))
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			cmds = append(cmds, cmd)
		}
		for _, cmd := range cmds {
			if err := cmd.Wait(); err != nil {
				b.Fatal(err)
			}
		}
		for p := range procs {
			all = append(all, readLatencies(b, filepath.Join(dir, strconv.Itoa(p)))...)
		}
	}
	percentiles(b, all)
}

// generate feeds Import a generated record: incidents with valid chains, every incident before the events,
// as Export sends them.
func generate(incidents, eventsEach int) func(store.Sink) error {
	return func(sink store.Sink) error {
		var pending []store.Event
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		statuses := []string{"investigating", "identified", "mitigating", "monitoring", "resolved"}
		for i := 1; i <= incidents; i++ {
			at := base.Add(time.Duration(i) * time.Minute)
			r := store.IncidentRow{ID: int64(i), Title: fmt.Sprintf("incident %d", i), Severity: 1 + i%4, Status: statuses[i%5],
				Commander: "ann", DeclaredAt: at, UpdatedAt: at.Add(time.Duration(eventsEach) * time.Second), State: []byte(`{}`)}
			var evs []store.Event
			var seq int64
			hash := ""
			for j := range eventsEach {
				ev := store.Event{Incident: r.ID, At: at.Add(time.Duration(j+1) * time.Second), Actor: "ann", Kind: "note", Text: "note " + strconv.Itoa(j)}
				store.Seal(&ev, seq, hash)
				seq, hash = ev.Seq, ev.Hash
				evs = append(evs, ev)
			}
			r.LastSeq, r.LastHash = seq, hash
			if err := sink.Incident(r); err != nil {
				return err
			}
			pending = append(pending, evs...)
		}
		for _, ev := range pending {
			if err := sink.Event(ev); err != nil {
				return err
			}
		}
		return nil
	}
}

func BenchmarkIncidents1000With200kEvents(b *testing.B) {
	ctx := context.Background()
	db := open(b, pgtest.NewDatabase(b))
	if err := db.Import(ctx, generate(1000, 200)); err != nil {
		b.Fatal(err)
	}
	var us []int64
	b.ResetTimer()
	for range max(b.N, 50) {
		start := time.Now()
		rows, err := db.Incidents(ctx, store.IncidentQuery{})
		if err != nil || len(rows) != 1000 {
			b.Fatalf("%d rows, %v", len(rows), err)
		}
		us = append(us, time.Since(start).Microseconds())
	}
	b.StopTimer()
	percentiles(b, us)
}

// Another process watches; this one appends an event every 20 ms; the other reports, for each signal, how
// long after the event's time (set just before its write) it saw it.
func BenchmarkFeedToAnotherProcess(b *testing.B) {
	ctx := context.Background()
	u := pgtest.NewDatabase(b)
	db := open(b, u)
	id := newIncident(b, db, 0)
	if id != 1 {
		b.Fatalf("incident %d, the watcher reads 1", id)
	}
	file := filepath.Join(b.TempDir(), "lat")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=watch %s %s", childEnv, u, file))
	cmd.Stderr = os.Stderr
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	var once sync.Once
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "ready" {
				once.Do(func() { close(ready) })
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		b.Fatal("the watcher did not start")
	}
	appendKind := func(kind string) {
		if err := db.Write(ctx, func(tx store.Tx) error {
			return tx.AppendEvent(ctx, &store.Event{Incident: id, Kind: kind})
		}); err != nil {
			b.Fatal(err)
		}
	}
	for range max(b.N, 200) {
		appendKind("note")
		time.Sleep(20 * time.Millisecond)
	}
	appendKind("stop")
	if err := cmd.Wait(); err != nil {
		b.Fatal(err)
	}
	percentiles(b, readLatencies(b, file))
}
