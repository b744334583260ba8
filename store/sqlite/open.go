// Package sqlite keeps firebreak's record in one SQLite file (the embedded default engine) that several consoles and commands share: the
// append-only timeline with its hash chain, the projection of each incident's current state, the change feed
// that tells every process when someone else wrote, and online backup and restore.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/firebreak/firebreak/store"

	"github.com/mattn/go-sqlite3"
)

// DB is an open firebreak database: one writer connection (SQLite allows one writer at a time anyway, and a
// single connection means this process never competes with itself for the lock) and a small reader pool.
type DB struct {
	path    string
	writer  *sql.DB
	readers *sql.DB
	lock    *os.File // shared flock on PATH-lock while open, so restore can tell the database is in use
	halt    *HaltFile
}

// Open opens (creating and migrating if needed) the database at path. The file and its WAL are private to
// their owner (0600).
func Open(ctx context.Context, path string, opt store.Options) (*DB, error) {
	if path == "" {
		return nil, store.Errorf(store.ErrUnusable, "empty database path")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, store.Errorf(store.ErrUnusable, "%s: database paths cannot contain '?' or '#'", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, store.Errorf(store.ErrUnusable, "%s: %v", path, err)
	}
	if err := prepareFile(abs, opt); err != nil {
		return nil, err
	}
	if err := probe(ctx, abs); err != nil {
		return nil, err
	}
	lock, err := lockShared(abs)
	if err != nil {
		return nil, err
	}
	db := &DB{path: abs, lock: lock}
	newHalt := false
	if db.halt, newHalt, err = openHaltFile(abs); err != nil {
		lock.Close()
		return nil, err
	}
	// Each parameter becomes a PRAGMA on every new connection. busy_timeout comes first (the driver applies it
	// before the others) so even setting WAL mode waits for a busy database instead of failing.
	// _txlock=immediate makes every writer's BEGIN take the write lock up front: a deferred transaction that
	// reads and then writes can fail with SQLITE_BUSY half way, which busy_timeout cannot fix.
	// synchronous=FULL: an event reported done is on disk, not only in the OS's cache.
	common := "_busy_timeout=10000&_foreign_keys=on&_journal_mode=WAL"
	db.writer, err = sql.Open("sqlite3", dsn(abs, common+"&_txlock=immediate&_synchronous=FULL"))
	if err == nil {
		db.writer.SetMaxOpenConns(1)
		db.writer.SetConnMaxIdleTime(0)
		err = migrate(ctx, db.writer, abs)
	}
	if err == nil {
		db.readers, err = sql.Open("sqlite3", dsn(abs, common+"&_txlock=deferred&_query_only=1"))
	}
	if err == nil {
		db.readers.SetMaxOpenConns(4)
		err = db.readers.PingContext(ctx)
	}
	if err == nil && newHalt { // a database from before the off-switch file: the file starts as recorded
		var sw store.Switch
		if sw, err = getSwitch(ctx, db.readers, "halt"); err == nil && sw.Engaged {
			err = db.halt.Write(sw)
		}
	}
	if err == nil {
		err = privatise(abs)
	}
	if err != nil {
		db.Close()
		return nil, classify(abs, err)
	}
	return db, nil
}

func dsn(path, params string) string {
	return path + "?" + params + "&_loc=UTC&_cache_size=-16000&_stmt_cache_size=64"
}

// probe looks at an existing file without changing it (opening the writer switches the file to WAL mode,
// which rewrites its header): it must be SQLite, empty or firebreak's, and not from a newer firebreak.
func probe(ctx context.Context, path string) error {
	p, err := sql.Open("sqlite3", path+"?_busy_timeout=10000&_query_only=1")
	if err != nil {
		return classify(path, err)
	}
	defer p.Close()
	var version, tables int
	if err := p.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return classify(path, err)
	}
	if err := p.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&tables); err != nil {
		return classify(path, err)
	}
	return checkVersion(path, version, tables)
}

