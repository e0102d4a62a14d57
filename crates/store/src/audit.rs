//! The audit log as a hash chain: what was done, by whom, to which registration, and proof
//! that no entry was altered, removed or reordered since.
//!
//! # The chain
//!
//! Entries are numbered 1, 2, 3, … without gaps (the writer gives the number while it holds
//! the backend's write lock, so concurrent writers still form one chain). Each entry stores
//! the hash of the entry before it (`prev_hash`; 64 zeros for entry 1) and its own `hash`:
//!
//! ```text
//! hash = lower-case hex of SHA-256( JSON array
//!     [seq, at, actor, action, register, registration_id, hospital, detail, prev_hash] )
//! ```
//!
//! serialised by serde_json in compact form: `seq` a number, `at` RFC 3339 UTC with six
//! fraction digits, absent `register`/`registration_id`/`hospital` as `null`, the id in
//! hyphenated lower case, and `detail` as the JSON *text* the entry stores (itself compact,
//! object keys sorted), so the hash is computed over exactly the bytes in the database on
//! both backends. JSON string escaping keeps field boundaries unambiguous.
//!
//! [`Verifier`] walks the entries in order and names the first entry whose number is not
//! the next one (a removed or reordered entry), whose `prev_hash` is not the hash before it,
//! or whose `hash` does not match its fields (an altered entry). Removing the newest entries
//! leaves a valid shorter chain: an operator who records the head hash `verify` prints can
//! detect that too.

use jiff::Timestamp;
use serde::Serialize;
use serde_json::{Map, Value as Json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use sqlx::{Database, Encode, QueryBuilder, Type};

use crate::record::{Pending, now, status_text, timestamp_text};
use crate::{AuditFilter as Filter, Result, Status, StoreError};

/// `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An event to record. Writes record their own; callers record reads of identifiable data,
/// exports, sign-ins and permission changes with `Store::audit`.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// Who (user name or system).
    pub actor: String,
    /// What, as a dotted name (`registration.read`, `export`, `reservation.add`).
    pub action: String,
    pub register: Option<String>,
    pub registration_id: Option<Uuid>,
    pub hospital: Option<String>,
    /// Further facts, never a national id or its protected forms.
    pub detail: Map<String, Json>,
}

impl AuditEntry {
    /// An entry with no register, registration, hospital or detail.
    pub fn new(actor: &str, action: &str) -> Self {
        AuditEntry {
            actor: actor.to_owned(),
            action: action.to_owned(),
            register: None,
            registration_id: None,
            hospital: None,
            detail: Map::new(),
        }
    }
}

/// A stored audit entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecord {
    pub seq: i64,
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub register: Option<String>,
    pub registration_id: Option<Uuid>,
    pub hospital: Option<String>,
    /// The canonical JSON text of the detail.
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// What an auditor searches for; every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub register: Option<String>,
    pub registration_id: Option<Uuid>,
    pub hospital: Option<String>,
    /// Only entries numbered above this.
    pub after_seq: Option<i64>,
    /// At most this many entries, oldest first; 0 means no limit.
    pub limit: u32,
}

/// What is wrong with the first bad entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditProblem {
    /// Entry `seq` is missing (the next stored entry has a higher number) or out of order.
    Missing,
    /// The entry does not point at the hash of the entry before it.
    BrokenLink,
    /// The entry's fields do not give its hash: it was altered.
    Altered,
}

/// The outcome of checking the whole chain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditReport {
    /// Entries read.
    pub entries: u64,
    /// The hash of the last entry (GENESIS for an empty log), to record outside the database.
    pub head: String,
    /// The first bad entry and why, if any.
    pub first_bad: Option<(i64, AuditProblem)>,
}

/// Keys sorted at every level, compact.
fn canonical_json(value: &Json) -> Json {
    match value {
        Json::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Json::Object(keys.into_iter().map(|k| (k.clone(), canonical_json(&map[k]))).collect())
        }
        Json::Array(items) => Json::Array(items.iter().map(canonical_json).collect()),
        other => other.clone(),
    }
}

