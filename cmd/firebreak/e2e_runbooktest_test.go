package main

// End-to-end tests of `firebreak runbook test` (issue 5), the CI gate that rehearses every script step:
// every built-in runbook on localhost with fixtures in a temp dir (stub systemctl, nft and psql; temp log
// trees, configs, symlinks and manifests), each run proving that the rehearsal changed nothing; one runbook
// on two real sshd hosts; and a team runbook whose dry run fails.

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firebreak/firebreak/runbooks/runbooktest"
	"github.com/firebreak/firebreak/runbooks/transport/sshtest"
)

// rtFixture is one runbook test's temporary world: a tree the runbook works on (which a rehearsal must not
// change), stub commands outside it, and the --var values.
type rtFixture struct {
	t     *testing.T
	tree  string // what the scripts look at; snapshotted
	bin   string // stub commands
	calls string // the stubs' call log
	vars  map[string]string
}

func newRTFixture(t *testing.T) *rtFixture {
	t.Helper()
	dir := t.TempDir()
	f := &rtFixture{t: t, tree: filepath.Join(dir, "tree"), bin: filepath.Join(dir, "bin"), calls: filepath.Join(dir, "calls"),
		vars: map[string]string{}}
	for _, d := range []string{f.tree, f.bin} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	f.vars["FAKE_CALLS"] = f.calls
	return f
}

func (f *rtFixture) path(parts ...string) string {
	return filepath.Join(append([]string{f.tree}, parts...)...)
}

// write writes a file in the tree, optionally aged d into the past.
func (f *rtFixture) write(rel, content string, d time.Duration) string {
	f.t.Helper()
	p := f.path(rel)
	rbWrite(f.t, p, content)
	if d > 0 {
		when := time.Now().Add(-d)
		if err := os.Chtimes(p, when, when); err != nil {
			f.t.Fatal(err)
		}
	}
	return p
}

// stub installs a bash stub command and returns its path.
func (f *rtFixture) stub(name, body string) string {
	f.t.Helper()
	p := filepath.Join(f.bin, name)
	if err := os.WriteFile(p, []byte("#!/bin/bash\nset -euo pipefail\n"+body), 0o755); err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *rtFixture) callLog() string {
	b, err := os.ReadFile(f.calls)
	if err != nil && !os.IsNotExist(err) {
		f.t.Fatal(err)
	}
	return string(b)
}

// varArgs is the --var flags, in a stable order.
func (f *rtFixture) varArgs() []string {
	var args []string
	for _, k := range slices.Sorted(maps.Keys(f.vars)) {
		args = append(args, "--var", k+"="+f.vars[k])
	}
	return args
}

func rtSameTree(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	if diffs := runbooktest.Diff(before, after); len(diffs) > 0 {
		t.Errorf("%s changed the fixture:\n%s", what, strings.Join(diffs, "\n"))
	}
}

// rtStep is what `runbook test` must say about one script step on one host: its state and the fragment
// that decided (script, dry_run, check+verify), and text its output must contain (checked with -v).
type rtStep struct {
	step, state, phase string
	output             []string
}

