package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/firebreak/firebreak/store/postgres/pgtest"
)

// trackerEnv is an environment whose config names a stand-in tracker: a script that counts its runs in a
// file and then runs body. It has an incident, INC-1, with two action items.
func trackerEnv(t *testing.T, body, timeout string) (e *fbEnv, calls func() int) {
	t.Helper()
	return trackerEnvOn(t, "", body, timeout)
}

// trackerEnvOn is trackerEnv with its record in db ("": the environment's SQLite file).
func trackerEnvOn(t *testing.T, db, body, timeout string) (e *fbEnv, calls func() int) {
	t.Helper()
	e = newEnv(t)
	if db != "" {
		e.vars["FIREBREAK_DB"] = db
	}
	script := filepath.Join(e.root, "tracker.sh")
	count := filepath.Join(e.root, "calls")
	mustWriteFile(t, script, []byte("#!/bin/sh\necho x >> "+count+"\ncat > "+filepath.Join(e.root, "request.json")+"\n"+body+"\n"))
	os.Chmod(script, 0o755)
	mustWriteFile(t, filepath.Join(e.work, "firebreak.toml"), []byte("[tracker]\ncommand = ["+tomlQuote(script)+"]\ntimeout = "+tomlQuote(timeout)+"\n"))
	e.declare("checkout down")
	e.ok("retro", "action", "INC-1", "add", "alert on disk > 90%", "--owner", "bob")
	e.ok("retro", "action", "INC-1", "add", "rotate logs hourly")
	return e, func() int {
		b, _ := os.ReadFile(count)
		return strings.Count(string(b), "x")
	}
}

// pushEvents are the data of the ticket_push events on INC-1.
func pushEvents(e *fbEnv) []map[string]any {
	var out []map[string]any
	for _, ev := range e.timeline("INC-1") {
		if ev.Kind == "ticket_push" {
			var d map[string]any
			json.Unmarshal(ev.Data, &d)
			out = append(out, d)
		}
	}
	return out
}

func TestE2ETrackerPushCreatesOnce(t *testing.T) {
	t.Parallel()
	e, calls := trackerEnv(t, `echo "https://github.com/acme/ops/issues/$FIREBREAK_ACTION_ITEM"`, "10s")
	out := e.ok("retro", "action", "push", "INC-1")
	want := "INC-1: action item 1: ticket https://github.com/acme/ops/issues/1\nINC-1: action item 2: ticket https://github.com/acme/ops/issues/2\n"
	if out != want {
		t.Errorf("push printed %q, want %q", out, want)
	}
	b, _ := os.ReadFile(filepath.Join(e.root, "request.json"))
	var req map[string]any
	if err := json.Unmarshal(b, &req); err != nil || req["incident"] != "INC-1" || req["item"] != 2.0 || req["title"] != "rotate logs hourly" {
		t.Errorf("the tracker read %s (%v)", b, err)
	}
	// A second push, of all and of one, runs nothing; --json says why.
	out = e.ok("retro", "action", "push", "INC-1", "1", "--json")
	var res []map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res) != 1 || res[0]["state"] != "has_ticket" || res[0]["ticket"] != "https://github.com/acme/ops/issues/1" {
		t.Errorf("push --json of a linked item: %s (%v)", out, err)
	}
	e.ok("retro", "action", "push", "INC-1")
	if n := calls(); n != 2 {
		t.Errorf("the tracker ran %d times, want 2", n)
	}
	show := e.ok("retro", "show", "INC-1")
	if !strings.Contains(show, "ticket https://github.com/acme/ops/issues/2") {
		t.Errorf("retro show lacks the link:\n%s", show)
	}
	export := e.ok("export", "INC-1", "--format", "json")
	if !strings.Contains(export, `"ticket": "https://github.com/acme/ops/issues/1"`) {
		t.Errorf("export lacks the link:\n%s", export)
	}
	e.ok("audit", "verify", "INC-1")
}

func TestE2ETrackerFailureIsRecordedAndRetried(t *testing.T) {
	t.Parallel()
	e, calls := trackerEnv(t, `if [ -e "$(dirname "$0")/fixed" ]; then echo OPS-12; exit 0; fi; echo "jira: 401 Unauthorized" >&2; exit 3`, "10s")
	stdout, stderr, code := e.fb("retro", "action", "push", "INC-1", "1")
	if code != 1 || !strings.HasPrefix(stderr, "firebreak: INC-1: action item 1: the tracker failed: exit status 3: jira: 401 Unauthorized") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("failing tracker: exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
	}
	ps := pushEvents(e)
	if len(ps) != 2 || ps[1]["state"] != "failed" || !strings.Contains(ps[1]["error"].(string), "401 Unauthorized") {
		t.Errorf("recorded %v", ps)
	}
	mustWriteFile(t, filepath.Join(e.root, "fixed"), nil)
	if out := e.ok("retro", "action", "push", "INC-1", "1"); out != "INC-1: action item 1: ticket OPS-12\n" || calls() != 2 {
		t.Errorf("retry after a failure: %q, %d calls", out, calls())
	}
}

func TestE2ETrackerHangIsBounded(t *testing.T) {
	t.Parallel()
	e, calls := trackerEnv(t, `sleep 60`, "500ms")
	start := time.Now()
	_, stderr, code := e.fb("retro", "action", "push", "INC-1", "2")
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("push with a hung tracker took %v", took)
	}
	if code != 1 || !strings.Contains(stderr, "the tracker timed out after 500ms and was killed: a ticket may exist; check the tracker, then push again with --retry") {
		t.Fatalf("hung tracker: exit %d, stderr %q", code, stderr)
	}
	_, stderr, code = e.fb("retro", "action", "push", "INC-1", "2")
	if code != 1 || !strings.Contains(stderr, "did not finish") || calls() != 1 {
		t.Errorf("second push: exit %d, stderr %q, %d calls", code, stderr, calls())
	}
}

