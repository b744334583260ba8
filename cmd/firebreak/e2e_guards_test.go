package main

// End-to-end tests of the guards through the real binary against real sshd hosts: bad input to run and
// approve (one "firebreak: " line, exit 2, nothing changed), the two-person rule with the canary
// overridden, the explicit two-person override, and resume and retry.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// bgRun is a firebreak started in the background.
type bgRun struct {
	cmd  *exec.Cmd
	out  *strings.Builder
	done chan struct{}
}

func (e *fbEnv) startBG(args ...string) *bgRun {
	e.t.Helper()
	cmd := e.command(e.t.Context(), args...)
	b := &bgRun{cmd: cmd, out: &strings.Builder{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = b.out, b.out
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	go func() { cmd.Wait(); close(b.done) }()
	return b
}

// wait waits for the background firebreak to exit and returns its exit code.
func (b *bgRun) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-b.done:
		return b.cmd.ProcessState.ExitCode()
	case <-time.After(30 * time.Second):
		t.Fatalf("firebreak %q did not exit within 30s:\n%s", b.cmd.Args[1:], b.out.String())
		return -1
	}
}

// state is what the command line shows about an incident's runs and timeline: equal states mean nothing
// was written in between.
func (e *fbEnv) runState(inc string) string {
	e.t.Helper()
	return fmt.Sprintf("%d events\n%s", len(e.timeline(inc)), e.ok("runs", inc))
}

// wantOneLine2 asserts the contract for a refusal or invalid input: exit 2, and stderr exactly one line
// starting "firebreak: " containing every one of contains. (stdout is not checked: approve prints the
// plan it was asked to approve before it decides.)
func wantOneLine2(t *testing.T, what, stderr string, code int, contains ...string) {
	t.Helper()
	if code != 2 {
		t.Errorf("%s: exit %d, want 2 (stderr %q)", what, code, stderr)
	}
	if !oneLineError.MatchString(stderr) {
		t.Errorf("%s: stderr %q, want one line starting \"firebreak: \"", what, stderr)
	}
	for _, c := range contains {
		if !strings.Contains(stderr, c) {
			t.Errorf("%s: stderr %q does not mention %q", what, stderr, c)
		}
	}
}

// hostsRan reads the lines scripts appended to path (one host name a line).
func hostsRan(t *testing.T, path string) map[string]int {
	t.Helper()
	m := map[string]int{}
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, l := range strings.Fields(string(b)) {
		m[l]++
	}
	return m
}

var runRefRE = regexp.MustCompile(`RUN-[0-9]+`)

// waitingRun waits until `firebreak runs INC` shows a run waiting for an approval and returns its id.
func (e *fbEnv) waitingRun(inc string) string {
	e.t.Helper()
	var ref string
	waitFor(e.t, "a run waiting for approval", 30*time.Second, func() bool {
		out, _, _ := e.fb("runs", inc)
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, "waiting (approval)") {
				ref = runRefRE.FindString(l)
				return true
			}
		}
		return false
	})
	return ref
}

