//! The embedded store, one SQLite file (WAL, synchronous=FULL), so `serve` needs nothing else.
//!
//! Writes begin with `BEGIN IMMEDIATE`, taking the file's write lock before the first read,
//! so a write never has to upgrade a read lock (which SQLite refuses with SQLITE_BUSY instead
//! of waiting) and two writers run one after the other, within the busy timeout.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, SqlSafeStr, Sqlite, SqliteConnection, SqlitePool, Transaction};
use uuid::Uuid;

use crate::access::access_entry;
use crate::audit::{AuditRow, VERIFY_PAGE, Verifier, chain, reservation_entry, write_entry};
use crate::insight::{attempt_entry, issue_entry};
use crate::query::{Dialect, push_filter, push_page, push_scope};
use crate::record::{
    ChangeEntry, ChangeRow, HospitalRow, Pending, RegistrationRow, VersionRow, first_versions, hospitals_of, now,
    parse_timestamp, timestamp_text,
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
    crate::insight::insight_statements!(sqlx::SqliteConnection);
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

/// Rows per multi-row INSERT: 14 columns × 500 stays far below SQLite's 32,766 parameters.
const BATCH: usize = 500;

/// How long a write waits for another writer before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Registrations in one SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
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
        Ok(SqliteStore { pool })
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
    let people: Vec<(usize, &Write, &str)> = writes
        .iter()
        .enumerate()
        .filter_map(|(i, w)| w.person.as_ref().map(|p| (i, w, p.lookup_key.as_str())))
        .collect();
    for chunk in people.chunks(BATCH / 2) {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "SELECT register, lookup_key FROM reservations WHERE (register, lookup_key) IN (VALUES ",
        );
        let mut list = qb.separated(", ");
        for (_, write, key) in chunk {
            list.push("(");
            list.push_bind_unseparated(write.register.clone());
            list.push_unseparated(", ");
            list.push_bind_unseparated(key.to_string());
            list.push_unseparated(")");
        }
        list.push_unseparated(")");
        let reserved: BTreeSet<(String, String)> = qb
            .build_query_as::<(String, String)>()
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();
        if let Some((index, write, _)) = chunk
            .iter()
            .find(|(_, w, key)| reserved.contains(&(w.register.clone(), (*key).to_owned())))
        {
            return Err(StoreError::Reserved {
                register: write.register.clone(),
                index: *index,
            });
        }
    }
    Ok(())
}

/// Refuses the first hospital code that is not in the hospital list.
async fn ensure_hospitals(conn: &mut SqliteConnection, codes: BTreeSet<&str>) -> Result<()> {
    let codes: Vec<&str> = codes.into_iter().collect();
    for chunk in codes.chunks(BATCH) {
        let mut qb = QueryBuilder::<Sqlite>::new("SELECT code FROM hospitals WHERE code IN (");
        let mut list = qb.separated(", ");
        for code in chunk {
            list.push_bind(code.to_string());
        }
        list.push_unseparated(")");
        let known: BTreeSet<String> = qb
            .build_query_scalar::<String>()
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();
        if let Some(missing) = chunk.iter().find(|code| !known.contains(**code)) {
            return Err(StoreError::UnknownHospital((*missing).to_owned()));
        }
    }
    Ok(())
}

/// The highest creation number so far (0 for an empty store).
async fn last_seq(conn: &mut SqliteConnection) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM registrations")
        .fetch_one(&mut *conn)
        .await?)
}

/// Inserts at most [`BATCH`] new registrations (current rows, version rows and change
/// entries), numbering their creation order from `first_seq`.
async fn insert_new(conn: &mut SqliteConnection, chunk: &[Pending], first_seq: i64) -> Result<()> {
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
    insert_versions(conn, chunk).await
}

/// Inserts at most [`BATCH`] version rows and their change entries.
async fn insert_versions(conn: &mut SqliteConnection, chunk: &[Pending]) -> Result<()> {
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
    qb.push_values(chunk.iter().map(ChangeEntry::from), |mut row, entry| {
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

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn create(&self, write: Write) -> Result<Registration> {
        let pending = Pending::first(write, now());
        let mut tx = self.begin_write().await?;
        ensure_hospitals(&mut tx, BTreeSet::from([pending.write.hospital.as_str()])).await?;
        ensure_not_reserved(&mut tx, std::slice::from_ref(&pending.write)).await?;
        let seq = last_seq(&mut tx).await? + 1;
        insert_new(&mut tx, std::slice::from_ref(&pending), seq).await?;
        append_audit(&mut tx, vec![write_entry(&pending, "registration.create")]).await?;
        tx.commit().await?;
        Ok(pending.into_registration())
    }

    async fn create_many(&self, writes: Vec<Write>) -> Result<usize> {
        let total = writes.len();
        let mut tx = self.begin_write().await?;
        ensure_hospitals(&mut tx, hospitals_of(&writes)).await?;
        ensure_not_reserved(&mut tx, &writes).await?;
        let mut seq = last_seq(&mut tx).await? + 1;
        for chunk in first_versions(writes, now(), BATCH) {
            insert_new(&mut tx, &chunk, seq).await?;
            let entries = chunk.iter().map(|p| write_entry(p, "registration.import")).collect();
            append_audit(&mut tx, entries).await?;
            seq += i64::try_from(chunk.len()).unwrap_or(i64::MAX);
        }
        tx.commit().await?;
        Ok(total)
    }

    async fn get(&self, scope: &Scope, id: Uuid) -> Result<Registration> {
        let mut conn = self.pool.acquire().await?;
        current(&mut conn, scope, id).await
    }

    async fn update(&self, scope: &Scope, id: Uuid, expected_version: i64, write: Write) -> Result<Registration> {
        let mut tx = self.begin_write().await?;
        let before = current(&mut tx, scope, id).await?;
        if before.register != write.register {
            return Err(StoreError::NotFound(id));
        }
        if before.version != expected_version {
            return Err(StoreError::Conflict {
                id,
                expected: expected_version,
                current: before.version,
            });
        }
        if !scope.allows(&write.hospital) {
            return Err(StoreError::OutOfScope(write.hospital));
        }
        ensure_hospitals(&mut tx, BTreeSet::from([write.hospital.as_str()])).await?;
        ensure_not_reserved(&mut tx, std::slice::from_ref(&write)).await?;
        let pending = Pending::next(&before, write, now());
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
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            let now_at = current(&mut tx, &Scope::AllHospitals, id).await?;
            return Err(StoreError::Conflict {
                id,
                expected: expected_version,
                current: now_at.version,
            });
        }
        insert_versions(&mut tx, std::slice::from_ref(&pending)).await?;
        append_audit(&mut tx, vec![write_entry(&pending, "registration.update")]).await?;
        tx.commit().await?;
        Ok(pending.into_registration())
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
        let mut qb = QueryBuilder::<Sqlite>::new(format!("SELECT {COLUMNS} FROM registrations WHERE register = "));
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
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM registrations WHERE register = $1 AND person_lookup_key = $2 ORDER BY seq",
        )
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
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT register, at FROM reservations WHERE lookup_key = $1 ORDER BY register")
                .bind(lookup_key)
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter()
            .map(|(register, at)| {
                Ok(Reservation {
                    register,
                    at: parse_timestamp("reservations.at", &at)?,
                })
            })
            .collect()
    }
}
