//! A user's own access: the sign-in page, signing out (here or on every device) and enrolling
//! the second factor with a QR code, after which the recovery codes are shown once.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::header::SET_COOKIE;
use axum::response::{Html, IntoResponse, Response};
use jiff::Timestamp;
use kvalreg_app::AppError;
use kvalreg_app::access::{Principal, SignInRefusal};
use kvalreg_core::messages::Lang;
use qrcode::QrCode;
use qrcode::render::svg;

use super::catalogue::{t, t_with};
use super::pages::{Back, failure_page, redirect};
use super::{Visitor, layout};
use crate::AppState;
use crate::access::{SESSION_COOKIE, Signed};
use crate::html::escape;

/// Where a sign-in may send the browser back to: a path on this site only.
fn local_path(back: Option<&str>) -> Option<&str> {
    back.filter(|b| b.starts_with('/') && !b.starts_with("//") && !b.contains('\\') && !b.starts_with("/signin"))
}

fn signin_form(visitor: &Visitor, demo: bool, back: Option<&str>, user: &str, refusal: Option<&str>) -> String {
    let lang = visitor.lang;
    let alert = refusal.map_or(String::new(), |message| {
        format!(
            "<p class=\"refusal\" role=\"alert\" id=\"signin-refusal\">{}</p>\n",
            escape(message)
        )
    });
    let main = format!(
        "<h1>{title}</h1>\n<p>{note}</p>\n{alert}<form method=\"post\" action=\"/signin\" class=\"signin\">\n\
         <input type=\"hidden\" name=\"back\" value=\"{back}\">\n\
         <div class=\"field\"><label for=\"user\">{user_label}</label>\n\
         <input id=\"user\" name=\"user\" required autocomplete=\"username\" value=\"{user}\"></div>\n\
         <div class=\"field\"><label for=\"password\">{password}</label>\n\
         <input id=\"password\" name=\"password\" type=\"password\" required autocomplete=\"current-password\"></div>\n\
         <div class=\"field\"><label for=\"code\">{code}</label>\n\
         <input id=\"code\" name=\"code\" autocomplete=\"one-time-code\" inputmode=\"numeric\" aria-describedby=\"code-hint\">\n\
         <p class=\"hint\" id=\"code-hint\">{hint}</p></div>\n\
         <button type=\"submit\">{submit}</button>\n</form>\n",
        title = escape(t(lang, "signin-title")),
        note = escape(t(lang, "signin-note")),
        back = escape(back.unwrap_or("")),
        user_label = escape(t(lang, "signin-user")),
        user = escape(user),
        password = escape(t(lang, "signin-password")),
        code = escape(t(lang, "signin-code")),
        hint = escape(t(lang, "signin-code-hint")),
        submit = escape(t(lang, "signin-submit")),
    );
    layout(visitor, demo, None, "/signin", t(lang, "signin-title"), &main)
}

pub async fn signin_page(State(state): State<AppState>, visitor: Visitor, Query(query): Query<Back>) -> Response {
    let back = local_path(query.back.as_deref());
    Html(signin_form(&visitor, state.options.demo, back, "", None)).into_response()
}

#[derive(serde::Deserialize)]
pub struct SignIn {
    user: String,
    password: String,
    #[serde(default)]
    code: String,
    back: Option<String>,
}

/// Where a user lands after signing in: their only hospital's worklist, or the start page.
fn landing(principal: &Principal) -> String {
    let hospitals = principal.hospitals();
    match (hospitals.len(), hospitals.first()) {
        (1, Some(code)) => format!("/h/{code}"),
        _ => "/".to_owned(),
    }
}

