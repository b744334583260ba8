package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// txConn is a write transaction's connection. It begins the transaction lazily: BEGIN, the write lock and
// fn's first statement go to the server in one pipeline, so the lock is held for one round trip fewer
// (under contention, every round trip a lock holder waits on is one every other writer waits on too).
type txConn struct {
	conn  *pgxpool.Conn
	begun bool
}

// start queues BEGIN and the lock before sql in one batch, and returns the batch with BEGIN's and the
// lock's results read: the caller reads sql's result and closes the batch.
func (c *txConn) start(ctx context.Context, sql string, args ...any) (pgx.BatchResults, error) {
	c.begun = true
	b := &pgx.Batch{}
	b.Queue(`BEGIN ISOLATION LEVEL READ COMMITTED`)
	b.Queue(`SELECT pg_advisory_xact_lock($1)`, writeLock)
	b.Queue(sql, args...)
	br := c.conn.SendBatch(ctx, b)
	for range 2 {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return nil, err
		}
	}
	return br, nil
}

// begin starts the transaction on its own, for a statement that cannot be batched (COPY).
func (c *txConn) begin(ctx context.Context) error {
	if c.begun {
		return nil
	}
	c.begun = true
	_, err := c.conn.Exec(ctx, beginWrite)
	return err
}

func (c *txConn) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if c.begun {
		return c.conn.Exec(ctx, sql, args...)
	}
	br, err := c.start(ctx, sql, args...)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

func (c *txConn) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if c.begun {
		return c.conn.Query(ctx, sql, args...)
	}
	br, err := c.start(ctx, sql, args...)
	if err != nil {
		return nil, err
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
