package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/sqlite"
)

// Copy copies the whole record from one database into another that holds none yet (Import refuses a
// non-empty one), keeping every id, seq and hash. Every chain is verified on the source first and on the
// target after, so a copy that would lose or change history fails instead.
func Copy(ctx context.Context, from, to store.Store) (incidents int, err error) {
	if err := store.VerifyAll(ctx, from); err != nil {
		return 0, fmt.Errorf("the source %s does not verify, nothing copied: %w", from.Where(), err)
	}
	err = to.Import(ctx, func(sink store.Sink) error {
		return from.Export(ctx, sink)
	})
	if err != nil {
		return 0, err
	}
	if err := store.VerifyAll(ctx, to); err != nil {
		return 0, fmt.Errorf("the copy in %s does not verify: %w", to.Where(), err)
	}
	ids, err := to.IncidentIDs(ctx)
	return len(ids), err
}

// Backup writes the whole record of db to a new SQLite file dest (never overwriting; created 0600), from
// either engine: a portable file that `firebreak restore` takes into either engine.
func Backup(ctx context.Context, db store.Store, dest string) error {
	if s, ok := db.(*sqlite.DB); ok { // SQLite's online backup: a page copy, safe while others write
		return s.Backup(ctx, dest)
	}
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return store.Errorf(store.ErrUnusable, "%s already exists: choose a new file name (a backup never overwrites)", dest)
	}
	if err != nil {
		return store.Errorf(store.ErrUnusable, "cannot create %s: %v", dest, err)
	}
	f.Close()
	out, err := sqlite.Open(ctx, dest, store.Options{})
	if err == nil {
		_, err = Copy(ctx, db, out)
		err = errors.Join(err, out.Close())
	}
	removeCompanions(dest)
	if err != nil {
		os.Remove(dest)
		return err
	}
	return nil
}

// removeCompanions removes the files an open SQLite database keeps beside it (lock, off-switch, WAL), which
// a backup file does not need.
func removeCompanions(path string) {
	for _, suffix := range []string{"-lock", "-halt", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
}

// Restore puts the backup file (a SQLite file written by Backup) in place as the database target names.
// For a SQLite target it replaces the file after verifying the backup, keeping the one it replaces (see
// sqlite.Restore); kept is that file. For a PostgreSQL target it copies the backup into the database,
// which must hold no record yet, verifying every chain on both sides.
func Restore(ctx context.Context, file, target string) (kept string, err error) {
	if !IsURL(target) {
		return sqlite.Restore(ctx, file, target)
	}
	src, cleanup, err := openBackup(ctx, file)
	if err != nil {
		return "", err
	}
	defer cleanup()
	dst, err := Open(ctx, target, store.Options{})
	if err != nil {
		return "", err
	}
	defer dst.Close()
	_, err = Copy(ctx, src, dst)
	return "", err
}

// openBackup opens a copy of a backup file, so that reading it never changes it.
func openBackup(ctx context.Context, file string) (store.Store, func(), error) {
	dir, err := os.MkdirTemp("", "firebreak-restore-")
	if err != nil {
		return nil, nil, err
	}
	tmp := filepath.Join(dir, "backup.db")
	if err := sqlite.CopyFile(file, tmp); err != nil {
		os.RemoveAll(dir)
		return nil, nil, store.Errorf(store.ErrUnusable, "reading backup %s: %v", file, err)
	}
	db, err := sqlite.Open(ctx, tmp, store.Options{})
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, store.Errorf(store.ErrUnusable, "backup %s cannot be used: %v", file, err)
	}
	return db, func() { db.Close(); os.RemoveAll(dir) }, nil
}
