//! The registration form pages: a new registration, an existing one, the htmx round-trips
//! that check one field or re-render the sections as values change, and the workflow
//! buttons (save, complete with confirmed warnings, lock, reopen with a reason).

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use kvalreg_app::{AppError, RegistrationView};
use kvalreg_core::definition::Register;
use kvalreg_core::messages::{Lang, Text};
use kvalreg_core::validation::{Context, Finding, Severity, Stage};
use kvalreg_core::value::{Record, Value};
use kvalreg_store::{Hospital, Status};
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use super::catalogue::{t, t_with};
use super::entry::{self, Entered, display};
use super::form::{self, FormView};
use super::pages::{REGISTER, failure_page, hospital_scope, known_hospital, redirect, status_label};
use super::{Visitor, layout};
use crate::AppState;
use crate::extract::ApiPath;
use crate::html::escape;

type Pairs = Form<Vec<(String, String)>>;

/// The form's values after the hidden sections are dropped, and what validation says.
struct Prepared {
    entered: Entered,
    doc: Map<String, Json>,
    record: Record,
    findings: Vec<Finding>,
}

impl Prepared {
    fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    fn has_warnings(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Warning)
    }

    /// Why the posted form is shown again instead of written: the registrar only asked to
    /// update the form, a hard error stands, or completing waits for warnings to be confirmed.
    fn held_back(&self, action: &str, confirm_warnings: bool, lang: Lang) -> Option<HeldBack> {
        if action == "refresh" {
            return Some(HeldBack {
                notice: None,
                ask_warnings: false,
                status: StatusCode::OK,
            });
        }
        if self.has_errors() {
            return Some(HeldBack {
                notice: None,
                ask_warnings: false,
                status: StatusCode::UNPROCESSABLE_ENTITY,
            });
        }
        if action == "complete" && self.has_warnings() && !confirm_warnings {
            return Some(HeldBack {
                notice: Some(t(lang, "form-warnings-need-confirmation").to_owned()),
                ask_warnings: true,
                status: StatusCode::UNPROCESSABLE_ENTITY,
            });
        }
        None
    }
}

/// How a held-back form is shown again: a notice, whether to ask for warning confirmation,
/// and the HTTP status.
struct HeldBack {
    notice: Option<String>,
    ask_warnings: bool,
    status: StatusCode,
}

/// Reads the posted values, drops those of variables whose show-if no longer holds (the
/// form no longer shows them), and validates the rest at `stage`.
async fn prepare(
    state: &AppState,
    register: &Register,
    pairs: &[(String, String)],
    stage: Stage,
) -> Result<Prepared, AppError> {
    let hospitals = state.platform.hospital_codes().await?;
    let ctx = Context { hospitals: &hospitals };
    let mut entered = entry::entered(register, pairs);
    // Hiding one variable may hide another that depends on it: repeat until nothing changes.
    loop {
        let (record, _) = register.read_document(&entry::document(register, &entered), &ctx);
        let before = entered.len();
        entered.retain(|name, _| {
            register
                .variable(name)
                .is_some_and(|v| form::applies(register, v, &record))
        });
        if entered.len() == before {
            break;
        }
    }
    let doc = entry::document(register, &entered);
    let (record, mut findings) = register.read_document(&doc, &ctx);
    let checked = register.validate(&record, stage, &ctx);
    let unreadable: Vec<String> = findings.iter().map(|f| f.field.clone()).collect();
    findings.extend(checked.errors.into_iter().filter(|f| !unreadable.contains(&f.field)));
    findings.extend(checked.warnings);
    Ok(Prepared {
        entered,
        doc,
        record,
        findings,
    })
}

fn pairs_of(entered: &Entered) -> Vec<(String, String)> {
    entered.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn ticked(pairs: &[(String, String)], name: &str) -> bool {
    matches!(value(pairs, name), Some("on" | "true"))
}

/// The follow-up form shows once the follow-up is due (80 days after onset) or begun.
fn follow_up_shown(register: &Register, prepared: &Prepared) -> bool {
    let first = register.forms.first().map(|f| f.id.as_str());
    let begun = prepared
        .entered
        .keys()
        .any(|name| register.variable(name).is_some_and(|v| Some(v.form.as_str()) != first));
    let due = match prepared.record.get("onset_time") {
        Some(Value::Datetime(m)) => {
            let onset = kvalreg_core::time::oslo_date(m);
            kvalreg_core::time::days_between(onset, crate::api::today()) >= kvalreg_app::FOLLOW_UP_FROM_DAYS
        }
        _ => false,
    };
    begun || due
}

/// Everything one render of the form page needs.
struct PageParts<'a> {
    hospital: &'a str,
    current: Option<&'a RegistrationView>,
    prepared: &'a Prepared,
    notice: Option<String>,
    ask_new_event: bool,
    ask_warnings: bool,
}

