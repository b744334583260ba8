package main

// End-to-end tests of the console: the real binary in a real terminal (tmux), driven with send-keys and
// read with capture-pane, next to other firebreak processes writing to the same database.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tmuxConsole is a firebreak console running in a detached tmux session on a private tmux server.
type tmuxConsole struct {
	t          testing.TB
	socket     string
	session    string
	statusFile string // where the wrapper shell writes the console's exit status
}

// startConsole starts `firebreak` (the console) in e's environment in a w×h tmux window.
func startConsole(t *testing.T, e *fbEnv, w, h int) *tmuxConsole {
	t.Helper()
	return startInTmux(t, e, w, h, fbBin)
}

// startInTmux starts argv (firebreak, or ssh to a firebreak serve) in e's environment in a w×h tmux window.
func startInTmux(t testing.TB, e *fbEnv, w, h int, argv ...string) *tmuxConsole {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is not installed: apt-get install tmux (.ci/test installs it)")
	}
	c := &tmuxConsole{t: t, socket: fmt.Sprintf("fbe2e-%d-%d", os.Getpid(), time.Now().UnixNano()), session: "console"}
	// env -i: the console sees exactly the test's environment, not the tmux server's.
	args := []string{"new-session", "-d", "-s", c.session, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), "-c", e.work,
		"env", "-i", "TERM=screen", "LANG=C.UTF-8", "PATH=" + os.Getenv("PATH")}
	for _, kv := range e.environ() {
		if k, _, _ := strings.Cut(kv, "="); k == "TERM" || k == "LANG" || k == "TMUX" || k == "NO_COLOR" {
			continue
		}
		args = append(args, kv)
	}
	// tmux does not always record a dead pane's exit status: a wrapper shell writes it to a file.
	c.statusFile = filepath.Join(t.TempDir(), "exit-status")
	args = append(args, "FIREBREAK_E2E_STATUS="+c.statusFile, "sh", "-c", `"$@"; echo $? > "$FIREBREAK_E2E_STATUS"`, "sh")
	args = append(args, argv...)
	t.Cleanup(func() { exec.Command("tmux", "-L", c.socket, "kill-server").Run() })
	c.tmux(args...)
	// Keep the pane after the console exits, so its exit status (and any crash) can be read.
	c.tmux("set-option", "-t", c.session, "remain-on-exit", "on")
	return c
}

func (c *tmuxConsole) tmux(args ...string) string {
	c.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", c.socket}, args...)...).CombinedOutput()
	if err != nil {
		c.t.Fatalf("tmux %q: %v: %s", args, err, out)
	}
	return string(out)
}

// screen is what the terminal shows now.
func (c *tmuxConsole) screen() string { return c.tmux("capture-pane", "-p", "-t", c.session) }

// keys sends tmux key names (Enter, Tab, Space, BSpace, ...).
func (c *tmuxConsole) keys(keys ...string) {
	c.tmux(append([]string{"send-keys", "-t", c.session}, keys...)...)
}

// text types text literally.
func (c *tmuxConsole) text(s string) { c.tmux("send-keys", "-t", c.session, "-l", s) }

// waitFor polls the screen until it contains every one of texts, and returns how long that took.
func (c *tmuxConsole) waitFor(within time.Duration, texts ...string) time.Duration {
	c.t.Helper()
	start := time.Now()
	deadline := start.Add(within)
	for {
		s := c.screen()
		missing := ""
		for _, x := range texts {
			if !strings.Contains(s, x) {
				missing = x
				break
			}
		}
		if missing == "" {
			return time.Since(start)
		}
		if c.dead() {
			c.t.Fatalf("the console exited while waiting for %q:\n%s", missing, s)
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("not within %s: the screen does not show %q:\n%s", within, missing, s)
		}
		time.Sleep(15 * time.Millisecond)
	}
}

// dead reports whether the console has exited (the pane stays, remain-on-exit).
func (c *tmuxConsole) dead() bool {
	return strings.HasPrefix(c.tmux("display-message", "-p", "-t", c.session, "#{pane_dead}"), "1")
}

// exitStatus is the console's exit status ("" until it has exited).
func (c *tmuxConsole) exitStatus() string {
	b, _ := os.ReadFile(c.statusFile)
	return strings.TrimSpace(string(b))
}

