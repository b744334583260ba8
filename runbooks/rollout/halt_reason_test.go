package rollout

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/engine"
)

// TestHaltReasonFolded: the off-switch is never refused over its reason's text; a reason with line breaks
// or an escape sequence is folded onto one line before it reaches the timeline.
func TestHaltReasonFolded(t *testing.T) {
	ctx := context.Background()
	db, err := engine.Open(ctx, filepath.Join(t.TempDir(), "fb.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc := &incident.Service{DB: db, Actor: incident.ParseActor("root as alice")}
	inc, err := svc.Declare(ctx, "db down", incident.SEV2, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Halt(ctx, db, "root as alice", "wrong\ncluster\x1b]52;c;eA==\x07\n# forged", nil); err != nil {
		t.Fatal(err)
	}
	evs, err := db.Events(ctx, store.EventQuery{Incident: inc.ID})
	if err != nil {
		t.Fatal(err)
	}
	last := evs[len(evs)-1]
	if want := "HALT: every run stopped by the off-switch: wrong cluster]52;c;eA== # forged"; last.Text != want {
		t.Errorf("halt event text %q, want %q", last.Text, want)
	}
}
