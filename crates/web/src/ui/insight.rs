//! Patient insight for register staff: a register admin looks a person up by national id
//! (posted, never in an address) and gets the page to hand over — what each register holds
//! about the person, every recorded access to it and their reservations — and may issue the
//! person a one-time access code to read it themselves. Look-up and issue are audited.

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{Html, IntoResponse, Response};
use kvalreg_app::AppError;
use kvalreg_app::access::Principal;
use kvalreg_app::insight::Insight;
use kvalreg_app::insight_code::CODE_VALID_DAYS;
use kvalreg_core::messages::Lang;
use kvalreg_store::{Role, Scope};

use super::catalogue::{t, t_with};
use super::pages::failure_page;
use super::{Visitor, layout};
use crate::AppState;
use crate::access::Signed;
use crate::html::escape;

fn lookup_form(visitor: &Visitor, refusal: Option<&str>) -> String {
    let lang = visitor.lang;
    let alert = refusal.map_or(String::new(), |m| {
        format!(
            "<p class=\"refusal\" role=\"alert\" id=\"insight-refusal\">{}</p>\n",
            escape(m)
        )
    });
    format!(
        "<h1>{title}</h1>\n<p>{intro}</p>\n{alert}<form method=\"post\" action=\"/insight\">{csrf}\n\
         <div class=\"field\"><label for=\"national_id\">{label}</label>\n\
         <input id=\"national_id\" name=\"national_id\" required autocomplete=\"off\" inputmode=\"numeric\"></div>\n\
         <button type=\"submit\" id=\"insight-lookup\">{submit}</button></form>\n",
        title = escape(t(lang, "insight-title")),
        intro = escape(t(lang, "insight-intro")),
        csrf = visitor.csrf_input(),
        label = escape(t(lang, "insight-national-id")),
        submit = escape(t(lang, "insight-submit")),
    )
}

pub async fn page(State(state): State<AppState>, visitor: Visitor) -> Response {
    let main = lookup_form(&visitor, None);
    Html(layout(
        &visitor,
        state.options.demo,
        None,
        "/insight",
        t(visitor.lang, "insight-title"),
        &main,
    ))
    .into_response()
}

#[derive(serde::Deserialize)]
pub struct Lookup {
    national_id: String,
}

/// The person's insight from the posted national id, or the page refusing it.
async fn lookup(
    state: &AppState,
    visitor: &Visitor,
    principal: &Principal,
    national_id: &str,
) -> Result<Insight, Response> {
    let lang = visitor.lang;
    // Each register the caller administers, whole; no other register.
    let scope_of = |register: &str| {
        if principal.has(Role::RegisterAdmin, Some(register), None) {
            Scope::AllHospitals
        } else {
            Scope::Hospitals(Default::default())
        }
    };
    match state.platform.insight(national_id, scope_of, &principal.name).await {
        Ok(insight) => Ok(insight),
        Err(AppError::Invalid(findings)) => {
            let message = findings.first().map_or("", |f| f.message(lang)).to_owned();
            let main = lookup_form(visitor, Some(&message));
            let page = layout(
                visitor,
                state.options.demo,
                None,
                "/insight",
                t(lang, "insight-title"),
                &main,
            );
            Err((StatusCode::UNPROCESSABLE_ENTITY, Html(page)).into_response())
        }
        Err(err) => Err(failure_page(state, visitor, &err)),
    }
}

pub async fn report(
    State(state): State<AppState>,
    visitor: Visitor,
    Signed(principal): Signed,
    Form(form): Form<Lookup>,
) -> Response {
    let insight = match lookup(&state, &visitor, &principal, &form.national_id).await {
        Ok(insight) => insight,
        Err(refused) => return refused,
    };
    let lang = visitor.lang;
    let mut main = report_main(lang, &insight);
    main.push_str(&format!(
        "<form method=\"post\" action=\"/insight/pdf\">{}<input type=\"hidden\" name=\"national_id\" value=\"{}\">\
         <button type=\"submit\" id=\"insight-pdf\">{}</button></form>\n",
        visitor.csrf_input(),
        escape(&form.national_id),
        escape(t(lang, "insight-pdf"))
    ));
    main.push_str(&issue_form(&state, &visitor, &principal, &form.national_id));
    Html(layout(
        &visitor,
        state.options.demo,
        None,
        "/insight",
        t(lang, "insight-title"),
        &main,
    ))
    .into_response()
}

/// The same report as a PDF to send to the person.
pub async fn pdf(
    State(state): State<AppState>,
    visitor: Visitor,
    Signed(principal): Signed,
    Form(form): Form<Lookup>,
) -> Response {
    let insight = match lookup(&state, &visitor, &principal, &form.national_id).await {
        Ok(insight) => insight,
        Err(refused) => return refused,
    };
    let bytes = kvalreg_report::insight::insight_pdf(&insight, jiff::Timestamp::now());
    (
        [
            (CONTENT_TYPE, "application/pdf"),
            (CONTENT_DISPOSITION, "attachment; filename=\"innsyn.pdf\""),
        ],
        bytes,
    )
        .into_response()
}

