package incident

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/engine"
	"github.com/firebreak/firebreak/store/postgres/pgtest"
)

// TestMain lets a test re-execute its own binary as a writer process: FIREBREAK_TEST_WRITER=DB|ID|COUNT|NAME
// appends COUNT notes "NAME-i" to incident ID and prints "done NAME-i NANOSECONDS" after each one is committed.
func TestMain(m *testing.M) {
	if spec := os.Getenv("FIREBREAK_TEST_WRITER"); spec != "" {
		os.Exit(writer(spec))
	}
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

// engines runs a test against each engine: a fresh SQLite file, and a fresh database on the package's
// private PostgreSQL server.
func engines(t *testing.T, test func(t *testing.T, target string)) {
	t.Run("sqlite", func(t *testing.T) { test(t, filepath.Join(t.TempDir(), "fb.db")) })
	t.Run("postgres", func(t *testing.T) { test(t, pgtest.NewDatabase(t)) })
}

func writer(spec string) int {
	parts := strings.Split(spec, "|")
	id, _ := strconv.ParseInt(parts[1], 10, 64)
	count, _ := strconv.Atoi(parts[2])
	ctx := context.Background()
	db, err := engine.Open(ctx, parts[0], store.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		return 3
	}
	defer db.Close()
	s := &Service{DB: db, Actor: Actor{User: "writer", As: parts[3]}}
	for i := range count {
		text := fmt.Sprintf("%s-%d", parts[3], i)
		start := time.Now()
		if _, err := s.Note(ctx, id, text); err != nil {
			fmt.Fprintln(os.Stderr, "note:", err)
			return 3
		}
		// os.Stdout is unbuffered: printed means committed. The append's latency goes with it.
		fmt.Printf("done %s %d\n", text, time.Since(start).Nanoseconds())
	}
	return 0
}

func startWriter(t testing.TB, db string, id int64, count int, name string) (*exec.Cmd, *bufio.Scanner, *strings.Builder) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("FIREBREAK_TEST_WRITER=%s|%d|%d|%s", db, id, count, name))
	stderr := &strings.Builder{}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, bufio.NewScanner(out), stderr
}

func declareIn(t testing.TB, path string) int64 {
	t.Helper()
	db, err := engine.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	inc, err := (&Service{DB: db, Actor: Actor{User: "root"}}).Declare(context.Background(), "many hands", SEV2, false)
	if err != nil {
		t.Fatal(err)
	}
	return inc.ID
}

// TestConcurrentWriterProcesses: four processes append hundreds of notes each to one incident at once.
func TestConcurrentWriterProcesses(t *testing.T) {
	const procs, each = 4, 250
	engines(t, func(t *testing.T, path string) {
		id := declareIn(t, path)
		var wg sync.WaitGroup
		errs := make([]string, procs)
		for p := range procs {
			cmd, out, stderr := startWriter(t, path, id, each, fmt.Sprintf("w%d", p))
			wg.Add(1)
			go func() {
				defer wg.Done()
				for out.Scan() {
				}
				if err := cmd.Wait(); err != nil || stderr.Len() > 0 {
					errs[p] = fmt.Sprintf("writer %d: %v: %s", p, err, stderr.String())
				}
			}()
		}
		wg.Wait()
		for _, e := range errs {
			if e != "" {
				t.Error(e) // includes any "database is locked"
			}
		}
		db, _ := engine.Open(context.Background(), path, store.Options{})
		defer db.Close()
		events, err := db.Events(context.Background(), store.EventQuery{Incident: id})
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 1+procs*each {
			t.Fatalf("%d events, want %d", len(events), 1+procs*each)
		}
		seen := map[string]bool{}
		for i, ev := range events {
			if ev.Seq != int64(i+1) {
				t.Fatalf("event %d has seq %d: gap or duplicate", i, ev.Seq)
			}
			seen[ev.Text] = true
		}
		for p := range procs {
			for i := range each {
				if !seen[fmt.Sprintf("w%d-%d", p, i)] {
					t.Fatalf("note w%d-%d is missing", p, i)
				}
			}
		}
		if err := store.VerifyChain(context.Background(), db, id); err != nil {
			t.Fatal(err)
		}
	})
}

// TestKillNineLosesNothingReported kills a writer at random moments; every note it reported done survives.
func TestKillNineLosesNothingReported(t *testing.T) {
	engines(t, func(t *testing.T, path string) {
		id := declareIn(t, path)
		var reported []string
		for trial := range 6 {
			cmd, out, _ := startWriter(t, path, id, 1_000_000, fmt.Sprintf("k%d", trial))
			timer := time.AfterFunc(time.Duration(20+rand.IntN(300))*time.Millisecond, func() {
				cmd.Process.Signal(syscall.SIGKILL)
			})
			for out.Scan() {
				reported = append(reported, strings.Fields(out.Text())[1])
			}
			cmd.Wait()
			timer.Stop()

			db, err := engine.Open(context.Background(), path, store.Options{})
			if err != nil {
				t.Fatalf("trial %d: reopen after kill -9: %v", trial, err)
			}
			if err := store.VerifyAll(context.Background(), db); err != nil {
				t.Fatalf("trial %d: %v", trial, err)
			}
			events, _ := db.Events(context.Background(), store.EventQuery{Incident: id})
			have := map[string]bool{}
			for _, ev := range events {
				have[ev.Text] = true
			}
			for _, r := range reported {
				if !have[r] {
					t.Fatalf("trial %d: note %s was reported done but is gone", trial, r)
				}
			}
			db.Close()
		}
		if len(reported) == 0 {
			t.Fatal("no writer got to report anything: the trials proved nothing")
		}
		t.Logf("%d notes reported and kept across 6 kill -9 trials", len(reported))
	})
}

// TestChangeFeedAcrossProcesses: a write in another process is seen here within half a second.
func TestChangeFeedAcrossProcesses(t *testing.T) {
	engines(t, func(t *testing.T, path string) {
		id := declareIn(t, path)
		db, _ := engine.Open(context.Background(), path, store.Options{})
		defer db.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		changes, err := db.Watch(ctx, 100*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		for round := range 3 {
			cmd, out, _ := startWriter(t, path, id, 1, fmt.Sprintf("feed%d", round))
			out.Scan() // committed
			done := time.Now()
			select {
			case <-changes:
				if d := time.Since(done); d > 500*time.Millisecond {
					t.Errorf("round %d: seen after %v, want < 500ms", round, d)
				}
			case <-time.After(3 * time.Second):
				t.Fatalf("round %d: the other process's write was never seen", round)
			}
			cmd.Wait()
			evs, _ := db.Events(ctx, store.EventQuery{Incident: id, Newest: true, Limit: 1})
			if len(evs) != 1 || evs[0].Text != fmt.Sprintf("feed%d-0", round) { // the writer's note, nothing else
				t.Fatalf("round %d: newest event %+v", round, evs)
			}
		}
	})
}
