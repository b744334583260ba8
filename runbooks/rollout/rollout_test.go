package rollout

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks"
	"github.com/firebreak/firebreak/runbooks/inventory"
	"github.com/firebreak/firebreak/runbooks/transport"
	"github.com/firebreak/firebreak/runbooks/transport/sshtest"
	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/engine"
)

type fixture struct {
	t     testing.TB
	db    store.Store
	inc   int64
	fleet *sshtest.Fleet
	hosts []*inventory.Host
	pool  *transport.Pool
	dir   string // shared by every "host": they all run on this machine
}

func newFixture(t *testing.T, n, severity int) *fixture { return newFixtureTB(t, n, severity) }

func newFixtureTB(t testing.TB, n, severity int) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := engine.Open(ctx, filepath.Join(dir, "fb.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var inc int64
	err = db.Write(ctx, func(tx store.Tx) error {
		inc, err = tx.CreateIncident(ctx, store.IncidentRow{Title: "t", Severity: severity, Status: "mitigating", DeclaredAt: time.Now()})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, db: db, inc: inc, dir: dir}
	if n > 0 {
		f.fleet = sshtest.Start(t, n)
		f.hosts = f.fleet.LoadInventory(t).Hosts()
		var remote []*inventory.Host
		for _, h := range f.hosts {
			if !h.Local {
				remote = append(remote, h)
			}
		}
		f.hosts = remote
	}
	f.pool = transport.NewPool(transport.Config{ConnectTimeout: 5 * time.Second, AgentSocket: "none"})
	t.Cleanup(func() { f.pool.Close() })
	return f
}

func (f *fixture) engine(actor string) *Engine {
	return &Engine{DB: f.db, Actor: actor, Transports: f.pool, LogDir: filepath.Join(f.dir, "logs")}
}

func (f *fixture) spec(script Script, dry bool, stages string) Spec {
	st, err := runbooks.ParseStages(stages)
	if err != nil {
		f.t.Fatal(err)
	}
	mf, _ := runbooks.ParseMaxFail("0")
	return Spec{Incident: f.inc, Title: "test", Script: script, DryRun: dry, Hosts: f.hosts, Stages: st, Concurrency: 3,
		MaxFail: mf, Timeout: 20 * time.Second, AutoContinue: true, Vars: map[string]string{"OUT": f.dir}}
}

// canaryDry is a dry run on the first host only: what the dry-run-first guard needs for a canary stage.
func (f *fixture) canaryDry(script Script) Spec {
	s := f.spec(script, true, "1")
	s.Hosts = f.hosts[:1]
	return s
}

func (f *fixture) events(kind string) []store.Event {
	evs, err := f.db.Events(context.Background(), store.EventQuery{Incident: f.inc})
	if err != nil {
		f.t.Fatal(err)
	}
	var out []store.Event
	for _, e := range evs {
		if kind == "" || e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func hostStates(s *Summary) map[string]string {
	m := map[string]string{}
	for _, h := range s.Hosts {
		m[h.Host] = h.State
	}
	return m
}

// record appends "HOST STAGE" to $OUT/order, so the test sees the order hosts ran in.
const recordScript = `set -euo pipefail
if [ "$FIREBREAK_DRY_RUN" = 1 ]; then echo "would record"; exit 0; fi
sleep 0.2
echo "$FIREBREAK_HOST $FIREBREAK_STAGE" >> "$OUT/order"`

func TestStagedRunReachesEveryHostInOrder(t *testing.T) {
	f := newFixture(t, 7, 3)
	ctx := context.Background()
	script := Script{Main: recordScript}
	e := f.engine("root as alice")
	if _, err := e.Run(ctx, f.canaryDry(script)); err != nil { // dry run of the canary first
		t.Fatal(err)
	}
	sum, err := e.Run(ctx, f.spec(script, false, "1,2,50%,100%"))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Status != StatusSucceeded || sum.Counts[OK] != 7 {
		t.Fatalf("summary %+v", sum)
	}
	data, _ := os.ReadFile(filepath.Join(f.dir, "order"))
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 7 {
		t.Fatalf("%d hosts ran, want 7:\n%s", len(lines), data)
	}
	// 7 hosts with 1,2,50%,100%: stages of 1, 2, 3 (50% of 7, floored) and the last 1.
	wantStage := map[string]string{"host01": "1", "host02": "2", "host03": "2", "host04": "3", "host05": "3", "host06": "3", "host07": "4"}
	last := "0"
	for _, l := range lines {
		host, stage, _ := strings.Cut(l, " ")
		if stage < last {
			t.Fatalf("stage %s ran after stage %s:\n%s", stage, last, data)
		}
		last = stage
		if wantStage[host] != stage {
			t.Errorf("%s ran in stage %s, want %s", host, stage, wantStage[host])
		}
	}
	if n := len(f.events(incident.KindHostDone)); n != 8 { // one for the canary's dry run, seven for the real run
		t.Errorf("%d host_done events, want 8", n)
	}
}

func TestFailingHostAndMaxFail(t *testing.T) {
	f := newFixture(t, 6, 3)
	ctx := context.Background()
	script := Script{Main: `[ "$FIREBREAK_HOST" != host02 ] && [ "$FIREBREAK_HOST" != host03 ] && echo "$FIREBREAK_HOST" >> "$OUT/ran"`}
	e := f.engine("root")
	spec := f.spec(script, true, "1,3,100%")
	spec.Script = Script{Main: `: "$FIREBREAK_DRY_RUN" # read, and runs the same either way` + "\n" + script.Main}
	// max_fail 0: stage 2 (host02-04) has two failures, more than 0: stage 3 never starts.
	sum, err := e.Run(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	st := hostStates(sum)
	if sum.Status != StatusFailed || st["host02"] != "failed" || st["host03"] != "failed" || st["host01"] != "ok" {
		t.Fatalf("status %s, hosts %v", sum.Status, st)
	}
	for _, h := range []string{"host05", "host06"} {
		if st[h] != "cancelled" {
			t.Errorf("%s is %s: the stage after a max_fail halt must never start", h, st[h])
		}
	}
	if data, _ := os.ReadFile(filepath.Join(f.dir, "ran")); strings.Contains(string(data), "host05") {
		t.Fatal("host05 ran after max_fail halted the run")
	}
	if !strings.Contains(sum.Reason, "max_fail") {
		t.Errorf("reason %q", sum.Reason)
	}

	// max_fail 50%: 2 of 3 failed exceeds it; 1 of 3 would not ("exceeded, not reached").
	spec.MaxFail, _ = runbooks.ParseMaxFail("50%")
	sum, _ = e.Run(ctx, spec)
	if sum.Status != StatusFailed {
		t.Fatalf("50%%: %s", sum.Status)
	}
	spec.MaxFail, _ = runbooks.ParseMaxFail("2")
	sum, _ = e.Run(ctx, spec)
	if st := hostStates(sum); st["host06"] != "ok" || sum.Status != StatusFailed {
		t.Fatalf("max_fail 2 (reached, not exceeded) should go on to every host: %s %v", sum.Status, st)
	}
}

func TestDryRunFirstAndChangedScript(t *testing.T) {
	f := newFixture(t, 2, 3)
	ctx := context.Background()
	e := f.engine("root")
	v1 := Script{Main: `echo "v1 dry=$FIREBREAK_DRY_RUN" >> "$OUT/log"`}
	_, err := e.Run(ctx, f.spec(v1, false, "1,100%"))
	var ge *GuardError
	if !errors.As(err, &ge) || ge.Refusals[0].Guard != "dry-run-first" {
		t.Fatalf("real run without a dry run: %v", err)
	}
	if len(f.events(incident.KindRunRefused)) != 1 {
		t.Fatal("the refusal was not recorded")
	}
	if _, err := os.Stat(filepath.Join(f.dir, "log")); err == nil {
		t.Fatal("a refused run touched a host")
	}
	dry := f.spec(v1, true, "1")
	dry.Hosts = f.hosts[:1] // the first stage's host is enough
	if s, err := e.Run(ctx, dry); err != nil || s.Status != StatusSucceeded {
		t.Fatalf("dry run: %v %+v", err, s)
	}
	if s, err := e.Run(ctx, f.spec(v1, false, "1,100%")); err != nil || s.Status != StatusSucceeded {
		t.Fatalf("real run after its dry run: %v", err)
	}
	v2 := Script{Main: v1.Main + " # changed"}
	if _, err := e.Run(ctx, f.spec(v2, false, "1,100%")); !errors.Is(err, ErrRefused) {
		t.Fatalf("a changed script ran without its own dry run: %v", err)
	}
	data, _ := os.ReadFile(filepath.Join(f.dir, "log"))
	if got := strings.Count(string(data), "v1 dry=1"); got != 1 {
		t.Errorf("%d dry runs on hosts, want 1:\n%s", got, data)
	}
	if got := strings.Count(string(data), "v1 dry=0"); got != 2 {
		t.Errorf("%d real runs on hosts, want 2:\n%s", got, data)
	}
}

func TestCanaryShellcheckBreakGlass(t *testing.T) {
	f := newFixture(t, 3, 3)
	ctx := context.Background()
	e := f.engine("root")
	good := Script{Main: `echo ok >> "$OUT/x"`}
	e.Run(ctx, f.spec(good, true, "100%"))
	// A first stage of three hosts is refused without an override.
	if _, err := e.Run(ctx, f.spec(good, false, "3")); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "canary") {
		t.Fatalf("no canary: %v", err)
	}
	spec := f.spec(good, false, "3")
	spec.Overrides.NoCanary = "all three are one cluster, they fail together"
	spec.Bind()
	if s, err := e.Run(ctx, spec); err != nil || s.Status != StatusSucceeded {
		t.Fatalf("no canary with a reason: %v", err)
	}
	if evs := f.events(incident.KindGuard); len(evs) != 1 || !strings.Contains(evs[0].Text, "one cluster") {
		t.Fatalf("override not recorded: %v", evs)
	}
	// ShellCheck errors refuse even a dry run.
	bad := Script{Main: "if [ -f x ]; then echo y"}
	if _, err := e.Run(ctx, f.spec(bad, true, "1")); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "ShellCheck") {
		t.Fatalf("shellcheck: %v", err)
	}
	// Break glass lifts every guard but is recorded.
	glass := f.spec(Script{Main: `echo glass >> "$OUT/glass"`}, false, "100%")
	glass.Overrides.BreakGlass = "database is corrupting rows every second"
	glass.Bind()
	if s, err := e.Run(ctx, glass); err != nil || s.Status != StatusSucceeded {
		t.Fatalf("break glass: %v", err)
	}
	bg := f.events(incident.KindBreakGlass)
	if len(bg) < 2 || !strings.Contains(bg[0].Text, "corrupting rows") {
		t.Fatalf("break glass not recorded per guard: %v", bg)
	}
}

func TestOutOfHours(t *testing.T) {
	f := newFixture(t, 1, 3)
	ctx := context.Background()
	e := f.engine("root")
	hours, _ := NewHours("UTC", []string{"mon", "tue", "wed", "thu", "fri"}, "09:00", "18:00", nil)
	e.Policy.Hours = hours
	e.Now = func() time.Time { return time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC) } // a Saturday, 3 a.m.
	s := Script{Main: `true # FIREBREAK_DRY_RUN ignored`}
	if _, err := e.Run(ctx, f.spec(s, true, "1")); err != nil {
		t.Fatalf("a dry run needs no confirmation: %v", err)
	}
	if _, err := e.Run(ctx, f.spec(s, false, "1")); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "outside working hours") {
		t.Fatalf("out of hours: %v", err)
	}
	spec := f.spec(s, false, "1")
	spec.Overrides.OutOfHours = true
	spec.Bind()
	if _, err := e.Run(ctx, spec); err != nil {
		t.Fatalf("confirmed: %v", err)
	}
	if evs := f.events(incident.KindGuard); len(evs) != 1 || !strings.Contains(evs[0].Text, "working-hours") {
		t.Fatalf("confirmation not recorded: %v", evs)
	}
	e.Now = func() time.Time { return time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) } // Monday 10:00
	if _, err := e.Run(ctx, f.spec(s, false, "1")); err != nil {
		t.Fatalf("inside hours: %v", err)
	}
}