/// The hash of an entry's fields and the hash before it (see the module documentation).
pub(crate) fn entry_hash(record: &AuditRecord) -> String {
    let fields = serde_json::json!([
        record.seq,
        timestamp_text(record.at),
        record.actor,
        record.action,
        record.register,
        record.registration_id.map(|id| id.hyphenated().to_string()),
        record.hospital,
        record.detail,
        record.prev_hash,
    ]);
    hex::encode(Sha256::digest(fields.to_string().as_bytes()))
}

/// Numbers and hashes `entries` after the entry `head` (`None` for an empty log), all at one
/// instant.
pub(crate) fn chain(head: Option<(i64, String)>, entries: Vec<AuditEntry>) -> Vec<AuditRecord> {
    let at = now();
    let (mut seq, mut prev) = head.unwrap_or((0, GENESIS.to_owned()));
    entries
        .into_iter()
        .map(|entry| {
            seq += 1;
            let mut record = AuditRecord {
                seq,
                at,
                actor: entry.actor,
                action: entry.action,
                register: entry.register,
                registration_id: entry.registration_id,
                hospital: entry.hospital,
                detail: canonical_json(&Json::Object(entry.detail)).to_string(),
                prev_hash: prev.clone(),
                hash: String::new(),
            };
            record.hash = entry_hash(&record);
            prev = record.hash.clone();
            record
        })
        .collect()
}

/// Checks entries fed in stored order, remembering only the first problem.
#[derive(Debug)]
pub(crate) struct Verifier {
    entries: u64,
    expected_seq: i64,
    prev: String,
    first_bad: Option<(i64, AuditProblem)>,
}

impl Verifier {
    pub(crate) fn new() -> Self {
        Verifier {
            entries: 0,
            expected_seq: 1,
            prev: GENESIS.to_owned(),
            first_bad: None,
        }
    }

    pub(crate) fn feed(&mut self, record: &AuditRecord) {
        self.entries += 1;
        if self.first_bad.is_none() {
            if record.seq != self.expected_seq {
                self.first_bad = Some((self.expected_seq, AuditProblem::Missing));
            } else if record.prev_hash != self.prev {
                self.first_bad = Some((record.seq, AuditProblem::BrokenLink));
            } else if entry_hash(record) != record.hash {
                self.first_bad = Some((record.seq, AuditProblem::Altered));
            }
        }
        self.expected_seq = record.seq + 1;
        self.prev = record.hash.clone();
    }

    pub(crate) fn report(self) -> AuditReport {
        AuditReport {
            entries: self.entries,
            head: self.prev,
            first_bad: self.first_bad,
        }
    }
}

/// An audit row as both backends select it (timestamps and ids as text).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct AuditRow {
    seq: i64,
    at: String,
    actor: String,
    action: String,
    register: Option<String>,
    registration_id: Option<String>,
    hospital: Option<String>,
    detail: String,
    prev_hash: String,
    hash: String,
}

impl AuditRow {
    pub(crate) fn seq(&self) -> i64 {
        self.seq
    }

    pub(crate) fn into_record(self) -> Result<AuditRecord> {
        let at = self
            .at
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("audit entry {} time {:?}: {e}", self.seq, self.at)))?;
        let registration_id = match self.registration_id {
            Some(text) => Some(
                Uuid::parse_str(&text)
                    .map_err(|e| StoreError::Corrupt(format!("audit entry {} registration {text:?}: {e}", self.seq)))?,
            ),
            None => None,
        };
        Ok(AuditRecord {
            seq: self.seq,
            at,
            actor: self.actor,
            action: self.action,
            register: self.register,
            registration_id,
            hospital: self.hospital,
            detail: self.detail,
            prev_hash: self.prev_hash,
            hash: self.hash,
        })
    }
}

/// The entry a registration write leaves (`registration.create`, `.import`, `.update`).
pub(crate) fn write_entry(pending: &Pending, action: &str) -> AuditEntry {
    let write = &pending.write;
    let version = (pending.version, write.status);
    registration_entry(
        (&write.actor, action),
        &write.register,
        pending.id,
        &write.hospital,
        version,
    )
}

