//! What sign-in and system access keep: failed attempts and lockout, the second factor and
//! its recovery codes, server-side sessions, and API tokens. Times are Unix microseconds
//! and flags integers in both backends, so the statements here are the same for SQLite and
//! PostgreSQL and each backend instantiates them once (`access_statements!`).

use serde::Serialize;
use serde_json::Value as Json;

use crate::{AuditEntry, Grant, Role, StoreError};

/// A user as sign-in checks them: no clinical data, never shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub name: String,
    pub password_hash: String,
    pub active: bool,
    /// Ordered by role, register, hospital.
    pub grants: Vec<Grant>,
    /// Failed sign-ins since the last successful one.
    pub failed_signins: i64,
    /// No sign-in is tried before this instant (µs since the Unix epoch).
    pub locked_until: Option<i64>,
    /// The sealed base32 TOTP secret, once enrolled.
    pub totp_secret: Option<Vec<u8>>,
    /// The last time step whose code was accepted (a code works once).
    pub totp_last_step: Option<i64>,
    /// SHA-256 hex of each unused recovery code.
    pub recovery_code_hashes: Vec<String>,
}

/// A signed-in browser, known by the SHA-256 of its cookie.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id_hash: String,
    pub user_name: String,
    /// The token every form of this session posts back.
    pub csrf: String,
    pub created_us: i64,
    pub seen_us: i64,
    /// A sealed enrolment secret shown as a QR code and awaiting its first code.
    pub pending_totp: Option<Vec<u8>>,
}

/// A system's credential: one grant, the SHA-256 of the token, revocable.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiToken {
    pub name: String,
    #[serde(skip)]
    pub token_hash: String,
    pub grant: Grant,
    pub created_by: String,
    pub created_us: i64,
    pub revoked_us: Option<i64>,
}

/// When counted failures lock an account, and until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockout {
    pub lock_after: i64,
    pub lock_until: i64,
}

/// One change to access state; the store applies it in one transaction with its audit entry.
#[derive(Debug, Clone, PartialEq)]
pub enum AccessChange {
    /// A refused sign-in (`signin.failed`, naming why). With `count`, the failure is
    /// counted against the user, and at `count.lock_after` failures the account is locked
    /// until `count.lock_until`; without (unknown user, account already locked) it is only audited.
    SignInFailed {
        user: String,
        reason: &'static str,
        count: Option<Lockout>,
    },
    /// A successful sign-in (`signin`): failures reset, the session stored, the TOTP step
    /// or recovery code used up.
    SignedIn {
        session: Session,
        totp_step: Option<i64>,
        recovery_code_hash: Option<String>,
    },
    /// One session ended by its user (`signout`).
    SignedOut { id_hash: String },
    /// Every session of a user ended (`signout.everywhere`).
    SignedOutEverywhere { user: String },
    /// A session was used: its idle clock starts again (not audited).
    Touched { id_hash: String, seen_us: i64 },
    /// A session passed its idle timeout and is removed (not audited).
    Expired { id_hash: String },
    /// An enrolment secret is offered to the session (not audited: nothing changes until confirmed).
    EnrolmentOffered { id_hash: String, pending_totp: Vec<u8> },
    /// The second factor is set with fresh recovery codes (`user.2fa_enrol`).
    SecondFactorEnrolled {
        user: String,
        secret: Vec<u8>,
        step: i64,
        recovery_code_hashes: Vec<String>,
    },
    /// The second factor and recovery codes are removed and every session ended (`user.2fa_reset`).
    SecondFactorReset { user: String },
    /// A token is added (`token.add`, with its grant).
    TokenAdded(ApiToken),
    /// A token stops working (`token.revoke`).
    TokenRevoked { name: String, at_us: i64 },
    /// Everything sealed with the key file is sealed again under a new encryption key
    /// (`keys.rotate`): each registration's national id ciphertext and each user's TOTP
    /// secret; enrolment secrets waiting in sessions are dropped (the user scans again).
    Resealed {
        registrations: Vec<(uuid::Uuid, Vec<u8>)>,
        totp_secrets: Vec<(String, Vec<u8>)>,
        /// Research projects' pseudonym keys, by project id.
        research_keys: Vec<(String, Vec<u8>)>,
    },
}

