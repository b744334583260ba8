package postgres

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// idleCheck is how long the feed waits without a notification before it asks whether its connection is
// still alive: a connection cut without a word (a failover, a partition) is noticed within it.
var idleCheck = 5 * time.Second

// Watch is the change feed: a connection of its own LISTENs on the feed channel, to which every committed
// Write notifies (on commit, with only the keys it touched), and each notification becomes a signal on the
// returned channel; bursts coalesce into one. PostgreSQL pushes, so interval (SQLite's poll period) is not
// used. When the connection is lost, Watch reconnects with backoff and then signals once, since
// notifications sent meanwhile are lost: consumers re-read by seq. The channel closes when ctx is done.
func (db *DB) Watch(ctx context.Context, interval time.Duration) (<-chan struct{}, error) {
	conn, err := db.listen(ctx)
	if err != nil {
		return nil, db.classify(err)
	}
	check := idleCheck
	ch := make(chan struct{}, 1)
	signal := func() {
		select {
		case ch <- struct{}{}:
		default: // a signal is already waiting: one is enough
		}
	}
	go func() {
		defer close(ch)
		defer func() {
			if conn != nil {
				conn.Close(context.Background())
			}
		}()
		for {
			err := db.wait(ctx, conn, check)
			if ctx.Err() != nil {
				return
			}
			if err == nil {
				signal()
				continue
			}
			conn.Close(context.Background())
			conn = nil
			backoff := 50 * time.Millisecond
			for conn == nil {
				select {
				case <-ctx.Done():
					return
				case <-time.After(backoff + rand.N(backoff/2)):
				}
				conn, _ = db.listen(ctx)
				backoff = min(backoff*2, 5*time.Second)
			}
			signal() // catch-up: what was committed while we were away was never announced
		}
	}()
	return ch, nil
}

// listen opens the feed's own connection and LISTENs on the feed channel.
func (db *DB) listen(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, db.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, `LISTEN `+feedChannel); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	return conn, nil
}

// wait returns nil when a notification arrives, and an error when the connection is lost. While nothing
// arrives it pings the server every idleCheck.
func (db *DB) wait(ctx context.Context, conn *pgx.Conn, idleCheck time.Duration) error {
	for {
		wctx, cancel := context.WithTimeout(ctx, idleCheck)
		_, err := conn.WaitForNotification(wctx)
		cancel()
		if err == nil || ctx.Err() != nil {
			return err
		}
		if !pgconn.Timeout(err) && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		pctx, cancel := context.WithTimeout(ctx, idleCheck)
		err = conn.Ping(pctx)
		cancel()
		if err != nil {
			return err
		}
	}
}
