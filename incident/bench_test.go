package incident

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/firebreak/firebreak/store"
)

// BenchmarkAppend measures appending one note (one write transaction, fsync'd) with no other writer.
func BenchmarkAppend(b *testing.B) { benchAppend(b, 0) }

// BenchmarkAppendFourProcesses measures the same while three other processes append as fast as they can,
// so four writers compete for the one write lock.
func BenchmarkAppendFourProcesses(b *testing.B) { benchAppend(b, 3) }

func benchAppend(b *testing.B, others int) {
	path := filepath.Join(b.TempDir(), "fb.db")
	id := declareIn(b, path)
	for o := range others {
		cmd, out, _ := startWriter(b, path, id, 1_000_000, "bg"+string(rune('a'+o)))
		go func() {
			for out.Scan() {
			}
		}()
		b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	}
	ctx := context.Background()
	db, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	s := &Service{DB: db, Actor: Actor{User: "bench"}}
	if others > 0 {
		time.Sleep(300 * time.Millisecond) // let the others get going
	}
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
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
