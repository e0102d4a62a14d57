//! Where registrations live: every version kept, the current one cheap to read, a change
//! sequence other processes follow, and hospitals as reference data. Two implementations
//! (SQLite, PostgreSQL) behind one trait and one conformance suite. The store knows nothing
//! of a register's variables: documents are JSON objects validated before they get here.
//! Every write leaves an entry in a hash-chained audit log in the transaction that stores
//! it, and a person's reservation (opt-out) deletes their registrations in a register.

mod access;
mod audit;
mod connect;
mod diff;
mod group;
mod import;
mod insight;
mod postgres;
mod query;
mod record;
mod research;
mod sqlite;
mod users;

use std::collections::BTreeSet;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use uuid::Uuid;

pub use access::{AccessChange, Account, ApiToken, Lockout, Session};
pub use audit::{AuditEntry, AuditFilter, AuditProblem, AuditRecord, AuditReport, GENESIS};
pub use connect::connect;
pub use import::Import;
pub use insight::{CodeAttempt, InsightCode, PATIENT_ACTOR, PatientSession, Redemption, Reservation};
pub use postgres::PostgresStore;
pub use research::{DateHandling, ResearchProject};
pub use sqlite::SqliteStore;
pub use users::{Grant, Role, User};

/// Which hospitals a read may see. Every read takes one, so no query can forget the
/// hospital filter (architecture.md §10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    AllHospitals,
    Hospitals(BTreeSet<String>),
}

impl Scope {
    /// Whether this scope may see or write registrations of `hospital`.
    pub fn allows(&self, hospital: &str) -> bool {
        match self {
            Scope::AllHospitals => true,
            Scope::Hospitals(codes) => codes.contains(hospital),
        }
    }
}

/// Where a registration is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Draft,
    Complete,
    Locked,
}

/// The national id as the store keeps it: never in clear text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectedPerson {
    /// HMAC-SHA-256 look-up key, hex.
    pub lookup_key: String,
    /// AES-256-GCM nonce + ciphertext.
    pub ciphertext: Vec<u8>,
}

/// A registration as it is now.
#[derive(Debug, Clone, PartialEq)]
pub struct Registration {
    pub id: Uuid,
    pub register: String,
    pub hospital: String,
    pub status: Status,
    pub version: i64,
    /// The values, by canonical variable name, without the national id.
    pub data: Map<String, Json>,
    /// Soft warnings stored with this version.
    pub warnings: Vec<Json>,
    pub person: Option<ProtectedPerson>,
    /// The day that places the registration in a period (e.g. arrival date), if known.
    pub event_date: Option<jiff::civil::Date>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub updated_by: String,
}

/// What a caller writes: a new registration, or the next version of one.
#[derive(Debug, Clone, PartialEq)]
pub struct Write {
    pub register: String,
    pub hospital: String,
    pub status: Status,
    pub data: Map<String, Json>,
    pub warnings: Vec<Json>,
    pub person: Option<ProtectedPerson>,
    pub event_date: Option<jiff::civil::Date>,
    /// Who writes (user name or system).
    pub actor: String,
    /// Why, where the workflow asks for it (reopening).
    pub reason: Option<String>,
}

/// One changed field between two versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<Json>,
    pub after: Option<Json>,
}

/// One kept version of a registration.
#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    pub registration_id: Uuid,
    pub version: i64,
    pub status: Status,
    pub hospital: String,
    pub data: Map<String, Json>,
    pub warnings: Vec<Json>,
    /// Fields that differ from the previous version (all fields for version 1); includes
    /// `status` and `hospital` when they changed.
    pub changes: Vec<FieldChange>,
    pub changed_by: String,
    pub changed_at: Timestamp,
    pub reason: Option<String>,
}

/// Filters for listing current registrations. `event_from`/`event_to` are inclusive.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub register: String,
    pub hospital: Option<String>,
    pub status: Option<Status>,
    pub event_from: Option<jiff::civil::Date>,
    pub event_to: Option<jiff::civil::Date>,
    /// Keyset cursor: only registrations created after this one (in creation order). A cursor
    /// the scope cannot see gives an empty page.
    pub after: Option<Uuid>,
    /// At most this many registrations; 0 means no limit.
    pub limit: u32,
}

/// One entry of the change sequence: a registration got a new version, or was deleted
/// (version 0: a reservation removed it with all its versions).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub seq: i64,
    pub registration_id: Uuid,
    pub register: String,
    pub version: i64,
}

