package runbooks

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const day = 24 * time.Hour

// TestFreeDiskScripts runs free-disk on a temporary log tree: the dry runs list and change nothing, live
// logs are never touched, a second run changes nothing, the rollback decompresses what was compressed.
func TestFreeDiskScripts(t *testing.T) {
	b := newBench(t, "free-disk")
	root := b.path("log")
	b.vars["ROOTS"] = root + " " + b.path("other-log")
	b.vars["LIST_DIR"] = b.path("state")
	b.vars["COMPRESS_AGE_DAYS"] = "1"
	b.vars["DELETE_AGE_DAYS"] = "14"
	files := map[string]time.Duration{
		"syslog":                0,       // live: never touched
		"app/app.log":           3 * day, // live, even when old
		"syslog.1":              3 * day, // rotated: compressed, kept
		"app/app.log.12":        5 * day,
		"app/my app.log.old":    4 * day, // a space in the name
		"app/app.log-20240101":  40 * day,
		"syslog.2":              2 * time.Hour, // too recent to compress
		"syslog.3.gz":           30 * day,      // old compressed: deleted
		"app/app.log.13.gz":     20 * day,
		"syslog.4.gz":           2 * day, // too recent to delete
		"../other-log/x.log.1":  2 * day, // the second root
		"../outside/keep.log.1": 90 * day,
	}
	for name, d := range files {
		p := filepath.Join(root, name)
		writeFile(t, p, strings.Repeat(name+"\n", 200))
		if d > 0 {
			age(t, p, d)
		}
	}
	live := readFile(t, filepath.Join(root, "syslog"))

	b.mustFail("compress-rotated", "check")
	out := b.dryRunChangesNothing("compress-rotated", b.dir)
	for _, want := range []string{"would compress " + root + "/syslog.1 (", "my app.log.old", "app.log-20240101", "x.log.1", "dry run: 5 files, "} {
		if !strings.Contains(out, want) {
			t.Errorf("compress dry run does not list %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "syslog.2 ") || strings.Contains(out, "keep.log") {
		t.Errorf("compress dry run lists a recent file or one outside the roots:\n%s", out)
	}
	b.mustRun("compress-rotated", "script", 0)
	for _, p := range []string{"syslog.1.gz", "app/app.log.12.gz", "app/my app.log.old.gz", "app/app.log-20240101.gz", "../other-log/x.log.1.gz", "syslog.2", "../outside/keep.log.1"} {
		if !exists(filepath.Join(root, p)) {
			t.Errorf("%s missing after compress", p)
		}
	}
	if exists(filepath.Join(root, "syslog.1")) || readFile(t, filepath.Join(root, "syslog")) != live {
		t.Error("compress left syslog.1 or touched the live log")
	}
	if n := strings.Count(readFile(t, b.path("state", "compressed.list")), "\n"); n != 5 {
		t.Errorf("compressed.list has %d entries, want 5", n)
	}
	b.secondRunChangesNothing("compress-rotated", b.dir)

	// The rollback puts back exactly what was compressed.
	b.mustRun("compress-rotated", "rollback", 0)
	if got := readFile(t, filepath.Join(root, "syslog.1")); got != strings.Repeat("syslog.1\n", 200) {
		t.Errorf("rollback restored syslog.1 as %q", got[:min(len(got), 40)])
	}
	if exists(filepath.Join(root, "syslog.1.gz")) || !exists(filepath.Join(root, "syslog.3.gz")) {
		t.Error("rollback left syslog.1.gz or decompressed a file it did not compress")
	}
	b.mustRun("compress-rotated", "rollback", 0) // nothing left to roll back: still fine
	b.mustRun("compress-rotated", "script", 0)

	b.mustFail("delete-old", "check")
	out = b.dryRunChangesNothing("delete-old", b.dir)
	for _, want := range []string{"would delete " + root + "/syslog.3.gz", "app.log.13.gz", "app.log-20240101.gz", "dry run: 3 files, "} {
		if !strings.Contains(out, want) {
			t.Errorf("delete dry run does not list %q:\n%s", want, out)
		}
	}
	b.mustRun("delete-old", "script", 0)
	for p, gone := range map[string]bool{"syslog.3.gz": true, "app/app.log.13.gz": true, "app/app.log-20240101.gz": true, "syslog.4.gz": false, "syslog.1.gz": false, "syslog": false, "../outside/keep.log.1": false} {
		if exists(filepath.Join(root, p)) == gone {
			t.Errorf("%s: deleted = %v, want %v", p, !gone, gone)
		}
	}
	if n := strings.Count(readFile(t, b.path("state", "deleted.list")), "\n"); n != 3 {
		t.Errorf("deleted.list has %d entries, want 3", n)
	}
	b.secondRunChangesNothing("delete-old", b.dir)
}

// TestRevertConfigScripts restores a config file from its backup on a temporary file.
func TestRevertConfigScripts(t *testing.T) {
	b := newBench(t, "revert-config")
	conf, good, aside := b.path("etc", "app.conf"), b.path("backups", "app.conf.good"), b.path("backups", "app.conf.bad")
	writeFile(t, conf, "workers = 0 # bad\n")
	writeFile(t, good, "workers = 8\nok = 1\n")
	if err := os.Chmod(conf, 0o640); err != nil {
		t.Fatal(err)
	}
	b.vars["CONFIG_FILE"], b.vars["BACKUP_FILE"], b.vars["ASIDE_FILE"] = conf, good, aside
	b.vars["VALIDATE_CMD"] = `grep -q '^ok = 1' "$CONFIG_FILE"`
	b.vars["RELOAD_CMD"] = `echo reloaded >>"$HOME/reloads"`

	b.mustFail("restore", "check")
	if out := b.dryRunChangesNothing("restore", b.dir); !strings.Contains(out, "+workers = 8") {
		t.Errorf("the dry run shows no diff:\n%s", out)
	}
	b.mustRun("restore", "script", 0)
	if readFile(t, conf) != readFile(t, good) || readFile(t, aside) != "workers = 0 # bad\n" {
		t.Fatal("restore did not put the backup in place and the bad file aside")
	}
	b.secondRunChangesNothing("restore", b.dir)

	b.dryRunChangesNothing("reload", b.dir)
	b.mustRun("reload", "script", 0)
	b.mustRun("reload", "script", 0)
	if got := readFile(t, b.path("reloads")); got != "reloaded\nreloaded\n" {
		t.Errorf("reloads = %q", got)
	}

	b.mustRun("restore", "rollback", 0)
	if readFile(t, conf) != "workers = 0 # bad\n" {
		t.Error("rollback did not put the bad version back")
	}

	// A backup that does not validate is refused and the current file stays.
	writeFile(t, good, "workers = 8\n")
	b.mustRun("restore", "script", 1)
	if readFile(t, conf) != "workers = 0 # bad\n" {
		t.Error("a backup that fails validation replaced the config")
	}
}

// TestCheckIntegrityScripts checks a temporary tree against its manifest: clean, then with corrupt and
// missing files listed, never changing anything.
func TestCheckIntegrityScripts(t *testing.T) {
	b := newBench(t, "check-integrity")
	data := b.path("data")
	writeFile(t, filepath.Join(data, "a.db"), "alpha\n")
	writeFile(t, filepath.Join(data, "sub", "b file.bin"), "beta\n")
	writeFile(t, filepath.Join(data, "c.idx"), "gamma\n")
	manifest := b.path("SHA256SUMS")
	cmd := exec.Command("sha256sum", "a.db", "sub/b file.bin")
	cmd.Dir = data
	sums, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	bin := exec.Command("sha256sum", "--binary", "c.idx")
	bin.Dir = data
	binSum, err := bin.Output()
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, manifest, "# release 1.2\n"+string(sums)+string(binSum))
	b.vars["DATA_DIR"], b.vars["MANIFEST"] = data, manifest

	if out := b.dryRunChangesNothing("verify-checksums", b.dir); !strings.Contains(out, "would verify 3 files") {
		t.Errorf("dry run: %s", out)
	}
	before := snapshot(t, b.dir)
	if out := b.mustRun("verify-checksums", "script", 0); !strings.Contains(out, "checked 3 files in "+data+": 0 corrupt, 0 missing") {
		t.Errorf("clean run: %s", out)
	}
	writeFile(t, filepath.Join(data, "sub", "b file.bin"), "bitrot\n")
	if err := os.Remove(filepath.Join(data, "c.idx")); err != nil {
		t.Fatal(err)
	}
	before = snapshot(t, b.dir)
	out := b.mustRun("verify-checksums", "script", 1)
	for _, want := range []string{"CORRUPT sub/b file.bin", "MISSING c.idx", "1 corrupt, 1 missing"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "a.db") {
		t.Errorf("a.db is intact but listed:\n%s", out)
	}
	sameTree(t, "check-integrity", before, snapshot(t, b.dir))
	b.vars["MANIFEST"] = b.path("nope")
	b.mustRun("verify-checksums", "script", 2)
}

// TestBlueGreenScripts switches a temporary symlink between two upstream files.
func TestBlueGreenScripts(t *testing.T) {
	b := newBench(t, "blue-green-switch")
	up := b.path("upstreams")
	writeFile(t, filepath.Join(up, "blue.conf"), "server 10.0.0.1:8080;\n")
	writeFile(t, filepath.Join(up, "green.conf"), "server 10.0.0.2:8080;\n")
	live := b.path("conf.d", "upstream-live.conf")
	if err := os.MkdirAll(filepath.Dir(live), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(up, "blue.conf"), live); err != nil {
		t.Fatal(err)
	}
	writeFile(t, b.path("green-healthy"), "")
	b.vars["UPSTREAM_DIR"], b.vars["LIVE_LINK"], b.vars["STATE_DIR"] = up, live, b.path("state")
	b.vars["TARGET_COLOR"] = "green"
	b.vars["HEALTH_CMD"] = `test -f "$HOME/$TARGET_COLOR-healthy"`
	b.vars["RELOAD_CMD"] = `echo reload >>"$HOME/reloads"`
	target := func() string {
		got, err := os.Readlink(live)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	b.mustRun("health", "script", 0)
	b.mustFail("switch", "check")
	if out := b.dryRunChangesNothing("switch", b.dir); !strings.Contains(out, "would point") {
		t.Errorf("dry run: %s", out)
	}
	b.mustRun("switch", "script", 0)
	if target() != filepath.Join(up, "green.conf") || readFile(t, b.path("reloads")) != "reload\n" {
		t.Fatalf("switch: live -> %s, reloads %q", target(), readFile(t, b.path("reloads")))
	}
	b.secondRunChangesNothing("switch", b.dir)
	b.mustRun("switch", "rollback", 0)
	if target() != filepath.Join(up, "blue.conf") {
		t.Fatalf("rollback: live -> %s", target())
	}

	// An unhealthy target is refused before anything changes.
	b.vars["TARGET_COLOR"] = "green"
	if err := os.Remove(b.path("green-healthy")); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, b.dir)
	if _, code := b.run("switch", "script"); code == 0 {
		t.Fatal("switched to an unhealthy colour")
	}
	sameTree(t, "refused switch", before, snapshot(t, b.dir))

	// A failing reload puts the old link back.
	writeFile(t, b.path("green-healthy"), "")
	b.vars["RELOAD_CMD"] = "false"
	b.mustRun("switch", "script", 1)
	if target() != filepath.Join(up, "blue.conf") {
		t.Fatalf("failed reload left live -> %s", target())
	}
}
