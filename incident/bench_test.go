package incident

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/engine"
	"github.com/firebreak/firebreak/store/postgres/pgtest"
)

// BenchmarkAppend measures appending one note (one write transaction, fsync'd) with no other writer.
func BenchmarkAppend(b *testing.B) {
	path := benchTarget(b)
	id := declareIn(b, path)
	ctx := context.Background()
	db, err := engine.Open(ctx, path, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	s := &Service{DB: db, Actor: Actor{User: "bench"}}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if _, err := s.Note(ctx, id, "benchmark note"); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, lat)
}

// BenchmarkAppendFourProcesses runs four writer processes that each append b.N notes to the same incident
// as fast as they can, so they compete for the one write lock all the time, and reports the append latency
// every process saw (not one favoured process: SQLite's busy handler is not fair).
func BenchmarkAppendFourProcesses(b *testing.B) {
	path := benchTarget(b)
	id := declareIn(b, path)
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	b.ResetTimer()
	for p := range 4 {
		cmd, out, stderr := startWriter(b, path, id, b.N, fmt.Sprintf("p%d", p))
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for out.Scan() {
				f := strings.Fields(out.Text())
				if ns, err := strconv.ParseInt(f[len(f)-1], 10, 64); err == nil {
					mine = append(mine, time.Duration(ns))
				}
			}
			if err := cmd.Wait(); err != nil {
				b.Errorf("writer %d: %v %s", p, err, stderr.String())
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	b.StopTimer()
	if len(lat) != 4*b.N {
		b.Fatalf("%d appends reported, want %d", len(lat), 4*b.N)
	}
	reportLatency(b, lat)
}

func reportLatency(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// benchTarget is a fresh database for a benchmark: a SQLite file, or with FIREBREAK_BENCH_ENGINE=postgres a
// database on a private PostgreSQL server (go test -bench Append ./incident/ with and without it).
func benchTarget(b *testing.B) string {
	if os.Getenv("FIREBREAK_BENCH_ENGINE") == "postgres" {
		return pgtest.NewDatabase(b)
	}
	return filepath.Join(b.TempDir(), "fb.db")
}
