//! The registration routes: create, read, replace, complete, lock, reopen, list and history, with
//! optimistic concurrency through ETag / If-Match.

use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{ETAG, LOCATION};
use axum::response::{IntoResponse, Response};
use kvalreg_app::{RegistrationView, Saved, status_name};
use kvalreg_core::messages::{Lang, Text};
use kvalreg_store::{Status, Version};
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use crate::AppState;
use crate::access::Signed;
use crate::extract::{ApiPath, IfMatch, JsonObject, QueryPairs};
use crate::failure::{self, finding_json, stored_warning_json};
use crate::lang::Language;
use crate::problem::{Kind, Problem};

use super::list_query;

pub async fn create(
    State(state): State<AppState>,
    Language(lang): Language,
    Signed(principal): Signed,
    ApiPath(register): ApiPath<String>,
    JsonObject(doc): JsonObject,
) -> Result<Response, Problem> {
    let register = state
        .platform
        .register(&register)
        .map_err(|e| failure::problem(e, lang))?
        .id
        .clone();
    let new = new_registration(doc, lang)?;
    // Registering as complete or locked needs the unit lead's (or register admin's) scope.
    let scope = match new.status {
        Status::Draft => principal.scope(&register),
        Status::Complete | Status::Locked => principal.manage_scope(&register),
    };
    let saved = state
        .platform
        .create_checked(
            &scope,
            &register,
            new.values,
            new.status,
            &principal.name,
            new.confirm_new_event,
        )
        .await
        .map_err(|e| failure::problem(e, lang))?;
    let location = format!("/api/v1/registers/{register}/registrations/{}", saved.registration.id);
    let mut response = saved_response(&saved, StatusCode::CREATED, lang)?;
    if let Ok(value) = location.parse() {
        response.headers_mut().insert(LOCATION, value);
    }
    Ok(response)
}

pub async fn read(
    State(state): State<AppState>,
    Language(lang): Language,
    Signed(principal): Signed,
    ApiPath((register, id)): ApiPath<(String, String)>,
) -> Result<Response, Problem> {
    let id = registration_id(&id, lang)?;
    let view = state
        .platform
        .read(&principal.scope(&register), &register, id, &principal.name, "api_read")
        .await
        .map_err(|e| failure::problem(e, lang))?;
    let body = view_json(&view, lang)?;
    Ok(with_etag(axum::Json(body).into_response(), view.version))
}

pub async fn update(
    State(state): State<AppState>,
    Language(lang): Language,
    Signed(principal): Signed,
    ApiPath((register, id)): ApiPath<(String, String)>,
    IfMatch(version): IfMatch,
    JsonObject(doc): JsonObject,
) -> Result<Response, Problem> {
    let id = registration_id(&id, lang)?;
    let doc = replacement(doc, lang)?;
    let saved = state
        .platform
        .update(
            &principal.scope(&register),
            &register,
            id,
            version,
            doc,
            &principal.name,
        )
        .await
        .map_err(|e| failure::problem(e, lang))?;
    saved_response(&saved, StatusCode::OK, lang)
}

pub async fn complete(
    State(state): State<AppState>,
    Language(lang): Language,
    Signed(principal): Signed,
    ApiPath((register, id)): ApiPath<(String, String)>,
    IfMatch(version): IfMatch,
) -> Result<Response, Problem> {
    let id = registration_id(&id, lang)?;
    let saved = state
        .platform
        .complete(
            &principal.manage_scope(&register),
            &register,
            id,
            version,
            &principal.name,
        )
        .await
        .map_err(|e| failure::problem(e, lang))?;
    saved_response(&saved, StatusCode::OK, lang)
}

pub async fn lock(
    State(state): State<AppState>,
    Language(lang): Language,
    Signed(principal): Signed,
    ApiPath((register, id)): ApiPath<(String, String)>,
    IfMatch(version): IfMatch,
) -> Result<Response, Problem> {
    let id = registration_id(&id, lang)?;
    let saved = state
        .platform
        .lock(
            &principal.manage_scope(&register),
            &register,
            id,
            version,
            &principal.name,
        )
        .await
        .map_err(|e| failure::problem(e, lang))?;
    saved_response(&saved, StatusCode::OK, lang)
}

