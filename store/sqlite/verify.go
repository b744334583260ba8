package sqlite

import "context"

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
