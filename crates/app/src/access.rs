//! Who is asking and what they may reach: sign-in with password and second factor, lockout
//! after repeated failures, server-side sessions with an idle timeout, and API tokens for
//! systems. Secrets are kept only as SHA-256 (sessions, tokens, recovery codes), Argon2id
//! (passwords) or sealed with the key file (TOTP secrets).

use std::collections::BTreeSet;
use std::sync::OnceLock;

use jiff::{SignedDuration, Timestamp};
use kvalreg_core::messages::Text;
use kvalreg_core::totp::TotpSecret;
use kvalreg_core::validation::{Finding, Severity};
use kvalreg_store::{AccessChange, ApiToken, Grant, Lockout, Role, Scope, Session};
use sha2::{Digest, Sha256};

use crate::users::{check_grant, check_name, hash_password, password_matches};
use crate::{AppError, Platform};

/// Consecutive failed sign-ins that lock an account.
pub const LOCK_AFTER_FAILURES: i64 = 5;
/// How long a locked account stays locked.
pub const LOCK_MINUTES: i64 = 15;
/// Recovery codes handed out at enrolment.
const RECOVERY_CODES: usize = 10;
/// A session's last use is written at most this often (seconds), not on every request.
const TOUCH_EVERY_SECONDS: i64 = 60;
/// What API tokens start with, so a leaked one is recognisable in logs and scanners.
const TOKEN_PREFIX: &str = "kvr_";
/// The issuer shown in authenticator apps.
const TOTP_ISSUER: &str = "kvalreg";

/// How a principal came in.
#[derive(Debug, Clone, PartialEq)]
pub enum Via {
    /// A browser session: the form token its posts must carry, the cookie's hash, and
    /// whether the user still has to enrol a second factor before anything else.
    Session {
        csrf: String,
        id_hash: String,
        must_enrol: bool,
        enrolled: bool,
    },
    /// An API token.
    Token,
}

/// A signed-in user or a system, with the grants everything it reaches is checked against.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    /// The user name, or `token:<name>` for a system; stored with every version it writes.
    pub name: String,
    pub grants: Vec<Grant>,
    pub via: Via,
}

impl Principal {
    /// Whether a grant gives `role` — for `register` and `hospital` where given and where
    /// the role is scoped to them. A register admin holds every hospital of their register.
    pub fn has(&self, role: Role, register: Option<&str>, hospital: Option<&str>) -> bool {
        self.grants.iter().any(|g| {
            g.role == role
                && register.is_none_or(|r| g.register.as_deref().is_none_or(|own| own == r))
                && hospital.is_none_or(|h| g.hospital.as_deref().is_none_or(|own| own == h))
        })
    }

    /// Which hospitals' registrations of `register` this principal may see: all for its
    /// register admin, those of its registrar and unit lead grants otherwise (none at all
    /// for researchers, auditors, trainees and supervisors).
    pub fn scope(&self, register: &str) -> Scope {
        self.scope_of(register, &[Role::Registrar, Role::UnitLead])
    }

    /// Which hospitals' registrations of `register` this principal may complete, lock and
    /// reopen: all for its register admin, those it is unit lead of otherwise.
    pub fn manage_scope(&self, register: &str) -> Scope {
        self.scope_of(register, &[Role::UnitLead])
    }

    fn scope_of(&self, register: &str, roles: &[Role]) -> Scope {
        if self.has(Role::RegisterAdmin, Some(register), None) {
            return Scope::AllHospitals;
        }
        Scope::Hospitals(
            self.grants
                .iter()
                .filter(|g| roles.contains(&g.role))
                .filter(|g| g.register.as_deref() == Some(register))
                .filter_map(|g| g.hospital.clone())
                .collect::<BTreeSet<_>>(),
        )
    }

    /// The hospitals this principal registers for in any register, for the start page.
    pub fn hospitals(&self) -> BTreeSet<String> {
        self.grants.iter().filter_map(|g| g.hospital.clone()).collect()
    }

    /// The form token of a browser session (none for a token).
    pub fn csrf(&self) -> Option<&str> {
        match &self.via {
            Via::Session { csrf, .. } => Some(csrf),
            Via::Token => None,
        }
    }
}

