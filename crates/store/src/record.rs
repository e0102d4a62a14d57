//! Rows as both backends return them, so SQLite and PostgreSQL read and write alike.
//!
//! One place for the text forms of statuses, timestamps and dates, and for a version about
//! to be written (`Pending`).
//!
//! Both backends select ids, dates and timestamps as text (PostgreSQL casts in SQL), so one
//! `FromRow` struct serves both.

use jiff::{Timestamp, civil::Date};
use serde_json::{Map, Value as Json};
use sqlx::types::Json as Jsonb;
use uuid::Uuid;

use crate::{Change, FieldChange, Hospital, ProtectedPerson, Registration, Result, Status, StoreError, Version, Write};

pub(crate) fn status_text(status: Status) -> &'static str {
    match status {
        Status::Draft => "draft",
        Status::Complete => "complete",
        Status::Locked => "locked",
    }
}

fn parse_status(text: &str) -> Result<Status> {
    match text {
        "draft" => Ok(Status::Draft),
        "complete" => Ok(Status::Complete),
        "locked" => Ok(Status::Locked),
        other => Err(StoreError::Corrupt(format!("unknown status {other:?}"))),
    }
}

/// The current instant, cut to microseconds: PostgreSQL keeps no more, and both backends
/// must return what they were given.
pub(crate) fn now() -> Timestamp {
    let now = Timestamp::now();
    Timestamp::from_microsecond(now.as_microsecond()).unwrap_or(now)
}

/// RFC 3339 in UTC with exactly six fraction digits, so text order is time order.
pub(crate) fn timestamp_text(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub(crate) fn parse_timestamp(column: &str, text: &str) -> Result<Timestamp> {
    text.parse()
        .map_err(|e| StoreError::Corrupt(format!("{column} {text:?} is not a timestamp: {e}")))
}

pub(crate) fn date_text(date: Date) -> String {
    date.strftime("%Y-%m-%d").to_string()
}

fn parse_date(text: &str) -> Result<Date> {
    text.parse()
        .map_err(|e| StoreError::Corrupt(format!("event_date {text:?} is not a date: {e}")))
}

fn parse_id(text: &str) -> Result<Uuid> {
    Uuid::parse_str(text).map_err(|e| StoreError::Corrupt(format!("registration id {text:?}: {e}")))
}

/// The current row of a registration.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct RegistrationRow {
    pub id: String,
    pub register: String,
    pub hospital: String,
    pub status: String,
    pub version: i64,
    pub data: Jsonb<Map<String, Json>>,
    pub warnings: Jsonb<Vec<Json>>,
    pub person_lookup_key: Option<String>,
    pub person_ciphertext: Option<Vec<u8>>,
    pub event_date: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub updated_by: String,
}

impl RegistrationRow {
    pub(crate) fn into_registration(self) -> Result<Registration> {
        let person = match (self.person_lookup_key, self.person_ciphertext) {
            (Some(lookup_key), Some(ciphertext)) => Some(ProtectedPerson { lookup_key, ciphertext }),
            (None, None) => None,
            _ => {
                return Err(StoreError::Corrupt(format!(
                    "registration {} has only half of its protected person",
                    self.id
                )));
            }
        };
        Ok(Registration {
            id: parse_id(&self.id)?,
            register: self.register,
            hospital: self.hospital,
            status: parse_status(&self.status)?,
            version: self.version,
            data: self.data.0,
            warnings: self.warnings.0,
            person,
            event_date: self.event_date.as_deref().map(parse_date).transpose()?,
            created_at: parse_timestamp("created_at", &self.created_at)?,
            updated_at: parse_timestamp("updated_at", &self.updated_at)?,
            updated_by: self.updated_by,
        })
    }
}

/// One kept version.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct VersionRow {
    pub registration_id: String,
    pub version: i64,
    pub status: String,
    pub hospital: String,
    pub data: Jsonb<Map<String, Json>>,
    pub warnings: Jsonb<Vec<Json>>,
    /// NULL for version 1, whose changes are all of its fields (see [`Pending::changes`]).
    pub changes: Option<Jsonb<Vec<FieldChange>>>,
    pub changed_by: String,
    pub changed_at: String,
    pub reason: Option<String>,
}

impl VersionRow {
    pub(crate) fn into_version(self) -> Result<Version> {
        let status = parse_status(&self.status)?;
        let changes = match (self.changes, self.version) {
            (Some(stored), _) => stored.0,
            (None, 1) => crate::diff::changes(
                None,
                crate::diff::Side {
                    status,
                    hospital: &self.hospital,
                    data: &self.data.0,
                },
            ),
            (None, n) => {
                return Err(StoreError::Corrupt(format!(
                    "version {n} of registration {} has no list of changes",
                    self.registration_id
                )));
            }
        };
        Ok(Version {
            registration_id: parse_id(&self.registration_id)?,
            version: self.version,
            status,
            hospital: self.hospital,
            data: self.data.0,
            warnings: self.warnings.0,
            changes,
            changed_by: self.changed_by,
            changed_at: parse_timestamp("changed_at", &self.changed_at)?,
            reason: self.reason,
        })
    }
}

/// One entry of the change sequence.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ChangeRow {
    pub seq: i64,
    pub registration_id: String,
    pub register: String,
    pub version: i64,
}

