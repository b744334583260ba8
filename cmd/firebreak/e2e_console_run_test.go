package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firebreak/firebreak/runbooks/transport/sshtest"
)

// TestConsoleRunE2E drives a run from the console in a real terminal against real sshd hosts: a dry run,
// then a real run (outside working hours: the incident id typed to confirm) whose canary stage is in flight while the operator goes back to the cockpit and adds a
// note (the run keeps going), comes back, and halts everything with `!`: the remote command is gone and
// every process sees the halt.
func TestConsoleRunE2E(t *testing.T) {
	e := newEnv(t)
	f := sshtest.Start(t, 3)
	// Working hours that never are: a real run always needs the typed confirmation, whatever the clock says.
	cfg := fmt.Sprintf("inventories = [%q]\n[hours]\ndays = []\n", f.Inventory)
	os.WriteFile(filepath.Join(e.work, "firebreak.toml"), []byte(cfg), 0o600)
	os.MkdirAll(filepath.Join(e.work, "runbooks"), 0o755)
	runbook := fmt.Sprintf(`id = "e2e-sleep"
title = "Sleep on every host"

[[steps]]
id = "sleep"
title = "Sleep a while"
targets = "all"
stages = "1,100%%"
script = '''
if [ "${FIREBREAK_DRY_RUN:-0}" = 1 ]; then echo "dry run on $FIREBREAK_HOST"; exit 0; fi
echo $$ > "%s/pid-$FIREBREAK_HOST"
sleep 120
'''
`, e.root)
	os.WriteFile(filepath.Join(e.work, "runbooks", "e2e.toml"), []byte(runbook), 0o600)
	inc := e.declare("the fleet needs a nap", "--sev", "3")
	e.ok("attach", inc, "e2e-sleep")

	c := startConsole(t, e, 110, 32)
	c.waitFor(15*time.Second, inc)
	c.keys("Enter")
	c.waitFor(15*time.Second, "e2e-sleep")
	c.keys("r")
	c.waitFor(15*time.Second, "DRY RUN", "3 of 3 matched hosts selected")
	c.keys("Enter")
	c.waitFor(15*time.Second, "Guards", "shellcheck")
	c.keys("s")
	c.waitFor(15*time.Second, "Stage 1/2 done", "dry run on host01")
	c.keys("c")
	c.waitFor(15*time.Second, "succeeded")

	// The real run: back to the picker, switch to real, preview, start, confirm, type the incident id.
	c.keys("Escape")
	c.waitFor(15*time.Second, "DRY RUN")
	c.keys("C-d")
	c.waitFor(15*time.Second, "REAL RUN")
	c.keys("Enter")
	c.waitFor(15*time.Second, "canary", "working hours")
	c.keys("s")
	c.waitFor(15*time.Second, "outside working hours. Type "+inc)
	c.text(inc)
	c.keys("Enter")
	pidFile := filepath.Join(e.root, "pid-host01")
	waitFor(t, "the canary to start on host01", 30*time.Second, func() bool {
		if fileHasPID(pidFile)() {
			return true
		}
		if c.dead() {
			t.Fatalf("the console died:\n%s", c.screen())
		}
		return false
	})
	c.waitFor(15*time.Second, "running")

	// The run goes on while the operator is in the cockpit and writes a note.
	c.keys("Escape")
	c.waitFor(15*time.Second, "the run goes on in the background")
	c.keys(":")
	c.text("canary looks fine so far")
	c.keys("Enter")
	waitFor(t, "the note from the console", 10*time.Second, func() bool {
		for _, ev := range e.timeline(inc) {
			if ev.Kind == "note" && ev.Text == "canary looks fine so far" {
				return true
			}
		}
		return false
	})
	if !pidAlive(pidFile) {
		t.Fatal("the canary's command stopped while the operator was in the cockpit")
	}
	c.keys("o")
	c.waitFor(15*time.Second, "host01")

	// The off-switch.
	start := time.Now()
	c.keys("!")
	c.waitFor(15*time.Second, "HALTED")
	waitFor(t, "the remote command to be killed", 10*time.Second, func() bool { return !pidAlive(pidFile) })
	t.Logf("! to the remote command gone: %v", time.Since(start))
	waitFor(t, "the CLI to see the run halted", 5*time.Second, func() bool {
		return strings.Contains(e.ok("runs", inc), "halted")
	})
	if _, err := os.Stat(filepath.Join(e.root, "pid-host02")); err == nil {
		t.Fatal("the stage after the canary started")
	}
	_, stderr, code := e.fb("run", inc, "--runbook", "e2e-sleep", "--step", "sleep", "--hosts", "host01", "--dry-run")
	if code != 2 || !strings.Contains(stderr, "halted") {
		t.Fatalf("a run from another terminal while halted: exit %d %s", code, stderr)
	}
	c.checkWidth(110)
}