func TestE2EGuardsBadInput(t *testing.T) {
	e, f, inc := fleetEnv(t, 2, "2")
	ran := filepath.Join(e.root, "ran")
	script := fmt.Sprintf(`[ "$FIREBREAK_DRY_RUN" = 1 ] && exit 0; echo "$FIREBREAK_HOST" >> %s`, ran)
	base := []string{"run", inc, "--command", script, "-i", f.Inventory}
	e.ok(append(base, "--hosts", "host01", "--dry-run")...) // RUN-1: succeeded

	check := func(what string, args []string, contains ...string) {
		t.Helper()
		before := e.runState(inc)
		_, stderr, code := e.fb(args...)
		wantOneLine2(t, what, stderr, code, contains...)
		if after := e.runState(inc); after != before {
			t.Errorf("%s changed the record:\nbefore: %s\nafter:  %s", what, before, after)
		}
	}
	check("approve an unknown run", []string{"--as", "bob", "approve", "RUN-999", "--yes"}, "RUN-999")
	check("resume an unknown run", []string{"run", inc, "--resume", "RUN-999", "--yes", "--confirm-out-of-hours", "-i", f.Inventory}, "RUN-999")
	check("retry an unknown run", []string{"run", inc, "--retry", "RUN-999", "--yes", "--confirm-out-of-hours", "-i", f.Inventory}, "RUN-999")
	check("approve a malformed run id", []string{"--as", "bob", "approve", "RUN-x", "--yes"}, "RUN-x")
	check("resume a malformed run id", []string{"run", inc, "--resume", "RUN-x", "--yes", "-i", f.Inventory}, "RUN-x")
	check("retry a malformed run id", []string{"run", inc, "--retry", "RUN-x", "--yes", "-i", f.Inventory}, "RUN-x")
	check("resume a run that succeeded", []string{"run", inc, "--resume", "RUN-1", "--yes", "--confirm-out-of-hours", "-i", f.Inventory}, "RUN-1")
	check("approve a run that is not waiting", []string{"--as", "bob", "approve", "RUN-1", "--yes"}, "RUN-1")

	// A SEV2 run by alice waits for another person after its canary.
	bg := e.startBG(append([]string{"--as", "alice"}, append(base, "--hosts", "all", "--stages", "1,100%", "--yes", "--confirm-out-of-hours")...)...)
	run := e.waitingRun(inc)
	check("approve your own run", []string{"--as", "alice", "approve", run, "--yes"}, run)
	check("approve without --yes and without a terminal", []string{"--as", "bob", "approve", run}, run)
	if got := hostsRan(t, ran); got["host02"] != 0 || got["host01"] != 1 {
		t.Fatalf("hosts ran before the approval: %v", got)
	}
	e.ok("--as", "bob", "approve", run, "--yes")
	if code := bg.wait(t); code != 0 {
		t.Fatalf("the run exited %d after bob's approval:\n%s", code, bg.out.String())
	}
	if got := hostsRan(t, ran); got["host01"] != 1 || got["host02"] != 1 {
		t.Fatalf("after the approval: %v", got)
	}
}

// The original bug: on a SEV2 incident, --no-canary with one stage of every host ran everywhere without
// anyone's approval. Overriding the canary must never drop the two-person rule.
func TestE2ENoCanaryStillWaitsForApproval(t *testing.T) {
	e, f, inc := fleetEnv(t, 3, "2")
	ran := filepath.Join(e.root, "ran")
	script := fmt.Sprintf(`[ "$FIREBREAK_DRY_RUN" = 1 ] && exit 0; echo "$FIREBREAK_HOST" >> %s`, ran)
	base := []string{"run", inc, "--command", script, "-i", f.Inventory, "--hosts", "all"}
	e.ok(append(base, "--dry-run", "--stages", "100%", "--yes")...) // the first stage will be every host: each needs its dry run

	bg := e.startBG(append([]string{"--as", "alice"}, append(base, "--stages", "100%", "--no-canary", "one cluster, they fail together",
		"--confirm-out-of-hours", "--yes")...)...)
	run := e.waitingRun(inc)
	out := e.ok("runs", run)
	if !strings.Contains(out, "waiting") || !strings.Contains(out, "stage 0/1") {
		t.Errorf("runs %s:\n%s", run, out)
	}
	time.Sleep(500 * time.Millisecond) // give a wrongly started stage time to show
	if got := hostsRan(t, ran); len(got) != 0 {
		t.Fatalf("hosts ran without an approval: %v\n%s", got, bg.out.String())
	}
	for _, l := range strings.Split(out, "\n") {
		if fs := strings.Fields(l); len(fs) >= 3 && strings.HasPrefix(fs[1], "host") && fs[2] != "pending" {
			t.Errorf("%s is %s before the approval", fs[1], fs[2])
		}
	}
	e.ok("--as", "bob", "approve", run, "--yes")
	if code := bg.wait(t); code != 0 {
		t.Fatalf("the run exited %d after bob's approval:\n%s", code, bg.out.String())
	}
	if got := hostsRan(t, ran); got["host01"] != 1 || got["host02"] != 1 || got["host03"] != 1 {
		t.Fatalf("after the approval: %v", got)
	}
	kinds := map[string]int{}
	for _, ev := range e.timeline(inc) {
		kinds[ev.Kind+" "+overrideGuard(ev)]++
	}
	if kinds["approved "] != 1 || kinds["guard_override canary"] != 1 || kinds["guard_override two-person"] != 0 {
		t.Errorf("timeline kinds %v: want one approval and one guard_override (the canary)", kinds)
	}
}

