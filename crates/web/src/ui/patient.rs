//! Patient insight for the person themselves, without an account: national id and the
//! one-time code from the letter open a short patient session (its own cookie), in which
//! they read the same report register staff see, download it as PDF and may reserve
//! themselves against a register after confirming. These routes are public to the guard;
//! the patient session and its form token are checked here.

use axum::Form;
use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use jiff::Timestamp;
use kvalreg_app::insight_code::{CodeRefusal, form_token};
use kvalreg_app::{AppError, insight::Insight};
use kvalreg_core::messages::Lang;
use kvalreg_store::PatientSession;

use super::catalogue::{t, t_with};
use super::insight::report_main;
use super::pages::{failure_page, redirect};
use super::{Visitor, layout};
use crate::AppState;
use crate::access::{CSRF_FIELD, constant_time_eq, cookie};
use crate::html::escape;

/// The cookie of a patient session.
const PATIENT_COOKIE: &str = "kvalreg_patient";
/// The cookie the code form's token travels in.
const FORM_COOKIE: &str = "kvalreg_patient_form";
/// Where a visitor without a patient session is sent.
const CODE_PAGE: &str = "/insight/code";
const REPORT_PAGE: &str = "/insight/mine";

/// A patient page in the common frame.
fn page(state: &AppState, lang: Lang, here: &str, title: &str, main: &str) -> String {
    let visitor = Visitor { lang, principal: None };
    layout(&visitor, state.options.demo, None, here, title, main)
}

/// A cookie on `path`, HttpOnly and SameSite=Strict, Secure unless the server runs with
/// insecure cookies; an empty value clears it.
fn set_cookie(state: &AppState, response: &mut Response, name: &str, value: &str, path: &str) {
    let secure = if state.options.secure_cookies { "; Secure" } else { "" };
    let clear = if value.is_empty() { "; Max-Age=0" } else { "" };
    let text = format!("{name}={value}; Path={path}; HttpOnly; SameSite=Strict{secure}{clear}");
    if let Ok(header) = text.parse() {
        response.headers_mut().append(SET_COOKIE, header);
    }
}

fn hidden_token(token: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{CSRF_FIELD}\" value=\"{}\">",
        escape(token)
    )
}

/// The code form with a fresh form token (also set as a cookie), and a refusal if any.
fn code_form(state: &AppState, lang: Lang, status: StatusCode, refusal: Option<&str>) -> Response {
    let token = match form_token() {
        Ok(token) => token,
        Err(err) => return failure_page(state, &Visitor { lang, principal: None }, &err),
    };
    let alert = refusal.map_or(String::new(), |m| {
        format!(
            "<p class=\"refusal\" role=\"alert\" id=\"code-refusal\">{}</p>\n",
            escape(m)
        )
    });
    let main = format!(
        "<h1>{title}</h1>\n<p>{intro}</p>\n{alert}<form method=\"post\" action=\"{CODE_PAGE}\">{csrf}\n\
         <div class=\"field\"><label for=\"national_id\">{id_label}</label>\n\
         <input id=\"national_id\" name=\"national_id\" required autocomplete=\"off\" inputmode=\"numeric\"></div>\n\
         <div class=\"field\"><label for=\"code\">{code_label}</label>\n\
         <input id=\"code\" name=\"code\" required autocomplete=\"off\"></div>\n\
         <button type=\"submit\" id=\"code-submit\">{submit}</button></form>\n",
        title = escape(t(lang, "patient-title")),
        intro = escape(t(lang, "patient-intro")),
        csrf = hidden_token(&token),
        id_label = escape(t(lang, "insight-national-id")),
        code_label = escape(t(lang, "patient-code")),
        submit = escape(t(lang, "patient-submit")),
    );
    let mut response = (
        status,
        Html(page(state, lang, CODE_PAGE, t(lang, "patient-title"), &main)),
    )
        .into_response();
    set_cookie(state, &mut response, FORM_COOKIE, &token, CODE_PAGE);
    response
}

pub async fn code_page(State(state): State<AppState>, visitor: Visitor) -> Response {
    code_form(&state, visitor.lang, StatusCode::OK, None)
}

#[derive(serde::Deserialize)]
pub struct Redeem {
    national_id: String,
    code: String,
    #[serde(default)]
    csrf: String,
}

/// Whether a posted token is the expected one (which must not be empty).
fn same_token(given: &str, expected: &str) -> bool {
    !expected.is_empty() && constant_time_eq(given.as_bytes(), expected.as_bytes())
}

