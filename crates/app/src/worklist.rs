//! A hospital's worklist: what its registrars still have to do — drafts, drafts that lack
//! data for completion, and 3-month follow-ups that are due.

use jiff::civil::Date;
use kvalreg_core::validation::{Context, Stage};
use kvalreg_store::{Filter, Registration, Scope, Status};
use serde::Serialize;
use serde_json::Value as Json;
use uuid::Uuid;

use crate::duplicates::{onset_variable, stored_day};
use crate::{AppError, Platform};

/// A follow-up is due from this many days after onset ...
pub const FOLLOW_UP_FROM_DAYS: i64 = 80;
/// ... up to and including this many days.
pub const FOLLOW_UP_TO_DAYS: i64 = 120;

/// One registration on a worklist.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkItem {
    pub id: Uuid,
    pub version: i64,
    pub status: Status,
    /// The onset day, if known.
    pub onset: Option<Date>,
    /// Fields that fail completion (only on the missing-data list).
    pub missing: Vec<String>,
}

/// A hospital's worklist, each list in creation order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Worklist {
    pub hospital: String,
    pub drafts: Vec<WorkItem>,
    /// Drafts whose values do not yet pass the completion rules (complete registrations
    /// never lack data).
    pub missing_data: Vec<WorkItem>,
    /// Onset 80–120 days before `today`, follow-up not recorded, the patient not dead.
    pub follow_ups_due: Vec<WorkItem>,
}

fn item(register: &kvalreg_core::definition::Register, r: &Registration, missing: Vec<String>) -> WorkItem {
    WorkItem {
        id: r.id,
        version: r.version,
        status: r.status,
        onset: stored_day(&r.data, onset_variable(register)),
        missing,
    }
}

/// Whether a stored registration says the patient died (a death date, or discharged dead).
fn died(r: &Registration) -> bool {
    let present = |field: &str| r.data.get(field).is_some_and(|v| !v.is_null());
    present("death_date") || r.data.get("discharge_destination") == Some(&Json::String("died".into()))
}

impl Platform {
    /// The worklist of one hospital on `today` (Europe/Oslo date).
    pub async fn worklist(
        &self,
        scope: &Scope,
        register: &str,
        hospital: &str,
        today: Date,
    ) -> Result<Worklist, AppError> {
        let register = self.register(register)?;
        let filter = Filter {
            register: register.id.clone(),
            hospital: Some(hospital.to_owned()),
            ..Filter::default()
        };
        let stored = self.store.list(scope, &filter).await?;
        let hospitals = self.hospital_codes().await?;
        let ctx = Context { hospitals: &hospitals };
        let mut list = Worklist {
            hospital: hospital.to_owned(),
            drafts: Vec::new(),
            missing_data: Vec::new(),
            follow_ups_due: Vec::new(),
        };
        for r in &stored {
            if r.status == Status::Draft {
                list.drafts.push(item(register, r, Vec::new()));
                let record = self.stored_record(register, r, &ctx)?;
                let mut missing: Vec<String> = register
                    .validate(&record, Stage::Complete, &ctx)
                    .errors
                    .into_iter()
                    .map(|f| f.field)
                    .collect();
                missing.dedup();
                if !missing.is_empty() {
                    list.missing_data.push(item(register, r, missing));
                }
            }
            let fu_recorded = r.data.get("fu_done").is_some_and(|v| !v.is_null());
            let due = stored_day(&r.data, onset_variable(register)).is_some_and(|onset| {
                let days = kvalreg_core::time::days_between(onset, today);
                (FOLLOW_UP_FROM_DAYS..=FOLLOW_UP_TO_DAYS).contains(&days)
            });
            if due && !fu_recorded && !died(r) {
                list.follow_ups_due.push(item(register, r, Vec::new()));
            }
        }
        Ok(list)
    }
}