/// The audit entry of a change, if it has one.
pub(crate) fn access_entry(change: &AccessChange, actor: &str) -> Option<AuditEntry> {
    let entry = |action: &str, facts: &[(&str, Json)]| {
        let mut entry = AuditEntry::new(actor, action);
        for (name, value) in facts {
            entry.detail.insert((*name).to_owned(), value.clone());
        }
        Some(entry)
    };
    match change {
        AccessChange::SignInFailed { user, reason, .. } => entry(
            "signin.failed",
            &[("user", Json::from(user.as_str())), ("reason", Json::from(*reason))],
        ),
        AccessChange::SignedIn {
            session,
            totp_step,
            recovery_code_hash,
        } => {
            let factor = match (totp_step, recovery_code_hash) {
                (Some(_), _) => "totp",
                (None, Some(_)) => "recovery_code",
                (None, None) => "password_only",
            };
            entry(
                "signin",
                &[
                    ("user", Json::from(session.user_name.as_str())),
                    ("second_factor", Json::from(factor)),
                ],
            )
        }
        AccessChange::SignedOut { .. } => entry("signout", &[]),
        AccessChange::SignedOutEverywhere { user } => {
            entry("signout.everywhere", &[("user", Json::from(user.as_str()))])
        }
        AccessChange::Touched { .. } | AccessChange::Expired { .. } | AccessChange::EnrolmentOffered { .. } => None,
        AccessChange::SecondFactorEnrolled { user, .. } => {
            entry("user.2fa_enrol", &[("user", Json::from(user.as_str()))])
        }
        AccessChange::SecondFactorReset { user } => entry("user.2fa_reset", &[("user", Json::from(user.as_str()))]),
        AccessChange::TokenAdded(token) => entry(
            "token.add",
            &[
                ("token", Json::from(token.name.as_str())),
                ("role", Json::from(token.grant.role.name())),
                ("register", token.grant.register.clone().map_or(Json::Null, Json::from)),
                ("hospital", token.grant.hospital.clone().map_or(Json::Null, Json::from)),
            ],
        ),
        AccessChange::TokenRevoked { name, .. } => entry("token.revoke", &[("token", Json::from(name.as_str()))]),
        AccessChange::Resealed {
            registrations,
            totp_secrets,
            ..
        } => entry(
            "keys.rotate",
            &[
                ("registrations", Json::from(registrations.len())),
                ("second_factors", Json::from(totp_secrets.len())),
            ],
        ),
    }
}

/// A role column read back.
pub(crate) fn role_of(text: &str) -> crate::Result<Role> {
    Role::parse(text).ok_or_else(|| StoreError::Corrupt(format!("unknown role {text:?}")))
}

