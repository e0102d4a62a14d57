//! The server-rendered pages (for now the start page), the health check, the static files
//! and the answers for unknown addresses and methods.

use axum::extract::{OriginalUri, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use kvalreg_app::access::Principal;
use kvalreg_core::definition::Register;
use kvalreg_core::messages::{Lang, Text};
use kvalreg_store::{Filter, Status};

use crate::AppState;
use crate::access::{Route, Rule, Signed, route};
use crate::extract::ApiPath;
use crate::html::escape;
use crate::lang::Language;
use crate::problem::{Kind, Problem};

pub fn routes() -> Vec<Route> {
    vec![
        route(Method::GET, "/", Rule::SignedIn, start_page),
        route(Method::GET, "/healthz", Rule::Public, healthz),
        route(Method::GET, "/static/{file}", Rule::Public, static_file),
    ]
}

/// Files served under /static, embedded in the binary.
const STATIC_FILES: &[(&str, &str, &str)] = &[
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../static/style.css"),
    ),
    (
        "htmx.min.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/htmx.min.js"),
    ),
    (
        "htmx.LICENSE",
        "text/plain; charset=utf-8",
        include_str!("../static/htmx.LICENSE"),
    ),
];

/// How many registrations a register has in each status.
struct RegisterCounts<'a> {
    register: &'a Register,
    draft: u64,
    complete: u64,
    locked: u64,
}

async fn start_page(State(state): State<AppState>, Signed(principal): Signed, Language(lang): Language) -> Response {
    match start_page_html(&state, &principal, lang).await {
        Ok(html) => Html(html).into_response(),
        Err(err) => {
            tracing::error!("start page failed: {err}");
            let text = Text::new(
                "Noe gikk galt; feilen er logget.",
                "Something went wrong; the error is logged.",
            );
            let page = layout(lang, false, &format!("<main><p>{}</p></main>", escape(text.get(lang))));
            (StatusCode::INTERNAL_SERVER_ERROR, Html(page)).into_response()
        }
    }
}

/// The start page: per register, the registrations the principal may see, by status.
async fn start_page_html(
    state: &AppState,
    principal: &Principal,
    lang: Lang,
) -> Result<String, kvalreg_store::StoreError> {
    let store = &state.platform.store;
    let mut counts = Vec::new();
    for register in state.platform.registers() {
        let count = |status| {
            let filter = Filter {
                register: register.id.clone(),
                status: Some(status),
                ..Filter::default()
            };
            let scope = principal.scope(&register.id);
            async move { store.count(&scope, &filter).await }
        };
        counts.push(RegisterCounts {
            register,
            draft: count(Status::Draft).await?,
            complete: count(Status::Complete).await?,
            locked: count(Status::Locked).await?,
        });
    }
    let hospitals = store.hospitals().await?.len();
    Ok(layout(lang, state.options.demo, &start_main(lang, &counts, hospitals)))
}

