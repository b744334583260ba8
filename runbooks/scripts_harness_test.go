package runbooks

import (
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firebreak/firebreak/runbooks/runbooktest"
)

// bench runs the fragments of one built-in runbook for real with bash, in a temporary directory, with the
// runbook's vars overridden to point there and stub commands (systemctl, nft, psql...) first on PATH.
type bench struct {
	t    *testing.T
	rb   *Runbook
	dir  string            // the test's temporary directory
	stub string            // directory of stub commands, first on PATH
	vars map[string]string // overrides of the runbook's vars
}

// newBench loads the built-in runbook id.
func newBench(t *testing.T, id string) *bench {
	t.Helper()
	lib, err := LoadLibrary(nil)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := lib.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	b := &bench{t: t, rb: rb, dir: dir, stub: filepath.Join(dir, "bin"), vars: map[string]string{
		"FAKE_CALLS": filepath.Join(t.TempDir(), "calls"), // stubs log their calls outside the snapshotted tree
	}}
	if err := os.Mkdir(b.stub, 0o755); err != nil {
		t.Fatal(err)
	}
	return b
}

// path returns a path under the bench's directory.
func (b *bench) path(parts ...string) string {
	return filepath.Join(append([]string{b.dir}, parts...)...)
}

// addStub installs a bash stub for command name on PATH.
func (b *bench) addStub(name, body string) {
	b.t.Helper()
	if err := os.WriteFile(filepath.Join(b.stub, name), []byte("#!/bin/bash\nset -euo pipefail\n"+body), 0o755); err != nil {
		b.t.Fatal(err)
	}
}

// step returns the runbook's step id, which must be a script step.
func (b *bench) step(id string) Step {
	b.t.Helper()
	s, ok := b.rb.Step(id)
	if !ok || !s.IsScript() {
		b.t.Fatalf("%s has no script step %s", b.rb.ID, id)
	}
	return s
}

// run runs one fragment of a step ("script", "check", "verify", "rollback", or "dry", which runs the
// step's dry run, its own or the script with FIREBREAK_DRY_RUN=1) and returns its output and exit code.
func (b *bench) run(stepID, field string) (string, int) {
	b.t.Helper()
	s := b.step(stepID)
	text, dry := "", false
	switch field {
	case "script":
		text = s.Script
	case "check":
		text = s.Check
	case "verify":
		text = s.Verify
	case "rollback":
		text = s.Rollback
	case "dry":
		text, dry = s.DryRun, true
		if text == "" {
			text = s.Script
		}
	default:
		b.t.Fatalf("unknown fragment %s", field)
	}
	if text == "" {
		b.t.Fatalf("%s/%s has no %s", b.rb.ID, stepID, field)
	}
	cmd := exec.Command("bash", "-c", text)
	cmd.Dir = b.dir
	env := map[string]string{
		"PATH": b.stub + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME": b.dir, "LC_ALL": "C", "TZ": "UTC",
	}
	maps.Copy(env, b.rb.Vars)
	maps.Copy(env, b.vars)
	if dry {
		env[DryRunEnv] = "1"
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &exit):
		return string(out), exit.ExitCode()
	default:
		b.t.Fatalf("%s/%s %s: %v", b.rb.ID, stepID, field, err)
		return "", -1
	}
}

// mustRun runs a fragment and fails the test unless it exits with want.
func (b *bench) mustRun(stepID, field string, want int) string {
	b.t.Helper()
	out, code := b.run(stepID, field)
	if code != want {
		b.t.Fatalf("%s/%s %s exited %d, want %d; output:\n%s", b.rb.ID, stepID, field, code, want, out)
	}
	return out
}

// mustFail runs a fragment and fails the test unless it exits non-zero (a check saying "not done yet").
func (b *bench) mustFail(stepID, field string) {
	b.t.Helper()
	if out, code := b.run(stepID, field); code == 0 {
		b.t.Fatalf("%s/%s %s succeeded, want a failure; output:\n%s", b.rb.ID, stepID, field, out)
	}
}

// snapshot is the tree under dir, to compare before and after a script ran.
func snapshot(t *testing.T, dir string) map[string]string { return runbooktest.Snapshot(t, dir, false) }

// sameTree fails the test with the differences when two snapshots differ.
func sameTree(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	if diffs := runbooktest.Diff(before, after); len(diffs) > 0 {
		t.Fatalf("%s changed the tree:\n%s", what, strings.Join(diffs, "\n"))
	}
}

// writeFile writes a file, creating its directory.
func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// age sets a file's modification time d in the past.
func age(t *testing.T, p string, d time.Duration) {
	t.Helper()
	when := time.Now().Add(-d)
	if err := os.Chtimes(p, when, when); err != nil {
		t.Fatal(err)
	}
}

// readFile returns a file's content, failing the test when it cannot be read.
func readFile(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// exists reports whether p exists (without following a final symlink).
func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// dryRunChangesNothing runs a step's dry run and asserts the tree under dir did not change.
func (b *bench) dryRunChangesNothing(stepID, dir string) string {
	b.t.Helper()
	before := runbooktest.Snapshot(b.t, dir, false)
	out := b.mustRun(stepID, "dry", 0)
	sameTree(b.t, stepID+" dry run", before, runbooktest.Snapshot(b.t, dir, false))
	return out
}

// secondRunChangesNothing runs a step's script again and asserts nothing changed, then that its check (if
// any) says the work is done and its verify passes.
func (b *bench) secondRunChangesNothing(stepID, dir string) {
	b.t.Helper()
	before := runbooktest.Snapshot(b.t, dir, false)
	b.mustRun(stepID, "script", 0)
	sameTree(b.t, stepID+" second run", before, runbooktest.Snapshot(b.t, dir, false))
	if b.step(stepID).Check != "" {
		b.mustRun(stepID, "check", 0)
	}
	if b.step(stepID).Verify != "" {
		b.mustRun(stepID, "verify", 0)
	}
}
