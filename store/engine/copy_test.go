package engine

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/postgres/pgtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

// TestCopyKeepsAnEngagedHalt: a record copied while its off-switch is engaged is halted in the copy too,
// whichever engine receives it, and reopening the copy records nothing (no spurious resume).
func TestCopyKeepsAnEngagedHalt(t *testing.T) {
	ctx := context.Background()
	src, err := Open(ctx, filepath.Join(t.TempDir(), "src.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	sw := store.Switch{Name: "halt", Engaged: true, Reason: "wrong cluster", Actor: "alice", At: time.Now()}
	if err := src.Halt().Write(sw); err != nil {
		t.Fatal(err)
	}
	if err := src.Write(ctx, func(tx store.Tx) error {
		id, err := tx.CreateIncident(ctx, store.IncidentRow{Title: "t", Severity: 2, Status: "investigating", DeclaredAt: time.Now()})
		if err != nil {
			return err
		}
		if err := tx.AppendEvent(ctx, &store.Event{Incident: id, Kind: "declared"}); err != nil {
			return err
		}
		return tx.SetSwitch(ctx, sw)
	}); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"sqlite": filepath.Join(t.TempDir(), "dst.db"), "postgres": pgtest.NewDatabase(t)} {
		dst, err := Open(ctx, target, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Copy(ctx, src, dst); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		dst.Close()
		again, err := Open(ctx, target, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := again.Halt().Read()
		if err != nil || !got.Engaged || got.Reason != "wrong cluster" {
			t.Errorf("%s: the copy's off-switch is %+v (%v), want engaged as the record says", name, got, err)
		}
		again.Close()
	}
}
