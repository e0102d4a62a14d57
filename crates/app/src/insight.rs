//! Patient insight: for one person, what every register holds about them and every access
//! to it recorded in the audit log (who, what, hospital, when, why), for register staff to
//! hand over or the person to read. The look-up itself is audited without the national id.

use std::collections::{BTreeMap, BTreeSet};

use kvalreg_core::messages::Text;
use kvalreg_core::national_id;
use kvalreg_core::validation::{Finding, Severity};
use kvalreg_store::{AuditEntry, AuditFilter, AuditRecord, Reservation, Scope};
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
    /// The registers the person has reserved themselves against, and since when.
    pub reservations: Vec<Reservation>,
    /// The roles of each user or system named in the accesses (`registrar, unit_lead`).
    pub roles: BTreeMap<String, String>,
}

impl Insight {
    /// The roles of whoever an access names, or empty for the platform itself.
    pub fn roles_of(&self, actor: &str) -> &str {
        self.roles.get(actor).map_or("", String::as_str)
    }
}

/// Why an access happened, as its audit entry says (`purpose` or `reason`), or empty.
pub fn purpose_of(access: &AuditRecord) -> String {
    serde_json::from_str::<Json>(&access.detail)
        .ok()
        .and_then(|d| {
            d.get("purpose")
                .or(d.get("reason"))
                .and_then(Json::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_default()
}

/// The finding for a national id that does not parse, naming the rule it breaks.
pub(crate) fn national_id_finding(field: &str, e: national_id::IdError) -> AppError {
    AppError::Invalid(vec![Finding::new(
        field,
        e.rule,
        Severity::Error,
        Text::new(e.message_nb, e.message_en),
    )])
}

impl Platform {
    /// The HMAC look-up key of a national id in clear text, or the finding refusing it.
    pub(crate) fn insight_key(&self, national_id: &str) -> Result<String, AppError> {
        let id = national_id::parse(national_id).map_err(|e| national_id_finding("national_id", e))?;
        Ok(self.keys.lookup_key(&id.normalized))
    }

    /// The insight report of the person with `national_id`, over the registers `scope_of`
    /// lets the caller see (a register admin: the whole register). A malformed id is refused
    /// naming the rule it breaks. Audited as `insight.lookup` with the registrations shown.
    pub async fn insight(
        &self,
        national_id: &str,
        scope_of: impl Fn(&str) -> Scope,
        actor: &str,
    ) -> Result<Insight, AppError> {
        let key = self.insight_key(national_id)?;
        self.insight_of_key(&key, scope_of, actor).await
    }

    /// [`Platform::insight`] for a person known by their look-up key.
    pub(crate) async fn insight_of_key(
        &self,
        key: &str,
        scope_of: impl Fn(&str) -> Scope,
        actor: &str,
    ) -> Result<Insight, AppError> {
        let hospitals = self.hospital_codes().await?;
        let ctx = kvalreg_core::validation::Context { hospitals: &hospitals };
        let mut registers = Vec::new();
        let mut shown = Vec::new();
        let mut actors = BTreeSet::new();
        for register in self.registers() {
            let scope = scope_of(&register.id);
            if scope == Scope::Hospitals(Default::default()) {
                continue;
            }
            let mut held = Vec::new();
            for stored in self.store.find_by_person(&scope, &register.id, key).await? {
                let filter = AuditFilter {
                    registration_id: Some(stored.id),
                    ..AuditFilter::default()
                };
                let accesses = self.store.audit_entries(&filter).await?;
                actors.extend(accesses.iter().map(|a| a.actor.clone()));
                shown.push(Json::from(stored.id.to_string()));
                held.push(HeldRegistration {
                    registration: self.view(register, stored, &ctx)?,
                    accesses,
                });
            }
            registers.push((register.id.clone(), register.title.clone(), held));
        }
        let reservations = self.store.reservations_of(key).await?;
        let roles = self.roles_of(&actors).await?;
        let mut entry = AuditEntry::new(actor, "insight.lookup");
        entry.detail.insert("registrations".into(), Json::Array(shown));
        self.store.audit(entry).await?;
        Ok(Insight {
            registers,
            reservations,
            roles,
        })
    }

    /// The role names of each user and token among `actors` (tokens as `token:<name>`).
    async fn roles_of(&self, actors: &BTreeSet<String>) -> Result<BTreeMap<String, String>, AppError> {
        let mut roles = BTreeMap::new();
        let mut add = |name: String, grants: Vec<kvalreg_store::Grant>| {
            if actors.contains(&name) {
                let names: BTreeSet<&str> = grants.iter().map(|g| g.role.name()).collect();
                roles.insert(name, names.into_iter().collect::<Vec<_>>().join(", "));
            }
        };
        for user in self.store.users().await? {
            add(user.name, user.grants);
        }
        for token in self.store.tokens().await? {
            add(format!("token:{}", token.name), vec![token.grant]);
        }
        Ok(roles)
    }
}
