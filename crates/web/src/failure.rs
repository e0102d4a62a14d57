//! Turns the platform's refusals and failures into problem details: validation findings into
//! field errors, version clashes into 409 with the current version, and anything the client
//! cannot fix into a logged 500 that reveals nothing of the inside.

use kvalreg_app::{AppError, status_name};
use kvalreg_core::messages::{Lang, Text};
use kvalreg_core::validation::{Finding, Severity};
use kvalreg_store::StoreError;
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::problem::{FieldProblem, Kind, Problem};

/// The problem a refused or failed platform call gives the client.
pub fn problem(err: AppError, lang: Lang) -> Problem {
    match err {
        AppError::UnknownRegister(id) => unknown_register(&id, lang),
        AppError::Invalid(findings) => invalid(&findings, lang),
        AppError::NotFound(id) => not_found(id, lang),
        AppError::Conflict { expected, current } => conflict(expected, current, lang),
        AppError::Locked(id) => Problem::new(
            Kind::Locked,
            lang,
            &Text::new(
                format!("Registreringen {id} er låst og kan ikke endres; den må gjenåpnes først"),
                format!("Registration {id} is locked and cannot be changed; it must be reopened first"),
            ),
        ),
        AppError::ReasonRequired => Problem::field(
            Kind::Validation,
            lang,
            "reason",
            "required",
            &Text::new(
                "Oppgi en begrunnelse for å gjenåpne registreringen",
                "Give a reason for reopening the registration",
            ),
        ),
        AppError::BadTransition { from, action } => Problem::new(
            Kind::BadTransition,
            lang,
            &Text::new(
                format!(
                    "En registrering med status «{}» kan ikke få handlingen «{action}»",
                    status_name(from)
                ),
                format!(
                    "A registration with status «{}» cannot be given the action «{action}»",
                    status_name(from)
                ),
            ),
        )
        .with_member("current_status", json!(status_name(from))),
        AppError::Store(StoreError::NotFound(id)) => not_found(id, lang),
        AppError::Store(StoreError::Conflict { expected, current, .. }) => conflict(expected, current, lang),
        AppError::Store(StoreError::UnknownHospital(code)) => Problem::field(
            Kind::Validation,
            lang,
            "hospital",
            "unknown_hospital",
            &Text::new(
                format!("Sykehuset «{code}» finnes ikke i sykehuslisten"),
                format!("The hospital «{code}» is not in the hospital list"),
            ),
        ),
        other => internal(&other, lang),
    }
}

pub fn unknown_register(id: &str, lang: Lang) -> Problem {
    Problem::field(
        Kind::UnknownRegister,
        lang,
        "register",
        "unknown_register",
        &Text::new(
            format!("Registeret «{id}» finnes ikke"),
            format!("There is no register «{id}»"),
        ),
    )
}

fn not_found(id: Uuid, lang: Lang) -> Problem {
    Problem::new(
        Kind::NotFound,
        lang,
        &Text::new(
            format!("Registreringen {id} finnes ikke"),
            format!("Registration {id} does not exist"),
        ),
    )
}

fn conflict(expected: i64, current: i64, lang: Lang) -> Problem {
    Problem::new(
        Kind::VersionConflict,
        lang,
        &Text::new(
            format!(
                "Du endret versjon {expected}, men registreringen er nå på versjon {current}: hent den på nytt og gjør endringen igjen"
            ),
            format!(
                "You changed version {expected}, but the registration is now at version {current}: reload it and apply your change again"
            ),
        ),
    )
    .with_member("current_version", json!(current))
    .with_etag(current)
}

fn invalid(findings: &[Finding], lang: Lang) -> Problem {
    let (errors, warnings): (Vec<&Finding>, Vec<&Finding>) =
        findings.iter().partition(|f| f.severity == Severity::Error);
    let detail = Text::new(
        format!("{} feil må rettes før registreringen kan lagres", errors.len()),
        format!(
            "{} error(s) must be corrected before the registration can be saved",
            errors.len()
        ),
    );
    let mut problem = Problem::new(Kind::Validation, lang, &detail).with_errors(
        errors
            .iter()
            .map(|f| FieldProblem::new(f.field.clone(), f.rule.clone(), &message(f), lang))
            .collect(),
    );
    if !warnings.is_empty() {
        problem = problem.with_member(
            "warnings",
            Json::Array(warnings.iter().map(|f| finding_json(f, lang)).collect()),
        );
    }
    problem
}

/// A finding as the API shows it: field, rule, severity and the message in the asked language.
pub fn finding_json(finding: &Finding, lang: Lang) -> Json {
    json!({
        "field": finding.field,
        "rule": finding.rule,
        "severity": severity_name(finding.severity),
        "message": finding.message(lang),
    })
}

/// A warning as stored with a version, shown like [`finding_json`] when it has the stored
/// finding's shape (both messages); anything else is passed on as stored.
pub fn stored_warning_json(stored: &Json, lang: Lang) -> Json {
    match serde_json::from_value::<Finding>(stored.clone()) {
        Ok(finding) => finding_json(&finding, lang),
        Err(_) => stored.clone(),
    }
}

fn message(finding: &Finding) -> Text {
    Text::new(finding.message_nb.clone(), finding.message_en.clone())
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// A failure the client cannot fix: logged in full, answered without internals.
pub fn internal(err: &dyn std::fmt::Display, lang: Lang) -> Problem {
    tracing::error!("request failed: {err}");
    Problem::new(
        Kind::Internal,
        lang,
        &Text::new(
            "Noe gikk galt på tjeneren; feilen er logget. Prøv igjen senere",
            "Something went wrong on the server; the error is logged. Please try again later",
        ),
    )
}
