-- 0001: firebreak's record in PostgreSQL, the same tables and columns as SQLite's schema at version 6.
--
-- Times are TEXT exactly as store.FormatTime writes them (UTC, fixed width), so hashes recompute and text
-- order is time order. Every text column is COLLATE "C": byte order, as SQLite compares, whatever the
-- database's locale.

-- id_counters numbers incidents and runs as SQLite's AUTOINCREMENT does: the counter moves in the writing
-- transaction, so a rolled-back create gives its number to the next one (INC-n stay dense: a missing
-- number would look like a deleted incident) and a committed id is never handed out again. A sequence
-- would leave gaps; the write lock already serialises the writers that move it.
CREATE TABLE id_counters (
    name text   COLLATE "C" PRIMARY KEY,
    last bigint NOT NULL
);
INSERT INTO id_counters (name, last) VALUES ('incidents', 0), ('runs', 0);

-- incidents is the projection: what an incident's events say it is now, rewritten in the same transaction
-- as every event that changes it. The list columns are copied out of state so listing never parses JSON.
CREATE TABLE incidents (
    id          bigint  PRIMARY KEY,         -- the n of INC-n, from id_counters
    title       text    COLLATE "C" NOT NULL,
    severity    integer NOT NULL,
    status      text    COLLATE "C" NOT NULL,
    drill       boolean NOT NULL DEFAULT false,
    commander   text    COLLATE "C" NOT NULL DEFAULT '',
    declared_at text    COLLATE "C" NOT NULL,
    updated_at  text    COLLATE "C" NOT NULL,
    last_seq    bigint  NOT NULL DEFAULT 0,  -- the chain's head: deleting the newest event shows up here
    last_hash   text    COLLATE "C" NOT NULL DEFAULT '',
    state       text    COLLATE "C" NOT NULL DEFAULT '{}'
);
CREATE INDEX incidents_by_status ON incidents (status, updated_at);
CREATE INDEX incidents_by_update ON incidents (updated_at DESC, id DESC);

-- events is the timeline. Rows are only ever inserted; the hash of each covers the previous one's.
CREATE TABLE events (
    id          bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id bigint  NOT NULL REFERENCES incidents (id),
    seq         bigint  NOT NULL,
    at          text    COLLATE "C" NOT NULL,
    actor       text    COLLATE "C" NOT NULL,
    kind        text    COLLATE "C" NOT NULL,
    text        text    COLLATE "C" NOT NULL,
    data        text    COLLATE "C" NOT NULL,
    prev_hash   text    COLLATE "C" NOT NULL,
    hash        text    COLLATE "C" NOT NULL,
    UNIQUE (incident_id, seq)
);

-- Append-only is enforced by the database too, so a bug can't rewrite history; audit verify catches anyone
-- who removes these triggers first.
CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'the timeline is append-only: events cannot be changed';
    END IF;
    RAISE EXCEPTION 'the timeline is append-only: events cannot be deleted';
END
$$;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER events_no_delete BEFORE DELETE ON events FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();

