package main

// End-to-end tests of the PostgreSQL engine through the real binary (issue 15): a record built in SQLite
// moves to a real PostgreSQL server and back with migrate, is backed up from PostgreSQL to a SQLite file and
// restored into another PostgreSQL database, and reads the same through every command on the way.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firebreak/firebreak/runbooks/transport/sshtest"
	"github.com/firebreak/firebreak/store/postgres/pgtest"
)

// record is what the command line tells about a database: the snapshot (list, timelines, states) plus
// every run and the retrospective of each incident.
func (e *fbEnv) record(incs ...string) string {
	e.t.Helper()
	var b strings.Builder
	b.WriteString(e.snapshot())
	b.WriteString(e.ok("runs", "--json"))
	for _, inc := range incs {
		b.WriteString(e.ok("retro", "show", inc))
		b.WriteString(e.ok("export", inc, "--format", "json"))
	}
	return b.String()
}

func TestE2EPostgresMigrateBackupRestore(t *testing.T) {
	e := newEnv(t)
	f := sshtest.Start(t, 2)
	inc1 := e.declare("checkout is down", "--sev", "3")
	inc2 := e.declare("a drill", "--drill")
	e.ok("note", inc1, "the payment provider answers 503")
	e.ok("role", inc1, "commander", "alice")
	e.ok("status", inc1, "identified")
	e.ok("role", inc1, "scribe", "carol")
	e.ok("star", inc1, "2")
	e.ok("note", inc2, "drill note")
	e.ok("retro", "set", inc1, "summary", "The payment provider failed; checkout was down for 20 minutes.")
	e.ok("retro", "action", inc1, "add", "alert on provider 5xx", "--owner", "alice", "--kind", "detect")
	run := []string{"run", inc1, "--command", "echo restarted $FIREBREAK_HOST", "-i", f.Inventory, "--hosts", "all"}
	e.ok(append(run, "--dry-run", "--yes")...)
	e.ok(append(run, "--stages", "1,100%", "--yes", "--confirm-out-of-hours")...)
	want := e.record(inc1, inc2)

	srv := pgtest.Shared(t)
	url := pgtest.NewDatabase(t)
	out := e.ok("migrate", "--to", url)
	if !strings.Contains(out, "copied 2 incidents") || !strings.Contains(out, "every chain verified") {
		t.Fatalf("migrate printed %q", out)
	}
	pg := e.with("FIREBREAK_DB", url)
	if got := pg.record(inc1, inc2); got != want {
		t.Fatalf("the record read from PostgreSQL differs from SQLite's:\n%s", firstDiff(want, got))
	}
	pg.ok("audit", "verify")
	stdout, stderr, code := e.fb("migrate", "--to", url)
	wantError(t, "migrate into a database that holds a record", stdout, stderr, code, 2, "already holds a record")

	// The record lives on in PostgreSQL: the chain continues where SQLite left it.
	pg.ok("note", inc1, "written on PostgreSQL")
	tl := pg.timeline(inc1)
	if last := tl[len(tl)-1]; last.Text != "written on PostgreSQL" || last.Seq != int64(len(tl)) {
		t.Fatalf("the note on PostgreSQL is %+v (of %d events)", last, len(tl))
	}
	pg.ok("audit", "verify")
	want = pg.record(inc1, inc2)

	// Backup from PostgreSQL writes a SQLite file; restore takes it into another, empty PostgreSQL database.
	backup := filepath.Join(e.root, "pg-backup.db")
	out = pg.ok("backup", backup)
	if strings.Contains(out, srv.Password()) {
		t.Fatalf("backup printed the database password: %q", out)
	}
	if got := e.with("FIREBREAK_DB", backup).record(inc1, inc2); got != want {
		t.Fatalf("the backup differs from the PostgreSQL record:\n%s", firstDiff(want, got))
	}
	url2 := pgtest.NewDatabase(t)
	pg2 := e.with("FIREBREAK_DB", url2)
	out = pg2.ok("restore", backup)
	if strings.Contains(out, srv.Password()) {
		t.Fatalf("restore printed the database password: %q", out)
	}
	if got := pg2.record(inc1, inc2); got != want {
		t.Fatalf("the record restored into PostgreSQL differs:\n%s", firstDiff(want, got))
	}
	stdout, stderr, code = pg2.fb("restore", backup)
	wantError(t, "restore into a database that holds a record", stdout, stderr, code, 2, "already holds a record")

	// And back to SQLite.
	back := filepath.Join(e.root, "back.db")
	pg.ok("migrate", "--to", back)
	if got := e.with("FIREBREAK_DB", back).record(inc1, inc2); got != want {
		t.Fatalf("the record moved back to SQLite differs:\n%s", firstDiff(want, got))
	}
	e.with("FIREBREAK_DB", back).ok("audit", "verify")
}

