-- 0002: runs of scripts on hosts, their per-host states, approvals, and the off-switch.

-- runs is the projection of each run's events: what the console lists and what the guards ask
-- ("did a dry run of this script succeed on these hosts in this incident?").
CREATE TABLE runs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,   -- RUN-n
    incident_id   INTEGER NOT NULL REFERENCES incidents (id),
    runbook       TEXT    NOT NULL DEFAULT '',
    step          TEXT    NOT NULL DEFAULT '',
    title         TEXT    NOT NULL DEFAULT '',
    script_hash   TEXT    NOT NULL,
    dry_run       INTEGER NOT NULL,
    status        TEXT    NOT NULL,                   -- running, waiting, succeeded, failed, halted, cancelled, interrupted
    waiting_for   TEXT    NOT NULL DEFAULT '',        -- while waiting: continue, approval
    stage         INTEGER NOT NULL DEFAULT 0,         -- the stage running or last run (1-based)
    stages        INTEGER NOT NULL DEFAULT 0,
    plan          TEXT    NOT NULL,                   -- JSON
    started_by    TEXT    NOT NULL,
    started_at    TEXT    NOT NULL,
    finished_at   TEXT    NOT NULL DEFAULT '',
    owner_pid     INTEGER NOT NULL DEFAULT 0,         -- the process driving the run, to tell a crash from a pause
    owner_start   TEXT    NOT NULL DEFAULT '',
    owner_host    TEXT    NOT NULL DEFAULT '',
    continue_seq  INTEGER NOT NULL DEFAULT 0          -- bumped by `continue` from another terminal
);
CREATE INDEX runs_by_incident ON runs (incident_id, id);
CREATE INDEX runs_by_status ON runs (status);

CREATE TABLE run_hosts (
    run_id      INTEGER NOT NULL REFERENCES runs (id),
    host        TEXT    NOT NULL,
    stage       INTEGER NOT NULL,
    position    INTEGER NOT NULL,
    state       TEXT    NOT NULL,  -- pending, running, ok, changed, skipped, failed, timed_out, unreachable, cancelled, unknown
    exit_code   INTEGER NOT NULL DEFAULT -1,
    duration_ms INTEGER NOT NULL DEFAULT 0,
    error       TEXT    NOT NULL DEFAULT '',
    output_tail TEXT    NOT NULL DEFAULT '',
    log_path    TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, host)
);

CREATE TABLE approvals (
    run_id   INTEGER NOT NULL REFERENCES runs (id),
    stage    INTEGER NOT NULL,
    person   TEXT    NOT NULL,
    actor    TEXT    NOT NULL,
    at       TEXT    NOT NULL,
    PRIMARY KEY (run_id, stage, person)
);

-- switches holds the off-switch: while 'halt' is engaged no host starts anywhere and every run stops.
CREATE TABLE switches (
    name    TEXT PRIMARY KEY,
    engaged INTEGER NOT NULL,
    reason  TEXT    NOT NULL DEFAULT '',
    actor   TEXT    NOT NULL DEFAULT '',
    at      TEXT    NOT NULL
);