/// The form that issues a one-time access code for the person looked up, on behalf of one
/// of the registers the caller administers.
fn issue_form(state: &AppState, visitor: &Visitor, principal: &Principal, national_id: &str) -> String {
    let lang = visitor.lang;
    let options: String = state
        .platform
        .registers()
        .filter(|r| principal.has(Role::RegisterAdmin, Some(&r.id), None))
        .map(|r| {
            format!(
                "<option value=\"{}\">{}</option>",
                escape(&r.id),
                escape(r.title.get(lang))
            )
        })
        .collect();
    format!(
        "<section id=\"insight-issue\"><h2>{title}</h2>\n<p>{intro}</p>\n\
         <form method=\"post\" action=\"/insight/issue-code\">{csrf}<input type=\"hidden\" name=\"national_id\" value=\"{id}\">\n\
         <div class=\"field\"><label for=\"issue-register\">{register}</label>\n\
         <select id=\"issue-register\" name=\"register\">{options}</select></div>\n\
         <button type=\"submit\" id=\"insight-issue-code\">{submit}</button></form></section>\n",
        title = escape(t(lang, "code-issue-title")),
        intro = escape(&t_with(
            lang,
            "code-issue-intro",
            &[("days", &CODE_VALID_DAYS.to_string())]
        )),
        csrf = visitor.csrf_input(),
        id = escape(national_id),
        register = escape(t(lang, "code-issue-register")),
        submit = escape(t(lang, "code-issue-submit")),
    )
}

#[derive(serde::Deserialize)]
pub struct Issue {
    national_id: String,
    register: String,
}

/// Issues a one-time access code and shows it once, for the letter to the person.
pub async fn issue_code(
    State(state): State<AppState>,
    visitor: Visitor,
    Signed(principal): Signed,
    Form(form): Form<Issue>,
) -> Response {
    let lang = visitor.lang;
    if !principal.has(Role::RegisterAdmin, Some(&form.register), None) {
        let page = super::refusal_page(lang, t(lang, "code-issue-not-admin"));
        return (StatusCode::FORBIDDEN, Html(page)).into_response();
    }
    let issued = match state
        .platform
        .issue_insight_code(
            &form.register,
            &form.national_id,
            &principal.name,
            jiff::Timestamp::now(),
        )
        .await
    {
        Ok(issued) => issued,
        Err(AppError::Invalid(findings)) => {
            let message = findings.first().map_or("", |f| f.message(lang)).to_owned();
            let page = layout(
                &visitor,
                state.options.demo,
                None,
                "/insight",
                t(lang, "insight-title"),
                &lookup_form(&visitor, Some(&message)),
            );
            return (StatusCode::UNPROCESSABLE_ENTITY, Html(page)).into_response();
        }
        Err(err) => return failure_page(&state, &visitor, &err),
    };
    let main = format!(
        "<h1>{title}</h1>\n<p>{letter}</p>\n<p class=\"access-code\" id=\"access-code\">{code}</p>\n<p id=\"access-code-expires\">{expires}</p>\n",
        title = escape(t(lang, "code-issued-title")),
        letter = escape(t(lang, "code-issued-letter")),
        code = escape(&issued.code),
        expires = escape(&t_with(
            lang,
            "code-issued-expires",
            &[("date", &issued.expires.strftime("%Y-%m-%d").to_string())]
        )),
    );
    Html(layout(
        &visitor,
        state.options.demo,
        None,
        "/insight",
        t(lang, "code-issued-title"),
        &main,
    ))
    .into_response()
}

/// The insight report's body: reservations, then per register the person's registrations
/// with their values and every recorded access. Staff and patient pages show the same.
pub(super) fn report_main(lang: Lang, insight: &Insight) -> String {
    let mut out = format!(
        "<h1>{}</h1>\n<p>{}</p>\n",
        escape(t(lang, "insight-report-title")),
        escape(t(lang, "insight-report-intro"))
    );
    if !insight.reservations.is_empty() {
        out.push_str("<ul id=\"insight-reservations\">\n");
        for reservation in &insight.reservations {
            out.push_str(&format!(
                "<li class=\"insight-reserved\">{}</li>\n",
                escape(&t_with(
                    lang,
                    "insight-reserved",
                    &[
                        ("register", &reservation.register),
                        ("date", &reservation.at.strftime("%Y-%m-%d").to_string())
                    ]
                ))
            ));
        }
        out.push_str("</ul>\n");
    }
    for (id, title, held) in &insight.registers {
        out.push_str(&format!(
            "<section class=\"insight-register\" id=\"insight-{}\"><h2>{}</h2>\n",
            escape(id),
            escape(title.get(lang))
        ));
        if held.is_empty() {
            out.push_str(&format!(
                "<p class=\"insight-none\">{}</p>\n",
                escape(t(lang, "insight-none"))
            ));
        }
        for item in held {
            let r = &item.registration;
            out.push_str(&format!(
                "<h3>{}</h3>\n<dl class=\"insight-values\">",
                escape(&t_with(
                    lang,
                    "insight-registration",
                    &[
                        ("hospital", &r.hospital),
                        ("status", kvalreg_app::status_name(r.status))
                    ]
                ))
            ));
            for (name, value) in &r.values {
                let shown = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
                out.push_str(&format!("<dt>{}</dt><dd>{}</dd>", escape(name), escape(&shown)));
            }
            out.push_str(&format!(
                "</dl>\n<table class=\"insight-accesses\"><caption>{}</caption><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>\n",
                escape(t(lang, "insight-accesses")),
                escape(t(lang, "audit-at")),
                escape(t(lang, "audit-actor")),
                escape(t(lang, "insight-role")),
                escape(t(lang, "audit-action")),
                escape(t(lang, "audit-hospital")),
                escape(t(lang, "insight-purpose")),
            ));
            for a in &item.accesses {
                let purpose = kvalreg_app::insight::purpose_of(a);
                out.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                    escape(&a.at.strftime("%Y-%m-%d %H:%M UTC").to_string()),
                    escape(&a.actor),
                    escape(insight.roles_of(&a.actor)),
                    escape(&a.action),
                    escape(a.hospital.as_deref().unwrap_or("")),
                    escape(&purpose),
                ));
            }
            out.push_str("</tbody></table>\n");
        }
        out.push_str("</section>\n");
    }
    out
}