pub async fn reopen(
    State(state): State<AppState>,
    Language(lang): Language,
    Signed(principal): Signed,
    ApiPath((register, id)): ApiPath<(String, String)>,
    IfMatch(version): IfMatch,
    JsonObject(body): JsonObject,
) -> Result<Response, Problem> {
    let id = registration_id(&id, lang)?;
    let reason = reopen_reason(body, lang)?;
    let saved = state
        .platform
        .reopen(
            &principal.manage_scope(&register),
            &register,
            id,
            version,
            &reason,
            &principal.name,
        )
        .await
        .map_err(|e| failure::problem(e, lang))?;
    saved_response(&saved, StatusCode::OK, lang)
}

pub async fn list(
    State(state): State<AppState>,
    Language(lang): Language,
    Signed(principal): Signed,
    ApiPath(register): ApiPath<String>,
    QueryPairs(pairs): QueryPairs,
) -> Result<Response, Problem> {
    let register = state
        .platform
        .register(&register)
        .map_err(|e| failure::problem(e, lang))?
        .id
        .clone();
    let scope = principal.scope(&register);
    let filter = list_query::read(register, &pairs, lang)?;
    let mut page = state
        .platform
        .list_audited(&scope, &filter, &principal.name, "api_list")
        .await
        .map_err(|e| failure::problem(e, lang))?;
    // A list shows national ids masked; the full id only on the audited read of one.
    for view in &mut page.registrations {
        state
            .platform
            .mask_person(view)
            .map_err(|e| failure::problem(e, lang))?;
    }
    let next = if page.more {
        page.registrations.last().map(|v| v.id.to_string())
    } else {
        None
    };
    let items = page
        .registrations
        .iter()
        .map(|v| view_json(v, lang))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(axum::Json(json!({ "total": page.total, "items": items, "next": next })).into_response())
}

pub async fn history(
    State(state): State<AppState>,
    Language(lang): Language,
    Signed(principal): Signed,
    ApiPath((register, id)): ApiPath<(String, String)>,
) -> Result<Response, Problem> {
    let id = registration_id(&id, lang)?;
    let versions = state
        .platform
        .history(&principal.scope(&register), &register, id)
        .await
        .map_err(|e| failure::problem(e, lang))?;
    let versions: Vec<Json> = versions.iter().map(|v| version_json(v, lang)).collect();
    Ok(axum::Json(json!({ "id": id, "versions": versions })).into_response())
}

/// The body of a new registration as the API reads it.
#[derive(Debug)]
pub struct NewRegistration {
    /// The registration's values, still to be validated against the register.
    pub values: Map<String, Json>,
    pub status: Status,
    /// The registrar confirmed that a probable duplicate is a new event.
    pub confirm_new_event: bool,
}

/// Reads a create body: `status` and `confirm_new_event` are taken out, the rest are values.
pub fn new_registration(mut doc: Map<String, Json>, lang: Lang) -> Result<NewRegistration, Problem> {
    let status = initial_status(doc.remove("status"), lang)?;
    let confirm_new_event = confirmation(doc.remove("confirm_new_event"), lang)?;
    Ok(NewRegistration {
        values: doc,
        status,
        confirm_new_event,
    })
}

/// Reads a replace (PUT) body: the values alone; the status changes only through actions.
pub fn replacement(doc: Map<String, Json>, lang: Lang) -> Result<Map<String, Json>, Problem> {
    if doc.contains_key("status") {
        return Err(Problem::field(
            Kind::Validation,
            lang,
            "status",
            "status_by_action",
            &Text::new(
                "Status endres med /complete og /reopen, ikke ved å erstatte registreringen",
                "The status changes through /complete and /reopen, not by replacing the registration",
            ),
        ));
    }
    Ok(doc)
}

