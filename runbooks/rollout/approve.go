package rollout

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/firebreak/firebreak/store"
)

// Approve records person's approval of a run that waits for one. The person who started the run cannot
// approve it: "one person shouldn't be able to break production".
func Approve(ctx context.Context, db *store.DB, run int64, actor string, notify func(store.Event)) (store.Event, error) {
	person := PersonOf(actor)
	var ev store.Event
	err := db.Write(ctx, func(tx *store.Tx) error {
		r, err := tx.Run(ctx, run)
		if errors.Is(err, store.ErrNotFound) {
			return store.Errorf(ErrNotFound, "%s does not exist (firebreak runs lists them)", RunRef(run))
		}
		if err != nil {
			return err
		}
		switch {
		case r.Status != StatusWaiting || r.WaitingFor != "approval":
			return store.Errorf(ErrRefused, "%s is %s and is not waiting for an approval", RunRef(run), describeStatus(r))
		case PersonOf(r.StartedBy) == person:
			return store.Errorf(ErrRefused, "%s was started by %s, who cannot approve it too: another person runs firebreak approve %s (on a shared account: --as NAME)", RunRef(run), person, RunRef(run))
		}
		if err := tx.Approve(ctx, store.Approval{Run: run, Stage: r.Stage, Person: person, Actor: actor, At: time.Now()}); err != nil {
			return err
		}
		ev = store.Event{Incident: r.Incident, Actor: actor, Kind: KindApproved,
			Text: fmt.Sprintf("%s approved by %s after stage %d: the wider stages may go ahead", RunRef(run), person, r.Stage),
			Data: mustJSON(map[string]any{"run": run, "stage": r.Stage, "person": person})}
		return tx.AppendEvent(ctx, &ev)
	})
	if err == nil && notify != nil {
		notify(ev)
	}
	return ev, err
}

// ErrNotFound marks a run that does not exist.
var ErrNotFound = errors.New("not found")

func describeStatus(r store.RunRow) string {
	if r.Status == StatusWaiting {
		return "waiting for " + r.WaitingFor
	}
	return r.Status
}
