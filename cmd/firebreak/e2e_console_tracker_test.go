package main

import (
	"strings"
	"testing"
	"time"
)

// TestConsoleUpdateAndPush drives the real console in tmux: U in an incident drafts a stakeholder update,
// what is typed goes out with ctrl+s and lands on the timeline; T on an action item in the retrospective
// creates its ticket with the configured tracker (a stand-in script) once.
func TestConsoleUpdateAndPush(t *testing.T) {
	e, calls := trackerEnv(t, `echo "OPS-$FIREBREAK_ACTION_ITEM"`, "10s")
	c := startConsole(t, e, 110, 32)
	c.waitFor(15*time.Second, "INC-1")
	c.keys("Enter")
	c.waitFor(15*time.Second, "Checklist")

	c.keys("U")
	c.waitFor(15*time.Second, "Stakeholder update for INC-1", "INC-1 update: checkout down", "Conditions", "Needs")
	c.text("EU customers cannot pay. ")
	c.keys("C-s")
	c.waitFor(15*time.Second, "update recorded")
	ev, d := lastUpdate(t, e, "INC-1")
	if !strings.HasPrefix(ev.Text, "EU customers cannot pay. INC-1 update: checkout down") || !d.Edited {
		t.Errorf("recorded %q %+v", ev.Text, d)
	}

	c.keys("P")
	c.waitFor(15*time.Second, "Summary", "1. alert on disk > 90%", "2. rotate logs hourly")
	c.keys("G") // the last row: action item 2
	c.keys("T")
	c.waitFor(15*time.Second, "Create a ticket in the tracker for action item 2")
	c.keys("y")
	c.waitFor(15*time.Second, "action item 2: ticket OPS-2")
	if show := e.ok("retro", "show", "INC-1"); !strings.Contains(show, "2. [ ] rotate logs hourly (owner -, ticket OPS-2") || calls() != 1 {
		t.Errorf("after T: %d calls\n%s", calls(), show)
	}
	c.keys("T")
	c.waitFor(15*time.Second, "has ticket OPS-2 already")
	if calls() != 1 {
		t.Errorf("T on a linked item ran the tracker: %d calls", calls())
	}
	c.checkWidth(110)
}
