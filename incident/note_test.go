package incident

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/engine"
)

// A backdated note is about the time its data names, and the state lists it; a note about now, and every
// other kind, is about when it was recorded.
func TestEventTimeOfBackdatedNotes(t *testing.T) {
	written := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		kind, data string
		want       time.Time
		backdated  bool
	}{
		{KindNote, `{"at":"2026-11-29T01:40:00.000000Z"}`, time.Date(2026, 11, 29, 1, 40, 0, 0, time.UTC), true},
		{KindNote, `{}`, written, false},
		{KindNote, `{"at":"yesterday"}`, written, false},
		{KindHalt, `{"at":"2026-11-29T01:40:00.000000Z","reason":""}`, written, false},
	} {
		at, backdated := EventTime(store.Event{Kind: c.kind, At: written, Data: []byte(c.data)})
		if !at.Equal(c.want) || backdated != c.backdated {
			t.Errorf("%s %s: %s %v, want %s %v", c.kind, c.data, at, backdated, c.want, c.backdated)
		}
	}
}

// NoteAt records a note about an earlier time: the event is written now with that time in its data, the
// state lists it, the projection replays, and a time in the future is refused with nothing written.
func TestNoteAt(t *testing.T) {
	ctx := context.Background()
	db, err := engine.Open(ctx, filepath.Join(t.TempDir(), "fb.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)
	s := &Service{DB: db, Actor: ParseActor("bob"), Now: func() time.Time { return now }}
	inc, err := s.Declare(ctx, "checkout errors", SEV2, false)
	if err != nil {
		t.Fatal(err)
	}
	before := now.Add(-80 * time.Minute)
	ev, err := s.NoteAt(ctx, inc.ID, "p99 crept up", before)
	if err != nil {
		t.Fatal(err)
	}
	if !ev.At.Equal(now) || string(ev.Data) != `{"at":"2026-11-29T01:40:00.000000Z"}` {
		t.Errorf("event written %s with data %s", ev.At, ev.Data)
	}
	if at, backdated := EventTime(ev); !backdated || !at.Equal(before) {
		t.Errorf("EventTime %s %v", at, backdated)
	}
	plain, err := s.NoteAt(ctx, inc.ID, "about now", time.Time{})
	if err != nil || string(plain.Data) != "{}" {
		t.Errorf("a note with no time: %s %v", plain.Data, err)
	}
	_, err = s.NoteAt(ctx, inc.ID, "from the future", now.Add(time.Minute))
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("a note in the future: %v, want invalid", err)
	}
	got, err := s.Get(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Backdated) != 1 || got.Backdated[0] != ev.Seq || got.Events != plain.Seq {
		t.Errorf("state: backdated %v, events %d", got.Backdated, got.Events)
	}
	if err := VerifyProjection(ctx, db, inc.ID); err != nil {
		t.Errorf("the projection does not replay: %v", err)
	}
}
