//! Hospitals as reference data: the national list shipped with kvalreg, and the CSV format an
//! admin uses to add or change hospitals.

use kvalreg_store::{Hospital, Store};
use serde::Deserialize;

use crate::AppError;

/// The national hospital list (code, name, health trust, health region, EVT centre).
const REFERENCE_CSV: &str = include_str!("../../../reference/hospitals_no.csv");

/// One row of a hospital CSV file; `active` is optional and defaults to true.
#[derive(Deserialize)]
struct HospitalRow {
    code: String,
    name: String,
    health_trust: String,
    health_region: String,
    evt_centre: bool,
    #[serde(default = "active_by_default")]
    active: bool,
}

fn active_by_default() -> bool {
    true
}

/// Reads a hospital CSV (header `code,name,health_trust,health_region,evt_centre` and an
/// optional `active` column). A bad row is refused with its line number.
pub fn parse_hospitals_csv(text: &str) -> Result<Vec<Hospital>, AppError> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut hospitals = Vec::new();
    for row in reader.deserialize::<HospitalRow>() {
        let row = row.map_err(|e| AppError::Format(format!("hospital list: {e}")))?;
        let code = row.code.trim().to_string();
        if code.is_empty() {
            return Err(AppError::Format("hospital list: a row has an empty code".into()));
        }
        hospitals.push(Hospital {
            code,
            name: row.name.trim().to_string(),
            health_trust: row.health_trust.trim().to_string(),
            health_region: row.health_region.trim().to_string(),
            evt_centre: row.evt_centre,
            active: row.active,
        });
    }
    Ok(hospitals)
}

/// The national reference list embedded in the binary.
pub fn reference_hospitals() -> Vec<Hospital> {
    // The embedded file is checked by a test; an unreadable list would be a build defect.
    parse_hospitals_csv(REFERENCE_CSV).unwrap_or_default()
}

/// Fills an empty hospital table with the reference list; returns how many were added
/// (0 when the table already holds hospitals, so an admin's changes are never overwritten).
pub async fn seed_reference_hospitals(store: &dyn Store) -> Result<usize, AppError> {
    if !store.hospitals().await?.is_empty() {
        return Ok(0);
    }
    let hospitals = reference_hospitals();
    store.upsert_hospitals(&hospitals).await?;
    Ok(hospitals.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_list_has_every_row_and_the_evt_centres() {
        let hospitals = parse_hospitals_csv(REFERENCE_CSV).expect("reference list parses");
        assert_eq!(hospitals.len(), REFERENCE_CSV.lines().count() - 1);
        assert!(hospitals.iter().all(|h| h.active));
        let centres: Vec<&str> = hospitals
            .iter()
            .filter(|h| h.evt_centre)
            .map(|h| h.code.as_str())
            .collect();
        assert!(centres.contains(&"OUS-ULL"), "{centres:?}");
        assert!(!centres.contains(&"FIN-HAM"));
    }

    #[test]
    fn optional_active_column_is_read_and_bad_rows_are_refused() {
        let text = "code,name,health_trust,health_region,evt_centre,active\nX-1,X,T,R,false,false\n";
        let hospitals = parse_hospitals_csv(text).expect("parses");
        assert!(!hospitals[0].active);
        let bad = "code,name,health_trust,health_region,evt_centre\nX-1,X,T,R,maybe\n";
        let err = parse_hospitals_csv(bad).expect_err("refused");
        assert!(
            err.to_string().contains("line 2") || err.to_string().contains("record 1"),
            "{err}"
        );
    }
}