// checkVersion refuses a database from a newer firebreak, or another program's database.
func checkVersion(path string, version, tables int) error {
	if version > SchemaVersion() {
		return store.Errorf(store.ErrUnusable, "%s was written by a newer firebreak (schema %d; this one knows up to %d): upgrade firebreak, or use another --db", path, version, SchemaVersion())
	}
	if version == 0 && tables > 0 {
		return store.Errorf(store.ErrUnusable, "%s is a SQLite database of another program, not firebreak's: choose another --db", path)
	}
	return nil
}

// prepareFile checks the directory and creates the file 0600 before SQLite can create it with the umask's mode.
func prepareFile(path string, opt store.Options) error {
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist) && opt.CreateDir:
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return store.Errorf(store.ErrUnusable, "cannot create %s for the database: %v", dir, err)
		}
	case errors.Is(err, os.ErrNotExist):
		return store.Errorf(store.ErrUnusable, "directory %s does not exist: create it or choose another --db", dir)
	case err != nil:
		return store.Errorf(store.ErrUnusable, "%s: %v", dir, unwrapPathErr(err))
	case !st.IsDir():
		return store.Errorf(store.ErrUnusable, "%s is not a directory: choose another --db", dir)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return store.Errorf(store.ErrUnusable, "cannot open %s: %v: choose another --db or fix its permissions", path, unwrapPathErr(err))
	}
	st, err = f.Stat()
	f.Close()
	if err != nil {
		return store.Errorf(store.ErrUnusable, "%s: %v", path, err)
	}
	if !st.Mode().IsRegular() {
		return store.Errorf(store.ErrUnusable, "%s is not a regular file", path)
	}
	return nil
}

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// privatise makes the database and its WAL files 0600 if someone loosened them.
func privatise(path string) error {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		st, err := os.Stat(p)
		if err != nil {
			continue
		}
		if st.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, 0o600); err != nil {
				return fmt.Errorf("%s is readable by others and cannot be made private: %w", p, err)
			}
		}
	}
	return nil
}

// lockShared takes a shared flock on PATH-lock for as long as the database is open. We never lock the
// database file itself: closing any descriptor of it would drop SQLite's own POSIX locks in this process.
func lockShared(path string) (*os.File, error) {
	f, err := os.OpenFile(path+"-lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, store.Errorf(store.ErrUnusable, "%s-lock: %v", path, unwrapPathErr(err))
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			f.Close()
			return nil, store.Errorf(store.ErrUnusable, "%s is being restored by another firebreak; try again when it is done", path)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// classify turns SQLite's errors about the file itself into store.ErrUnusable with a message a person can act on.
func classify(path string, err error) error {
	if err == nil || errors.Is(err, store.ErrUnusable) {
		return err
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrNotADB:
			return store.Errorf(store.ErrUnusable, "%s is not a firebreak database (not SQLite): choose another --db", path)
		case sqlite3.ErrCantOpen, sqlite3.ErrPerm, sqlite3.ErrReadonly, sqlite3.ErrAuth:
			return store.Errorf(store.ErrUnusable, "cannot open %s (%v): check the directory is writable, or choose another --db", path, se)
		case sqlite3.ErrCorrupt:
			return store.Errorf(store.ErrUnusable, "%s is corrupt: restore it from a backup (firebreak restore FILE)", path)
		}
	}
	return err
}

// Path is the absolute path of the database file.
func (db *DB) Path() string { return db.path }

// Close closes the connections and releases the in-use lock.
func (db *DB) Close() error {
	var errs []error
	if db.readers != nil {
		errs = append(errs, db.readers.Close())
	}
	if db.writer != nil {
		errs = append(errs, db.writer.Close())
	}
	if db.lock != nil {
		errs = append(errs, db.lock.Close())
	}
	errs = append(errs, db.halt.close())
	return errors.Join(errs...)
}

// Read gives read-only queries a connection from the reader pool.
func (db *DB) Read() *sql.DB { return db.readers }
