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

// TestConsoleQuitCancelsItsRun quits the console (q, then y) while its run has three hosts in flight
// against real sshd: the remote commands are gone within 2 s, and the hosts are recorded cancelled (not
// unknown) with the run stopped, before the console's process exits.
func TestConsoleQuitCancelsItsRun(t *testing.T) {
	e := newEnv(t)
	f := sshtest.Start(t, 3)
	os.WriteFile(filepath.Join(e.work, "firebreak.toml"), []byte(fmt.Sprintf("inventories = [%q]\n", f.Inventory)), 0o600)
	os.MkdirAll(filepath.Join(e.work, "runbooks"), 0o755)
	pids := filepath.Join(e.root, "pids")
	os.MkdirAll(pids, 0o700)
	runbook := fmt.Sprintf(`id = "e2e-nap"
title = "Nap on every host"

[[steps]]
id = "nap"
title = "Nap"
targets = "all"
stages = "100%%"
script = '''
: "$FIREBREAK_DRY_RUN" # a dry run naps too
echo $$ > "%s/$FIREBREAK_HOST.pid"
sleep 300
'''
`, pids)
	os.WriteFile(filepath.Join(e.work, "runbooks", "nap.toml"), []byte(runbook), 0o600)
	inc := e.declare("naps", "--sev", "3")
	e.ok("attach", inc, "e2e-nap")

	c := startConsole(t, e, 110, 32)
	c.waitFor(15*time.Second, inc)
	c.keys("Enter")
	c.waitFor(15*time.Second, "e2e-nap")
	c.keys("r")
	c.waitFor(15*time.Second, "DRY RUN", "3 of 3 matched hosts selected")
	c.keys("Enter")
	c.waitFor(15*time.Second, "Guards", "shellcheck")
	c.keys("s")
	var groups []int
	waitFor(t, "every host to start", 30*time.Second, func() bool {
		groups = sshtest.PidFiles(pids)
		return len(groups) == 3
	})
	time.Sleep(200 * time.Millisecond)
	c.keys("q")
	c.waitFor(15*time.Second, "quitting stops it")
	start := time.Now()
	c.keys("y")
	waitFor(t, "the remote commands to be gone", 2*time.Second, func() bool { return len(sshtest.Live(sshtest.ByGroup, groups)) == 0 })
	t.Logf("q y to the remote commands gone: %v", time.Since(start).Round(time.Millisecond))
	waitFor(t, "the console to exit", 15*time.Second, c.dead)

	out := e.ok("runs", "RUN-1")
	if !strings.Contains(strings.SplitN(out, "\n", 2)[0], "stopped") || strings.Count(out, " cancelled ") != 3 {
		t.Fatalf("after quitting the console:\n%s", out)
	}
	if strings.Contains(out, "unknown") {
		t.Fatalf("hosts recorded unknown: the console quit without recording them:\n%s", out)
	}
}