-- runs is the projection of each run's events: what the console lists and what the guards ask.
CREATE TABLE runs (
    id            bigint  PRIMARY KEY,                       -- RUN-n, from id_counters
    incident_id   bigint  NOT NULL REFERENCES incidents (id),
    runbook       text    COLLATE "C" NOT NULL DEFAULT '',
    step          text    COLLATE "C" NOT NULL DEFAULT '',
    title         text    COLLATE "C" NOT NULL DEFAULT '',
    script_hash   text    COLLATE "C" NOT NULL,
    dry_run       boolean NOT NULL,
    status        text    COLLATE "C" NOT NULL,              -- running, waiting, succeeded, failed, halted, cancelled, interrupted
    waiting_for   text    COLLATE "C" NOT NULL DEFAULT '',   -- while waiting: continue, approval
    stage         integer NOT NULL DEFAULT 0,                -- the stage running or last run (1-based)
    stages        integer NOT NULL DEFAULT 0,
    plan          text    COLLATE "C" NOT NULL,              -- JSON, as written
    started_by    text    COLLATE "C" NOT NULL,
    started_at    text    COLLATE "C" NOT NULL,
    finished_at   text    COLLATE "C" NOT NULL DEFAULT '',
    owner_pid     integer NOT NULL DEFAULT 0,
    owner_start   text    COLLATE "C" NOT NULL DEFAULT '',
    owner_host    text    COLLATE "C" NOT NULL DEFAULT '',
    continue_seq  bigint  NOT NULL DEFAULT 0,                -- bumped by `continue` from another terminal
    plan_hash     text    COLLATE "C" NOT NULL DEFAULT '',
    resumes       bigint  NOT NULL DEFAULT 0,
    lease_until   text    COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX runs_by_incident ON runs (incident_id, id);
CREATE INDEX runs_by_status ON runs (status);

CREATE TABLE run_hosts (
    run_id      bigint  NOT NULL REFERENCES runs (id),
    host        text    COLLATE "C" NOT NULL,
    stage       integer NOT NULL,
    position    integer NOT NULL,
    state       text    COLLATE "C" NOT NULL,
    exit_code   integer NOT NULL DEFAULT -1,
    duration_ms bigint  NOT NULL DEFAULT 0,
    error       text    COLLATE "C" NOT NULL DEFAULT '',
    output_tail text    COLLATE "C" NOT NULL DEFAULT '',
    log_path    text    COLLATE "C" NOT NULL DEFAULT '',
    log_host    text    COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, host)
);

CREATE TABLE approvals (
    run_id    bigint  NOT NULL REFERENCES runs (id),
    stage     integer NOT NULL,
    person    text    COLLATE "C" NOT NULL,
    actor     text    COLLATE "C" NOT NULL,
    at        text    COLLATE "C" NOT NULL,
    plan_hash text    COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, stage, person)
);

-- switches holds the off-switch: while 'halt' is engaged no host starts anywhere and every run stops.
CREATE TABLE switches (
    name    text    COLLATE "C" PRIMARY KEY,
    engaged boolean NOT NULL,
    reason  text    COLLATE "C" NOT NULL DEFAULT '',
    actor   text    COLLATE "C" NOT NULL DEFAULT '',
    at      text    COLLATE "C" NOT NULL
);

-- Retrospectives: every save of a section is a new version (nothing typed is ever overwritten). Action items
-- are versioned the same way. legacy marks rows saved before the chain covered them (only ever imported).
CREATE TABLE retro_versions (
    incident_id bigint  NOT NULL REFERENCES incidents (id),
    section     text    COLLATE "C" NOT NULL,
    version     integer NOT NULL,
    text        text    COLLATE "C" NOT NULL,
    author      text    COLLATE "C" NOT NULL,
    at          text    COLLATE "C" NOT NULL,
    base        integer NOT NULL,
    conflict    boolean NOT NULL DEFAULT false,
    legacy      boolean NOT NULL DEFAULT false,
    PRIMARY KEY (incident_id, section, version)
);

CREATE TABLE retro_actions (
    incident_id bigint  NOT NULL REFERENCES incidents (id),
    item        integer NOT NULL,
    version     integer NOT NULL,
    text        text    COLLATE "C" NOT NULL,
    owner       text    COLLATE "C" NOT NULL DEFAULT '',
    ticket      text    COLLATE "C" NOT NULL DEFAULT '',
    due         text    COLLATE "C" NOT NULL DEFAULT '',
    kind        text    COLLATE "C" NOT NULL DEFAULT '',
    done        boolean NOT NULL DEFAULT false,
    removed     boolean NOT NULL DEFAULT false,
    author      text    COLLATE "C" NOT NULL,
    at          text    COLLATE "C" NOT NULL,
    legacy      boolean NOT NULL DEFAULT false,
    PRIMARY KEY (incident_id, item, version)
);

-- off_switch is what runs obey, as SQLite's PATH-halt file is: the switch flips here first, in a short
-- transaction of its own that waits for no writer, and every run on every machine polls it. switches.halt
-- is the record of it, written with the timeline events that say so (rollout.SyncHalt compares the two).
CREATE TABLE off_switch (
    name    text    COLLATE "C" PRIMARY KEY,
    engaged boolean NOT NULL,
    reason  text    COLLATE "C" NOT NULL DEFAULT '',
    actor   text    COLLATE "C" NOT NULL DEFAULT '',
    at      text    COLLATE "C" NOT NULL
);