pub async fn signin(State(state): State<AppState>, visitor: Visitor, Form(form): Form<SignIn>) -> Response {
    let options = state.options;
    let outcome = state
        .platform
        .sign_in(
            &form.user,
            &form.password,
            &form.code,
            options.second_factor_required,
            Timestamp::now(),
        )
        .await;
    let back = local_path(form.back.as_deref());
    let signed_in = match outcome {
        Ok(Ok(signed_in)) => signed_in,
        Ok(Err(refusal)) => {
            let status = match refusal {
                SignInRefusal::Locked(_) => StatusCode::TOO_MANY_REQUESTS,
                SignInRefusal::Wrong | SignInRefusal::Disabled => StatusCode::UNAUTHORIZED,
            };
            let message = refusal.message();
            let page = signin_form(
                &visitor,
                options.demo,
                back,
                &form.user,
                Some(message.get(visitor.lang)),
            );
            return (status, Html(page)).into_response();
        }
        Err(err) => return failure_page(&state, &visitor, &err),
    };
    let to = if options.second_factor_required
        && matches!(
            signed_in.principal.via,
            kvalreg_app::access::Via::Session { must_enrol: true, .. }
        ) {
        "/account/second-factor".to_owned()
    } else {
        back.map_or_else(|| landing(&signed_in.principal), str::to_owned)
    };
    let secure = if options.secure_cookies { "; Secure" } else { "" };
    let mut response = redirect(&to);
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax{secure}",
        signed_in.cookie
    );
    if let Ok(value) = cookie.parse() {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    response
}

/// The answer to signing out: the cookie cleared, a page saying so.
fn signed_out(state: &AppState, lang: Lang, message: &str) -> Response {
    let visitor = Visitor { lang, principal: None };
    let main = format!(
        "<p id=\"signed-out\">{}</p>\n<p><a href=\"/signin\">{}</a></p>\n",
        escape(message),
        escape(t(lang, "signin-title"))
    );
    let page = layout(
        &visitor,
        state.options.demo,
        None,
        "/signin",
        t(lang, "signin-title"),
        &main,
    );
    let mut response = Html(page).into_response();
    let clear = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    if let Ok(value) = clear.parse() {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    response
}

pub async fn signout(State(state): State<AppState>, visitor: Visitor, Signed(principal): Signed) -> Response {
    match state.platform.sign_out(&principal).await {
        Ok(()) => signed_out(&state, visitor.lang, t(visitor.lang, "signed-out")),
        Err(err) => failure_page(&state, &visitor, &err),
    }
}

pub async fn signout_everywhere(
    State(state): State<AppState>,
    visitor: Visitor,
    Signed(principal): Signed,
) -> Response {
    match state.platform.sign_out_everywhere(&principal).await {
        Ok(count) => {
            let message = t_with(visitor.lang, "signed-out-everywhere", &[("count", &count.to_string())]);
            signed_out(&state, visitor.lang, &message)
        }
        Err(err) => failure_page(&state, &visitor, &err),
    }
}

/// The account page: the QR code to enrol (or the note that the user has enrolled) and
/// signing out on every device.
pub async fn second_factor_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Signed(principal): Signed,
) -> Response {
    let lang = visitor.lang;
    let enrolled = matches!(principal.via, kvalreg_app::access::Via::Session { enrolled: true, .. });
    let mut main = format!("<h1>{}</h1>\n", escape(t(lang, "tfa-title")));
    if enrolled {
        main.push_str(&format!(
            "<p id=\"tfa-enrolled\">{}</p>\n",
            escape(t(lang, "tfa-enrolled"))
        ));
    } else {
        let (uri, secret) = match state.platform.offer_second_factor(&principal).await {
            Ok(offer) => offer,
            Err(err) => return failure_page(&state, &visitor, &err),
        };
        main.push_str(&enrolment_form(&visitor, &uri, &secret, None));
    }
    main.push_str(&signout_everywhere_form(&visitor));
    Html(layout(
        &visitor,
        state.options.demo,
        None,
        "/account/second-factor",
        t(lang, "tfa-title"),
        &main,
    ))
    .into_response()
}

fn signout_everywhere_form(visitor: &Visitor) -> String {
    format!(
        "<form method=\"post\" action=\"/signout/everywhere\">{}<button type=\"submit\" id=\"signout-everywhere\" class=\"secondary\">{}</button></form>\n",
        visitor.csrf_input(),
        escape(t(visitor.lang, "signout-everywhere"))
    )
}

