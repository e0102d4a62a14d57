//! Demo data: synthetic stroke registrations for every hospital over the last five years,
//! written through the same validation and protection as real registrations.

use kvalreg_core::time::oslo_date;
use kvalreg_core::validation::Context;
use kvalreg_core::value::Moment;

use crate::person::WriteMeta;
use crate::{AppError, Platform, synthetic};

/// The register the demo fills.
const REGISTER: &str = "stroke";
/// Registrations per hospital and year (about as many as a small Norwegian hospital has).
const PER_HOSPITAL_YEAR: usize = 60;
/// Years of demo data, counting the current one.
const YEARS: i16 = 5;
/// The demo is the same every time it is seeded on the same day.
const SEED: u64 = 20_240_331;

/// Seeds synthetic registrations for every hospital × the last five years × about 60,
/// in one transaction; returns how many were written.
pub async fn seed_demo(platform: &Platform) -> Result<usize, AppError> {
    let register = platform.register(REGISTER)?;
    let hospitals = platform.store.hospitals().await?;
    let codes = hospitals.iter().map(|h| h.code.clone()).collect();
    let ctx = Context { hospitals: &codes };
    let this_year = oslo_date(&Moment::At(jiff::Timestamp::now())).year();
    let registrations =
        synthetic::stroke_registrations(&hospitals, this_year - (YEARS - 1)..=this_year, PER_HOSPITAL_YEAR, SEED);
    let mut writes = Vec::with_capacity(registrations.len());
    for (doc, status) in registrations {
        let (record, warnings) = platform.check(register, &doc, status, &ctx).map_err(|errors| {
            let detail: Vec<String> = errors
                .iter()
                .map(|f| format!("{}: {}: {}", f.field, f.rule, f.message_en))
                .collect();
            AppError::Format(format!(
                "a synthetic registration did not pass validation: {}",
                detail.join("; ")
            ))
        })?;
        let meta = WriteMeta {
            status,
            warnings: &warnings,
            actor: "demo",
            reason: None,
        };
        writes.push(platform.protected_write(register, &record, meta)?);
    }
    Ok(platform.store.create_many(writes).await?)
}
