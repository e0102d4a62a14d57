//! The production store: PostgreSQL, shared by several `kvalreg serve` processes.
//!
//! # Following the change sequence
//!
//! A plain identity column can commit out of order: transaction A takes number 7, B takes 8
//! and commits first, a follower reads 8, moves its cursor past 7 and never sees A's change.
//! So every write takes a transaction-scoped advisory lock ([`CHANGES_LOCK`]) just before it
//! inserts into `changes`, and holds it until it commits. Numbers are therefore taken and
//! made visible in one order: whoever can see number n can see every lower number that will
//! ever commit. A follower needs nothing more than to remember the last number it saw and
//! call `changes_since(last, limit)` again; numbers may have gaps (a rolled-back write uses
//! up its number), and a gap never fills later.
//!
//! The same lock orders the audit chain (entries are numbered and linked while it is held)
//! and reservations: a write checks for a reservation only once it holds the lock, and
//! `reserve` takes it before it looks for the person's registrations, so a registration of
//! a reserved person can neither slip in beside a reservation nor survive it.
//!
//! Registration writes are committed in batches (group commit, see the group module): a
//! batch takes the lock first, then reads what its checks need (hospitals, reservations, the
//! current rows of what it updates), so the checks hold until it commits; other processes'
//! writers wait for one batch, not for each write. An import writes its registrations and
//! versions without the lock and takes it only to append its change entries and audit
//! entries just before it commits (about a second per 100,000 rows).
//!
//! Ids, dates and timestamps cross the wire as text (`::uuid`, `::date`, `::timestamptz`
//! casts one way, `::text`/`to_char` the other) so the rows read like SQLite's.

use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder, SqlSafeStr, Transaction};
use uuid::Uuid;

use crate::access::access_entry;
use crate::audit::{AuditRow, VERIFY_PAGE, Verifier, chain, registration_entry, reservation_entry, write_entry};
use crate::group::{BatchWriter, Facts, GroupCommit, Job, decide, hospitals_named, people_named, updated_ids};
use crate::import::{Import, ImportLog};
use crate::insight::{attempt_entry, issue_entry};
use crate::query::{Dialect, push_filter, push_page, push_scope};
use crate::record::{
    ChangeEntry, ChangeRow, HospitalRow, Pending, RegistrationRow, VersionRow, first_versions, hospitals_of, now,
    timestamp_text,
};
use crate::research::project_entry;
use crate::users::{UserRow, grants_entry, users_of};
use crate::{
    AccessChange, Account, ApiToken, AuditEntry, AuditFilter, AuditRecord, AuditReport, Change, CodeAttempt, Filter,
    Grant, Hospital, InsightCode, PatientSession, Redemption, Registration, ResearchProject, Reservation, Result,
    Scope, Session, Store, StoreError, User, Version, Write,
};

/// The advisory lock key writers hold from their change insert to their commit
/// ("kvalreg" in ASCII). Advisory locks are per database, so databases never share it.
pub const CHANGES_LOCK: i64 = 0x006b_7661_6c72_6567;

/// The access statements on this backend's connections.
mod access_sql {
    crate::access::access_statements!(sqlx::PgConnection, "$1::uuid");
}

