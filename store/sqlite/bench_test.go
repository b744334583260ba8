package sqlite

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/firebreak/firebreak/store"
)

// BenchmarkAppend appends one event per Write (one transaction each, synced to disk as every command's
// event is) to one incident, and reports the latency of a Write at the 50th and 99th percentiles.
func BenchmarkAppend(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "fb.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var id int64
	if err := db.Write(ctx, func(tx store.Tx) error {
		id, err = tx.CreateIncident(ctx, store.IncidentRow{Title: "bench", Severity: 2, Status: "investigating", DeclaredAt: time.Now()})
		return err
	}); err != nil {
		b.Fatal(err)
	}
	data := json.RawMessage(`{"host":"web-1","exit":0,"note":"a line of text about what happened"}`)
	var lat []time.Duration
	for b.Loop() {
		start := time.Now()
		err := db.Write(ctx, func(tx store.Tx) error {
			return tx.AppendEvent(ctx, &store.Event{Incident: id, Actor: "bench", Kind: "note", Text: "appended by the benchmark", Data: data})
		})
		lat = append(lat, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
