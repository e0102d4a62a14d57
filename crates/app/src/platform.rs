//! The platform: the loaded registers, the store and the identity keys, and the write path
//! every edge (API, import, demo) goes through: parse, validate, protect, store a version.

use std::collections::BTreeSet;
use std::sync::Arc;

use jiff::Timestamp;
use kvalreg_core::definition::Register;
use kvalreg_core::identity::IdentityKeys;
use kvalreg_core::messages;
use kvalreg_core::validation::{Context, Finding, Severity, Stage};
use kvalreg_core::value::{Record, Value};
use kvalreg_store::{Filter, Registration, Scope, Status, Store, Version};
use serde::Serialize;
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use crate::AppError;
use crate::person::WriteMeta;

/// The registers, the store and the keys that protect national ids.
pub struct Platform {
    pub store: Arc<dyn Store>,
    registers: Vec<Register>,
    pub(crate) keys: IdentityKeys,
}

/// A successful write: the registration as stored, and the soft warnings it carries.
#[derive(Debug, Clone, Serialize)]
pub struct Saved {
    pub registration: RegistrationView,
    pub warnings: Vec<Finding>,
}

/// A registration as callers see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegistrationView {
    pub id: Uuid,
    pub register: String,
    pub hospital: String,
    pub status: Status,
    pub version: i64,
    /// The canonical document, national id (decrypted) and hospital included.
    pub values: Map<String, Json>,
    /// Derived values (canonical JSON), in the definition's order.
    pub derived: Map<String, Json>,
    /// Soft warnings stored with this version.
    pub warnings: Vec<Json>,
    pub updated_at: Timestamp,
    pub updated_by: String,
}

/// A new registration as a caller sends it.
pub(crate) struct NewRegistration<'a> {
    pub scope: &'a Scope,
    pub register: &'a Register,
    pub doc: Map<String, Json>,
    pub status: Status,
    pub actor: &'a str,
}

/// The stage a status must pass: drafts may lack values, complete and locked may not.
pub(crate) fn stage_of(status: Status) -> Stage {
    match status {
        Status::Draft => Stage::Draft,
        Status::Complete | Status::Locked => Stage::Complete,
    }
}

/// The finding for a registration without a registering unit: the store needs one even
/// for a draft, to keep hospitals apart.
pub(crate) fn unit_required(register: &Register) -> Finding {
    let label = register.variable(&register.unit_variable).map_or_else(
        || messages::Text::new(&register.unit_variable, &register.unit_variable),
        |v| v.label.clone(),
    );
    Finding::new(
        &register.unit_variable,
        "required",
        Severity::Error,
        messages::required(&label),
    )
}

/// The finding for writing a registration for a hospital the caller may not write for.
fn outside_scope(register: &Register) -> Finding {
    let message = messages::Text::new(
        "Registreringen kan bare gjelde et sykehus du har tilgang til",
        "The registration can only be for a hospital you have access to",
    );
    Finding::new(&register.unit_variable, "scope", Severity::Error, message)
}

/// Parses and validates a document at the stage its status needs; hard errors refuse it,
/// soft warnings come back with the record. Pure (no store): every write path and the
/// fuzz targets check documents with it.
pub fn check_document(
    register: &Register,
    doc: &Map<String, Json>,
    status: Status,
    ctx: &Context,
) -> Result<(Record, Vec<Finding>), Vec<Finding>> {
    let (record, mut unreadable) = register.read_document(doc, ctx);
    let findings = register.validate(&record, stage_of(status), ctx);
    // A field that could not be read is reported once, by its reading problem.
    let read_failed = |field: &str| unreadable.iter().any(|f| f.field == field);
    let mut errors: Vec<Finding> = findings.errors.into_iter().filter(|f| !read_failed(&f.field)).collect();
    if !record.contains_key(&register.unit_variable)
        && !read_failed(&register.unit_variable)
        && !errors.iter().any(|f| f.field == register.unit_variable)
    {
        errors.push(unit_required(register));
    }
    unreadable.append(&mut errors);
    if unreadable.is_empty() {
        Ok((record, findings.warnings))
    } else {
        Err(unreadable)
    }
}

impl Platform {
    pub fn new(store: Arc<dyn Store>, registers: Vec<Register>, keys: IdentityKeys) -> Self {
        Platform { store, registers, keys }
    }

    /// A loaded register by id.
    pub fn register(&self, id: &str) -> Result<&Register, AppError> {
        self.registers
            .iter()
            .find(|r| r.id == id)
            .ok_or_else(|| AppError::UnknownRegister(id.to_string()))
    }

    pub fn registers(&self) -> impl Iterator<Item = &Register> {
        self.registers.iter()
    }

    /// The codes of every hospital in the hospital list (active or not: old registrations
    /// keep their hospital).
    pub async fn hospital_codes(&self) -> Result<BTreeSet<String>, AppError> {
        Ok(self.store.hospitals().await?.into_iter().map(|h| h.code).collect())
    }