/// Reads a reopen body: an optional `reason` string and nothing else.
pub fn reopen_reason(mut body: Map<String, Json>, lang: Lang) -> Result<String, Problem> {
    let reason = match body.remove("reason") {
        None | Some(Json::Null) => String::new(),
        Some(Json::String(reason)) => reason,
        Some(_) => {
            return Err(Problem::field(
                Kind::Validation,
                lang,
                "reason",
                "type",
                &Text::new("Begrunnelsen må være en tekst", "The reason must be a string"),
            ));
        }
    };
    if let Some(field) = body.keys().next() {
        return Err(unknown_body_field(field, lang));
    }
    Ok(reason)
}

/// The status a new registration starts in: draft unless the body says complete.
fn initial_status(value: Option<Json>, lang: Lang) -> Result<Status, Problem> {
    match value.as_ref().map(|v| v.as_str()) {
        None => Ok(Status::Draft),
        Some(Some("draft")) => Ok(Status::Draft),
        Some(Some("complete")) => Ok(Status::Complete),
        Some(_) => Err(Problem::field(
            Kind::Validation,
            lang,
            "status",
            "code",
            &Text::new(
                "«status» må være \"draft\" eller \"complete\"",
                "«status» must be \"draft\" or \"complete\"",
            ),
        )),
    }
}

/// Whether the registrar confirmed that a probable duplicate is a new event.
fn confirmation(value: Option<Json>, lang: Lang) -> Result<bool, Problem> {
    match value {
        None | Some(Json::Null) => Ok(false),
        Some(Json::Bool(confirmed)) => Ok(confirmed),
        Some(_) => Err(Problem::field(
            Kind::Validation,
            lang,
            "confirm_new_event",
            "type",
            &Text::new(
                "«confirm_new_event» må være true eller false",
                "«confirm_new_event» must be true or false",
            ),
        )),
    }
}

fn registration_id(text: &str, lang: Lang) -> Result<Uuid, Problem> {
    Uuid::parse_str(text).map_err(|_| {
        Problem::field(
            Kind::BadRequest,
            lang,
            "id",
            "uuid",
            &Text::new(
                format!("«{text}» er ikke en gyldig registrerings-id (UUID)"),
                format!("«{text}» is not a valid registration id (UUID)"),
            ),
        )
    })
}

fn unknown_body_field(field: &str, lang: Lang) -> Problem {
    Problem::field(
        Kind::Validation,
        lang,
        field,
        "unknown_field",
        &Text::new(
            format!("«{field}» er ikke et felt her"),
            format!("«{field}» is not a field here"),
        ),
    )
}

/// A registration as the API shows it; stored warnings carry the message in the asked language.
fn view_json(view: &RegistrationView, lang: Lang) -> Result<Map<String, Json>, Problem> {
    let mut body = match serde_json::to_value(view) {
        Ok(Json::Object(map)) => map,
        Ok(_) => {
            return Err(failure::internal(
                &"a registration did not serialise to an object",
                lang,
            ));
        }
        Err(err) => return Err(failure::internal(&err, lang)),
    };
    let warnings = view.warnings.iter().map(|w| stored_warning_json(w, lang)).collect();
    body.insert("warnings".into(), Json::Array(warnings));
    Ok(body)
}

/// A write's answer: the registration now, with the warnings of this write, and its ETag.
fn saved_response(saved: &Saved, status: StatusCode, lang: Lang) -> Result<Response, Problem> {
    let mut body = view_json(&saved.registration, lang)?;
    body.insert(
        "warnings".into(),
        Json::Array(saved.warnings.iter().map(|f| finding_json(f, lang)).collect()),
    );
    Ok(with_etag(
        (status, axum::Json(body)).into_response(),
        saved.registration.version,
    ))
}

fn with_etag(mut response: Response, version: i64) -> Response {
    if let Ok(value) = crate::etag(version).parse() {
        response.headers_mut().insert(ETAG, value);
    }
    response
}

fn version_json(version: &Version, lang: Lang) -> Json {
    json!({
        "version": version.version,
        "status": status_name(version.status),
        "hospital": version.hospital,
        "changed_by": version.changed_by,
        "changed_at": version.changed_at.to_string(),
        "reason": version.reason,
        "changes": version.changes,
        "warnings": version.warnings.iter().map(|w| stored_warning_json(w, lang)).collect::<Vec<_>>(),
    })
}
