//! The national id leaves a registration before it is stored and comes back only when it is
//! read: the store sees an HMAC look-up key and an AES-GCM ciphertext, never the id itself.

use kvalreg_core::definition::Register;
use kvalreg_core::document::value_json;
use kvalreg_core::validation::{Context, Finding};
use kvalreg_core::value::{Record, Value};
use kvalreg_store::{ProtectedPerson, Registration, Status, Write};
use serde_json::{Map, Value as Json};

use crate::platform::RegistrationView;
use crate::{AppError, Platform};

/// What a write carries besides the record itself.
pub(crate) struct WriteMeta<'a> {
    pub status: Status,
    pub warnings: &'a [Finding],
    pub actor: &'a str,
    pub reason: Option<&'a str>,
}

impl Platform {
    /// Turns a validated record into what the store keeps: the canonical document without
    /// the person variable, the protected person, the hospital and the event date.
    pub(crate) fn protected_write(
        &self,
        register: &Register,
        record: &Record,
        meta: WriteMeta<'_>,
    ) -> Result<Write, AppError> {
        let mut data = register.document(record);
        data.remove(&register.person_variable);
        let person = match record.get(&register.person_variable) {
            Some(Value::Text(normalized)) => Some(ProtectedPerson {
                lookup_key: self.keys.lookup_key(normalized),
                ciphertext: self.keys.encrypt(normalized)?,
            }),
            _ => None,
        };
        let hospital = match record.get(&register.unit_variable) {
            Some(Value::Code(code)) => code.clone(),
            _ => return Err(AppError::Invalid(vec![crate::platform::unit_required(register)])),
        };
        Ok(Write {
            register: register.id.clone(),
            hospital,
            status: meta.status,
            data,
            warnings: meta.warnings.iter().map(finding_json).collect(),
            person,
            event_date: register.period_date(record),
            actor: meta.actor.to_string(),
            reason: meta.reason.map(str::to_string),
        })
    }

    /// The typed record of a stored registration, with the national id decrypted.
    pub(crate) fn stored_record(
        &self,
        register: &Register,
        stored: &Registration,
        ctx: &Context,
    ) -> Result<Record, AppError> {
        let mut doc = stored.data.clone();
        if let Some(person) = &stored.person {
            let id = self.keys.decrypt(&person.ciphertext)?;
            doc.insert(register.person_variable.clone(), Json::String(id));
        }
        register.parse_document(&doc, ctx).map_err(|findings| {
            let detail: Vec<String> = findings
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message_en))
                .collect();
            AppError::Format(format!(
                "stored registration {} no longer matches the definition of register `{}`: {}",
                stored.id,
                register.id,
                detail.join("; ")
            ))
        })
    }

    /// A stored registration as callers see it: the canonical document (national id
    /// included, in the definition's order) and its derived values.
    pub(crate) fn view(
        &self,
        register: &Register,
        stored: Registration,
        ctx: &Context,
    ) -> Result<RegistrationView, AppError> {
        let record = self.stored_record(register, &stored, ctx)?;
        Ok(self.view_of(register, stored, record))
    }

    /// A stored registration as callers see it, from its typed record (national id included).
    pub(crate) fn view_of(&self, register: &Register, stored: Registration, record: Record) -> RegistrationView {
        let derived_values = register.derive(&record);
        let derived: Map<String, Json> = register
            .derived
            .iter()
            .filter_map(|d| derived_values.get(&d.name).map(|v| (d.name.clone(), value_json(v))))
            .collect();
        RegistrationView {
            id: stored.id,
            register: stored.register,
            hospital: stored.hospital,
            status: stored.status,
            version: stored.version,
            values: register.document(&record),
            derived,
            warnings: stored.warnings,
            updated_at: stored.updated_at,
            updated_by: stored.updated_by,
        }
    }
}

/// A finding as it is stored with a version.
pub(crate) fn finding_json(finding: &Finding) -> Json {
    serde_json::to_value(finding).unwrap_or(Json::Null)
}
