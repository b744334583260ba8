package rollout

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/engine"
)

// other opens a second handle on the fixture's database, as another firebreak (on another machine, when the
// test gives it another machine id) would.
func (f *fixture) other() store.Store {
	f.t.Helper()
	db, err := engine.Open(context.Background(), f.db.LocalPath(), store.Options{})
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { db.Close() })
	return db
}

// fakeRun records a run as the engine would have: owned by machine and pid, host01 in flight and host02
// pending.
func (f *fixture) fakeRun(machine string, pid int, start string, lease time.Time) int64 {
	f.t.Helper()
	ctx := context.Background()
	var id int64
	err := f.db.Write(ctx, func(tx store.Tx) error {
		var err error
		id, err = tx.CreateRun(ctx, store.RunRow{Incident: f.inc, Title: "t", Status: StatusRunning, Stages: 2, Stage: 1,
			StartedBy: "root", StartedAt: time.Now(), OwnerPID: pid, OwnerStart: start, OwnerHost: machine, LeaseUntil: lease},
			[]store.RunHost{{Host: "host01", Stage: 1, State: string(Pending)}, {Host: "host02", Stage: 2, Position: 1, State: string(Pending)}})
		if err != nil {
			return err
		}
		return tx.SetHost(ctx, store.RunHost{Run: id, Host: "host01", State: string(Running), ExitCode: -1})
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

// deadPID is the pid of a process that has exited (and been waited for).
func deadPID(t *testing.T) int {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func TestReapLeaseExpiredOnAnotherMachine(t *testing.T) {
	f := newFixture(t, 0, 3)
	ctx := context.Background()
	b := f.other()
	me, start := os.Getpid(), procStart(os.Getpid())
	// The owner's pid is alive here, but it is a pid of machine-a: machine-b goes by the lease alone.
	expired := f.fakeRun("machine-a", me, start, time.Now().Add(-10*time.Second))
	fresh := f.fakeRun("machine-a", me, start, time.Now().Add(10*time.Second))
	// Before leases, the machine was named by its hostname and only it could tell the run's owner was gone.
	legacy := f.fakeRun("machine-a", deadPID(t), "", time.Time{})

	reaped, err := Reaper{DB: b, Machine: "machine-b"}.Reap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(reaped) != 1 || reaped[0] != expired {
		t.Fatalf("machine-b reaped %v, want only %s (the expired lease)", reaped, RunRef(expired))
	}
	row, _ := f.db.Run(ctx, expired)
	hosts, _ := f.db.RunHosts(ctx, expired)
	if row.Status != StatusInterrupted || hosts[0].State != string(Unknown) || hosts[1].State != string(Cancelled) {
		t.Fatalf("after reaping: run %s, hosts %s %s", row.Status, hosts[0].State, hosts[1].State)
	}
	evs := f.events(incident.KindRunInterrupted)
	if len(evs) != 1 {
		t.Fatalf("%d run_interrupted events, want 1", len(evs))
	}
	for _, want := range []string{"machine-a", "lease", "reaped from machine machine-b", "host01"} {
		if !strings.Contains(evs[0].Text, want) {
			t.Errorf("the event does not say %q: %s", want, evs[0].Text)
		}
	}
	if !strings.Contains(string(evs[0].Data), `"lease_lost":true`) {
		t.Errorf("the event's data does not say the lease was lost: %s", evs[0].Data)
	}
	if err := VerifyRecords(ctx, f.db, f.inc); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{fresh, legacy} {
		if row, _ := f.db.Run(ctx, id); row.Status != StatusRunning {
			t.Errorf("%s is %s: machine-b must leave it alone", RunRef(id), row.Status)
		}
	}
	// A second reaper on a third machine finds nothing more to do.
	if again, err := (Reaper{DB: f.db, Machine: "machine-c"}).Reap(ctx); err != nil || len(again) != 0 {
		t.Fatalf("reaping again: %v %v", again, err)
	}
	// On its own machine the legacy run goes by its pid, as before leases.
	if reaped, err := (Reaper{DB: f.db, Machine: "machine-a"}).Reap(ctx); err != nil || len(reaped) != 1 || reaped[0] != legacy {
		t.Fatalf("machine-a reaped %v (%v), want %s", reaped, err, RunRef(legacy))
	}
	// A run recorded before machine ids named its machine by hostname: this machine still knows it.
	hostname, _ := os.Hostname()
	old := f.fakeRun(hostname, deadPID(t), "", time.Time{})
	if reaped, err := (Reaper{DB: f.db, Machine: "machine-id-of-this-host"}).Reap(ctx); err != nil || len(reaped) != 1 || reaped[0] != old {
		t.Fatalf("this machine reaped %v (%v), want %s (owned by its hostname, from before leases)", reaped, err, RunRef(old))
	}
}

func TestReapDeadOwnerOnThisMachineAtOnce(t *testing.T) {
	f := newFixture(t, 0, 3)
	ctx := context.Background()
	dead := f.fakeRun("machine-a", deadPID(t), "", time.Now().Add(time.Hour))
	live := f.fakeRun("machine-a", os.Getpid(), procStart(os.Getpid()), time.Now().Add(time.Hour))
	if reaped, _ := (Reaper{DB: f.other(), Machine: "machine-b"}).Reap(ctx); len(reaped) != 0 {
		t.Fatalf("machine-b reaped %v under a lease that has an hour to go", reaped)
	}
	reaped, err := Reaper{DB: f.other(), Machine: "machine-a"}.Reap(ctx)
	if err != nil || len(reaped) != 1 || reaped[0] != dead {
		t.Fatalf("machine-a reaped %v (%v), want %s: its owner is gone", reaped, err, RunRef(dead))
	}
	if row, _ := f.db.Run(ctx, live); row.Status != StatusRunning {
		t.Fatalf("the run of a live owner is %s", row.Status)
	}
	if evs := f.events(incident.KindRunInterrupted); len(evs) != 1 || strings.Contains(evs[0].Text, "lease") || !strings.Contains(evs[0].Text, "machine-a") {
		t.Fatalf("events %v", evs)
	}
}

// waitingRun starts a run on machine-a of host01 then host02, which waits after host01 for a continue that
// never comes. It returns the run and where its summary arrives.
func (f *fixture) waitingRun(ttl time.Duration) (int64, <-chan *Summary) {
	f.t.Helper()
	e := f.engine("root")
	e.Machine, e.LeaseTTL = "machine-a", ttl
	e.Ask = func(ctx context.Context, p Pause) Choice { <-ctx.Done(); return Stop }
	s := Script{Main: `[ "$FIREBREAK_DRY_RUN" = 1 ] && exit 0; echo "$FIREBREAK_HOST" >> "$OUT/ran"; echo hello`}
	if _, err := e.Run(context.Background(), f.canaryDry(s)); err != nil {
		f.t.Fatal(err)
	}
	spec := f.spec(s, false, "1,100%")
	spec.AutoContinue = false
	done := make(chan *Summary, 1)
	go func() {
		sum, err := e.Run(context.Background(), spec)
		if err != nil {
			f.t.Error(err)
		}
		done <- sum
	}()
	return waitWaiting(f.t.(*testing.T), f.db), done
}

func TestHeartbeatKeepsTheLease(t *testing.T) {
	f := newFixture(t, 2, 3)
	ctx := context.Background()
	const ttl = 400 * time.Millisecond
	run, _ := f.waitingRun(ttl)
	first, _ := f.db.Run(ctx, run)
	b := Reaper{DB: f.other(), Machine: "machine-b", Grace: LeaseGrace(ttl)}
	for end := time.Now().Add(5 * ttl); time.Now().Before(end); time.Sleep(ttl / 4) {
		if reaped, err := b.Reap(ctx); err != nil || len(reaped) > 0 {
			t.Fatalf("machine-b reaped %v (%v) a run whose owner is alive", reaped, err)
		}
	}
	row, _ := f.db.Run(ctx, run)
	if !row.LeaseUntil.After(first.LeaseUntil.Add(ttl)) || row.Status != StatusWaiting {
		t.Fatalf("the lease did not move on: %s then %s (%s)", first.LeaseUntil, row.LeaseUntil, row.Status)
	}
	hosts, _ := f.db.RunHosts(ctx, run)
	if hosts[0].LogPath == "" || hosts[0].LogHost != "machine-a" {
		t.Fatalf("host01's log is at %q on %q, want a path on machine-a", hosts[0].LogPath, hosts[0].LogHost)
	}
}

// TestReapedOwnerStops: an owner whose run another machine reaped (its clock says the lease ran out: as
// if the owner had been cut off) stops the run, starts no host, and records nothing more of it.
func TestReapedOwnerStops(t *testing.T) {
	f := newFixture(t, 2, 3)
	ctx := context.Background()
	const ttl = 600 * time.Millisecond
	run, done := f.waitingRun(ttl)
	before := len(f.events(""))
	skewed := func() time.Time { return time.Now().Add(time.Minute) }
	reaped, err := Reaper{DB: f.other(), Machine: "machine-b", Now: skewed}.Reap(ctx)
	if err != nil || len(reaped) != 1 {
		t.Fatalf("machine-b reaped %v (%v)", reaped, err)
	}
	var sum *Summary
	select {
	case sum = <-done:
	case <-time.After(3 * ttl):
		t.Fatal("the owner did not stop within its lease after it was reaped")
	}
	if sum.Status != StatusInterrupted || !strings.Contains(sum.Reason, "lease") {
		t.Fatalf("the owner says %s: %s", sum.Status, sum.Reason)
	}
	if after := f.events(""); len(after) != before+1 {
		t.Fatalf("after the reap the owner recorded %d more events: %v", len(after)-before-1, after[before:])
	}
	row, _ := f.db.Run(ctx, run)
	hosts, _ := f.db.RunHosts(ctx, run)
	if row.Status != StatusInterrupted || hosts[1].State != string(Cancelled) || !row.FinishedAt.IsZero() {
		t.Fatalf("the record: %s (finished %v), host02 %s", row.Status, row.FinishedAt, hosts[1].State)
	}
	if b, _ := os.ReadFile(filepath.Join(f.dir, "ran")); strings.Contains(string(b), "host02") {
		t.Fatal("host02 ran after its run was reaped")
	}
	if err := VerifyRecords(ctx, f.db, f.inc); err != nil {
		t.Fatal(err)
	}
}

// TestReapedOwnerStopsMidStage: reaped while its canary host01 is in flight, the owner starts no other
// host and its view of host01 (cancelled) does not overwrite the record's (unknown).
func TestReapedOwnerStopsMidStage(t *testing.T) {
	f := newFixture(t, 2, 3)
	ctx := context.Background()
	e := f.engine("root")
	e.Machine, e.LeaseTTL = "machine-a", 600*time.Millisecond
	s := Script{Main: `[ "$FIREBREAK_DRY_RUN" = 1 ] && exit 0; echo "$FIREBREAK_HOST" >> "$OUT/ran"; echo $$ > "$OUT/pid-$FIREBREAK_HOST"; sleep 60 & wait`}
	if _, err := e.Run(ctx, f.canaryDry(s)); err != nil {
		t.Fatal(err)
	}
	before := len(f.events(incident.KindHostDone))
	spec := f.spec(s, false, "1,100%")
	done := make(chan *Summary, 1)
	go func() {
		sum, err := e.Run(ctx, spec)
		if err != nil {
			t.Error(err)
		}
		done <- sum
	}()
	waitFile(t, filepath.Join(f.dir, "pid-host01"))
	time.Sleep(100 * time.Millisecond) // let the recorder commit host01 as running
	skewed := func() time.Time { return time.Now().Add(time.Minute) }
	if reaped, err := (Reaper{DB: f.other(), Machine: "machine-b", Now: skewed}).Reap(ctx); err != nil || len(reaped) != 1 {
		t.Fatalf("machine-b reaped %v (%v)", reaped, err)
	}
	select {
	case sum := <-done:
		if sum.Status != StatusInterrupted {
			t.Fatalf("the owner says %s: %s", sum.Status, sum.Reason)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the owner did not stop after it was reaped")
	}
	pid, _ := os.ReadFile(filepath.Join(f.dir, "pid-host01"))
	if processAlive(strings.TrimSpace(string(pid))) {
		t.Fatal("host01's command is still running after its run was reaped")
	}
	hosts, _ := f.db.RunHosts(ctx, 2)
	if hosts[0].State != string(Unknown) || hosts[1].State != string(Cancelled) {
		t.Fatalf("the record says host01 %s, host02 %s; want unknown and cancelled", hosts[0].State, hosts[1].State)
	}
	if b, _ := os.ReadFile(filepath.Join(f.dir, "ran")); strings.Contains(string(b), "host02") {
		t.Fatal("host02 started after the run was reaped")
	}
	if n := len(f.events(incident.KindHostDone)) - before; n != 0 {
		t.Fatalf("the reaped owner recorded %d host_done events", n)
	}
	if err := VerifyRecords(ctx, f.db, f.inc); err != nil {
		t.Fatal(err)
	}
}