async fn hospitals(state: &AppState) -> Vec<Hospital> {
    state.platform.store.hospitals().await.unwrap_or_default()
}

fn form_body(
    state_hospitals: &[Hospital],
    register: &Register,
    visitor: &Visitor,
    hospital: &str,
    prepared: &Prepared,
    editable: bool,
) -> String {
    let check_url = format!("/h/{hospital}/check");
    let render_url = format!("/h/{hospital}/render");
    form::body(&FormView {
        register,
        lang: visitor.lang,
        entered: &prepared.entered,
        record: &prepared.record,
        findings: &prepared.findings,
        hospitals: state_hospitals,
        follow_up: follow_up_shown(register, prepared),
        check_url: &check_url,
        render_url: &render_url,
        editable,
    })
}

async fn form_page(
    state: &AppState,
    visitor: &Visitor,
    register: &Register,
    parts: PageParts<'_>,
    status: StatusCode,
) -> Response {
    let lang = visitor.lang;
    let hospital = parts.hospital;
    let h = escape(hospital);
    let list = hospitals(state).await;
    let (title, action, here) = match parts.current {
        Some(view) => (
            t_with(lang, "form-edit-title", &[("id", &view.id.to_string())]),
            format!("/h/{hospital}/r/{}", view.id),
            format!("/h/{hospital}/r/{}", view.id),
        ),
        None => (
            t_with(lang, "form-new-title", &[("hospital", hospital)]),
            format!("/h/{hospital}/new"),
            format!("/h/{hospital}/new"),
        ),
    };
    let editable = parts.current.is_none_or(|v| v.status != Status::Locked);
    let mut main = format!("<h1>{}</h1>\n", escape(&title));
    if let Some(view) = parts.current {
        main.push_str(&format!(
            "<p id=\"status\">{}</p>\n",
            escape(&t_with(
                lang,
                "form-status",
                &[
                    ("status", status_label(lang, view.status)),
                    ("version", &view.version.to_string())
                ]
            ))
        ));
    }
    if let Some(notice) = &parts.notice {
        main.push_str(&format!(
            "<p class=\"notice\" role=\"status\" id=\"notice\">{}</p>\n",
            escape(notice)
        ));
    }
    let errors: Vec<&Finding> = parts
        .prepared
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    if status != StatusCode::OK && !errors.is_empty() {
        main.push_str(&format!(
            "<div class=\"error-summary\" role=\"alert\" id=\"error-summary\"><p>{}</p><ul>\n",
            escape(t(lang, "form-errors-title"))
        ));
        for f in errors {
            let label = register
                .variable(&f.field)
                .map_or(f.field.as_str(), |v| v.label.get(lang));
            main.push_str(&format!(
                "<li><a href=\"#f-{}\">{}</a>: {}</li>\n",
                escape(&f.field),
                escape(label),
                escape(f.message(lang))
            ));
        }
        main.push_str("</ul></div>\n");
    }
    if !editable {
        main.push_str(&format!(
            "<p class=\"notice\">{}</p>\n",
            escape(t(lang, "form-locked-note"))
        ));
    }
    main.push_str(&format!(
        "<form method=\"post\" action=\"{}\" id=\"registration-form\" novalidate>{}\n",
        escape(&action),
        visitor.csrf_input()
    ));
    if let Some(view) = parts.current {
        main.push_str(&format!(
            "<input type=\"hidden\" name=\"version\" value=\"{}\">\n",
            view.version
        ));
    }
    main.push_str(&form_body(&list, register, visitor, hospital, parts.prepared, editable));
    if parts.ask_new_event {
        main.push_str(&checkbox("confirm_new_event", t(lang, "form-confirm-new-event")));
    }
    if parts.ask_warnings {
        main.push_str(&checkbox("confirm_warnings", t(lang, "form-confirm-warnings")));
    }
    if editable {
        let complete = if visitor.manages(hospital) {
            format!(
                "<button type=\"submit\" name=\"action\" value=\"complete\" id=\"complete\">{}</button>\n",
                escape(t(lang, "form-complete"))
            )
        } else {
            String::new()
        };
        main.push_str(&format!(
            "<div class=\"actions\">\n<button type=\"submit\" name=\"action\" value=\"refresh\" class=\"secondary\">{}</button>\n\
             <button type=\"submit\" name=\"action\" value=\"save\" id=\"save\">{}</button>\n{complete}</div>\n",
            escape(t(lang, "form-refresh")),
            escape(t(lang, "form-save")),
        ));
    }
    main.push_str("</form>\n");
    if let Some(view) = parts.current {
        main.push_str(&workflow_forms(visitor, register, hospital, view));
    }
    main.push_str(&format!(
        "<p><a href=\"/h/{h}\">{}</a></p>\n",
        escape(t(lang, "form-back"))
    ));
    let page = layout(visitor, state.options.demo, Some(hospital), &here, &title, &main);
    (status, Html(page)).into_response()
}

