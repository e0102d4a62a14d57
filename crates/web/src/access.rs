//! The route table and the one guard every route passes: who is asking (a session cookie or
//! an API token), whether their grants allow the route's rule for the register and hospital
//! in the address, and whether a browser's form post carries its session's CSRF token. The
//! router is built from this table, so no route exists without a rule.

use std::collections::BTreeMap;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, RawPathParams, Request, State};
use axum::handler::Handler;
use axum::http::header::{AUTHORIZATION, LOCATION, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use jiff::Timestamp;
use kvalreg_app::access::{Principal, Via};
use kvalreg_core::messages::{Lang, Text};
use kvalreg_store::Role;

use crate::AppState;
use crate::lang;
use crate::problem::{Kind, Problem};

/// The cookie holding a browser's session.
pub const SESSION_COOKIE: &str = "kvalreg_session";
/// The header (htmx requests) or form field (plain posts) carrying the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const CSRF_FIELD: &str = "csrf";
/// The register the pages under /h/{hospital} serve.
pub const PAGE_REGISTER: &str = "stroke";

/// Who may reach a route (domain.md 2). `register` is the register in the address (the
/// stroke register for the pages), `hospital` the hospital in it, where there is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    /// Anyone: sign-in, health check, static files, the API's index and description.
    Public,
    /// A signed-in user's own account (second factor, sign-out), reachable before enrolment.
    Account,
    /// Anyone signed in: the start page, register descriptions, the hospital list.
    SignedIn,
    /// Registrations: registrar, unit lead (of the hospital) or register admin; reads are
    /// narrowed to the principal's hospitals where the data is read.
    Records,
    /// Completing, locking and reopening registrations: unit lead (of the hospital) or register admin.
    ManageRecords,
    /// One hospital's indicator dashboard: as `Records`.
    HospitalReports,
    /// Results of every hospital side by side: a unit lead of the register or its register admin.
    NationalReports,
    /// Users, tokens and reference data: register admin.
    RegisterAdmin,
    /// The audit log: auditor.
    Auditor,
    /// Research extracts: a researcher (their own projects only, checked where the project
    /// is read) or a register admin (their register's projects).
    Research,
}

impl Rule {
    /// The name in refusals and in the authorization matrix.
    pub fn name(self) -> &'static str {
        match self {
            Rule::Public => "public",
            Rule::Account => "account",
            Rule::SignedIn => "signed_in",
            Rule::Records => "records",
            Rule::ManageRecords => "manage_records",
            Rule::HospitalReports => "hospital_reports",
            Rule::NationalReports => "national_reports",
            Rule::RegisterAdmin => "register_admin",
            Rule::Auditor => "auditor",
            Rule::Research => "research",
        }
    }

    /// Whether `principal` may reach a route of this rule, for the register in the address
    /// (the pages' register where the address names none) and its hospital.
    pub fn allows(self, principal: &Principal, register: Option<&str>, hospital: Option<&str>) -> bool {
        let named = register.unwrap_or(PAGE_REGISTER);
        let any = |roles: &[Role]| roles.iter().any(|role| principal.has(*role, Some(named), hospital));
        match self {
            Rule::Public | Rule::SignedIn => true,
            // A browser's own account: systems with a token have none.
            Rule::Account => matches!(principal.via, Via::Session { .. }),
            Rule::Records | Rule::HospitalReports => any(&[Role::Registrar, Role::UnitLead, Role::RegisterAdmin]),
            Rule::ManageRecords => any(&[Role::UnitLead, Role::RegisterAdmin]),
            Rule::NationalReports => {
                principal.has(Role::UnitLead, Some(named), None)
                    || principal.has(Role::RegisterAdmin, Some(named), None)
            }
            // Without a register in the address (the hospital list): an admin of any register.
            Rule::RegisterAdmin => principal.has(Role::RegisterAdmin, register, None),
            Rule::Auditor => principal.has(Role::Auditor, None, None),
            Rule::Research => {
                principal.has(Role::Researcher, None, None) || principal.has(Role::RegisterAdmin, None, None)
            }
        }
    }

    /// What the refusal says is needed.
    fn needs(self) -> Text {
        match self {
            Rule::Public | Rule::SignedIn => Text::new("innlogging", "signing in"),
            Rule::Account => Text::new("innlogging i en nettleser", "signing in with a browser"),
            Rule::Records | Rule::HospitalReports => Text::new(
                "rollen registrar eller unit_lead for sykehuset, eller register_admin",
                "the role registrar or unit_lead for the hospital, or register_admin",
            ),
            Rule::ManageRecords => Text::new(
                "rollen unit_lead for sykehuset, eller register_admin",
                "the role unit_lead for the hospital, or register_admin",
            ),
            Rule::NationalReports => Text::new(
                "rollen unit_lead eller register_admin i registeret",
                "the role unit_lead or register_admin in the register",
            ),
            Rule::RegisterAdmin => Text::new("rollen register_admin", "the role register_admin"),
            Rule::Auditor => Text::new("rollen auditor", "the role auditor"),
            Rule::Research => Text::new(
                "rollen researcher eller register_admin",
                "the role researcher or register_admin",
            ),
        }
    }
}

