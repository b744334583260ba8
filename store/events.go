package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// TimeFormat is how times are stored and shown: UTC, fixed width, so text order is time order.
const TimeFormat = "2006-01-02T15:04:05.000000Z07:00"

// Event is one entry of an incident's timeline.
type Event struct {
	Incident int64           `json:"-"`
	Seq      int64           `json:"seq"`
	At       time.Time       `json:"-"`
	Actor    string          `json:"actor"`
	Kind     string          `json:"kind"`
	Text     string          `json:"text"`
	Data     json.RawMessage `json:"data"`
	PrevHash string          `json:"-"`
	Hash     string          `json:"hash"`
}

// MarshalJSON writes the timeline contract's shape: {"seq","at","actor","kind","text","data","hash"}.
func (e Event) MarshalJSON() ([]byte, error) {
	data := e.Data
	if len(data) == 0 {
		data = json.RawMessage("{}")
	}
	return json.Marshal(struct {
		Seq   int64           `json:"seq"`
		At    string          `json:"at"`
		Actor string          `json:"actor"`
		Kind  string          `json:"kind"`
		Text  string          `json:"text"`
		Data  json.RawMessage `json:"data"`
		Hash  string          `json:"hash"`
	}{e.Seq, FormatTime(e.At), e.Actor, e.Kind, e.Text, data, e.Hash})
}

// FormatTime formats t as stored: UTC with microseconds.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// ParseTime parses a time written by FormatTime.
func ParseTime(s string) (time.Time, error) { return time.Parse(TimeFormat, s) }

// ChainHash is the hash of an event: SHA-256 over the previous event's hash and every field of this one,
// encoded as a JSON array so no two different events can encode alike.
func ChainHash(prev string, incident, seq int64, at, actor, kind, text, data string) string {
	b, _ := json.Marshal([]any{prev, incident, seq, at, actor, kind, text, data})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// AppendEvent appends ev to its incident's timeline: it gets the next seq, the time (if unset, now) and the
// hash chained to the previous event, and the incident's chain head moves to it. ev is filled in.
func (tx *Tx) AppendEvent(ctx context.Context, ev *Event) error {
	var lastSeq int64
	var lastHash string
	err := tx.tx.QueryRowContext(ctx, `SELECT last_seq, last_hash FROM incidents WHERE id = ?`, ev.Incident).
		Scan(&lastSeq, &lastHash)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("incident %d: %w", ev.Incident, ErrNotFound)
	}
	if err != nil {
		return err
	}
	if ev.At.IsZero() {
		ev.At = time.Now()
	}
	ev.At = ev.At.UTC().Truncate(time.Microsecond)
	if len(ev.Data) == 0 {
		ev.Data = json.RawMessage("{}")
	}
	ev.Seq, ev.PrevHash = lastSeq+1, lastHash
	at := FormatTime(ev.At)
	ev.Hash = ChainHash(ev.PrevHash, ev.Incident, ev.Seq, at, ev.Actor, ev.Kind, ev.Text, string(ev.Data))
	if _, err := tx.tx.ExecContext(ctx, `INSERT INTO events (incident_id, seq, at, actor, kind, text, data, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, ev.Incident, ev.Seq, at, ev.Actor, ev.Kind, ev.Text, string(ev.Data), ev.PrevHash, ev.Hash); err != nil {
		return err
	}
	_, err = tx.tx.ExecContext(ctx, `UPDATE incidents SET last_seq = ?, last_hash = ?, updated_at = ? WHERE id = ?`,
		ev.Seq, ev.Hash, at, ev.Incident)
	return err
}

// EventQuery selects events of one incident.
type EventQuery struct {
	Incident int64
	AfterSeq int64    // only events with seq > AfterSeq
	Limit    int      // at most this many (0: all)
	Newest   bool     // the newest Limit events (still returned oldest first)
	Kinds    []string // only these kinds (none: all)
	Seqs     []int64  // only these events (none: all)
}

// Events returns an incident's events in seq order.
func (db *DB) Events(ctx context.Context, q EventQuery) ([]Event, error) {
	return queryEvents(ctx, db.readers, q)
}

// Events returns an incident's events in seq order, as this transaction sees them.
func (tx *Tx) Events(ctx context.Context, q EventQuery) ([]Event, error) {
	return queryEvents(ctx, tx.tx, q)
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func queryEvents(ctx context.Context, q querier, eq EventQuery) ([]Event, error) {
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
	var out []Event
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

func scanEvent(rows *sql.Rows) (Event, error) {
	var ev Event
	var at, data string
	if err := rows.Scan(&ev.Incident, &ev.Seq, &at, &ev.Actor, &ev.Kind, &ev.Text, &data, &ev.PrevHash, &ev.Hash); err != nil {
		return ev, err
	}
	ev.Data = json.RawMessage(data)
	t, err := ParseTime(at)
	if err != nil {
		return ev, fmt.Errorf("event %d/%d: bad time %q: %w", ev.Incident, ev.Seq, at, err)
	}
	ev.At = t
	return ev, nil
}

// ActorCount is how many events one actor recorded in an incident.
type ActorCount struct {
	Actor string
	N     int
}

// ActorCounts lists the actors of an incident's events, in order of their first event.
func (db *DB) ActorCounts(ctx context.Context, incident int64) ([]ActorCount, error) {
	rows, err := db.readers.QueryContext(ctx, `SELECT actor, count(*) FROM events WHERE incident_id = ? GROUP BY actor ORDER BY min(seq)`, incident)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ActorCount
	for rows.Next() {
		var a ActorCount
		if err := rows.Scan(&a.Actor, &a.N); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
