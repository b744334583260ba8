package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/firebreak/firebreak/store"
	"github.com/mattn/go-sqlite3"
)

// Tx is a write transaction. Every change goes through one, so a change and the events that record it land
// together or not at all.
type Tx struct {
	tx *sql.Tx
}

// Write runs fn in a write transaction (BEGIN IMMEDIATE on the one writer connection) and commits it. If
// another process holds the write lock for longer than the busy timeout, Write keeps trying with backoff
// rather than ever showing a person "database is locked".
func (db *DB) Write(ctx context.Context, fn func(store.Tx) error) error {
	backoff := 5 * time.Millisecond
	for {
		err := db.writeOnce(ctx, fn)
		if !isBusy(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(backoff + rand.N(backoff)):
		}
		backoff = min(backoff*2, 500*time.Millisecond)
	}
}

func (db *DB) writeOnce(ctx context.Context, fn func(store.Tx) error) error {
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	// Rolled back however fn ends, a panic included: a transaction left open would hold the one writer
	// connection, and every later Write would wait for it forever.
	defer tx.Rollback()
	if err := fn(&Tx{tx: tx}); err != nil {
		return err
	}
	return tx.Commit()
}

func isBusy(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked)
}
