package main

import (
	"strings"
	"testing"
	"time"
)

// TestConsoleHandoverAndTrendsE2E opens the handover (h) and the trends (t) from the incident list in a real
// terminal and reads them: the handover follows a note another process adds, the trends change window on w.
func TestConsoleHandoverAndTrendsE2E(t *testing.T) {
	e := newEnv(t)
	inc := e.declare("checkout is down", "--sev", "1")
	e.declare("game day", "--drill", "--sev", "3")
	e.ok("--as", "alice", "role", inc, "commander", "alice")
	e.ok("attach", inc, "free-disk")
	e.ok("assign", inc, "free-disk", "diagnose", "bob")
	detected := time.Now().UTC().Truncate(time.Second).Add(-time.Minute)
	e.ok("milestone", inc, "detected", detected.Format(time.RFC3339))
	e.ok("milestone", inc, "impact_started", detected.Add(-20*time.Minute).Format(time.RFC3339))

	c := startConsole(t, e, 100, 30)
	c.waitFor(15*time.Second, "firebreak · incidents", inc)
	c.keys("?") // the full help names the two screens
	c.waitFor(5*time.Second, "handover", "trends", "all/recent")
	c.keys("?")
	c.keys("h")
	c.waitFor(10*time.Second, "firebreak · handover", "# Handover, ", "2 open incidents.", "## "+inc+" SEV1 investigating: checkout is down",
		"commander alice", "[ ] free-disk/diagnose: Find what is using the space, held by bob", "Last update: none since the declaration", "Runs: none in flight or waiting")
	// Another terminal adds a note: the handover shows it as the last update without a key.
	e.ok("--as", "carol", "note", inc, "EU only, rollback under way")
	c.waitFor(10*time.Second, "as carol (note): EU only, rollback under way")
	c.keys("G")
	c.waitFor(5*time.Second, "## INC-2 SEV3 investigating [DRILL]: game day")
	c.checkWidth(100)

	c.keys("Escape")
	c.waitFor(5*time.Second, "firebreak · incidents")
	c.keys("t")
	c.waitFor(10*time.Second, "firebreak · trends, last 90d", "2 incidents, 1 real, 1 drill", "## Incidents per week",
		"█ SEV1", "time to detect", "20m / 20m", "## Runbooks most used", "free-disk")
	c.checkWidth(100)
	c.keys("w")
	c.waitFor(10*time.Second, "firebreak · trends, last 30d")
	c.keys("G")
	c.waitFor(5*time.Second, "## Action items", "## What the numbers cannot say")
	// Smaller: the charts are laid out again for the width, no line wider than the terminal.
	c.tmux("resize-window", "-t", c.session, "-x", "50", "-y", "14")
	c.waitFor(10*time.Second, "firebreak · trends")
	time.Sleep(100 * time.Millisecond)
	c.checkWidth(50)
	c.tmux("resize-window", "-t", c.session, "-x", "100", "-y", "30")
	c.waitFor(10*time.Second, "## What the numbers cannot say")
	c.checkWidth(100)
	if s := c.screen(); strings.Contains(s, "panic") || strings.Contains(s, "goroutine ") {
		t.Fatalf("the console crashed:\n%s", s)
	}
	c.keys("Escape")
	c.waitFor(5*time.Second, "firebreak · incidents")
	c.keys("q")
	pollUntil(t, 10*time.Second, "the console to exit", func() bool { return c.exitStatus() != "" })
	if st := c.exitStatus(); st != "0" {
		t.Fatalf("the console exited %s:\n%s", st, c.screen())
	}
}
