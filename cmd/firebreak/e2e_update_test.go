package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type updateData struct {
	Status     string `json:"status"`
	Severity   string `json:"severity"`
	NextUpdate string `json:"next_update"`
	Edited     bool   `json:"edited"`
}

func lastUpdate(t *testing.T, e *fbEnv, id string) (tlEvent, updateData) {
	t.Helper()
	var ev tlEvent
	for _, x := range e.timeline(id) {
		if x.Kind == "update" {
			ev = x
		}
	}
	var d updateData
	if ev.Kind == "" {
		t.Fatalf("no update event on %s", id)
	}
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		t.Fatal(err)
	}
	return ev, d
}

// --yes sends the draft: recorded on the timeline and received by a hook that lists "update".
func TestE2EUpdateDraftReachesTheHooks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	out := filepath.Join(e.root, "hook.json")
	mustWriteFile(t, filepath.Join(e.work, "firebreak.toml"), []byte(`
[[notify]]
name = "status page"
events = ["update"]
command = ["sh", "-c", `+tomlQuote("cat > "+out)+`]
`))
	e.declare("checkout errors", "--sev", "2")
	e.ok("role", "INC-1", "commander", "alice")
	e.ok("status", "INC-1", "mitigating")
	e.ok("note", "INC-1", "rolled back the 14:02 deploy")
	stdout, stderr, code := e.fb("update", "INC-1", "--yes", "--next", "1h")
	if code != 0 || stdout != "INC-1: update recorded (event 5)\n" || stderr != "" {
		t.Fatalf("update --yes: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	ev, d := lastUpdate(t, e, "INC-1")
	for _, want := range []string{"INC-1 update: checkout errors", "\nConditions\n- Status: mitigating, SEV2,", "\nActions\n",
		"rolled back the 14:02 deploy", "\nNeeds\n- nothing from outside the response", "\nNext update by "} {
		if !strings.Contains(ev.Text, want) {
			t.Errorf("the update lacks %q:\n%s", want, ev.Text)
		}
	}
	next, err := time.Parse(time.RFC3339, d.NextUpdate)
	if d.Status != "mitigating" || d.Severity != "SEV2" || d.Edited || err != nil || time.Until(next) < 55*time.Minute || time.Until(next) > 61*time.Minute {
		t.Errorf("update data %+v", d)
	}
	var p hookPayloadJSON
	pollUntil(t, 5*time.Second, "the hook received the update", func() bool {
		var ok bool
		p, ok = readPayload(out)
		return ok
	})
	if p.Event.Kind != "update" || p.Event.Seq != ev.Seq || p.Event.Text != ev.Text || p.Status != "mitigating" {
		t.Errorf("the hook read %+v", p)
	}
}

func TestE2EUpdateMessageAndRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.declare("db down")
	stdout, _, code, err := e.run("We failed over to the replica.\nNext update at 15:00.\n", "update", "INC-1", "--message", "-", "--json")
	if err != nil || code != 0 {
		t.Fatalf("update --message -: exit %d, %v", code, err)
	}
	var ev tlEvent
	if err := json.Unmarshal([]byte(stdout), &ev); err != nil || ev.Kind != "update" || ev.Text != "We failed over to the replica.\nNext update at 15:00." || ev.Hash == "" {
		t.Errorf("--json printed %q (%v)", stdout, err)
	}
	if _, d := lastUpdate(t, e, "INC-1"); !d.Edited || d.Status != "investigating" {
		t.Errorf("data %+v", d)
	}
	e.ok("update", "INC-1", "-m", "all clear", "--next", "0")
	if ev, d := lastUpdate(t, e, "INC-1"); ev.Text != "all clear" || d.NextUpdate != "" {
		t.Errorf("--next 0: %q %+v", ev.Text, d)
	}
	before := e.snapshot()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"update", "INC-1"}, "no terminal to edit the update in: send the draft with --yes, or your text with --message TEXT"},
		{[]string{"update", "INC-1", "-m", "  "}, "the update is empty: nothing was sent"},
		{[]string{"update", "INC-1", "-m", "ok \x1b]0;pwned\x07"}, "control characters"},
		{[]string{"update", "INC-1", "-m", "x", "--yes"}, "--message and --yes: give one"},
		{[]string{"update", "INC-1", "--next", "-5m", "--yes"}, "--next -5m0s: use a duration like 30m"},
		{[]string{"update", "INC-9", "--yes"}, "INC-9 does not exist"},
	} {
		stdout, stderr, code := e.fb(c.args...)
		if code != 2 || stdout != "" || !strings.HasPrefix(stderr, "firebreak: ") || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and %q", c.args, code, stdout, stderr, c.want)
		}
	}
	if after := e.snapshot(); after != before {
		t.Errorf("a refused update changed the record")
	}
}

// In a terminal, update opens $EDITOR on the draft and sends what was saved.
func TestE2EUpdateEditsInTheEditor(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is not installed: apt-get install tmux (.ci/test installs it)")
	}
	e := newEnv(t)
	e.declare("queue stuck")
	editor := filepath.Join(e.root, "editor.sh")
	mustWriteFile(t, editor, []byte("#!/bin/sh\nsed -i '/^Needs$/a - a DBA from the storage team' \"$1\"\n"))
	os.Chmod(editor, 0o755)
	socket := fmt.Sprintf("fbupd-%d-%d", os.Getpid(), time.Now().UnixNano())
	args := []string{"-L", socket, "new-session", "-d", "-s", "u", "-x", "100", "-y", "30", "-c", e.work,
		"env", "-i", "TERM=screen", "LANG=C.UTF-8", "PATH=" + os.Getenv("PATH")}
	for _, kv := range e.environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "TERM" && k != "LANG" && k != "TMUX" && k != "VISUAL" && k != "EDITOR" {
			args = append(args, kv)
		}
	}
	args = append(args, "EDITOR="+editor)
	args = append(args, "sh", "-c", `"$@"; echo "exit $?"; sleep 30`, "sh", fbBin, "update", "INC-1")
	t.Cleanup(func() { exec.Command("tmux", "-L", socket, "kill-server").Run() })
	if out, err := exec.Command("tmux", args...).CombinedOutput(); err != nil {
		t.Fatalf("tmux: %v: %s", err, out)
	}
	var screen string
	pollUntil(t, 15*time.Second, "update to finish in the terminal", func() bool {
		out, _ := exec.Command("tmux", "-L", socket, "capture-pane", "-p", "-t", "u").Output()
		screen = string(out)
		return strings.Contains(screen, "exit ")
	})
	if !strings.Contains(screen, "INC-1: update recorded") || !strings.Contains(screen, "exit 0") {
		t.Fatalf("screen:\n%s", screen)
	}
	ev, d := lastUpdate(t, e, "INC-1")
	if !strings.Contains(ev.Text, "\nNeeds\n- a DBA from the storage team") || strings.Contains(ev.Text, "# ") || !d.Edited {
		t.Errorf("recorded %q %+v", ev.Text, d)
	}
}