func TestE2ETwoPersonOverrideWithCanary(t *testing.T) {
	e, f, inc := fleetEnv(t, 2, "2")
	ran := filepath.Join(e.root, "ran")
	script := fmt.Sprintf(`[ "$FIREBREAK_DRY_RUN" = 1 ] && exit 0; echo "$FIREBREAK_HOST" >> %s`, ran)
	base := []string{"--as", "alice", "run", inc, "--command", script, "-i", f.Inventory}
	e.ok(append(base, "--hosts", "host01", "--dry-run")...)
	e.ok(append(base, "--hosts", "all", "--stages", "1,100%", "--two-person-override", "the approver is unreachable",
		"--confirm-out-of-hours", "--yes")...)
	if got := hostsRan(t, ran); got["host01"] != 1 || got["host02"] != 1 {
		t.Fatalf("hosts ran: %v", got)
	}
	var overrides []tlEvent
	for _, ev := range e.timeline(inc) {
		switch ev.Kind {
		case "guard_override":
			if g := overrideGuard(ev); g != "working-hours" { // outside hours, the confirmation is recorded too
				overrides = append(overrides, ev)
			}
		case "approved":
			t.Errorf("an approval was recorded: %s", ev.Text)
		}
	}
	if len(overrides) != 1 {
		t.Fatalf("%d guard_override events, want 1 (two-person): %+v", len(overrides), overrides)
	}
	var data struct {
		Guard  string `json:"guard"`
		Reason string `json:"reason"`
	}
	json.Unmarshal(overrides[0].Data, &data)
	if !strings.Contains(overrides[0].Text, "two-person") || data.Guard != "two-person" || data.Reason != "the approver is unreachable" {
		t.Fatalf("guard_override %q %s", overrides[0].Text, overrides[0].Data)
	}
}

// overrideGuard is the guard a guard_override event names ("" for other events).
func overrideGuard(ev tlEvent) string {
	if ev.Kind != "guard_override" {
		return ""
	}
	var d struct {
		Guard string `json:"guard"`
	}
	json.Unmarshal(ev.Data, &d)
	return d.Guard
}

// hostStatesOf reads `firebreak runs RUN-n`'s host table.
func (e *fbEnv) hostStatesOf(run string) map[string]string {
	e.t.Helper()
	states := map[string]string{}
	for _, l := range strings.Split(e.ok("runs", run), "\n") {
		if fs := strings.Fields(l); len(fs) >= 3 && strings.HasPrefix(fs[1], "host") {
			states[fs[1]] = fs[2]
		}
	}
	return states
}

