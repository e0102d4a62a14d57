-- Users and their roles, each role scoped to a register and a hospital where it needs one (PostgreSQL).

CREATE TABLE users (
    name          text PRIMARY KEY,
    password_hash text NOT NULL, -- Argon2id PHC string
    active        boolean NOT NULL,
    created_at    timestamptz NOT NULL
);

CREATE TABLE user_roles (
    user_name text NOT NULL REFERENCES users (name),
    role      text NOT NULL CHECK (role IN ('registrar', 'unit_lead', 'register_admin', 'researcher',
                                            'auditor', 'trainee', 'supervisor')),
    register  text,
    hospital  text REFERENCES hospitals (code)
);

CREATE UNIQUE INDEX user_roles_once ON user_roles (user_name, role, COALESCE(register, ''), COALESCE(hospital, ''));
