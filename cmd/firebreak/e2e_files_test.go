package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// umaskRun runs firebreak under a umask that would make files world-readable if firebreak did not set
// their modes itself.
func (e *fbEnv) umaskRun(umask string, args ...string) {
	e.t.Helper()
	cmd := exec.Command("sh", append([]string{"-c", "umask " + umask + " && exec \"$0\" \"$@\"", fbBin}, args...)...)
	cmd.Dir, cmd.Env = e.work, e.environ()
	if out, err := cmd.CombinedOutput(); err != nil {
		e.t.Fatalf("firebreak %q: %v: %s", args, err, out)
	}
}

func wantMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Errorf("%v", err)
		return
	}
	if got := st.Mode().Perm(); got != want {
		t.Errorf("%s has mode %v, want %v", path, got, want)
	}
}

// The database, its WAL and shared memory are 0600 even under umask 000; checked while a follower keeps the
// database open, so the WAL exists.
func TestE2EDatabaseFileModes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.umaskRun("000", "declare", "modes")
	e.umaskRun("000", "note", "INC-1", "more")
	f := e.startFollow("INC-1", "000")
	e.umaskRun("000", "note", "INC-1", "while followed")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		wantMode(t, e.db+suffix, 0o600)
	}
	if st, err := os.Stat(e.db + "-lock"); err == nil && st.Mode().Perm()&0o077 != 0 {
		t.Errorf("%s-lock has mode %v", e.db, st.Mode().Perm())
	}
	f.stop(t)

	// A database someone loosened is made private again when opened.
	if err := os.Chmod(e.db, 0o644); err != nil {
		t.Fatal(err)
	}
	e.ok("list")
	wantMode(t, e.db, 0o600)
}

// Without --db and FIREBREAK_DB the database is $XDG_DATA_HOME/firebreak/firebreak.db, its directory created
// private; without XDG_DATA_HOME (or with a relative one, which the XDG spec says to ignore) it is under
// ~/.local/share.
func TestE2EDefaultDatabasePath(t *testing.T) {
	t.Parallel()
	base := newEnv(t).with("FIREBREAK_DB", "")
	cases := []struct {
		name    string
		xdg     string
		wantDir string
	}{
		{"XDG_DATA_HOME", filepath.Join(base.root, "xdg", "nested"), filepath.Join(base.root, "xdg", "nested", "firebreak")},
		{"no XDG_DATA_HOME", "", filepath.Join(base.vars["HOME"], ".local", "share", "firebreak")},
		{"relative XDG_DATA_HOME", "relative/data", filepath.Join(base.vars["HOME"], ".local", "share", "firebreak")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Not parallel: the last two share ~/.local/share.
			e := (&fbEnv{t: t, root: base.root, work: base.work, vars: base.vars}).with("XDG_DATA_HOME", c.xdg)
			e.umaskRun("000", "declare", "where am I")
			db := filepath.Join(c.wantDir, "firebreak.db")
			wantMode(t, db, 0o600)
			wantMode(t, c.wantDir, 0o700)
			if st, err := os.Stat(c.wantDir); err != nil || !st.IsDir() {
				t.Fatalf("%s: %v", c.wantDir, err)
			}
			// The next command uses the same database, and it is the one at that path.
			if l := e.list(); len(l) != 1 || l[0].Title != "where am I" {
				t.Errorf("list without --db: %+v", l)
			}
			if l := e.list("--db", db); len(l) != 1 || l[0].Title != "where am I" {
				t.Errorf("list --db %s: %+v", db, l)
			}
			os.RemoveAll(c.wantDir)
		})
	}
	if _, err := os.Stat(filepath.Join(base.work, "relative")); err == nil {
		t.Errorf("a relative XDG_DATA_HOME was used")
	}
}

// firebreak with no arguments does not crash; help works, and so do its spellings.
func TestE2ENoArgumentsAndHelp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, args := range [][]string{{}, {"--as", "alice"}} {
		stdout, stderr, code := e.fb(args...)
		if code != 0 || strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
			t.Errorf("firebreak %q: exit %d stdout %q stderr %q", args, code, stdout, stderr)
		}
	}
	e.declare("shows up")
	if stdout, _, code := e.fb(); code != 0 || !strings.Contains(stdout, "INC-1") {
		t.Errorf("firebreak with an incident: exit %d stdout %q", code, stdout)
	}
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}, {"--db", "/nonexistent/x.db", "help"}} {
		stdout, stderr, code := e.fb(args...)
		if code != 0 || stderr != "" {
			t.Errorf("firebreak %q: exit %d stderr %q", args, code, stderr)
		}
		for _, want := range []string{"declare TITLE", "timeline ID", "audit verify", "backup FILE", "restore FILE", "--db", "--as", "--config"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("firebreak %q does not mention %q", args, want)
			}
		}
		if strings.Contains(stdout, "__notify") {
			t.Errorf("help lists the hidden __notify command")
		}
	}
}