func TestE2EResumeFinishesTheRemainingHostsOnly(t *testing.T) {
	e, f, inc := fleetEnv(t, 4, "3")
	ran, slow := filepath.Join(e.root, "ran"), filepath.Join(e.root, "slow")
	mustWriteFile(t, slow, nil)
	// Every host but the canary hangs while the slow file exists.
	script := fmt.Sprintf(`[ "$FIREBREAK_DRY_RUN" = 1 ] && exit 0; echo "$FIREBREAK_HOST" >> %[1]s/ran
if [ "$FIREBREAK_HOST" != host01 ] && [ -e %[1]s/slow ]; then echo $$ > %[1]s/pid-$FIREBREAK_HOST; sleep 300 & wait; fi
touch %[1]s/done-$FIREBREAK_HOST`, e.root)
	base := []string{"run", inc, "--command", script, "-i", f.Inventory}
	e.ok(append(base, "--hosts", "all", "--dry-run", "--stages", "100%", "--yes")...) // RUN-1
	bg := e.startBG(append(base, "--hosts", "all", "--stages", "1,100%", "--concurrency", "1", "--yes", "--confirm-out-of-hours")...)
	waitFor(t, "host02 to start", 30*time.Second, fileHasPID(filepath.Join(e.root, "pid-host02")))
	e.ok("halt", "--reason", "looks wrong")
	if code := bg.wait(t); code != 1 {
		t.Errorf("the halted run exited %d, want 1:\n%s", code, bg.out.String())
	}
	if st := e.hostStatesOf("RUN-2"); st["host01"] != "ok" || st["host04"] == "ok" {
		t.Fatalf("after halt: %v", st)
	}
	e.ok("resume")
	os.Remove(slow)
	before := hostsRan(t, ran)
	if before["host01"] != 1 || before["host03"] != 0 || before["host04"] != 0 {
		t.Fatalf("before the resume: %v", before)
	}
	e.ok("run", inc, "--resume", "RUN-2", "--yes", "--confirm-out-of-hours", "-i", f.Inventory)
	after := hostsRan(t, ran)
	for _, h := range []string{"host02", "host03", "host04"} {
		if after[h] != before[h]+1 {
			t.Errorf("%s ran %d times in the resume, want 1 (%v -> %v)", h, after[h]-before[h], before, after)
		}
		if _, err := os.Stat(filepath.Join(e.root, "done-"+h)); err != nil {
			t.Errorf("%s did not finish in the resume", h)
		}
	}
	if after["host01"] != 1 {
		t.Errorf("the resume ran host01 again, which had succeeded: %v", after)
	}
	if st := e.hostStatesOf("RUN-3"); len(st) != 3 || st["host01"] != "" {
		t.Errorf("the resume's hosts: %v, want host02-04", st)
	}
}

func TestE2ERetryRerunsOnlyFailedHosts(t *testing.T) {
	e, f, inc := fleetEnv(t, 3, "3")
	ran := filepath.Join(e.root, "ran")
	// host02 fails the first time it runs for real, and works after.
	script := fmt.Sprintf(`[ "$FIREBREAK_DRY_RUN" = 1 ] && exit 0
if [ "$FIREBREAK_HOST" = host02 ] && [ ! -e %[1]s/failed-once ]; then touch %[1]s/failed-once; exit 3; fi
echo "$FIREBREAK_HOST" >> %[1]s/ran`, e.root)
	base := []string{"run", inc, "--command", script, "-i", f.Inventory}
	e.ok(append(base, "--hosts", "all", "--dry-run", "--stages", "100%", "--yes")...) // RUN-1
	_, _, code := e.fb(append(base, "--hosts", "all", "--stages", "1,100%", "--yes", "--confirm-out-of-hours")...)
	if code != 1 {
		t.Fatalf("the run with a failing host exited %d, want 1", code)
	}
	if st := e.hostStatesOf("RUN-2"); st["host02"] != "failed" || st["host01"] != "ok" || st["host03"] != "ok" {
		t.Fatalf("RUN-2 hosts: %v", st)
	}
	if got := hostsRan(t, ran); got["host01"] != 1 || got["host03"] != 1 || got["host02"] != 0 {
		t.Fatalf("after RUN-2: %v", got)
	}
	e.ok("run", inc, "--retry", "RUN-2", "--yes", "--confirm-out-of-hours", "-i", f.Inventory)
	if got := hostsRan(t, ran); got["host01"] != 1 || got["host03"] != 1 || got["host02"] != 1 {
		t.Fatalf("the retry ran %v, want host02 only", got)
	}
	if st := e.hostStatesOf("RUN-3"); len(st) != 1 || st["host02"] != "ok" {
		t.Errorf("the retry's hosts: %v", st)
	}
	// Nothing is left to retry.
	before := e.runState(inc)
	_, stderr, code := e.fb("run", inc, "--retry", "RUN-3", "--yes", "--confirm-out-of-hours", "-i", f.Inventory)
	wantOneLine2(t, "retry a run with no failed host", stderr, code, "RUN-3")
	if after := e.runState(inc); after != before {
		t.Errorf("a refused retry changed the record")
	}
}
