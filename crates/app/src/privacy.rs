//! A person's reservation (opt-out) against a register, and audited reads of identifiable
//! data: the parts of identity protection that go beyond encrypting the national id.

use kvalreg_core::definition::Register;
use kvalreg_core::messages::Text;
use kvalreg_core::national_id;
use kvalreg_core::validation::{Finding, Severity};
use kvalreg_store::{AuditEntry, Scope, StoreError};
use serde_json::Value as Json;
use uuid::Uuid;

use crate::{AppError, Platform, RegistrationView};

/// The rule a registration of a reserved person breaks.
pub const RESERVED_RULE: &str = "reserved";

/// The finding that refuses a registration of a person who has reserved themselves.
pub(crate) fn reserved_finding(register: &Register) -> Finding {
    Finding::new(
        &register.person_variable,
        RESERVED_RULE,
        Severity::Error,
        Text::new(
            format!(
                "Personen har reservert seg mot registrering i {}; registreringen kan ikke lagres",
                register.id
            ),
            format!(
                "The person has reserved themselves against registration in {}; the registration cannot be stored",
                register.id
            ),
        ),
    )
}

/// A store refusal as the registrar should see it: a reservation becomes a finding on the
/// person field; anything else passes through.
pub(crate) fn refusal(register: &Register, error: StoreError) -> AppError {
    match error {
        StoreError::Reserved { .. } => AppError::Invalid(vec![reserved_finding(register)]),
        other => AppError::from(other),
    }
}

impl Platform {
    /// The HMAC look-up key of a national id given in clear text, or the finding naming the
    /// rule it breaks.
    fn person_key(&self, register: &Register, national_id: &str) -> Result<String, AppError> {
        match national_id::parse(national_id) {
            Ok(id) => Ok(self.keys.lookup_key(&id.normalized)),
            Err(e) => Err(AppError::Invalid(vec![Finding::new(
                &register.person_variable,
                e.rule,
                Severity::Error,
                Text::new(e.message_nb, e.message_en),
            )])),
        }
    }

    /// Records a person's reservation against a register: every registration of theirs in
    /// it is deleted with all its versions, only the look-up key is kept, and the audit entry
    /// names neither the person nor the key. Returns how many registrations were deleted.
    pub async fn reserve(&self, register: &str, national_id: &str, actor: &str) -> Result<u64, AppError> {
        let register = self.register(register)?;
        let key = self.person_key(register, national_id)?;
        Ok(self.store.reserve(&register.id, &key, actor).await?)
    }

    /// Withdraws a reservation (audited); false if the person had none.
    pub async fn withdraw_reservation(&self, register: &str, national_id: &str, actor: &str) -> Result<bool, AppError> {
        let register = self.register(register)?;
        let key = self.person_key(register, national_id)?;
        Ok(self.store.withdraw_reservation(&register.id, &key, actor).await?)
    }

    /// [`Platform::get`] for a person: the read of identifiable data is audited
    /// (`registration.read`, with the purpose given) before the registration is returned.
    pub async fn read(
        &self,
        scope: &Scope,
        register: &str,
        id: Uuid,
        actor: &str,
        purpose: &str,
    ) -> Result<RegistrationView, AppError> {
        let view = self.get(scope, register, id).await?;
        let mut entry = AuditEntry::new(actor, "registration.read");
        entry.register = Some(view.register.clone());
        entry.registration_id = Some(id);
        entry.hospital = Some(view.hospital.clone());
        entry.detail.insert("purpose".into(), Json::from(purpose));
        self.store.audit(entry).await?;
        Ok(view)
    }

    /// Audits an export of a register's registrations (`export`, with the file format).
    pub(crate) async fn audit_export(&self, register: &str, actor: &str, format: &str) -> Result<(), AppError> {
        let mut entry = AuditEntry::new(actor, "export");
        entry.register = Some(register.to_owned());
        entry.detail.insert("format".into(), Json::from(format));
        self.store.audit(entry).await?;
        Ok(())
    }
}
