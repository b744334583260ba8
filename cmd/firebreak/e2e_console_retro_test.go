package main

import (
	"testing"
	"time"
)

// TestConsoleRetroLockAndNotWritten drives the real console in tmux: a backdated note is marked on the
// timeline with the time it is about; the preview marks an empty section
// "Not written." (with its prompt for the writer); a retrospective published from the command line refuses the editor with what reopens
// it; S reopens it (recorded) and the editor opens.
func TestConsoleRetroLockAndNotWritten(t *testing.T) {
	e := newEnv(t)
	inc := e.declare("locked retro", "--sev", "3")
	e.ok("note", inc, "--at", "2026-01-02T03:04:00Z", "an early sign")
	c := startConsole(t, e, 110, 32)
	c.waitFor(15*time.Second, inc)
	c.keys("Enter")
	c.waitFor(15*time.Second, "Checklist")
	c.keys("Tab")
	c.waitFor(15*time.Second, "(backdated to 2026-01-02 03:04Z) an early sign")
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
