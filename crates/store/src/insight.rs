//! What patient insight by one-time access code keeps: the codes register staff send by
//! letter (only their SHA-256, with the person's look-up key, expiry, use and failed
//! attempts) and the short patient sessions a spent code opens. Times are Unix microseconds,
//! so the statements are the same for SQLite and PostgreSQL and each backend instantiates
//! them once (`insight_statements!`), as `access.rs` does.

use jiff::Timestamp;
use serde_json::Value as Json;

use crate::AuditEntry;

/// Who the audit log names for what a person does through their access code: never their
/// national id or look-up key.
pub const PATIENT_ACTOR: &str = "patient";

/// A one-time access code as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct InsightCode {
    /// SHA-256 hex of the code.
    pub code_hash: String,
    /// The person's HMAC look-up key.
    pub lookup_key: String,
    /// The register whose staff issued it.
    pub register: String,
    pub issued_by: String,
    pub issued_us: i64,
    pub expires_us: i64,
}

/// A browser in which a person reads their own insight, known by the SHA-256 of its cookie.
#[derive(Debug, Clone, PartialEq)]
pub struct PatientSession {
    pub id_hash: String,
    pub lookup_key: String,
    /// The token every form of this session posts back.
    pub csrf: String,
    pub created_us: i64,
    pub seen_us: i64,
}

/// One try of a national id and code: spent and `session` opened if the pair is right.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeAttempt {
    /// The look-up key of the national id given.
    pub lookup_key: String,
    /// SHA-256 hex of the code given.
    pub code_hash: String,
    pub now_us: i64,
    /// Wrong attempts against a person's codes (or against one code) that block them.
    pub lock_after: i64,
    pub session: PatientSession,
}

/// What became of an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redemption {
    /// The code is spent and the session stored.
    Accepted,
    /// No code of this person matches; counted against the person's codes and the code given.
    Wrong,
    /// Too many wrong attempts: the code is blocked until staff issue a new one.
    Locked,
    /// The code was spent before.
    Used,
    /// The code is past its expiry.
    Expired,
}

impl Redemption {
    /// The name in the audit log.
    pub fn name(self) -> &'static str {
        match self {
            Redemption::Accepted => "accepted",
            Redemption::Wrong => "wrong",
            Redemption::Locked => "locked",
            Redemption::Used => "used",
            Redemption::Expired => "expired",
        }
    }
}

/// A person's reservation against one register, since `at`.
#[derive(Debug, Clone, PartialEq)]
pub struct Reservation {
    pub register: String,
    pub at: Timestamp,
}

/// The audit entry of issuing a code: register, issuer and expiry, never the person or code.
pub(crate) fn issue_entry(code: &InsightCode, actor: &str) -> AuditEntry {
    let mut entry = AuditEntry::new(actor, "insight.code_issue");
    entry.register = Some(code.register.clone());
    entry.detail.insert("expires_us".into(), Json::from(code.expires_us));
    entry
}

/// The audit entry of an attempt: `insight.code_use` or `insight.code_failed` with why.
pub(crate) fn attempt_entry(outcome: Redemption, register: Option<String>) -> AuditEntry {
    let action = match outcome {
        Redemption::Accepted => "insight.code_use",
        _ => "insight.code_failed",
    };
    let mut entry = AuditEntry::new(PATIENT_ACTOR, action);
    entry.register = register;
    if outcome != Redemption::Accepted {
        entry.detail.insert("reason".into(), Json::from(outcome.name()));
    }
    entry
}

