-- Patient insight by one-time access code (SQLite): the codes register staff send by letter,
-- kept only as SHA-256 with the person's look-up key, and the short patient sessions a spent
-- code opens; expired codes are removed when the next one is issued. Times are Unix
-- microseconds, so both backends run the same statements
-- (store/src/insight.rs).

CREATE TABLE insight_codes (
    code_hash  TEXT PRIMARY KEY, -- SHA-256 hex of the code
    lookup_key TEXT NOT NULL,    -- HMAC-SHA-256 look-up key of the person
    register   TEXT NOT NULL,    -- the register whose staff issued it
    issued_by  TEXT NOT NULL,
    issued_us  INTEGER NOT NULL,
    expires_us INTEGER NOT NULL,
    used_us    INTEGER,
    failures   INTEGER NOT NULL DEFAULT 0 -- wrong attempts counted against this code
) STRICT;
CREATE INDEX insight_codes_of_person ON insight_codes (lookup_key);

CREATE TABLE patient_sessions (
    id_hash    TEXT PRIMARY KEY, -- SHA-256 hex of the cookie value
    lookup_key TEXT NOT NULL,
    csrf       TEXT NOT NULL,
    created_us INTEGER NOT NULL,
    seen_us    INTEGER NOT NULL
) STRICT;
