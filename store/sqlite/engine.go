package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/firebreak/firebreak/store"
)

var _ store.Store = (*DB)(nil)
var _ store.Tx = (*Tx)(nil)

// Engine is "sqlite".
func (db *DB) Engine() string { return "sqlite" }

// Where is the database file's path.
func (db *DB) Where() string { return db.path }

// LocalPath is the database file's path.
func (db *DB) LocalPath() string { return db.path }

// Export streams the whole record from one read transaction: a consistent snapshot while others write.
func (db *DB) Export(ctx context.Context, sink store.Sink) error {
	tx, err := db.readers.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return store.ExportSnapshot(ctx, snapshot{tx}, sink)
}

// snapshot is the export's view of the record, inside one read-only transaction.
type snapshot struct{ q *sql.Tx }

func (s snapshot) Incidents(ctx context.Context, q store.IncidentQuery) ([]store.IncidentRow, error) {
	return queryIncidents(ctx, s.q, q)
}

func (s snapshot) Events(ctx context.Context, q store.EventQuery) ([]store.Event, error) {
	return queryEvents(ctx, s.q, q)
}

func (s snapshot) Runs(ctx context.Context, q store.RunQuery) ([]store.RunRow, error) {
	return queryRuns(ctx, s.q, q)
}

func (s snapshot) RunHosts(ctx context.Context, run int64) ([]store.RunHost, error) {
	return queryRunHosts(ctx, s.q, run)
}

func (s snapshot) Approvals(ctx context.Context, run int64) ([]store.Approval, error) {
	return approvals(ctx, s.q, run)
}

func (s snapshot) RetroVersions(ctx context.Context, incident int64) ([]store.RetroVersion, error) {
	return retroVersions(ctx, s.q, incident)
}

func (s snapshot) ActionItemVersions(ctx context.Context, incident int64) ([]store.ActionItem, error) {
	return actionItemVersions(ctx, s.q, incident)
}

// Switches reads every switch, by name.
func (s snapshot) Switches(ctx context.Context) ([]store.Switch, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT name FROM switches ORDER BY name`)
	if err != nil {
		return nil, err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]store.Switch, 0, len(names))
	for _, n := range names {
		sw, err := getSwitch(ctx, s.q, n)
		if err != nil {
			return nil, err
		}
		out = append(out, sw)
	}
	return out, nil
}

// Import loads a whole record in one write transaction, keeping every id, seq and hash.
func (db *DB) Import(ctx context.Context, load func(store.Sink) error) error {
	err := db.Write(ctx, func(t store.Tx) error {
		tx := t.(*Tx).tx
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM incidents) + (SELECT count(*) FROM runs)`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return store.Errorf(store.ErrUnusable, "%s already holds a record: import only into an empty database (a new file)", db.path)
		}
		return load(&importer{ctx: ctx, tx: tx})
	})
	if err != nil {
		return err
	}
	// The off-switch file was made when the database opened, released; an imported record whose halt is
	// engaged must stay halted here (else the next open would read the file and record a resume).
	sw, err := getSwitch(ctx, db.readers, "halt")
	if err != nil || !sw.Engaged {
		return err
	}
	return db.halt.Write(sw)
}

type importer struct {
	ctx context.Context
	tx  *sql.Tx
}

func (im *importer) exec(q string, args ...any) error {
	_, err := im.tx.ExecContext(im.ctx, q, args...)
	return err
}

func (im *importer) Incident(r store.IncidentRow) error {
	return im.exec(`INSERT INTO incidents (id, title, severity, status, drill, commander, declared_at, updated_at, last_seq, last_hash, state)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, r.Title, r.Severity, r.Status, r.Drill, r.Commander,
		store.FormatTime(r.DeclaredAt), store.FormatTime(r.UpdatedAt), r.LastSeq, r.LastHash, string(orEmpty(r.State)))
}

func (im *importer) Event(ev store.Event) error {
	return im.exec(`INSERT INTO events (incident_id, seq, at, actor, kind, text, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ev.Incident, ev.Seq, store.FormatTime(ev.At), ev.Actor, ev.Kind, ev.Text, string(ev.Data), ev.PrevHash, ev.Hash)
}

func (im *importer) Run(r store.RunRow) error {
	return im.exec(`INSERT INTO runs (id, incident_id, runbook, step, title, script_hash, dry_run, status, waiting_for, stage, stages,
		plan, started_by, started_at, finished_at, owner_pid, owner_start, owner_host, continue_seq, plan_hash, resumes, lease_until)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, r.Incident, r.Runbook, r.Step, r.Title,
		r.ScriptHash, r.DryRun, r.Status, r.WaitingFor, r.Stage, r.Stages, string(orEmpty(r.Plan)), r.StartedBy,
		store.FormatTime(r.StartedAt), formatOpt(r.FinishedAt), r.OwnerPID, r.OwnerStart, r.OwnerHost, r.ContinueSeq,
		r.PlanHash, r.Resumes, formatOpt(r.LeaseUntil))
}

func (im *importer) RunHost(h store.RunHost) error {
	return im.exec(`INSERT INTO run_hosts (run_id, host, stage, position, state, exit_code, duration_ms, error, output_tail, log_path, log_host)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, h.Run, h.Host, h.Stage, h.Position, h.State, h.ExitCode,
		h.Duration.Milliseconds(), h.Error, h.OutputTail, h.LogPath, h.LogHost)
}

func (im *importer) Approval(a store.Approval) error {
	return im.exec(`INSERT INTO approvals (run_id, stage, person, actor, at, plan_hash) VALUES (?, ?, ?, ?, ?, ?)`,
		a.Run, a.Stage, a.Person, a.Actor, store.FormatTime(a.At), a.PlanHash)
}

func (im *importer) Switch(s store.Switch) error {
	return im.exec(`INSERT INTO switches (name, engaged, reason, actor, at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET engaged = excluded.engaged, reason = excluded.reason, actor = excluded.actor, at = excluded.at`,
		s.Name, s.Engaged, s.Reason, s.Actor, store.FormatTime(s.At))
}

func (im *importer) RetroVersion(v store.RetroVersion) error {
	return im.exec(`INSERT INTO retro_versions (incident_id, section, version, text, author, at, base, conflict, legacy)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, v.Incident, v.Section, v.Version, v.Text, v.Author, store.FormatTime(v.At), v.Base, v.Conflict, v.Legacy)
}

func (im *importer) ActionItem(a store.ActionItem) error {
	return im.exec(`INSERT INTO retro_actions (incident_id, item, version, text, owner, ticket, due, kind, done, removed, author, at, legacy)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.Incident, a.Item, a.Version, a.Text, a.Owner, a.Ticket, a.Due, a.Kind,
		a.Done, a.Removed, a.Author, store.FormatTime(a.At), a.Legacy)
}

// String names the database for messages.
func (db *DB) String() string { return fmt.Sprintf("sqlite:%s", db.path) }
