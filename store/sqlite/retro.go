package sqlite

import (
	"context"
	"database/sql"

	"github.com/firebreak/firebreak/store"
)

// SaveRetroVersion appends a version of a section; its number is one past the newest.
func (tx *Tx) SaveRetroVersion(ctx context.Context, v *store.RetroVersion) error {
	var newest int
	if err := tx.tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM retro_versions WHERE incident_id = ? AND section = ?`,
		v.Incident, v.Section).Scan(&newest); err != nil {
		return err
	}
	v.Version = newest + 1
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO retro_versions (incident_id, section, version, text, author, at, base, conflict)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, v.Incident, v.Section, v.Version, v.Text, v.Author, store.FormatTime(v.At), v.Base, v.Conflict)
	return err
}

// LatestRetroVersions returns the newest version of every saved section of an incident's retrospective.
func (db *DB) LatestRetroVersions(ctx context.Context, incident int64) (map[string]store.RetroVersion, error) {
	return latestRetro(ctx, db.readers, incident)
}

// LatestRetroVersions is LatestRetroVersions inside the transaction.
func (tx *Tx) LatestRetroVersions(ctx context.Context, incident int64) (map[string]store.RetroVersion, error) {
	return latestRetro(ctx, tx.tx, incident)
}

func latestRetro(ctx context.Context, q querier, incident int64) (map[string]store.RetroVersion, error) {
	rows, err := q.QueryContext(ctx, `SELECT section, version, text, author, at, base, conflict, legacy FROM retro_versions r
		WHERE incident_id = ? AND version = (SELECT max(version) FROM retro_versions WHERE incident_id = r.incident_id AND section = r.section)`, incident)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]store.RetroVersion{}
	for rows.Next() {
		v := store.RetroVersion{Incident: incident}
		var at string
		if err := rows.Scan(&v.Section, &v.Version, &v.Text, &v.Author, &at, &v.Base, &v.Conflict, &v.Legacy); err != nil {
			return nil, err
		}
		v.At, _ = store.ParseTime(at)
		out[v.Section] = v
	}
	return out, rows.Err()
}

// RetroHistory lists every version of one section, oldest first.
func (db *DB) RetroHistory(ctx context.Context, incident int64, section string) ([]store.RetroVersion, error) {
	rows, err := db.readers.QueryContext(ctx, `SELECT version, text, author, at, base, conflict, legacy FROM retro_versions
		WHERE incident_id = ? AND section = ? ORDER BY version`, incident, section)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.RetroVersion
	for rows.Next() {
		v := store.RetroVersion{Incident: incident, Section: section}
		var at string
		if err := rows.Scan(&v.Version, &v.Text, &v.Author, &at, &v.Base, &v.Conflict, &v.Legacy); err != nil {
			return nil, err
		}
		v.At, _ = store.ParseTime(at)
		out = append(out, v)
	}
	return out, rows.Err()
}

// SaveActionItem appends a version of an action item; Item 0 makes a new item.
func (tx *Tx) SaveActionItem(ctx context.Context, a *store.ActionItem) error {
	if a.Item == 0 {
		if err := tx.tx.QueryRowContext(ctx, `SELECT coalesce(max(item), 0) + 1 FROM retro_actions WHERE incident_id = ?`, a.Incident).Scan(&a.Item); err != nil {
			return err
		}
	}
	if err := tx.tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) + 1 FROM retro_actions WHERE incident_id = ? AND item = ?`,
		a.Incident, a.Item).Scan(&a.Version); err != nil {
		return err
	}
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO retro_actions (incident_id, item, version, text, owner, ticket, due, kind, done, removed, author, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.Incident, a.Item, a.Version, a.Text, a.Owner, a.Ticket, a.Due, a.Kind, a.Done, a.Removed, a.Author, store.FormatTime(a.At))
	return err
}

// ActionItems returns the newest version of each action item of an incident (removed ones included).
func (db *DB) ActionItems(ctx context.Context, incident int64) ([]store.ActionItem, error) {
	return actionItems(ctx, db.readers, incident)
}

// ActionItems is ActionItems inside the transaction.
func (tx *Tx) ActionItems(ctx context.Context, incident int64) ([]store.ActionItem, error) {
	return actionItems(ctx, tx.tx, incident)
}

func actionItems(ctx context.Context, q querier, incident int64) ([]store.ActionItem, error) {
	rows, err := q.QueryContext(ctx, `SELECT incident_id, item, version, text, owner, ticket, due, kind, done, removed, author, at, legacy FROM retro_actions a
		WHERE incident_id = ? AND version = (SELECT max(version) FROM retro_actions WHERE incident_id = a.incident_id AND item = a.item)
		ORDER BY item`, incident)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.ActionItem
	for rows.Next() {
		a, err := scanActionItem(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// RetroVersions lists every saved version of every section of an incident's retrospective, in section and
// version order, for audit verify. Legacy versions (saved before the chain covered them) are included.
func (db *DB) RetroVersions(ctx context.Context, incident int64) ([]store.RetroVersion, error) {
	return retroVersions(ctx, db.readers, incident)
}

func retroVersions(ctx context.Context, q querier, incident int64) ([]store.RetroVersion, error) {
	rows, err := q.QueryContext(ctx, `SELECT section, version, text, author, at, base, conflict, legacy FROM retro_versions
		WHERE incident_id = ? ORDER BY section, version`, incident)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.RetroVersion
	for rows.Next() {
		v := store.RetroVersion{Incident: incident}
		var at string
		if err := rows.Scan(&v.Section, &v.Version, &v.Text, &v.Author, &at, &v.Base, &v.Conflict, &v.Legacy); err != nil {
			return nil, err
		}
		v.At, _ = store.ParseTime(at)
		out = append(out, v)
	}
	return out, rows.Err()
}

// ActionItemVersions lists every version of every action item of an incident, in item and version order,
// for audit verify.
func (db *DB) ActionItemVersions(ctx context.Context, incident int64) ([]store.ActionItem, error) {
	return actionItemVersions(ctx, db.readers, incident)
}

func actionItemVersions(ctx context.Context, q querier, incident int64) ([]store.ActionItem, error) {
	rows, err := q.QueryContext(ctx, `SELECT incident_id, item, version, text, owner, ticket, due, kind, done, removed, author, at, legacy
		FROM retro_actions WHERE incident_id = ? ORDER BY item, version`, incident)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.ActionItem
	for rows.Next() {
		a, err := scanActionItem(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// scanActionItem reads a row of (incident_id, item, version, text, owner, ticket, due, kind, done, removed,
// author, at, legacy) from retro_actions.
func scanActionItem(rows *sql.Rows) (store.ActionItem, error) {
	var a store.ActionItem
	var at string
	if err := rows.Scan(&a.Incident, &a.Item, &a.Version, &a.Text, &a.Owner, &a.Ticket, &a.Due, &a.Kind, &a.Done, &a.Removed, &a.Author, &at, &a.Legacy); err != nil {
		return a, err
	}
	a.At, _ = store.ParseTime(at)
	return a, nil
}
