package store

import (
	"context"
	"fmt"
)

// ChainError names the first event where an incident's timeline stops proving itself.
type ChainError struct {
	Incident int64
	Seq      int64
	Reason   string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("INC-%d event %d: %s", e.Incident, e.Seq, e.Reason)
}

// VerifyChain walks an incident's timeline from the first event and recomputes every hash. It returns a
// *ChainError for the first event that was changed, removed or reordered, and nil when the chain is intact.
func (db *DB) VerifyChain(ctx context.Context, incident int64) error {
	inc, err := db.Incident(ctx, incident)
	if err != nil {
		return err
	}
	rows, err := db.readers.QueryContext(ctx, `SELECT seq, at, actor, kind, text, data, prev_hash, hash
		FROM events WHERE incident_id = ? ORDER BY seq`, incident)
	if err != nil {
		return err
	}
	defer rows.Close()
	var want int64 = 1
	prev := ""
	for rows.Next() {
		var seq int64
		var at, actor, kind, text, data, prevHash, hash string
		if err := rows.Scan(&seq, &at, &actor, &kind, &text, &data, &prevHash, &hash); err != nil {
			return err
		}
		switch {
		case seq != want:
			return &ChainError{incident, want, fmt.Sprintf("missing (the next event present is %d): an event was deleted", seq)}
		case prevHash != prev:
			return &ChainError{incident, seq, "does not follow the event before it: the chain was altered"}
		case ChainHash(prev, incident, seq, at, actor, kind, text, data) != hash:
			return &ChainError{incident, seq, "its content does not match its hash: the event was changed"}
		}
		prev, want = hash, want+1
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if inc.LastSeq != want-1 {
		return &ChainError{incident, want, fmt.Sprintf("missing: the timeline ends at %d but %d events were recorded", want-1, inc.LastSeq)}
	}
	if inc.LastHash != prev {
		return &ChainError{incident, want - 1, "is not the head the incident recorded: the newest events were replaced"}
	}
	return nil
}

// IncidentIDs lists every incident id, oldest first (for audit verify of the whole database).
func (db *DB) IncidentIDs(ctx context.Context) ([]int64, error) {
	rows, err := db.readers.QueryContext(ctx, `SELECT id FROM incidents ORDER BY id`)
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