fn checkbox(name: &str, label: &str) -> String {
    format!(
        "<div class=\"field confirm\"><input type=\"checkbox\" id=\"{name}\" name=\"{name}\" value=\"on\">\n\
         <label for=\"{name}\">{}</label></div>\n",
        escape(label)
    )
}

/// Lock, reopen, history and derived values of a stored registration.
fn workflow_forms(visitor: &Visitor, register: &Register, hospital: &str, view: &RegistrationView) -> String {
    let lang = visitor.lang;
    let base = format!("/h/{}/r/{}", escape(hospital), view.id);
    let mut out = String::new();
    let csrf = visitor.csrf_input();
    let manages = visitor.manages(hospital);
    if manages && view.status == Status::Complete {
        out.push_str(&format!(
            "<form method=\"post\" action=\"{base}/lock\">{csrf}<input type=\"hidden\" name=\"version\" value=\"{v}\">\n\
             <button type=\"submit\" id=\"lock\">{}</button></form>\n",
            escape(t(lang, "form-lock")),
            v = view.version,
        ));
    }
    if manages && view.status != Status::Draft {
        out.push_str(&format!(
            "<form method=\"post\" action=\"{base}/reopen\" class=\"reopen\">{csrf}<input type=\"hidden\" name=\"version\" value=\"{v}\">\n\
             <div class=\"field\"><label for=\"reason\">{label}</label>\n<textarea id=\"reason\" name=\"reason\" rows=\"2\"></textarea></div>\n\
             <button type=\"submit\" id=\"reopen\">{button}</button></form>\n",
            label = escape(t(lang, "form-reopen-reason")),
            button = escape(t(lang, "form-reopen")),
            v = view.version,
        ));
    }
    if !view.derived.is_empty() {
        out.push_str(&format!(
            "<h2>{}</h2>\n<dl class=\"derived\">\n",
            escape(t(lang, "form-derived"))
        ));
        for (name, value) in &view.derived {
            let Some(derived) = register.derived_variable(name) else {
                continue;
            };
            let shown = display(derived.var_type, value).unwrap_or_default();
            let unit = derived.unit.as_deref().unwrap_or("");
            out.push_str(&format!(
                "<dt>{}</dt><dd id=\"derived-{}\">{} {}</dd>\n",
                escape(derived.label.get(lang)),
                escape(name),
                escape(&shown),
                escape(unit)
            ));
        }
        out.push_str("</dl>\n");
    }
    out.push_str(&format!(
        "<p><a id=\"history-link\" href=\"{base}/history\">{}</a></p>\n",
        escape(t(lang, "form-history"))
    ));
    out
}

/// Completing needs a unit lead or register admin (domain.md 2); a registrar's form has no
/// complete button, and a posted `action=complete` from one is refused.
fn completion_refused(visitor: &Visitor, hospital: &str, action: &str) -> Option<Response> {
    (action == "complete" && !visitor.manages(hospital)).then(|| {
        let page = crate::ui::refusal_page(visitor.lang, t(visitor.lang, "complete-needs-unit-lead"));
        (StatusCode::FORBIDDEN, Html(page)).into_response()
    })
}

