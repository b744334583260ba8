package runbooks

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/firebreak/firebreak/runbooks/runbooktest"
)

// withSystemd installs the fake systemctl and returns its unit directory.
func (b *bench) withSystemd() string {
	units := b.path("units")
	if err := os.Mkdir(units, 0o755); err != nil {
		b.t.Fatal(err)
	}
	b.addStub("systemctl", runbooktest.FakeSystemctl)
	b.vars["FAKE_SYSTEMD"] = units
	return units
}

// calls returns the fake commands' call log, one call a line.
func (b *bench) calls() []string {
	data, err := os.ReadFile(b.vars["FAKE_CALLS"])
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		b.t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

func TestRestartServiceScripts(t *testing.T) {
	b := newBench(t, "restart-service")
	units := b.withSystemd()
	b.vars["SERVICE"] = "app"
	b.vars["HEALTH_CMD"] = `test -f "$FAKE_SYSTEMD/app.active"`
	b.vars["HEALTH_TIMEOUT"] = "2"

	b.mustFail("restart", "check")
	if out := b.dryRunChangesNothing("restart", units); !strings.Contains(out, "dry run: would restart app") {
		t.Errorf("dry run: %s", out)
	}
	b.mustRun("restart", "script", 0)
	if !exists(filepath.Join(units, "app.active")) || !slices.Contains(b.calls(), "restart app") {
		t.Fatalf("app was not restarted: %v", b.calls())
	}
	n := len(b.calls())
	b.secondRunChangesNothing("restart", units)
	for _, c := range b.calls()[n:] {
		if strings.HasPrefix(c, "restart") {
			t.Errorf("a second run restarted again: %v", b.calls()[n:])
		}
	}

	// A service that never gets healthy fails the step.
	b.vars["HEALTH_CMD"] = "false"
	if out := b.mustRun("restart", "script", 1); !strings.Contains(out, "did not pass its health check within 2s") {
		t.Errorf("unhealthy restart: %s", out)
	}
}

func TestScaleServiceScripts(t *testing.T) {
	b := newBench(t, "scale-service")
	units := b.withSystemd()
	writeFile(t, filepath.Join(units, "worker@1.active"), "")
	writeFile(t, filepath.Join(units, "worker@2.active"), "")
	writeFile(t, filepath.Join(units, "other.active"), "")
	b.vars["SERVICE"], b.vars["INSTANCES"], b.vars["STATE_DIR"] = "worker", "4", b.path("state")
	running := func() []string {
		var got []string
		for _, f := range []string{"worker@1", "worker@2", "worker@3", "worker@4", "worker@5", "other"} {
			if exists(filepath.Join(units, f+".active")) {
				got = append(got, f)
			}
		}
		return got
	}

	b.mustFail("scale", "check")
	out := b.dryRunChangesNothing("scale", b.dir+"/units")
	if !strings.Contains(out, "would start worker@3.service") || !strings.Contains(out, "would start worker@4.service") || strings.Contains(out, "would stop") {
		t.Errorf("scale-out dry run: %s", out)
	}
	b.mustRun("scale", "script", 0)
	if got := running(); !slices.Equal(got, []string{"worker@1", "worker@2", "worker@3", "worker@4", "other"}) {
		t.Fatalf("after scaling out: %v", got)
	}
	if readFile(t, b.path("state", "worker.previous")) != "2\n" {
		t.Error("the previous count was not recorded")
	}
	b.secondRunChangesNothing("scale", b.dir)

	b.vars["INSTANCES"] = "1"
	b.mustFail("scale", "check")
	if out := b.dryRunChangesNothing("scale", b.dir); !strings.Contains(out, "would stop worker@4.service") {
		t.Errorf("scale-in dry run: %s", out)
	}
	b.mustRun("scale", "script", 0)
	if got := running(); !slices.Equal(got, []string{"worker@1", "other"}) {
		t.Fatalf("after scaling in: %v", got)
	}
	b.secondRunChangesNothing("scale", b.dir)

	b.mustRun("scale", "rollback", 0)
	if got := running(); !slices.Equal(got, []string{"worker@1", "worker@2", "other"}) {
		t.Fatalf("rollback should go back to the 2 instances from before: %v", got)
	}
	before := snapshot(t, b.dir+"/units")
	b.mustRun("scale", "rollback", 0)
	sameTree(t, "second rollback", before, snapshot(t, b.dir+"/units"))
}

func TestIsolateHostScripts(t *testing.T) {
	b := newBench(t, "isolate-host")
	tables := b.path("nft")
	if err := os.Mkdir(tables, 0o755); err != nil {
		t.Fatal(err)
	}
	b.addStub("nft", runbooktest.FakeNft)
	b.vars["FAKE_NFT"] = tables
	b.vars["ALLOW_ADDRS"] = "10.0.0.10 2001:db8::7 192.0.2.0/24"

	b.mustFail("isolate", "check")
	out := b.dryRunChangesNothing("isolate", tables)
	for _, want := range []string{"ip saddr 10.0.0.10 accept", "ip6 daddr 2001:db8::7 accept", "ip saddr 192.0.2.0/24 accept", "policy drop"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run ruleset lacks %q:\n%s", want, out)
		}
	}
	b.mustRun("isolate", "script", 0)
	rules := readFile(t, filepath.Join(tables, "firebreak_isolate"))
	if !strings.Contains(rules, "iif lo accept") || strings.Count(rules, "policy drop") != 2 {
		t.Fatalf("ruleset:\n%s", rules)
	}
	b.secondRunChangesNothing("isolate", tables)
	b.mustRun("isolate", "rollback", 0)
	if exists(filepath.Join(tables, "firebreak_isolate")) {
		t.Fatal("rollback left the table")
	}
	b.mustRun("isolate", "rollback", 0)

	// Without an allowed address, or with something that is not an address, nothing is applied.
	for _, bad := range []string{"", "10.0.0.1; flush ruleset"} {
		b.vars["ALLOW_ADDRS"] = bad
		before := snapshot(t, tables)
		b.mustRun("isolate", "script", 2)
		b.mustRun("isolate", "dry", 2)
		sameTree(t, "refused isolation", before, snapshot(t, tables))
	}
}