/// The entry of a registration write: (actor, action), where, and (version, status).
pub(crate) fn registration_entry(
    (actor, action): (&str, &str),
    register: &str,
    id: Uuid,
    hospital: &str,
    (version, status): (i64, Status),
) -> AuditEntry {
    let mut detail = Map::new();
    detail.insert("version".into(), Json::from(version));
    detail.insert("status".into(), Json::from(status_text(status)));
    AuditEntry {
        actor: actor.to_owned(),
        action: action.to_owned(),
        register: Some(register.to_owned()),
        registration_id: Some(id),
        hospital: Some(hospital.to_owned()),
        detail,
    }
}

/// The entry of a reservation or its withdrawal: the register and a count, never the person.
pub(crate) fn reservation_entry(actor: &str, action: &str, register: &str, fact: (&str, Json)) -> AuditEntry {
    let mut entry = AuditEntry::new(actor, action);
    entry.register = Some(register.to_owned());
    entry.detail.insert(fact.0.to_owned(), fact.1);
    entry
}

/// Appends ` WHERE …` for an auditor's filter and the ordering and limit; `uuid` is the
/// cast a registration id parameter needs.
pub(crate) fn push_filter<DB>(qb: &mut QueryBuilder<DB>, filter: &Filter, uuid: &str)
where
    DB: Database,
    String: for<'q> Encode<'q, DB> + Type<DB>,
    i64: for<'q> Encode<'q, DB> + Type<DB>,
{
    qb.push(" WHERE seq > ");
    qb.push_bind(filter.after_seq.unwrap_or(0));
    let texts = [
        ("actor", &filter.actor),
        ("action", &filter.action),
        ("register", &filter.register),
        ("hospital", &filter.hospital),
    ];
    for (column, value) in texts {
        if let Some(value) = value {
            qb.push(format!(" AND {column} = "));
            qb.push_bind(value.clone());
        }
    }
    if let Some(id) = filter.registration_id {
        qb.push(" AND registration_id = ");
        qb.push_bind(id.hyphenated().to_string());
        qb.push(uuid);
    }
    qb.push(" ORDER BY seq");
    if filter.limit > 0 {
        qb.push(" LIMIT ");
        qb.push_bind(i64::from(filter.limit));
    }
}

/// Entries read per query while verifying, so memory stays bounded.
pub(crate) const VERIFY_PAGE: i64 = 10_000;

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(action: &str) -> AuditEntry {
        let mut e = AuditEntry::new("tester", action);
        e.detail.insert("b".into(), Json::from(2));
        e.detail.insert("a".into(), Json::from("x"));
        e
    }

    fn verify(records: &[AuditRecord]) -> AuditReport {
        let mut v = Verifier::new();
        records.iter().for_each(|r| v.feed(r));
        v.report()
    }

    #[test]
    fn detail_is_canonical_and_the_chain_verifies() {
        let records = chain(None, vec![entry("one"), entry("two"), entry("three")]);
        assert_eq!(records[0].detail, r#"{"a":"x","b":2}"#);
        assert_eq!(records[0].prev_hash, GENESIS);
        assert_eq!(records[1].prev_hash, records[0].hash);
        let report = verify(&records);
        assert_eq!(report.first_bad, None);
        assert_eq!(report.entries, 3);
        assert_eq!(report.head, records[2].hash);
        let more = chain(Some((3, report.head.clone())), vec![entry("four")]);
        assert_eq!(more[0].seq, 4);
        assert_eq!(more[0].prev_hash, records[2].hash);
    }

    #[test]
    fn altered_removed_and_swapped_entries_are_named() {
        let records = chain(None, vec![entry("one"), entry("two"), entry("three"), entry("four")]);
        let mut altered = records.clone();
        altered[1].actor = "someone else".into();
        assert_eq!(verify(&altered).first_bad, Some((2, AuditProblem::Altered)));

        let mut removed = records.clone();
        removed.remove(2);
        assert_eq!(verify(&removed).first_bad, Some((3, AuditProblem::Missing)));

        let mut swapped = records.clone();
        swapped.swap(1, 2);
        assert_eq!(verify(&swapped).first_bad, Some((2, AuditProblem::Missing)));

        let mut renumbered = records;
        renumbered.swap(1, 2);
        renumbered[1].seq = 2;
        renumbered[2].seq = 3;
        assert_eq!(verify(&renumbered).first_bad, Some((2, AuditProblem::BrokenLink)));
    }
}