/// The register and the hospital check every form handler starts with (the route's guard
/// has checked the visitor's grant for the hospital).
async fn guard<'a>(state: &'a AppState, visitor: &Visitor, hospital: &str) -> Result<&'a Register, Response> {
    match known_hospital(state, hospital).await {
        Ok(true) => {}
        Ok(false) => return Err(failure_page(state, visitor, &AppError::NotFound(Uuid::nil()))),
        Err(err) => return Err(failure_page(state, visitor, &err)),
    }
    state
        .platform
        .register(REGISTER)
        .map_err(|err| failure_page(state, visitor, &err))
}

pub async fn new_page(State(state): State<AppState>, visitor: Visitor, ApiPath(hospital): ApiPath<String>) -> Response {
    let register = match guard(&state, &visitor, &hospital).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    let start = vec![(register.unit_variable.clone(), hospital.clone())];
    let mut prepared = match prepare(&state, register, &start, Stage::Draft).await {
        Ok(p) => p,
        Err(err) => return failure_page(&state, &visitor, &err),
    };
    prepared.findings.clear();
    let parts = PageParts {
        hospital: &hospital,
        current: None,
        prepared: &prepared,
        notice: None,
        ask_new_event: false,
        ask_warnings: false,
    };
    form_page(&state, &visitor, register, parts, StatusCode::OK).await
}

