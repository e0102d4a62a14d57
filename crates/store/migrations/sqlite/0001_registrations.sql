-- Registrations with every version kept, the change sequence and hospitals (SQLite).
-- Ids are UUID text, timestamps RFC 3339 UTC text with six fraction digits, dates ISO text.

CREATE TABLE hospitals (
    code          TEXT PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL,
    health_trust  TEXT NOT NULL,
    health_region TEXT NOT NULL,
    evt_centre    INTEGER NOT NULL CHECK (evt_centre IN (0, 1)),
    active        INTEGER NOT NULL CHECK (active IN (0, 1))
) STRICT;

CREATE TABLE registrations (
    id                TEXT PRIMARY KEY NOT NULL,
    seq               INTEGER NOT NULL UNIQUE,
    register          TEXT NOT NULL,
    hospital          TEXT NOT NULL REFERENCES hospitals (code),
    status            TEXT NOT NULL CHECK (status IN ('draft', 'complete', 'locked')),
    version           INTEGER NOT NULL CHECK (version >= 1),
    data              TEXT NOT NULL,
    warnings          TEXT NOT NULL,
    person_lookup_key TEXT,
    person_ciphertext BLOB,
    event_date        TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    updated_by        TEXT NOT NULL,
    CHECK ((person_lookup_key IS NULL) = (person_ciphertext IS NULL))
) STRICT;

CREATE INDEX registrations_listing ON registrations (register, hospital, status, event_date);
CREATE INDEX registrations_creation ON registrations (register, seq);
CREATE INDEX registrations_person ON registrations (person_lookup_key)
    WHERE person_lookup_key IS NOT NULL;

CREATE TABLE registration_versions (
    registration_id TEXT NOT NULL REFERENCES registrations (id),
    version         INTEGER NOT NULL CHECK (version >= 1),
    status          TEXT NOT NULL CHECK (status IN ('draft', 'complete', 'locked')),
    hospital        TEXT NOT NULL REFERENCES hospitals (code),
    data            TEXT NOT NULL,
    warnings        TEXT NOT NULL,
    changes         TEXT, -- NULL for version 1: every field of the version, computed when read
    changed_by      TEXT NOT NULL,
    changed_at      TEXT NOT NULL,
    reason          TEXT,
    PRIMARY KEY (registration_id, version),
    CHECK ((changes IS NULL) = (version = 1))
) STRICT;

CREATE TABLE changes (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    registration_id TEXT NOT NULL REFERENCES registrations (id),
    register        TEXT NOT NULL,
    version         INTEGER NOT NULL
) STRICT;
