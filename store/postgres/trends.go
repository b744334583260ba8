package postgres

import (
	"context"
	"time"

	"github.com/firebreak/firebreak/store"
)

// RunHostsSince lists the hosts of the runs of the incidents declared at or after since (declared_at is
// stored fixed width, so text order is time order), without output tails.
func (db *DB) RunHostsSince(ctx context.Context, since time.Time) ([]store.RunHost, error) {
	rows, err := db.pool.Query(ctx, `SELECT h.run_id, h.host, h.stage, h.position, h.state, h.exit_code, h.duration_ms, h.error,
		'' AS output_tail, h.log_path, h.log_host
		FROM run_hosts h JOIN runs r ON r.id = h.run_id JOIN incidents i ON i.id = r.incident_id
		WHERE i.declared_at >= $1 ORDER BY h.run_id, h.position`, store.FormatTime(since))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.RunHost
	for rows.Next() {
		h, err := scanRunHost(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// ActionItemsSince lists the newest version of each action item of the incidents declared at or after since.
func (db *DB) ActionItemsSince(ctx context.Context, since time.Time) ([]store.ActionItem, error) {
	rows, err := db.pool.Query(ctx, `SELECT a.incident_id, a.item, a.version, a.text, a.owner, a.ticket, a.due, a.kind, a.done,
		a.removed, a.author, a.at, a.legacy
		FROM retro_actions a JOIN incidents i ON i.id = a.incident_id
		WHERE i.declared_at >= $1 AND a.version = (SELECT max(version) FROM retro_actions WHERE incident_id = a.incident_id AND item = a.item)
		ORDER BY a.incident_id, a.item`, store.FormatTime(since))
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
