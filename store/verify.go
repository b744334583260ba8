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

// Mismatch is a record that disagrees with the timeline that should prove it: the incident's stored state,
// a retrospective version, an action item, an approval or a host's result. Seq is the event that says
// otherwise (0 when no event does).
type Mismatch struct {
	Incident int64
	Seq      int64
	Reason   string
}

func (e *Mismatch) Error() string {
	if e.Seq > 0 {
		return fmt.Sprintf("INC-%d: %s (event %d)", e.Incident, e.Reason, e.Seq)
	}
	return fmt.Sprintf("INC-%d: %s", e.Incident, e.Reason)
}

// Head is the newest event of an incident's chain: who holds a copy can later prove that the events up to it
// are still there and unchanged.
type Head struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// Head reads an incident's chain head as the incident records it.
func (db *DB) Head(ctx context.Context, incident int64) (Head, error) {
	r, err := db.Incident(ctx, incident)
	if err != nil {
		return Head{}, err
	}
	return Head{Seq: r.LastSeq, Hash: r.LastHash}, nil
}

// CheckHead compares a head saved earlier (off the machine) with the database: the event at its seq must
// still be there with the same hash. It returns a *ChainError when it is gone or differs: the tail was
// deleted, or the chain was recomputed.
func (db *DB) CheckHead(ctx context.Context, incident int64, h Head) error {
	if h.Seq == 0 {
		return nil
	}
	evs, err := db.Events(ctx, EventQuery{Incident: incident, Seqs: []int64{h.Seq}})
	if err != nil {
		return err
	}
	switch {
	case len(evs) == 0:
		return &ChainError{incident, h.Seq, "missing, but a head saved earlier names it: the newest events were deleted"}
	case evs[0].Hash != h.Hash:
		return &ChainError{incident, h.Seq, fmt.Sprintf("hash %.12s differs from the head saved earlier (%.12s): the chain was rewritten", evs[0].Hash, h.Hash)}
	}
	return nil
}
