package main

import (
	"crypto/rand"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"
)

// tamper changes the database behind firebreak's back, as someone with the file would: drop the append-only
// triggers, then run stmts.
func tamper(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range append([]string{"DROP TRIGGER IF EXISTS events_no_update", "DROP TRIGGER IF EXISTS events_no_delete"}, stmts...) {
		res, err := db.Exec(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if n, _ := res.RowsAffected(); strings.HasPrefix(s, "UPDATE") || strings.HasPrefix(s, "DELETE") {
			if n != 1 {
				t.Fatalf("%s changed %d rows, want 1", s, n)
			}
		}
	}
}

// auditDB is a database with two incidents of 5 events each.
func auditDB(t *testing.T) *fbEnv {
	e := newEnv(t)
	for _, title := range []string{"first", "second"} {
		id := e.declare(title)
		for i := 1; i <= 4; i++ {
			e.ok("note", id, fmt.Sprintf("%s note %d", title, i))
		}
	}
	return e
}

// audit verify: 0 on an intact database; 1 naming the incident and the first bad event after someone changes
// or removes events behind firebreak's back.
func TestE2EAuditVerify(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		stmts  []string
		want   []string
		notOK2 bool
	}{
		{"text changed", []string{"UPDATE events SET text = 'nothing happened' WHERE incident_id = 2 AND seq = 3"}, []string{"INC-2", "event 3"}, true},
		{"actor changed", []string{"UPDATE events SET actor = 'mallory' WHERE incident_id = 2 AND seq = 2"}, []string{"INC-2", "event 2"}, true},
		{"time changed", []string{"UPDATE events SET at = '2020-01-01T00:00:00.000000Z' WHERE incident_id = 2 AND seq = 4"}, []string{"INC-2", "event 4"}, true},
		{"data changed", []string{`UPDATE events SET data = '{"title":"x"}' WHERE incident_id = 2 AND seq = 1`}, []string{"INC-2", "event 1"}, true},
		{"middle deleted", []string{"DELETE FROM events WHERE incident_id = 2 AND seq = 3"}, []string{"INC-2", "event 3", "missing"}, true},
		{"first deleted", []string{"DELETE FROM events WHERE incident_id = 2 AND seq = 1"}, []string{"INC-2", "event 1"}, true},
		{"last deleted", []string{"DELETE FROM events WHERE incident_id = 2 AND seq = 5"}, []string{"INC-2", "event 5"}, true},
		{"last replaced", []string{"UPDATE events SET text = 'x', hash = 'ffff' WHERE incident_id = 2 AND seq = 5"}, []string{"INC-2", "event 5"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := auditDB(t)
			out := e.ok("audit", "verify")
			for _, want := range []string{"INC-1: intact, 5 events", "INC-2: intact, 5 events", "2 incidents verified"} {
				if !strings.Contains(out, want) {
					t.Errorf("audit verify of an intact database says %q, want %q", out, want)
				}
			}
			e.ok("audit", "verify", "INC-2")

			tamper(t, e.db, c.stmts...)

			stdout, stderr, code := e.fb("audit", "verify")
			if code != 1 {
				t.Errorf("audit verify after tampering: exit %d, want 1 (stdout %q stderr %q)", code, stdout, stderr)
			}
			if !oneLineError.MatchString(stderr) {
				t.Errorf("stderr %q, want one firebreak: line", stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q does not name %q", stderr, w)
				}
			}
			if strings.Contains(stdout, "INC-2: intact") || strings.Contains(stdout, "incidents verified") {
				t.Errorf("stdout claims success: %q", stdout)
			}
			stdout, stderr, code = e.fb("audit", "verify", "INC-2")
			if code != 1 || stdout != "" || !oneLineError.MatchString(stderr) || !strings.Contains(stderr, c.want[1]) {
				t.Errorf("audit verify INC-2: exit %d stdout %q stderr %q, want 1 naming %s", code, stdout, stderr, c.want[1])
			}
			// The other incident still proves itself.
			if out := e.ok("audit", "verify", "INC-1"); !strings.Contains(out, "INC-1: intact") {
				t.Errorf("audit verify INC-1: %q", out)
			}
		})
	}
}

// Tampering with the first incident is reported as the first bad event, before later incidents.
func TestE2EAuditVerifyNamesFirstBadEvent(t *testing.T) {
	t.Parallel()
	e := auditDB(t)
	tamper(t, e.db,
		"UPDATE events SET text = 'a' WHERE incident_id = 1 AND seq = 4",
		"UPDATE events SET text = 'b' WHERE incident_id = 1 AND seq = 2",
		"DELETE FROM events WHERE incident_id = 2 AND seq = 2")
	_, stderr, code := e.fb("audit", "verify")
	if code != 1 || !regexp.MustCompile(`INC-1 event 2\b`).MatchString(stderr) {
		t.Errorf("exit %d stderr %q, want 1 naming INC-1 event 2", code, stderr)
	}
	if !strings.Contains(stderr, "audit failed: INC-1 event 2") {
		t.Errorf("stderr %q, want the message audit.go builds: \"audit failed: INC-1 event 2: ...\"", stderr)
	}
	_, stderr, code = e.fb("audit", "verify", "INC-2")
	if code != 1 || !regexp.MustCompile(`INC-2 event 2\b`).MatchString(stderr) {
		t.Errorf("exit %d stderr %q, want 1 naming INC-2 event 2", code, stderr)
	}
}

