package sqlite

import (
	"context"
	"time"
)

// Watch is the change feed: the returned channel receives a signal whenever any connection, in this process
// or another, has committed to the database since the last signal. It polls PRAGMA data_version (which
// changes for a connection when others commit) every interval, coalescing bursts into one signal; consumers
// then read what they show. The channel closes when ctx is done.
func (db *DB) Watch(ctx context.Context, interval time.Duration) (<-chan struct{}, error) {
	conn, err := db.readers.Conn(ctx) // data_version is per connection: always ask the same one
	if err != nil {
		return nil, err
	}
	var last int64
	if err := conn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&last); err != nil {
		conn.Close()
		return nil, err
	}
	ch := make(chan struct{}, 1)
	go func() {
		defer close(ch)
		defer conn.Close()
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			var v int64
			if err := conn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v); err != nil {
				continue // a busy moment or shutdown; the next tick asks again
			}
			if v == last {
				continue
			}
			last = v
			select {
			case ch <- struct{}{}:
			default: // a signal is already waiting: one is enough
			}
		}
	}()
	return ch, nil
}
