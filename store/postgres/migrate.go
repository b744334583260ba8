package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/firebreak/firebreak/store"

	"github.com/jackc/pgx/v5"
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

// Advisory lock keys (per database). Every firebreak on every machine uses the same ones.
const (
	migrateLock int64 = 0x6669726562726b01 // "firebrk" 1: one migration at a time
	writeLock   int64 = 0x6669726562726b02 // "firebrk" 2: one write transaction at a time
)

// migrate brings the database up to the newest schema in one transaction, under an advisory lock so that
// bastions opening a new database at once migrate one at a time, recording the version in firebreak_schema.
// A database from a newer firebreak is refused, never "upgraded" backwards; one holding another program's
// tables is refused too.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLock); err != nil {
			return err
		}
		have, err := schemaVersion(ctx, tx)
		if err != nil {
			return err
		}
		if have == 0 {
			var tables int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()`).Scan(&tables); err != nil {
				return err
			}
			if tables > 0 {
				return store.Errorf(store.ErrUnusable, "%s holds tables of another program (%d), not firebreak's: choose another database or schema", db.where, tables)
			}
		}
		if have > len(ms) {
			return store.Errorf(store.ErrUnusable, "%s was written by a newer firebreak (schema %d; this one knows up to %d): upgrade firebreak, or use another --db", db.where, have, len(ms))
		}
		if have == len(ms) {
			return nil
		}
		if have == 0 {
			if _, err := tx.Exec(ctx, `CREATE TABLE firebreak_schema (version integer NOT NULL)`); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO firebreak_schema (version) VALUES (0)`); err != nil {
				return err
			}
		}
		for _, m := range ms[have:] {
			// No arguments: the simple protocol, which runs a file of several statements.
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
		}
		_, err = tx.Exec(ctx, `UPDATE firebreak_schema SET version = $1`, len(ms))
		return err
	})
}

// schemaVersion reads the recorded version (0: none recorded).
func schemaVersion(ctx context.Context, q querier) (int, error) {
	var exists bool
	if err := q.QueryRow(ctx, `SELECT to_regclass('firebreak_schema') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, err
	}
	if !exists {
		return 0, nil
	}
	var v int
	err := q.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM firebreak_schema`).Scan(&v)
	return v, err
}