func (c *tmuxConsole) checkWidth(w int) {
	c.t.Helper()
	for i, l := range strings.Split(strings.TrimRight(c.screen(), "\n"), "\n") {
		if n := len([]rune(l)); n > w {
			c.t.Errorf("line %d is %d wide in a %d-wide terminal: %q", i+1, n, w, l)
		}
	}
}

func TestConsoleE2E(t *testing.T) {
	e := newEnv(t)
	c := startConsole(t, e, 100, 30)
	c.waitFor(15*time.Second, "firebreak · incidents", "No open incidents", "! HALT")

	// Declare from the console: title, severity 2, not a drill. The new incident opens.
	c.keys("n")
	c.waitFor(15*time.Second, "Declare an incident")
	c.text("Disk full on web-07")
	c.keys("Tab")
	c.text("2")     // replaces the suggested severity
	c.keys("Enter") // submits from any field
	c.waitFor(15*time.Second, "INC-1 Disk full on web-07", "SEV2 · investigating")
	if s := e.show("INC-1"); s.Title != "Disk full on web-07" || s.Severity != "SEV2" || s.Drill {
		t.Fatalf("declared from the console: %+v", s)
	}

	// Attach a runbook from the library, tick its first step.
	c.keys("a")
	c.waitFor(15*time.Second, "Attach a runbook", "free-disk")
	c.text("free-disk")
	c.keys("Enter")
	c.waitFor(15*time.Second, "free-disk · Free disk space", "[ ] Find what is using the space")
	c.keys("Space")
	c.waitFor(15*time.Second, "[x] Find what is using the space", "done by")
	var ticked bool
	for _, ev := range e.timeline("INC-1") {
		ticked = ticked || ev.Kind == "tick" && strings.Contains(ev.Text, "free-disk/diagnose")
	}
	if !ticked {
		t.Fatal("the tick from the console is not on the timeline")
	}

	// Another process adds a note: the console's timeline shows it within a second.
	c.keys("Tab")
	c.waitFor(15*time.Second, "[Timeline]", "following")
	e.ok("note", "INC-1", "seen from another terminal")
	took := c.waitFor(time.Second, "seen from another terminal")
	t.Logf("another process's note showed after %s", took.Round(time.Millisecond))

	// The off-switch: ! halts at once, the banner shows, the command line agrees.
	c.keys("!")
	c.waitFor(15*time.Second, "HALTED by")
	var halted bool
	for _, ev := range e.timeline("INC-1") {
		halted = halted || ev.Kind == "halt"
	}
	if !halted {
		t.Fatal("halt from the console is not recorded on the open incident")
	}
	if out := e.ok("resume"); !strings.Contains(out, "resumed") {
		t.Fatalf("firebreak resume after the console's halt: %q (it was not halted?)", out)
	}
	// The resume from another process reaches the console too: the banner goes.
	deadline := time.Now().Add(2 * time.Second)
	for strings.Contains(c.screen(), "HALTED by") {
		if time.Now().After(deadline) {
			t.Fatalf("the banner stays after firebreak resume:\n%s", c.screen())
		}
		time.Sleep(15 * time.Millisecond)
	}

	// Resize to 40×10 and back: no crash, no line wider than the terminal.
	c.tmux("resize-window", "-t", c.session, "-x", "40", "-y", "10")
	c.waitFor(15*time.Second, "INC-1 Disk full")
	time.Sleep(100 * time.Millisecond)
	c.checkWidth(40)
	c.tmux("resize-window", "-t", c.session, "-x", "100", "-y", "30")
	c.waitFor(15*time.Second, "INC-1 Disk full on web-07", "seen from another terminal", "! HALT")
	c.checkWidth(100)

	// q quits, cleanly.
	c.keys("q")
	deadline = time.Now().Add(3 * time.Second)
	for !c.dead() {
		if time.Now().After(deadline) {
			t.Fatalf("q did not quit:\n%s", c.screen())
		}
		time.Sleep(15 * time.Millisecond)
	}
	// tmux may mark the pane dead a moment before it records the exit status.
	st := c.exitStatus()
	for st == "" && time.Now().Before(deadline.Add(2*time.Second)) {
		time.Sleep(15 * time.Millisecond)
		st = c.exitStatus()
	}
	if st != "0" {
		t.Fatalf("the console exited with %q:\n%s", st, c.screen())
	}
}