func TestRestoreDatabaseScripts(t *testing.T) {
	b := newBench(t, "restore-database")
	pg := b.path("pg")
	writeFile(t, filepath.Join(pg, "app", "tables"), "broken\n")
	for _, c := range []string{"psql", "createdb", "pg_restore"} {
		b.addStub(c, runbooktest.FakePostgres)
	}
	dump := b.path("backups", "app.dump")
	writeFile(t, dump, "users\norders\ninvoices\n")
	b.vars["FAKE_PG"] = pg
	b.vars["BACKUP_FILE"], b.vars["STATE_DIR"] = dump, b.path("state")

	before := snapshot(t, b.dir)
	if out := b.mustRun("check-backup", "script", 0); !strings.Contains(out, "3 entries") || !strings.Contains(out, "(this is the RPO)") {
		t.Errorf("check-backup: %s", out)
	}
	sameTree(t, "check-backup", before, snapshot(t, b.dir))

	b.mustFail("restore", "check")
	if out := b.dryRunChangesNothing("restore", pg); !strings.Contains(out, "would rename app (exists: 1) to app_before_restore") {
		t.Errorf("dry run: %s", out)
	}
	b.mustRun("restore", "script", 0)
	if readFile(t, filepath.Join(pg, "app", "tables")) != "users\norders\ninvoices\n" || readFile(t, filepath.Join(pg, "app_before_restore", "tables")) != "broken\n" {
		t.Fatal("restore did not restore the dump and keep the old database aside")
	}
	b.secondRunChangesNothing("restore", pg)
	if out := b.mustRun("restore", "verify", 0); !strings.Contains(out, "app answers: 3") {
		t.Errorf("verify: %s", out)
	}

	// With the old database still kept aside, a restore of another backup is refused.
	writeFile(t, dump, "users\n")
	b.mustRun("restore", "dry", 1)
	b.mustRun("restore", "script", 1)

	b.mustRun("restore", "rollback", 0)
	if readFile(t, filepath.Join(pg, "app", "tables")) != "broken\n" || exists(filepath.Join(pg, "app_before_restore")) {
		t.Fatal("rollback did not bring the old database back")
	}
	b.mustRun("restore", "rollback", 0)
}
