-- The audit log (a hash chain, see the audit module of kvalreg-store), reservations (opt-out)
-- and a change sequence that may outlive a deleted registration (PostgreSQL).

-- seq is given by the writer under the advisory lock (no identity column), so the chain has
-- no gaps and a removed entry shows as a missing number.
CREATE TABLE audit (
    seq             bigint PRIMARY KEY,
    at              timestamptz NOT NULL,
    actor           text NOT NULL,
    action          text NOT NULL,
    register        text,
    registration_id uuid,
    hospital        text,
    detail          text NOT NULL, -- canonical JSON text, hashed byte for byte (cast to jsonb to query)
    prev_hash       text NOT NULL,
    hash            text NOT NULL
);

CREATE INDEX audit_registration ON audit (registration_id) WHERE registration_id IS NOT NULL;
CREATE INDEX audit_actor ON audit (actor, seq);

CREATE TABLE reservations (
    register   text NOT NULL,
    lookup_key text NOT NULL,
    at         timestamptz NOT NULL,
    PRIMARY KEY (register, lookup_key)
);

-- Deleting a reserved person's registrations leaves a deletion marker (version 0) in the
-- change sequence, so its entries no longer reference registrations.
ALTER TABLE changes DROP CONSTRAINT changes_registration_id_fkey;
