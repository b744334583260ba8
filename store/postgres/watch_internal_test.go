package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/postgres/pgtest"
)

// An idle feed pings its connection between waits, and the connection stays usable for the next
// notification.
func TestWatchSurvivesIdleChecks(t *testing.T) {
	idleCheck = 100 * time.Millisecond
	defer func() { idleCheck = 5 * time.Second }()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	u := pgtest.NewDatabase(t)
	db, err := Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ch, err := db.Watch(ctx, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(550 * time.Millisecond) // several idle checks
	select {
	case <-ch:
		t.Fatal("a signal without a write: the idle check reconnected")
	default:
	}
	if err := db.Write(ctx, func(tx store.Tx) error {
		_, err := tx.CreateIncident(ctx, store.IncidentRow{Title: "x", Status: "investigating"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
	case <-time.After(200 * time.Millisecond):
		t.Fatal("no signal after idle checks")
	}
}