pub async fn redeem(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Form(form): Form<Redeem>,
) -> Response {
    let lang = visitor.lang;
    if !same_token(&form.csrf, cookie(&headers, FORM_COOKIE).unwrap_or_default()) {
        return code_form(
            &state,
            lang,
            StatusCode::BAD_REQUEST,
            Some(t(lang, "patient-form-expired")),
        );
    }
    let cookie_value = match state
        .platform
        .redeem_insight_code(&form.national_id, &form.code, Timestamp::now())
        .await
    {
        Ok(Ok(cookie_value)) => cookie_value,
        Ok(Err(refusal)) => {
            let status = match refusal {
                CodeRefusal::Locked => StatusCode::TOO_MANY_REQUESTS,
                CodeRefusal::Wrong | CodeRefusal::Used | CodeRefusal::Expired => StatusCode::UNAUTHORIZED,
            };
            return code_form(&state, lang, status, Some(refusal.message().get(lang)));
        }
        Err(AppError::Invalid(findings)) => {
            let message = findings.first().map_or("", |f| f.message(lang)).to_owned();
            return code_form(&state, lang, StatusCode::UNPROCESSABLE_ENTITY, Some(&message));
        }
        Err(err) => return failure_page(&state, &visitor, &err),
    };
    let mut response = redirect(REPORT_PAGE);
    set_cookie(&state, &mut response, PATIENT_COOKIE, &cookie_value, "/insight");
    set_cookie(&state, &mut response, FORM_COOKIE, "", CODE_PAGE);
    response
}

/// The request's patient session, or the answer sending the browser to the code page.
async fn patient(state: &AppState, visitor: &Visitor, headers: &HeaderMap) -> Result<PatientSession, Response> {
    let Some(value) = cookie(headers, PATIENT_COOKIE).filter(|c| !c.is_empty()) else {
        return Err(redirect(CODE_PAGE));
    };
    match state
        .platform
        .patient_session(value, state.options.session_idle, Timestamp::now())
        .await
    {
        Ok(Some(session)) => Ok(session),
        Ok(None) => {
            let mut response = redirect(CODE_PAGE);
            set_cookie(state, &mut response, PATIENT_COOKIE, "", "/insight");
            Err(response)
        }
        Err(err) => Err(failure_page(state, visitor, &err)),
    }
}

/// The patient session of a form post that carries the session's token.
async fn posting_patient(
    state: &AppState,
    visitor: &Visitor,
    headers: &HeaderMap,
    token: &str,
) -> Result<PatientSession, Response> {
    let session = patient(state, visitor, headers).await?;
    if !same_token(token, &session.csrf) {
        let page = super::refusal_page(visitor.lang, t(visitor.lang, "patient-form-expired"));
        return Err((StatusCode::FORBIDDEN, Html(page)).into_response());
    }
    Ok(session)
}

/// The report page: the insight report, its PDF, reservation and signing out.
fn report_page(
    state: &AppState,
    lang: Lang,
    session: &PatientSession,
    insight: &Insight,
    notice: Option<&str>,
) -> String {
    let csrf = hidden_token(&session.csrf);
    let mut main = notice.map_or(String::new(), |n| {
        format!(
            "<p class=\"notice\" role=\"status\" id=\"patient-notice\">{}</p>\n",
            escape(n)
        )
    });
    main.push_str(&report_main(lang, insight));
    main.push_str(&format!(
        "<form method=\"post\" action=\"{REPORT_PAGE}/pdf\">{csrf}<button type=\"submit\" id=\"patient-pdf\">{}</button></form>\n",
        escape(t(lang, "insight-pdf"))
    ));
    main.push_str(&format!(
        "<section id=\"patient-reserve\"><h2>{}</h2>\n<p>{}</p>\n",
        escape(t(lang, "patient-reserve-title")),
        escape(t(lang, "patient-reserve-intro"))
    ));
    for (id, title, _) in &insight.registers {
        if insight.reservations.iter().any(|r| r.register == *id) {
            continue;
        }
        main.push_str(&format!(
            "<form method=\"post\" action=\"{REPORT_PAGE}/reserve\">{csrf}<input type=\"hidden\" name=\"register\" value=\"{id}\">\
             <button type=\"submit\" id=\"patient-reserve-{id}\">{label}</button></form>\n",
            id = escape(id),
            label = escape(&t_with(lang, "patient-reserve-button", &[("register", title.get(lang))])),
        ));
    }
    main.push_str(&format!(
        "</section>\n<form method=\"post\" action=\"{REPORT_PAGE}/signout\">{csrf}<button type=\"submit\" id=\"patient-signout\">{}</button></form>\n",
        escape(t(lang, "nav-signout"))
    ));
    page(state, lang, REPORT_PAGE, t(lang, "insight-report-title"), &main)
}