/// One route: method, path pattern, rule and handler.
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub rule: Rule,
    handler: MethodRouter<AppState>,
}

/// A route of `method` (GET, POST or PUT) at `path`, reachable under `rule`.
pub fn route<H, T>(method: Method, path: &'static str, rule: Rule, handler: H) -> Route
where
    H: Handler<T, AppState>,
    T: 'static,
{
    let filter = match method.as_str() {
        "POST" => MethodFilter::POST,
        "PUT" => MethodFilter::PUT,
        "DELETE" => MethodFilter::DELETE,
        _ => MethodFilter::GET,
    };
    Route {
        method,
        path,
        rule,
        handler: on(filter, handler),
    }
}

/// Every route of the application: the API, the pages and the static files.
fn routes() -> Vec<Route> {
    let mut all = crate::page::routes();
    all.extend(crate::api::routes());
    all.extend(crate::ui::routes());
    all
}

/// (method, path, rule) of every route, for the authorization matrix and the docs.
pub fn route_table() -> Vec<(Method, &'static str, Rule)> {
    routes().into_iter().map(|r| (r.method, r.path, r.rule)).collect()
}

/// The router of every route, each behind the guard with its rule.
pub fn router(state: AppState) -> Router<AppState> {
    let mut by_path: BTreeMap<&'static str, MethodRouter<AppState>> = BTreeMap::new();
    for route in routes() {
        let guarded = route.handler.layer(from_fn_with_state(
            Guard {
                app: state.clone(),
                rule: route.rule,
            },
            guard,
        ));
        let merged = match by_path.remove(route.path) {
            Some(existing) => existing.merge(guarded),
            None => guarded,
        };
        by_path.insert(route.path, merged);
    }
    by_path
        .into_iter()
        .fold(Router::new(), |router, (path, methods)| router.route(path, methods))
}

/// What the guard of one route knows.
#[derive(Clone)]
struct Guard {
    app: AppState,
    rule: Rule,
}

/// Whether the request is for the JSON API (refusals as problem details, not pages).
fn is_api(path: &str) -> bool {
    path == "/api/v1" || path.starts_with("/api/v1/")
}

/// One cookie's value from the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// Who the request comes from: an `Authorization: Bearer` token, or the session cookie.
/// A token that is sent but not valid is refused rather than ignored.
async fn identify(state: &AppState, headers: &HeaderMap) -> Result<Option<Principal>, Refusal> {
    if let Some(value) = headers.get(AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(Refusal::BadToken)?;
        return match state.platform.token_principal(token).await {
            Ok(Some(principal)) => Ok(Some(principal)),
            Ok(None) => Err(Refusal::BadToken),
            Err(err) => Err(Refusal::Failed(err.to_string())),
        };
    }
    let Some(cookie) = cookie(headers, SESSION_COOKIE).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    state
        .platform
        .session_principal(
            cookie,
            state.options.session_idle,
            state.options.second_factor_required,
            Timestamp::now(),
        )
        .await
        .map_err(|err| Refusal::Failed(err.to_string()))
}

/// Why the guard turned a request away.
enum Refusal {
    SignInNeeded,
    BadToken,
    MustEnrol,
    Csrf,
    Forbidden(Rule),
    Failed(String),
}

impl Refusal {
    fn respond(self, api: bool, lang: Lang, path: &str) -> Response {
        let (kind, field, rule, message) = match &self {
            Refusal::SignInNeeded if !api => {
                return redirect(&format!("/signin?back={}", crate::ui::percent_path(path)));
            }
            Refusal::MustEnrol if !api => return redirect("/account/second-factor"),
            Refusal::SignInNeeded | Refusal::BadToken => (
                Kind::Unauthorized,
                "Authorization",
                "authentication",
                Text::new(
                    "Logg inn, eller send en gyldig API-nøkkel som Authorization: Bearer <nøkkel>",
                    "Sign in, or send a valid API token as Authorization: Bearer <token>",
                ),
            ),
            Refusal::MustEnrol => (
                Kind::Forbidden,
                "second_factor",
                "enrolment",
                Text::new(
                    "Registrer en andre faktor under /account/second-factor først",
                    "Enrol a second factor at /account/second-factor first",
                ),
            ),
            Refusal::Csrf => (
                Kind::Forbidden,
                CSRF_FIELD,
                "csrf",
                Text::new(
                    "Skjemaet er utløpt eller kom ikke fra kvalreg; last siden på nytt og send igjen",
                    "The form has expired or did not come from kvalreg; reload the page and send it again",
                ),
            ),
            Refusal::Forbidden(rule) => {
                let needs = rule.needs();
                (
                    Kind::Forbidden,
                    "authorization",
                    rule.name(),
                    Text::new(
                        format!("Dette krever {}", needs.get(Lang::Nb)),
                        format!("This needs {}", needs.get(Lang::En)),
                    ),
                )
            }
            Refusal::Failed(err) => {
                tracing::error!("identifying the request failed: {err}");
                (
                    Kind::Internal,
                    "session",
                    "internal",
                    Text::new(
                        "Noe gikk galt; feilen er logget.",
                        "Something went wrong; the error is logged.",
                    ),
                )
            }
        };
        if api {
            let mut response = Problem::field(kind, lang, field, rule, &message).into_response();
            if kind == Kind::Unauthorized {
                response
                    .headers_mut()
                    .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"kvalreg\""));
            }
            response
        } else {
            let page = crate::ui::refusal_page(lang, message.get(lang));
            (kind.status(), Html(page)).into_response()
        }
    }
}

