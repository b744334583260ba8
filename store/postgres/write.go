package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/firebreak/firebreak/store"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// feedChannel is the LISTEN/NOTIFY channel of the change feed.
const feedChannel = "firebreak_feed"

// reconnectFor is how long Write keeps trying while the server cannot be reached (a failover, a restart)
// before it gives up.
const reconnectFor = 30 * time.Second

// Tx is a write transaction. Every change goes through one, so a change and the events that record it land
// together or not at all. It holds the database's write lock from its start to its commit.
type Tx struct {
	tx   *txConn
	feed *feedNote
	// heads are the chain heads this transaction has read or moved. Every Write holds the write lock, so
	// no one else moves them before the commit: AppendEvent needs no round trip to read one it knows.
	heads map[int64]head
}

// head is an incident's chain head: its newest event's seq and hash.
type head struct {
	seq  int64
	hash string
}

// querier is what the pool and a transaction both answer.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Write runs fn in a write transaction and commits it. The transaction first takes the database's write lock
// (pg_advisory_xact_lock), so write transactions from every process on every machine run one at a time, as
// on SQLite: what fn reads stays true until it commits. A serialization failure, a deadlock or a lost
// connection before the commit runs fn again after a backoff, as SQLite's Write does on a busy database; a
// connection lost during the commit is not retried (the commit may have happened) and is returned.
func (db *DB) Write(ctx context.Context, fn func(store.Tx) error) error {
	backoff := 5 * time.Millisecond
	var lostSince time.Time
	for {
		err, retry := db.writeOnce(ctx, fn)
		if err == nil || !retry {
			return db.classify(err)
		}
		if isConnLoss(err) {
			if lostSince.IsZero() {
				lostSince = time.Now()
			} else if time.Since(lostSince) > reconnectFor {
				return db.classify(err)
			}
		} else {
			lostSince = time.Time{}
		}
		select {
		case <-ctx.Done():
			return db.classify(err)
		case <-time.After(backoff + rand.N(backoff)):
		}
		backoff = min(backoff*2, 500*time.Millisecond)
	}
}

// writeOnce runs fn once; retry says the error left nothing committed and fn may run again. The transaction
// is driven by hand on one pooled connection rather than by pgx.Tx, so that BEGIN and the lock travel with
// fn's first statement, and the notification with COMMIT (txConn).
func (db *DB) writeOnce(ctx context.Context, fn func(store.Tx) error) (err error, retry bool) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return err, retryable(err, nil)
	}
	// A connection left in a transaction or broken is closed, not reused, on release.
	defer conn.Release()
	c := &txConn{conn: conn}
	rollback := func() {
		if !c.begun {
			return
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		conn.Exec(rctx, "ROLLBACK")
	}
	t := &Tx{tx: c, feed: &feedNote{}, heads: map[int64]head{}}
	if err := fn(t); err != nil {
		rollback()
		return err, retryable(err, conn.Conn())
	}
	if !c.dirty() {
		return nil, false // fn wrote nothing: nothing to commit or announce
	}
	// The notification is delivered to every listener when (and only if) the transaction commits.
	if err, unknown := c.commit(ctx, t.feed.payload()); err != nil {
		rollback()
		return err, !unknown && serverRetryable(err)
	}
	return nil, false
}

// retryable says whether fn may run again after err: the server gave up on the transaction (serialization
// failure, deadlock) or the connection was lost before the commit.
func retryable(err error, conn *pgx.Conn) bool {
	if serverRetryable(err) || isConnLoss(err) {
		return true
	}
	return conn != nil && conn.IsClosed()
}

func serverRetryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// isConnLoss says err is the connection (or the server) going away rather than the server refusing a statement.
func isConnLoss(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || pgconn.SafeToRetry(err)
}

// feedNote collects the keys a transaction touched, for its notification: listeners need only know what to
// re-read.
type feedNote struct {
	incidents map[int64]int64 // incident -> newest seq appended
	runs      map[int64]bool
}

func (f *feedNote) incident(id, seq int64) {
	if f.incidents == nil {
		f.incidents = map[int64]int64{}
	}
	f.incidents[id] = max(f.incidents[id], seq)
}

func (f *feedNote) run(id int64) {
	if f.runs == nil {
		f.runs = map[int64]bool{}
	}
	f.runs[id] = true
}

// maxPayload keeps a notification under PostgreSQL's 8000-byte limit; a bigger change says only that
// something changed.
const maxPayload = 7900

// payload is {"i":{"<incident>":<seq>},"r":[<run>...]}: keys only, never the content of the record.
func (f *feedNote) payload() string {
	var p struct {
		I map[string]int64 `json:"i,omitempty"`
		R []int64          `json:"r,omitempty"`
	}
	if len(f.incidents) > 0 {
		p.I = map[string]int64{}
		for id, seq := range f.incidents {
			p.I[strconv.FormatInt(id, 10)] = seq
		}
	}
	for id := range f.runs {
		p.R = append(p.R, id)
	}
	sort.Slice(p.R, func(i, j int) bool { return p.R[i] < p.R[j] })
	b, _ := json.Marshal(p)
	if len(b) > maxPayload {
		return `{"more":true}`
	}
	return string(b)
}
