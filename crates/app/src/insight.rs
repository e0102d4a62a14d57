//! Patient insight: for one person, what every register holds about them and every access
//! to it recorded in the audit log (who, what, hospital, when, why), for register staff to
//! hand over or the person to read. The look-up itself is audited without the national id.

use kvalreg_core::messages::Text;
use kvalreg_core::national_id;
use kvalreg_core::validation::{Finding, Severity};
use kvalreg_store::{AuditEntry, AuditFilter, AuditRecord, Scope};
use serde_json::Value as Json;

use crate::{AppError, Platform, RegistrationView};

/// One registration of the person with every audit entry that names it, oldest first.
#[derive(Debug, Clone)]
pub struct HeldRegistration {
    pub registration: RegistrationView,
    pub accesses: Vec<AuditRecord>,
}

/// What the registers hold about one person.
#[derive(Debug, Clone)]
pub struct Insight {
    /// Per register (id, title in both languages): its registrations of the person.
    pub registers: Vec<(String, Text, Vec<HeldRegistration>)>,
}

impl Platform {
    /// The insight report of the person with `national_id`, over the registers `scope_of`
    /// lets the caller see (a register admin: the whole register). A malformed id is refused
    /// naming the rule it breaks. Audited as `insight.lookup` with the registrations shown.
    pub async fn insight(
        &self,
        national_id: &str,
        scope_of: impl Fn(&str) -> Scope,
        actor: &str,
    ) -> Result<Insight, AppError> {
        let id = national_id::parse(national_id).map_err(|e| {
            AppError::Invalid(vec![Finding::new(
                "national_id",
                e.rule,
                Severity::Error,
                Text::new(e.message_nb, e.message_en),
            )])
        })?;
        let key = self.keys.lookup_key(&id.normalized);
        let hospitals = self.hospital_codes().await?;
        let ctx = kvalreg_core::validation::Context { hospitals: &hospitals };
        let mut registers = Vec::new();
        let mut shown = Vec::new();
        for register in self.registers() {
            let scope = scope_of(&register.id);
            if scope == Scope::Hospitals(Default::default()) {
                continue;
            }
            let mut held = Vec::new();
            for stored in self.store.find_by_person(&scope, &register.id, &key).await? {
                let filter = AuditFilter {
                    registration_id: Some(stored.id),
                    ..AuditFilter::default()
                };
                let accesses = self.store.audit_entries(&filter).await?;
                shown.push(Json::from(stored.id.to_string()));
                held.push(HeldRegistration {
                    registration: self.view(register, stored, &ctx)?,
                    accesses,
                });
            }
            registers.push((register.id.clone(), register.title.clone(), held));
        }
        let mut entry = AuditEntry::new(actor, "insight.lookup");
        entry.detail.insert("registrations".into(), Json::Array(shown));
        self.store.audit(entry).await?;
        Ok(Insight { registers })
    }
}
