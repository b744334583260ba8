package main

import (
	"strings"
	"testing"
	"time"
)

// TestConsoleFoldsRunsAndFollowsTheRetro drives the real console in tmux: a run's per-host lines are folded
// into its stage lines in the timeline, enter on a stage line lists its hosts, the "everything" filter
// shows them; and the retrospective screen shows a section another person saved from the command line
// without any key pressed.
func TestConsoleFoldsRunsAndFollowsTheRetro(t *testing.T) {
	e := newEnv(t)
	inc := e.declare("folding", "--sev", "3")
	e.ok("run", inc, "--command", `: "$FIREBREAK_DRY_RUN"; echo folded-host-output`, "--hosts", "localhost", "--dry-run", "--yes")
	c := startConsole(t, e, 110, 32)
	c.waitFor(15*time.Second, inc)
	c.keys("Enter")
	c.waitFor(15*time.Second, "Checklist")
	c.keys("Tab")
	c.waitFor(15*time.Second, "stage 1/1 done: 1 ok")
	if strings.Contains(c.screen(), "RUN-1 localhost: ok") {
		t.Fatalf("the host line is not folded:\n%s", c.screen())
	}
	c.keys("G", "Up", "Enter") // the stage line, just above run_finished
	c.waitFor(15*time.Second, "hosts", "localhost", "exit 0")
	c.keys("Escape") // alone: escape then a letter in one burst is alt+letter to a terminal
	c.waitFor(15*time.Second, "filter all, runs folded")
	c.keys("f") // the next filter: everything
	c.waitFor(15*time.Second, "RUN-1 localhost: ok")

	c.keys("P")
	c.waitFor(15*time.Second, "Summary")
	e.with("FIREBREAK_USER", "bob").ok("retro", "set", inc, "summary", "written by bob from his terminal")
	c.waitFor(10*time.Second, "v1 by bob")
	c.checkWidth(110)
}
