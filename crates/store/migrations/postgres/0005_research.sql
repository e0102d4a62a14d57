-- Research projects (PostgreSQL): what a register admin approved for one researcher. Dates are
-- YYYY-MM-DD text, times Unix microseconds, flags integers, so both backends run the same
-- statements (store/src/research.rs). The pseudonym key is kept only sealed (AES-256-GCM
-- under the platform's encryption key), never in clear.

CREATE TABLE research_projects (
    id            text PRIMARY KEY, -- e.g. P2026-01
    register      text NOT NULL,
    researcher    text NOT NULL REFERENCES users (name),
    variables     text NOT NULL, -- JSON array of approved variable names
    period_from   text NOT NULL,
    period_to     text NOT NULL,
    approval      text NOT NULL, -- e.g. the REK reference
    date_handling text NOT NULL CHECK (date_handling IN ('month', 'shift')),
    age_bands     bigint NOT NULL,
    sealed_key    bytea NOT NULL,
    created_by    text NOT NULL,
    created_us    bigint NOT NULL
);
