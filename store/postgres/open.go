// Package postgres keeps firebreak's record in a PostgreSQL database that bastions on several machines
// share: the same tables, append-only timeline and hash chain as store/sqlite, writes serialised by an
// advisory lock as SQLite serialises them by its single writer, the change feed by LISTEN/NOTIFY and the
// off-switch in the switches table that every machine reads.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/firebreak/firebreak/store"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is an open firebreak database on a PostgreSQL server: a connection pool, plus a dedicated connection
// per Watch.
type DB struct {
	pool     *pgxpool.Pool
	where    string // the URL without its password
	password string // only to scrub it from messages we pass on
	halt     *haltSwitch
}

// Open connects to the database url names, creates or migrates firebreak's schema in it, and checks that it
// is firebreak's. The password comes from the URL, PGPASSWORD or ~/.pgpass (as libpq takes it); it never
// appears in a message, in Where or in the record.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	where := redactURL(rawURL)
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, store.Errorf(store.ErrUnusable, "%s is not a PostgreSQL URL firebreak can use: %s", where, scrubAll(err.Error(), rawURL))
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 10 * time.Second
	}
	if cfg.MaxConns < 8 {
		cfg.MaxConns = 8
	}
	db := &DB{where: where, password: cfg.ConnConfig.Password}
	db.halt = &haltSwitch{db: db}
	db.pool, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, db.classify(err)
	}
	if err := db.pool.Ping(ctx); err != nil {
		db.pool.Close()
		return nil, db.classify(err)
	}
	if err := db.migrate(ctx); err != nil {
		db.pool.Close()
		return nil, db.classify(err)
	}
	if err := seedOffSwitch(ctx, db.pool); err != nil {
		db.pool.Close()
		return nil, db.classify(err)
	}
	return db, nil
}

// redactURL is the URL for people: the password (in the user part or a password= parameter) removed.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "a postgres:// URL that does not parse"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	if q := u.Query(); q.Has("password") {
		q.Del("password")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// scrubAll removes every password the URL holds from msg, whatever a library put into it.
func scrubAll(msg, raw string) string {
	if u, err := url.Parse(raw); err == nil {
		if p, ok := u.User.Password(); ok {
			msg = scrub(msg, p)
		}
		msg = scrub(msg, u.Query().Get("password"))
	}
	return msg
}

// oneLine folds a multi-line message onto one line, each different line once (pgx repeats an address it
// tried twice, with and without TLS).
func oneLine(msg string) string {
	var lines []string
	for _, l := range strings.Split(msg, "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" && !slices.Contains(lines, l) {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, " ")
}

func scrub(msg, password string) string {
	if len(password) < 1 {
		return msg
	}
	return strings.ReplaceAll(msg, password, "xxxxx")
}

// classify turns connection and server errors about the database itself (unreachable, login refused,
// missing, shutting down) into store.ErrUnusable with a message a person can act on, never holding the
// password. Other errors pass through unchanged, so callers can still inspect them, unless their text holds
// the password.
func (db *DB) classify(err error) error {
	if err == nil || errors.Is(err, store.ErrUnusable) || errors.Is(err, store.ErrNotFound) {
		return err
	}
	msg := scrub(err.Error(), db.password)
	var pe *pgconn.PgError
	var ce *pgconn.ConnectError
	switch {
	case errors.As(err, &pe):
		switch {
		case pe.Code == "28P01" || pe.Code == "28000":
			return store.Errorf(store.ErrUnusable, "the PostgreSQL server at %s refused the login (%s): check the user and its password (in the URL, PGPASSWORD or ~/.pgpass) and pg_hba.conf", db.where, scrub(pe.Message, db.password))
		case pe.Code == "3D000":
			return store.Errorf(store.ErrUnusable, "%s: %s: create the database (createdb, or CREATE DATABASE) or fix the URL", db.where, scrub(pe.Message, db.password))
		case pe.Code == "42501":
			return store.Errorf(store.ErrUnusable, "%s: %s: grant the user the rights firebreak needs (it creates its tables on first use), or use another user", db.where, scrub(pe.Message, db.password))
		case pe.Code == "22021" || pe.Code == "22P05": // invalid byte sequence, untranslatable character
			return fmt.Errorf("PostgreSQL cannot store this text: it holds a NUL byte or bytes that are not UTF-8 (%s); nothing was written", scrub(pe.Message, db.password))
		case strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P") || pe.Code == "53300":
			return store.Errorf(store.ErrUnusable, "the PostgreSQL server at %s cannot take us now (%s): check it is up and accepting connections", db.where, scrub(pe.Message, db.password))
		}
	case errors.As(err, &ce):
		// pgx puts each address it tried on a line of its own: one line, as every firebreak error is.
		return store.Errorf(store.ErrUnusable, "cannot reach the PostgreSQL server of %s (%s): check that it is running and that the host and port are right", db.where, oneLine(msg))
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
	case isConnLoss(err):
		return store.Errorf(store.ErrUnusable, "lost the connection to the PostgreSQL server of %s (%s): check that it is running and reachable", db.where, msg)
	}
	if msg != err.Error() {
		return errors.New(msg)
	}
	return err
}

// Engine is "postgres".
func (db *DB) Engine() string { return "postgres" }

// Where is the URL without its password.
func (db *DB) Where() string { return db.where }

// LocalPath is "": the database is on a server.
func (db *DB) LocalPath() string { return "" }

// String names the database for messages.
func (db *DB) String() string { return db.where }

// Close closes the pool (Watch connections close with their contexts).
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Check pings the server and checks the schema is the one this build writes.
func (db *DB) Check(ctx context.Context) error {
	var v int
	if err := db.pool.QueryRow(ctx, `SELECT version FROM firebreak_schema`).Scan(&v); err != nil {
		return db.classify(err)
	}
	if v != SchemaVersion() {
		return store.Errorf(store.ErrUnusable, "%s has schema %d but this firebreak writes %d: upgrade firebreak on every bastion", db.where, v, SchemaVersion())
	}
	return nil
}
