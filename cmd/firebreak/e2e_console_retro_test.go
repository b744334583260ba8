package main

import (
	"testing"
	"time"
)

// TestConsoleRetroLockAndNotWritten drives the real console in tmux: the preview marks an empty section
// "Not written." (with its prompt for the writer); a retrospective published from the command line refuses the editor with what reopens
// it; S reopens it (recorded) and the editor opens.
func TestConsoleRetroLockAndNotWritten(t *testing.T) {
	e := newEnv(t)
	inc := e.declare("locked retro", "--sev", "3")
	c := startConsole(t, e, 110, 32)
	c.waitFor(15*time.Second, inc)
	c.keys("Enter")
	c.waitFor(15*time.Second, "Checklist")
	c.keys("P")
	c.waitFor(15*time.Second, "Contributing factors")
	c.keys("Down", "Down", "Down", "p") // the detection section, empty
	c.waitFor(15*time.Second, "Detection", "Not written.", "How did we notice?")
	c.keys("Escape")
	c.waitFor(15*time.Second, "Contributing factors")
	c.keys("Up", "Up", "Up")

	e.ok("retro", "state", inc, "review")
	e.ok("retro", "state", inc, "published")
	c.waitFor(10*time.Second, "[published]")
	c.keys("Enter") // the summary
	c.waitFor(10*time.Second, "is published and its text is locked", "firebreak retro state "+inc, "S here does the same")
	c.keys("S")
	c.waitFor(10*time.Second, "[review]")
	c.keys("Enter")
	c.waitFor(10*time.Second, "Edit · Summary")
	found := false
	for _, ev := range e.timeline(inc) {
		found = found || ev.Kind == "retro_state" && ev.Text == "retrospective published → review"
	}
	if !found {
		t.Error("reopening from the console is not on the timeline")
	}
	c.checkWidth(110)
}