// runbookTest runs `runbook test ID -v` with the fixture's vars (plus extra args), asserts exit 0, a line
// per step and host as wanted, the summary, and that the fixture tree did not change.
func (e *fbEnv) runbookTest(f *rtFixture, id string, hosts []string, steps []rtStep, extra ...string) string {
	t := e.t
	t.Helper()
	before := runbooktest.Snapshot(t, f.tree, true)
	args := append([]string{"runbook", "test", id, "-v"}, f.varArgs()...)
	stdout, stderr, code := e.fb(append(args, extra...)...)
	if code != 0 {
		t.Fatalf("runbook test %s: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", id, code, stdout, stderr)
	}
	for _, st := range steps {
		for _, h := range hosts {
			re := regexp.MustCompile(`(?m)^ok +` + regexp.QuoteMeta(id+"/"+st.step+" on "+h+": "+st.state+" ("+st.phase+", exit 0, "))
			if !re.MatchString(stdout) {
				t.Errorf("runbook test %s: no line %q on %s\n%s", id, "ok "+id+"/"+st.step+": "+st.state+" ("+st.phase, h, stdout)
			}
			for _, o := range st.output {
				if !slices.ContainsFunc(strings.Split(stdout, "\n"), func(l string) bool {
					return strings.HasPrefix(strings.TrimLeft(l, " "), h+" | ") && strings.Contains(l, o)
				}) {
					t.Errorf("runbook test %s/%s on %s: the output lacks %q\n%s", id, st.step, h, o, stdout)
				}
			}
		}
	}
	if n := len(regexp.MustCompile(`(?m)^(ok|FAIL) `).FindAllString(stdout, -1)); n != len(steps)*len(hosts) {
		t.Errorf("runbook test %s: %d step results, want %d\n%s", id, n, len(steps)*len(hosts), stdout)
	}
	if want := fmt.Sprintf("runbook test %s: %d step runs passed on %d hosts", id, len(steps)*len(hosts), len(hosts)); !strings.Contains(stderr, want) {
		t.Errorf("runbook test %s: stderr %q, want %q", id, stderr, want)
	}
	rtSameTree(t, "runbook test "+id, before, runbooktest.Snapshot(t, f.tree, true))
	return stdout
}

var rtLocalhost = []string{"localhost"}

