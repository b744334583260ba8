package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks/rollout"
	"github.com/firebreak/firebreak/runbooks/transport/sshtest"
	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/postgres/pgtest"
)

// leaseTTL is the runs' lease in the two-bastion tests: short, so a dead owner is found out quickly.
const leaseTTL = 2 * time.Second

// bastions stands in for two bastions sharing one database (dbURL; "" the env's SQLite file): the same
// world with machine ids a and b and a short lease, an incident and a fleet of n hosts.
func bastions(t *testing.T, dbURL string, n int, sev string) (a, b *fbEnv, f *sshtest.Fleet, inc string) {
	t.Helper()
	e := newEnv(t)
	if dbURL != "" {
		e = e.with("FIREBREAK_DB", dbURL)
	}
	e = e.with(leaseTTLEnv, leaseTTL.String())
	f = sshtest.Start(t, n)
	inc = e.declare("the fleet is on fire", "--sev", sev)
	return e.with("FIREBREAK_MACHINE_ID", "a"), e.with("FIREBREAK_MACHINE_ID", "b"), f, inc
}

// TestE2EDeadBastionIsReaped: bastion a starts a run and is killed with -9 mid-stage. Bastion b cannot
// tell a's pid is gone (another machine), so it waits for the lease (the event b records is later than
// the lease's end); once it ran out, b's `timeline --follow`, which nobody touches, marks the run interrupted (host in
// flight unknown, the rest cancelled) within about a lease. The log a's canary wrote is on machine a:
// b's `firebreak log` says so.
func TestE2EDeadBastionIsReaped(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testDeadBastionIsReaped(t, "") })
	t.Run("postgres", func(t *testing.T) { testDeadBastionIsReaped(t, pgtest.NewDatabase(t)) })
}

func testDeadBastionIsReaped(t *testing.T, dbURL string) {
	a, b, f, inc := bastions(t, dbURL, 3, "3")
	script := fmt.Sprintf(`if [ "$FIREBREAK_DRY_RUN" = 1 ]; then echo "dry on $FIREBREAK_HOST"; exit 0; fi
echo $$ > %s/pid-$FIREBREAK_HOST; sleep 300 & wait`, a.root)
	base := []string{"run", inc, "--command", script, "-i", f.Inventory}
	a.ok(append(base, "--hosts", "host01", "--dry-run")...)
	follow := b.startFollow(inc, "022")

	run := a.command(t.Context(), append(base, "--hosts", "all", "--stages", "1,100%", "--yes", "--confirm-out-of-hours")...)
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the canary to start", 30*time.Second, fileHasPID(filepath.Join(a.root, "pid-host01")))
	time.Sleep(100 * time.Millisecond) // let the recorder commit host01 as running
	run.Process.Signal(syscall.SIGKILL)
	run.Wait()
	killed := time.Now()

	var line string
	deadline := time.After(leaseTTL + 5*time.Second)
	for line == "" {
		select {
		case l := <-follow.lines:
			if strings.Contains(l, `"kind":"run_interrupted"`) {
				line = l
			}
		case <-deadline:
			t.Fatalf("b's timeline --follow did not see the run interrupted within %v of a's death", time.Since(killed))
		}
	}
	t.Logf("run interrupted %v after its owner was killed (lease %v)", time.Since(killed).Round(time.Millisecond), leaseTTL)
	var ev tlEvent
	var data incident.RunInterruptedData
	if err := json.Unmarshal([]byte(line), &ev); err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(ev.Data, &data)
	// Under its lease the run is a's, whether a is alive or not: b cannot tell from another machine.
	at, _ := time.Parse(store.TimeFormat, ev.At)
	until, err := time.Parse(store.TimeFormat, data.LeaseUntil)
	if err != nil || at.Before(until.Add(rollout.LeaseGrace(leaseTTL))) {
		t.Errorf("b reaped the run at %s, before its lease ran out (%q and its grace)", ev.At, data.LeaseUntil)
	}
	if !data.LeaseLost || data.Machine != "a" || data.ReapedBy != "b" {
		t.Errorf("the event's data: %s", ev.Data)
	}
	for _, want := range []string{"machine a", "lease", "reaped from machine b", "host01"} {
		if !strings.Contains(ev.Text, want) {
			t.Errorf("the run_interrupted event does not say %q: %s", want, ev.Text)
		}
	}
	out := b.ok("runs", "RUN-2")
	states := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		if fs := strings.Fields(l); len(fs) >= 3 && strings.HasPrefix(fs[1], "host") {
			states[fs[1]] = fs[2]
		}
	}
	if !strings.Contains(strings.SplitN(out, "\n", 2)[0], "interrupted") || states["host01"] != "unknown" ||
		states["host02"] != "cancelled" || states["host03"] != "cancelled" {
		t.Fatalf("after the lease ran out: %v\n%s", states, out)
	}
	kinds := map[string]int{}
	for _, ev := range b.timeline(inc) {
		kinds[ev.Kind]++
	}
	if kinds["run_interrupted"] != 1 {
		t.Fatalf("%d run_interrupted events, want 1", kinds["run_interrupted"])
	}
	b.ok("audit", "verify", inc)

	// The canary's log is on a: b says where, a prints it.
	_, stderr, code := b.fb("log", "RUN-1", "host01")
	if code == 0 || !strings.Contains(stderr, "is on machine a at ") || !strings.Contains(stderr, "run this there") {
		t.Errorf("b's log of a's host: exit %d, %s", code, stderr)
	}
	if out := a.ok("log", "RUN-1", "host01"); !strings.Contains(out, "dry on host01") {
		t.Errorf("a's log of its own host: %q", out)
	}
}