/// The insight code and patient session statements on this backend's connections.
mod insight_sql {
    crate::insight::insight_statements!(
        sqlx::PgConnection,
        "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    );
}

/// The research project statements on this backend's connections.
mod research_sql {
    crate::research::research_statements!(sqlx::PgConnection);
}

const DIALECT: Dialect = Dialect {
    date: "::date",
    uuid: "::uuid",
};

const COLUMNS: &str = "id::text AS id, register, hospital, status, version, data, warnings, person_lookup_key, \
     person_ciphertext, to_char(event_date, 'YYYY-MM-DD') AS event_date, \
     to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS created_at, \
     to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS updated_at, updated_by";

const VERSION_COLUMNS: &str = "registration_id::text AS registration_id, version, status, hospital, data, warnings, \
     changes, changed_by, to_char(changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS changed_at, reason";

/// Rows per INSERT ... SELECT FROM UNNEST(arrays): one statement and one parameter per
/// column, whatever the number of rows; the chunk only bounds the size of one message.
const BATCH: usize = 5000;

/// How long a request waits for a connection (and start-up for the server) before failing.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// Registrations in a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// Registration writes waiting for the next transaction (see the group module).
    group: Arc<GroupCommit>,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user:password@host:port/database`) and brings the
    /// schema up to date; processes starting together migrate one at a time.
    pub async fn connect(url: &str) -> Result<Self> {
        let options = PgConnectOptions::from_str(url).map_err(|e| StoreError::InvalidUrl(e.to_string()))?;
        let target = format!(
            "PostgreSQL database {:?} on {}:{} as {:?}",
            options.get_database().unwrap_or(options.get_username()),
            options.get_host(),
            options.get_port(),
            options.get_username()
        );
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open { target, source })?;
        migrator().run(&pool).await?;
        Ok(PostgresStore {
            pool,
            group: Arc::default(),
        })
    }

    /// The connection pool, for operations outside the `Store` trait (backup, checks).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>> {
        Ok(self.pool.begin().await?)
    }
}

fn migrator() -> Migrator {
    Migrator::with_migrations(vec![
        Migration::new(
            1,
            "registrations".into(),
            MigrationType::Simple,
            include_str!("../migrations/postgres/0001_registrations.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            2,
            "audit reservations".into(),
            MigrationType::Simple,
            include_str!("../migrations/postgres/0002_audit_reservations.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            3,
            "users".into(),
            MigrationType::Simple,
            include_str!("../migrations/postgres/0003_users.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            4,
            "access".into(),
            MigrationType::Simple,
            include_str!("../migrations/postgres/0004_access.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            5,
            "research".into(),
            MigrationType::Simple,
            include_str!("../migrations/postgres/0005_research.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            6,
            "insight codes".into(),
            MigrationType::Simple,
            include_str!("../migrations/postgres/0006_insight_codes.sql").into_sql_str(),
            false,
        ),
    ])
}

const AUDIT_COLUMNS: &str = "seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS at, actor, \
     action, register, registration_id::text AS registration_id, hospital, detail, prev_hash, hash";

async fn take_lock(conn: &mut PgConnection) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(CHANGES_LOCK)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Takes [`CHANGES_LOCK`] (again, if the transaction holds it already) and appends entries
/// to the audit chain. Returns the number of the last entry.
async fn append_audit(conn: &mut PgConnection, entries: Vec<AuditEntry>) -> Result<i64> {
    take_lock(conn).await?;
    let head: Option<(i64, String)> = sqlx::query_as("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?;
    let mut last = head.as_ref().map_or(0, |(seq, _)| *seq);
    let records = chain(head, entries);
    for chunk in records.chunks(BATCH) {
        sqlx::query(
            "INSERT INTO audit (seq, at, actor, action, register, registration_id, hospital, detail, prev_hash, hash) \
             SELECT seq, at::timestamptz, actor, action, register, registration_id::uuid, hospital, detail, prev_hash, hash \
             FROM UNNEST($1::int8[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], \
             $8::text[], $9::text[], $10::text[]) \
             AS u(seq, at, actor, action, register, registration_id, hospital, detail, prev_hash, hash)",
        )
        .bind(chunk.iter().map(|r| r.seq).collect::<Vec<_>>())
        .bind(chunk.iter().map(|r| timestamp_text(r.at)).collect::<Vec<_>>())
        .bind(chunk.iter().map(|r| r.actor.as_str()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|r| r.action.as_str()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|r| r.register.as_deref()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|r| r.registration_id.map(|id| id.hyphenated().to_string())).collect::<Vec<_>>())
        .bind(chunk.iter().map(|r| r.hospital.as_deref()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|r| r.detail.as_str()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|r| r.prev_hash.as_str()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|r| r.hash.as_str()).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await?;
        last = chunk.last().map_or(last, |r| r.seq);
    }
    Ok(last)
}

/// Refuses the first hospital code that is not in the hospital list.
async fn ensure_hospitals(conn: &mut PgConnection, codes: BTreeSet<&str>) -> Result<()> {
    let known = known_hospitals(conn, &codes).await?;
    match codes.into_iter().find(|code| !known.contains(*code)) {
        Some(missing) => Err(StoreError::UnknownHospital(missing.to_owned())),
        None => Ok(()),
    }
}

/// The codes among `codes` that are in the hospital list.
async fn known_hospitals(conn: &mut PgConnection, codes: &BTreeSet<&str>) -> Result<BTreeSet<String>> {
    let codes: Vec<&str> = codes.iter().copied().collect();
    Ok(sqlx::query_scalar("SELECT code FROM hospitals WHERE code = ANY($1)")
        .bind(&codes)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .collect())
}

/// The (register, look-up key) pairs among `people` that have a reservation. Call it while
/// holding [`CHANGES_LOCK`].
async fn reserved_people(conn: &mut PgConnection, people: &[(&str, &str)]) -> Result<BTreeSet<(String, String)>> {
    if people.is_empty() {
        return Ok(BTreeSet::new());
    }
    let registers: Vec<&str> = people.iter().map(|p| p.0).collect();
    let keys: Vec<&str> = people.iter().map(|p| p.1).collect();
    Ok(sqlx::query_as(
        "SELECT r.register, r.lookup_key FROM UNNEST($1::text[], $2::text[]) AS u(register, lookup_key) \
         JOIN reservations r ON r.register = u.register AND r.lookup_key = u.lookup_key",
    )
    .bind(&registers)
    .bind(&keys)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .collect())
}

/// The current rows of the registrations `ids` (any hospital), by id, locked for update.
async fn current_rows(conn: &mut PgConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, Registration>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    let rows: Vec<RegistrationRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM registrations WHERE id = ANY($1::text[]::uuid[]) ORDER BY id FOR UPDATE"
    )))
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|row| row.into_registration().map(|r| (r.id, r)))
        .collect()
}

/// Inserts the current rows of new registrations, in creation order.
async fn insert_new(conn: &mut PgConnection, chunk: &[&Pending]) -> Result<()> {
    sqlx::query(
        "INSERT INTO registrations (id, register, hospital, status, version, data, warnings, \
             person_lookup_key, person_ciphertext, event_date, created_at, updated_at, updated_by) \
             SELECT id::uuid, register, hospital, status, version, data, warnings, person_lookup_key, \
             person_ciphertext, event_date::date, created_at::timestamptz, updated_at::timestamptz, updated_by \
             FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::jsonb[], $7::jsonb[], \
             $8::text[], $9::bytea[], $10::text[], $11::text[], $12::text[], $13::text[]) WITH ORDINALITY \
             AS u(id, register, hospital, status, version, data, warnings, person_lookup_key, person_ciphertext, \
             event_date, created_at, updated_at, updated_by, n) ORDER BY n",
    )
    .bind(chunk.iter().map(|p| p.id_text()).collect::<Vec<_>>())
    .bind(chunk.iter().map(|p| p.write.register.as_str()).collect::<Vec<_>>())
    .bind(chunk.iter().map(|p| p.write.hospital.as_str()).collect::<Vec<_>>())
    .bind(chunk.iter().map(|p| p.status_text()).collect::<Vec<_>>())
    .bind(chunk.iter().map(|p| p.version).collect::<Vec<_>>())
    .bind(chunk.iter().map(|p| p.data()).collect::<Vec<_>>())
    .bind(chunk.iter().map(|p| p.warnings()).collect::<Vec<_>>())
    .bind(chunk.iter().map(|p| p.lookup_key()).collect::<Vec<_>>())
    .bind(chunk.iter().map(|p| p.ciphertext()).collect::<Vec<_>>())
    .bind(chunk.iter().map(|p| p.event_date_text()).collect::<Vec<_>>())
    .bind(chunk.iter().map(|p| p.created_at_text()).collect::<Vec<_>>())
    .bind(chunk.iter().map(|p| p.at_text()).collect::<Vec<_>>())
    .bind(chunk.iter().map(|p| p.write.actor.as_str()).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Inserts version rows.
async fn insert_versions(conn: &mut PgConnection, chunk: &[&Pending]) -> Result<()> {
    sqlx::query(
        "INSERT INTO registration_versions (registration_id, version, status, hospital, data, warnings, \
             changes, changed_by, changed_at, reason) \
             SELECT registration_id::uuid, version, status, hospital, data, warnings, changes, changed_by, \
             changed_at::timestamptz, reason \
             FROM UNNEST($1::text[], $2::int8[], $3::text[], $4::text[], $5::jsonb[], $6::jsonb[], $7::jsonb[], \
             $8::text[], $9::text[], $10::text[]) \
             AS u(registration_id, version, status, hospital, data, warnings, changes, changed_by, changed_at, reason)",
    )
    .bind(chunk.iter().map(|p| p.id_text()).collect::<Vec<_>>())
    .bind(chunk.iter().map(|p| p.version).collect::<Vec<_>>())
    .bind(chunk.iter().map(|p| p.status_text()).collect::<Vec<_>>())
    .bind(chunk.iter().map(|p| p.write.hospital.as_str()).collect::<Vec<_>>())
    .bind(chunk.iter().map(|p| p.data()).collect::<Vec<_>>())
    .bind(chunk.iter().map(|p| p.warnings()).collect::<Vec<_>>())
    .bind(chunk.iter().map(|p| p.changes()).collect::<Vec<_>>())
    .bind(chunk.iter().map(|p| p.write.actor.as_str()).collect::<Vec<_>>())
    .bind(chunk.iter().map(|p| p.at_text()).collect::<Vec<_>>())
    .bind(chunk.iter().map(|p| p.write.reason.as_deref()).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Takes [`CHANGES_LOCK`], held until the transaction ends, then appends the change entries.
async fn insert_changes(conn: &mut PgConnection, entries: &[ChangeEntry]) -> Result<()> {
    take_lock(conn).await?;
    for chunk in entries.chunks(BATCH) {
        sqlx::query(
            "INSERT INTO changes (registration_id, register, version) \
             SELECT registration_id::uuid, register, version FROM UNNEST($1::text[], $2::text[], $3::int8[]) \
             WITH ORDINALITY AS u(registration_id, register, version, n) ORDER BY n",
        )
        .bind(chunk.iter().map(|e| e.id.as_str()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|e| e.register.as_str()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|e| e.version).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The current row, if in scope; `lock` takes the row lock a write needs.
async fn current(conn: &mut PgConnection, scope: &Scope, id: Uuid, lock: bool) -> Result<Registration> {
    let mut qb = QueryBuilder::<Postgres>::new(format!("SELECT {COLUMNS} FROM registrations WHERE id = "));
    qb.push_bind(id.to_string()).push("::uuid");
    push_scope(&mut qb, "hospital", scope);
    if lock {
        qb.push(" FOR UPDATE");
    }
    match qb
        .build_query_as::<RegistrationRow>()
        .fetch_optional(&mut *conn)
        .await?
    {
        Some(row) => row.into_registration(),
        None => Err(StoreError::NotFound(id)),
    }
}

/// Replaces the current row with the next version `pending` (whose previous version the
/// batch has checked under the row lock).
async fn update_current(conn: &mut PgConnection, pending: &Pending) -> Result<()> {
    let updated = sqlx::query(
        "UPDATE registrations SET hospital = $1, status = $2, version = $3, data = $4, warnings = $5, \
         person_lookup_key = $6, person_ciphertext = $7, event_date = $8::date, updated_at = $9::timestamptz, \
         updated_by = $10 WHERE id = $11::uuid AND version = $12",
    )
    .bind(&pending.write.hospital)
    .bind(pending.status_text())
    .bind(pending.version)
    .bind(pending.data())
    .bind(pending.warnings())
    .bind(pending.lookup_key())
    .bind(pending.ciphertext())
    .bind(pending.event_date_text())
    .bind(pending.at_text())
    .bind(&pending.write.actor)
    .bind(pending.id_text())
    .bind(pending.version - 1)
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() != 1 {
        return Err(StoreError::Conflict {
            id: pending.id,
            expected: pending.version - 1,
            current: current(conn, &Scope::AllHospitals, pending.id, false).await?.version,
        });
    }
    Ok(())
}

#[async_trait::async_trait]
impl BatchWriter for PostgresStore {
    /// Takes [`CHANGES_LOCK`] first, so the checks hold until the commit: reservations and
    /// other processes' writes wait for the batch, not the other way round.
    async fn commit_batch(&self, jobs: &[Job]) -> Result<Vec<Result<Registration>>> {
        let mut tx = self.begin_write().await?;
        take_lock(&mut tx).await?;
        let facts = Facts {
            hospitals: known_hospitals(&mut tx, &hospitals_named(jobs)).await?,
            reserved: reserved_people(&mut tx, &people_named(jobs)).await?,
            current: current_rows(&mut tx, &updated_ids(jobs)).await?,
        };
        let decided = decide(jobs, facts, now());
        let accepted: Vec<&Pending> = decided.iter().filter_map(|d| d.as_ref().ok()).collect();
        let new: Vec<&Pending> = accepted.iter().copied().filter(|p| p.is_new()).collect();
        if !new.is_empty() {
            insert_new(&mut tx, &new).await?;
        }
        for pending in accepted.iter().filter(|p| !p.is_new()) {
            update_current(&mut tx, pending).await?;
        }
        if !accepted.is_empty() {
            insert_versions(&mut tx, &accepted).await?;
            let entries: Vec<ChangeEntry> = accepted.iter().map(|p| ChangeEntry::from(*p)).collect();
            insert_changes(&mut tx, &entries).await?;
            let audit = accepted
                .iter()
                .map(|p| write_entry(p, p.audit_action("registration.create")))
                .collect();
            append_audit(&mut tx, audit).await?;
        }
        tx.commit().await?;
        Ok(decided.into_iter().map(|d| d.map(Pending::into_registration)).collect())
    }
}

#[async_trait::async_trait]
impl Store for PostgresStore {
    async fn create(&self, write: Write) -> Result<Registration> {
        self.group.submit(Job::Create(write), self.clone()).await
    }

    async fn get(&self, scope: &Scope, id: Uuid) -> Result<Registration> {
        let mut conn = self.pool.acquire().await?;
        current(&mut conn, scope, id, false).await
    }

    async fn update(&self, scope: &Scope, id: Uuid, expected_version: i64, write: Write) -> Result<Registration> {
        let job = Job::Update {
            scope: scope.clone(),
            id,
            expected_version,
            write,
        };
        self.group.submit(job, self.clone()).await
    }

    async fn list(&self, scope: &Scope, filter: &Filter) -> Result<Vec<Registration>> {
        let mut qb = QueryBuilder::<Postgres>::new(format!("SELECT {COLUMNS} FROM registrations"));
        push_filter(&mut qb, DIALECT, scope, filter);
        push_page(&mut qb, DIALECT, scope, filter);
        let rows = qb.build_query_as::<RegistrationRow>().fetch_all(&self.pool).await?;
        rows.into_iter().map(RegistrationRow::into_registration).collect()
    }

    async fn count(&self, scope: &Scope, filter: &Filter) -> Result<u64> {
        let mut qb = QueryBuilder::<Postgres>::new("SELECT COUNT(*) FROM registrations");
        push_filter(&mut qb, DIALECT, scope, filter);
        let n: i64 = qb.build_query_scalar().fetch_one(&self.pool).await?;
        u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("negative count {n}")))
    }

    async fn find_by_person(&self, scope: &Scope, register: &str, lookup_key: &str) -> Result<Vec<Registration>> {
        let mut qb = QueryBuilder::<Postgres>::new(format!("SELECT {COLUMNS} FROM registrations WHERE register = "));
        qb.push_bind(register.to_owned());
        qb.push(" AND person_lookup_key = ").push_bind(lookup_key.to_owned());
        push_scope(&mut qb, "hospital", scope);
        qb.push(" ORDER BY seq");
        let rows = qb.build_query_as::<RegistrationRow>().fetch_all(&self.pool).await?;
        rows.into_iter().map(RegistrationRow::into_registration).collect()
    }

    async fn history(&self, scope: &Scope, id: Uuid) -> Result<Vec<Version>> {
        let mut qb = QueryBuilder::<Postgres>::new(format!(
            "SELECT {VERSION_COLUMNS} FROM registration_versions WHERE registration_id = "
        ));
        qb.push_bind(id.to_string()).push("::uuid");
        qb.push(" AND EXISTS (SELECT 1 FROM registrations r WHERE r.id = registration_versions.registration_id");
        push_scope(&mut qb, "r.hospital", scope);
        qb.push(") ORDER BY version");
        let rows = qb.build_query_as::<VersionRow>().fetch_all(&self.pool).await?;
        if rows.is_empty() {
            return Err(StoreError::NotFound(id));
        }
        rows.into_iter().map(VersionRow::into_version).collect()
    }

    async fn changes_since(&self, after: i64, limit: u32) -> Result<Vec<Change>> {
        let limit = (limit > 0).then(|| i64::from(limit));
        let rows: Vec<ChangeRow> = sqlx::query_as(
            "SELECT seq, registration_id::text AS registration_id, register, version FROM changes \
             WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(ChangeRow::into_change).collect()
    }

    async fn upsert_hospitals(&self, hospitals: &[Hospital]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for h in hospitals {
            sqlx::query(
                "INSERT INTO hospitals (code, name, health_trust, health_region, evt_centre, active) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
                 health_trust = excluded.health_trust, health_region = excluded.health_region, \
                 evt_centre = excluded.evt_centre, active = excluded.active",
            )
            .bind(&h.code)
            .bind(&h.name)
            .bind(&h.health_trust)
            .bind(&h.health_region)
            .bind(h.evt_centre)
            .bind(h.active)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn hospitals(&self) -> Result<Vec<Hospital>> {
        let rows: Vec<HospitalRow> = sqlx::query_as(
            "SELECT code, name, health_trust, health_region, evt_centre, active FROM hospitals ORDER BY code",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Hospital::from).collect())
    }

    async fn audit(&self, entry: AuditEntry) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let seq = append_audit(&mut tx, vec![entry]).await?;
        tx.commit().await?;
        Ok(seq)
    }

    async fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>> {
        let mut qb = QueryBuilder::<Postgres>::new(format!("SELECT {AUDIT_COLUMNS} FROM audit"));
        crate::audit::push_filter(&mut qb, filter, "::uuid");
        let rows = qb.build_query_as::<AuditRow>().fetch_all(&self.pool).await?;
        rows.into_iter().map(AuditRow::into_record).collect()
    }

    async fn verify_audit(&self) -> Result<AuditReport> {
        let mut verifier = Verifier::new();
        let mut after = i64::MIN;
        loop {
            let mut qb = QueryBuilder::<Postgres>::new(format!("SELECT {AUDIT_COLUMNS} FROM audit WHERE seq > "));
            qb.push_bind(after).push(" ORDER BY seq LIMIT ").push_bind(VERIFY_PAGE);
            let rows = qb.build_query_as::<AuditRow>().fetch_all(&self.pool).await?;
            let Some(last) = rows.last().map(AuditRow::seq) else {
                break;
            };
            for row in rows {
                verifier.feed(&row.into_record()?);
            }
            after = last;
        }
        Ok(verifier.report())
    }

    async fn reserve(&self, register: &str, lookup_key: &str, actor: &str) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        take_lock(&mut tx).await?;
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id::text FROM registrations WHERE register = $1 AND person_lookup_key = $2 ORDER BY seq FOR UPDATE",
        )
        .bind(register)
        .bind(lookup_key)
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM registration_versions WHERE registration_id = ANY($1::text[]::uuid[])")
            .bind(&ids)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM registrations WHERE id = ANY($1::text[]::uuid[])")
            .bind(&ids)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO changes (registration_id, register, version) \
             SELECT id::uuid, $2, 0 FROM UNNEST($1::text[]) WITH ORDINALITY AS u(id, n) ORDER BY n",
        )
        .bind(&ids)
        .bind(register)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO reservations (register, lookup_key, at) VALUES ($1, $2, $3::timestamptz) ON CONFLICT DO NOTHING",
        )
        .bind(register)
        .bind(lookup_key)
        .bind(timestamp_text(now()))
        .execute(&mut *tx)
        .await?;
        // Only the reservation list keeps the look-up key: codes and patient sessions go too.
        insight_sql::forget_person(&mut tx, lookup_key).await?;
        let deleted = u64::try_from(ids.len()).unwrap_or(u64::MAX);
        let entry = reservation_entry(
            actor,
            "reservation.add",
            register,
            ("deleted_registrations", deleted.into()),
        );
        append_audit(&mut tx, vec![entry]).await?;
        tx.commit().await?;
        Ok(deleted)
    }

    async fn withdraw_reservation(&self, register: &str, lookup_key: &str, actor: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        take_lock(&mut tx).await?;
        let removed = sqlx::query("DELETE FROM reservations WHERE register = $1 AND lookup_key = $2")
            .bind(register)
            .bind(lookup_key)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
        let entry = reservation_entry(actor, "reservation.withdraw", register, ("existed", removed.into()));
        append_audit(&mut tx, vec![entry]).await?;
        tx.commit().await?;
        Ok(removed)
    }

    async fn add_user(&self, name: &str, password_hash: &str, grants: &[Grant], actor: &str) -> Result<()> {
        let grants: Vec<Grant> = grants.iter().cloned().collect::<BTreeSet<_>>().into_iter().collect();
        let mut tx = self.begin_write().await?;
        ensure_hospitals(&mut tx, grants.iter().filter_map(|g| g.hospital.as_deref()).collect()).await?;
        let added = sqlx::query(
            "INSERT INTO users (name, password_hash, active, created_at) VALUES ($1, $2, TRUE, $3::timestamptz) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(password_hash)
        .bind(timestamp_text(now()))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if added == 0 {
            return Err(StoreError::UserExists(name.to_owned()));
        }
        for grant in &grants {
            sqlx::query("INSERT INTO user_roles (user_name, role, register, hospital) VALUES ($1, $2, $3, $4)")
                .bind(name)
                .bind(grant.role.name())
                .bind(&grant.register)
                .bind(&grant.hospital)
                .execute(&mut *tx)
                .await?;
        }
        append_audit(&mut tx, vec![grants_entry(actor, "user.add", name, &grants)]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn users(&self) -> Result<Vec<User>> {
        let rows: Vec<UserRow> = sqlx::query_as(
            "SELECT u.name, u.password_hash, u.active, to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS created_at, \
             r.role, r.register, r.hospital FROM users u LEFT JOIN user_roles r ON r.user_name = u.name ORDER BY u.name",
        )
        .fetch_all(&self.pool)
        .await?;
        users_of(rows)
    }

    async fn set_user_active(&self, name: &str, active: bool, actor: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        take_lock(&mut tx).await?;
        let changed = sqlx::query("UPDATE users SET active = $1 WHERE name = $2")
            .bind(active)
            .bind(name)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed == 0 {
            return Err(StoreError::UnknownUser(name.to_owned()));
        }
        let mut entry = AuditEntry::new(actor, if active { "user.enable" } else { "user.disable" });
        entry.detail.insert("user".into(), name.into());
        append_audit(&mut tx, vec![entry]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn account(&self, name: &str) -> Result<Option<Account>> {
        access_sql::sign_in_account(&mut *self.pool.acquire().await?, name).await
    }

    async fn session(&self, id_hash: &str) -> Result<Option<Session>> {
        access_sql::session(&mut *self.pool.acquire().await?, id_hash).await
    }

    async fn token(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        access_sql::token(&mut *self.pool.acquire().await?, token_hash).await
    }

    async fn tokens(&self) -> Result<Vec<ApiToken>> {
        access_sql::tokens(&mut *self.pool.acquire().await?).await
    }

    async fn change_access(&self, change: AccessChange, actor: &str) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        take_lock(&mut tx).await?;
        let changed = access_sql::apply(&mut tx, &change).await?;
        if let Some(entry) = access_entry(&change, actor) {
            append_audit(&mut tx, vec![entry]).await?;
        }
        tx.commit().await?;
        Ok(changed)
    }

    async fn add_research_project(&self, project: &ResearchProject, actor: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        take_lock(&mut tx).await?;
        research_sql::insert(&mut tx, project).await?;
        append_audit(&mut tx, vec![project_entry(project, actor)]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn research_projects(&self) -> Result<Vec<ResearchProject>> {
        research_sql::projects(&mut *self.pool.acquire().await?).await
    }

    async fn research_project(&self, id: &str) -> Result<Option<ResearchProject>> {
        research_sql::project(&mut *self.pool.acquire().await?, id).await
    }

    async fn add_insight_code(&self, code: &InsightCode, actor: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        take_lock(&mut tx).await?;
        insight_sql::insert_code(&mut tx, code).await?;
        append_audit(&mut tx, vec![issue_entry(code, actor)]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn redeem_insight_code(&self, attempt: &CodeAttempt) -> Result<Redemption> {
        let mut tx = self.begin_write().await?;
        take_lock(&mut tx).await?;
        let (outcome, register) = insight_sql::redeem(&mut tx, attempt).await?;
        append_audit(&mut tx, vec![attempt_entry(outcome, register)]).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn patient_session(&self, id_hash: &str) -> Result<Option<PatientSession>> {
        insight_sql::session(&mut *self.pool.acquire().await?, id_hash).await
    }

    async fn touch_patient_session(&self, id_hash: &str, seen_us: i64) -> Result<()> {
        insight_sql::touch(&mut *self.pool.acquire().await?, id_hash, seen_us).await
    }

    async fn end_patient_session(&self, id_hash: &str) -> Result<()> {
        insight_sql::end(&mut *self.pool.acquire().await?, id_hash).await
    }

    async fn reservations_of(&self, lookup_key: &str) -> Result<Vec<Reservation>> {
        insight_sql::reservations_of(&mut *self.pool.acquire().await?, lookup_key).await
    }

    async fn begin_import(&self) -> Result<Box<dyn Import>> {
        Ok(Box::new(PostgresImport {
            tx: self.begin_write().await?,
            at: now(),
            log: ImportLog::default(),
        }))
    }
}

/// An import that writes the registrations and their versions as chunks come, without
/// [`CHANGES_LOCK`], and their change entries and audit entries (from a compact log) once
/// it commits, holding the lock only from then on.
struct PostgresImport {
    tx: Transaction<'static, Postgres>,
    at: Timestamp,
    log: ImportLog,
}

#[async_trait::async_trait]
impl Import for PostgresImport {
    async fn add(&mut self, writes: Vec<Write>) -> Result<()> {
        ensure_hospitals(&mut self.tx, hospitals_of(&writes)).await?;
        for chunk in first_versions(writes, self.at, BATCH) {
            let chunk: Vec<&Pending> = chunk.iter().collect();
            insert_new(&mut self.tx, &chunk).await?;
            insert_versions(&mut self.tx, &chunk).await?;
            chunk.iter().for_each(|p| self.log.push(p));
        }
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> Result<usize> {
        take_lock(&mut self.tx).await?;
        ensure_none_reserved(&mut self.tx, &self.log).await?;
        for chunk in self.log.chunks(BATCH) {
            let changes: Vec<ChangeEntry> = chunk
                .iter()
                .map(|(id, register, ..)| ChangeEntry {
                    id: id.to_string(),
                    register: (*register).to_owned(),
                    version: 1,
                })
                .collect();
            insert_changes(&mut self.tx, &changes).await?;
            let entries = chunk
                .iter()
                .map(|(id, register, hospital, actor, status)| {
                    registration_entry((actor, "registration.import"), register, *id, hospital, (1, *status))
                })
                .collect();
            append_audit(&mut self.tx, entries).await?;
        }
        let written = self.log.len();
        self.tx.commit().await?;
        Ok(written)
    }
}

/// Refuses an import in which a registration belongs to a person with a reservation against
/// its register. Call it while holding [`CHANGES_LOCK`]: a reservation deletes the person's
/// registrations under it, so any registration of a reserved person found is the import's.
async fn ensure_none_reserved(conn: &mut PgConnection, log: &ImportLog) -> Result<()> {
    let found: Vec<(String, String)> = sqlx::query_as(
        "SELECT g.id::text, g.register FROM reservations r \
         JOIN registrations g ON g.register = r.register AND g.person_lookup_key = r.lookup_key",
    )
    .fetch_all(&mut *conn)
    .await?;
    let first = found
        .into_iter()
        .filter_map(|(id, register)| Some((log.index_of(Uuid::parse_str(&id).ok()?)?, register)))
        .min();
    match first {
        Some((index, register)) => Err(StoreError::Reserved { register, index }),
        None => Ok(()),
    }
}
