package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/firebreak/firebreak/store"

	"github.com/jackc/pgx/v5"
)

// CreateIncident inserts a new incident row with no events yet and returns its id (the n of INC-n): the
// next number of id_counters, dense as SQLite's.
func (tx *Tx) CreateIncident(ctx context.Context, r store.IncidentRow) (int64, error) {
	at := store.FormatTime(r.DeclaredAt)
	var id int64
	err := tx.tx.QueryRow(ctx, `WITH n AS (UPDATE id_counters SET last = last + 1 WHERE name = 'incidents' RETURNING last)
		INSERT INTO incidents (id, title, severity, status, drill, commander, declared_at, updated_at, state)
		SELECT n.last, $1, $2, $3, $4, $5, $6, $7, $8 FROM n RETURNING id`, r.Title, r.Severity, r.Status, r.Drill, r.Commander, at, at,
		string(orEmpty(r.State))).Scan(&id)
	if err != nil {
		return 0, err
	}
	tx.feed.incident(id, 0)
	return id, nil
}

// SaveIncident rewrites an incident's projection (not its chain head, which only AppendEvent moves).
func (tx *Tx) SaveIncident(ctx context.Context, r store.IncidentRow) error {
	tag, err := tx.tx.Exec(ctx, `UPDATE incidents SET title = $1, severity = $2, status = $3, drill = $4, commander = $5, state = $6
		WHERE id = $7`, r.Title, r.Severity, r.Status, r.Drill, r.Commander, string(orEmpty(r.State)), r.ID)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("incident %d: %w", r.ID, store.ErrNotFound)
	}
	tx.feed.incident(r.ID, 0)
	return nil
}

// Incident reads one incident inside the transaction, so what a writer decides on is what it commits against.
func (tx *Tx) Incident(ctx context.Context, id int64) (store.IncidentRow, error) {
	r, err := getIncident(ctx, tx.tx, id)
	if err == nil {
		tx.heads[id] = head{r.LastSeq, r.LastHash}
	}
	return r, err
}

// Incident reads one incident.
func (db *DB) Incident(ctx context.Context, id int64) (store.IncidentRow, error) {
	return getIncident(ctx, db.pool, id)
}

const incidentCols = `id, title, severity, status, drill, commander, declared_at, updated_at, last_seq, last_hash, state`

func getIncident(ctx context.Context, q querier, id int64) (store.IncidentRow, error) {
	rows, err := q.Query(ctx, `SELECT `+incidentCols+` FROM incidents WHERE id = $1`, id)
	if err != nil {
		return store.IncidentRow{}, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return store.IncidentRow{}, err
		}
		return store.IncidentRow{}, fmt.Errorf("incident %d: %w", id, store.ErrNotFound)
	}
	r, err := scanIncident(rows)
	if err != nil {
		return r, err
	}
	rows.Close()
	return r, rows.Err()
}

// Incidents lists incidents, most recently updated first.
func (db *DB) Incidents(ctx context.Context, q store.IncidentQuery) ([]store.IncidentRow, error) {
	return queryIncidents(ctx, db.pool, q)
}

// Incidents lists incidents inside the transaction.
func (tx *Tx) Incidents(ctx context.Context, q store.IncidentQuery) ([]store.IncidentRow, error) {
	return queryIncidents(ctx, tx.tx, q)
}

func queryIncidents(ctx context.Context, qr querier, q store.IncidentQuery) ([]store.IncidentRow, error) {
	query := `SELECT ` + incidentCols + ` FROM incidents`
	var args []any
	if len(q.Statuses) > 0 {
		query += ` WHERE status = ANY($1)`
		args = append(args, q.Statuses)
	}
	query += ` ORDER BY updated_at DESC, id DESC`
	if q.Limit > 0 {
		query += fmt.Sprintf(` LIMIT %d`, q.Limit)
	}
	rows, err := qr.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.IncidentRow
	for rows.Next() {
		r, err := scanIncident(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func scanIncident(rows pgx.Rows) (store.IncidentRow, error) {
	var r store.IncidentRow
	var declared, updated, state string
	if err := rows.Scan(&r.ID, &r.Title, &r.Severity, &r.Status, &r.Drill, &r.Commander, &declared, &updated,
		&r.LastSeq, &r.LastHash, &state); err != nil {
		return r, err
	}
	var err1, err2 error
	r.DeclaredAt, err1 = store.ParseTime(declared)
	r.UpdatedAt, err2 = store.ParseTime(updated)
	r.State = json.RawMessage(state)
	return r, errors.Join(err1, err2)
}

func orEmpty(b json.RawMessage) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("{}")
	}
	return b
}
