package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// hookPayloadJSON is what a hook reads on stdin.
type hookPayloadJSON struct {
	Incident string  `json:"incident"`
	Title    string  `json:"title"`
	Severity string  `json:"severity"`
	Status   string  `json:"status"`
	Drill    bool    `json:"drill"`
	Event    tlEvent `json:"event"`
	Head     struct {
		Seq  int64  `json:"seq"`
		Hash string `json:"hash"`
	} `json:"head"`
}

// readPayload reads a hook's output file once it holds a whole JSON payload.
func readPayload(path string) (hookPayloadJSON, bool) {
	var p hookPayloadJSON
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &p) != nil {
		return p, false
	}
	return p, true
}

// waitEvent polls the timeline until an event of kind appears and returns it.
func (e *fbEnv) waitEvent(id, kind string, within time.Duration, match func(tlEvent) bool) tlEvent {
	e.t.Helper()
	var found tlEvent
	pollUntil(e.t, within, "a "+kind+" event on the timeline", func() bool {
		for _, ev := range e.timeline(id) {
			if ev.Kind == kind && (match == nil || match(ev)) {
				found = ev
				return true
			}
		}
		return false
	})
	return found
}

func tomlQuote(s string) string { return strconv.Quote(s) }

// A hook gets the event as JSON on stdin for the events it lists, and only those.
func TestE2ENotifyHookReceivesEvent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	out := filepath.Join(e.root, "hook-out.json")
	marker := filepath.Join(e.root, "note-hook-ran")
	// The note hook comes first: hooks run in order, so by the time the second hook has written its file,
	// the first would have run had it (wrongly) matched.
	mustWriteFile(t, filepath.Join(e.work, "firebreak.toml"), []byte(`
[[notify]]
name = "notes only"
events = ["note"]
command = ["sh", "-c", `+tomlQuote("touch "+marker)+`]

[[notify]]
events = ["declared", "status"]
command = ["sh", "-c", `+tomlQuote("cat > "+out)+`]
`))
	start := time.Now()
	stdout, stderr, code := e.fb("declare", "the queue is stuck", "--sev", "2")
	if code != 0 || stdout != "INC-1\n" || stderr != "" {
		t.Fatalf("declare with hooks: exit %d stdout %q stderr %q", code, stdout, stderr)
	}
	var p hookPayloadJSON
	pollUntil(t, 5*time.Second, "the hook wrote the declared event", func() bool {
		var ok bool
		p, ok = readPayload(out)
		return ok
	})
	t.Logf("hook output after %v", time.Since(start))
	if p.Incident != "INC-1" || p.Title != "the queue is stuck" || p.Severity != "SEV2" || p.Status != "investigating" ||
		p.Event.Kind != "declared" || p.Event.Seq != 1 || !strings.Contains(p.Event.Text, "the queue is stuck") || p.Event.Hash == "" ||
		p.Head.Seq != 1 || p.Head.Hash != p.Event.Hash {
		t.Errorf("hook payload %+v", p)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("a hook for [note] ran for a declared event")
	}

	// A listed event again (status), and an unlisted one (role) that does not overwrite the file.
	os.Remove(out)
	e.ok("role", "INC-1", "commander", "alice")
	e.ok("status", "INC-1", "identified")
	pollUntil(t, 5*time.Second, "the hook wrote the status event", func() bool {
		var ok bool
		p, ok = readPayload(out)
		return ok
	})
	if p.Event.Kind != "status" || p.Status != "identified" || p.Event.Seq != 3 {
		t.Errorf("status payload %+v, want the status event (seq 3)", p)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("a hook for [note] ran for a role or status event")
	}
	// Positive control: the note hook does run for notes.
	e.ok("note", "INC-1", "hello")
	pollUntil(t, 5*time.Second, "the note hook ran for a note", func() bool {
		_, err := os.Stat(marker)
		return err == nil
	})
	// Nothing failed, so nothing was recorded about the hooks.
	for _, ev := range e.timeline("INC-1") {
		if ev.Kind == "notify_failed" {
			t.Errorf("unexpected %s: %s", ev.Kind, ev.Text)
		}
	}
}

