package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/firebreak/firebreak/runbooks/transport/sshtest"
)

// TestE2ESignalsCancelRemoteCommands drives a 20-host run of a long command with the real binary against
// real sshd, and stops the process driving it in each way it can stop: SIGTERM, SIGHUP (its terminal
// closed) and kill -9. Every remote process must be gone within 2 s (checked on the host side), and the
// hosts recorded as the SPEC says: cancelled when firebreak could record it, unknown (run interrupted)
// after kill -9.
func TestE2ESignalsCancelRemoteCommands(t *testing.T) {
	const n = 20
	e, f, inc := fleetEnv(t, n, "3")
	for i, c := range []struct {
		sig   syscall.Signal
		state string // how the hosts in flight are recorded
		run   string // how the run is recorded
	}{
		{syscall.SIGTERM, "cancelled", "stopped"},
		{syscall.SIGHUP, "cancelled", "stopped"},
		{syscall.SIGKILL, "unknown", "interrupted"},
	} {
		t.Run(c.sig.String(), func(t *testing.T) {
			dir := filepath.Join(e.root, fmt.Sprintf("sig%d", i))
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			// The dry run of a command that reads FIREBREAK_DRY_RUN runs it: here it sleeps either way.
			script := fmt.Sprintf(`: "$FIREBREAK_DRY_RUN"; echo $$ > %s/$FIREBREAK_HOST.pid; sleep 300 & wait`, dir)
			run := e.command(t.Context(), "run", inc, "--command", script, "-i", f.Inventory, "--hosts", "all", "--dry-run",
				"--stages", "100%", "--concurrency", strconv.Itoa(n), "--yes")
			if err := run.Start(); err != nil {
				t.Fatal(err)
			}
			var pids []int
			waitFor(t, "every host to start", 60*time.Second, func() bool {
				pids = sshtest.PidFiles(dir)
				return len(pids) == n
			})
			time.Sleep(200 * time.Millisecond) // let the recorder commit the hosts as running
			start := time.Now()
			run.Process.Signal(c.sig)
			waitFor(t, "every remote process group to be gone", 2*time.Second, func() bool { return len(sshtest.Live(sshtest.ByGroup, pids)) == 0 })
			t.Logf("%s: remote processes gone %v after the signal", c.sig, time.Since(start).Round(time.Millisecond))
			run.Wait()

			out, stderr, code := e.fb("runs", fmt.Sprintf("RUN-%d", i+1))
			if code != 0 {
				t.Fatalf("runs: exit %d %s", code, stderr)
			}
			if !strings.Contains(strings.SplitN(out, "\n", 2)[0], c.run) {
				t.Errorf("the run is not recorded %s:\n%s", c.run, out)
			}
			if got := strings.Count(out, " "+c.state+" "); got != n {
				t.Errorf("%d hosts recorded %s, want %d:\n%s", got, c.state, n, out)
			}
		})
	}
}
