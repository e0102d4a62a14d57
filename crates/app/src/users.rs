//! Users and their roles as the platform accepts them: a name, an Argon2id password hash
//! and grants whose register and hospital fit the role (domain.md 2); sign-in (access.rs)
//! checks against them.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use kvalreg_core::messages::Text;
use kvalreg_core::validation::{Finding, Severity};
use kvalreg_store::{Grant, Role, User};

use crate::{AppError, Platform};

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted (hashing cost grows with it).
const MAX_PASSWORD_CHARS: usize = 1024;
/// Longest user name accepted.
const MAX_NAME_CHARS: usize = 64;

fn refuse(field: &str, rule: &str, nb: String, en: String) -> Finding {
    Finding::new(field, rule, Severity::Error, Text::new(nb, en))
}

/// What a role needs: (a register, a hospital); `None` means the role must not have one.
fn needs(role: Role) -> (Option<bool>, Option<bool>) {
    match role {
        Role::Registrar | Role::UnitLead => (Some(true), Some(true)),
        Role::RegisterAdmin => (Some(true), None),
        Role::Researcher | Role::Auditor => (None, None),
        Role::Trainee | Role::Supervisor => (Some(true), Some(false)),
    }
}

/// The findings against one grant: a missing or superfluous register or hospital.
pub(crate) fn check_grant(grant: &Grant) -> Vec<Finding> {
    let role = grant.role.name();
    let (register, hospital) = needs(grant.role);
    let mut found = Vec::new();
    let mut check = |what_nb: &str, what_en: &str, field: &str, need: Option<bool>, given: bool| match (need, given) {
        (Some(true), false) => found.push(refuse(
            field,
            "required",
            format!("Rollen {role} må ha {what_nb}"),
            format!("The role {role} needs a {what_en}"),
        )),
        (None, true) => found.push(refuse(
            field,
            "not_allowed",
            format!("Rollen {role} gjelder ikke for {what_nb}"),
            format!("The role {role} is not scoped to a {what_en}"),
        )),
        _ => {}
    };
    check(
        "et register",
        "register",
        "register",
        register,
        grant.register.is_some(),
    );
    check("et sykehus", "hospital", "hospital", hospital, grant.hospital.is_some());
    found
}

pub(crate) fn check_name(name: &str) -> Option<Finding> {
    let fits = !name.is_empty()
        && name.chars().count() <= MAX_NAME_CHARS
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-' | '@'));
    (!fits).then(|| {
        refuse(
            "name",
            "format",
            format!("Brukernavnet må ha 1–{MAX_NAME_CHARS} tegn: små bokstaver a–z, sifre og . _ - @"),
            format!("A user name has 1–{MAX_NAME_CHARS} characters: lower-case a–z, digits and . _ - @"),
        )
    })
}

fn check_password(password: &str) -> Option<Finding> {
    let chars = password.chars().count();
    (!(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars)).then(|| {
        refuse(
            "password",
            "length",
            format!("Passordet må ha minst {MIN_PASSWORD_CHARS} og høyst {MAX_PASSWORD_CHARS} tegn"),
            format!("A password has at least {MIN_PASSWORD_CHARS} and at most {MAX_PASSWORD_CHARS} characters"),
        )
    })
}

/// An Argon2id PHC string (default parameters: 19 MiB, 2 passes, 1 lane) with a random salt.
pub fn hash_password(password: &str) -> Result<String, AppError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| AppError::Format(format!("cannot hash the password: {e}")))
}

/// Whether `password` gives the stored PHC string `hash` (false for an unreadable hash).
pub fn password_matches(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

impl Platform {
    /// Adds an active user. Refuses, naming field and rule, a malformed name, a too short
    /// password, an unknown register and a grant whose scope does not fit its role; the
    /// store refuses a taken name or an unknown hospital. Audited as `user.add`.
    pub async fn add_user(&self, name: &str, password: &str, grants: &[Grant], actor: &str) -> Result<(), AppError> {
        let mut findings: Vec<Finding> = check_name(name).into_iter().chain(check_password(password)).collect();
        for grant in grants {
            findings.extend(check_grant(grant));
            findings.extend(self.unknown_register(grant));
        }
        if !findings.is_empty() {
            return Err(AppError::Invalid(findings));
        }
        let owned = password.to_owned();
        let hash = tokio::task::spawn_blocking(move || hash_password(&owned))
            .await
            .map_err(|e| AppError::Format(format!("password hashing stopped: {e}")))??;
        Ok(self.store.add_user(name, &hash, grants, actor).await?)
    }

    /// The finding for a grant naming a register that is not loaded.
    pub(crate) fn unknown_register(&self, grant: &Grant) -> Option<Finding> {
        let register = grant.register.as_ref()?;
        self.register(register).is_err().then(|| {
            refuse(
                "register",
                "unknown",
                format!("Registeret {register} finnes ikke"),
                format!("There is no register {register}"),
            )
        })
    }

    /// Every user with their grants, ordered by name.
    pub async fn users(&self) -> Result<Vec<User>, AppError> {
        Ok(self.store.users().await?)
    }

    /// Disables (or enables again) a user; audited.
    pub async fn set_user_active(&self, name: &str, active: bool, actor: &str) -> Result<(), AppError> {
        Ok(self.store.set_user_active(name, active, actor).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(role: Role, register: Option<&str>, hospital: Option<&str>) -> Grant {
        Grant {
            role,
            register: register.map(str::to_owned),
            hospital: hospital.map(str::to_owned),
        }
    }

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("correct horse battery").expect("hash");
        assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
        assert!(password_matches(&hash, "correct horse battery"));
        assert!(!password_matches(&hash, "correct horse battery!"));
        assert!(!password_matches("not a hash", "correct horse battery"));
        assert_ne!(hash, hash_password("correct horse battery").expect("hash"), "salted");
    }

    #[test]
    fn grants_must_fit_their_role() {
        assert!(check_grant(&grant(Role::Registrar, Some("stroke"), Some("H1"))).is_empty());
        assert!(check_grant(&grant(Role::Auditor, None, None)).is_empty());
        assert!(check_grant(&grant(Role::Trainee, Some("stroke"), None)).is_empty());
        let missing = check_grant(&grant(Role::UnitLead, Some("stroke"), None));
        assert_eq!(missing.len(), 1);
        assert_eq!(
            (missing[0].field.as_str(), missing[0].rule.as_str()),
            ("hospital", "required")
        );
        let extra = check_grant(&grant(Role::RegisterAdmin, Some("stroke"), Some("H1")));
        assert_eq!(
            (extra[0].field.as_str(), extra[0].rule.as_str()),
            ("hospital", "not_allowed")
        );
        let researcher = check_grant(&grant(Role::Researcher, Some("stroke"), None));
        assert_eq!(
            (researcher[0].field.as_str(), researcher[0].rule.as_str()),
            ("register", "not_allowed")
        );
    }

    #[test]
    fn names_and_passwords_are_checked() {
        assert!(check_name("kari.nordmann@ahus").is_none());
        assert_eq!(check_name("Kari").map(|f| f.rule), Some("format".to_owned()));
        assert!(check_name("").is_some());
        assert!(check_password("elleve tegn").is_some());
        assert!(check_password("tolv tegn ok").is_none());
    }
}
