package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/firebreak/firebreak/store"

	"github.com/jackc/pgx/v5"
)

// CreateRun inserts a run with its hosts (all pending) and returns its id.
func (tx *Tx) CreateRun(ctx context.Context, r store.RunRow, hosts []store.RunHost) (int64, error) {
	var id int64
	err := tx.tx.QueryRow(ctx, `WITH n AS (UPDATE id_counters SET last = last + 1 WHERE name = 'runs' RETURNING last)
		INSERT INTO runs (id, incident_id, runbook, step, title, script_hash, dry_run, status,
		waiting_for, stage, stages, plan, started_by, started_at, owner_pid, owner_start, owner_host, plan_hash, resumes, lease_until)
		SELECT n.last, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19 FROM n RETURNING id`,
		r.Incident, r.Runbook, r.Step, r.Title, r.ScriptHash, r.DryRun, r.Status, r.WaitingFor, r.Stage, r.Stages,
		string(orEmpty(r.Plan)), r.StartedBy, store.FormatTime(r.StartedAt), r.OwnerPID, r.OwnerStart, r.OwnerHost, r.PlanHash,
		r.Resumes, formatOpt(r.LeaseUntil)).Scan(&id)
	if err != nil {
		return 0, err
	}
	for _, h := range hosts {
		if _, err := tx.tx.Exec(ctx, `INSERT INTO run_hosts (run_id, host, stage, position, state) VALUES ($1, $2, $3, $4, $5)`,
			id, h.Host, h.Stage, h.Position, h.State); err != nil {
			return 0, err
		}
	}
	tx.feed.run(id)
	return id, nil
}

// UpdateRun saves a run's status fields (status, waiting_for, stage, finished_at, owner, lease).
func (tx *Tx) UpdateRun(ctx context.Context, r store.RunRow) error {
	_, err := tx.tx.Exec(ctx, `UPDATE runs SET status = $1, waiting_for = $2, stage = $3, finished_at = $4,
		owner_pid = $5, owner_start = $6, owner_host = $7, lease_until = $8 WHERE id = $9`,
		r.Status, r.WaitingFor, r.Stage, formatOpt(r.FinishedAt), r.OwnerPID, r.OwnerStart, r.OwnerHost, formatOpt(r.LeaseUntil), r.ID)
	tx.feed.run(r.ID)
	return err
}

// BumpContinue records that someone asked a waiting run to go on (from any terminal on any machine).
func (tx *Tx) BumpContinue(ctx context.Context, run int64) error {
	_, err := tx.tx.Exec(ctx, `UPDATE runs SET continue_seq = continue_seq + 1 WHERE id = $1`, run)
	tx.feed.run(run)
	return err
}

// SetHost saves one host's state in a run.
func (tx *Tx) SetHost(ctx context.Context, h store.RunHost) error {
	_, err := tx.tx.Exec(ctx, `UPDATE run_hosts SET state = $1, exit_code = $2, duration_ms = $3, error = $4,
		output_tail = $5, log_path = $6, log_host = $7 WHERE run_id = $8 AND host = $9`, h.State, h.ExitCode, h.Duration.Milliseconds(),
		h.Error, h.OutputTail, h.LogPath, h.LogHost, h.Run, h.Host)
	tx.feed.run(h.Run)
	return err
}

// RenewLease moves a run's lease on to until (the owner's heartbeat).
func (tx *Tx) RenewLease(ctx context.Context, run int64, until time.Time) error {
	_, err := tx.tx.Exec(ctx, `UPDATE runs SET lease_until = $1 WHERE id = $2`, store.FormatTime(until), run)
	tx.feed.run(run)
	return err
}

// Run reads one run.
func (db *DB) Run(ctx context.Context, id int64) (store.RunRow, error) {
	return getRun(ctx, db.pool, id)
}

// Run reads one run inside the transaction.
func (tx *Tx) Run(ctx context.Context, id int64) (store.RunRow, error) { return getRun(ctx, tx.tx, id) }

const runCols = `id, incident_id, runbook, step, title, script_hash, dry_run, status, waiting_for, stage, stages, plan,
	started_by, started_at, finished_at, owner_pid, owner_start, owner_host, continue_seq, plan_hash, resumes, lease_until`

func getRun(ctx context.Context, q querier, id int64) (store.RunRow, error) {
	rows, err := q.Query(ctx, `SELECT `+runCols+` FROM runs WHERE id = $1`, id)
	if err != nil {
		return store.RunRow{}, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return store.RunRow{}, err
		}
		return store.RunRow{}, fmt.Errorf("run %d: %w", id, store.ErrNotFound)
	}
	r, err := scanRun(rows)
	if err != nil {
		return r, err
	}
	rows.Close()
	return r, rows.Err()
}

// Runs lists runs, oldest first.
func (db *DB) Runs(ctx context.Context, q store.RunQuery) ([]store.RunRow, error) {
	return queryRuns(ctx, db.pool, q)
}

// Runs lists runs inside the transaction.
func (tx *Tx) Runs(ctx context.Context, q store.RunQuery) ([]store.RunRow, error) {
	return queryRuns(ctx, tx.tx, q)
}

