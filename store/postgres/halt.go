package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/firebreak/firebreak/store"

	"github.com/jackc/pgx/v5"
)

// haltSwitch is the off-switch in the off_switch table, which every firebreak on every machine polls. It
// plays the part of SQLite's off-switch file: Write flips it at once, without waiting for the write lock
// (a halt must not queue behind the writes it is stopping), and the timeline records it afterwards in
// switches (rollout.SyncHalt).
type haltSwitch struct {
	db *DB
}

// Halt is the off-switch every run polls.
func (db *DB) Halt() store.OffSwitch { return db.halt }

// Read returns the switch as the server has it: one primary-key read, cheap enough for runs that poll it
// every 50 ms. A switch never flipped reads released.
func (h *haltSwitch) Read() (store.Switch, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s := store.Switch{Name: "halt"}
	var at string
	err := h.db.pool.QueryRow(ctx, `SELECT engaged, reason, actor, at FROM off_switch WHERE name = 'halt'`).
		Scan(&s.Engaged, &s.Reason, &s.Actor, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, nil
	}
	if err != nil {
		return s, h.db.classify(err)
	}
	s.At, _ = store.ParseTime(at)
	return s, nil
}

// Write flips the switch in a short transaction of its own and announces it on the change feed. A lost
// connection is retried for a few seconds: a halt during a failover must still land.
func (h *haltSwitch) Write(s store.Switch) error {
	s.Name = "halt"
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	backoff := 10 * time.Millisecond
	for {
		err := pgx.BeginFunc(ctx, h.db.pool, func(tx pgx.Tx) error {
			if err := setOffSwitch(ctx, tx, s); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `SELECT pg_notify($1, '{"halt":true}')`, feedChannel)
			return err
		})
		if err == nil || !(isConnLoss(err) || serverRetryable(err)) {
			return h.db.classify(err)
		}
		select {
		case <-ctx.Done():
			return h.db.classify(err)
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, time.Second)
	}
}

func setOffSwitch(ctx context.Context, q querier, s store.Switch) error {
	_, err := q.Exec(ctx, `INSERT INTO off_switch (name, engaged, reason, actor, at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (name) DO UPDATE SET engaged = excluded.engaged, reason = excluded.reason, actor = excluded.actor, at = excluded.at`,
		s.Name, s.Engaged, s.Reason, s.Actor, store.FormatTime(s.At))
	return err
}

// seedOffSwitch starts an off-switch never flipped here as the record has it (a database imported from
// another engine, whose off-switch was not part of the record), as SQLite does for a new off-switch file.
func seedOffSwitch(ctx context.Context, q querier) error {
	_, err := q.Exec(ctx, `INSERT INTO off_switch (name, engaged, reason, actor, at)
		SELECT name, engaged, reason, actor, at FROM switches WHERE name = 'halt' AND engaged
		ON CONFLICT (name) DO NOTHING`)
	return err
}
