package main

// End-to-end tests of runs through the real binary against real sshd hosts (issue 5): the off-switch from
// another process, kill -9 of the firebreak driving a run, and the two-person rule across terminals.

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/firebreak/firebreak/runbooks/transport/sshtest"
)

// fleetEnv is an isolated firebreak world with n real sshd hosts in an inventory and a declared incident.
func fleetEnv(t *testing.T, n int, sev string) (*fbEnv, *sshtest.Fleet, string) {
	t.Helper()
	e := newEnv(t)
	f := sshtest.Start(t, n)
	inc := e.declare("the fleet is on fire", "--sev", sev)
	return e, f, inc
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("timed out after %v waiting for %s", d, what)
}

func fileHasPID(path string) func() bool {
	return func() bool { b, err := os.ReadFile(path); return err == nil && len(strings.TrimSpace(string(b))) > 0 }
}

func pidAlive(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	var pid int
	fmt.Sscan(strings.TrimSpace(string(b)), &pid)
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	return pid > 0 && err == nil && !strings.Contains(string(st), ") Z ")
}

// sleeper records its pid and sleeps: a command that never ends by itself.
func sleeper(dir string) string {
	return fmt.Sprintf(`[ "$FIREBREAK_DRY_RUN" = 1 ] && exit 0; echo $$ > %s/pid-$FIREBREAK_HOST; sleep 300 & wait`, dir)
}

func TestE2EHaltFromAnotherProcess(t *testing.T) {
	e, f, inc := fleetEnv(t, 3, "3")
	script := sleeper(e.root)
	base := []string{"run", inc, "--command", script, "-i", f.Inventory, "--concurrency", "3"}
	e.ok(append(base, "--hosts", "host01", "--dry-run")...)

	run := e.command(t.Context(), append(base, "--hosts", "all", "--stages", "1,100%", "--yes", "--confirm-out-of-hours")...)
	out, _ := run.StdoutPipe()
	run.Stderr = run.Stdout
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	done := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		close(done)
	}()
	pidFile := filepath.Join(e.root, "pid-host01")
	waitFor(t, "the canary to start", 30*time.Second, fileHasPID(pidFile))

	start := time.Now()
	e.ok("--as", "bob", "halt", "--reason", "wrong cluster")
	exited := make(chan error, 1)
	go func() { <-done; exited <- run.Wait() }()
	select {
	case err := <-exited:
		if code := run.ProcessState.ExitCode(); code != 1 {
			t.Errorf("the halted run exited %d (%v), want 1\n%s", code, err, strings.Join(lines, "\n"))
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("the run did not stop after halt:\n%s", strings.Join(lines, "\n"))
	}
	t.Logf("halt to run exit: %v", time.Since(start))
	if pidAlive(pidFile) {
		t.Fatal("the remote command is still running after halt")
	}
	if _, err := os.Stat(filepath.Join(e.root, "pid-host02")); err == nil {
		t.Fatal("a host of the next stage started after halt")
	}
	_, stderr, code := e.fb(append(base, "--hosts", "host01", "--dry-run")...)
	if code != 2 || !strings.Contains(stderr, "halted") {
		t.Fatalf("a run while halted: exit %d, %s", code, stderr)
	}
	e.ok("resume")
	e.ok(append(base, "--hosts", "host01", "--dry-run")...)
	kinds := map[string]int{}
	for _, ev := range e.timeline(inc) {
		kinds[ev.Kind]++
	}
	if kinds["halt"] != 1 || kinds["resume"] != 1 || kinds["run_refused"] != 1 {
		t.Fatalf("timeline kinds %v", kinds)
	}
}

func TestE2EKillNineMidStageShowsInterrupted(t *testing.T) {
	e, f, inc := fleetEnv(t, 3, "3")
	script := sleeper(e.root)
	base := []string{"run", inc, "--command", script, "-i", f.Inventory}
	e.ok(append(base, "--hosts", "host01", "--dry-run")...)
	run := e.command(t.Context(), append(base, "--hosts", "all", "--stages", "1,100%", "--yes", "--confirm-out-of-hours")...)
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the canary to start", 30*time.Second, fileHasPID(filepath.Join(e.root, "pid-host01")))
	time.Sleep(100 * time.Millisecond) // let the recorder commit host01 as running
	run.Process.Signal(syscall.SIGKILL)
	run.Wait()

	out, stderr, code := e.fb("runs", "RUN-2")
	if code != 0 {
		t.Fatalf("runs RUN-2: %d %s", code, stderr)
	}
	if !strings.Contains(stderr, "interrupted") {
		t.Errorf("the first command after the crash did not say the run was interrupted: %q", stderr)
	}
	states := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		fs := strings.Fields(l)
		if len(fs) >= 3 && strings.HasPrefix(fs[1], "host") {
			states[fs[1]] = fs[2]
		}
	}
	if !strings.Contains(out, "interrupted") || states["host01"] != "unknown" || states["host02"] != "cancelled" || states["host03"] != "cancelled" {
		t.Fatalf("after kill -9: %v\n%s", states, out)
	}
	var interrupted int
	for _, ev := range e.timeline(inc) {
		if ev.Kind == "run_interrupted" {
			interrupted++
			if !strings.Contains(ev.Text, "host01") {
				t.Errorf("interrupted event does not name the host in flight: %s", ev.Text)
			}
		}
	}
	if interrupted != 1 {
		t.Fatalf("%d run_interrupted events, want 1", interrupted)
	}
	// Nothing re-runs by itself: another look records nothing new and starts nothing.
	before := len(e.timeline(inc))
	e.ok("runs", "RUN-2")
	if after := len(e.timeline(inc)); after != before {
		t.Fatalf("looking at an interrupted run added %d events", after-before)
	}
	if _, err := os.Stat(filepath.Join(e.root, "pid-host02")); err == nil {
		t.Fatal("host02 ran after its firebreak was killed")
	}
}

func TestE2ETwoPersonRuleAcrossTerminals(t *testing.T) {
	e, f, inc := fleetEnv(t, 2, "1")
	e.ok("--as", "alice", "role", inc, "commander", "alice")
	script := fmt.Sprintf(`[ "$FIREBREAK_DRY_RUN" = 1 ] && exit 0; echo "$FIREBREAK_HOST" >> %s/ran`, e.root)
	base := []string{"--as", "alice", "run", inc, "--command", script, "-i", f.Inventory}
	e.ok(append(base, "--hosts", "host01", "--dry-run")...)
	run := e.command(t.Context(), append(base, "--hosts", "all", "--stages", "1,100%", "--yes", "--confirm-out-of-hours")...)
	var out strings.Builder
	run.Stdout, run.Stderr = &out, &out
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the run to wait for approval", 30*time.Second, func() bool {
		o, _, _ := e.fb("runs", inc)
		return strings.Contains(o, "waiting (approval)")
	})
	_, stderr, code := e.fb("--as", "alice", "approve", "RUN-2", "--yes")
	if code != 2 || !strings.Contains(stderr, "cannot approve") {
		t.Fatalf("self-approval: exit %d %s", code, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(e.root, "ran")); strings.Contains(string(b), "host02") {
		t.Fatal("host02 ran before the approval")
	}
	e.ok("--as", "bob", "approve", "RUN-2", "--yes")
	if err := run.Wait(); err != nil {
		t.Fatalf("run after approval: %v\n%s", err, out.String())
	}
	if b, _ := os.ReadFile(filepath.Join(e.root, "ran")); !strings.Contains(string(b), "host02") {
		t.Fatalf("host02 never ran:\n%s", out.String())
	}
}