func TestE2ETrackerGarbageIsRefused(t *testing.T) {
	t.Parallel()
	e, _ := trackerEnv(t, `printf 'OPS-1\033]0;pwned\007\033[2J\n'`, "10s")
	stdout, stderr, code := e.fb("retro", "action", "push", "INC-1", "1")
	if code != 1 || !strings.Contains(stderr, "the tracker printed control characters") || strings.ContainsAny(stdout+stderr, "\x1b\x07") {
		t.Fatalf("garbage: exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
	}
	if show := e.ok("retro", "show", "INC-1"); strings.Contains(show, "pwned") {
		t.Errorf("garbage became a link:\n%s", show)
	}
	// Two lines, the first a message: refused with what to do.
	e2, _ := trackerEnv(t, `echo "Creating issue in acme/ops"; echo https://github.com/acme/ops/issues/4`, "10s")
	_, stderr, code = e2.fb("retro", "action", "push", "INC-1", "1")
	if code != 1 || !strings.Contains(stderr, `printed 2 lines (the first: "Creating issue in acme/ops")`) || !strings.Contains(stderr, "tail -n 1") {
		t.Errorf("two lines: exit %d, stderr %q", code, stderr)
	}
}

// Two terminals pushing at once create each ticket once; a firebreak killed while its tracker runs leaves a
// claim that keeps the next push from creating a second ticket.
func TestE2ETrackerConcurrentAndKilled(t *testing.T) {
	t.Parallel()
	e, calls := trackerEnv(t, `sleep 1; echo "OPS-$FIREBREAK_ACTION_ITEM"`, "20s")
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, codes[i], _ = e.run("", "retro", "action", "push", "INC-1")
		}()
	}
	wg.Wait()
	if calls() != 2 {
		t.Fatalf("two pushes at once ran the tracker %d times for 2 items (exits %v)", calls(), codes)
	}
	if show := e.ok("retro", "show", "INC-1"); !strings.Contains(show, "ticket OPS-1") || !strings.Contains(show, "ticket OPS-2") {
		t.Errorf("links:\n%s", show)
	}

	e.ok("retro", "action", "INC-1", "add", "page the database team sooner")
	cmd := e.command(context.Background(), "retro", "action", "push", "INC-1", "3")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, 10*time.Second, "the tracker started", func() bool { return calls() == 3 })
	cmd.Process.Kill()
	cmd.Wait()
	defer syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // the tracker, orphaned
	_, stderr, code := e.fb("retro", "action", "push", "INC-1", "3", "--retry")
	if code != 1 || !strings.Contains(stderr, "is pushing it since") || calls() != 3 {
		t.Errorf("push while a dead firebreak's claim is live: exit %d, stderr %q, %d calls", code, stderr, calls())
	}
}

// On PostgreSQL too, three firebreaks (three connections, one server) pushing at once run the tracker once
// per item: the claim is decided in PostgreSQL's serialised write transaction.
func TestE2ETrackerConcurrentPostgres(t *testing.T) {
	t.Parallel()
	e, calls := trackerEnvOn(t, pgtest.NewDatabase(t), `sleep 0.5; echo "OPS-$FIREBREAK_ACTION_ITEM"`, "20s")
	var wg sync.WaitGroup
	outs := make([]string, 3)
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stdout, stderr, code, err := e.run("", "retro", "action", "push", "INC-1")
			outs[i] = fmt.Sprintf("exit %d %v\n%s%s", code, err, stdout, stderr)
		}()
	}
	wg.Wait()
	if calls() != 2 {
		t.Fatalf("three pushes at once ran the tracker %d times for 2 items:\n%s", calls(), strings.Join(outs, "\n"))
	}
	created := strings.Count(strings.Join(outs, "\n"), ": ticket OPS-")
	if created != 2 {
		t.Errorf("%d tickets reported created:\n%s", created, strings.Join(outs, "\n"))
	}
	e.ok("audit", "verify", "INC-1")
}

func TestE2ETrackerRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.declare("db down")
	e.ok("retro", "action", "INC-1", "add", "alert sooner")
	for _, c := range []struct {
		config string
		args   []string
		want   string
	}{
		{"", []string{"retro", "action", "push", "INC-1"}, "no tracker is configured: add [tracker] command"},
		{"[tracker]\ncommand = [\"/bin/true\"]\n", []string{"retro", "action", "push", "INC-1", "x"}, `"x" is not an action item number`},
		{"[tracker]\ncommand = [\"/bin/true\"]\n", []string{"retro", "action", "push", "INC-9"}, "INC-9 does not exist"},
		{"[tracker]\ncommand = [\"/bin/true\"]\ntimeout = \"soon\"\n", []string{"retro", "action", "push", "INC-1"}, `tracker.timeout: "soon" is not a duration`},
		{"[tracker]\ntimeout = \"5s\"\n", []string{"retro", "action", "push", "INC-1"}, "tracker.command: name the program"},
	} {
		mustWriteFile(t, filepath.Join(e.work, "firebreak.toml"), []byte(c.config))
		_, stderr, code := e.fb(c.args...)
		if code != 2 || !strings.HasPrefix(stderr, "firebreak: ") || !strings.Contains(stderr, c.want) {
			t.Errorf("%q with config %q: exit %d, stderr %q, want exit 2 and %q", c.args, c.config, code, stderr, c.want)
		}
	}
}
