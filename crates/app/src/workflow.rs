//! The step after completion: a unit lead locks a complete registration so nobody changes it
//! without reopening it with a reason.

use kvalreg_core::validation::{Context, Stage};
use kvalreg_store::{Scope, Status};
use uuid::Uuid;

use crate::person::WriteMeta;
use crate::{AppError, Platform, Saved};

impl Platform {
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
        let register = self.register(register)?;
        let current = self.current(scope, register, id, expected_version).await?;
        if current.status != Status::Complete {
            return Err(AppError::BadTransition {
                from: current.status,
                action: "lock",
            });
        }
        let hospitals = self.hospital_codes().await?;
        let ctx = Context { hospitals: &hospitals };
        let record = self.stored_record(register, &current, &ctx)?;
        let warnings = register.validate(&record, Stage::Complete, &ctx).warnings;
        let meta = WriteMeta {
            status: Status::Locked,
            warnings: &warnings,
            actor,
            reason: None,
        };
        let write = self.protected_write(register, &record, meta)?;
        let stored = self.store.update(scope, id, expected_version, write).await?;
        Ok(Saved {
            registration: self.view(register, stored, &ctx)?,
            warnings,
        })
    }
}
