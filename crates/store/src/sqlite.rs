//! The embedded store, one SQLite file (WAL, synchronous=FULL), so `serve` needs nothing else.
//!
//! Writes begin with `BEGIN IMMEDIATE`, taking the file's write lock before the first read,
//! so a write never has to upgrade a read lock (which SQLite refuses with SQLITE_BUSY instead
//! of waiting) and two writers run one after the other, within the busy timeout.

use std::collections::BTreeSet;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, SqlSafeStr, Sqlite, SqliteConnection, SqlitePool, Transaction};
use uuid::Uuid;

use crate::access::access_entry;
use crate::audit::{AuditRow, VERIFY_PAGE, Verifier, chain, reservation_entry, write_entry};
use crate::group::{BatchWriter, Facts, GroupCommit, Job, decide, hospitals_named, people_named, updated_ids};
use crate::import::{Import, counted_from};
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

/// The access statements on this backend's connections.
mod access_sql {
    crate::access::access_statements!(sqlx::SqliteConnection, "$1");
}

/// The insight code and patient session statements on this backend's connections.
mod insight_sql {
    crate::insight::insight_statements!(sqlx::SqliteConnection, "at");
}

/// The research project statements on this backend's connections.
mod research_sql {
    crate::research::research_statements!(sqlx::SqliteConnection);
}

const DIALECT: Dialect = Dialect { date: "", uuid: "" };

const COLUMNS: &str = "id, register, hospital, status, version, data, warnings, person_lookup_key, \
     person_ciphertext, event_date, created_at, updated_at, updated_by";

const VERSION_COLUMNS: &str =
    "registration_id, version, status, hospital, data, warnings, changes, changed_by, changed_at, reason";

/// The registrations table read through the person index. Without it SQLite's planner (which
/// has no statistics) prefers `registrations_creation` for `register = ? … ORDER BY seq` and
/// reads every registration of the register to find one person's: the whole table on every
/// duplicate check.
const BY_PERSON: &str = "registrations INDEXED BY registrations_person";

/// Rows per multi-row INSERT: 14 columns × 500 stays far below SQLite's 32,766 parameters.
const BATCH: usize = 500;

/// How long a write waits for another writer before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Registrations in one SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// Registration writes waiting for the next transaction (see the group module).
    group: Arc<GroupCommit>,
}

impl SqliteStore {
    /// Opens (creating it if missing) the database file at `path` and brings its schema up
    /// to date.
    pub async fn open(path: &Path) -> Result<Self> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .pragma("secure_delete", "on")
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                target: format!("SQLite database {}", path.display()),
                source,
            })?;
        migrator().run(&pool).await?;
        Ok(SqliteStore {
            pool,
            group: Arc::default(),
        })
    }

    /// The connection pool, for operations outside the `Store` trait (backup, checks).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