/// The QR code, the key in text, and the field for the first code.
fn enrolment_form(visitor: &Visitor, uri: &str, secret: &str, refusal: Option<&str>) -> String {
    let lang = visitor.lang;
    let qr = QrCode::new(uri.as_bytes()).map_or_else(
        |_| String::new(),
        |code| {
            code.render::<svg::Color<'_>>()
                .min_dimensions(220, 220)
                .dark_color(svg::Color("#000000"))
                .light_color(svg::Color("#ffffff"))
                .build()
        },
    );
    let alert = refusal.map_or(String::new(), |m| {
        format!(
            "<p class=\"refusal\" role=\"alert\" id=\"tfa-refusal\">{}</p>\n",
            escape(m)
        )
    });
    format!(
        "<p>{intro}</p>\n<figure class=\"qr\" id=\"tfa-qr\" role=\"img\" aria-label=\"QR\">{qr}</figure>\n\
         <p>{secret_label} <code id=\"tfa-secret\">{secret}</code></p>\n{alert}\
         <form method=\"post\" action=\"/account/second-factor\">{csrf}\n\
         <div class=\"field\"><label for=\"code\">{code}</label>\n\
         <input id=\"code\" name=\"code\" required autocomplete=\"one-time-code\" inputmode=\"numeric\"></div>\n\
         <button type=\"submit\" id=\"tfa-confirm\">{confirm}</button></form>\n",
        intro = escape(t(lang, "tfa-intro")),
        secret_label = escape(t(lang, "tfa-secret")),
        secret = escape(secret),
        csrf = visitor.csrf_input(),
        code = escape(t(lang, "tfa-code")),
        confirm = escape(t(lang, "tfa-confirm")),
    )
}

#[derive(serde::Deserialize)]
pub struct Confirm {
    code: String,
}

pub async fn confirm_second_factor(
    State(state): State<AppState>,
    visitor: Visitor,
    Signed(principal): Signed,
    Form(form): Form<Confirm>,
) -> Response {
    let lang = visitor.lang;
    let codes = match state
        .platform
        .confirm_second_factor(&principal, &form.code, Timestamp::now())
        .await
    {
        Ok(codes) => codes,
        Err(AppError::Invalid(findings)) => {
            let message = findings.first().map_or("", |f| f.message(lang)).to_owned();
            // A fresh QR code: the refused one stays unconfirmed.
            let (uri, secret) = match state.platform.offer_second_factor(&principal).await {
                Ok(offer) => offer,
                Err(err) => return failure_page(&state, &visitor, &err),
            };
            let main = format!(
                "<h1>{}</h1>\n{}",
                escape(t(lang, "tfa-title")),
                enrolment_form(&visitor, &uri, &secret, Some(&message))
            );
            let page = layout(
                &visitor,
                state.options.demo,
                None,
                "/account/second-factor",
                t(lang, "tfa-title"),
                &main,
            );
            return (StatusCode::UNPROCESSABLE_ENTITY, Html(page)).into_response();
        }
        Err(err) => return failure_page(&state, &visitor, &err),
    };
    let list: String = codes
        .iter()
        .map(|c| format!("<li><code>{}</code></li>", escape(c)))
        .collect();
    let main = format!(
        "<h1>{title}</h1>\n<p>{intro}</p>\n<ol id=\"recovery-codes\">{list}</ol>\n<p><a class=\"button\" href=\"{next}\">{cont}</a></p>\n",
        title = escape(t(lang, "tfa-done-title")),
        intro = escape(t(lang, "tfa-recovery-intro")),
        next = escape(&landing(&principal)),
        cont = escape(t(lang, "tfa-continue")),
    );
    Html(layout(
        &visitor,
        state.options.demo,
        None,
        "/",
        t(lang, "tfa-done-title"),
        &main,
    ))
    .into_response()
}
