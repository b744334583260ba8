package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// txConn is a write transaction's connection. It saves round trips while the write lock is held, since
// under contention every round trip a lock holder waits on is one every other writer waits on too:
//   - it begins lazily: BEGIN and the lock travel in one pipeline with fn's first statement;
//   - a statement queued with later (AppendEvent's insert, whose outcome the lock and the row it read
//     already settle) travels with the next statement, or with the notification and COMMIT. Should it fail
//     all the same, that next statement, or Write, returns its error, and nothing is committed.
type txConn struct {
	conn    *pgxpool.Conn
	begun   bool
	pending []queued
}

type queued struct {
	sql  string
	args []any
}

// later queues a statement to be sent with the next one.
func (c *txConn) later(sql string, args ...any) { c.pending = append(c.pending, queued{sql, args}) }

// dirty says there is a transaction to commit.
func (c *txConn) dirty() bool { return c.begun || len(c.pending) > 0 }

// send pipelines what must come first (BEGIN and the lock when not begun, the queued statements) and
// then the given statements, reads the results of what came first, and returns the batch for the
// caller to read the given statements' results from and close. With nothing to come first it returns nil.
func (c *txConn) send(ctx context.Context, stmts ...queued) (pgx.BatchResults, error) {
	if c.begun && len(c.pending) == 0 {
		return nil, nil
	}
	b := &pgx.Batch{}
	if !c.begun {
		b.Queue(`BEGIN ISOLATION LEVEL READ COMMITTED`)
		b.Queue(`SELECT pg_advisory_xact_lock($1)`, writeLock)
		c.begun = true
	}
	for _, q := range c.pending {
		b.Queue(q.sql, q.args...)
	}
	c.pending = nil
	first := b.Len()
	for _, q := range stmts {
		b.Queue(q.sql, q.args...)
	}
	br := c.conn.SendBatch(ctx, b)
	for range first {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return nil, err
		}
	}
	return br, nil
}

// commit sends what is pending, the notification and COMMIT in one pipeline. committed=false means the
// server refused something before the COMMIT, so nothing was committed; an error with committed=true
// (a lost connection) leaves it unknown.
func (c *txConn) commit(ctx context.Context, payload string) (err error, unknown bool) {
	br, err := c.send(ctx, queued{`SELECT pg_notify($1, $2)`, []any{feedChannel, payload}}, queued{`COMMIT`, nil})
	if err == nil && br == nil {
		b := &pgx.Batch{}
		b.Queue(`SELECT pg_notify($1, $2)`, feedChannel, payload)
		b.Queue(`COMMIT`)
		br = c.conn.SendBatch(ctx, b)
	}
	if err == nil {
		_, err = br.Exec()
		if err == nil {
			_, err = br.Exec()
		}
		err = errors.Join(err, br.Close())
	}
	if err == nil {
		return nil, false
	}
	// The server refused a statement, so it skipped the rest, COMMIT included. Any other failure came after
	// the COMMIT was sent, and whether it happened is unknown.
	var pe *pgconn.PgError
	return err, !errors.As(err, &pe)
}

// begin starts the transaction on its own, for a statement that cannot be pipelined (COPY).
func (c *txConn) begin(ctx context.Context) error {
	br, err := c.send(ctx)
	if err != nil || br == nil {
		return err
	}
	return br.Close()
}

func (c *txConn) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	br, err := c.send(ctx, queued{sql, args})
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	if br == nil {
		return c.conn.Exec(ctx, sql, args...)
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

func (c *txConn) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	br, err := c.send(ctx, queued{sql, args})
	if err != nil {
		return nil, err
	}
	if br == nil {
		return c.conn.Query(ctx, sql, args...)
	}
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

func (c *txConn) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	rows, err := c.Query(ctx, sql, args...)
	return &firstRow{rows: rows, err: err}
}

func (c *txConn) CopyFrom(ctx context.Context, table pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error) {
	if err := c.begin(ctx); err != nil {
		return 0, err
	}
	return c.conn.CopyFrom(ctx, table, cols, src)
}

// batchRows are the rows of a batch's last statement: closing them closes the batch.
type batchRows struct {
	pgx.Rows
	br  pgx.BatchResults
	err error
}

func (r *batchRows) Close() {
	if r.br == nil {
		return
	}
	r.Rows.Close()
	if err := r.br.Close(); err != nil && r.Rows.Err() == nil {
		r.err = err
	}
	r.br = nil
}

func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.err
}

// firstRow is QueryRow over Query, with pgx's QueryRow semantics: ErrNoRows when there is none.
type firstRow struct {
	rows pgx.Rows
	err  error
}

func (r *firstRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}
