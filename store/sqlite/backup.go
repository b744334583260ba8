package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/firebreak/firebreak/store"

	"github.com/mattn/go-sqlite3"
)

// Backup writes a consistent copy of the database to dest with SQLite's online backup API, which is safe
// while consoles and commands keep writing. dest must not exist yet; it is created 0600.
func (db *DB) Backup(ctx context.Context, dest string) error {
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return store.Errorf(store.ErrUnusable, "%s already exists: choose a new file name (a backup never overwrites)", dest)
	}
	if err != nil {
		return store.Errorf(store.ErrUnusable, "cannot create %s: %v", dest, unwrapPathErr(err))
	}
	f.Close()
	if err := db.backupTo(ctx, dest); err != nil {
		os.Remove(dest)
		return err
	}
	return nil
}

func (db *DB) backupTo(ctx context.Context, dest string) error {
	destDB, err := sql.Open("sqlite3", dest+"?_busy_timeout=10000")
	if err != nil {
		return err
	}
	defer destDB.Close()
	destConn, err := destDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer destConn.Close()
	srcConn, err := db.readers.Conn(ctx)
	if err != nil {
		return err
	}
	defer srcConn.Close()
	return destConn.Raw(func(d any) error {
		return srcConn.Raw(func(s any) error {
			b, err := d.(*sqlite3.SQLiteConn).Backup("main", s.(*sqlite3.SQLiteConn), "main")
			if err != nil {
				return err
			}
			// One step copies every page under one read transaction: a consistent snapshot, while writers
			// carry on in the WAL.
			if _, err := b.Step(-1); err != nil {
				b.Close()
				return err
			}
			return b.Finish()
		})
	})
}

// Check runs PRAGMA integrity_check and returns an error naming the first problem.
func (db *DB) Check(ctx context.Context) error {
	var res string
	if err := db.readers.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
		return err
	}
	if res != "ok" {
		return fmt.Errorf("integrity check of %s: %s", db.path, res)
	}
	return nil
}

// Restore replaces the database at target with the backup in file. The backup is checked first (integrity,
// schema, every hash chain) on a copy, so a bad backup never replaces a good database. A target that any
// firebreak has open is refused. The database it replaces is kept beside it as TARGET.before-restore-TIME,
// so a restore loses nothing either.
func Restore(ctx context.Context, file, target string) (kept string, err error) {
	if _, err := os.Stat(file); err != nil {
		return "", store.Errorf(store.ErrUnusable, "backup %s: %v", file, unwrapPathErr(err))
	}
	target, err = filepath.Abs(target)
	if err != nil {
		return "", err
	}
	if err := prepareDir(target); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(target+"-lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return "", store.Errorf(store.ErrUnusable, "%s-lock: %v", target, unwrapPathErr(err))
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return "", store.Errorf(store.ErrUnusable, "%s is in use by a running firebreak (a console or a command): close them all, then restore", target)
	}

	tmp := fmt.Sprintf("%s.restoring-%d", target, os.Getpid())
	defer os.Remove(tmp)
	defer os.Remove(tmp + "-lock")
	if err := CopyFile(file, tmp); err != nil {
		return "", store.Errorf(store.ErrUnusable, "reading backup %s: %v", file, err)
	}
	check, err := Open(ctx, tmp, store.Options{})
	if err != nil {
		var se sqlite3.Error
		switch {
		case errors.As(err, &se) && se.Code == sqlite3.ErrNotADB, strings.Contains(err.Error(), "not a firebreak database"):
			return "", store.Errorf(store.ErrUnusable, "%s is not a firebreak backup (not a SQLite database): nothing restored", file)
		case errors.Is(err, store.ErrUnusable):
			return "", store.Errorf(store.ErrUnusable, "backup %s cannot be used: %s: nothing restored", file, strings.ReplaceAll(err.Error(), tmp, file))
		}
		return "", fmt.Errorf("backup %s cannot be used: %w", file, err)
	}
	err = store.VerifyAll(ctx, check)
	if err == nil {
		_, err = check.writer.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	}
	check.Close()
	if err != nil {
		return "", store.Errorf(store.ErrUnusable, "backup %s failed verification, nothing restored: %v", file, err)
	}

	if _, err := os.Stat(target); err == nil {
		kept = freeName(fmt.Sprintf("%s.before-restore-%s", target, time.Now().UTC().Format("20060102T150405Z")))
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Rename(target+suffix, kept+suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				return "", fmt.Errorf("keeping the current database aside: %w", err)
			}
		}
	}
	os.Remove(tmp + "-wal")
	os.Remove(tmp + "-shm")
	if err := os.Rename(tmp, target); err != nil {
		return kept, fmt.Errorf("putting the restored database in place: %w", err)
	}
	return kept, nil
}

func prepareDir(path string) error {
	st, err := os.Stat(filepath.Dir(path))
	if err != nil || !st.IsDir() {
		return store.Errorf(store.ErrUnusable, "directory %s does not exist: create it or choose another --db", filepath.Dir(path))
	}
	return nil
}

// CopyFile copies a file to a new private (0600) file, synced to disk.
func CopyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// freeName returns base, or base-2, base-3, ... whichever is not taken (with its -wal and -shm), so a
// second restore in the same second never replaces the database the first one kept.
func freeName(base string) string {
	name := base
	for n := 2; ; n++ {
		taken := false
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if _, err := os.Lstat(name + suffix); err == nil {
				taken = true
			}
		}
		if !taken {
			return name
		}
		name = fmt.Sprintf("%s-%d", base, n)
	}
}