/// A new browser session: the cookie value (shown once, kept only as its hash) and who it is.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub cookie: String,
    pub principal: Principal,
}

/// Why a sign-in was refused. Wrong name, password and code are one answer, so a guesser
/// learns nothing about which part was right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInRefusal {
    Wrong,
    /// Locked after repeated failures until this instant.
    Locked(Timestamp),
    Disabled,
}

impl SignInRefusal {
    /// The message for the sign-in page.
    pub fn message(&self) -> Text {
        match self {
            SignInRefusal::Wrong => Text::new(
                "Feil brukernavn, passord eller kode",
                "Wrong user name, password or code",
            ),
            SignInRefusal::Locked(until) => {
                let at = until
                    .to_zoned(jiff::tz::TimeZone::UTC)
                    .strftime("%H:%M UTC")
                    .to_string();
                Text::new(
                    format!("Kontoen er låst etter {LOCK_AFTER_FAILURES} feil forsøk; prøv igjen etter {at}"),
                    format!("The account is locked after {LOCK_AFTER_FAILURES} failed attempts; try again after {at}"),
                )
            }
            SignInRefusal::Disabled => Text::new(
                "Brukeren er deaktivert; kontakt registeradministratoren",
                "The user is disabled; contact the register administrator",
            ),
        }
    }
}

/// Lower-case hex SHA-256: how sessions, tokens and recovery codes are kept.
pub(crate) fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// `bytes` random bytes from the operating system as lower-case hex.
pub(crate) fn random_hex(bytes: usize) -> Result<String, AppError> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer)
        .map_err(|e| AppError::Format(format!("the operating system gave no random bytes: {e}")))?;
    Ok(hex::encode(buffer))
}

/// `count` random lower-case letters and digits, without those easily mistaken for
/// another (i, l, o, 0, 1): what people type from paper.
pub(crate) fn random_letters(count: usize) -> Result<String, AppError> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut buffer = vec![0u8; count];
    getrandom::fill(&mut buffer)
        .map_err(|e| AppError::Format(format!("the operating system gave no random bytes: {e}")))?;
    Ok(buffer
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect())
}

/// A recovery code as handed out: ten letters and digits in two groups of five.
fn recovery_code() -> Result<String, AppError> {
    let letters = random_letters(10)?;
    Ok(format!("{}-{}", &letters[..5], &letters[5..]))
}

/// A code as typed from paper: case, spaces and dashes do not matter.
pub(crate) fn normalize_typed_code(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn micros(at: Timestamp) -> i64 {
    at.as_microsecond()
}

/// An Argon2id hash to check passwords of unknown users against, so that a missing user
/// takes as long to refuse as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password for unknown users").unwrap_or_default())
}

async fn verify_password(hash: String, password: String) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || password_matches(&hash, &password))
        .await
        .map_err(|e| AppError::Format(format!("password check stopped: {e}")))
}

fn code_refused(nb: &str, en: &str) -> AppError {
    AppError::Invalid(vec![Finding::new("code", "totp", Severity::Error, Text::new(nb, en))])
}

