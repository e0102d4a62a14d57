//! The registrar pages: server-rendered HTML (htmx enhances, every form also posts without
//! JavaScript), per hospital under /h/{hospital}/..., in the language of the `kvalreg_lang`
//! cookie (Norwegian bokmål by default), every UI string from the message catalogue.

use axum::http::{HeaderMap, Method};
use kvalreg_app::access::{Principal, Via};
use kvalreg_core::messages::Lang;
use kvalreg_store::Role;

use crate::access::{CSRF_FIELD, PAGE_REGISTER, Route, Rule, cookie, route};
use crate::html::escape;

mod account;
mod admin;
mod audit;
pub(crate) mod catalogue;
mod edit;
mod entry;
mod form;
mod insight;
mod pages;
mod patient;
mod quality;
mod research;

use catalogue::t;

pub fn routes() -> Vec<Route> {
    use Method as M;
    let mut all = vec![
        route(M::GET, "/signin", Rule::Public, account::signin_page),
        route(M::POST, "/signin", Rule::Public, account::signin),
        route(M::POST, "/signout", Rule::Account, account::signout),
        route(
            M::POST,
            "/signout/everywhere",
            Rule::Account,
            account::signout_everywhere,
        ),
        route(
            M::GET,
            "/account/second-factor",
            Rule::Account,
            account::second_factor_page,
        ),
        route(
            M::POST,
            "/account/second-factor",
            Rule::Account,
            account::confirm_second_factor,
        ),
        route(M::GET, "/lang/{code}", Rule::Public, pages::switch_language),
        route(M::GET, "/h/{hospital}", Rule::Records, pages::worklist),
        route(M::GET, "/h/{hospital}/new", Rule::Records, edit::new_page),
        route(M::POST, "/h/{hospital}/new", Rule::Records, edit::create),
        route(M::POST, "/h/{hospital}/check", Rule::Records, edit::check_field),
        route(M::POST, "/h/{hospital}/render", Rule::Records, edit::render_body),
        route(M::GET, "/h/{hospital}/r/{id}", Rule::Records, edit::edit_page),
        route(M::POST, "/h/{hospital}/r/{id}", Rule::Records, edit::save),
        route(M::POST, "/h/{hospital}/r/{id}/lock", Rule::ManageRecords, edit::lock),
        route(
            M::POST,
            "/h/{hospital}/r/{id}/reopen",
            Rule::ManageRecords,
            edit::reopen,
        ),
        route(M::GET, "/h/{hospital}/r/{id}/history", Rule::Records, pages::history),
        route(M::GET, "/audit", Rule::Auditor, audit::page),
        route(M::GET, "/insight", Rule::RegisterAdmin, insight::page),
        route(M::GET, "/admin/users", Rule::RegisterAdmin, admin::page),
        route(M::POST, "/admin/users", Rule::RegisterAdmin, admin::add),
        route(
            M::POST,
            "/admin/users/{name}/disable",
            Rule::RegisterAdmin,
            admin::disable,
        ),
        route(
            M::POST,
            "/admin/users/{name}/enable",
            Rule::RegisterAdmin,
            admin::enable,
        ),
        route(
            M::POST,
            "/admin/users/{name}/reset-2fa",
            Rule::RegisterAdmin,
            admin::reset_second_factor,
        ),
        route(M::POST, "/insight", Rule::RegisterAdmin, insight::report),
        route(M::POST, "/insight/pdf", Rule::RegisterAdmin, insight::pdf),
        route(M::POST, "/insight/issue-code", Rule::RegisterAdmin, insight::issue_code),
        route(M::GET, "/insight/code", Rule::Public, patient::code_page),
        route(M::POST, "/insight/code", Rule::Public, patient::redeem),
        route(M::GET, "/insight/mine", Rule::Public, patient::report),
        route(M::POST, "/insight/mine/pdf", Rule::Public, patient::pdf),
        route(M::POST, "/insight/mine/reserve", Rule::Public, patient::reserve),
        route(M::POST, "/insight/mine/signout", Rule::Public, patient::signout),
        route(M::GET, "/research", Rule::Research, research::page),
        route(M::GET, "/research/{project}/{part}", Rule::Research, research::download),
    ];
    all.extend(quality::routes());
    all
}

const LANG_COOKIE: &str = "kvalreg_lang";

/// The language of a page: the `kvalreg_lang` cookie (bokmål by default); for the API the
/// `Accept-Language` header.
pub fn page_lang(headers: &HeaderMap, api: bool) -> Lang {
    if api {
        return crate::lang::of_headers(headers);
    }
    match cookie(headers, LANG_COOKIE) {
        Some("en") => Lang::En,
        _ => Lang::Nb,
    }
}

/// Who is asking, in which language: the principal the guard identified, if any.
pub struct Visitor {
    pub lang: Lang,
    pub principal: Option<Principal>,
}

impl Visitor {
    /// The name stored with each version this visitor writes.
    fn actor(&self) -> &str {
        self.principal.as_ref().map_or("anonymous", |p| p.name.as_str())
    }

    /// Whether this visitor may complete, lock and reopen registrations of `hospital`.
    fn manages(&self, hospital: &str) -> bool {
        self.principal.as_ref().is_some_and(|p| {
            p.has(Role::UnitLead, Some(PAGE_REGISTER), Some(hospital))
                || p.has(Role::RegisterAdmin, Some(PAGE_REGISTER), None)
        })
    }