func queryRuns(ctx context.Context, qr querier, q store.RunQuery) ([]store.RunRow, error) {
	var where []string
	var args []any
	arg := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(args))))
	}
	if q.Incident != 0 {
		arg("incident_id = $?", q.Incident)
	}
	if len(q.Statuses) > 0 {
		arg("status = ANY($?)", q.Statuses)
	}
	if q.ScriptHash != "" {
		arg("script_hash = $?", q.ScriptHash)
	}
	if q.DryRun != nil {
		arg("dry_run = $?", *q.DryRun)
	}
	query := `SELECT ` + runCols + ` FROM runs`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := qr.Query(ctx, query+" ORDER BY id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.RunRow
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func scanRun(rows pgx.Rows) (store.RunRow, error) {
	var r store.RunRow
	var plan, started, finished, lease string
	if err := rows.Scan(&r.ID, &r.Incident, &r.Runbook, &r.Step, &r.Title, &r.ScriptHash, &r.DryRun, &r.Status, &r.WaitingFor,
		&r.Stage, &r.Stages, &plan, &r.StartedBy, &started, &finished, &r.OwnerPID, &r.OwnerStart, &r.OwnerHost, &r.ContinueSeq,
		&r.PlanHash, &r.Resumes, &lease); err != nil {
		return r, err
	}
	r.Plan = json.RawMessage(plan)
	var err error
	if r.StartedAt, err = store.ParseTime(started); err != nil {
		return r, err
	}
	if finished != "" {
		if r.FinishedAt, err = store.ParseTime(finished); err != nil {
			return r, err
		}
	}
	if lease != "" {
		r.LeaseUntil, err = store.ParseTime(lease)
	}
	return r, err
}

// RunHosts lists a run's hosts in plan order.
func (db *DB) RunHosts(ctx context.Context, run int64) ([]store.RunHost, error) {
	return queryRunHosts(ctx, db.pool, run)
}

// RunHosts lists a run's hosts in plan order, inside the transaction.
func (tx *Tx) RunHosts(ctx context.Context, run int64) ([]store.RunHost, error) {
	return queryRunHosts(ctx, tx.tx, run)
}

func queryRunHosts(ctx context.Context, q querier, run int64) ([]store.RunHost, error) {
	rows, err := q.Query(ctx, `SELECT run_id, host, stage, position, state, exit_code, duration_ms, error, output_tail, log_path, log_host
		FROM run_hosts WHERE run_id = $1 ORDER BY position`, run)
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

// Approve records an approval; approving twice is a no-op.
func (tx *Tx) Approve(ctx context.Context, a store.Approval) error {
	_, err := tx.tx.Exec(ctx, `INSERT INTO approvals (run_id, stage, person, actor, at, plan_hash) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT DO NOTHING`, a.Run, a.Stage, a.Person, a.Actor, store.FormatTime(a.At), a.PlanHash)
	tx.feed.run(a.Run)
	return err
}

// Approvals lists a run's approvals.
func (db *DB) Approvals(ctx context.Context, run int64) ([]store.Approval, error) {
	return approvals(ctx, db.pool, run)
}

func approvals(ctx context.Context, q querier, run int64) ([]store.Approval, error) {
	rows, err := q.Query(ctx, `SELECT run_id, stage, person, actor, at, plan_hash FROM approvals WHERE run_id = $1
		ORDER BY at, stage, person`, run)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Approval
	for rows.Next() {
		var a store.Approval
		var at string
		if err := rows.Scan(&a.Run, &a.Stage, &a.Person, &a.Actor, &at, &a.PlanHash); err != nil {
			return nil, err
		}
		a.At, _ = store.ParseTime(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

// SetSwitch engages or releases a switch.
func (tx *Tx) SetSwitch(ctx context.Context, s store.Switch) error {
	return setSwitch(ctx, tx.tx, s)
}

func setSwitch(ctx context.Context, q querier, s store.Switch) error {
	_, err := q.Exec(ctx, `INSERT INTO switches (name, engaged, reason, actor, at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (name) DO UPDATE SET engaged = excluded.engaged, reason = excluded.reason, actor = excluded.actor, at = excluded.at`,
		s.Name, s.Engaged, s.Reason, s.Actor, store.FormatTime(s.At))
	return err
}

// Switch reads a switch; one never set is released.
func (db *DB) Switch(ctx context.Context, name string) (store.Switch, error) {
	return getSwitch(ctx, db.pool, name)
}

// Switch reads a switch inside the transaction.
func (tx *Tx) Switch(ctx context.Context, name string) (store.Switch, error) {
	return getSwitch(ctx, tx.tx, name)
}

func getSwitch(ctx context.Context, q querier, name string) (store.Switch, error) {
	s := store.Switch{Name: name}
	var at string
	err := q.QueryRow(ctx, `SELECT engaged, reason, actor, at FROM switches WHERE name = $1`, name).
		Scan(&s.Engaged, &s.Reason, &s.Actor, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	s.At, _ = store.ParseTime(at)
	return s, nil
}

// formatOpt formats a time that may be unset ("" then).
func formatOpt(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return store.FormatTime(t)
}

// scanRunHost reads a row of (run_id, host, stage, position, state, exit_code, duration_ms, error,
// output_tail, log_path, log_host) from run_hosts.
func scanRunHost(rows pgx.Rows) (store.RunHost, error) {
	var h store.RunHost
	var ms int64
	if err := rows.Scan(&h.Run, &h.Host, &h.Stage, &h.Position, &h.State, &h.ExitCode, &ms, &h.Error, &h.OutputTail, &h.LogPath, &h.LogHost); err != nil {
		return h, err
	}
	h.Duration = time.Duration(ms) * time.Millisecond
	return h, nil
}