// Every built-in runbook passes `runbook test` on localhost with fixtures, and the rehearsal changes nothing.
func TestE2ERunbookTestBuiltins(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const day = 24 * time.Hour

	t.Run("restart-service", func(t *testing.T) {
		t.Parallel()
		e := *e
		e.t = t
		f := newRTFixture(t)
		units := f.path("units")
		if err := os.Mkdir(units, 0o755); err != nil {
			t.Fatal(err)
		}
		f.vars["SYSTEMCTL"] = f.stub("systemctl", runbooktest.FakeSystemctl)
		f.vars["FAKE_SYSTEMD"] = units
		f.vars["HEALTH_CMD"] = `test -f "$FAKE_SYSTEMD/app.active"`
		f.vars["HEALTH_TIMEOUT"] = "2"
		// Down: the check fails, the dry run says what it would do and restarts nothing.
		e.runbookTest(f, "restart-service", rtLocalhost, []rtStep{
			{"restart", "ok", "script", []string{"dry run: would restart app (now inactive)"}},
		})
		if log := f.callLog(); !strings.Contains(log, "is-active") || strings.Contains(log, "restart") {
			t.Errorf("systemctl calls %q: want is-active and no restart", log)
		}
		// Up and healthy: the check skips it and verify passes there.
		f.write("units/app.active", "", 0)
		e.runbookTest(f, "restart-service", rtLocalhost, []rtStep{
			{"restart", "skipped", "check+verify", []string{"app is active and healthy"}},
		})
	})

	t.Run("free-disk", func(t *testing.T) {
		t.Parallel()
		e := *e
		e.t = t
		f := newRTFixture(t)
		f.write("log/syslog", "live\n", 0)
		f.write("log/syslog.1", strings.Repeat("old\n", 100), 3*day)
		f.write("log/app/app.log.2", strings.Repeat("older\n", 100), 5*day)
		f.write("log/syslog.3.gz", "gz", 30*day)
		f.vars["ROOTS"] = f.path("log")
		f.vars["LIST_DIR"] = f.path("state")
		e.runbookTest(f, "free-disk", rtLocalhost, []rtStep{
			{"compress-rotated", "ok", "dry_run", []string{"would compress " + f.path("log/syslog.1") + " (400 bytes)", "dry run: 2 files, 1000 bytes"}},
			{"delete-old", "ok", "dry_run", []string{"would delete " + f.path("log/syslog.3.gz") + " (2 bytes)", "dry run: 1 files, 2 bytes"}},
		})
		if _, err := os.Stat(f.path("state")); !os.IsNotExist(err) {
			t.Errorf("the rehearsal created the list directory: %v", err)
		}
	})

	t.Run("revert-config", func(t *testing.T) {
		t.Parallel()
		e := *e
		e.t = t
		f := newRTFixture(t)
		f.vars["CONFIG_FILE"] = f.write("etc/app.conf", "workers = 0 # bad\n", 0)
		f.vars["BACKUP_FILE"] = f.write("backups/app.conf.good", "workers = 8\n", 0)
		f.vars["ASIDE_FILE"] = f.path("backups", "app.conf.bad")
		f.vars["VALIDATE_CMD"] = `grep -q '^workers = [1-9]' "$BACKUP_FILE"`
		f.vars["RELOAD_CMD"] = `echo reloaded >>"` + f.path("reloads") + `"`
		e.runbookTest(f, "revert-config", rtLocalhost, []rtStep{
			{"restore", "ok", "dry_run", []string{"-workers = 0 # bad", "+workers = 8"}},
			{"reload", "ok", "dry_run", []string{"would run: echo reloaded"}},
		})
	})

	t.Run("scale-service", func(t *testing.T) {
		t.Parallel()
		e := *e
		e.t = t
		f := newRTFixture(t)
		f.write("units/worker@1.active", "", 0)
		f.write("units/worker@2.active", "", 0)
		f.vars["SYSTEMCTL"] = f.stub("systemctl", runbooktest.FakeSystemctl)
		f.vars["FAKE_SYSTEMD"] = f.path("units")
		f.vars["SERVICE"], f.vars["INSTANCES"], f.vars["STATE_DIR"] = "worker", "4", f.path("state")
		e.runbookTest(f, "scale-service", rtLocalhost, []rtStep{
			{"scale", "ok", "dry_run", []string{"dry run: 2 instances of worker run now; want 4", "would start worker@3.service", "would start worker@4.service"}},
		})
		if log := f.callLog(); strings.Contains(log, "enable") || strings.Contains(log, "disable") {
			t.Errorf("the rehearsal started or stopped units: %q", log)
		}
	})

	t.Run("blue-green-switch", func(t *testing.T) {
		t.Parallel()
		e := *e
		e.t = t
		f := newRTFixture(t)
		up := f.path("upstreams")
		f.write("upstreams/blue.conf", "server 10.0.0.1:8080;\n", 0)
		f.write("upstreams/green.conf", "server 10.0.0.2:8080;\n", 0)
		f.write("green-healthy", "", 0)
		if err := os.MkdirAll(f.path("conf.d"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(up, "blue.conf"), f.path("conf.d", "upstream-live.conf")); err != nil {
			t.Fatal(err)
		}
		f.vars["UPSTREAM_DIR"], f.vars["LIVE_LINK"], f.vars["STATE_DIR"] = up, f.path("conf.d", "upstream-live.conf"), f.path("state")
		f.vars["TARGET_COLOR"] = "green"
		f.vars["HEALTH_CMD"] = `test -f "` + f.tree + `/$TARGET_COLOR-healthy"`
		f.vars["RELOAD_CMD"] = `echo reload >>"` + f.path("reloads") + `"`
		e.runbookTest(f, "blue-green-switch", rtLocalhost, []rtStep{
			{"health", "ok", "dry_run", []string{"dry run: a real run would execute"}},
			{"switch", "ok", "dry_run", []string{"dry run: green is healthy; would point " + f.path("conf.d", "upstream-live.conf") + " from " + filepath.Join(up, "blue.conf")}},
		})
	})

	t.Run("restore-database", func(t *testing.T) {
		t.Parallel()
		e := *e
		e.t = t
		f := newRTFixture(t)
		f.write("pg/app/tables", "broken\n", 0)
		f.vars["PSQL"] = f.stub("psql", runbooktest.FakePostgres)
		f.vars["PG_RESTORE"] = f.stub("pg_restore", runbooktest.FakePostgres)
		f.vars["CREATEDB"] = f.stub("createdb", runbooktest.FakePostgres)
		f.vars["FAKE_PG"] = f.path("pg")
		f.vars["BACKUP_FILE"] = f.write("backups/app.dump", "users\norders\ninvoices\n", 0)
		f.vars["STATE_DIR"] = f.path("state")
		e.runbookTest(f, "restore-database", rtLocalhost, []rtStep{
			{"check-backup", "ok", "dry_run", []string{"dry run: a real run would execute"}},
			{"restore", "ok", "dry_run", []string{"dry run: would rename app (exists: 1) to app_before_restore"}},
		})
		if log := f.callLog(); !strings.Contains(log, "pg_restore --list") || strings.Contains(log, "createdb") || strings.Contains(log, "RENAME") {
			t.Errorf("postgres calls %q: want a --list and no change", log)
		}
	})

	t.Run("isolate-host", func(t *testing.T) {
		t.Parallel()
		e := *e
		e.t = t
		f := newRTFixture(t)
		if err := os.Mkdir(f.path("nft"), 0o755); err != nil {
			t.Fatal(err)
		}
		f.vars["NFT"] = f.stub("nft", runbooktest.FakeNft)
		f.vars["FAKE_NFT"] = f.path("nft")
		f.vars["ALLOW_ADDRS"] = "10.0.0.10 192.0.2.0/24"
		e.runbookTest(f, "isolate-host", rtLocalhost, []rtStep{
			{"isolate", "ok", "dry_run", []string{"dry run: the ruleset is valid; would allow only loopback and 10.0.0.10 192.0.2.0/24", "policy drop"}},
		})
		if log := f.callLog(); !strings.Contains(log, "nft -c -f -") || strings.Contains(log, "nft -f -") {
			t.Errorf("nft calls %q: want a check (-c) and nothing applied", log)
		}
	})

	t.Run("check-integrity", func(t *testing.T) {
		t.Parallel()
		e := *e
		e.t = t
		f := newRTFixture(t)
		data := f.path("data")
		f.write("data/a.db", "alpha\n", 0)
		f.write("data/sub/b file.bin", "beta\n", 0)
		cmd := exec.Command("sha256sum", "a.db", "sub/b file.bin")
		cmd.Dir = data
		sums, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		f.vars["DATA_DIR"] = data
		f.vars["MANIFEST"] = f.write("SHA256SUMS", "# release 1.2\n"+string(sums), 0)
		e.runbookTest(f, "check-integrity", rtLocalhost, []rtStep{
			{"verify-checksums", "ok", "dry_run", []string{"dry run: would verify 2 files in " + data}},
		})
	})
}

// A runbook tested on two real sshd hosts (and localhost): every step on every host.
func TestE2ERunbookTestOnSSHHosts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	fleet := sshtest.Start(t, 2)
	f := newRTFixture(t)
	f.vars["CONFIG_FILE"] = f.write("etc/app.conf", "workers = 0 # bad\n", 0)
	f.vars["BACKUP_FILE"] = f.write("backups/app.conf.good", "workers = 8\n", 0)
	f.vars["ASIDE_FILE"] = f.path("backups", "app.conf.bad")
	f.vars["VALIDATE_CMD"] = `test -n "$FIREBREAK_SSHTEST_HOST" && grep -q '^workers = [1-9]' "$BACKUP_FILE"`
	f.vars["RELOAD_CMD"] = `echo reloaded >>"` + f.path("reloads") + `"`
	hosts := []string{"host01", "host02"}
	e.runbookTest(f, "revert-config", hosts, []rtStep{
		{"restore", "ok", "dry_run", []string{"+workers = 8"}},
		{"reload", "ok", "dry_run", []string{"validates; would run: echo reloaded"}},
	}, "-i", fleet.Inventory, "--hosts", "all")

	// The same runbook with a host already in the wanted state: check+verify there, the dry run elsewhere.
	g := newRTFixture(t)
	g.vars["CONFIG_FILE"] = g.write("etc/app.conf", "workers = 8\n", 0)
	g.vars["BACKUP_FILE"] = g.write("backups/app.conf.good", "workers = 8\n", 0)
	g.vars["ASIDE_FILE"] = g.path("backups", "app.conf.bad")
	g.vars["VALIDATE_CMD"] = "true"
	g.vars["RELOAD_CMD"] = "true"
	e.runbookTest(g, "revert-config", hosts[1:], []rtStep{
		{"restore", "skipped", "check+verify", []string{"matches " + g.vars["BACKUP_FILE"] + " and validates"}},
		{"reload", "ok", "dry_run", nil},
	}, "-i", fleet.Inventory, "--hosts", "host02")

	// Validation only passes over SSH (FIREBREAK_SSHTEST_HOST): on localhost the same test fails, so the
	// runs above really went through sshd.
	args := append([]string{"runbook", "test", "revert-config"}, f.varArgs()...)
	stdout, _, code := e.fb(append(args, "-i", fleet.Inventory, "--hosts", "localhost")...)
	if code != 1 || !strings.Contains(stdout, "FAIL revert-config/reload on localhost") {
		t.Errorf("revert-config on localhost with an SSH-only validation: exit %d, want 1 and a FAIL of reload\n%s", code, stdout)
	}
}