/// The report of the session's person with a notice on top, or the failure page.
async fn report_with(state: &AppState, visitor: &Visitor, session: &PatientSession, notice: Option<&str>) -> Response {
    match state.platform.patient_insight(session).await {
        Ok(insight) => Html(report_page(state, visitor.lang, session, &insight, notice)).into_response(),
        Err(err) => failure_page(state, visitor, &err),
    }
}

pub async fn report(State(state): State<AppState>, visitor: Visitor, headers: HeaderMap) -> Response {
    match patient(&state, &visitor, &headers).await {
        Ok(session) => report_with(&state, &visitor, &session, None).await,
        Err(answer) => answer,
    }
}

#[derive(serde::Deserialize)]
pub struct PatientForm {
    #[serde(default)]
    csrf: String,
}

pub async fn pdf(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Form(form): Form<PatientForm>,
) -> Response {
    let session = match posting_patient(&state, &visitor, &headers, &form.csrf).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    match state.platform.patient_insight(&session).await {
        Ok(insight) => (
            [
                (CONTENT_TYPE, "application/pdf"),
                (CONTENT_DISPOSITION, "attachment; filename=\"innsyn.pdf\""),
            ],
            kvalreg_report::insight::insight_pdf(&insight, Timestamp::now()),
        )
            .into_response(),
        Err(err) => failure_page(&state, &visitor, &err),
    }
}

#[derive(serde::Deserialize)]
pub struct Reserve {
    #[serde(default)]
    csrf: String,
    register: String,
    /// `yes` once the person has read what a reservation does.
    #[serde(default)]
    confirm: String,
}

/// Asks the person to confirm a reservation, then records it.
pub async fn reserve(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Form(form): Form<Reserve>,
) -> Response {
    let lang = visitor.lang;
    let session = match posting_patient(&state, &visitor, &headers, &form.csrf).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let register = match state.platform.register(&form.register) {
        Ok(register) => register,
        Err(err) => return failure_page(&state, &visitor, &err),
    };
    let title = register.title.get(lang);
    if form.confirm != "yes" {
        let main = format!(
            "<h1>{heading}</h1>\n<p id=\"patient-reserve-consequence\">{consequence}</p>\n\
             <form method=\"post\" action=\"{REPORT_PAGE}/reserve\">{csrf}<input type=\"hidden\" name=\"register\" value=\"{id}\">\
             <input type=\"hidden\" name=\"confirm\" value=\"yes\">\
             <button type=\"submit\" id=\"patient-reserve-confirm\">{confirm}</button></form>\n\
             <p><a href=\"{REPORT_PAGE}\" id=\"patient-reserve-cancel\">{cancel}</a></p>\n",
            heading = escape(&t_with(lang, "patient-reserve-confirm-title", &[("register", title)])),
            consequence = escape(&t_with(lang, "patient-reserve-consequence", &[("register", title)])),
            csrf = hidden_token(&session.csrf),
            id = escape(&register.id),
            confirm = escape(t(lang, "patient-reserve-confirm")),
            cancel = escape(t(lang, "patient-reserve-cancel")),
        );
        return Html(page(&state, lang, REPORT_PAGE, t(lang, "patient-reserve-title"), &main)).into_response();
    }
    match state.platform.patient_reserve(&session, &register.id).await {
        Ok(deleted) => {
            // The reservation removed this session with the look-up key it held: the page is
            // the last one it shows, and the cookie goes.
            let notice = t_with(
                lang,
                "patient-reserved",
                &[("register", title), ("count", &deleted.to_string())],
            );
            let mut response = report_with(&state, &visitor, &session, Some(&notice)).await;
            set_cookie(&state, &mut response, PATIENT_COOKIE, "", "/insight");
            response
        }
        Err(err) => failure_page(&state, &visitor, &err),
    }
}

pub async fn signout(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Form(form): Form<PatientForm>,
) -> Response {
    let session = match posting_patient(&state, &visitor, &headers, &form.csrf).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    if let Err(err) = state.platform.patient_sign_out(&session).await {
        return failure_page(&state, &visitor, &err);
    }
    let lang = visitor.lang;
    let main = format!("<p id=\"signed-out\">{}</p>\n", escape(t(lang, "signed-out")));
    let mut response = Html(page(&state, lang, CODE_PAGE, t(lang, "patient-title"), &main)).into_response();
    set_cookie(&state, &mut response, PATIENT_COOKIE, "", "/insight");
    response
}
