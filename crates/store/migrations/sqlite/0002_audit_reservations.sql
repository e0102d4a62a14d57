-- The audit log (a hash chain, see the audit module of kvalreg-store), reservations (opt-out)
-- and a change sequence that may outlive a deleted registration (SQLite).

CREATE TABLE audit (
    seq             INTEGER PRIMARY KEY,
    at              TEXT NOT NULL,
    actor           TEXT NOT NULL,
    action          TEXT NOT NULL,
    register        TEXT,
    registration_id TEXT,
    hospital        TEXT,
    detail          TEXT NOT NULL, -- canonical JSON text, hashed byte for byte
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL
) STRICT;

CREATE INDEX audit_registration ON audit (registration_id) WHERE registration_id IS NOT NULL;
CREATE INDEX audit_actor ON audit (actor, seq);

CREATE TABLE reservations (
    register   TEXT NOT NULL,
    lookup_key TEXT NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (register, lookup_key)
) STRICT;

-- Deleting a reserved person's registrations leaves a deletion marker (version 0) in the
-- change sequence, so its entries no longer reference registrations.
CREATE TABLE changes_kept (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    registration_id TEXT NOT NULL,
    register        TEXT NOT NULL,
    version         INTEGER NOT NULL
) STRICT;
INSERT INTO changes_kept (seq, registration_id, register, version)
    SELECT seq, registration_id, register, version FROM changes;
DROP TABLE changes;
ALTER TABLE changes_kept RENAME TO changes;
