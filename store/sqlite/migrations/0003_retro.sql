-- 0003: retrospectives. Every save of a section is a new version (nothing typed is ever overwritten); the
-- newest version is the section's text. Action items are versioned the same way.
CREATE TABLE retro_versions (
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    section     TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    text        TEXT    NOT NULL,
    author      TEXT    NOT NULL,
    at          TEXT    NOT NULL,
    base        INTEGER NOT NULL,           -- the version its author started from
    conflict    INTEGER NOT NULL DEFAULT 0, -- 1: two people edited the same version; both texts are in it
    PRIMARY KEY (incident_id, section, version)
);

CREATE TABLE retro_actions (
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    item        INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    text        TEXT    NOT NULL,
    owner       TEXT    NOT NULL DEFAULT '',
    ticket      TEXT    NOT NULL DEFAULT '',
    due         TEXT    NOT NULL DEFAULT '',
    kind        TEXT    NOT NULL DEFAULT '',
    done        INTEGER NOT NULL DEFAULT 0,
    removed     INTEGER NOT NULL DEFAULT 0,
    author      TEXT    NOT NULL,
    at          TEXT    NOT NULL,
    PRIMARY KEY (incident_id, item, version)
);