// A team runbook whose dry run fails: exit 1, naming the step and the host.
func TestE2ERunbookTestFailingTeamRunbook(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rbWrite(t, filepath.Join(e.work, "runbooks", "flush.toml"), `id = "flush-cache"
title = "Flush the cache"

[vars]
CACHE_DIR = "/nonexistent/cache"

[[steps]]
id = "look"
title = "Look first"

[[steps]]
id = "warm"
title = "Warm up"
script = '''
set -euo pipefail
echo "warming"
'''

[[steps]]
id = "flush"
title = "Flush"
dry_run = '''
set -euo pipefail
echo "checking $CACHE_DIR"
test -d "$CACHE_DIR" || { echo "no cache dir $CACHE_DIR" >&2; exit 3; }
echo "would flush $CACHE_DIR"
'''
script = '''
set -euo pipefail
rm -rf -- "${CACHE_DIR:?}"/*
'''
`)
	stdout, stderr, code := e.fb("runbook", "test", "flush-cache")
	if code != 1 {
		t.Fatalf("runbook test of a failing runbook: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !regexp.MustCompile(`(?m)^ok +flush-cache/warm on localhost: ok `).MatchString(stdout) {
		t.Errorf("the passing step is not reported as ok:\n%s", stdout)
	}
	if !regexp.MustCompile(`(?m)^FAIL flush-cache/flush on localhost: failed \(dry_run, exit 3, `).MatchString(stdout) {
		t.Errorf("the failing step and host are not named:\n%s", stdout)
	}
	if !strings.Contains(stdout, "| no cache dir /nonexistent/cache") {
		t.Errorf("the failing step's output is not shown:\n%s", stdout)
	}
	if !oneLineError.MatchString(stderr) || !strings.Contains(stderr, "flush-cache") || !strings.Contains(stderr, "1 of 2") {
		t.Errorf("stderr %q, want one line naming flush-cache and 1 of 2 failed", stderr)
	}
	// With the directory there it passes: the failure was the dry run's, not the harness's.
	cache := filepath.Join(t.TempDir(), "cache")
	if err := os.Mkdir(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	out := e.ok("runbook", "test", "flush-cache", "--var", "CACHE_DIR="+cache)
	if !strings.Contains(out, "ok   flush-cache/flush on localhost: ok (dry_run, exit 0") {
		t.Errorf("runbook test with the cache dir:\n%s", out)
	}

	// Refusals: unknown runbook, a pattern matching nothing, a bad --var: exit 2.
	for _, args := range [][]string{
		{"runbook", "test", "no-such-runbook"},
		{"runbook", "test", "flush-cache", "--hosts", "nothing-here"},
		{"runbook", "test"},
		{"runbook", "test", "flush-cache", "--var", "NO_EQUALS_SIGN"},
	} {
		stdout, stderr, code := e.fb(args...)
		if code != 2 || stdout != "" || !strings.HasPrefix(stderr, "firebreak: ") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and an error", args, code, stdout, stderr)
		}
	}
}
