//! The registrar pages that only read: the language switch, a hospital's worklist and a
//! registration's history.

use std::collections::BTreeSet;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::response::{Html, IntoResponse, Response};
use kvalreg_app::{AppError, WorkItem};
use kvalreg_core::definition::Register;
use kvalreg_core::messages::Lang;
use kvalreg_core::time::{format_date_norwegian, format_moment_norwegian};
use kvalreg_core::value::Moment;
use kvalreg_store::{Scope, Status};
use uuid::Uuid;

use super::catalogue::{t, t_with};
use super::entry::display;
use super::{LANG_COOKIE, Visitor, layout};
use crate::AppState;
use crate::extract::ApiPath;
use crate::html::escape;

/// The register the registrar pages serve (the stroke register first).
pub(super) const REGISTER: &str = crate::access::PAGE_REGISTER;

/// A signed-in registrar sees one hospital: the one in the address.
pub(super) fn hospital_scope(hospital: &str) -> Scope {
    Scope::Hospitals(BTreeSet::from([hospital.to_owned()]))
}

pub(super) fn status_label(lang: Lang, status: Status) -> &'static str {
    match status {
        Status::Draft => t(lang, "status-draft"),
        Status::Complete => t(lang, "status-complete"),
        Status::Locked => t(lang, "status-locked"),
    }
}

/// A status by its stored name.
fn status_of(name: &str) -> Option<Status> {
    match name {
        "draft" => Some(Status::Draft),
        "complete" => Some(Status::Complete),
        "locked" => Some(Status::Locked),
        _ => None,
    }
}

pub(super) fn redirect(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to.to_owned())]).into_response()
}

/// A page for a failure: not found for unknown registrations and hospitals, otherwise a
/// logged 500 that reveals nothing.
pub(super) fn failure_page(state: &AppState, visitor: &Visitor, err: &AppError) -> Response {
    let (status, key) = match err {
        AppError::NotFound(_) | AppError::UnknownRegister(_) => (StatusCode::NOT_FOUND, "not-found"),
        other => {
            tracing::error!("registrar page failed: {other}");
            (StatusCode::INTERNAL_SERVER_ERROR, "error-page")
        }
    };
    let main = format!("<p>{}</p>\n", escape(t(visitor.lang, key)));
    let page = layout(
        visitor,
        state.options.demo,
        None,
        "/signin",
        t(visitor.lang, key),
        &main,
    );
    (status, Html(page)).into_response()
}

/// Whether a hospital code is in the hospital list.
pub(super) async fn known_hospital(state: &AppState, code: &str) -> Result<bool, AppError> {
    Ok(state.platform.hospital_codes().await?.contains(code))
}

#[derive(serde::Deserialize)]
pub struct Back {
    pub(super) back: Option<String>,
}

