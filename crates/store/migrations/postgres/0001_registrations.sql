-- Registrations with every version kept, the change sequence and hospitals (PostgreSQL).

CREATE TABLE hospitals (
    code          text PRIMARY KEY,
    name          text NOT NULL,
    health_trust  text NOT NULL,
    health_region text NOT NULL,
    evt_centre    boolean NOT NULL,
    active        boolean NOT NULL
);

CREATE TABLE registrations (
    id                uuid PRIMARY KEY,
    seq               bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    register          text NOT NULL,
    hospital          text NOT NULL REFERENCES hospitals (code),
    status            text NOT NULL CHECK (status IN ('draft', 'complete', 'locked')),
    version           bigint NOT NULL CHECK (version >= 1),
    data              jsonb NOT NULL,
    warnings          jsonb NOT NULL,
    person_lookup_key text,
    person_ciphertext bytea,
    event_date        date,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    updated_by        text NOT NULL,
    CHECK ((person_lookup_key IS NULL) = (person_ciphertext IS NULL))
);

CREATE INDEX registrations_listing ON registrations (register, hospital, status, event_date);
CREATE INDEX registrations_creation ON registrations (register, seq);
CREATE INDEX registrations_person ON registrations (person_lookup_key)
    WHERE person_lookup_key IS NOT NULL;

CREATE TABLE registration_versions (
    registration_id uuid NOT NULL REFERENCES registrations (id),
    version         bigint NOT NULL CHECK (version >= 1),
    status          text NOT NULL CHECK (status IN ('draft', 'complete', 'locked')),
    hospital        text NOT NULL REFERENCES hospitals (code),
    data            jsonb NOT NULL,
    warnings        jsonb NOT NULL,
    changes         jsonb, -- NULL for version 1: every field of the version, computed when read
    changed_by      text NOT NULL,
    changed_at      timestamptz NOT NULL,
    reason          text,
    PRIMARY KEY (registration_id, version),
    CHECK ((changes IS NULL) = (version = 1))
);

-- Writers take a transaction-scoped advisory lock just before they insert here, so numbers
-- become visible in order (see the postgres module of kvalreg-store).
CREATE TABLE changes (
    seq             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    registration_id uuid NOT NULL REFERENCES registrations (id),
    register        text NOT NULL,
    version         bigint NOT NULL
);
