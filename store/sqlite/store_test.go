package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firebreak/firebreak/store"
)

func openTemp(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "fb.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// newIncident creates an incident row and appends n events to it.
func newIncident(t *testing.T, db *DB, n int) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	err := db.Write(ctx, func(tx store.Tx) error {
		var err error
		id, err = tx.CreateIncident(ctx, store.IncidentRow{Title: "t", Severity: 2, Status: "investigating", DeclaredAt: time.Now()})
		if err != nil {
			return err
		}
		for i := range n {
			ev := store.Event{Incident: id, Actor: "tester", Kind: "note", Text: fmt.Sprintf("note %d", i), Data: json.RawMessage(`{"i":1}`)}
			if err := tx.AppendEvent(ctx, &ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestOpenCreatesPrivateFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "fb.db")
	old := umask(0o022)
	defer umask(old)
	db, err := Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	newIncident(t, db, 3) // the WAL exists while the database is open and written
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-lock"} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", p, st.Mode().Perm())
		}
	}
	var mode string
	if err := db.Read().QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
}

func TestOpenCreatesDefaultDirectoryOnlyWhenAsked(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	_, err := Open(context.Background(), filepath.Join(dir, "fb.db"), store.Options{})
	if !errors.Is(err, store.ErrUnusable) {
		t.Fatalf("missing directory: want store.ErrUnusable, got %v", err)
	}
	db, err := Open(context.Background(), filepath.Join(dir, "fb.db"), store.Options{CreateDir: true})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("created directory: %v %v, want mode 0700", st.Mode(), err)
	}
}

func TestOpenRefusesUnusableFiles(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "random.bin")
	junk := []byte("this is not a database, it is a grocery list: eggs, milk, more coffee......")
	junk = append(junk, make([]byte, 4096)...)
	os.WriteFile(notDB, junk, 0o600)
	aFile := filepath.Join(dir, "file")
	os.WriteFile(aFile, []byte("x"), 0o600)

	other := filepath.Join(dir, "other.db")
	odb, _ := sql.Open("sqlite3", other)
	if _, err := odb.Exec("CREATE TABLE recipes (name TEXT)"); err != nil {
		t.Fatal(err)
	}
	odb.Close()

	newer := filepath.Join(dir, "newer.db")
	ndb, _ := sql.Open("sqlite3", newer)
	if _, err := ndb.Exec(fmt.Sprintf("CREATE TABLE x (y); PRAGMA user_version = %d", SchemaVersion()+1)); err != nil {
		t.Fatal(err)
	}
	ndb.Close()

	cases := []struct {
		name, path, want string
	}{
		{"not sqlite", notDB, "not a firebreak database"},
		{"parent is a file", filepath.Join(aFile, "fb.db"), "not a directory"},
		{"missing dir", filepath.Join(dir, "nope", "fb.db"), "does not exist"},
		{"another program's database", other, "another program"},
		{"newer firebreak", newer, "newer firebreak"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before, _ := os.ReadFile(c.path)
			_, err := Open(context.Background(), c.path, store.Options{})
			if !errors.Is(err, store.ErrUnusable) || !contains(err.Error(), c.want) {
				t.Fatalf("want store.ErrUnusable mentioning %q, got %v", c.want, err)
			}
			after, _ := os.ReadFile(c.path)
			if string(before) != string(after) {
				t.Errorf("%s was modified by a refused open", c.path)
			}
		})
	}
}

func TestMigrationsRecordVersionAndReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fb.db")
	for range 2 {
		db, err := Open(context.Background(), path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var v int
		db.Read().QueryRow("PRAGMA user_version").Scan(&v)
		if v != SchemaVersion() || v < 1 {
			t.Fatalf("user_version %d, want %d", v, SchemaVersion())
		}
		db.Close()
	}
}