/// The statements of this module for one backend's connection type: `insert_code` (which
/// also removes expired codes),
/// `redeem` (returning the outcome and the issuing register when the code is the person's),
/// `session`, `touch`, `end`, `forget_person` (a reservation's part: the person's codes
/// and sessions go with the look-up keys they hold) and `reservations_of`, which reads the
/// reservation time with `$reservation_at`, the backend's expression for it as RFC 3339 text.
macro_rules! insight_statements {
    ($conn:ty, $reservation_at:literal) => {
        use $crate::Result;
        use $crate::insight::{CodeAttempt, InsightCode, PatientSession, Redemption, Reservation};

        pub(crate) async fn insert_code(conn: &mut $conn, code: &InsightCode) -> Result<()> {
            // Expired codes (spent or not) have nothing left to count: they go, with the
            // look-up keys they hold.
            sqlx::query("DELETE FROM insight_codes WHERE expires_us < $1")
                .bind(code.issued_us)
                .execute(&mut *conn)
                .await?;
            sqlx::query(
                "INSERT INTO insight_codes (code_hash, lookup_key, register, issued_by, issued_us, expires_us) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&code.code_hash)
            .bind(&code.lookup_key)
            .bind(&code.register)
            .bind(&code.issued_by)
            .bind(code.issued_us)
            .bind(code.expires_us)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        pub(crate) async fn redeem(conn: &mut $conn, attempt: &CodeAttempt) -> Result<(Redemption, Option<String>)> {
            let row: Option<(String, String, i64, Option<i64>, i64)> = sqlx::query_as(
                "SELECT lookup_key, register, expires_us, used_us, CAST(failures AS BIGINT) \
                 FROM insight_codes WHERE code_hash = $1",
            )
            .bind(&attempt.code_hash)
            .fetch_optional(&mut *conn)
            .await?;
            if let Some((key, register, expires_us, used_us, failures)) = row
                && key == attempt.lookup_key
            {
                let outcome = if failures >= attempt.lock_after {
                    Redemption::Locked
                } else if used_us.is_some() {
                    Redemption::Used
                } else if expires_us <= attempt.now_us {
                    Redemption::Expired
                } else {
                    Redemption::Accepted
                };
                if outcome == Redemption::Accepted {
                    sqlx::query("UPDATE insight_codes SET used_us = $2 WHERE code_hash = $1")
                        .bind(&attempt.code_hash)
                        .bind(attempt.now_us)
                        .execute(&mut *conn)
                        .await?;
                    let s = &attempt.session;
                    sqlx::query(
                        "INSERT INTO patient_sessions (id_hash, lookup_key, csrf, created_us, seen_us) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(&s.id_hash)
                    .bind(&s.lookup_key)
                    .bind(&s.csrf)
                    .bind(s.created_us)
                    .bind(s.seen_us)
                    .execute(&mut *conn)
                    .await?;
                }
                return Ok((outcome, Some(register)));
            }
            // A wrong pair counts against every unspent code of the person named and
            // against the code given, whoever it belongs to.
            sqlx::query(
                "UPDATE insight_codes SET failures = failures + 1 \
                 WHERE used_us IS NULL AND (lookup_key = $1 OR code_hash = $2)",
            )
            .bind(&attempt.lookup_key)
            .bind(&attempt.code_hash)
            .execute(&mut *conn)
            .await?;
            let blocked: i64 = sqlx::query_scalar(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM insight_codes \
                 WHERE lookup_key = $1 AND used_us IS NULL AND failures >= $2",
            )
            .bind(&attempt.lookup_key)
            .bind(attempt.lock_after)
            .fetch_one(&mut *conn)
            .await?;
            Ok((
                if blocked > 0 {
                    Redemption::Locked
                } else {
                    Redemption::Wrong
                },
                None,
            ))
        }

        pub(crate) async fn session(conn: &mut $conn, id_hash: &str) -> Result<Option<PatientSession>> {
            let row: Option<(String, String, i64, i64)> =
                sqlx::query_as("SELECT lookup_key, csrf, created_us, seen_us FROM patient_sessions WHERE id_hash = $1")
                    .bind(id_hash)
                    .fetch_optional(&mut *conn)
                    .await?;
            Ok(row.map(|(lookup_key, csrf, created_us, seen_us)| PatientSession {
                id_hash: id_hash.to_owned(),
                lookup_key,
                csrf,
                created_us,
                seen_us,
            }))
        }

        pub(crate) async fn touch(conn: &mut $conn, id_hash: &str, seen_us: i64) -> Result<()> {
            sqlx::query("UPDATE patient_sessions SET seen_us = $2 WHERE id_hash = $1")
                .bind(id_hash)
                .bind(seen_us)
                .execute(&mut *conn)
                .await?;
            Ok(())
        }

        pub(crate) async fn end(conn: &mut $conn, id_hash: &str) -> Result<()> {
            sqlx::query("DELETE FROM patient_sessions WHERE id_hash = $1")
                .bind(id_hash)
                .execute(&mut *conn)
                .await?;
            Ok(())
        }

        pub(crate) async fn reservations_of(conn: &mut $conn, lookup_key: &str) -> Result<Vec<Reservation>> {
            let rows: Vec<(String, String)> = sqlx::query_as(concat!(
                "SELECT register, ",
                $reservation_at,
                " FROM reservations WHERE lookup_key = $1 ORDER BY register"
            ))
            .bind(lookup_key)
            .fetch_all(&mut *conn)
            .await?;
            rows.into_iter()
                .map(|(register, at)| {
                    Ok(Reservation {
                        register,
                        at: $crate::record::parse_timestamp("reservations.at", &at)?,
                    })
                })
                .collect()
        }

        pub(crate) async fn forget_person(conn: &mut $conn, lookup_key: &str) -> Result<()> {
            for statement in [
                "DELETE FROM insight_codes WHERE lookup_key = $1",
                "DELETE FROM patient_sessions WHERE lookup_key = $1",
            ] {
                sqlx::query(statement)
                    .bind(lookup_key)
                    .execute(&mut *conn)
                    .await?;
            }
            Ok(())
        }
    };
}

pub(crate) use insight_statements;