func TestTwoPersonApproval(t *testing.T) {
	f := newFixture(t, 3, 1)
	ctx := context.Background()
	alice := f.engine("root as alice")
	alice.Policy.TwoPerson = []int{1, 2}
	s := Script{Main: `[ "$FIREBREAK_DRY_RUN" = 1 ] && exit 0; echo "$FIREBREAK_HOST" >> "$OUT/ran"`}
	alice.Run(ctx, f.canaryDry(s))
	done := make(chan *Summary)
	go func() {
		sum, err := alice.Run(ctx, f.spec(s, false, "1,100%"))
		if err != nil {
			t.Error(err)
		}
		done <- sum
	}()
	run := waitWaiting(t, f.db)
	// The one who started it cannot approve it.
	if _, err := Approve(ctx, f.db, Policy{}, run, "root as alice", planOf(t, f.db, run), nil); !errors.Is(err, ErrRefused) {
		t.Fatalf("self-approval: %v", err)
	}
	time.Sleep(300 * time.Millisecond)
	if data, _ := os.ReadFile(filepath.Join(f.dir, "ran")); strings.Count(string(data), "host") != 1 {
		t.Fatalf("stages after the canary ran without approval:\n%s", data)
	}
	if _, err := Approve(ctx, f.db, Policy{}, run, "root as bob", planOf(t, f.db, run), nil); err != nil {
		t.Fatal(err)
	}
	select {
	case sum := <-done:
		if sum.Status != StatusSucceeded || sum.Counts[OK] != 3 {
			t.Fatalf("after approval: %+v", sum)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the run did not go on after bob's approval")
	}
	if evs := f.events(incident.KindApproved); len(evs) != 1 || !strings.Contains(evs[0].Text, "bob") {
		t.Fatalf("approval events %v", evs)
	}
}

func waitWaiting(t *testing.T, db store.Store) int64 {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		runs, _ := db.Runs(context.Background(), store.RunQuery{Statuses: []string{StatusWaiting}})
		if len(runs) > 0 {
			return runs[0].ID
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("no run started waiting")
	return 0
}

func TestCheckSkipsAndRollback(t *testing.T) {
	f := newFixture(t, 4, 3)
	ctx := context.Background()
	e := f.engine("root")
	// host02 is already in the wanted state; host03's change fails and is rolled back.
	os.WriteFile(filepath.Join(f.dir, "done-host02"), nil, 0o600)
	s := Script{
		Check:    `[ -e "$OUT/done-$FIREBREAK_HOST" ]`,
		Main:     `[ "$FIREBREAK_DRY_RUN" = 1 ] && exit 0; [ "$FIREBREAK_HOST" = host03 ] && exit 7; touch "$OUT/done-$FIREBREAK_HOST"`,
		Rollback: `touch "$OUT/rolledback-$FIREBREAK_HOST"`,
	}
	e.Run(ctx, f.canaryDry(s))
	spec := f.spec(s, false, "1,100%")
	spec.RollbackOnFailure = true
	spec.MaxFail, _ = runbooks.ParseMaxFail("1")
	sum, err := e.Run(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	st := hostStates(sum)
	want := map[string]string{"host01": "changed", "host02": "skipped", "host03": "rolled_back", "host04": "changed"}
	for h, w := range want {
		if st[h] != w {
			t.Errorf("%s: %s, want %s", h, st[h], w)
		}
	}
	if _, err := os.Stat(filepath.Join(f.dir, "rolledback-host03")); err != nil {
		t.Error("rollback did not run on host03")
	}
	if _, err := os.Stat(filepath.Join(f.dir, "rolledback-host01")); err == nil {
		t.Error("rollback ran on a host that did not fail")
	}
	// Running it again changes nothing: every host the script reached is now skipped.
	sum, _ = e.Run(ctx, f.spec(s, false, "1,100%"))
	if st := hostStates(sum); st["host01"] != "skipped" || st["host04"] != "skipped" {
		t.Errorf("second run: %v", st)
	}
}

func TestHaltStopsEverythingAndBlocksNewRuns(t *testing.T) {
	f := newFixture(t, 4, 3)
	ctx := context.Background()
	e := f.engine("root")
	long := Script{Main: `[ "$FIREBREAK_DRY_RUN" = 1 ] && exit 0; echo $$ > "$OUT/pid-$FIREBREAK_HOST"; sleep 120 & wait`}
	e.Run(ctx, f.canaryDry(long))
	spec := f.spec(long, false, "1,100%")
	spec.Concurrency = 4
	done := make(chan *Summary, 1)
	go func() {
		sum, err := e.Run(ctx, spec)
		if err != nil {
			t.Error(err)
		}
		done <- sum
	}()
	// Wait for the canary to be in flight, then halt from a second handle, as another process would.
	waitFile(t, filepath.Join(f.dir, "pid-host01"))
	other, _ := engine.Open(ctx, f.db.LocalPath(), store.Options{})
	defer other.Close()
	start := time.Now()
	if _, err := Halt(ctx, other, "root as bob", "wrong cluster!", nil); err != nil {
		t.Fatal(err)
	}
	var sum *Summary
	select {
	case sum = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the run did not stop after halt")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("halt took %v", d)
	}
	if sum.Status != StatusHalted || hostStates(sum)["host01"] != "cancelled" || hostStates(sum)["host02"] != "cancelled" {
		t.Fatalf("after halt: %s %v", sum.Status, hostStates(sum))
	}
	pid, _ := os.ReadFile(filepath.Join(f.dir, "pid-host01"))
	if processAlive(strings.TrimSpace(string(pid))) {
		t.Fatalf("the remote command (pid %s) is still running after halt", pid)
	}
	if _, err := e.Run(ctx, f.spec(long, true, "1")); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "halted") {
		t.Fatalf("a run started while halted: %v", err)
	}
	Resume(ctx, other, "root as bob", "fixed the target", nil)
	if _, err := e.Run(ctx, f.spec(Script{Main: "true # FIREBREAK_DRY_RUN"}, true, "1")); err != nil {
		t.Fatalf("after resume: %v", err)
	}
	if len(f.events(incident.KindHalt)) != 1 || len(f.events(incident.KindResume)) != 1 {
		t.Fatal("halt and resume are not both on the timeline")
	}
}

func waitFile(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never appeared", path)
}

func processAlive(pid string) bool {
	var n int
	fmt.Sscan(pid, &n)
	if n <= 0 {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", n))
	return err == nil && !strings.Contains(string(b), ") Z ")
}

func TestAdHocDryRunDoesNotExecute(t *testing.T) {
	f := newFixture(t, 1, 3)
	ctx := context.Background()
	var mu sync.Mutex
	var lines []string
	e := f.engine("root")
	e.Watch = func(u Update) {
		if u.Kind == UpdateLine {
			mu.Lock()
			lines = append(lines, u.Line.Text)
			mu.Unlock()
		}
	}
	marker := filepath.Join(f.dir, "touched")
	sum, err := e.Run(ctx, f.spec(Script{Main: "touch " + marker, AdHoc: true}, true, "1"))
	if err != nil || sum.Status != StatusSucceeded {
		t.Fatalf("%v %+v", err, sum)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the dry run of a command that ignores FIREBREAK_DRY_RUN executed it")
	}
	mu.Lock()
	defer mu.Unlock()
	sort.Strings(lines)
	if len(lines) == 0 || !strings.Contains(lines[0], "would execute: touch") {
		t.Fatalf("lines %q", lines)
	}
}

// planOf is the plan hash an approver of run sees.
func planOf(t *testing.T, db store.Store, run int64) string {
	t.Helper()
	b, err := BriefOf(context.Background(), db, run)
	if err != nil {
		t.Fatal(err)
	}
	return b.PlanHash
}