/// The statements of this module for one backend's connection type: `sign_in_account`,
/// `session`, `token`, `tokens` and `apply`, the last returning the rows it changed.
/// `$id` is how the backend reads a registration id bound as text (`$1` or `$1::uuid`).
macro_rules! access_statements {
    ($conn:ty, $id:literal) => {
        use $crate::access::{AccessChange, Account, ApiToken, Session, role_of};
        use $crate::{Grant, Result};

        type TokenRow = (String, String, String, Option<String>, Option<String>, String, i64, Option<i64>);

        const TOKEN_COLUMNS: &str =
            "name, token_hash, role, register, hospital, created_by, created_us, revoked_us";

        fn token_of(row: TokenRow) -> Result<ApiToken> {
            let (name, token_hash, role, register, hospital, created_by, created_us, revoked_us) = row;
            Ok(ApiToken {
                name,
                token_hash,
                grant: Grant { role: role_of(&role)?, register, hospital },
                created_by,
                created_us,
                revoked_us,
            })
        }

        /// The account of `name` with its grants, if there is one.
        pub(crate) async fn sign_in_account(conn: &mut $conn, name: &str) -> Result<Option<Account>> {
            let row: Option<(String, i64, i64, Option<i64>, Option<Vec<u8>>, Option<i64>)> = sqlx::query_as(
                "SELECT password_hash, CAST(CASE WHEN active THEN 1 ELSE 0 END AS BIGINT), CAST(failed_signins AS BIGINT), \
                 locked_until, totp_secret, totp_last_step FROM users WHERE name = $1",
            )
            .bind(name)
            .fetch_optional(&mut *conn)
            .await?;
            let Some((password_hash, active, failed_signins, locked_until, totp_secret, totp_last_step)) = row else {
                return Ok(None);
            };
            let grants: Vec<(String, Option<String>, Option<String>)> =
                sqlx::query_as("SELECT role, register, hospital FROM user_roles WHERE user_name = $1")
                    .bind(name)
                    .fetch_all(&mut *conn)
                    .await?;
            let mut grants = grants
                .into_iter()
                .map(|(role, register, hospital)| Ok(Grant { role: role_of(&role)?, register, hospital }))
                .collect::<Result<Vec<Grant>>>()?;
            grants.sort();
            let recovery: Vec<(String,)> = sqlx::query_as("SELECT code_hash FROM recovery_codes WHERE user_name = $1")
                .bind(name)
                .fetch_all(&mut *conn)
                .await?;
            Ok(Some(Account {
                name: name.to_owned(),
                password_hash,
                active: active == 1,
                grants,
                failed_signins,
                locked_until,
                totp_secret,
                totp_last_step,
                recovery_code_hashes: recovery.into_iter().map(|(hash,)| hash).collect(),
            }))
        }

        /// The session whose cookie hashes to `id_hash`.
        pub(crate) async fn session(conn: &mut $conn, id_hash: &str) -> Result<Option<Session>> {
            let row: Option<(String, String, i64, i64, Option<Vec<u8>>)> = sqlx::query_as(
                "SELECT user_name, csrf, created_us, seen_us, pending_totp FROM sessions WHERE id_hash = $1",
            )
            .bind(id_hash)
            .fetch_optional(&mut *conn)
            .await?;
            Ok(row.map(|(user_name, csrf, created_us, seen_us, pending_totp)| Session {
                id_hash: id_hash.to_owned(),
                user_name,
                csrf,
                created_us,
                seen_us,
                pending_totp,
            }))
        }

        /// The token whose SHA-256 is `token_hash`, revoked or not.
        pub(crate) async fn token(conn: &mut $conn, token_hash: &str) -> Result<Option<ApiToken>> {
            let row: Option<TokenRow> =
                sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1")))
                    .bind(token_hash)
                    .fetch_optional(&mut *conn)
                    .await?;
            row.map(token_of).transpose()
        }

        /// Every token, ordered by name.
        pub(crate) async fn tokens(conn: &mut $conn) -> Result<Vec<ApiToken>> {
            let rows: Vec<TokenRow> =
                sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY name")))
                    .fetch_all(&mut *conn)
                    .await?;
            rows.into_iter().map(token_of).collect()
        }

        /// Applies one change; the caller appends its audit entry in the same transaction.
        pub(crate) async fn apply(conn: &mut $conn, change: &AccessChange) -> Result<u64> {
            let changed = match change {
                AccessChange::SignInFailed { count: None, .. } => 0,
                AccessChange::SignInFailed { user, count: Some(lockout), .. } => sqlx::query(
                    "UPDATE users SET failed_signins = failed_signins + 1, \
                     locked_until = CASE WHEN failed_signins + 1 >= $2 THEN $3 ELSE locked_until END WHERE name = $1",
                )
                .bind(user)
                .bind(lockout.lock_after)
                .bind(lockout.lock_until)
                .execute(&mut *conn)
                .await?
                .rows_affected(),
                AccessChange::SignedIn { session, totp_step, recovery_code_hash } => {
                    sqlx::query(
                        "UPDATE users SET failed_signins = 0, locked_until = NULL, \
                         totp_last_step = COALESCE($2, totp_last_step) WHERE name = $1",
                    )
                    .bind(&session.user_name)
                    .bind(totp_step)
                    .execute(&mut *conn)
                    .await?;
                    if let Some(hash) = recovery_code_hash {
                        let used = sqlx::query("DELETE FROM recovery_codes WHERE user_name = $1 AND code_hash = $2")
                            .bind(&session.user_name)
                            .bind(hash)
                            .execute(&mut *conn)
                            .await?
                            .rows_affected();
                        if used == 0 {
                            return Err($crate::StoreError::Corrupt(format!(
                                "recovery code of {} was used twice at once",
                                session.user_name
                            )));
                        }
                    }
                    sqlx::query(
                        "INSERT INTO sessions (id_hash, user_name, csrf, created_us, seen_us) VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(&session.id_hash)
                    .bind(&session.user_name)
                    .bind(&session.csrf)
                    .bind(session.created_us)
                    .bind(session.seen_us)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected()
                }
                AccessChange::SignedOut { id_hash } | AccessChange::Expired { id_hash } => {
                    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                        .bind(id_hash)
                        .execute(&mut *conn)
                        .await?
                        .rows_affected()
                }
                AccessChange::SignedOutEverywhere { user } => sqlx::query("DELETE FROM sessions WHERE user_name = $1")
                    .bind(user)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected(),
                AccessChange::Touched { id_hash, seen_us } => sqlx::query("UPDATE sessions SET seen_us = $2 WHERE id_hash = $1")
                    .bind(id_hash)
                    .bind(seen_us)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected(),
                AccessChange::EnrolmentOffered { id_hash, pending_totp } => {
                    sqlx::query("UPDATE sessions SET pending_totp = $2 WHERE id_hash = $1")
                        .bind(id_hash)
                        .bind(pending_totp)
                        .execute(&mut *conn)
                        .await?
                        .rows_affected()
                }
                AccessChange::SecondFactorEnrolled { user, secret, step, recovery_code_hashes } => {
                    let changed = sqlx::query("UPDATE users SET totp_secret = $2, totp_last_step = $3 WHERE name = $1")
                        .bind(user)
                        .bind(secret)
                        .bind(step)
                        .execute(&mut *conn)
                        .await?
                        .rows_affected();
                    if changed == 0 {
                        return Err($crate::StoreError::UnknownUser(user.clone()));
                    }
                    sqlx::query("DELETE FROM recovery_codes WHERE user_name = $1")
                        .bind(user)
                        .execute(&mut *conn)
                        .await?;
                    for hash in recovery_code_hashes {
                        sqlx::query("INSERT INTO recovery_codes (user_name, code_hash) VALUES ($1, $2)")
                            .bind(user)
                            .bind(hash)
                            .execute(&mut *conn)
                            .await?;
                    }
                    sqlx::query("UPDATE sessions SET pending_totp = NULL WHERE user_name = $1")
                        .bind(user)
                        .execute(&mut *conn)
                        .await?;
                    changed
                }
                AccessChange::SecondFactorReset { user } => {
                    let changed =
                        sqlx::query("UPDATE users SET totp_secret = NULL, totp_last_step = NULL WHERE name = $1")
                            .bind(user)
                            .execute(&mut *conn)
                            .await?
                            .rows_affected();
                    if changed == 0 {
                        return Err($crate::StoreError::UnknownUser(user.clone()));
                    }
                    for statement in ["DELETE FROM recovery_codes WHERE user_name = $1", "DELETE FROM sessions WHERE user_name = $1"] {
                        sqlx::query(statement).bind(user).execute(&mut *conn).await?;
                    }
                    changed
                }
                AccessChange::TokenAdded(token) => {
                    if let Some(hospital) = &token.grant.hospital {
                        let known: Option<(String,)> = sqlx::query_as("SELECT code FROM hospitals WHERE code = $1")
                            .bind(hospital)
                            .fetch_optional(&mut *conn)
                            .await?;
                        if known.is_none() {
                            return Err($crate::StoreError::UnknownHospital(hospital.clone()));
                        }
                    }
                    let added = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "INSERT INTO api_tokens ({TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL) \
                         ON CONFLICT (name) DO NOTHING"
                    )))
                    .bind(&token.name)
                    .bind(&token.token_hash)
                    .bind(token.grant.role.name())
                    .bind(&token.grant.register)
                    .bind(&token.grant.hospital)
                    .bind(&token.created_by)
                    .bind(token.created_us)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
                    if added == 0 {
                        return Err($crate::StoreError::TokenExists(token.name.clone()));
                    }
                    added
                }
                AccessChange::Resealed { registrations, totp_secrets, research_keys } => {
                    let mut changed = 0;
                    for (id, sealed) in registrations {
                        changed += sqlx::query(concat!(
                            "UPDATE registrations SET person_ciphertext = $2 WHERE id = ",
                            $id,
                            " AND person_ciphertext IS NOT NULL"
                        ))
                        .bind(id.hyphenated().to_string())
                        .bind(sealed)
                        .execute(&mut *conn)
                        .await?
                        .rows_affected();
                    }
                    for (user, sealed) in totp_secrets {
                        changed += sqlx::query("UPDATE users SET totp_secret = $2 WHERE name = $1 AND totp_secret IS NOT NULL")
                            .bind(user)
                            .bind(sealed)
                            .execute(&mut *conn)
                            .await?
                            .rows_affected();
                    }
                    for (project, sealed) in research_keys {
                        changed += sqlx::query("UPDATE research_projects SET sealed_key = $2 WHERE id = $1")
                            .bind(project)
                            .bind(sealed)
                            .execute(&mut *conn)
                            .await?
                            .rows_affected();
                    }
                    sqlx::query("UPDATE sessions SET pending_totp = NULL").execute(&mut *conn).await?;
                    changed
                }
                AccessChange::TokenRevoked { name, at_us } => {
                    let revoked = sqlx::query(
                        "UPDATE api_tokens SET revoked_us = COALESCE(revoked_us, $2) WHERE name = $1",
                    )
                    .bind(name)
                    .bind(at_us)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
                    if revoked == 0 {
                        return Err($crate::StoreError::UnknownToken(name.clone()));
                    }
                    revoked
                }
            };
            Ok(changed)
        }
    };
}

pub(crate) use access_statements;