fn migrator() -> Migrator {
    Migrator::with_migrations(vec![
        Migration::new(
            1,
            "registrations".into(),
            MigrationType::Simple,
            include_str!("../migrations/sqlite/0001_registrations.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            2,
            "audit reservations".into(),
            MigrationType::Simple,
            include_str!("../migrations/sqlite/0002_audit_reservations.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            3,
            "users".into(),
            MigrationType::Simple,
            include_str!("../migrations/sqlite/0003_users.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            4,
            "access".into(),
            MigrationType::Simple,
            include_str!("../migrations/sqlite/0004_access.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            5,
            "research".into(),
            MigrationType::Simple,
            include_str!("../migrations/sqlite/0005_research.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            6,
            "insight codes".into(),
            MigrationType::Simple,
            include_str!("../migrations/sqlite/0006_insight_codes.sql").into_sql_str(),
            false,
        ),
    ])
}

const AUDIT_COLUMNS: &str = "seq, at, actor, action, register, registration_id, hospital, detail, prev_hash, hash";

/// Appends entries to the audit chain; the caller's `BEGIN IMMEDIATE` keeps other writers
/// out until it commits. Returns the number of the last entry.
async fn append_audit(conn: &mut SqliteConnection, entries: Vec<AuditEntry>) -> Result<i64> {
    let head: Option<(i64, String)> = sqlx::query_as("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?;
    let mut last = head.as_ref().map_or(0, |(seq, _)| *seq);
    let records = chain(head, entries);
    for chunk in records.chunks(BATCH) {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("INSERT INTO audit ({AUDIT_COLUMNS}) "));
        qb.push_values(chunk, |mut row, r| {
            row.push_bind(r.seq)
                .push_bind(timestamp_text(r.at))
                .push_bind(r.actor.clone())
                .push_bind(r.action.clone())
                .push_bind(r.register.clone())
                .push_bind(r.registration_id.map(|id| id.hyphenated().to_string()))
                .push_bind(r.hospital.clone())
                .push_bind(r.detail.clone())
                .push_bind(r.prev_hash.clone())
                .push_bind(r.hash.clone());
        });
        qb.build().execute(&mut *conn).await?;
        last = chunk.last().map_or(last, |r| r.seq);
    }
    Ok(last)
}

/// Refuses the first write whose person has a reservation against its register.
async fn ensure_not_reserved(conn: &mut SqliteConnection, writes: &[Write]) -> Result<()> {
    let people: Vec<(&str, &str)> = writes
        .iter()
        .filter_map(|w| Some((w.register.as_str(), w.person.as_ref()?.lookup_key.as_str())))
        .collect();
    let reserved = reserved_people(conn, &people).await?;
    let first = writes.iter().enumerate().find(|(_, w)| {
        w.person
            .as_ref()
            .is_some_and(|p| reserved.contains(&(w.register.clone(), p.lookup_key.clone())))
    });
    match first {
        Some((index, write)) => Err(StoreError::Reserved {
            register: write.register.clone(),
            index,
        }),
        None => Ok(()),
    }
}

/// The (register, look-up key) pairs among `people` that have a reservation.
async fn reserved_people(conn: &mut SqliteConnection, people: &[(&str, &str)]) -> Result<BTreeSet<(String, String)>> {
    let mut reserved = BTreeSet::new();
    for chunk in people.chunks(BATCH / 2) {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "SELECT register, lookup_key FROM reservations WHERE (register, lookup_key) IN (VALUES ",
        );
        let mut list = qb.separated(", ");
        for (register, key) in chunk {
            list.push("(");
            list.push_bind_unseparated((*register).to_owned());
            list.push_unseparated(", ");
            list.push_bind_unseparated((*key).to_owned());
            list.push_unseparated(")");
        }
        list.push_unseparated(")");
        reserved.extend(qb.build_query_as::<(String, String)>().fetch_all(&mut *conn).await?);
    }
    Ok(reserved)
}

/// Refuses the first hospital code that is not in the hospital list.
async fn ensure_hospitals(conn: &mut SqliteConnection, codes: BTreeSet<&str>) -> Result<()> {
    let known = known_hospitals(conn, &codes).await?;
    match codes.into_iter().find(|code| !known.contains(*code)) {
        Some(missing) => Err(StoreError::UnknownHospital(missing.to_owned())),
        None => Ok(()),
    }
}

/// The codes among `codes` that are in the hospital list.
async fn known_hospitals(conn: &mut SqliteConnection, codes: &BTreeSet<&str>) -> Result<BTreeSet<String>> {
    let codes: Vec<&str> = codes.iter().copied().collect();
    let mut known = BTreeSet::new();
    for chunk in codes.chunks(BATCH) {
        let mut qb = QueryBuilder::<Sqlite>::new("SELECT code FROM hospitals WHERE code IN (");
        let mut list = qb.separated(", ");
        for code in chunk {
            list.push_bind((*code).to_owned());
        }
        list.push_unseparated(")");
        known.extend(qb.build_query_scalar::<String>().fetch_all(&mut *conn).await?);
    }
    Ok(known)
}

/// The current rows of the registrations `ids` (any hospital), by id.
async fn current_rows(conn: &mut SqliteConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, Registration>> {
    let mut rows = HashMap::new();
    for chunk in ids.chunks(BATCH) {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("SELECT {COLUMNS} FROM registrations WHERE id IN ("));
        let mut list = qb.separated(", ");
        for id in chunk {
            list.push_bind(id.to_string());
        }
        list.push_unseparated(")");
        for row in qb.build_query_as::<RegistrationRow>().fetch_all(&mut *conn).await? {
            let registration = row.into_registration()?;
            rows.insert(registration.id, registration);
        }
    }
    Ok(rows)
}

/// The highest creation number so far (0 for an empty store).
async fn last_seq(conn: &mut SqliteConnection) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM registrations")
        .fetch_one(&mut *conn)
        .await?)
}

/// Inserts the current rows of at most [`BATCH`] new registrations, numbering their
/// creation order from `first_seq`.
async fn insert_new(conn: &mut SqliteConnection, chunk: &[&Pending], first_seq: i64) -> Result<()> {
    let mut qb = QueryBuilder::<Sqlite>::new(
        "INSERT INTO registrations (id, seq, register, hospital, status, version, data, warnings, \
         person_lookup_key, person_ciphertext, event_date, created_at, updated_at, updated_by) ",
    );
    let mut seq = first_seq;
    qb.push_values(chunk, |mut row, p| {
        row.push_bind(p.id_text())
            .push_bind(seq)
            .push_bind(p.write.register.clone())
            .push_bind(p.write.hospital.clone())
            .push_bind(p.status_text())
            .push_bind(p.version)
            .push_bind(p.data())
            .push_bind(p.warnings())
            .push_bind(p.lookup_key().map(str::to_owned))
            .push_bind(p.ciphertext().map(<[u8]>::to_vec))
            .push_bind(p.event_date_text())
            .push_bind(p.created_at_text())
            .push_bind(p.at_text())
            .push_bind(p.write.actor.clone());
        seq += 1;
    });
    qb.build().execute(&mut *conn).await?;
    Ok(())
}

/// Inserts at most [`BATCH`] version rows and their change entries.
async fn insert_versions(conn: &mut SqliteConnection, chunk: &[&Pending]) -> Result<()> {
    let mut qb = QueryBuilder::<Sqlite>::new(
        "INSERT INTO registration_versions (registration_id, version, status, hospital, data, warnings, \
         changes, changed_by, changed_at, reason) ",
    );
    qb.push_values(chunk, |mut row, p| {
        row.push_bind(p.id_text())
            .push_bind(p.version)
            .push_bind(p.status_text())
            .push_bind(p.write.hospital.clone())
            .push_bind(p.data())
            .push_bind(p.warnings())
            .push_bind(p.changes())
            .push_bind(p.write.actor.clone())
            .push_bind(p.at_text())
            .push_bind(p.write.reason.clone());
    });
    qb.build().execute(&mut *conn).await?;

    let mut qb = QueryBuilder::<Sqlite>::new("INSERT INTO changes (registration_id, register, version) ");
    qb.push_values(chunk.iter().map(|p| ChangeEntry::from(*p)), |mut row, entry| {
        row.push_bind(entry.id)
            .push_bind(entry.register)
            .push_bind(entry.version);
    });
    qb.build().execute(&mut *conn).await?;
    Ok(())
}

async fn current(conn: &mut SqliteConnection, scope: &Scope, id: Uuid) -> Result<Registration> {
    let mut qb = QueryBuilder::<Sqlite>::new(format!("SELECT {COLUMNS} FROM registrations WHERE id = "));
    qb.push_bind(id.to_string());
    push_scope(&mut qb, "hospital", scope);
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
/// batch has checked).
async fn update_current(conn: &mut SqliteConnection, pending: &Pending) -> Result<()> {
    let updated = sqlx::query(
        "UPDATE registrations SET hospital = $1, status = $2, version = $3, data = $4, warnings = $5, \
         person_lookup_key = $6, person_ciphertext = $7, event_date = $8, updated_at = $9, updated_by = $10 \
         WHERE id = $11 AND version = $12",
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
            current: current(conn, &Scope::AllHospitals, pending.id).await?.version,
        });
    }
    Ok(())
}

/// Stores the accepted versions of a batch: new rows, replaced rows, version rows, change
/// entries and audit entries (`created` the action of a version 1), each in the batch's order.
async fn store_versions(conn: &mut SqliteConnection, accepted: &[&Pending], created: &str) -> Result<()> {
    let new: Vec<&Pending> = accepted.iter().copied().filter(|p| p.is_new()).collect();
    let mut seq = last_seq(conn).await? + 1;
    for chunk in new.chunks(BATCH) {
        insert_new(conn, chunk, seq).await?;
        seq += i64::try_from(chunk.len()).unwrap_or(i64::MAX);
    }
    for pending in accepted.iter().filter(|p| !p.is_new()) {
        update_current(conn, pending).await?;
    }
    for chunk in accepted.chunks(BATCH) {
        insert_versions(conn, chunk).await?;
    }
    let entries = accepted
        .iter()
        .map(|p| write_entry(p, p.audit_action(created)))
        .collect();
    append_audit(conn, entries).await?;
    Ok(())
}

#[async_trait::async_trait]
impl BatchWriter for SqliteStore {
    async fn commit_batch(&self, jobs: &[Job]) -> Result<Vec<Result<Registration>>> {
        let mut tx = self.begin_write().await?;
        let facts = Facts {
            hospitals: known_hospitals(&mut tx, &hospitals_named(jobs)).await?,
            reserved: reserved_people(&mut tx, &people_named(jobs)).await?,
            current: current_rows(&mut tx, &updated_ids(jobs)).await?,
        };
        let decided = decide(jobs, facts, now());
        let accepted: Vec<&Pending> = decided.iter().filter_map(|d| d.as_ref().ok()).collect();
        store_versions(&mut tx, &accepted, "registration.create").await?;
        tx.commit().await?;
        Ok(decided.into_iter().map(|d| d.map(Pending::into_registration)).collect())
    }
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn create(&self, write: Write) -> Result<Registration> {
        self.group.submit(Job::Create(write), self.clone()).await
    }

    async fn get(&self, scope: &Scope, id: Uuid) -> Result<Registration> {
        let mut conn = self.pool.acquire().await?;
        current(&mut conn, scope, id).await
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
        let mut qb = QueryBuilder::<Sqlite>::new(format!("SELECT {COLUMNS} FROM registrations"));
        push_filter(&mut qb, DIALECT, scope, filter);
        push_page(&mut qb, DIALECT, scope, filter);
        let rows = qb.build_query_as::<RegistrationRow>().fetch_all(&self.pool).await?;
        rows.into_iter().map(RegistrationRow::into_registration).collect()
    }

    async fn count(&self, scope: &Scope, filter: &Filter) -> Result<u64> {
        let mut qb = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM registrations");
        push_filter(&mut qb, DIALECT, scope, filter);
        let n: i64 = qb.build_query_scalar().fetch_one(&self.pool).await?;
        u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("negative count {n}")))
    }

    async fn find_by_person(&self, scope: &Scope, register: &str, lookup_key: &str) -> Result<Vec<Registration>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("SELECT {COLUMNS} FROM {BY_PERSON} WHERE register = "));
        qb.push_bind(register.to_owned());
        qb.push(" AND person_lookup_key = ").push_bind(lookup_key.to_owned());
        push_scope(&mut qb, "hospital", scope);
        qb.push(" ORDER BY seq");
        let rows = qb.build_query_as::<RegistrationRow>().fetch_all(&self.pool).await?;
        rows.into_iter().map(RegistrationRow::into_registration).collect()
    }

    async fn history(&self, scope: &Scope, id: Uuid) -> Result<Vec<Version>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {VERSION_COLUMNS} FROM registration_versions WHERE registration_id = "
        ));
        qb.push_bind(id.to_string());
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
        let limit = if limit == 0 { -1 } else { i64::from(limit) };
        let rows: Vec<ChangeRow> = sqlx::query_as(
            "SELECT seq, registration_id, register, version FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2",
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
        let mut qb = QueryBuilder::<Sqlite>::new(format!("SELECT {AUDIT_COLUMNS} FROM audit"));
        crate::audit::push_filter(&mut qb, filter, "");
        let rows = qb.build_query_as::<AuditRow>().fetch_all(&self.pool).await?;
        rows.into_iter().map(AuditRow::into_record).collect()
    }

    async fn verify_audit(&self) -> Result<AuditReport> {
        let mut verifier = Verifier::new();
        let mut after = i64::MIN;
        loop {
            let rows: Vec<AuditRow> = sqlx::query_as(
                "SELECT seq, at, actor, action, register, registration_id, hospital, detail, prev_hash, hash \
                 FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2",
            )
            .bind(after)
            .bind(VERIFY_PAGE)
            .fetch_all(&self.pool)
            .await?;
            let Some(last) = rows.last().map(|r| r.seq()) else {
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
        let ids: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT id FROM {BY_PERSON} WHERE register = $1 AND person_lookup_key = $2 ORDER BY seq"
        )))
        .bind(register)
        .bind(lookup_key)
        .fetch_all(&mut *tx)
        .await?;
        for id in &ids {
            sqlx::query("DELETE FROM registration_versions WHERE registration_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM registrations WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO changes (registration_id, register, version) VALUES ($1, $2, 0)")
                .bind(id)
                .bind(register)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("INSERT INTO reservations (register, lookup_key, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
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
            "INSERT INTO users (name, password_hash, active, created_at) VALUES ($1, $2, TRUE, $3) \
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
            "SELECT u.name, u.password_hash, u.active, u.created_at AS created_at, \
             r.role, r.register, r.hospital FROM users u LEFT JOIN user_roles r ON r.user_name = u.name ORDER BY u.name",
        )
        .fetch_all(&self.pool)
        .await?;
        users_of(rows)
    }

    async fn set_user_active(&self, name: &str, active: bool, actor: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
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
        let changed = access_sql::apply(&mut tx, &change).await?;
        if let Some(entry) = access_entry(&change, actor) {
            append_audit(&mut tx, vec![entry]).await?;
        }
        tx.commit().await?;
        Ok(changed)
    }

    async fn add_research_project(&self, project: &ResearchProject, actor: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
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
        insight_sql::insert_code(&mut tx, code).await?;
        append_audit(&mut tx, vec![issue_entry(code, actor)]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn redeem_insight_code(&self, attempt: &CodeAttempt) -> Result<Redemption> {
        let mut tx = self.begin_write().await?;
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
        Ok(Box::new(SqliteImport {
            tx: self.begin_write().await?,
            at: now(),
            added: 0,
        }))
    }
}

/// An import holding the file's write lock (`BEGIN IMMEDIATE`) from its start to its commit,
/// so each chunk is checked and written, audit entries included, as it comes.
struct SqliteImport {
    tx: Transaction<'static, Sqlite>,
    at: Timestamp,
    added: usize,
}

#[async_trait::async_trait]
impl Import for SqliteImport {
    async fn add(&mut self, writes: Vec<Write>) -> Result<()> {
        ensure_hospitals(&mut self.tx, hospitals_of(&writes)).await?;
        ensure_not_reserved(&mut self.tx, &writes)
            .await
            .map_err(|e| counted_from(e, self.added))?;
        let count = writes.len();
        for chunk in first_versions(writes, self.at, BATCH) {
            store_versions(&mut self.tx, &chunk.iter().collect::<Vec<_>>(), "registration.import").await?;
        }
        self.added += count;
        Ok(())
    }

    async fn commit(self: Box<Self>) -> Result<usize> {
        self.tx.commit().await?;
        Ok(self.added)
    }
}