pub async fn switch_language(ApiPath(code): ApiPath<String>, Query(query): Query<Back>) -> Response {
    let code = if code == "en" { "en" } else { "nb" };
    // Only a path on this site: never an address elsewhere.
    let back = query
        .back
        .filter(|b| b.starts_with('/') && !b.starts_with("//") && !b.contains('\\'))
        .unwrap_or_else(|| "/".to_owned());
    let mut response = redirect(&back);
    if let Ok(value) = format!("{LANG_COOKIE}={code}; Path=/; SameSite=Lax; Max-Age=31536000").parse() {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    response
}

pub async fn worklist(State(state): State<AppState>, visitor: Visitor, ApiPath(hospital): ApiPath<String>) -> Response {
    match known_hospital(&state, &hospital).await {
        Ok(true) => {}
        Ok(false) => return failure_page(&state, &visitor, &AppError::UnknownRegister(hospital)),
        Err(err) => return failure_page(&state, &visitor, &err),
    }
    let today = crate::api::today();
    let list = match state
        .platform
        .worklist(&hospital_scope(&hospital), REGISTER, &hospital, today)
        .await
    {
        Ok(list) => list,
        Err(err) => return failure_page(&state, &visitor, &err),
    };
    let lang = visitor.lang;
    let here = format!("/h/{hospital}");
    let title = t_with(lang, "worklist-title", &[("hospital", &hospital)]);
    let mut main = format!(
        "<h1>{}</h1>\n<p><a class=\"button\" id=\"new-registration\" href=\"/h/{}/new\">{}</a></p>\n",
        escape(&title),
        escape(&hospital),
        escape(t(lang, "worklist-new"))
    );
    main.push_str(&format!(
        "<table class=\"counts\"><thead><tr><th></th><th class=\"number\">{count}</th></tr></thead><tbody>\n\
         <tr><td><a href=\"#drafts\">{d}</a></td><td class=\"number\" id=\"count-drafts\">{dn}</td></tr>\n\
         <tr><td><a href=\"#missing\">{m}</a></td><td class=\"number\" id=\"count-missing\">{mn}</td></tr>\n\
         <tr><td><a href=\"#followups\">{f}</a></td><td class=\"number\" id=\"count-followups\">{fn_}</td></tr>\n</tbody></table>\n",
        count = escape(t(lang, "worklist-counts")),
        d = escape(t(lang, "worklist-drafts")),
        dn = list.drafts.len(),
        m = escape(t(lang, "worklist-missing")),
        mn = list.missing_data.len(),
        f = escape(t(lang, "worklist-followups")),
        fn_ = list.follow_ups_due.len(),
    ));
    main.push_str(&items(
        lang,
        &hospital,
        "drafts",
        t(lang, "worklist-drafts"),
        &list.drafts,
        None,
    ));
    main.push_str(&items(
        lang,
        &hospital,
        "missing",
        t(lang, "worklist-missing"),
        &list.missing_data,
        state.platform.register(REGISTER).ok(),
    ));
    main.push_str(&items(
        lang,
        &hospital,
        "followups",
        t(lang, "worklist-followups"),
        &list.follow_ups_due,
        None,
    ));
    Html(layout(
        &visitor,
        state.options.demo,
        Some(&hospital),
        &here,
        &title,
        &main,
    ))
    .into_response()
}

/// One worklist table; with `missing` (the register) a column names the fields that lack data.
fn items(lang: Lang, hospital: &str, id: &str, title: &str, list: &[WorkItem], missing: Option<&Register>) -> String {
    let mut out = format!("<h2 id=\"{id}\">{}</h2>\n", escape(title));
    if list.is_empty() {
        out.push_str(&format!("<p>{}</p>\n", escape(t(lang, "worklist-empty"))));
        return out;
    }
    out.push_str(&format!(
        "<table><thead><tr><th>{onset}</th><th>{status}</th>{missing_head}<th></th></tr></thead><tbody>\n",
        onset = escape(t(lang, "worklist-onset")),
        status = escape(t(lang, "worklist-status")),
        missing_head = if missing.is_some() {
            format!("<th>{}</th>", escape(t(lang, "worklist-missing-fields")))
        } else {
            String::new()
        },
    ));
    for item in list {
        let missing_cell = match missing {
            Some(register) => {
                let labels: Vec<&str> = item
                    .missing
                    .iter()
                    .map(|name| register.variable(name).map_or(name.as_str(), |v| v.label.get(lang)))
                    .collect();
                format!("<td>{}</td>", escape(&labels.join(", ")))
            }
            None => String::new(),
        };
        out.push_str(&format!(
            "<tr><td>{onset}</td><td>{status}</td>{missing_cell}<td><a href=\"/h/{h}/r/{rid}\">{open}</a></td></tr>\n",
            onset = item.onset.map(format_date_norwegian).unwrap_or_default(),
            status = escape(status_label(lang, item.status)),
            h = escape(hospital),
            rid = item.id,
            open = escape(t(lang, "worklist-open")),
        ));
    }
    out.push_str("</tbody></table>\n");
    out
}

pub async fn history(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiPath((hospital, id)): ApiPath<(String, String)>,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return failure_page(&state, &visitor, &AppError::NotFound(Uuid::nil()));
    };
    let scope = hospital_scope(&hospital);
    let versions = match state.platform.history(&scope, REGISTER, id).await {
        Ok(v) => v,
        Err(err) => return failure_page(&state, &visitor, &err),
    };
    let Ok(register) = state.platform.register(REGISTER) else {
        return failure_page(&state, &visitor, &AppError::UnknownRegister(REGISTER.to_owned()));
    };
    let lang = visitor.lang;
    let title = t_with(lang, "history-title", &[("id", &id.to_string())]);
    let mut main = format!(
        "<h1>{}</h1>\n<p><a href=\"/h/{}/r/{id}\">{}</a></p>\n",
        escape(&title),
        escape(&hospital),
        escape(t(lang, "history-back"))
    );
    for v in versions.iter().rev() {
        let when = format_moment_norwegian(&Moment::At(v.changed_at));
        main.push_str(&format!(
            "<section class=\"version\" id=\"version-{n}\">\n<h2>{version} {n}</h2>\n<dl>\
             <dt>{status_h}</dt><dd class=\"status\">{status}</dd><dt>{when_h}</dt><dd>{when}</dd>\
             <dt>{who_h}</dt><dd class=\"who\">{who}</dd>",
            n = v.version,
            version = escape(t(lang, "history-version")),
            status_h = escape(t(lang, "history-status")),
            status = escape(status_label(lang, v.status)),
            when_h = escape(t(lang, "history-when")),
            who_h = escape(t(lang, "history-who")),
            who = escape(&v.changed_by),
        ));
        if let Some(reason) = &v.reason {
            main.push_str(&format!(
                "<dt>{}</dt><dd class=\"reason\">{}</dd>",
                escape(t(lang, "history-reason")),
                escape(reason)
            ));
        }
        main.push_str(&format!(
            "</dl>\n<table><caption>{}</caption><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>\n",
            escape(t(lang, "history-changes")),
            escape(t(lang, "history-field")),
            escape(t(lang, "history-before")),
            escape(t(lang, "history-after")),
        ));
        for change in &v.changes {
            let variable = register.variable(&change.field);
            let is_status = change.field == "status";
            let label = match variable {
                Some(v) => v.label.get(lang),
                None if is_status => t(lang, "history-status"),
                None => change.field.as_str(),
            };
            let var_type = variable.map_or(kvalreg_core::value::VarType::Text, |v| v.var_type);
            let shown = |value: &Option<serde_json::Value>| {
                let status = value
                    .as_ref()
                    .and_then(|j| j.as_str())
                    .and_then(status_of)
                    .filter(|_| is_status);
                match status {
                    Some(status) => status_label(lang, status).to_owned(),
                    None => value
                        .as_ref()
                        .and_then(|j| display(var_type, j))
                        .unwrap_or_else(|| t(lang, "history-empty-value").to_owned()),
                }
            };
            main.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                escape(label),
                escape(&shown(&change.before)),
                escape(&shown(&change.after)),
            ));
        }
        main.push_str("</tbody></table>\n</section>\n");
    }
    let here = format!("/h/{hospital}/r/{id}/history");
    Html(layout(
        &visitor,
        state.options.demo,
        Some(&hospital),
        &here,
        &title,
        &main,
    ))
    .into_response()
}
