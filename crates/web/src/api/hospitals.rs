//! The hospital list: read by everyone, changed by an administrator (until access control
//! lands, anyone who can reach the API; docs/api.md says so).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kvalreg_core::messages::{Lang, Text};
use kvalreg_store::{AuditEntry, Hospital};
use serde_json::{Map, Value as Json, json};

use crate::AppState;
use crate::access::Signed;
use crate::extract::{ApiPath, JsonObject};
use crate::failure;
use crate::lang::Language;
use crate::problem::{FieldProblem, Kind, Problem};

const CODE_MAX_CHARS: usize = 32;
const TEXT_MAX_CHARS: usize = 200;

pub async fn list(State(state): State<AppState>, Language(lang): Language) -> Result<Response, Problem> {
    let hospitals = state
        .platform
        .store
        .hospitals()
        .await
        .map_err(|e| failure::internal(&e, lang))?;
    Ok(axum::Json(json!({ "total": hospitals.len(), "items": hospitals })).into_response())
}

/// Creates or replaces one hospital: 201 when the code is new, 200 when it was known.
pub async fn upsert(
    State(state): State<AppState>,
    Language(lang): Language,
    Signed(principal): Signed,
    ApiPath(code): ApiPath<String>,
    JsonObject(body): JsonObject,
) -> Result<Response, Problem> {
    let hospital = hospital_from(code, body, lang)?;
    let store = &state.platform.store;
    let known = store
        .hospitals()
        .await
        .map_err(|e| failure::internal(&e, lang))?
        .iter()
        .any(|h| h.code == hospital.code);
    store
        .upsert_hospitals(std::slice::from_ref(&hospital))
        .await
        .map_err(|e| failure::internal(&e, lang))?;
    let mut entry = AuditEntry::new(&principal.name, "hospital.upsert");
    entry.hospital = Some(hospital.code.clone());
    store.audit(entry).await.map_err(|e| failure::internal(&e, lang))?;
    let status = if known { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, axum::Json(hospital)).into_response())
}

/// Reads a hospital body, reporting every field at fault.
pub fn hospital_from(code: String, mut body: Map<String, Json>, lang: Lang) -> Result<Hospital, Problem> {
    let mut errors = Vec::new();
    let code_ok = !code.is_empty()
        && code.chars().count() <= CODE_MAX_CHARS
        && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !code_ok {
        errors.push(FieldProblem::new(
            "code",
            "hospital_code",
            &Text::new(
                format!("Sykehuskoden må være 1–{CODE_MAX_CHARS} tegn: bokstaver A–Z, sifre, - og _"),
                format!("The hospital code must be 1–{CODE_MAX_CHARS} characters: letters A–Z, digits, - and _"),
            ),
            lang,
        ));
    }
    if let Some(body_code) = body.remove("code")
        && body_code.as_str() != Some(code.as_str())
    {
        errors.push(FieldProblem::new(
            "code",
            "matches_path",
            &Text::new(
                "«code» må være lik koden i adressen",
                "«code» must equal the code in the path",
            ),
            lang,
        ));
    }
    let name = required_text(&mut body, "name", &mut errors, lang);
    let health_trust = required_text(&mut body, "health_trust", &mut errors, lang);
    let health_region = required_text(&mut body, "health_region", &mut errors, lang);
    let evt_centre = optional_bool(&mut body, "evt_centre", false, &mut errors, lang);
    let active = optional_bool(&mut body, "active", true, &mut errors, lang);
    for field in body.keys() {
        errors.push(FieldProblem::new(
            field.clone(),
            "unknown_field",
            &Text::new(
                format!(
                    "«{field}» er ikke et felt for sykehus (name, health_trust, health_region, evt_centre, active)"
                ),
                format!("«{field}» is not a hospital field (name, health_trust, health_region, evt_centre, active)"),
            ),
            lang,
        ));
    }
    if !errors.is_empty() {
        let detail = Text::new("Sykehuset ble avvist", "The hospital was refused");
        return Err(Problem::new(Kind::Validation, lang, &detail).with_errors(errors));
    }
    Ok(Hospital {
        code,
        name,
        health_trust,
        health_region,
        evt_centre,
        active,
    })
}

fn required_text(body: &mut Map<String, Json>, field: &str, errors: &mut Vec<FieldProblem>, lang: Lang) -> String {
    match body.remove(field) {
        Some(Json::String(text)) if !text.trim().is_empty() && text.chars().count() <= TEXT_MAX_CHARS => {
            text.trim().to_owned()
        }
        _ => {
            errors.push(FieldProblem::new(
                field,
                "required_text",
                &Text::new(
                    format!("«{field}» må være en tekst på 1–{TEXT_MAX_CHARS} tegn"),
                    format!("«{field}» must be a string of 1–{TEXT_MAX_CHARS} characters"),
                ),
                lang,
            ));
            String::new()
        }
    }
}

fn optional_bool(
    body: &mut Map<String, Json>,
    field: &str,
    default: bool,
    errors: &mut Vec<FieldProblem>,
    lang: Lang,
) -> bool {
    match body.remove(field) {
        None => default,
        Some(Json::Bool(value)) => value,
        Some(_) => {
            errors.push(FieldProblem::new(
                field,
                "type",
                &Text::new(
                    format!("«{field}» må være true eller false"),
                    format!("«{field}» must be true or false"),
                ),
                lang,
            ));
            default
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(value: Json) -> Map<String, Json> {
        match value {
            Json::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn a_full_hospital_is_read() {
        let hospital = hospital_from(
            "OUS-ULL".into(),
            body(json!({"name": "Ullevål", "health_trust": "OUS HF", "health_region": "Helse Sør-Øst RHF", "evt_centre": true})),
            Lang::En,
        )
        .unwrap();
        assert!(hospital.evt_centre);
        assert!(hospital.active);
    }

    #[test]
    fn every_bad_field_is_named() {
        let Err(problem) = hospital_from(
            "bad code!".into(),
            body(json!({"name": " ", "health_region": 3, "active": "yes", "beds": 40})),
            Lang::Nb,
        ) else {
            panic!("bad hospital accepted");
        };
        assert_eq!(
            problem.fields(),
            ["code", "name", "health_trust", "health_region", "active", "beds"]
        );
    }
}
