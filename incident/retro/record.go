package retro

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/store"
)

func textHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func savedOf(v store.RetroVersion) incident.RetroSavedData {
	return incident.RetroSavedData{Section: v.Section, Version: v.Version, Base: v.Base, Conflict: v.Conflict, TextSHA256: textHash(v.Text)}
}

func actionOf(a store.ActionItem) incident.ActionItemData {
	return incident.ActionItemData{Item: a.Item, Version: a.Version, Text: a.Text, Owner: a.Owner, Ticket: a.Ticket, Due: a.Due, Kind: a.Kind,
		Done: a.Done, Removed: a.Removed}
}

// recordVersion appends the retro_saved event of a version just saved, in the same transaction.
func recordVersion(ctx context.Context, tx store.Tx, v store.RetroVersion) error {
	data, _ := json.Marshal(savedOf(v))
	ev := store.Event{Incident: v.Incident, At: v.At, Actor: v.Author, Kind: incident.KindRetroSaved, Data: data,
		Text: fmt.Sprintf("saved version %d of the retrospective's %s section", v.Version, v.Section)}
	return tx.AppendEvent(ctx, &ev)
}

// recordAction appends the action_item event of an action item version just saved, in the same transaction.
func recordAction(ctx context.Context, tx store.Tx, a store.ActionItem) error {
	data, _ := json.Marshal(actionOf(a))
	what := "changed"
	switch {
	case a.Removed:
		what = "removed"
	case a.Version == 1:
		what = "added"
	}
	ev := store.Event{Incident: a.Incident, At: a.At, Actor: a.Author, Kind: incident.KindActionItem, Data: data,
		Text: fmt.Sprintf("action item %d %s (version %d)", a.Item, what, a.Version)}
	return tx.AppendEvent(ctx, &ev)
}

// Verify checks an incident's retrospective versions and action items against the events that record them:
// every version has its event, every event its version, with the same content. It returns a *store.Mismatch
// for the first that disagrees, and how many rows predate the chain (legacy: no event records them).
func Verify(ctx context.Context, db store.Store, id int64) (legacy int, err error) {
	versions, err := db.RetroVersions(ctx, id)
	if err != nil {
		return 0, err
	}
	actions, err := db.ActionItemVersions(ctx, id)
	if err != nil {
		return 0, err
	}
	type vkey struct {
		section string
		version int
	}
	type akey struct{ item, version int }
	vrows, arows := map[vkey]store.RetroVersion{}, map[akey]store.ActionItem{}
	for _, v := range versions {
		if v.Legacy {
			legacy++
		} else {
			vrows[vkey{v.Section, v.Version}] = v
		}
	}
	for _, a := range actions {
		if a.Legacy {
			legacy++
		} else {
			arows[akey{a.Item, a.Version}] = a
		}
	}
	events, err := db.Events(ctx, store.EventQuery{Incident: id, Kinds: []string{incident.KindRetroSaved, incident.KindActionItem}})
	if err != nil {
		return legacy, err
	}
	bad := func(seq int64, format string, args ...any) error {
		return &store.Mismatch{Incident: id, Seq: seq, Reason: fmt.Sprintf(format, args...)}
	}
	for _, ev := range events {
		switch ev.Kind {
		case incident.KindRetroSaved:
			var d incident.RetroSavedData
			if err := json.Unmarshal(ev.Data, &d); err != nil {
				return legacy, bad(ev.Seq, "the retro_saved event is unreadable: %v", err)
			}
			k := vkey{d.Section, d.Version}
			v, ok := vrows[k]
			switch {
			case !ok:
				return legacy, bad(ev.Seq, "version %d of the retrospective's %s section is missing from the database", d.Version, d.Section)
			case savedOf(v) != d:
				return legacy, bad(ev.Seq, "version %d of the retrospective's %s section is not the text that was saved", d.Version, d.Section)
			case v.Author != ev.Actor || store.FormatTime(v.At) != store.FormatTime(ev.At):
				return legacy, bad(ev.Seq, "version %d of the retrospective's %s section names another author or time than the timeline", d.Version, d.Section)
			}
			delete(vrows, k)
		case incident.KindActionItem:
			var d incident.ActionItemData
			if err := json.Unmarshal(ev.Data, &d); err != nil {
				return legacy, bad(ev.Seq, "the action_item event is unreadable: %v", err)
			}
			k := akey{d.Item, d.Version}
			a, ok := arows[k]
			switch {
			case !ok:
				return legacy, bad(ev.Seq, "version %d of action item %d is missing from the database", d.Version, d.Item)
			case actionOf(a) != d:
				return legacy, bad(ev.Seq, "version %d of action item %d differs from what the timeline recorded", d.Version, d.Item)
			case a.Author != ev.Actor || store.FormatTime(a.At) != store.FormatTime(ev.At):
				return legacy, bad(ev.Seq, "version %d of action item %d names another author or time than the timeline", d.Version, d.Item)
			}
			delete(arows, k)
		}
	}
	for _, v := range versions {
		if _, extra := vrows[vkey{v.Section, v.Version}]; extra {
			return legacy, bad(0, "version %d of the retrospective's %s section is on no event: it was added behind firebreak's back", v.Version, v.Section)
		}
	}
	for _, a := range actions {
		if _, extra := arows[akey{a.Item, a.Version}]; extra {
			return legacy, bad(0, "version %d of action item %d is on no event: it was added behind firebreak's back", a.Version, a.Item)
		}
	}
	return legacy, nil
}
