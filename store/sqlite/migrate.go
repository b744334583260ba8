package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"

	"github.com/firebreak/firebreak/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

func migrations() ([]store.Migration, error) {
	return store.Migrations(migrationFiles, "migrations")
}

// SchemaVersion is the newest schema this build knows.
func SchemaVersion() int {
	ms, _ := migrations()
	return len(ms)
}

// migrate brings the database up to the newest schema in one transaction, recording the version in
// PRAGMA user_version. A database from a newer firebreak is refused, never "upgraded" backwards.
func migrate(ctx context.Context, w *sql.DB, file string) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	tx, err := w.BeginTx(ctx, nil) // BEGIN IMMEDIATE: two processes opening a new file migrate one at a time
	if err != nil {
		return classify(file, err)
	}
	defer tx.Rollback()
	var have int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		return classify(file, err)
	}
	var tables int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&tables); err != nil {
		return classify(file, err)
	}
	if err := checkVersion(file, have, tables); err != nil {
		return err
	}
	if have == len(ms) {
		return nil
	}
	for _, m := range ms[have:] {
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
	}
	// PRAGMA takes no parameters; the value is our own integer.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(ms))); err != nil {
		return err
	}
	return tx.Commit()
}
