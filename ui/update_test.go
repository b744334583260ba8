package ui

import (
	"encoding/json"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/store"
)

// TestUpdateKeyDraftsAndSends: U in the cockpit opens the drafted update in an editor; what is typed is
// sent with ctrl+s through incident.Service.PostUpdate; esc sends nothing.
func TestUpdateKeyDraftsAndSends(t *testing.T) {
	w := newWorld(t)
	w.fill()
	var notified []store.Event
	w.d.Incidents.Notify = func(_ *incident.Incident, ev store.Event) { notified = append(notified, ev) }
	m := w.model(100, 40)
	start(t, m)
	_, cmd := m.Update(openIncidentMsg{1})
	settle(t, m, cmd)

	press(t, m, "U")
	e, ok := m.overlay.(*updateEditor)
	if !ok {
		t.Fatalf("U opened %T", m.overlay)
	}
	view := ansi.Strip(m.View())
	for _, want := range []string{"Stakeholder update for INC-1", "INC-1 update: Checkout latency above 4s in EU", "Conditions",
		"RUN-1 ", "waiting for approval", "a second person to approve the next stage of RUN-1"} {
		if !strings.Contains(view, want) {
			t.Errorf("the editor lacks %q:\n%s", want, view)
		}
	}
	checkFits(t, m.View(), 100, 40)
	// esc: nothing is sent.
	press(t, m, "esc")
	if m.overlay != nil {
		t.Fatalf("esc left %T open", m.overlay)
	}
	press(t, m, "U")
	e = m.overlay.(*updateEditor)
	for _, r := range "Customers in the EU see slow checkouts. " {
		_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
		settle(t, m, cmd)
	}
	_, cmd = m.Update(tea.KeyMsg{Type: tea.KeyCtrlS})
	settle(t, m, cmd)
	if m.overlay != nil {
		t.Fatalf("ctrl+s left the editor open: %q", e.err)
	}
	evs, err := w.db.Events(w.ctx, store.EventQuery{Incident: 1, Kinds: []string{incident.KindUpdate}})
	if err != nil || len(evs) != 1 {
		t.Fatalf("%d update events (%v)", len(evs), err)
	}
	var d incident.UpdateData
	json.Unmarshal(evs[0].Data, &d)
	if !strings.HasPrefix(evs[0].Text, "Customers in the EU see slow checkouts. INC-1 update:") || !d.Edited || d.Status != incident.Identified || d.NextUpdate == "" {
		t.Errorf("recorded %q %+v", evs[0].Text, d)
	}
	if len(notified) != 1 || notified[0].Kind != incident.KindUpdate {
		t.Errorf("notified %+v", notified)
	}
	if !strings.Contains(ansi.Strip(m.View()), "update recorded") {
		t.Errorf("no word of it on the status line:\n%s", ansi.Strip(m.View()))
	}
}
