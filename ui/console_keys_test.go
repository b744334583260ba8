package ui

import (
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks/rollout"
	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/ui/styles"
)

// TestStatusPickerPreselectsTheNextStep: the status picker starts on the next forward status, never on a
// step back or a status not allowed from here; the cursor never rests on a disallowed one and enter on it
// cannot choose it.
func TestStatusPickerPreselectsTheNextStep(t *testing.T) {
	for _, c := range []struct {
		from incident.Status
		want string
	}{
		{incident.Identified, "mitigating"},
		{incident.Mitigating, "monitoring"},
		{incident.Investigating, "identified"},
	} {
		t.Run(string(c.from), func(t *testing.T) {
			w := newWorld(t)
			w.fill()
			if c.from != incident.Identified {
				if _, _, err := w.as("alice").SetStatus(w.ctx, 1, c.from); err != nil {
					t.Fatal(err)
				}
			}
			m := w.model(100, 30)
			start(t, m)
			_, cmd := m.Update(openIncidentMsg{1})
			settle(t, m, cmd)
			press(t, m, "S")
			p, ok := m.overlay.(*picker)
			if !ok {
				t.Fatalf("S opened %T", m.overlay)
			}
			if got := p.items[p.shown[p.cursor]].id; got != c.want {
				t.Fatalf("preselected %q, want %q (%s)", got, c.want, p.title)
			}
			for _, k := range []string{"up", "up", "up", "up", "down", "down", "down", "down", "down", "down", "up"} {
				press(t, m, k)
				if it := p.items[p.shown[p.cursor]]; it.disabled {
					t.Fatalf("after %s the cursor rests on %q, which is %s", k, it.id, it.detail)
				}
			}
		})
	}
}

// TestEscClosesTheHelpFirst: with the full help open, esc closes it and stays on the screen.
func TestEscClosesTheHelpFirst(t *testing.T) {
	w := newWorld(t)
	w.fill()
	m := w.model(100, 30)
	start(t, m)
	_, cmd := m.Update(openIncidentMsg{1})
	settle(t, m, cmd)
	press(t, m, "?")
	if !m.help.ShowAll {
		t.Fatal("? did not open the full help")
	}
	press(t, m, "esc")
	if m.help.ShowAll {
		t.Fatal("esc did not close the full help")
	}
	if _, ok := m.active().(*cockpit); !ok {
		t.Fatalf("esc with the help open left the cockpit for %T", m.active())
	}
	press(t, m, "esc")
	if _, ok := m.active().(*cockpit); ok {
		t.Fatal("esc without help did not go back")
	}
}

// TestEnterOpensATimelineEventWhole: a note longer than the row opens whole with who, when, kind and its
// data, and esc closes it back to the timeline.
func TestEnterOpensATimelineEventWhole(t *testing.T) {
	w := newWorld(t)
	w.fill()
	long := "the primary is at 98% disk; " + strings.Repeat("more words about it ", 20) + "END-OF-NOTE"
	if _, err := w.as("bob").Note(w.ctx, 1, long); err != nil {
		t.Fatal(err)
	}
	m := w.model(90, 30)
	start(t, m)
	_, cmd := m.Update(openIncidentMsg{1})
	settle(t, m, cmd)
	press(t, m, "tab") // the timeline, following: the newest event (the note) is selected
	if strings.Contains(ansi.Strip(m.View()), "END-OF-NOTE") {
		t.Fatal("the row already shows the whole note: the test needs a longer one")
	}
	press(t, m, "enter")
	v, ok := m.overlay.(*textView)
	if !ok {
		t.Fatalf("enter opened %T", m.overlay)
	}
	view := ansi.Strip(m.View())
	for _, want := range []string{"END-OF-NOTE", "who    bob", "kind   note", "when   "} {
		if !strings.Contains(view, want) {
			t.Errorf("the event view lacks %q:\n%s", want, view)
		}
	}
	_ = v
	press(t, m, "esc")
	if m.overlay != nil {
		t.Fatal("esc did not close the event")
	}
}

// TestHaltBannerShowsTheReason: the halt banner wraps rather than cut the reason, and the frame still
// fits the terminal.
func TestHaltBannerShowsTheReason(t *testing.T) {
	w := newWorld(t)
	w.fill()
	m := w.model(60, 20)
	start(t, m)
	reason := "wrong cluster: the script targets prod-eu instead of staging-eu, stop everything now"
	m.Update(switchMsg{sw: store.Switch{Name: "halt", Engaged: true, Actor: "bob", Reason: reason, At: w.clock.now()}})
	frame := m.View()
	checkFits(t, frame, 60, 20)
	flat := strings.Join(strings.Fields(ansi.Strip(frame)), " ")
	if !strings.Contains(flat, reason) {
		t.Fatalf("the banner cut the reason:\n%s", ansi.Strip(frame))
	}
}

