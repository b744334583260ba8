-- 0001: incidents, their append-only timeline, and the projection of each incident's current state.

-- incidents is the projection: what an incident's events say it is now, rewritten in the same transaction
-- as every event that changes it. The list columns are copied out of state so listing never parses JSON.
CREATE TABLE incidents (
    id          INTEGER PRIMARY KEY AUTOINCREMENT, -- the n of INC-n; AUTOINCREMENT so an id is never reused
    title       TEXT    NOT NULL,
    severity    INTEGER NOT NULL,
    status      TEXT    NOT NULL,
    drill       INTEGER NOT NULL DEFAULT 0,
    commander   TEXT    NOT NULL DEFAULT '',
    declared_at TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    last_seq    INTEGER NOT NULL DEFAULT 0,  -- the chain's head: deleting the newest event shows up here
    last_hash   TEXT    NOT NULL DEFAULT '',
    state       TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX incidents_by_status ON incidents (status, updated_at);

-- events is the timeline. Rows are only ever inserted; the hash of each covers the previous one's.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    seq         INTEGER NOT NULL,
    at          TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    data        TEXT    NOT NULL,
    prev_hash   TEXT    NOT NULL,
    hash        TEXT    NOT NULL,
    UNIQUE (incident_id, seq)
);

-- Append-only is enforced by the database too, so a bug can't rewrite history; audit verify catches anyone
-- who removes these triggers first.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the timeline is append-only: events cannot be changed'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the timeline is append-only: events cannot be deleted'); END;
