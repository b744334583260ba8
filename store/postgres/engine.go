package postgres

import (
	"context"

	"github.com/firebreak/firebreak/store"

	"github.com/jackc/pgx/v5"
)

var _ store.Store = (*DB)(nil)
var _ store.Tx = (*Tx)(nil)

// Export streams the whole record from one read-only REPEATABLE READ transaction: one consistent snapshot
// while others write.
func (db *DB) Export(ctx context.Context, sink store.Sink) error {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return db.classify(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	return store.ExportSnapshot(ctx, snapshot{tx}, sink)
}

// snapshot is the export's view of the record, inside one read-only transaction.
type snapshot struct{ q querier }

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
	rows, err := s.q.Query(ctx, `SELECT name FROM switches ORDER BY name`)
	if err != nil {
		return nil, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
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

// Import loads a whole record in one write transaction, keeping every id, seq and hash, and then moves the id
// counters past the ids it loaded, so that new incidents and runs never reuse one.
func (db *DB) Import(ctx context.Context, load func(store.Sink) error) error {
	return db.Write(ctx, func(t store.Tx) error {
		tx := t.(*Tx).tx
		var n int
		if err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM incidents) + (SELECT count(*) FROM runs)`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return store.Errorf(store.ErrUnusable, "%s already holds a record (%d incidents and runs): import only into an empty database", db.where, n)
		}
		im := &importer{ctx: ctx, tx: tx}
		if err := load(im); err != nil {
			return err
		}
		if err := im.flush(); err != nil {
			return err
		}
		// The counters move past the ids loaded (never back), so new incidents and runs never reuse one.
		if _, err := tx.Exec(ctx, `UPDATE id_counters c SET last = greatest(c.last, coalesce(m.id, 0))
			FROM (SELECT 'incidents' AS name, max(id) AS id FROM incidents UNION ALL SELECT 'runs', max(id) FROM runs) m
			WHERE c.name = m.name`); err != nil {
			return err
		}
		return seedOffSwitch(ctx, tx)
	})
}

// importer writes a record into the transaction; events, by far the most rows, go in batches by COPY.
type importer struct {
	ctx    context.Context
	tx     *txConn // the Write's transaction
	events [][]any
}

const copyBatch = 5000

func (im *importer) exec(q string, args ...any) error {
	if err := im.flush(); err != nil {
		return err
	}
	_, err := im.tx.Exec(im.ctx, q, args...)
	return err
}

func (im *importer) flush() error {
	if len(im.events) == 0 {
		return nil
	}
	_, err := im.tx.CopyFrom(im.ctx, pgx.Identifier{"events"},
		[]string{"incident_id", "seq", "at", "actor", "kind", "text", "data", "prev_hash", "hash"}, pgx.CopyFromRows(im.events))
	im.events = im.events[:0]
	return err
}

func (im *importer) Incident(r store.IncidentRow) error {
	return im.exec(`INSERT INTO incidents (id, title, severity, status, drill, commander, declared_at, updated_at, last_seq, last_hash, state)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, r.ID, r.Title, r.Severity, r.Status, r.Drill, r.Commander,
		store.FormatTime(r.DeclaredAt), store.FormatTime(r.UpdatedAt), r.LastSeq, r.LastHash, string(orEmpty(r.State)))
}

func (im *importer) Event(ev store.Event) error {
	im.events = append(im.events, []any{ev.Incident, ev.Seq, store.FormatTime(ev.At), ev.Actor, ev.Kind, ev.Text, string(ev.Data), ev.PrevHash, ev.Hash})
	if len(im.events) >= copyBatch {
		return im.flush()
	}
	return nil
}

func (im *importer) Run(r store.RunRow) error {
	return im.exec(`INSERT INTO runs (id, incident_id, runbook, step, title, script_hash, dry_run, status, waiting_for, stage, stages,
		plan, started_by, started_at, finished_at, owner_pid, owner_start, owner_host, continue_seq, plan_hash, resumes, lease_until)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)`, r.ID, r.Incident,
		r.Runbook, r.Step, r.Title, r.ScriptHash, r.DryRun, r.Status, r.WaitingFor, r.Stage, r.Stages, string(orEmpty(r.Plan)), r.StartedBy,
		store.FormatTime(r.StartedAt), formatOpt(r.FinishedAt), r.OwnerPID, r.OwnerStart, r.OwnerHost, r.ContinueSeq,
		r.PlanHash, r.Resumes, formatOpt(r.LeaseUntil))
}

func (im *importer) RunHost(h store.RunHost) error {
	return im.exec(`INSERT INTO run_hosts (run_id, host, stage, position, state, exit_code, duration_ms, error, output_tail, log_path, log_host)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, h.Run, h.Host, h.Stage, h.Position, h.State, h.ExitCode,
		h.Duration.Milliseconds(), h.Error, h.OutputTail, h.LogPath, h.LogHost)
}

func (im *importer) Approval(a store.Approval) error {
	return im.exec(`INSERT INTO approvals (run_id, stage, person, actor, at, plan_hash) VALUES ($1, $2, $3, $4, $5, $6)`,
		a.Run, a.Stage, a.Person, a.Actor, store.FormatTime(a.At), a.PlanHash)
}

func (im *importer) Switch(s store.Switch) error {
	if err := im.flush(); err != nil {
		return err
	}
	return setSwitch(im.ctx, im.tx, s)
}

func (im *importer) RetroVersion(v store.RetroVersion) error {
	return im.exec(`INSERT INTO retro_versions (incident_id, section, version, text, author, at, base, conflict, legacy)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, v.Incident, v.Section, v.Version, v.Text, v.Author, store.FormatTime(v.At), v.Base, v.Conflict, v.Legacy)
}

func (im *importer) ActionItem(a store.ActionItem) error {
	return im.exec(`INSERT INTO retro_actions (incident_id, item, version, text, owner, ticket, due, kind, done, removed, author, at, legacy)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`, a.Incident, a.Item, a.Version, a.Text, a.Owner, a.Ticket, a.Due, a.Kind,
		a.Done, a.Removed, a.Author, store.FormatTime(a.At), a.Legacy)
}