// TestPrefilledFieldIsReplaced: a prefilled value is a suggestion: typing replaces it, backspace clears it,
// and moving the cursor first keeps it for editing.
func TestPrefilledFieldIsReplaced(t *testing.T) {
	typed := func(in *input, keys ...tea.KeyMsg) string {
		for _, k := range keys {
			in.Update(k)
		}
		return in.Value()
	}
	r := func(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }
	if got := typed(newInput("now"), r("-"), r("1"), r("0"), r("m")); got != "-10m" {
		t.Errorf("typing over %q gave %q", "now", got)
	}
	if got := typed(newInput("n"), r("y")); got != "y" {
		t.Errorf("typing over %q gave %q", "n", got)
	}
	if got := typed(newInput("3"), tea.KeyMsg{Type: tea.KeyBackspace}); got != "" {
		t.Errorf("backspace on a suggestion left %q", got)
	}
	if got := typed(newInput("now"), tea.KeyMsg{Type: tea.KeyEnd}, r("-"), r("5"), r("m")); got != "now-5m" {
		t.Errorf("editing a suggestion after moving the cursor gave %q", got)
	}
}

// TestTimelineFoldsRunHosts: a run's per-host events fold into their stage's line; enter on it lists the
// hosts; the "everything" filter shows every event.
func TestTimelineFoldsRunHosts(t *testing.T) {
	w := newWorld(t)
	w.fill()
	var drafts []incident.Draft
	for i, st := range []rollout.HostState{rollout.OK, rollout.OK, rollout.Failed} {
		host := fmt.Sprintf("web-%02d", i+1)
		drafts = append(drafts, incident.Draft{Kind: incident.KindHostDone, Text: "RUN-1 " + host + ": " + string(st),
			Data: incident.HostDoneData{Run: 1, Host: host, Stage: 2, State: string(st), ExitCode: i}})
	}
	drafts = append(drafts, incident.Draft{Kind: incident.KindStageDone, Text: "RUN-1 stage 2/3 done: 2 ok, 1 failed",
		Data: incident.StageDoneData{Run: 1, Stage: 2, Counts: map[string]int{string(rollout.OK): 2, string(rollout.Failed): 1}}})
	if _, _, err := w.as("bob").Change(w.ctx, 1, func(*incident.Incident) ([]incident.Draft, error) { return drafts, nil }); err != nil {
		t.Fatal(err)
	}
	m := w.model(100, 30)
	start(t, m)
	_, cmd := m.Update(openIncidentMsg{1})
	settle(t, m, cmd)
	press(t, m, "tab")
	view := ansi.Strip(m.View())
	if strings.Contains(view, "RUN-1 web-01") || !strings.Contains(view, "RUN-1 stage 2/3 done: 2 ok, 1 failed") {
		t.Fatalf("the default view should fold the hosts into the stage line:\n%s", view)
	}
	press(t, m, "enter") // the newest event: the stage line
	view = ansi.Strip(m.View())
	for _, want := range []string{"web-01", "web-02", "web-03", "failed"} {
		if !strings.Contains(view, want) {
			t.Errorf("the expanded stage lacks %q:\n%s", want, view)
		}
	}
	press(t, m, "esc", "f") // the next filter: everything
	if view = ansi.Strip(m.View()); !strings.Contains(view, "RUN-1 web-03: failed") {
		t.Fatalf("the everything filter hides hosts:\n%s", view)
	}
}

// TestApproveDialogScrolls: the plan an approver sees scrolls, so nothing of it is out of reach.
func TestApproveDialogScrolls(t *testing.T) {
	var body []string
	for i := 1; i <= 30; i++ {
		body = append(body, fmt.Sprintf("plan line %02d", i))
	}
	c := newBriefConfirm(styles.New(), body, "Approve RUN-3?", nil)
	view := ansi.Strip(c.View(60, 10))
	if !strings.Contains(view, "plan line 01") || strings.Contains(view, "plan line 30") || !strings.Contains(view, "of 30") {
		t.Fatalf("first page:\n%s", view)
	}
	for range 40 {
		c.Update(tea.KeyMsg{Type: tea.KeyDown})
	}
	view = ansi.Strip(c.View(60, 10))
	if !strings.Contains(view, "plan line 30") || !strings.Contains(view, "Approve RUN-3?") {
		t.Fatalf("scrolled to the end:\n%s", view)
	}
}

// TestEscLeavesFromEveryPane: esc leaves the incident from the timeline and runs panes too (it did
// nothing there).
func TestEscLeavesFromEveryPane(t *testing.T) {
	for _, tabs := range []int{0, 1, 2} {
		w := newWorld(t)
		w.fill()
		m := w.model(100, 30)
		start(t, m)
		_, cmd := m.Update(openIncidentMsg{1})
		settle(t, m, cmd)
		for range tabs {
			press(t, m, "tab")
		}
		press(t, m, "esc")
		if _, ok := m.active().(*cockpit); ok {
			t.Errorf("esc in pane %d did not leave the incident", tabs)
		}
	}
}