// A hook that fails is recorded on the timeline with its name and what it said.
func TestE2ENotifyHookFailureRecorded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	mustWriteFile(t, filepath.Join(e.work, "firebreak.toml"), []byte(`
[[notify]]
name = "pager"
events = ["*"]
command = ["sh", "-c", "echo pager-gateway-unreachable >&2; exit 1"]
`))
	stdout, stderr, code := e.fb("declare", "dns")
	if code != 0 || stdout != "INC-1\n" {
		t.Fatalf("declare: exit %d stdout %q stderr %q", code, stdout, stderr)
	}
	ev := e.waitEvent("INC-1", "notify_failed", 5*time.Second, nil)
	if !strings.Contains(ev.Text, "pager") || !strings.Contains(ev.Text, "pager-gateway-unreachable") {
		t.Errorf("notify_failed text %q, want the hook's name and its stderr", ev.Text)
	}
	var d struct {
		Hook  string `json:"hook"`
		Seq   int64  `json:"seq"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(ev.Data, &d); err != nil || d.Hook != "pager" || d.Seq != 1 || !strings.Contains(d.Error, "pager-gateway-unreachable") {
		t.Errorf("notify_failed data %s", ev.Data)
	}
	e.ok("audit", "verify")
}

// A hook that hangs never slows the command; it is killed at its timeout and that is recorded.
func TestE2ENotifyHookTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	mustWriteFile(t, filepath.Join(e.work, "firebreak.toml"), []byte(`
[[notify]]
name = "slow pager"
events = ["declared"]
command = ["sleep", "60"]
timeout = "1s"
`))
	sleeping := func() bool {
		for _, cmdline := range procsIn(e.work) {
			if cmdline == "sleep\x0060\x00" {
				return true
			}
		}
		return false
	}
	start := time.Now()
	stdout, stderr, code := e.fb("declare", "slow hooks")
	took := time.Since(start)
	if code != 0 || stdout != "INC-1\n" {
		t.Fatalf("declare: exit %d stdout %q stderr %q", code, stdout, stderr)
	}
	if took > 2*time.Second {
		t.Errorf("declare took %v with a hanging hook, want well under a second", took)
	}
	t.Logf("declare took %v", took)
	// The hook is still running after declare returned: declare did not wait for it (a synchronous hook
	// would have been killed at its 1s timeout before declare returned). This is also the positive control
	// for the process scan that checks, below, that the hook was killed.
	pollUntil(t, 5*time.Second, "the hook's sleep process is running", sleeping)
	ev := e.waitEvent("INC-1", "notify_failed", 6*time.Second, nil)
	if !strings.Contains(ev.Text, "slow pager") || !strings.Contains(ev.Text, "timed out") {
		t.Errorf("notify_failed text %q, want the hook's name and that it timed out", ev.Text)
	}
	if at := eventAt(t, ev); at.Sub(start) > 5*time.Second {
		t.Errorf("timeout recorded %v after declare, want about 1s", at.Sub(start))
	}
	pollUntil(t, 3*time.Second, "the timed-out sleep process is gone", func() bool { return !sleeping() })
}

// Hook config mistakes are reported with file:line, like every other config key.
func TestE2ENotifyConfigProblems(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cfg := filepath.Join(e.work, "firebreak.toml")
	for _, c := range []struct{ toml, want string }{
		{"[[notify]]\nevents = [\"declared\"]\n", "command"},
		{"[[notify]]\ncommand = [\"true\"]\n", "events"},
		{"[[notify]]\nevents = [\"*\"]\ncommand = [\"true\"]\ntimeout = \"soon\"\n", "firebreak.toml:4"},
		{"[[notify]]\nevents = [\"*\"]\ncommand = [\"true\"]\nretries = 3\n", "firebreak.toml:4:1"},
	} {
		mustWriteFile(t, cfg, []byte(c.toml))
		stdout, stderr, code := e.fb("declare", "x")
		wantError(t, c.toml, stdout, stderr, code, 2, c.want)
	}
	if _, err := os.Stat(e.db); err == nil {
		t.Errorf("a command with a bad config created the database")
	}
}
