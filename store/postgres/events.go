package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/firebreak/firebreak/store"

	"github.com/jackc/pgx/v5"
)

// AppendEvent appends ev to its incident's timeline: it gets the next seq, the time (if unset, now) and the
// hash chained to the previous event, and the incident's chain head moves to it. ev is filled in. The head
// is read FOR UPDATE: the write lock already serialises writers, the row lock keeps the seq gap-free even
// for a writer that bypassed it.
func (tx *Tx) AppendEvent(ctx context.Context, ev *store.Event) error {
	h, known := tx.heads[ev.Incident]
	if !known {
		err := tx.tx.QueryRow(ctx, `SELECT last_seq, last_hash FROM incidents WHERE id = $1 FOR UPDATE`, ev.Incident).
			Scan(&h.seq, &h.hash)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("incident %d: %w", ev.Incident, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
	}
	store.Seal(ev, h.seq, h.hash)
	tx.heads[ev.Incident] = head{ev.Seq, ev.Hash}
	at := store.FormatTime(ev.At)
	// One statement, the event and the head it moves, sent with the next statement or the COMMIT: the write
	// lock and the row read above settle that it succeeds.
	tx.tx.later(`WITH e AS (INSERT INTO events (incident_id, seq, at, actor, kind, text, data, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9))
		UPDATE incidents SET last_seq = $2, last_hash = $9, updated_at = $3 WHERE id = $1`,
		ev.Incident, ev.Seq, at, ev.Actor, ev.Kind, ev.Text, string(ev.Data), ev.PrevHash, ev.Hash)
	tx.feed.incident(ev.Incident, ev.Seq)
	return nil
}

// Events returns an incident's events in seq order.
func (db *DB) Events(ctx context.Context, q store.EventQuery) ([]store.Event, error) {
	return queryEvents(ctx, db.pool, q)
}

// Events returns an incident's events in seq order, as this transaction sees them.
func (tx *Tx) Events(ctx context.Context, q store.EventQuery) ([]store.Event, error) {
	return queryEvents(ctx, tx.tx, q)
}

func queryEvents(ctx context.Context, q querier, eq store.EventQuery) ([]store.Event, error) {
	order := "ASC"
	if eq.Newest {
		order = "DESC"
	}
	where, args := "incident_id = $1 AND seq > $2", []any{eq.Incident, eq.AfterSeq}
	if len(eq.Kinds) > 0 {
		args = append(args, eq.Kinds)
		where += " AND kind = ANY($" + strconv.Itoa(len(args)) + ")"
	}
	if len(eq.Seqs) > 0 {
		args = append(args, eq.Seqs)
		where += " AND seq = ANY($" + strconv.Itoa(len(args)) + ")"
	}
	query := `SELECT incident_id, seq, at, actor, kind, text, data, prev_hash, hash FROM events WHERE ` + where + ` ORDER BY seq ` + order
	if eq.Limit > 0 {
		query += fmt.Sprintf(" LIMIT %d", eq.Limit)
	}
	rows, err := q.Query(ctx, query, args...)
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

func scanEvent(rows pgx.Rows) (store.Event, error) {
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
	rows, err := db.pool.Query(ctx, `SELECT actor, count(*) FROM events WHERE incident_id = $1 GROUP BY actor ORDER BY min(seq)`, incident)
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

// IncidentIDs lists every incident id, oldest first (for audit verify of the whole database).
func (db *DB) IncidentIDs(ctx context.Context) ([]int64, error) {
	rows, err := db.pool.Query(ctx, `SELECT id FROM incidents ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
