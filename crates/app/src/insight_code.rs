//! Patient insight without an account: register staff issue a one-time access code for a
//! person, sent by letter; the person gives their national id and the code, and reads their
//! own insight report (and may reserve themselves) in a short patient session. Codes and
//! sessions are kept only as SHA-256; the audit log names the person's actions `patient`.

use jiff::{SignedDuration, Timestamp};
use kvalreg_core::messages::Text;
use kvalreg_store::{CodeAttempt, InsightCode, PATIENT_ACTOR, PatientSession, Redemption, Scope};

use crate::access::{digest, normalize_typed_code, random_hex, random_letters};
use crate::insight::Insight;
use crate::{AppError, Platform};

/// How long an issued code may be used (the letter has to arrive).
pub const CODE_VALID_DAYS: i64 = 30;
/// Wrong attempts against a person's codes (or one code) that block them.
pub const CODE_LOCK_AFTER: i64 = 5;
/// A patient session ends after this long without use (or the server's shorter idle timeout).
pub const PATIENT_IDLE_MINUTES: i64 = 15;
/// ... and this long after the code was spent, however busy.
pub const PATIENT_SESSION_MINUTES: i64 = 60;

/// A code as handed to the letter: shown once, kept only as its hash.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuedCode {
    /// Twelve letters and digits in three groups of four.
    pub code: String,
    pub expires: Timestamp,
}

/// Why a national id and code were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRefusal {
    Wrong,
    Locked,
    Used,
    Expired,
}

impl CodeRefusal {
    pub fn message(self) -> Text {
        match self {
            CodeRefusal::Wrong => Text::new(
                "Fødselsnummeret og koden hører ikke sammen. Sjekk begge og prøv igjen.",
                "The national id and the code do not belong together. Check both and try again.",
            ),
            CodeRefusal::Locked => Text::new(
                format!("Koden er sperret etter {CODE_LOCK_AFTER} feil forsøk. Be registeret om en ny kode."),
                format!("The code is blocked after {CODE_LOCK_AFTER} wrong attempts. Ask the register for a new code."),
            ),
            CodeRefusal::Used => Text::new(
                "Koden er allerede brukt; den virker bare én gang. Be registeret om en ny kode.",
                "The code has been used already; it works only once. Ask the register for a new code.",
            ),
            CodeRefusal::Expired => Text::new(
                "Koden er utløpt. Be registeret om en ny kode.",
                "The code has expired. Ask the register for a new code.",
            ),
        }
    }
}

/// A random token for the code form, which is posted before any session exists: the page
/// sets it as a cookie and as a form field, and the post must carry both alike.
pub fn form_token() -> Result<String, AppError> {
    random_hex(32)
}

impl Platform {
    /// Issues a one-time access code for the person with `national_id`, valid for
    /// [`CODE_VALID_DAYS`] days, on behalf of `register`'s staff. Audited as
    /// `insight.code_issue` (never with the person or the code).
    pub async fn issue_insight_code(
        &self,
        register: &str,
        national_id: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<IssuedCode, AppError> {
        let register = self.register(register)?;
        let key = self.insight_key(national_id)?;
        let letters = random_letters(12)?;
        let code = format!("{}-{}-{}", &letters[..4], &letters[4..8], &letters[8..]);
        let expires = now + SignedDuration::from_hours(24 * CODE_VALID_DAYS);
        let stored = InsightCode {
            code_hash: digest(&letters),
            lookup_key: key,
            register: register.id.clone(),
            issued_by: actor.to_owned(),
            issued_us: now.as_microsecond(),
            expires_us: expires.as_microsecond(),
        };
        self.store.add_insight_code(&stored, actor).await?;
        Ok(IssuedCode { code, expires })
    }

    /// Spends the code if it is the person's, unused, unexpired and not blocked, and opens
    /// a patient session, returning its cookie value (only its hash is kept); otherwise the
    /// refusal (a wrong pair is counted). A malformed national id is refused naming its
    /// rule, and counts against nothing.
    pub async fn redeem_insight_code(
        &self,
        national_id: &str,
        code: &str,
        now: Timestamp,
    ) -> Result<Result<String, CodeRefusal>, AppError> {
        let key = self.insight_key(national_id)?;
        let cookie = random_hex(32)?;
        let session = PatientSession {
            id_hash: digest(&cookie),
            lookup_key: key.clone(),
            csrf: random_hex(32)?,
            created_us: now.as_microsecond(),
            seen_us: now.as_microsecond(),
        };
        let attempt = CodeAttempt {
            lookup_key: key,
            code_hash: digest(&normalize_typed_code(code)),
            now_us: now.as_microsecond(),
            lock_after: CODE_LOCK_AFTER,
            session,
        };
        Ok(match self.store.redeem_insight_code(&attempt).await? {
            Redemption::Accepted => Ok(cookie),
            Redemption::Wrong => Err(CodeRefusal::Wrong),
            Redemption::Locked => Err(CodeRefusal::Locked),
            Redemption::Used => Err(CodeRefusal::Used),
            Redemption::Expired => Err(CodeRefusal::Expired),
        })
    }

    /// The patient session of a cookie, if it exists and is neither idle longer than `idle`
    /// (at most [`PATIENT_IDLE_MINUTES`]) nor older than [`PATIENT_SESSION_MINUTES`]; an
    /// ended session is removed.
    pub async fn patient_session(
        &self,
        cookie: &str,
        idle: SignedDuration,
        now: Timestamp,
    ) -> Result<Option<PatientSession>, AppError> {
        let id_hash = digest(cookie);
        let Some(session) = self.store.patient_session(&id_hash).await? else {
            return Ok(None);
        };
        let idle = idle.min(SignedDuration::from_mins(PATIENT_IDLE_MINUTES));
        let micros = |d: SignedDuration| i64::try_from(d.as_micros()).unwrap_or(i64::MAX);
        let now_us = now.as_microsecond();
        let idle_for = now_us.saturating_sub(session.seen_us);
        let age = now_us.saturating_sub(session.created_us);
        if idle_for > micros(idle) || age > micros(SignedDuration::from_mins(PATIENT_SESSION_MINUTES)) {
            self.store.end_patient_session(&id_hash).await?;
            return Ok(None);
        }
        self.store.touch_patient_session(&id_hash, now_us).await?;
        Ok(Some(session))
    }

    /// The insight report of the session's person over every register, whole. Audited as
    /// `insight.lookup` by `patient`.
    pub async fn patient_insight(&self, session: &PatientSession) -> Result<Insight, AppError> {
        self.insight_of_key(&session.lookup_key, |_| Scope::AllHospitals, PATIENT_ACTOR)
            .await
    }

    /// The session's person reserves themselves against `register`: the reservation path
    /// of register staff ([`kvalreg_store::Store::reserve`]), audited with the actor
    /// `patient`. Returns how many registrations were deleted.
    pub async fn patient_reserve(&self, session: &PatientSession, register: &str) -> Result<u64, AppError> {
        let register = self.register(register)?;
        Ok(self
            .store
            .reserve(&register.id, &session.lookup_key, PATIENT_ACTOR)
            .await?)
    }

    /// Ends the patient session.
    pub async fn patient_sign_out(&self, session: &PatientSession) -> Result<(), AppError> {
        Ok(self.store.end_patient_session(&session.id_hash).await?)
    }
}
