package incidenttest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/engine"
)

func TestGenerate(t *testing.T) {
	ctx := context.Background()
	db, err := engine.Open(ctx, filepath.Join(t.TempDir(), "fb.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := Generate(ctx, db, Spec{Incidents: 20, Events: 400}); err != nil {
		t.Fatal(err)
	}
	s := &incident.Service{DB: db}
	all, _ := s.List(ctx, true)
	open, _ := s.List(ctx, false)
	if len(all) != 20 || len(open) != 1 {
		t.Fatalf("%d incidents (%d open), want 20 (1 open)", len(all), len(open))
	}
	var events int64
	for _, inc := range all {
		events += inc.Events
		if inc.Commander == "" {
			t.Errorf("%s has no commander", inc.Ref)
		}
	}
	if events < 380 || events > 420 {
		t.Errorf("%d events, want about 400", events)
	}
	if err := store.VerifyAll(ctx, db); err != nil {
		t.Fatal(err)
	}
}