impl Platform {
    /// Signs a user in with password and, once enrolled, a code from their authenticator
    /// app or one of their recovery codes. Every attempt is audited; five failures in a row
    /// lock the account for fifteen minutes. `second_factor_required` sends a user who has
    /// not enrolled yet to enrolment before anything else.
    pub async fn sign_in(
        &self,
        name: &str,
        password: &str,
        code: &str,
        second_factor_required: bool,
        now: Timestamp,
    ) -> Result<Result<SignedIn, SignInRefusal>, AppError> {
        let name: String = name.trim().chars().take(64).collect();
        let account = self.store.account(&name).await?;
        let fail = |reason: &'static str, count: bool| AccessChange::SignInFailed {
            user: name.clone(),
            reason,
            count: count.then(|| Lockout {
                lock_after: LOCK_AFTER_FAILURES,
                lock_until: micros(now) + LOCK_MINUTES * 60 * 1_000_000,
            }),
        };
        let Some(account) = account else {
            verify_password(decoy_hash().to_owned(), password.to_owned()).await?;
            self.store.change_access(fail("unknown_user", false), &name).await?;
            return Ok(Err(SignInRefusal::Wrong));
        };
        if let Some(until) = account.locked_until.filter(|until| *until > micros(now)) {
            self.store.change_access(fail("locked", false), &name).await?;
            let until = Timestamp::from_microsecond(until).unwrap_or(now);
            return Ok(Err(SignInRefusal::Locked(until)));
        }
        if !verify_password(account.password_hash.clone(), password.to_owned()).await? {
            self.store.change_access(fail("password", true), &name).await?;
            return Ok(Err(self.refusal_after_failure(&name, now).await?));
        }
        let (totp_step, recovery_code_hash) = match &account.totp_secret {
            None => (None, None),
            Some(sealed) => {
                let secret = self.open_totp(sealed)?;
                let typed = code.trim();
                let recovery = digest(&normalize_typed_code(typed));
                if let Some(step) = secret.verify(typed, now.as_second(), account.totp_last_step) {
                    (Some(step), None)
                } else if typed.len() > 6 && account.recovery_code_hashes.contains(&recovery) {
                    (None, Some(recovery))
                } else {
                    self.store.change_access(fail("second_factor", true), &name).await?;
                    return Ok(Err(self.refusal_after_failure(&name, now).await?));
                }
            }
        };
        if !account.active {
            self.store.change_access(fail("disabled", false), &name).await?;
            return Ok(Err(SignInRefusal::Disabled));
        }
        let cookie = random_hex(32)?;
        let session = Session {
            id_hash: digest(&cookie),
            user_name: name.clone(),
            csrf: random_hex(32)?,
            created_us: micros(now),
            seen_us: micros(now),
            pending_totp: None,
        };
        let enrolled = account.totp_secret.is_some();
        let principal = Principal {
            name: name.clone(),
            grants: account.grants,
            via: Via::Session {
                csrf: session.csrf.clone(),
                id_hash: session.id_hash.clone(),
                must_enrol: second_factor_required && !enrolled,
                enrolled,
            },
        };
        self.store
            .change_access(
                AccessChange::SignedIn {
                    session,
                    totp_step,
                    recovery_code_hash,
                },
                &name,
            )
            .await?;
        Ok(Ok(SignedIn { cookie, principal }))
    }

    /// After a counted failure: locked if that failure reached the limit, wrong otherwise.
    async fn refusal_after_failure(&self, name: &str, now: Timestamp) -> Result<SignInRefusal, AppError> {
        let locked = self
            .store
            .account(name)
            .await?
            .and_then(|a| a.locked_until)
            .filter(|until| *until > micros(now));
        Ok(match locked {
            Some(until) => SignInRefusal::Locked(Timestamp::from_microsecond(until).unwrap_or(now)),
            None => SignInRefusal::Wrong,
        })
    }

    fn open_totp(&self, sealed: &[u8]) -> Result<TotpSecret, AppError> {
        let text = self.keys.decrypt(sealed)?;
        TotpSecret::from_base32(&text).ok_or_else(|| AppError::Format("a stored TOTP secret is unreadable".to_owned()))
    }

    /// The principal of a session cookie, if the session exists, its user is active and it
    /// was used within `idle` (an idle session is removed).
    pub async fn session_principal(
        &self,
        cookie: &str,
        idle: SignedDuration,
        second_factor_required: bool,
        now: Timestamp,
    ) -> Result<Option<Principal>, AppError> {
        let id_hash = digest(cookie);
        let Some(session) = self.store.session(&id_hash).await? else {
            return Ok(None);
        };
        let idle_us = i64::try_from(idle.as_micros()).unwrap_or(i64::MAX);
        if micros(now).saturating_sub(session.seen_us) > idle_us {
            self.store
                .change_access(AccessChange::Expired { id_hash }, &session.user_name)
                .await?;
            return Ok(None);
        }
        let Some(account) = self.store.account(&session.user_name).await?.filter(|a| a.active) else {
            return Ok(None);
        };
        if micros(now) - session.seen_us > TOUCH_EVERY_SECONDS * 1_000_000 {
            self.store
                .change_access(
                    AccessChange::Touched {
                        id_hash: id_hash.clone(),
                        seen_us: micros(now),
                    },
                    &session.user_name,
                )
                .await?;
        }
        let enrolled = account.totp_secret.is_some();
        Ok(Some(Principal {
            name: account.name,
            grants: account.grants,
            via: Via::Session {
                csrf: session.csrf,
                id_hash,
                must_enrol: second_factor_required && !enrolled,
                enrolled,
            },
        }))
    }

    /// Ends this browser's session (audited).
    pub async fn sign_out(&self, principal: &Principal) -> Result<(), AppError> {
        if let Via::Session { id_hash, .. } = &principal.via {
            self.store
                .change_access(
                    AccessChange::SignedOut {
                        id_hash: id_hash.clone(),
                    },
                    &principal.name,
                )
                .await?;
        }
        Ok(())
    }

    /// Ends every session of the principal's user, on every device (audited); returns how many.
    pub async fn sign_out_everywhere(&self, principal: &Principal) -> Result<u64, AppError> {
        Ok(self
            .store
            .change_access(
                AccessChange::SignedOutEverywhere {
                    user: principal.name.clone(),
                },
                &principal.name,
            )
            .await?)
    }

    /// A fresh TOTP secret for the session's user to scan; kept (sealed) with the session
    /// until a code from it confirms the enrolment. Returns the `otpauth://` link and the
    /// secret in base32 for typing in by hand.
    pub async fn offer_second_factor(&self, principal: &Principal) -> Result<(String, String), AppError> {
        let Via::Session { id_hash, .. } = &principal.via else {
            return Err(AppError::Format(
                "a second factor is enrolled from a browser session".to_owned(),
            ));
        };
        let secret = TotpSecret::generate()
            .map_err(|e| AppError::Format(format!("the operating system gave no random bytes: {e}")))?;
        let sealed = self.keys.encrypt(&secret.to_base32())?;
        self.store
            .change_access(
                AccessChange::EnrolmentOffered {
                    id_hash: id_hash.clone(),
                    pending_totp: sealed,
                },
                &principal.name,
            )
            .await?;
        Ok((secret.enrolment_uri(TOTP_ISSUER, &principal.name), secret.to_base32()))
    }

    /// Confirms the offered secret with a code from the app; returns the recovery codes
    /// (shown once). Refuses, naming the `code` field, a wrong code or a missing offer.
    pub async fn confirm_second_factor(
        &self,
        principal: &Principal,
        code: &str,
        now: Timestamp,
    ) -> Result<Vec<String>, AppError> {
        let Via::Session { id_hash, .. } = &principal.via else {
            return Err(AppError::Format(
                "a second factor is enrolled from a browser session".to_owned(),
            ));
        };
        let pending = self.store.session(id_hash).await?.and_then(|s| s.pending_totp);
        let Some(sealed) = pending else {
            return Err(code_refused(
                "Start registreringen på nytt: ingen QR-kode venter på bekreftelse",
                "Start again: no QR code is waiting to be confirmed",
            ));
        };
        let secret = self.open_totp(&sealed)?;
        let Some(step) = secret.verify(code, now.as_second(), None) else {
            return Err(code_refused(
                "Koden stemmer ikke; skriv de seks sifrene appen viser nå",
                "The code does not match; type the six digits the app shows now",
            ));
        };
        let codes = (0..RECOVERY_CODES)
            .map(|_| recovery_code())
            .collect::<Result<Vec<_>, _>>()?;
        self.store
            .change_access(
                AccessChange::SecondFactorEnrolled {
                    user: principal.name.clone(),
                    secret: sealed,
                    step,
                    recovery_code_hashes: codes.iter().map(|c| digest(&normalize_typed_code(c))).collect(),
                },
                &principal.name,
            )
            .await?;
        Ok(codes)
    }

    /// Removes a user's second factor and recovery codes and ends their sessions, for a user
    /// who lost their phone (audited); they enrol again at their next sign-in.
    pub async fn reset_second_factor(&self, user: &str, actor: &str) -> Result<(), AppError> {
        self.store
            .change_access(AccessChange::SecondFactorReset { user: user.to_owned() }, actor)
            .await?;
        Ok(())
    }

    /// Adds an API token with one grant; returns the token, which is shown only this once.
    /// Refuses, naming field and rule, a malformed name, a grant that does not fit its role
    /// and an unknown register; the store refuses a taken name and an unknown hospital.
    pub async fn add_token(&self, name: &str, grant: Grant, actor: &str) -> Result<String, AppError> {
        let mut findings: Vec<Finding> = check_name(name).into_iter().chain(check_grant(&grant)).collect();
        findings.extend(self.unknown_register(&grant));
        if !findings.is_empty() {
            return Err(AppError::Invalid(findings));
        }
        let token = format!("{TOKEN_PREFIX}{}", random_hex(32)?);
        self.store
            .change_access(
                AccessChange::TokenAdded(ApiToken {
                    name: name.to_owned(),
                    token_hash: digest(&token),
                    grant,
                    created_by: actor.to_owned(),
                    created_us: micros(Timestamp::now()),
                    revoked_us: None,
                }),
                actor,
            )
            .await?;
        Ok(token)
    }

    /// The principal of an API token that exists and is not revoked.
    pub async fn token_principal(&self, token: &str) -> Result<Option<Principal>, AppError> {
        if !token.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        Ok(self
            .store
            .token(&digest(token))
            .await?
            .filter(|t| t.revoked_us.is_none())
            .map(|t| Principal {
                name: format!("token:{}", t.name),
                grants: vec![t.grant],
                via: Via::Token,
            }))
    }

    /// Every API token (never the token itself), ordered by name.
    pub async fn tokens(&self) -> Result<Vec<ApiToken>, AppError> {
        Ok(self.store.tokens().await?)
    }

    /// Revokes a token at once (audited); revoking it again changes nothing.
    pub async fn revoke_token(&self, name: &str, actor: &str) -> Result<(), AppError> {
        self.store
            .change_access(
                AccessChange::TokenRevoked {
                    name: name.to_owned(),
                    at_us: micros(Timestamp::now()),
                },
                actor,
            )
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(grants: &[(Role, Option<&str>, Option<&str>)]) -> Principal {
        Principal {
            name: "kari".into(),
            grants: grants
                .iter()
                .map(|(role, register, hospital)| Grant {
                    role: *role,
                    register: register.map(str::to_owned),
                    hospital: hospital.map(str::to_owned),
                })
                .collect(),
            via: Via::Token,
        }
    }

    #[test]
    fn scopes_follow_the_grants_of_the_register() {
        let registrar = principal(&[
            (Role::Registrar, Some("stroke"), Some("AHUS")),
            (Role::UnitLead, Some("stroke"), Some("OUS")),
            (Role::Registrar, Some("rare"), Some("STO")),
        ]);
        assert_eq!(
            registrar.scope("stroke"),
            Scope::Hospitals(["AHUS".to_owned(), "OUS".to_owned()].into())
        );
        assert_eq!(registrar.scope("rare"), Scope::Hospitals(["STO".to_owned()].into()));
        assert_eq!(
            registrar.manage_scope("stroke"),
            Scope::Hospitals(["OUS".to_owned()].into())
        );
        assert!(registrar.has(Role::UnitLead, Some("stroke"), Some("OUS")));
        assert!(!registrar.has(Role::UnitLead, Some("stroke"), Some("AHUS")));
        let admin = principal(&[(Role::RegisterAdmin, Some("stroke"), None)]);
        assert_eq!(admin.scope("stroke"), Scope::AllHospitals);
        assert_eq!(admin.scope("rare"), Scope::Hospitals(BTreeSet::new()));
        assert!(admin.has(Role::RegisterAdmin, Some("stroke"), Some("AHUS")));
        let auditor = principal(&[(Role::Auditor, None, None)]);
        assert_eq!(auditor.scope("stroke"), Scope::Hospitals(BTreeSet::new()));
    }

    #[test]
    fn recovery_codes_are_typed_forgivingly() {
        let code = recovery_code().expect("code");
        assert_eq!(code.len(), 11);
        assert_eq!(code.as_bytes()[5], b'-');
        assert_eq!(
            normalize_typed_code(&code.to_uppercase().replace('-', " ")),
            code.replace('-', "")
        );
        assert_ne!(recovery_code().expect("code"), code);
    }
}