// firstDiff shows where two long texts first differ.
func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-200)
	return "want: ..." + a[from:min(len(a), i+200)] + "\n got: ..." + b[from:min(len(b), i+200)]
}

// TestE2EPostgresConsolesOnTwoBastions stands two consoles in for two bastions (different machine ids)
// on one PostgreSQL database: what the command line writes on one is on both consoles within a second
// (LISTEN/NOTIFY), and so is a halt.
func TestE2EPostgresConsolesOnTwoBastions(t *testing.T) {
	url := pgtest.NewDatabase(t)
	e := newEnv(t).with("FIREBREAK_DB", url)
	inc := e.declare("replication lag on the primary", "--sev", "2")
	a := startConsole(t, e.with("FIREBREAK_MACHINE_ID", "bastion-a"), 110, 30)
	b := startConsole(t, e.with("FIREBREAK_MACHINE_ID", "bastion-b"), 110, 30)
	for _, c := range []*tmuxConsole{a, b} {
		c.waitFor(15*time.Second, inc, "replication lag")
	}
	other := e.with("FIREBREAK_MACHINE_ID", "bastion-c").with("FIREBREAK_USER", "dave")
	other.declare("queue backlog in eu-west", "--sev", "3")
	for name, c := range map[string]*tmuxConsole{"a": a, "b": b} {
		if d := c.waitFor(5*time.Second, "queue backlog in eu-west"); d > time.Second {
			t.Errorf("console %s showed a new incident after %v, want within 1s", name, d)
		}
	}
	other.ok("halt", "--reason", "stop everything")
	for name, c := range map[string]*tmuxConsole{"a": a, "b": b} {
		if d := c.waitFor(5*time.Second, "HALTED by", "dave", "stop everything"); d > time.Second {
			t.Errorf("console %s showed the halt after %v, want within 1s", name, d)
		}
	}
	a.checkWidth(110)
}

// TestE2EPostgresPasswordStaysPrivate: with the password in the URL (--db), the password reaches no output,
// no event, no hook's argv, environment or stdin; the hook still gets the address of the database.
func TestE2EPostgresPasswordStaysPrivate(t *testing.T) {
	srv := pgtest.Shared(t)
	url := pgtest.NewDatabase(t)
	if !strings.Contains(url, srv.Password()) {
		t.Fatalf("the test URL %q does not carry the password: the test would prove nothing", url)
	}
	e := newEnv(t).with("FIREBREAK_DB", "")
	seen := filepath.Join(e.root, "hook")
	mustWriteFile(t, filepath.Join(e.work, "firebreak.toml"), []byte(`
[[notify]]
events = ["*"]
command = ["sh", "-c", `+tomlQuote(`{ echo "argv: $0 $*"; env; cat; } >> `+seen)+`]
`))
	inc := e.declare("--db", url, "the password must stay private")
	e.ok("--db", url, "note", inc, "a note")
	var all strings.Builder
	all.WriteString(e.ok("--db", url, "timeline", inc, "--json"))
	all.WriteString(e.ok("--db", url, "show", inc, "--json"))
	all.WriteString(e.ok("--db", url, "export", inc))
	var hook []byte
	waitFor(t, "the hooks to run for both events", 15*time.Second, func() bool {
		hook, _ = os.ReadFile(seen)
		return strings.Count(string(hook), `"kind":"`) >= 2
	})
	all.Write(hook)
	if strings.Contains(all.String(), srv.Password()) {
		t.Fatalf("the password leaked:\n%s", all.String())
	}
	if !strings.Contains(string(hook), "FIREBREAK_DB=postgres://") {
		t.Errorf("the hook does not get the database's address:\n%s", hook)
	}
}

// TestE2EMigrateRefusals: migrate says what to do for every target it cannot take, and copies nothing.
func TestE2EMigrateRefusals(t *testing.T) {
	e := newEnv(t)
	e.declare("disk full")
	for _, tc := range []struct {
		what string
		args []string
		says string
	}{
		{"no target", []string{"migrate"}, "migrate needs --to"},
		{"a missing directory", []string{"migrate", "--to", filepath.Join(e.root, "no", "such", "x.db")}, "choose another --to"},
		{"the source itself", []string{"migrate", "--to", e.db}, "names the database being copied"},
	} {
		stdout, stderr, code := e.fb(tc.args...)
		wantError(t, tc.what, stdout, stderr, code, 2, tc.says)
	}
	other := filepath.Join(e.root, "other.db")
	e.with("FIREBREAK_DB", other).declare("another record")
	stdout, stderr, code := e.fb("migrate", "--to", other)
	wantError(t, "a target that holds a record", stdout, stderr, code, 2, "already holds a record")
	if n := len(e.with("FIREBREAK_DB", other).list("--all")); n != 1 {
		t.Fatalf("the refused migrate changed the target: %d incidents", n)
	}
}
