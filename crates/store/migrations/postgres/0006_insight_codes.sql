-- Patient insight by one-time access code (PostgreSQL): the codes register staff send by letter,
-- kept only as SHA-256 with the person's look-up key, and the short patient sessions a spent
-- code opens; expired codes are removed when the next one is issued. Times are Unix
-- microseconds, so both backends run the same statements
-- (store/src/insight.rs).

CREATE TABLE insight_codes (
    code_hash  text PRIMARY KEY, -- SHA-256 hex of the code
    lookup_key text NOT NULL,    -- HMAC-SHA-256 look-up key of the person
    register   text NOT NULL,    -- the register whose staff issued it
    issued_by  text NOT NULL,
    issued_us  bigint NOT NULL,
    expires_us bigint NOT NULL,
    used_us    bigint,
    failures   bigint NOT NULL DEFAULT 0 -- wrong attempts counted against this code
);
CREATE INDEX insight_codes_of_person ON insight_codes (lookup_key);

CREATE TABLE patient_sessions (
    id_hash    text PRIMARY KEY, -- SHA-256 hex of the cookie value
    lookup_key text NOT NULL,
    csrf       text NOT NULL,
    created_us bigint NOT NULL,
    seen_us    bigint NOT NULL
);
