//! The registrar pages: server-rendered HTML (htmx enhances, every form also posts without
//! JavaScript), per hospital under /h/{hospital}/..., in the language of the `kvalreg_lang`
//! cookie (Norwegian bokmål by default), every UI string from the message catalogue.

use axum::Router;
use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use axum::routing::{get, post};
use kvalreg_core::messages::Lang;

use crate::AppState;
use crate::html::escape;

pub(crate) mod catalogue;
mod edit;
mod entry;
mod form;
mod pages;
mod quality;

use catalogue::t;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/signin", get(pages::signin_page).post(pages::signin))
        .route("/lang/{code}", get(pages::switch_language))
        .route("/h/{hospital}", get(pages::worklist))
        .route("/h/{hospital}/new", get(edit::new_page).post(edit::create))
        .route("/h/{hospital}/check", post(edit::check_field))
        .route("/h/{hospital}/render", post(edit::render_body))
        .route("/h/{hospital}/r/{id}", get(edit::edit_page).post(edit::save))
        .route("/h/{hospital}/r/{id}/lock", post(edit::lock))
        .route("/h/{hospital}/r/{id}/reopen", post(edit::reopen))
        .route("/h/{hospital}/r/{id}/history", get(pages::history))
        .merge(quality::router())
}

const LANG_COOKIE: &str = "kvalreg_lang";
const USER_COOKIE: &str = "kvalreg_user";

/// One cookie's value from the request.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// Who is asking, in which language: the sign-in placeholder until access control lands.
pub struct Visitor {
    pub lang: Lang,
    pub user: Option<String>,
}

impl Visitor {
    fn of(headers: &HeaderMap) -> Visitor {
        let lang = match cookie(headers, LANG_COOKIE) {
            Some("en") => Lang::En,
            _ => Lang::Nb,
        };
        let user = cookie(headers, USER_COOKIE)
            .filter(|u| !u.is_empty())
            .map(str::to_owned);
        Visitor { lang, user }
    }

    /// The name stored with each version this visitor writes.
    fn actor(&self) -> &str {
        self.user.as_deref().unwrap_or("registrar")
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Visitor::of(&parts.headers))
    }
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
    nav.push_str(&format!(
        "<a href=\"/signin\">{}</a> · ",
        escape(t(lang, "nav-hospitals"))
    ));
    nav.push_str(&format!(
        "<a id=\"lang-switch\" href=\"/lang/{other}?back={back}\" lang=\"{other}\">{label}</a>",
        back = escape(&percent_path(here)),
        label = escape(t(lang, "switch-language")),
    ));
    if let Some(user) = &visitor.user {
        nav.push_str(&format!(
            " · <span>{}</span>",
            escape(&catalogue::t_with(lang, "signed-in-as", &[("user", user)]))
        ));
    }
    format!(
        "<!doctype html>\n<html lang=\"{code}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} – {app}</title>\n<link rel=\"stylesheet\" href=\"/static/style.css\">\n\
         <script src=\"/static/htmx.min.js\" defer></script>\n</head>\n<body>\n{banner}\
         <header><p class=\"app-name\"><a href=\"/\">{app}</a></p><nav>{nav}</nav></header>\n<main>\n{main}</main>\n</body>\n</html>\n",
        code = lang_code(lang),
        title = escape(title),
        app = escape(t(lang, "app-name")),
    )
}

/// A path for a query parameter: the few characters that would end it are percent-encoded.
fn percent_path(path: &str) -> String {
    path.replace('%', "%25")
        .replace('&', "%26")
        .replace('?', "%3F")
        .replace('#', "%23")
        .replace(' ', "%20")
}
