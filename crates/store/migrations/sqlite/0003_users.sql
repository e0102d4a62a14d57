-- Users and their roles, each role scoped to a register and a hospital where it needs one (SQLite).

CREATE TABLE users (
    name          TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL, -- Argon2id PHC string
    active        INTEGER NOT NULL CHECK (active IN (0, 1)),
    created_at    TEXT NOT NULL
) STRICT;

CREATE TABLE user_roles (
    user_name TEXT NOT NULL REFERENCES users (name),
    role      TEXT NOT NULL CHECK (role IN ('registrar', 'unit_lead', 'register_admin', 'researcher',
                                            'auditor', 'trainee', 'supervisor')),
    register  TEXT,
    hospital  TEXT REFERENCES hospitals (code)
) STRICT;

CREATE UNIQUE INDEX user_roles_once ON user_roles (user_name, role, COALESCE(register, ''), COALESCE(hospital, ''));
