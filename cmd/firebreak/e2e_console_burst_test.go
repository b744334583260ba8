package main

import (
	"strings"
	"testing"
	"time"

	"github.com/firebreak/firebreak/incident"
)

// TestConsoleKeyBurst types into the real console in a real terminal the way a stressed person does: in
// one tmux send-keys, enter (open the incident), ":" (open the note form), the note and Enter. Every key
// must reach what the key before it opened: the note is recorded, and no checklist step was touched.
func TestConsoleKeyBurst(t *testing.T) {
	e := newEnv(t)
	inc := e.declare("keys in a hurry", "--sev", "3")
	e.ok("attach", inc, "restart-service")
	c := startConsole(t, e, 100, 30)
	c.waitFor(15*time.Second, inc)
	c.keys("Enter", ":burst note from a fast typist", "Enter")
	waitFor(t, "the note typed in one burst", 10*time.Second, func() bool {
		for _, ev := range e.timeline(inc) {
			if ev.Kind == "note" && ev.Text == "burst note from a fast typist" {
				return true
			}
		}
		return false
	})
	time.Sleep(300 * time.Millisecond)
	for _, ev := range e.timeline(inc) {
		if ev.Kind == incident.KindTick || ev.Kind == incident.KindSkip || ev.Kind == incident.KindAssign {
			t.Errorf("a key of the burst reached the checklist: %s %s", ev.Kind, ev.Text)
		}
	}
	if strings.Contains(c.screen(), "esc closes") {
		t.Errorf("the Enter of the burst opened a step's details:\n%s", c.screen())
	}
	c.checkWidth(100)
}
