package rollout

import (
	"context"
	"fmt"
	"time"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/store"
)

// HaltSwitch is the name of the off-switch.
const HaltSwitch = "halt"

// openStatuses are the incident statuses whose timelines hear about a halt.
var openStatuses = []string{"investigating", "identified", "mitigating", "monitoring"}

// HaltResult says what a halt or resume did.
type HaltResult struct {
	// Incidents are the open incidents it was recorded on.
	Incidents []int64
	// RecordErr, when set, says the switch took effect (every run obeys the off-switch file) but the
	// timeline could not be written yet (a full disk, say); it is recorded as soon as it can be.
	RecordErr error
}

// Halt engages the off-switch: every run in every process stops within a second (in-flight commands are
// killed, no new host starts) and no run starts until Resume. The switch is the off-switch file, which
// needs no free disk space; the halt is then recorded on every open incident. The reason is folded onto one
// line rather than refused: nothing about its text may stop the off-switch.
func Halt(ctx context.Context, db store.Store, actor, reason string, notify func(store.Event)) (HaltResult, error) {
	return setHalt(ctx, db, store.Switch{Name: HaltSwitch, Engaged: true, Actor: actor, Reason: incident.FoldLine(reason), At: time.Now()}, notify)
}

// Resume releases the off-switch.
func Resume(ctx context.Context, db store.Store, actor, reason string, notify func(store.Event)) (HaltResult, error) {
	return setHalt(ctx, db, store.Switch{Name: HaltSwitch, Engaged: false, Actor: actor, Reason: incident.FoldLine(reason), At: time.Now()}, notify)
}

func setHalt(ctx context.Context, db store.Store, sw store.Switch, notify func(store.Event)) (HaltResult, error) {
	if err := db.Halt().Write(sw); err != nil {
		return HaltResult{}, err
	}
	ids, err := SyncHalt(ctx, db, notify)
	return HaltResult{Incidents: ids, RecordErr: err}, nil
}

// SyncHalt records on the timeline what the off-switch file says, when the record does not say it yet: a
// halt engaged while the database could not be written is recorded by the next firebreak that can. It
// returns the incidents it recorded it on.
func SyncHalt(ctx context.Context, db store.Store, notify func(store.Event)) ([]int64, error) {
	sw, err := db.Halt().Read()
	if err != nil {
		return nil, err
	}
	if cur, err := db.Switch(ctx, HaltSwitch); err == nil && cur.Engaged == sw.Engaged {
		return nil, nil // the record agrees: nothing to write (the common case, checked without a writer)
	}
	var events []store.Event
	var ids []int64
	err = db.Write(ctx, func(tx store.Tx) error {
		events, ids = nil, nil
		cur, err := tx.Switch(ctx, HaltSwitch)
		if err != nil {
			return err
		}
		if cur.Engaged == sw.Engaged {
			return nil // already so: nothing to record
		}
		if sw.At.IsZero() {
			sw.At = time.Now()
		}
		if err := tx.SetSwitch(ctx, sw); err != nil {
			return err
		}
		open, err := tx.Incidents(ctx, store.IncidentQuery{Statuses: openStatuses})
		if err != nil {
			return err
		}
		kind, text := incident.KindHalt, "HALT: every run stopped by the off-switch"
		if !sw.Engaged {
			kind, text = incident.KindResume, "resumed: runs may start again"
		}
		if sw.Reason != "" {
			text += ": " + sw.Reason
		}
		for _, inc := range open {
			ev := store.Event{Incident: inc.ID, Actor: sw.Actor, Kind: kind, Text: text,
				Data: mustJSON(incident.SwitchData{Reason: sw.Reason, At: store.FormatTime(sw.At)})}
			if err := tx.AppendEvent(ctx, &ev); err != nil {
				return err
			}
			events, ids = append(events, ev), append(ids, inc.ID)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("recording the off-switch on the timeline: %w", err)
	}
	if notify != nil {
		for _, ev := range events {
			notify(ev)
		}
	}
	return ids, nil
}

// Halted reports whether the off-switch is engaged, and by whom: the off-switch file, which every run
// obeys.
func Halted(ctx context.Context, db store.Store) (store.Switch, error) {
	return db.Halt().Read()
}
