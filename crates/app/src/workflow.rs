//! Status changes of a stored registration (complete, lock, reopen): one path that checks
//! the starting status, re-validates the stored values and writes the next version.

use kvalreg_core::validation::{Context, Stage};
use kvalreg_store::{Scope, Status};
use uuid::Uuid;

use crate::person::WriteMeta;
use crate::{AppError, Platform, Saved};

/// One status change: the statuses it may start from, where it goes, the stage its values
/// are checked at, and whether a hard error at that stage refuses it.
struct Transition<'a> {
    action: &'static str,
    from: &'static [Status],
    to: Status,
    stage: Stage,
    refuse_on_errors: bool,
    reason: Option<&'a str>,
}

impl Platform {
    /// Completes a draft: its values must pass the completion rules.
    pub async fn complete(
        &self,
        scope: &Scope,
        register: &str,
        id: Uuid,
        expected_version: i64,
        actor: &str,
    ) -> Result<Saved, AppError> {
        let transition = Transition {
            action: "complete",
            from: &[Status::Draft],
            to: Status::Complete,
            stage: Stage::Complete,
            refuse_on_errors: true,
            reason: None,
        };
        self.transition(scope, register, id, expected_version, transition, actor)
            .await
    }

    /// Locks a complete registration (a new version with status locked; values unchanged).
    /// Drafts and locked registrations are refused.
    pub async fn lock(
        &self,
        scope: &Scope,
        register: &str,
        id: Uuid,
        expected_version: i64,
        actor: &str,
    ) -> Result<Saved, AppError> {
        let transition = Transition {
            action: "lock",
            from: &[Status::Complete],
            to: Status::Locked,
            stage: Stage::Complete,
            refuse_on_errors: false,
            reason: None,
        };
        self.transition(scope, register, id, expected_version, transition, actor)
            .await
    }

    /// Returns a complete or locked registration to draft; the reason is stored with the
    /// new version.
    pub async fn reopen(
        &self,
        scope: &Scope,
        register: &str,
        id: Uuid,
        expected_version: i64,
        reason: &str,
        actor: &str,
    ) -> Result<Saved, AppError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::ReasonRequired);
        }
        let transition = Transition {
            action: "reopen",
            from: &[Status::Complete, Status::Locked],
            to: Status::Draft,
            stage: Stage::Draft,
            refuse_on_errors: false,
            reason: Some(reason),
        };
        self.transition(scope, register, id, expected_version, transition, actor)
            .await
    }

    async fn transition(
        &self,
        scope: &Scope,
        register: &str,
        id: Uuid,
        expected_version: i64,
        transition: Transition<'_>,
        actor: &str,
    ) -> Result<Saved, AppError> {
        let register = self.register(register)?;
        let current = self.current(scope, register, id, expected_version).await?;
        if !transition.from.contains(&current.status) {
            return Err(AppError::BadTransition {
                from: current.status,
                action: transition.action,
            });
        }
        let hospitals = self.hospital_codes().await?;
        let ctx = Context { hospitals: &hospitals };
        let record = self.stored_record(register, &current, &ctx)?;
        let findings = register.validate(&record, transition.stage, &ctx);
        if transition.refuse_on_errors && !findings.errors.is_empty() {
            return Err(AppError::Invalid(findings.errors));
        }
        let warnings = findings.warnings;
        let meta = WriteMeta {
            status: transition.to,
            warnings: &warnings,
            actor,
            reason: transition.reason,
        };
        let write = self.protected_write(register, &record, meta)?;
        let stored = self.store.update(scope, id, expected_version, write).await?;
        Ok(Saved {
            registration: self.view(register, stored, &ctx)?,
            warnings,
        })
    }
}