func TestChainAndTampering(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name, sql string
		seq       int64
		want      string
	}{
		{"changed text", "UPDATE events SET text = 'nothing happened' WHERE incident_id = ? AND seq = 3", 3, "changed"},
		{"changed actor", "UPDATE events SET actor = 'mallory' WHERE incident_id = ? AND seq = 2", 2, "changed"},
		{"deleted middle", "DELETE FROM events WHERE incident_id = ? AND seq = 2", 2, "deleted"},
		{"deleted last", "DELETE FROM events WHERE incident_id = ? AND seq = 5", 5, "missing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := openTemp(t)
			id := newIncident(t, db, 5)
			other := newIncident(t, db, 2)
			if err := store.VerifyChain(ctx, db, id); err != nil {
				t.Fatalf("fresh chain: %v", err)
			}
			// The triggers refuse tampering through SQL...
			if _, err := db.writer.Exec(c.sql, id); err == nil {
				t.Fatal("the append-only triggers let a change through")
			}
			// ...so a tamperer drops them first.
			raw, _ := sql.Open("sqlite3", db.Path())
			defer raw.Close()
			if _, err := raw.Exec("DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete"); err != nil {
				t.Fatal(err)
			}
			if _, err := raw.Exec(c.sql, id); err != nil {
				t.Fatal(err)
			}
			err := store.VerifyChain(ctx, db, id)
			var ce *store.ChainError
			if !errors.As(err, &ce) || ce.Seq != c.seq || !contains(ce.Error(), c.want) {
				t.Fatalf("want store.ChainError at %d mentioning %q, got %v", c.seq, c.want, err)
			}
			if err := store.VerifyChain(ctx, db, other); err != nil {
				t.Errorf("untouched incident reported broken: %v", err)
			}
		})
	}
}

func TestWatchSeesOtherConnections(t *testing.T) {
	db := openTemp(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := db.Watch(ctx, 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	other, err := Open(ctx, db.Path(), store.Options{}) // a second handle: its own connections, as another process has
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	start := time.Now()
	newIncident(t, other, 1)
	select {
	case <-ch:
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Errorf("change seen after %v, want within 500ms", d)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no change signal within 2s")
	}
	select {
	case <-ch:
		t.Fatal("a signal without a new write")
	case <-time.After(100 * time.Millisecond):
	}
	cancel()
	for range ch { // closes when ctx is done
	}
}

func TestBackupAndRestore(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	id := newIncident(t, db, 20)
	dir := t.TempDir()
	backup := filepath.Join(dir, "backup.db")
	if err := db.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(backup); st.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v, want 0600", st.Mode().Perm())
	}
	if err := db.Backup(ctx, backup); !errors.Is(err, store.ErrUnusable) {
		t.Errorf("backup over an existing file: want refusal, got %v", err)
	}

	// Restore refuses a database that is open...
	if _, err := Restore(ctx, backup, db.Path()); !errors.Is(err, store.ErrUnusable) || !contains(err.Error(), "in use") {
		t.Fatalf("restore over an open database: want 'in use', got %v", err)
	}
	// ...and restores into a new place, verified.
	target := filepath.Join(dir, "restored.db")
	if _, err := Restore(ctx, backup, target); err != nil {
		t.Fatal(err)
	}
	rdb, err := Open(ctx, target, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.VerifyAll(ctx, rdb); err != nil {
		t.Fatalf("restored database does not verify: %v", err)
	}
	evs, _ := rdb.Events(ctx, store.EventQuery{Incident: id})
	if len(evs) != 20 {
		t.Fatalf("restored %d events, want 20", len(evs))
	}
	newIncident(t, rdb, 1)
	rdb.Close()

	// Restoring over an existing, closed database keeps the old one aside.
	kept, err := Restore(ctx, backup, target)
	if err != nil || kept == "" {
		t.Fatalf("restore over closed db: kept=%q err=%v", kept, err)
	}
	if _, err := os.Stat(kept); err != nil {
		t.Fatalf("the replaced database was not kept: %v", err)
	}

	// A file that is not a database is refused and the target is left alone.
	junk := filepath.Join(dir, "junk")
	os.WriteFile(junk, []byte("not a database at all, not even close, really not"), 0o600)
	before, _ := os.ReadFile(target)
	if _, err := Restore(ctx, junk, target); !errors.Is(err, store.ErrUnusable) {
		t.Fatalf("restore of junk: want refusal, got %v", err)
	}
	if after, _ := os.ReadFile(target); string(after) != string(before) {
		t.Fatal("a refused restore changed the target")
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