    /// Validates (Stage::Draft for a draft, Stage::Complete for complete and locked),
    /// protects the national id and stores version 1. The registration's hospital must be
    /// in `scope` (otherwise a `scope` finding on the unit variable).
    pub async fn create(
        &self,
        scope: &Scope,
        register: &str,
        doc: Map<String, Json>,
        status: Status,
        actor: &str,
    ) -> Result<Saved, AppError> {
        let new = NewRegistration {
            scope,
            register: self.register(register)?,
            doc,
            status,
            actor,
        };
        self.save_new(new, false).await
    }

    /// Validates and stores a new registration, refusing a probable duplicate first when
    /// `detect_duplicates`. The answer is built from the validated record, so the stored
    /// national id is not decrypted again.
    pub(crate) async fn save_new(&self, new: NewRegistration<'_>, detect_duplicates: bool) -> Result<Saved, AppError> {
        let register = new.register;
        let hospitals = self.hospital_codes().await?;
        let ctx = Context { hospitals: &hospitals };
        let (record, warnings) = check_document(register, &new.doc, new.status, &ctx).map_err(AppError::Invalid)?;
        if detect_duplicates {
            self.refuse_duplicates(register, &record).await?;
        }
        let write = self.protected_write(
            register,
            &record,
            WriteMeta {
                status: new.status,
                warnings: &warnings,
                actor: new.actor,
                reason: None,
            },
        )?;
        if !new.scope.allows(&write.hospital) {
            return Err(AppError::Invalid(vec![outside_scope(register)]));
        }
        let stored = self
            .store
            .create(write)
            .await
            .map_err(|e| crate::privacy::refusal(register, e))?;
        Ok(Saved {
            registration: self.view_of(register, stored, record),
            warnings,
        })
    }

    /// Replaces the values of a registration (the document is the whole registration). A
    /// complete registration stays complete and must still pass completion; a locked one
    /// is refused.
    pub async fn update(
        &self,
        scope: &Scope,
        register: &str,
        id: Uuid,
        expected_version: i64,
        doc: Map<String, Json>,
        actor: &str,
    ) -> Result<Saved, AppError> {
        let register = self.register(register)?;
        let current = self.current(scope, register, id, expected_version).await?;
        if current.status == Status::Locked {
            return Err(AppError::Locked(id));
        }
        let hospitals = self.hospital_codes().await?;
        let ctx = Context { hospitals: &hospitals };
        let (record, warnings) = check_document(register, &doc, current.status, &ctx).map_err(AppError::Invalid)?;
        if let Some(Value::Code(hospital)) = record.get(&register.unit_variable)
            && !scope.allows(hospital)
        {
            return Err(AppError::Invalid(vec![outside_scope(register)]));
        }
        let meta = WriteMeta {
            status: current.status,
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

    /// The current version of a registration.
    pub async fn get(&self, scope: &Scope, register: &str, id: Uuid) -> Result<RegistrationView, AppError> {
        let register = self.register(register)?;
        let stored = self.fetch(scope, register, id).await?;
        let hospitals = self.hospital_codes().await?;
        self.view(register, stored, &Context { hospitals: &hospitals })
    }

    /// Current registrations matching the filter (in creation order) and how many match
    /// in all.
    pub async fn list(&self, scope: &Scope, filter: &Filter) -> Result<(Vec<RegistrationView>, u64), AppError> {
        let register = self.register(&filter.register)?;
        let stored = self.store.list(scope, filter).await?;
        let total = self.store.count(scope, filter).await?;
        let hospitals = self.hospital_codes().await?;
        let ctx = Context { hospitals: &hospitals };
        let views = stored
            .into_iter()
            .map(|r| self.view(register, r, &ctx))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((views, total))
    }

    /// Every version of a registration, oldest first (stored data: without the national id).
    pub async fn history(&self, scope: &Scope, register: &str, id: Uuid) -> Result<Vec<Version>, AppError> {
        let register = self.register(register)?;
        self.fetch(scope, register, id).await?;
        Ok(self.store.history(scope, id).await?)
    }

    /// The current version, if it belongs to the register and the scope may see it.
    pub(crate) async fn fetch(&self, scope: &Scope, register: &Register, id: Uuid) -> Result<Registration, AppError> {
        let stored = self.store.get(scope, id).await?;
        if stored.register != register.id {
            return Err(AppError::NotFound(id));
        }
        Ok(stored)
    }

    /// As [`Platform::fetch`], refusing a stale expected version before any other check.
    pub(crate) async fn current(
        &self,
        scope: &Scope,
        register: &Register,
        id: Uuid,
        expected: i64,
    ) -> Result<Registration, AppError> {
        let stored = self.fetch(scope, register, id).await?;
        if stored.version != expected {
            return Err(AppError::Conflict {
                expected,
                current: stored.version,
            });
        }
        Ok(stored)
    }
}
