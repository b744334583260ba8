package ui

import (
	"context"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/store"
)

// TestKeyBurstGoesToTheDialogItOpens feeds a real tea.Program a burst of keys through its input, all
// queued before the first is handled: ":" opens the note form and "hello" + enter must reach it, not the
// checklist behind (where enter opens a step's details); "enter" on the list then keys must reach the
// cockpit it opens. This is what a fast typist does; the synchronous test harness cannot show it.
func TestKeyBurstGoesToTheDialogItOpens(t *testing.T) {
	w := newWorld(t)
	w.fill()
	m := w.model(100, 30)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30))
	waitText(t, tm, "INC-3")
	// One burst: open INC-1 (second in the list), open the note form, type, submit.
	keys(tm, runes("j"), enter, runes(":"), runes("h"), runes("e"), runes("l"), runes("l"), runes("o"), enter)
	deadline := time.Now().Add(10 * time.Second)
	for {
		evs, err := w.db.Events(context.Background(), store.EventQuery{Incident: 1})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range evs {
			found = found || e.Kind == incident.KindNote && e.Text == "hello"
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the burst recorded no note \"hello\" on INC-1:\n%s", m.View())
		}
		time.Sleep(20 * time.Millisecond)
	}
	waitText(t, tm, "note added") // the form closes when the write reports back, a moment after it landed
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	if _, ok := final.active().(*cockpit); !ok || final.overlay != nil {
		t.Fatalf("after the burst the cockpit should show with no dialog open (a step's details opened?): %T overlay %v", final.active(), final.overlay)
	}
}
