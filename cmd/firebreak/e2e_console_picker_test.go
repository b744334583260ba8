package main

import (
	"strings"
	"testing"
	"time"
)

// TestConsoleStatusPickerAndEventDetails drives the real console in tmux: S opens the status picker on the
// next forward status (enter moves the incident forward, never back); in the timeline, enter opens the
// newest event whole, esc closes it.
func TestConsoleStatusPickerAndEventDetails(t *testing.T) {
	e := newEnv(t)
	inc := e.declare("picker paths", "--sev", "3")
	e.ok("role", inc, "commander", "alice")
	e.ok("status", inc, "identified")
	long := "a long note " + strings.Repeat("that goes on ", 15) + "END-OF-NOTE"
	e.ok("note", inc, long)
	c := startConsole(t, e, 100, 30)
	c.waitFor(15*time.Second, inc)
	c.keys("Enter")
	c.waitFor(15*time.Second, "Checklist", "IC alice") // the cockpit (the list shows the status too)
	c.keys("S")
	c.waitFor(15*time.Second, "Status of "+inc, "next")
	if !strings.Contains(c.screen(), "> mitigating") {
		t.Fatalf("the picker does not start on the next status:\n%s", c.screen())
	}
	c.keys("Enter")
	waitFor(t, "the status to move forward", 10*time.Second, func() bool { return e.show(inc).Status == "mitigating" })

	c.keys("Tab")
	c.waitFor(15*time.Second, "following")
	c.keys("G", "Up") // the note: the status change is the newest event
	c.keys("Enter")
	c.waitFor(15*time.Second, "END-OF-NOTE", "kind   note")
	c.keys("Escape")
	c.waitFor(15*time.Second, "filter all, runs folded")
	if strings.Contains(c.screen(), "END-OF-NOTE") {
		t.Fatalf("esc did not close the event:\n%s", c.screen())
	}
	c.checkWidth(100)
}