    /// The hidden field every form of a session posts back.
    fn csrf_input(&self) -> String {
        match self.principal.as_ref().and_then(Principal::csrf) {
            Some(token) => format!(
                "<input type=\"hidden\" name=\"{CSRF_FIELD}\" value=\"{}\">",
                escape(token)
            ),
            None => String::new(),
        }
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Visitor {
            lang: page_lang(&parts.headers, false),
            principal: parts.extensions.get::<Principal>().cloned(),
        })
    }
}

/// The page the guard shows when it turns a browser away (no access, expired form).
pub fn refusal_page(lang: Lang, message: &str) -> String {
    let visitor = Visitor { lang, principal: None };
    let main = format!(
        "<h1>{}</h1>\n<p class=\"refusal\">{}</p>\n",
        escape(t(lang, "refused-title")),
        escape(message)
    );
    layout(&visitor, false, None, "/", t(lang, "refused-title"), &main)
}

fn lang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::Nb => "nb",
        Lang::En => "en",
    }
}

/// The frame of every registrar page: language, htmx, demo banner, navigation with the
/// language switch back to `here`.
fn layout(visitor: &Visitor, demo: bool, hospital: Option<&str>, here: &str, title: &str, main: &str) -> String {
    let lang = visitor.lang;
    let banner = if demo {
        format!(
            "<div class=\"demo-banner\" role=\"note\">{}</div>\n",
            escape(t(lang, "demo-banner"))
        )
    } else {
        String::new()
    };
    let other = match lang {
        Lang::Nb => "en",
        Lang::En => "nb",
    };
    let mut nav = String::new();
    if let Some(code) = hospital {
        nav.push_str(&format!(
            "<a href=\"/h/{code}\">{}</a> · ",
            escape(t(lang, "nav-worklist")),
            code = escape(code)
        ));
        nav.push_str(&format!(
            "<a id=\"nav-quality\" href=\"/h/{code}/quality\">{}</a> · ",
            escape(t(lang, "nav-quality")),
            code = escape(code)
        ));
    }
    nav.push_str(&format!("<a href=\"/\">{}</a> · ", escape(t(lang, "nav-start"))));
    nav.push_str(&format!(
        "<a id=\"lang-switch\" href=\"/lang/{other}?back={back}\" lang=\"{other}\">{label}</a>",
        back = escape(&percent_path(here)),
        label = escape(t(lang, "switch-language")),
    ));
    let mut body_attributes = String::new();
    match &visitor.principal {
        Some(principal) => {
            nav.push_str(&format!(
                " · <span id=\"signed-in-as\">{}</span> · <form method=\"post\" action=\"/signout\" class=\"signout\">{}\
                 <button type=\"submit\" id=\"signout\" class=\"link\">{}</button></form>",
                escape(&catalogue::t_with(lang, "signed-in-as", &[("user", &principal.name)])),
                visitor.csrf_input(),
                escape(t(lang, "nav-signout")),
            ));
            if principal.has(Role::RegisterAdmin, None, None) {
                nav.push_str(&format!(
                    " · <a id=\"nav-admin\" href=\"/admin/users\">{}</a> · <a id=\"nav-insight\" href=\"/insight\">{}</a>",
                    escape(t(lang, "nav-admin")),
                    escape(t(lang, "insight-title"))
                ));
            }
            if principal.has(Role::Researcher, None, None) || principal.has(Role::RegisterAdmin, None, None) {
                nav.push_str(&format!(
                    " · <a id=\"nav-research\" href=\"/research\">{}</a>",
                    escape(t(lang, "research-title"))
                ));
            }
            if principal.has(Role::Auditor, None, None) {
                nav.push_str(&format!(
                    " · <a id=\"nav-audit\" href=\"/audit\">{}</a>",
                    escape(t(lang, "nav-audit"))
                ));
            }
            if let Some(token) = principal.csrf() {
                body_attributes = format!(" hx-headers='{{\"X-CSRF-Token\": \"{}\"}}'", escape(token));
            }
            if matches!(principal.via, Via::Session { enrolled: false, .. }) {
                nav.push_str(&format!(
                    " · <a href=\"/account/second-factor\">{}</a>",
                    escape(t(lang, "nav-second-factor"))
                ));
            }
        }
        None => nav.push_str(&format!(
            " · <a href=\"/signin\">{}</a>",
            escape(t(lang, "signin-submit"))
        )),
    }
    format!(
        "<!doctype html>\n<html lang=\"{code}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} – {app}</title>\n<link rel=\"stylesheet\" href=\"/static/style.css\">\n\
         <script src=\"/static/htmx.min.js\" defer></script>\n</head>\n<body{body_attributes}>\n{banner}\
         <header><p class=\"app-name\"><a href=\"/\">{app}</a></p><nav>{nav}</nav></header>\n<main>\n{main}</main>\n</body>\n</html>\n",
        code = lang_code(lang),
        title = escape(title),
        app = escape(t(lang, "app-name")),
    )
}

/// A path for a query parameter: the few characters that would end it are percent-encoded.
pub(crate) fn percent_path(path: &str) -> String {
    path.replace('%', "%25")
        .replace('&', "%26")
        .replace('?', "%3F")
        .replace('#', "%23")
        .replace(' ', "%20")
}
