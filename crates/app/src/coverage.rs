//! Coverage of a register (docs/indicators.md, "Coverage"): the national patient register's
//! list of stroke admissions read with every line checked, all-or-nothing, each national id
//! turned into the same look-up key the store keeps (so no clear id goes further), and
//! linked with the register's complete and locked registrations.

use std::collections::BTreeSet;

use kvalreg_analytics::{CoverageResult, Stay, coverage};
use kvalreg_core::identity::IdentityKeys;
use kvalreg_core::messages::Text;
use kvalreg_core::{national_id, time};
use kvalreg_store::{Filter, Scope, Status};

use crate::indicators::units;
use crate::{AppError, LineProblem, Platform};

/// Registrations read per page.
const PAGE: u32 = 5000;

/// Coverage per hospital, trust, region, nation and year of `register`'s complete and locked
/// registrations against the patient register's CSV (see [`read_patient_register`]).
pub async fn coverage_of(
    platform: &Platform,
    register: &str,
    patient_register_csv: &str,
) -> Result<Vec<CoverageResult>, AppError> {
    platform.register(register)?;
    let hospitals = platform.hospital_codes().await?;
    let admissions = read_patient_register(patient_register_csv, &hospitals, &platform.keys)?;
    let registrations = register_stays(platform, register).await?;
    Ok(coverage(&registrations, &admissions, &units(platform).await?))
}

/// The register's complete and locked registrations as stays: the person's look-up key as
/// the store keeps it, the registering hospital and the period date (arrival). A
/// registration without a national id or a period date cannot be linked and is left out.
pub async fn register_stays(platform: &Platform, register: &str) -> Result<Vec<Stay>, AppError> {
    let mut stays = Vec::new();
    for status in [Status::Complete, Status::Locked] {
        let mut filter = Filter {
            register: register.to_string(),
            status: Some(status),
            limit: PAGE,
            ..Filter::default()
        };
        loop {
            let page = platform.store.list(&Scope::AllHospitals, &filter).await?;
            let Some(last) = page.last().map(|r| r.id) else {
                break;
            };
            for stored in page {
                if let (Some(person), Some(date)) = (stored.person, stored.event_date) {
                    stays.push(Stay {
                        person: person.lookup_key,
                        hospital: stored.hospital,
                        date,
                    });
                }
            }
            filter.after = Some(last);
        }
    }
    Ok(stays)
}

/// The columns the file must have (in any order; others are refused).
pub const PATIENT_REGISTER_COLUMNS: [&str; 3] = ["national_id", "hospital", "admission_date"];

fn problem(line: usize, field: &str, rule: &str, message: Text) -> LineProblem {
    LineProblem {
        line,
        field: field.to_string(),
        rule: rule.to_string(),
        message_nb: message.nb,
        message_en: message.en,
    }
}

/// Reads the patient register's CSV (header `national_id,hospital,admission_date`, line 1):
/// each national id must be valid, each hospital a code of `hospitals`, each date a date
/// (`2024-03-31` or `31.03.2024`). Any bad line refuses the whole file, with every problem's
/// line, field and rule ([`AppError::ImportRefused`]). Persons come back as look-up keys.
pub fn read_patient_register(
    text: &str,
    hospitals: &BTreeSet<String>,
    keys: &IdentityKeys,
) -> Result<Vec<Stay>, AppError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let refused = |problems: Vec<LineProblem>, total_lines: usize| AppError::ImportRefused { problems, total_lines };
    let header = match reader.headers() {
        Ok(header) => header.clone(),
        Err(e) => {
            let message = Text::new(
                format!("Overskriftslinjen kan ikke leses: {e}"),
                format!("The header cannot be read: {e}"),
            );
            return Err(refused(vec![problem(1, "", "csv", message)], 1));
        }
    };
    let mut problems = Vec::new();
    let mut position = [None; PATIENT_REGISTER_COLUMNS.len()];
    for (i, name) in header.iter().enumerate() {
        match PATIENT_REGISTER_COLUMNS.iter().position(|c| *c == name) {
            Some(c) if position[c].is_none() => position[c] = Some(i),
            Some(_) => problems.push(problem(
                1,
                name,
                "duplicate_column",
                Text::new(
                    format!("Kolonnen «{name}» finnes to ganger"),
                    format!("The column «{name}» appears twice"),
                ),
            )),
            None => problems.push(problem(
                1,
                name,
                "unknown_column",
                Text::new(
                    format!("Ukjent kolonne «{name}»; filen skal ha national_id, hospital og admission_date"),
                    format!("Unknown column «{name}»; the file must have national_id, hospital and admission_date"),
                ),
            )),
        }
    }
    for (c, name) in PATIENT_REGISTER_COLUMNS.iter().enumerate() {
        if position[c].is_none() {
            problems.push(problem(
                1,
                name,
                "missing_column",
                Text::new(
                    format!("Kolonnen «{name}» mangler"),
                    format!("The column «{name}» is missing"),
                ),
            ));
        }
    }
    let [Some(id_at), Some(hospital_at), Some(date_at)] = position else {
        return Err(refused(problems, 1));
    };
    let mut stays = Vec::new();
    let mut total_lines = 1;
    for row in reader.records() {
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                let line = e.position().map_or(total_lines + 1, |p| p.line() as usize);
                total_lines = total_lines.max(line);
                problems.push(problem(
                    line,
                    "",
                    "csv",
                    Text::new(
                        format!("Raden kan ikke leses: {e}"),
                        format!("The row cannot be read: {e}"),
                    ),
                ));
                continue;
            }
        };
        let line = row.position().map_or(total_lines + 1, |p| p.line() as usize);
        total_lines = total_lines.max(line);
        let cell = |at: usize| row.get(at).unwrap_or("");
        let person = match national_id::parse(cell(id_at)) {
            Ok(id) => Some(keys.lookup_key(&id.normalized)),
            Err(e) => {
                problems.push(LineProblem {
                    line,
                    field: "national_id".to_string(),
                    rule: e.rule.to_string(),
                    message_nb: e.message_nb,
                    message_en: e.message_en,
                });
                None
            }
        };
        let hospital = cell(hospital_at);
        let known = hospitals.contains(hospital);
        if !known {
            problems.push(problem(
                line,
                "hospital",
                "hospital_code",
                Text::new(
                    format!("«{hospital}» er ikke en sykehuskode i sykehuslisten"),
                    format!("«{hospital}» is not a hospital code of the hospital list"),
                ),
            ));
        }
        let date = match time::parse_date(cell(date_at)) {
            Ok(date) => Some(date),
            Err(e) => {
                problems.push(LineProblem {
                    line,
                    field: "admission_date".to_string(),
                    rule: "date".to_string(),
                    message_nb: e.message_nb,
                    message_en: e.message_en,
                });
                None
            }
        };
        if let (Some(person), true, Some(date)) = (person, known, date) {
            stays.push(Stay {
                person,
                hospital: hospital.to_string(),
                date,
            });
        }
    }
    if problems.is_empty() {
        Ok(stays)
    } else {
        Err(refused(problems, total_lines))
    }
}
