-- Research projects (SQLite): what a register admin approved for one researcher. Dates are
-- YYYY-MM-DD text, times Unix microseconds, flags integers, so both backends run the same
-- statements (store/src/research.rs). The pseudonym key is kept only sealed (AES-256-GCM
-- under the platform's encryption key), never in clear.

CREATE TABLE research_projects (
    id            TEXT PRIMARY KEY, -- e.g. P2026-01
    register      TEXT NOT NULL,
    researcher    TEXT NOT NULL REFERENCES users (name),
    variables     TEXT NOT NULL, -- JSON array of approved variable names
    period_from   TEXT NOT NULL,
    period_to     TEXT NOT NULL,
    approval      TEXT NOT NULL, -- e.g. the REK reference
    date_handling TEXT NOT NULL CHECK (date_handling IN ('month', 'shift')),
    age_bands     INTEGER NOT NULL,
    sealed_key    BLOB NOT NULL,
    created_by    TEXT NOT NULL,
    created_us    INTEGER NOT NULL
) STRICT;