pub async fn create(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiPath(hospital): ApiPath<String>,
    Form(pairs): Pairs,
) -> Response {
    let register = match guard(&state, &visitor, &hospital).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    let action = value(&pairs, "action").unwrap_or("save");
    if let Some(refused) = completion_refused(&visitor, &hospital, action) {
        return refused;
    }
    let stage = if action == "complete" {
        Stage::Complete
    } else {
        Stage::Draft
    };
    let mut prepared = match prepare(&state, register, &pairs, stage).await {
        Ok(p) => p,
        Err(err) => return failure_page(&state, &visitor, &err),
    };
    let lang = visitor.lang;
    // A registrar registers for the hospital in the address only.
    let unit = &register.unit_variable;
    if prepared.entered.get(unit).is_some_and(|code| *code != hospital) {
        let message = Text::new(t(Lang::Nb, "hospital-outside"), t(Lang::En, "hospital-outside"));
        prepared
            .findings
            .push(Finding::new(unit, "scope", Severity::Error, message));
    }
    let confirm_warnings = ticked(&pairs, "confirm_warnings");
    let parts = |prepared, notice, ask_new_event, ask_warnings| PageParts {
        hospital: &hospital,
        current: None,
        prepared,
        notice,
        ask_new_event,
        ask_warnings,
    };
    if let Some(held) = prepared.held_back(action, confirm_warnings, lang) {
        let parts = parts(&prepared, held.notice, false, held.ask_warnings);
        return form_page(&state, &visitor, register, parts, held.status).await;
    }
    let status = if action == "complete" {
        Status::Complete
    } else {
        Status::Draft
    };
    let result = state
        .platform
        .create_checked(
            &hospital_scope(&hospital),
            REGISTER,
            prepared.doc.clone(),
            status,
            visitor.actor(),
            ticked(&pairs, "confirm_new_event"),
        )
        .await;
    match result {
        Ok(saved) => {
            let notice = if status == Status::Complete {
                "completed"
            } else {
                "saved"
            };
            redirect(&format!("/h/{hospital}/r/{}?notice={notice}", saved.registration.id))
        }
        Err(AppError::Invalid(findings)) => {
            let duplicate = findings.iter().any(|f| f.rule == "possible_duplicate");
            prepared.findings = findings;
            let ask_warnings = action == "complete" && confirm_warnings;
            form_page(
                &state,
                &visitor,
                register,
                parts(&prepared, None, duplicate, ask_warnings),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(err) => failure_page(&state, &visitor, &err),
    }
}

/// An htmx check of one field: its errors and warnings for the values entered so far.
pub async fn check_field(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiPath(hospital): ApiPath<String>,
    Query(query): Query<Vec<(String, String)>>,
    Form(pairs): Pairs,
) -> Response {
    let register = match guard(&state, &visitor, &hospital).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    let Some(field) = value(&query, "field") else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    match prepare(&state, register, &pairs, Stage::Draft).await {
        Ok(prepared) => Html(form::messages(visitor.lang, field, &prepared.findings)).into_response(),
        Err(err) => failure_page(&state, &visitor, &err),
    }
}

/// An htmx re-render of the form's sections after a field that controls them changed.
pub async fn render_body(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiPath(hospital): ApiPath<String>,
    Form(pairs): Pairs,
) -> Response {
    let register = match guard(&state, &visitor, &hospital).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    match prepare(&state, register, &pairs, Stage::Draft).await {
        Ok(mut prepared) => {
            // Only fields the registrar has filled in carry messages while typing.
            let entered: Vec<String> = prepared.entered.keys().cloned().collect();
            prepared.findings.retain(|f| entered.contains(&f.field));
            let list = hospitals(&state).await;
            Html(form_body(&list, register, &visitor, &hospital, &prepared, true)).into_response()
        }
        Err(err) => failure_page(&state, &visitor, &err),
    }
}

#[derive(serde::Deserialize)]
pub struct Notice {
    notice: Option<String>,
}

fn notice_text(lang: Lang, notice: Option<&str>, current: i64) -> Option<String> {
    let key = match notice? {
        "saved" => "form-saved",
        "completed" => "form-completed",
        "locked" => "form-locked",
        "reopened" => "form-reopened",
        "reason-required" => "reason-required",
        "bad-transition" => "bad-transition",
        "stale" => return Some(t_with(lang, "stale-version", &[("current", &current.to_string())])),
        _ => return None,
    };
    Some(t(lang, key).to_owned())
}

fn parse_id(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id).map_err(|_| AppError::NotFound(Uuid::nil()))
}

async fn load(state: &AppState, hospital: &str, id: &str) -> Result<RegistrationView, AppError> {
    state
        .platform
        .get(&hospital_scope(hospital), REGISTER, parse_id(id)?)
        .await
}

/// The registration the form page shows the person of: an audited read (`form`).
async fn read_for_form(
    state: &AppState,
    visitor: &Visitor,
    hospital: &str,
    id: &str,
) -> Result<RegistrationView, AppError> {
    let scope = hospital_scope(hospital);
    state
        .platform
        .read(&scope, REGISTER, parse_id(id)?, visitor.actor(), "form")
        .await
}

pub async fn edit_page(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiPath((hospital, id)): ApiPath<(String, String)>,
    Query(query): Query<Notice>,
) -> Response {
    let register = match guard(&state, &visitor, &hospital).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    let view = match read_for_form(&state, &visitor, &hospital, &id).await {
        Ok(v) => v,
        Err(err) => return failure_page(&state, &visitor, &err),
    };
    let pairs = pairs_of(&entry::shown(register, &view.values));
    let prepared = match prepare(&state, register, &pairs, Stage::Draft).await {
        Ok(p) => p,
        Err(err) => return failure_page(&state, &visitor, &err),
    };
    let notice = notice_text(visitor.lang, query.notice.as_deref(), view.version);
    let parts = PageParts {
        hospital: &hospital,
        current: Some(&view),
        prepared: &prepared,
        notice,
        ask_new_event: false,
        ask_warnings: false,
    };
    form_page(&state, &visitor, register, parts, StatusCode::OK).await
}

fn posted_version(pairs: &[(String, String)]) -> i64 {
    value(pairs, "version").and_then(|v| v.trim().parse().ok()).unwrap_or(0)
}

pub async fn save(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiPath((hospital, id)): ApiPath<(String, String)>,
    Form(pairs): Pairs,
) -> Response {
    let register = match guard(&state, &visitor, &hospital).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    let view = match load(&state, &hospital, &id).await {
        Ok(v) => v,
        Err(err) => return failure_page(&state, &visitor, &err),
    };
    let base = format!("/h/{hospital}/r/{}", view.id);
    let version = posted_version(&pairs);
    if version != view.version {
        return redirect(&format!("{base}?notice=stale"));
    }
    let action = value(&pairs, "action").unwrap_or("save");
    if let Some(refused) = completion_refused(&visitor, &hospital, action) {
        return refused;
    }
    let completing = action == "complete" || view.status != Status::Draft;
    let stage = if completing { Stage::Complete } else { Stage::Draft };
    let mut prepared = match prepare(&state, register, &pairs, stage).await {
        Ok(p) => p,
        Err(err) => return failure_page(&state, &visitor, &err),
    };
    let confirm_warnings = ticked(&pairs, "confirm_warnings");
    let lang = visitor.lang;
    let parts = |prepared, notice, ask_warnings| PageParts {
        hospital: &hospital,
        current: Some(&view),
        prepared,
        notice,
        ask_new_event: false,
        ask_warnings,
    };
    if let Some(held) = prepared.held_back(action, confirm_warnings, lang) {
        let parts = parts(&prepared, held.notice, held.ask_warnings);
        return form_page(&state, &visitor, register, parts, held.status).await;
    }
    let scope = hospital_scope(&hospital);
    let updated = state
        .platform
        .update(
            &scope,
            REGISTER,
            view.id,
            version,
            prepared.doc.clone(),
            visitor.actor(),
        )
        .await;
    let updated = match updated {
        Ok(saved) => saved,
        Err(AppError::Invalid(findings)) => {
            prepared.findings = findings;
            return form_page(
                &state,
                &visitor,
                register,
                parts(&prepared, None, false),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        Err(AppError::Conflict { .. }) => return redirect(&format!("{base}?notice=stale")),
        Err(err) => return failure_page(&state, &visitor, &err),
    };
    if action != "complete" || updated.registration.status != Status::Draft {
        return redirect(&format!("{base}?notice=saved"));
    }
    match state
        .platform
        .complete(&scope, REGISTER, view.id, updated.registration.version, visitor.actor())
        .await
    {
        Ok(_) => redirect(&format!("{base}?notice=completed")),
        Err(AppError::Invalid(findings)) => {
            prepared.findings = findings;
            form_page(
                &state,
                &visitor,
                register,
                parts(&prepared, None, false),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(err) => failure_page(&state, &visitor, &err),
    }
}

/// Where a lock or reopen goes next: back to the page, with what happened.
fn outcome(base: &str, result: Result<kvalreg_app::Saved, AppError>, done: &str) -> Result<Response, AppError> {
    let notice = match result {
        Ok(_) => done,
        Err(AppError::ReasonRequired) => "reason-required",
        Err(AppError::BadTransition { .. } | AppError::Locked(_)) => "bad-transition",
        Err(AppError::Conflict { .. }) => "stale",
        Err(err) => return Err(err),
    };
    Ok(redirect(&format!("{base}?notice={notice}")))
}

/// A status change asked for from the form page: lock, or reopen with the posted reason.
enum StatusChange {
    Lock,
    Reopen,
}

pub async fn lock(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiPath((hospital, id)): ApiPath<(String, String)>,
    Form(pairs): Pairs,
) -> Response {
    change_status(&state, &visitor, &hospital, &id, &pairs, StatusChange::Lock).await
}

pub async fn reopen(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiPath((hospital, id)): ApiPath<(String, String)>,
    Form(pairs): Pairs,
) -> Response {
    change_status(&state, &visitor, &hospital, &id, &pairs, StatusChange::Reopen).await
}

async fn change_status(
    state: &AppState,
    visitor: &Visitor,
    hospital: &str,
    id: &str,
    pairs: &[(String, String)],
    change: StatusChange,
) -> Response {
    if let Err(response) = guard(state, visitor, hospital).await {
        return response;
    }
    let view = match load(state, hospital, id).await {
        Ok(v) => v,
        Err(err) => return failure_page(state, visitor, &err),
    };
    let scope = hospital_scope(hospital);
    let version = posted_version(pairs);
    let (result, done) = match change {
        StatusChange::Lock => (
            state
                .platform
                .lock(&scope, REGISTER, view.id, version, visitor.actor())
                .await,
            "locked",
        ),
        StatusChange::Reopen => {
            let reason = value(pairs, "reason").unwrap_or("");
            (
                state
                    .platform
                    .reopen(&scope, REGISTER, view.id, version, reason, visitor.actor())
                    .await,
                "reopened",
            )
        }
    };
    outcome(&format!("/h/{hospital}/r/{}", view.id), result, done)
        .unwrap_or_else(|err| failure_page(state, visitor, &err))
}
