package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/firebreak/firebreak/store"
)

// AppendEvent appends ev to its incident's timeline: it gets the next seq, the time (if unset, now) and the
// hash chained to the previous event, and the incident's chain head moves to it. ev is filled in.
func (tx *Tx) AppendEvent(ctx context.Context, ev *store.Event) error {
	var lastSeq int64
	var lastHash string
	err := tx.tx.QueryRowContext(ctx, `SELECT last_seq, last_hash FROM incidents WHERE id = ?`, ev.Incident).
		Scan(&lastSeq, &lastHash)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("incident %d: %w", ev.Incident, store.ErrNotFound)
	}
	if err != nil {
		return err
	}
	store.Seal(ev, lastSeq, lastHash)
	at := store.FormatTime(ev.At)
	if _, err := tx.tx.ExecContext(ctx, `INSERT INTO events (incident_id, seq, at, actor, kind, text, data, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, ev.Incident, ev.Seq, at, ev.Actor, ev.Kind, ev.Text, string(ev.Data), ev.PrevHash, ev.Hash); err != nil {
		return err
	}
	_, err = tx.tx.ExecContext(ctx, `UPDATE incidents SET last_seq = ?, last_hash = ?, updated_at = ? WHERE id = ?`,
		ev.Seq, ev.Hash, at, ev.Incident)
	return err
}

// Events returns an incident's events in seq order.
func (db *DB) Events(ctx context.Context, q store.EventQuery) ([]store.Event, error) {
	return queryEvents(ctx, db.readers, q)
}

// Events returns an incident's events in seq order, as this transaction sees them.
func (tx *Tx) Events(ctx context.Context, q store.EventQuery) ([]store.Event, error) {
	return queryEvents(ctx, tx.tx, q)
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func queryEvents(ctx context.Context, q querier, eq store.EventQuery) ([]store.Event, error) {
	limit := eq.Limit
	if limit <= 0 {
		limit = -1
	}
	order := "ASC"
	if eq.Newest {
		order = "DESC"
	}
	where, args := "incident_id = ? AND seq > ?", []any{eq.Incident, eq.AfterSeq}
	if len(eq.Kinds) > 0 {
		where += " AND kind IN (?" + repeat(",?", len(eq.Kinds)-1) + ")"
		for _, k := range eq.Kinds {
			args = append(args, k)
		}
	}
	if len(eq.Seqs) > 0 {
		where += " AND seq IN (?" + repeat(",?", len(eq.Seqs)-1) + ")"
		for _, n := range eq.Seqs {
			args = append(args, n)
		}
	}
	rows, err := q.QueryContext(ctx, `SELECT incident_id, seq, at, actor, kind, text, data, prev_hash, hash FROM events
		WHERE `+where+` ORDER BY seq `+order+` LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Event
	for rows.Next() {
		ev, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	if eq.Newest {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out, rows.Err()
}

func scanEvent(rows *sql.Rows) (store.Event, error) {
	var ev store.Event
	var at, data string
	if err := rows.Scan(&ev.Incident, &ev.Seq, &at, &ev.Actor, &ev.Kind, &ev.Text, &data, &ev.PrevHash, &ev.Hash); err != nil {
		return ev, err
	}
	ev.Data = json.RawMessage(data)
	t, err := store.ParseTime(at)
	if err != nil {
		return ev, fmt.Errorf("event %d/%d: bad time %q: %w", ev.Incident, ev.Seq, at, err)
	}
	ev.At = t
	return ev, nil
}

// ActorCounts lists the actors of an incident's events, in order of their first event.
func (db *DB) ActorCounts(ctx context.Context, incident int64) ([]store.ActorCount, error) {
	rows, err := db.readers.QueryContext(ctx, `SELECT actor, count(*) FROM events WHERE incident_id = ? GROUP BY actor ORDER BY min(seq)`, incident)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.ActorCount
	for rows.Next() {
		var a store.ActorCount
		if err := rows.Scan(&a.Actor, &a.N); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
