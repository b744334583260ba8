package incident_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/incident/incidenttest"
	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/engine"
)

// BenchmarkDraftUpdate drafts a stakeholder update of an incident with 200,000 events (notes, mostly):
// the draft reads the incident, its runs and its latest actions, never the whole timeline.
func BenchmarkDraftUpdate(b *testing.B) {
	ctx := context.Background()
	db, err := engine.Open(ctx, filepath.Join(b.TempDir(), "fb.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := incidenttest.Generate(ctx, db, incidenttest.Spec{Incidents: 1, Events: 200_000, Open: 1, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	s := &incident.Service{DB: db, Actor: incident.Actor{User: "bench"}}
	b.ResetTimer()
	for range b.N {
		d, err := s.DraftUpdate(ctx, 1, incident.UpdateDraftOptions{})
		if err != nil || len(d.Actions) == 0 {
			b.Fatalf("%+v, %v", d, err)
		}
	}
}