// TestE2EHaltAcrossBastionsPostgres: on PostgreSQL the off-switch is a row every machine reads. A halt from
// bastion b stops bastion a's run within 1 s: a cancels its host in flight and records it.
func TestE2EHaltAcrossBastionsPostgres(t *testing.T) {
	a, b, f, inc := bastions(t, pgtest.NewDatabase(t), 3, "3")
	script := sleeper(a.root)
	base := []string{"run", inc, "--command", script, "-i", f.Inventory}
	a.ok(append(base, "--hosts", "host01", "--dry-run")...)
	run := a.command(t.Context(), append(base, "--hosts", "all", "--stages", "1,100%", "--yes", "--confirm-out-of-hours")...)
	out, _ := run.StdoutPipe()
	run.Stderr = run.Stdout
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	cancelled := make(chan time.Time, 1)
	var lines []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines = append(lines, sc.Text())
			if fs := strings.Fields(sc.Text()); len(fs) >= 2 && fs[0] == "host01" && fs[1] == "cancelled" {
				cancelled <- time.Now()
			}
		}
	}()
	pidFile := filepath.Join(a.root, "pid-host01")
	waitFor(t, "the canary to start", 30*time.Second, fileHasPID(pidFile))

	halted := time.Now() // an upper bound: it includes starting b's firebreak and its opening the database
	b.ok("--as", "bob", "halt", "--reason", "wrong cluster")
	select {
	case at := <-cancelled:
		seen := at.Sub(halted)
		t.Logf("halt from b seen by a's run: host01 cancelled %v after b's halt command started", seen.Round(time.Millisecond))
		if seen > time.Second {
			t.Errorf("a's run saw b's halt after %v, want within 1s", seen)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("a's run did not stop after b's halt")
	}
	<-done
	if err := run.Wait(); run.ProcessState.ExitCode() != 1 {
		t.Errorf("the halted run exited %d (%v), want 1:\n%s", run.ProcessState.ExitCode(), err, strings.Join(lines, "\n"))
	}
	if pidAlive(pidFile) {
		t.Fatal("the remote command is still running after halt")
	}
	if out := b.ok("runs", "RUN-2"); !strings.Contains(strings.SplitN(out, "\n", 2)[0], "halted") {
		t.Fatalf("b sees the run as:\n%s", out)
	}
}

// TestE2ELeaseSurvivesServerRestartPostgres: the PostgreSQL server restarts (every connection cut) while
// bastion a's run waits for an approval. a's heartbeat fails, retries and renews the lease once the server
// is back, so bastion b, reaping all along, leaves the run alone, and the run goes on after b's approval.
func TestE2ELeaseSurvivesServerRestartPostgres(t *testing.T) {
	const ttl = 5 * time.Second
	a, b, f, inc := bastions(t, pgtest.NewDatabase(t), 2, "1")
	a, b = a.with(leaseTTLEnv, ttl.String()), b.with(leaseTTLEnv, ttl.String())
	a.ok("--as", "alice", "role", inc, "commander", "alice")
	script := fmt.Sprintf(`[ "$FIREBREAK_DRY_RUN" = 1 ] && exit 0; echo "$FIREBREAK_HOST" >> %s/ran`, a.root)
	base := []string{"--as", "alice", "run", inc, "--command", script, "-i", f.Inventory}
	a.ok(append(base, "--hosts", "host01", "--dry-run")...)
	run := a.startBG(append(base, "--hosts", "all", "--stages", "1,100%", "--yes", "--confirm-out-of-hours")...)
	ref := b.waitingRun(inc)
	follow := b.startFollow(inc, "022")

	restart := time.Now()
	if err := pgtest.Shared(t).Restart(); err != nil {
		t.Fatal(err)
	}
	// The lease had at least 2/3 of ttl to go when the server stopped; a restart slower than that would
	// let it run out for real.
	t.Logf("the server was down for %v (lease %v)", time.Since(restart).Round(time.Millisecond), ttl)
	time.Sleep(ttl + ttl/2)
	if out := b.ok("runs", ref); !strings.Contains(strings.SplitN(out, "\n", 2)[0], "waiting") {
		t.Fatalf("after the server restarted, b sees:\n%s\na's output:\n%s", out, run.out.String())
	}
	for len(follow.lines) > 0 {
		if line := <-follow.lines; strings.Contains(line, "run_interrupted") {
			t.Fatalf("b reaped a run whose owner is alive: %s", line)
		}
	}
	b.ok("--as", "bob", "approve", ref, "--yes")
	if code := run.wait(t); code != 0 {
		t.Fatalf("a's run exited %d after the approval:\n%s", code, run.out.String())
	}
	if ran := hostsRan(t, filepath.Join(a.root, "ran")); ran["host02"] != 1 {
		t.Fatalf("host02 did not run after the approval: %v\n%s", ran, run.out.String())
	}
}
