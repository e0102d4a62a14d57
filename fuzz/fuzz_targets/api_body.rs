//! The JSON API's request bodies through the readers the handlers use (`kvalreg_web::bodies`)
//! and, for registrations, the validation the write path uses (`kvalreg_app::check_document`),
//! against the stroke register and the reference hospitals. Every body is read as each
//! route with a body would read it: create and replace a registration, reopen one, and put
//! a hospital.
//!
//! Invariant: nothing panics. Every refusal is a 4xx problem naming at least one field (as
//! the malformed-request test demands of the running server). An accepted body holds no
//! NUL character. An accepted registration reads back to itself from its canonical document
//! (export → import is exact); an accepted hospital has its trimmed, non-empty texts.
#![no_main]

use axum::response::IntoResponse;
use kvalreg_app::{AppError, check_document};
use kvalreg_core::messages::Lang;
use kvalreg_store::Status;
use kvalreg_web::Problem;
use kvalreg_web::bodies::{hospital_from, new_registration, parse_object, problem, reopen_reason, replacement};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value as Json};

fuzz_target!(|data: &[u8]| {
    let lang = if data.len() % 2 == 0 { Lang::Nb } else { Lang::En };
    let body = match parse_object(data, lang) {
        Ok(body) => body,
        Err(refused) => return refusal(refused),
    };
    assert!(!holds_nul(&Json::Object(body.clone())), "a body with NUL was accepted");
    match new_registration(body.clone(), lang) {
        Ok(new) => registration(new.values, new.status, lang),
        Err(refused) => refusal(refused),
    }
    match replacement(body.clone(), lang) {
        Ok(values) => registration(values, Status::Complete, lang),
        Err(refused) => refusal(refused),
    }
    if let Err(refused) = reopen_reason(body.clone(), lang) {
        refusal(refused);
    }
    let code = match body.get("code") {
        Some(Json::String(code)) => code.clone(),
        _ => "UNN-TRO".to_string(),
    };
    match hospital_from(code, body, lang) {
        Ok(hospital) => {
            for text in [&hospital.name, &hospital.health_trust, &hospital.health_region] {
                assert!(
                    !text.is_empty() && text.trim() == text,
                    "hospital text {text:?} accepted"
                );
            }
        }
        Err(refused) => refusal(refused),
    }
});

/// Validates registration values as the write path does; a refusal must reach the client
/// as a problem naming the fields.
fn registration(values: Map<String, Json>, status: Status, lang: Lang) {
    let register = kvalreg_fuzz::stroke();
    match check_document(register, &values, status, &kvalreg_fuzz::context()) {
        Ok((record, warnings)) => kvalreg_fuzz::assert_reads_back(register, &record, status, &warnings),
        Err(findings) => {
            findings.iter().for_each(kvalreg_fuzz::assert_named);
            refusal(problem(AppError::Invalid(findings), lang));
        }
    }
}

fn refusal(refused: Problem) {
    let named = !refused.fields().is_empty();
    let status = refused.into_response().status();
    assert!(status.is_client_error(), "a refusal answered {status}");
    assert!(named, "a {status} refusal names no field");
}

fn holds_nul(value: &Json) -> bool {
    match value {
        Json::String(text) => text.contains('\0'),
        Json::Array(items) => items.iter().any(holds_nul),
        Json::Object(map) => map.iter().any(|(name, value)| name.contains('\0') || holds_nul(value)),
        _ => false,
    }
}
