-- Sign-in state, second factor, sessions and API tokens (SQLite). Times are Unix microseconds,
-- flags integers, so both backends run the same statements (store/src/access.rs).

ALTER TABLE users ADD COLUMN failed_signins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until INTEGER;
-- AES-256-GCM ciphertext of the base32 TOTP secret; NULL until the user enrols.
ALTER TABLE users ADD COLUMN totp_secret BLOB;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;

CREATE TABLE recovery_codes (
    user_name TEXT NOT NULL REFERENCES users (name),
    code_hash TEXT NOT NULL, -- SHA-256 hex of a random one-time code
    PRIMARY KEY (user_name, code_hash)
) STRICT;

CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY, -- SHA-256 hex of the cookie value
    user_name    TEXT NOT NULL REFERENCES users (name),
    csrf         TEXT NOT NULL,
    created_us   INTEGER NOT NULL,
    seen_us      INTEGER NOT NULL,
    pending_totp BLOB -- an enrolment secret (ciphertext) awaiting its first code
) STRICT;
CREATE INDEX sessions_of_user ON sessions (user_name);

CREATE TABLE api_tokens (
    name        TEXT PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE, -- SHA-256 hex of the token
    role        TEXT NOT NULL CHECK (role IN ('registrar', 'unit_lead', 'register_admin', 'researcher',
                                              'auditor', 'trainee', 'supervisor')),
    register    TEXT,
    hospital    TEXT REFERENCES hospitals (code),
    created_by  TEXT NOT NULL,
    created_us  INTEGER NOT NULL,
    revoked_us  INTEGER
) STRICT;
