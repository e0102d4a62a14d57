-- Sign-in state, second factor, sessions and API tokens (PostgreSQL). Times are Unix microseconds,
-- flags integers, so both backends run the same statements (store/src/access.rs).

ALTER TABLE users ADD COLUMN failed_signins bigint NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until bigint;
-- AES-256-GCM ciphertext of the base32 TOTP secret; NULL until the user enrols.
ALTER TABLE users ADD COLUMN totp_secret bytea;
ALTER TABLE users ADD COLUMN totp_last_step bigint;

CREATE TABLE recovery_codes (
    user_name text NOT NULL REFERENCES users (name),
    code_hash text NOT NULL, -- SHA-256 hex of a random one-time code
    PRIMARY KEY (user_name, code_hash)
);

CREATE TABLE sessions (
    id_hash      text PRIMARY KEY, -- SHA-256 hex of the cookie value
    user_name    text NOT NULL REFERENCES users (name),
    csrf         text NOT NULL,
    created_us   bigint NOT NULL,
    seen_us      bigint NOT NULL,
    pending_totp bytea -- an enrolment secret (ciphertext) awaiting its first code
);
CREATE INDEX sessions_of_user ON sessions (user_name);

CREATE TABLE api_tokens (
    name        text PRIMARY KEY,
    token_hash  text NOT NULL UNIQUE, -- SHA-256 hex of the token
    role        text NOT NULL CHECK (role IN ('registrar', 'unit_lead', 'register_admin', 'researcher',
                                              'auditor', 'trainee', 'supervisor')),
    register    text,
    hospital    text REFERENCES hospitals (code),
    created_by  text NOT NULL,
    created_us  bigint NOT NULL,
    revoked_us  bigint
);