fn start_main(lang: Lang, counts: &[RegisterCounts<'_>], hospitals: usize) -> String {
    let t = |nb: &str, en: &str| escape(Text::new(nb, en).get(lang));
    let mut rows = String::new();
    for c in counts {
        let id = escape(&c.register.id);
        rows.push_str(&format!(
            "<tr><td>{title} <small>({id})</small></td>\
             <td class=\"number\">{draft}</td><td class=\"number\">{complete}</td><td class=\"number\">{locked}</td>\
             <td><a href=\"/api/v1/registers/{id}/registrations\">API</a> · \
             <a href=\"/api/v1/registers/{id}/codebook.csv\">{codebook}</a></td></tr>\n",
            title = escape(c.register.title.get(lang)),
            draft = c.draft,
            complete = c.complete,
            locked = c.locked,
            codebook = t("kodebok (CSV)", "codebook (CSV)"),
        ));
    }
    format!(
        "<main>\n<h2>{registers}</h2>\n<table>\n<thead><tr><th>{register}</th><th class=\"number\">{draft}</th>\
         <th class=\"number\">{complete}</th><th class=\"number\">{locked}</th><th>{links}</th></tr></thead>\n\
         <tbody>\n{rows}</tbody>\n</table>\n<p>{hospitals_label}: <strong>{hospitals}</strong></p>\n\
         <p><a href=\"/signin\">{registrar}</a></p>\n\
         <p><a href=\"/api/v1\">{api}</a> · <a href=\"/api/v1/hospitals\">{hospital_list}</a></p>\n</main>\n",
        registrar = escape(crate::ui::catalogue::t(lang, "registrar-pages")),
        registers = t("Registre", "Registers"),
        register = t("Register", "Register"),
        draft = t("Utkast", "Draft"),
        complete = t("Fullført", "Complete"),
        locked = t("Låst", "Locked"),
        links = t("Data", "Data"),
        hospitals_label = t("Sykehus i sykehuslisten", "Hospitals in the hospital list"),
        api = t("JSON-API (/api/v1)", "JSON API (/api/v1)"),
        hospital_list = t("Sykehusliste", "Hospital list"),
    )
}

/// The frame of every page: language, title, stylesheet, demo banner and header.
fn layout(lang: Lang, demo: bool, main: &str) -> String {
    let banner = if demo {
        let note = Text::new(
            "Alle personer og registreringer her er oppdiktet.",
            "Every person and registration here is invented.",
        );
        format!(
            "<div class=\"demo-banner\" role=\"note\">DEMO – synthetic data / syntetiske data. {}</div>\n",
            escape(note.get(lang))
        )
    } else {
        String::new()
    };
    let tagline = Text::new(
        "Plattform for nasjonale medisinske kvalitetsregistre",
        "Platform for national medical quality registers",
    );
    format!(
        "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>kvalreg</title>\n<link rel=\"stylesheet\" href=\"/static/style.css\">\n</head>\n<body>\n\
         {banner}<header><h1>kvalreg</h1><p>{tagline}</p></header>\n{main}</body>\n</html>\n",
        lang = lang_code(lang),
        tagline = escape(tagline.get(lang)),
    )
}

fn lang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::Nb => "nb",
        Lang::En => "en",
    }
}

async fn healthz() -> &'static str {
    "ok"
}

async fn static_file(ApiPath(file): ApiPath<String>) -> Response {
    match STATIC_FILES.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, body)) => (
            [(CONTENT_TYPE, *content_type), (CACHE_CONTROL, "public, max-age=3600")],
            *body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// Unknown addresses: a problem under /api, a small page elsewhere.
pub async fn not_found(OriginalUri(uri): OriginalUri, Language(lang): Language) -> Response {
    if is_api(&uri) {
        let detail = Text::new(
            format!("Adressen {} finnes ikke i API-et; se /api/v1", uri.path()),
            format!("The API has no address {}; see /api/v1", uri.path()),
        );
        return Problem::new(Kind::NotFound, lang, &detail).into_response();
    }
    let text = Text::new("Siden finnes ikke.", "There is no such page.");
    let main = format!(
        "<main><p>{}</p><p><a href=\"/\">kvalreg</a></p></main>\n",
        escape(text.get(lang))
    );
    (StatusCode::NOT_FOUND, Html(layout(lang, false, &main))).into_response()
}

/// A known address asked with a method it does not have.
pub async fn method_not_allowed(OriginalUri(uri): OriginalUri, Language(lang): Language) -> Response {
    let detail = Text::new(
        format!("Adressen {} støtter ikke denne metoden", uri.path()),
        format!("The address {} does not support this method", uri.path()),
    );
    if is_api(&uri) {
        Problem::new(Kind::MethodNotAllowed, lang, &detail).into_response()
    } else {
        (StatusCode::METHOD_NOT_ALLOWED, detail.get(lang).to_owned()).into_response()
    }
}

fn is_api(uri: &Uri) -> bool {
    uri.path() == "/api" || uri.path().starts_with("/api/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_sets_language_and_banner() {
        let page = layout(Lang::Nb, true, "<main></main>");
        assert!(page.contains("<html lang=\"nb\">"));
        assert!(page.contains("DEMO – synthetic data / syntetiske data"));
        let page = layout(Lang::En, false, "<main></main>");
        assert!(page.contains("<html lang=\"en\">"));
        assert!(!page.contains("DEMO"));
    }
}