/// A registering unit: a hospital, or another kind of unit (general practice, competence centre).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hospital {
    pub code: String,
    pub name: String,
    pub health_trust: String,
    pub health_region: String,
    pub evt_centre: bool,
    pub active: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("registration {0} not found")]
    NotFound(Uuid),
    #[error("registration {id} is at version {current}, not {expected}: reload and apply your change again")]
    Conflict { id: Uuid, expected: i64, current: i64 },
    #[error("hospital {0} is not in the hospital list")]
    UnknownHospital(String),
    #[error("hospital {0} is outside the hospitals this user may write for")]
    OutOfScope(String),
    #[error("unusable database URL: {0}")]
    InvalidUrl(String),
    #[error("cannot open {target}: {source}")]
    Open {
        /// The file or server, never with a password.
        target: String,
        source: sqlx::Error,
    },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("the person has reserved themselves against register {register} (write {index} of the batch)")]
    Reserved { register: String, index: usize },
    #[error("there is already a user called {0}")]
    UserExists(String),
    #[error("there is no user called {0}")]
    UnknownUser(String),
    #[error("there is already an API token called {0}")]
    TokenExists(String),
    #[error("there is no API token called {0}")]
    UnknownToken(String),
    #[error("there is already a research project called {0}")]
    ProjectExists(String),
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    #[error("the write was interrupted before its transaction ended; it may not have been stored")]
    Interrupted,
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The store. Every write is one transaction from its caller's point of view: a refused write
/// changes nothing, and a write is acknowledged only once it is durable. Concurrent
/// registration writes share transactions (group commit, see `group.rs`), each checked on
/// its own.
#[async_trait::async_trait]
pub trait Store: Send + Sync {
    /// Creates one registration at version 1. The hospital must be in the hospital list
    /// (otherwise UnknownHospital) and the person must not have a reservation against the
    /// register (otherwise Reserved); the caller checks the user's scope before. Every write
    /// appends its audit entries in the transaction that stores it (`registration.create`,
    /// `registration.import` — one per registration — and `registration.update`).
    async fn create(&self, write: Write) -> Result<Registration>;
    /// Creates many registrations in one transaction: all or nothing (the demo data, tests).
    /// A Reserved error gives the index of the refused write.
    async fn create_many(&self, writes: Vec<Write>) -> Result<usize> {
        let mut import = self.begin_import().await?;
        import.add(writes).await?;
        import.commit().await
    }
    /// Reads the current version, if the scope may see it (otherwise NotFound).
    async fn get(&self, scope: &Scope, id: Uuid) -> Result<Registration>;
    /// Writes the next version if `expected_version` is the current one (otherwise Conflict).
    /// The registration must be in scope and of `write.register` (otherwise NotFound), and
    /// the scope must allow the hospital it is written for (otherwise OutOfScope).
    async fn update(&self, scope: &Scope, id: Uuid, expected_version: i64, write: Write) -> Result<Registration>;
    /// Current registrations matching the filter, in creation order.
    async fn list(&self, scope: &Scope, filter: &Filter) -> Result<Vec<Registration>>;
    /// How many current registrations match the filter (cursor and limit ignored).
    async fn count(&self, scope: &Scope, filter: &Filter) -> Result<u64>;
    /// Current registrations of one person (by the HMAC look-up key) in a register that the
    /// scope may see, in creation order: the candidates for a duplicate registration.
    async fn find_by_person(&self, scope: &Scope, register: &str, lookup_key: &str) -> Result<Vec<Registration>>;
    /// Every version of one registration, oldest first.
    async fn history(&self, scope: &Scope, id: Uuid) -> Result<Vec<Version>>;
    /// Changes with sequence number greater than `after`, oldest first, at most `limit`
    /// (0 means no limit). Numbers may have gaps but become visible in order, so a follower
    /// keeps the last number it saw and asks again from there.
    async fn changes_since(&self, after: i64, limit: u32) -> Result<Vec<Change>>;
    /// Inserts or updates hospitals by code.
    async fn upsert_hospitals(&self, hospitals: &[Hospital]) -> Result<()>;
    /// All hospitals, ordered by code.
    async fn hospitals(&self) -> Result<Vec<Hospital>>;
    /// Appends an event that is not a write (a read of identifiable data, an export, a
    /// sign-in, a permission change) to the audit log; returns its number.
    async fn audit(&self, entry: AuditEntry) -> Result<i64>;
    /// Audit entries matching the filter, oldest first.
    async fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>>;
    /// Checks the whole audit chain and names the first altered, removed or reordered entry.
    async fn verify_audit(&self) -> Result<AuditReport>;
    /// Records a person's reservation against `register` and deletes every registration of
    /// theirs there with all its versions; the change sequence keeps only deletion markers
    /// and the audit entry (`reservation.add`) names neither the person nor the key. Returns
    /// how many registrations were deleted. Recording an existing reservation again deletes
    /// nothing more and is audited as well.
    async fn reserve(&self, register: &str, lookup_key: &str, actor: &str) -> Result<u64>;
    /// Withdraws a reservation (audited as `reservation.withdraw`); false if there was none.
    async fn withdraw_reservation(&self, register: &str, lookup_key: &str, actor: &str) -> Result<bool>;
    /// Adds an active user with the given grants (audited as `user.add` with the grants).
    /// The caller has checked the grants' scopes and hashed the password; a hospital must
    /// be in the hospital list (otherwise UnknownHospital).
    async fn add_user(&self, name: &str, password_hash: &str, grants: &[Grant], actor: &str) -> Result<()>;
    /// Every user with their grants, ordered by name.
    async fn users(&self) -> Result<Vec<User>>;
    /// Enables or disables a user (audited as `user.enable` / `user.disable`).
    async fn set_user_active(&self, name: &str, active: bool, actor: &str) -> Result<()>;
    /// The account sign-in checks, by user name.
    async fn account(&self, name: &str) -> Result<Option<Account>>;
    /// The session whose cookie hashes to `id_hash`.
    async fn session(&self, id_hash: &str) -> Result<Option<Session>>;
    /// The API token whose SHA-256 is `token_hash`, revoked or not.
    async fn token(&self, token_hash: &str) -> Result<Option<ApiToken>>;
    /// Every API token, ordered by name.
    async fn tokens(&self) -> Result<Vec<ApiToken>>;
    /// Applies a change to sign-in state, sessions or tokens with its audit entry in one
    /// transaction; returns how many rows it changed (sessions ended, a failure counted).
    async fn change_access(&self, change: AccessChange, actor: &str) -> Result<u64>;
    /// Adds a research project (audited as `research.project_add`, never with its key). The
    /// researcher must be a user (otherwise UnknownUser) and the id new (otherwise
    /// ProjectExists); the caller has checked the register and variables and sealed the key.
    async fn add_research_project(&self, project: &ResearchProject, actor: &str) -> Result<()>;
    /// Every research project, ordered by id.
    async fn research_projects(&self) -> Result<Vec<ResearchProject>>;
    /// The research project called `id`, if there is one.
    async fn research_project(&self, id: &str) -> Result<Option<ResearchProject>>;
    /// Stores a one-time insight access code, only its hash (audited as `insight.code_issue`
    /// with register and expiry, never the person or the code), and removes every code that
    /// expired before this one was issued.
    async fn add_insight_code(&self, code: &InsightCode, actor: &str) -> Result<()>;
    /// Tries a person's look-up key with a code in one transaction: the right unspent,
    /// unexpired and unblocked pair spends the code and stores the attempt's session; a
    /// wrong pair counts against the person's unspent codes and the code given, which block
    /// at `lock_after`. Audited as `insight.code_use` or `insight.code_failed` (with the
    /// reason), with the actor `patient`.
    async fn redeem_insight_code(&self, attempt: &CodeAttempt) -> Result<Redemption>;
    /// The patient session whose cookie hashes to `id_hash`.
    async fn patient_session(&self, id_hash: &str) -> Result<Option<PatientSession>>;
    /// A patient session was used: its idle clock starts again (not audited).
    async fn touch_patient_session(&self, id_hash: &str, seen_us: i64) -> Result<()>;
    /// Removes a patient session (signed out or idle; not audited).
    async fn end_patient_session(&self, id_hash: &str) -> Result<()>;
    /// The person's reservations, by register.
    async fn reservations_of(&self, lookup_key: &str) -> Result<Vec<Reservation>>;
    /// Begins an all-or-nothing import fed a chunk at a time (see [`Import`]). On SQLite it
    /// holds the write lock until it commits or is dropped; on PostgreSQL other writers wait
    /// only for its commit.
    async fn begin_import(&self) -> Result<Box<dyn Import>>;
}
