package rollout

import (
	"context"
	"time"

	"github.com/firebreak/firebreak/store"
)

// HaltSwitch is the name of the off-switch.
const HaltSwitch = "halt"

// openStatuses are the incident statuses whose timelines hear about a halt.
var openStatuses = []string{"investigating", "identified", "mitigating", "monitoring"}

// Halt engages the off-switch: every run in every process stops within a second (in-flight commands are
// killed, no new host starts) and no run starts until Resume. It is recorded on every open incident.
// It returns the incidents it was recorded on.
func Halt(ctx context.Context, db *store.DB, actor, reason string, notify func(store.Event)) ([]int64, error) {
	return setHalt(ctx, db, actor, reason, true, notify)
}

// Resume releases the off-switch.
func Resume(ctx context.Context, db *store.DB, actor, reason string, notify func(store.Event)) ([]int64, error) {
	return setHalt(ctx, db, actor, reason, false, notify)
}

func setHalt(ctx context.Context, db *store.DB, actor, reason string, engage bool, notify func(store.Event)) ([]int64, error) {
	open, err := db.Incidents(ctx, store.IncidentQuery{Statuses: openStatuses})
	if err != nil {
		return nil, err
	}
	kind, text := KindHalt, "HALT: every run stopped by the off-switch"
	if !engage {
		kind, text = KindResume, "resumed: runs may start again"
	}
	if reason != "" {
		text += ": " + reason
	}
	var events []store.Event
	var ids []int64
	err = db.Write(ctx, func(tx *store.Tx) error {
		events, ids = nil, nil
		cur, err := tx.Switch(ctx, HaltSwitch)
		if err != nil {
			return err
		}
		if cur.Engaged == engage {
			return nil // already so: nothing to record
		}
		if err := tx.SetSwitch(ctx, store.Switch{Name: HaltSwitch, Engaged: engage, Reason: reason, Actor: actor, At: time.Now()}); err != nil {
			return err
		}
		for _, inc := range open {
			ev := store.Event{Incident: inc.ID, Actor: actor, Kind: kind, Text: text,
				Data: mustJSON(map[string]string{"reason": reason})}
			if err := tx.AppendEvent(ctx, &ev); err != nil {
				return err
			}
			events, ids = append(events, ev), append(ids, inc.ID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if notify != nil {
		for _, ev := range events {
			notify(ev)
		}
	}
	return ids, nil
}

// Halted reports whether the off-switch is engaged, and by whom.
func Halted(ctx context.Context, db *store.DB) (store.Switch, error) {
	return db.Switch(ctx, HaltSwitch)
}
