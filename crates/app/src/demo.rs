//! Demo data: synthetic stroke registrations for every hospital over the last five years,
//! written through the same validation and protection as real registrations, and demo users.

use kvalreg_core::time::oslo_date;
use kvalreg_core::validation::Context;
use kvalreg_core::value::Moment;

use kvalreg_store::{Grant, Role};

use crate::person::WriteMeta;
use crate::platform::check_document;
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
        let (record, warnings) = check_document(register, &doc, status, &ctx).map_err(|errors| {
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

/// The password of every demo user (printed when the demo starts; demo data only).
pub const DEMO_PASSWORD: &str = "synthetic-demo";

/// The demo users: one per role a visitor would try, on a hospital with thrombectomy.
const DEMO_USERS: &[(&str, Role, Option<&str>, Option<&str>)] = &[
    ("registrar", Role::Registrar, Some(REGISTER), Some("UNN-TRO")),
    ("leder", Role::UnitLead, Some(REGISTER), Some("UNN-TRO")),
    ("admin", Role::RegisterAdmin, Some(REGISTER), None),
    ("revisor", Role::Auditor, None, None),
];

/// Adds the demo users that are not there yet; returns each user with its grant as
/// `role[:register[:hospital]]`.
pub async fn seed_demo_users(platform: &Platform) -> Result<Vec<(&'static str, String)>, AppError> {
    let existing: Vec<String> = platform.users().await?.into_iter().map(|u| u.name).collect();
    let mut added = Vec::new();
    for (name, role, register, hospital) in DEMO_USERS {
        let grant = Grant {
            role: *role,
            register: register.map(str::to_owned),
            hospital: hospital.map(str::to_owned),
        };
        if !existing.iter().any(|e| e == name) {
            platform
                .add_user(name, DEMO_PASSWORD, std::slice::from_ref(&grant), "demo")
                .await?;
        }
        added.push((*name, grant.to_string()));
    }
    Ok(added)
}
