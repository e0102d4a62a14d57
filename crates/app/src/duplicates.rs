//! Duplicate detection before a new registration is saved: the same person (by the HMAC
//! look-up key) with onset within seven days of an existing registration is most likely the
//! same stroke, so the registrar must say it is a new event before it is stored.

use jiff::civil::Date;
use kvalreg_core::definition::Register;
use kvalreg_core::messages::Text;
use kvalreg_core::time::{days_between, oslo_date, parse_moment};
use kvalreg_core::validation::{Context, Finding, Severity};
use kvalreg_core::value::{Record, Value};
use kvalreg_store::{Registration, Scope, Status};
use serde_json::{Map, Value as Json};

use crate::platform::NewRegistration;
use crate::{AppError, Platform, Saved};

/// Registrations of one person whose onsets are at most this many days apart are flagged.
pub const DUPLICATE_WINDOW_DAYS: i64 = 7;

/// The variable that dates the event for duplicate detection and follow-up: `onset_time`
/// where the register has it, otherwise the register's period variable.
pub(crate) fn onset_variable(register: &Register) -> &str {
    if register.variable("onset_time").is_some() {
        "onset_time"
    } else {
        &register.period_variable
    }
}

/// The Europe/Oslo day of a stored date or point in time, if it reads as one.
pub(crate) fn stored_day(data: &Map<String, Json>, field: &str) -> Option<Date> {
    let text = data.get(field)?.as_str()?;
    parse_moment(text).ok().map(|m| oslo_date(&m))
}

fn record_day(record: &Record, field: &str) -> Option<Date> {
    match record.get(field)? {
        Value::Datetime(m) => Some(oslo_date(m)),
        Value::Date(d) => Some(*d),
        _ => None,
    }
}

/// The finding that refuses a probable duplicate, naming the registration it resembles.
fn possible_duplicate(register: &Register, existing: &Registration) -> Finding {
    let onset = stored_day(&existing.data, onset_variable(register))
        .map(kvalreg_core::time::format_date_norwegian)
        .unwrap_or_default();
    let message = Text::new(
        format!(
            "Personen har allerede registreringen {} (sykehus {}, symptomdebut {onset}) innen {DUPLICATE_WINDOW_DAYS} dager; \
             bekreft at dette er et nytt slag, eller åpne den eksisterende registreringen",
            existing.id, existing.hospital
        ),
        format!(
            "The person already has registration {} (hospital {}, onset {onset}) within {DUPLICATE_WINDOW_DAYS} days; \
             confirm that this is a new stroke, or open the existing registration",
            existing.id, existing.hospital
        ),
    );
    Finding::new(
        &register.person_variable,
        "possible_duplicate",
        Severity::Error,
        message,
    )
}

impl Platform {
    /// Registrations of the same person in the register (every hospital) with onset within
    /// [`DUPLICATE_WINDOW_DAYS`] of the document's onset. Empty when the document has no
    /// readable person or onset (validation reports those).
    pub async fn possible_duplicates(
        &self,
        register: &str,
        doc: &Map<String, Json>,
    ) -> Result<Vec<Registration>, AppError> {
        let register = self.register(register)?;
        let hospitals = self.hospital_codes().await?;
        let (record, _) = register.read_document(doc, &Context { hospitals: &hospitals });
        self.duplicates_of(register, &record).await
    }

    /// [`Platform::possible_duplicates`] of a record already read.
    pub(crate) async fn duplicates_of(
        &self,
        register: &Register,
        record: &Record,
    ) -> Result<Vec<Registration>, AppError> {
        let (Some(Value::Text(person)), Some(onset)) = (
            record.get(&register.person_variable),
            record_day(record, onset_variable(register)),
        ) else {
            return Ok(Vec::new());
        };
        let key = self.keys.lookup_key(person);
        let same_person = self
            .store
            .find_by_person(&Scope::AllHospitals, &register.id, &key)
            .await?;
        Ok(same_person
            .into_iter()
            .filter(|r| {
                stored_day(&r.data, onset_variable(register))
                    .is_some_and(|day| days_between(day, onset).abs() <= DUPLICATE_WINDOW_DAYS)
            })
            .collect())
    }

    /// Creates a registration after duplicate detection: a probable duplicate is refused
    /// with a `possible_duplicate` finding per matching registration unless the registrar
    /// confirmed it is a new event. The document is validated first.
    pub async fn create_checked(
        &self,
        scope: &Scope,
        register: &str,
        doc: Map<String, Json>,
        status: Status,
        actor: &str,
        confirm_new_event: bool,
    ) -> Result<Saved, AppError> {
        let new = NewRegistration {
            scope,
            register: self.register(register)?,
            doc,
            status,
            actor,
        };
        self.save_new(new, !confirm_new_event).await
    }

    /// The finding for each registration `record` probably duplicates, if any.
    pub(crate) async fn refuse_duplicates(&self, register: &Register, record: &Record) -> Result<(), AppError> {
        let duplicates = self.duplicates_of(register, record).await?;
        if duplicates.is_empty() {
            return Ok(());
        }
        Err(AppError::Invalid(
            duplicates.iter().map(|r| possible_duplicate(register, r)).collect(),
        ))
    }
}