impl ChangeRow {
    pub(crate) fn into_change(self) -> Result<Change> {
        Ok(Change {
            seq: self.seq,
            registration_id: parse_id(&self.registration_id)?,
            register: self.register,
            version: self.version,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct HospitalRow {
    pub code: String,
    pub name: String,
    pub health_trust: String,
    pub health_region: String,
    pub evt_centre: bool,
    pub active: bool,
}

impl From<HospitalRow> for Hospital {
    fn from(row: HospitalRow) -> Self {
        Hospital {
            code: row.code,
            name: row.name,
            health_trust: row.health_trust,
            health_region: row.health_region,
            evt_centre: row.evt_centre,
            active: row.active,
        }
    }
}

/// A version about to be written, with every column in the text form both backends bind.
#[derive(Debug)]
pub(crate) struct Pending {
    pub id: Uuid,
    pub version: i64,
    pub write: Write,
    /// What changed from the previous version; None for version 1.
    pub changes: Option<Vec<FieldChange>>,
    pub created_at: Timestamp,
    pub at: Timestamp,
}

impl Pending {
    /// Version 1 of a new registration.
    pub(crate) fn first(write: Write, at: Timestamp) -> Self {
        Pending {
            id: Uuid::now_v7(),
            version: 1,
            write,
            changes: None,
            created_at: at,
            at,
        }
    }

    /// The version after `current`.
    pub(crate) fn next(current: &Registration, write: Write, at: Timestamp) -> Self {
        let before = crate::diff::Side {
            status: current.status,
            hospital: &current.hospital,
            data: &current.data,
        };
        let changes = Some(crate::diff::changes(Some(before), side(&write)));
        Pending {
            id: current.id,
            version: current.version + 1,
            write,
            changes,
            created_at: current.created_at,
            at,
        }
    }

    /// Whether this is version 1 of a new registration.
    pub(crate) fn is_new(&self) -> bool {
        self.version == 1
    }

    /// The audit action of this version: `created` (`registration.create` or
    /// `registration.import`) for version 1, otherwise `registration.update`.
    pub(crate) fn audit_action<'a>(&self, created: &'a str) -> &'a str {
        if self.is_new() { created } else { "registration.update" }
    }

    pub(crate) fn id_text(&self) -> String {
        self.id.to_string()
    }

    pub(crate) fn status_text(&self) -> &'static str {
        status_text(self.write.status)
    }

    pub(crate) fn data(&self) -> Jsonb<&Map<String, Json>> {
        Jsonb(&self.write.data)
    }

    pub(crate) fn warnings(&self) -> Jsonb<&Vec<Json>> {
        Jsonb(&self.write.warnings)
    }

    /// The stored list of changes. Version 1 stores none: its changes are every field it has,
    /// computed again when read, which spares an import from writing each document a third
    /// time (about a third of its time).
    pub(crate) fn changes(&self) -> Option<Jsonb<&Vec<FieldChange>>> {
        self.changes.as_ref().map(Jsonb)
    }

    pub(crate) fn lookup_key(&self) -> Option<&str> {
        self.write.person.as_ref().map(|p| p.lookup_key.as_str())
    }

    pub(crate) fn ciphertext(&self) -> Option<&[u8]> {
        self.write.person.as_ref().map(|p| p.ciphertext.as_slice())
    }

    pub(crate) fn event_date_text(&self) -> Option<String> {
        self.write.event_date.map(date_text)
    }

    pub(crate) fn created_at_text(&self) -> String {
        timestamp_text(self.created_at)
    }

    pub(crate) fn at_text(&self) -> String {
        timestamp_text(self.at)
    }

    /// The registration as it reads once this version is committed, keeping the version.
    pub(crate) fn registration(&self) -> Registration {
        Registration {
            id: self.id,
            register: self.write.register.clone(),
            hospital: self.write.hospital.clone(),
            status: self.write.status,
            version: self.version,
            data: self.write.data.clone(),
            warnings: self.write.warnings.clone(),
            person: self.write.person.clone(),
            event_date: self.write.event_date,
            created_at: self.created_at,
            updated_at: self.at,
            updated_by: self.write.actor.clone(),
        }
    }

    /// The registration as it reads once this version is committed.
    pub(crate) fn into_registration(self) -> Registration {
        Registration {
            id: self.id,
            register: self.write.register,
            hospital: self.write.hospital,
            status: self.write.status,
            version: self.version,
            data: self.write.data,
            warnings: self.write.warnings,
            person: self.write.person,
            event_date: self.write.event_date,
            created_at: self.created_at,
            updated_at: self.at,
            updated_by: self.write.actor,
        }
    }
}

/// Version 1 of each write, `size` at a time, made only when reached so that a large import
/// never holds its registrations twice.
pub(crate) fn first_versions(
    writes: Vec<Write>,
    at: Timestamp,
    size: usize,
) -> impl Iterator<Item = Vec<Pending>> + Send {
    let mut writes = writes.into_iter();
    std::iter::from_fn(move || {
        let chunk: Vec<Pending> = writes
            .by_ref()
            .take(size)
            .map(|write| Pending::first(write, at))
            .collect();
        (!chunk.is_empty()).then_some(chunk)
    })
}

/// An entry of the change sequence about to be written.
#[derive(Debug)]
pub(crate) struct ChangeEntry {
    pub id: String,
    pub register: String,
    pub version: i64,
}

impl From<&Pending> for ChangeEntry {
    fn from(p: &Pending) -> Self {
        ChangeEntry {
            id: p.id_text(),
            register: p.write.register.clone(),
            version: p.version,
        }
    }
}

/// The distinct hospitals a batch of writes names.
pub(crate) fn hospitals_of(writes: &[Write]) -> std::collections::BTreeSet<&str> {
    writes.iter().map(|w| w.hospital.as_str()).collect()
}

fn side(write: &Write) -> crate::diff::Side<'_> {
    crate::diff::Side {
        status: write.status,
        hospital: &write.hospital,
        data: &write.data,
    }
}