// A backup taken while other processes keep writing notes is consistent: restored into a new database, it
// verifies, holds every note that was reported done before the backup began, and is a prefix of the live
// timeline. Nobody sees "database is locked".
func TestE2EBackupWhileWriting(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.declare("backup under load")

	const writers = 3
	var (
		stop     atomic.Bool
		mu       sync.Mutex
		done     []string // notes reported done, in completion order
		problems []string
		wg       sync.WaitGroup
		count    atomic.Int64
	)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; !stop.Load() && k < 400; k++ {
				text := fmt.Sprintf("writer %d note %d", w, k)
				stdout, stderr, code, err := e.run("", "note", id, text)
				mu.Lock()
				switch {
				case err != nil:
					problems = append(problems, err.Error())
				case code != 0 || !strings.Contains(stdout, "note added"):
					problems = append(problems, fmt.Sprintf("note: exit %d stdout %q stderr %q", code, stdout, stderr))
				default:
					done = append(done, text)
					count.Add(1)
				}
				mu.Unlock()
			}
		}()
	}
	pollUntil(t, 30*time.Second, "writers got going", func() bool { return count.Load() >= 30 })
	mu.Lock()
	beforeBackup := slices.Clone(done)
	mu.Unlock()
	bk := filepath.Join(e.root, "backup.db")
	stdout, stderr, code := e.fb("backup", bk)
	mu.Lock()
	n := len(done)
	mu.Unlock()
	pollUntil(t, 30*time.Second, "writers carried on after the backup", func() bool { return count.Load() >= int64(n+10) })
	stop.Store(true)
	wg.Wait()
	if code != 0 || !strings.Contains(stdout, bk) {
		t.Fatalf("backup while writing: exit %d stdout %q stderr %q", code, stdout, stderr)
	}
	for _, p := range problems {
		t.Errorf("a writer: %s", p)
	}
	if st, err := os.Stat(bk); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("backup file: %v, mode %v, want 0600", err, st.Mode().Perm())
	}

	restored := filepath.Join(e.root, "restored", "fb.db")
	os.Mkdir(filepath.Dir(restored), 0o700)
	out := e.ok("restore", bk, "--db", restored)
	if !strings.Contains(out, restored) || strings.Contains(out, "kept") {
		t.Errorf("restore into a new path says %q", out)
	}
	if out := e.ok("audit", "verify", "--db", restored); !strings.Contains(out, "INC-1: intact") {
		t.Errorf("audit verify of the restored backup: %q", out)
	}
	got := e.timeline(id, "--db", restored)
	live := e.timeline(id)
	if len(got) < 1+len(beforeBackup) || len(got) > len(live) {
		t.Fatalf("restored backup has %d events; %d notes were done before it began and the live database has %d", len(got), len(beforeBackup), len(live))
	}
	have := map[string]bool{}
	for i, ev := range got {
		if ev.Seq != int64(i+1) || ev.Hash != live[i].Hash || ev.Text != live[i].Text {
			t.Fatalf("restored event %d differs from the live one: %+v vs %+v", i+1, ev, live[i])
		}
		have[ev.Text] = true
	}
	for _, text := range beforeBackup {
		if !have[text] {
			t.Errorf("note %q was done before the backup began but is not in it", text)
		}
	}
	// And the live database kept every note reported done.
	liveTexts := map[string]bool{}
	for _, ev := range live {
		liveTexts[ev.Text] = true
	}
	for _, text := range done {
		if !liveTexts[text] {
			t.Errorf("note %q was reported done but is not in the database", text)
		}
	}
	if len(live) != 1+len(done) {
		t.Errorf("live timeline has %d events, want %d", len(live), 1+len(done))
	}
	e.ok("audit", "verify")
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// backup never overwrites; restore refuses a database in use and a file that is not a database, and keeps the
// database it replaces.
func TestE2EBackupRestoreRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.declare("restore drill")
	e.ok("note", id, "in the backup")
	bk := filepath.Join(e.root, "bk.db")
	e.ok("backup", bk)

	t.Run("backup onto an existing file", func(t *testing.T) {
		precious := filepath.Join(e.root, "precious.txt")
		mustWriteFile(t, precious, []byte("do not overwrite me\n"))
		stdout, stderr, code := e.fb("backup", precious)
		wantError(t, "backup onto an existing file", stdout, stderr, code, 2, precious)
		if got := string(mustReadFile(t, precious)); got != "do not overwrite me\n" {
			t.Errorf("the existing file became %q", got)
		}
		stdout, stderr, code = e.fb("backup", bk)
		wantError(t, "backup onto an earlier backup", stdout, stderr, code, 2, bk)
	})

	t.Run("restore onto a database in use", func(t *testing.T) {
		f := e.startFollow(id, "077")
		before := e.snapshot()
		names := dirNames(t, e.root)
		stdout, stderr, code := e.fb("restore", bk)
		wantError(t, "restore onto a database in use", stdout, stderr, code, 2, "in use")
		if e.snapshot() != before {
			t.Errorf("the refused restore changed the database")
		}
		if got := dirNames(t, e.root); !slices.Equal(got, names) {
			t.Errorf("the refused restore left files: %q -> %q", names, got)
		}
		f.stop(t)
	})

	t.Run("restore a file that is not a database", func(t *testing.T) {
		junk := filepath.Join(e.root, "junk.bin")
		data := make([]byte, 10000)
		rand.Read(data)
		mustWriteFile(t, junk, data)
		before := e.snapshot()
		names := dirNames(t, e.root)
		stdout, stderr, code := e.fb("restore", junk)
		wantError(t, "restore of random bytes", stdout, stderr, code, 2, junk)
		if strings.Contains(stderr, ".restoring-") {
			t.Errorf("stderr %q names the temporary copy instead of the backup", stderr)
		}
		if e.snapshot() != before {
			t.Errorf("the refused restore changed the database")
		}
		if got := dirNames(t, e.root); !slices.Equal(got, names) {
			t.Errorf("the refused restore left files: %q -> %q", names, got)
		}
		if string(mustReadFile(t, junk)) != string(data) {
			t.Errorf("the refused restore changed the file it was given")
		}
		stdout, stderr, code = e.fb("restore", filepath.Join(e.root, "no-such-backup.db"))
		wantError(t, "restore of a missing file", stdout, stderr, code, 2, "no-such-backup.db")
	})

	t.Run("restore of a tampered backup", func(t *testing.T) {
		bad := filepath.Join(e.root, "tampered.db")
		e.ok("backup", bad)
		tamper(t, bad, "UPDATE events SET text = 'nothing to see' WHERE incident_id = 1 AND seq = 2")
		before := e.snapshot()
		stdout, stderr, code := e.fb("restore", bad)
		wantError(t, "restore of a backup whose chain is broken", stdout, stderr, code, 2, "INC-1", "event 2")
		if e.snapshot() != before {
			t.Errorf("the refused restore changed the database")
		}
	})

	t.Run("restore over an existing database keeps it", func(t *testing.T) {
		e.ok("note", id, "after the backup")
		after := e.snapshot()
		out := e.ok("restore", bk)
		m := regexp.MustCompile(`kept as (\S+)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("restore over a database says %q, want it to name the kept copy", out)
		}
		kept := m[1]
		if !strings.HasPrefix(kept, e.db+".") {
			t.Errorf("kept copy %s is not beside %s", kept, e.db)
		}
		evs := e.timeline(id)
		if len(evs) != 2 || evs[1].Text != "in the backup" {
			t.Errorf("after restore the timeline is %+v, want the backup's two events", evs)
		}
		e.ok("audit", "verify")
		// The kept database is the one that was replaced, with the note written after the backup.
		if got := e.snapshot("--db", kept); got != after {
			t.Errorf("the kept database is not the one replaced:\n%s\nwant\n%s", got, after)
		}
	})
}

// Every restore keeps the database it replaced: two restores in a row keep two different databases.
// BUG: the kept name has one-second resolution (TARGET.before-restore-YYYYMMDDTHHMMSSZ) and os.Rename
// replaces an existing file, so a second restore within the same second silently destroys the first kept
// database.
func TestE2ERestoreTwiceKeepsBoth(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.declare("restore twice")
	bk := filepath.Join(e.root, "bk.db")
	e.ok("backup", bk)
	keptRe := regexp.MustCompile(`kept as (\S+)`)
	var kept []string
	for _, note := range []string{"written before the first restore", "written before the second restore"} {
		e.ok("note", id, note)
		m := keptRe.FindStringSubmatch(e.ok("restore", bk))
		if m == nil {
			t.Fatalf("restore over a database did not name the kept copy")
		}
		kept = append(kept, m[1])
	}
	if kept[0] == kept[1] {
		t.Errorf("both restores kept the replaced database as %s", kept[0])
	}
	for i, k := range kept {
		evs := e.timeline(id, "--db", k)
		want := []string{"written before the first restore", "written before the second restore"}[i]
		if len(evs) != 2 || evs[1].Text != want {
			var texts []string
			for _, ev := range evs {
				texts = append(texts, ev.Text)
			}
			if kept[0] == kept[1] && i == 0 {
				t.Errorf("the first kept database %s now holds %q, its note %q is lost", k, texts, want)
				continue
			}
			t.Errorf("kept database %s holds %q, want the note %q", k, texts, want)
		}
	}
}