fn redirect(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to.to_owned())]).into_response()
}

/// The guard: identifies, checks enrolment, CSRF and the rule, then runs the route with the
/// principal in the request's extensions.
async fn guard(
    State(guard): State<Guard>,
    params: Result<RawPathParams, axum::extract::rejection::RawPathParamsRejection>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_owned();
    let api = is_api(&path);
    let lang = crate::ui::page_lang(req.headers(), api);
    let principal = match identify(&guard.app, req.headers()).await {
        Ok(principal) => principal,
        Err(refusal) => return refusal.respond(api, lang, &path),
    };
    if let Some(principal) = &principal {
        req.extensions_mut().insert(principal.clone());
    }
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    // Before any session exists (sign-in, the patient's code form) only the browser's own
    // account of where a post comes from can stop another site posting it (login CSRF).
    if unsafe_method && !req.headers().contains_key(AUTHORIZATION) && cross_site(req.headers()) {
        return Refusal::Csrf.respond(api, lang, &path);
    }
    if guard.rule == Rule::Public {
        return next.run(req).await;
    }
    let Some(principal) = principal else {
        return Refusal::SignInNeeded.respond(api, lang, &path);
    };
    let must_enrol = matches!(principal.via, Via::Session { must_enrol: true, .. });
    if must_enrol && guard.rule != Rule::Account {
        return Refusal::MustEnrol.respond(api, lang, &path);
    }
    if unsafe_method && let Some(expected) = principal.csrf() {
        let (carries, rebuilt) = carries_csrf(req, expected).await;
        if !carries {
            return Refusal::Csrf.respond(api, lang, &path);
        }
        req = rebuilt;
    }
    let params: Vec<(String, String)> = params
        .map(|p| p.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect())
        .unwrap_or_default();
    let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    // An unknown register is not a secret: named as such, not as a missing grant.
    if let Some(register) = param("register")
        && let Err(err) = guard.app.platform.register(register)
    {
        return crate::failure::problem(err, lang).into_response();
    }
    if !guard.rule.allows(&principal, param("register"), param("hospital")) {
        return Refusal::Forbidden(guard.rule).respond(api, lang, &path);
    }
    next.run(req).await
}

/// Whether a browser says the request comes from another site: `Sec-Fetch-Site` other than
/// `same-origin` or `none` (typed by the user), or else an `Origin` whose host is not the
/// `Host` asked. Clients that send neither (command-line tools, systems) are not browsers
/// another site can drive.
fn cross_site(headers: &HeaderMap) -> bool {
    let text = |name: &str| headers.get(name).map(|v| v.to_str().unwrap_or("?"));
    if let Some(site) = text("sec-fetch-site") {
        return !matches!(site, "same-origin" | "none");
    }
    match text("origin") {
        None => false,
        Some(origin) => {
            let origin_host = origin.split_once("://").map(|(_, host)| host);
            origin_host.is_none() || origin_host != text("host")
        }
    }
}

/// Whether a post carries the session's CSRF token, in the header or as a form field;
/// returns the request rebuilt with its (already buffered) body.
async fn carries_csrf(req: Request, expected: &str) -> (bool, Request) {
    let header = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(given) = header {
        return (constant_time_eq(given.as_bytes(), expected.as_bytes()), req);
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, crate::body::LIMIT).await.unwrap_or_default();
    let given = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
        .ok()
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == CSRF_FIELD).map(|(_, v)| v));
    let carries = given.is_some_and(|g| constant_time_eq(g.as_bytes(), expected.as_bytes()));
    (carries, Request::from_parts(parts, Body::from(Bytes::from(bytes))))
}

/// Compares two secrets in time that does not depend on where they differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The signed-in principal of a route whose rule is not `Public` (the guard put it there).
#[derive(Debug, Clone)]
pub struct Signed(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Signed {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Principal>().cloned().map(Signed).ok_or_else(|| {
            Problem::field(
                Kind::Unauthorized,
                lang::of_headers(&parts.headers),
                "Authorization",
                "authentication",
                &Text::new("Logg inn først", "Sign in first"),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_in_the_table_once() {
        let table = route_table();
        let mut seen = std::collections::BTreeSet::new();
        for (method, path, _) in &table {
            assert!(seen.insert((method.to_string(), *path)), "{method} {path} twice");
        }
        assert!(
            table
                .iter()
                .any(|(_, path, rule)| *path == "/signin" && *rule == Rule::Public)
        );
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
