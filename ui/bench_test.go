package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/engine"
	"github.com/firebreak/firebreak/ui/deps"
	"github.com/firebreak/firebreak/ui/styles"
)

// BenchmarkTimelineFrame renders one whole frame (80×24) of the cockpit on the timeline pane of an incident
// with 200,000 events, scrolled to the middle of the bounded window. With FIREBREAK_BENCH_DB naming a
// database made by `firebreak-gen --incidents 1 --events 200000`, the events are read from it through the
// console's own loads; without it, the pane is filled with as many generated events as the window holds.
func BenchmarkTimelineFrame(b *testing.B) {
	t := &testing.T{}
	var m *Model
	if path := os.Getenv("FIREBREAK_BENCH_DB"); path != "" {
		ctx := context.Background()
		db, err := engine.Open(ctx, path, store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		svc := &incident.Service{DB: db, Actor: incident.Actor{User: "bench"}}
		m = New(ctx, deps.Deps{Incidents: svc, DB: db, Actor: svc.Actor}, Options{Styles: styles.New(), GlamourStyle: "notty"})
		m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
		settle(t, m, func() tea.Msg { return openIncidentMsg{1} })
	} else {
		w := newWorld(&testing.T{})
		inc, err := w.d.Incidents.Declare(w.ctx, "200,000 events", incident.SEV1, false)
		if err != nil {
			b.Fatal(err)
		}
		m = w.model(80, 24)
		settle(t, m, func() tea.Msg { return openIncidentMsg{inc.ID} })
		cp := m.active().(*cockpit)
		evs := make([]store.Event, timelinePage)
		for i := range evs {
			seq := int64(200000 - timelinePage + 1 + i)
			evs[i] = store.Event{Incident: inc.ID, Seq: seq, At: fixedNow, Actor: "bob as alice", Kind: "note",
				Text: fmt.Sprintf("note %d: p99 latency on checkout at 4.2s, error rate 3%%, db primary CPU at 95%%", seq), Data: json.RawMessage("{}")}
		}
		m.Update(eventsMsg{id: inc.ID, mode: loadReset, evs: evs})
		for cp.timeline.first() > 200000-windowMax+1 {
			first := cp.timeline.first()
			older := make([]store.Event, timelinePage)
			for i := range older {
				older[i] = evs[i]
				older[i].Seq = first - timelinePage + int64(i)
			}
			m.Update(eventsMsg{id: inc.ID, mode: loadOlder, evs: older})
		}
	}
	cp := m.active().(*cockpit)
	press(t, m, "tab")
	for range 50 {
		press(t, m, "up")
	}
	if n := len(cp.timeline.win); n == 0 || cp.timeline.last() < 199000 {
		b.Fatalf("window of %d events up to %d, want the newest of about 200,000", n, cp.timeline.last())
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		_ = m.View()
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/float64(b.N)/1000, "ms/frame")
}
