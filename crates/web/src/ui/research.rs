//! Research extracts for the signed-in researcher: their own projects (a register admin:
//! their register's) with a download of the codebook and of the extract in every format.
//! Another's project answers 404 like an unknown one; a k-anonymity refusal is shown on
//! the page naming the combination.

use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{Html, IntoResponse, Response};
use kvalreg_app::AppError;
use kvalreg_app::access::Principal;
use kvalreg_app::research_download::ExtractFile;

use super::catalogue::t;
use super::pages::failure_page;
use super::{Visitor, layout};
use crate::AppState;
use crate::access::Signed;
use crate::extract::ApiPath;
use crate::html::escape;

const HERE: &str = "/research";

/// The project list, with a refusal on top if a download was refused.
async fn list_page(state: &AppState, visitor: &Visitor, principal: &Principal, refusal: Option<&str>) -> Response {
    let lang = visitor.lang;
    let projects = match state.platform.downloadable_projects(principal).await {
        Ok(projects) => projects,
        Err(err) => return failure_page(state, visitor, &err),
    };
    let mut main = format!(
        "<h1>{}</h1>\n<p>{}</p>\n",
        escape(t(lang, "research-title")),
        escape(t(lang, "research-intro"))
    );
    if let Some(message) = refusal {
        main.push_str(&format!(
            "<p class=\"refusal\" role=\"alert\" id=\"research-refusal\">{}</p>\n",
            escape(message)
        ));
    }
    if projects.is_empty() {
        main.push_str(&format!(
            "<p id=\"research-none\">{}</p>\n",
            escape(t(lang, "research-none"))
        ));
    } else {
        main.push_str(&format!(
            "<table id=\"research-projects\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>\n",
            escape(t(lang, "research-project")),
            escape(t(lang, "research-register")),
            escape(t(lang, "research-period")),
            escape(t(lang, "research-approval")),
            escape(t(lang, "research-downloads")),
        ));
        for project in &projects {
            let links: Vec<String> = ExtractFile::all()
                .into_iter()
                .map(|file| {
                    let name = file.name();
                    format!(
                        "<a href=\"/research/{id}/{name}\" download>{name}</a>",
                        id = escape(&project.id),
                        name = escape(&name)
                    )
                })
                .collect();
            main.push_str(&format!(
                "<tr id=\"project-{id}\"><td>{id}</td><td>{register}</td><td>{from} – {to}</td><td>{approval}</td><td>{links}</td></tr>\n",
                id = escape(&project.id),
                register = escape(&project.register),
                from = project.period_from,
                to = project.period_to,
                approval = escape(&project.approval),
                links = links.join(" · "),
            ));
        }
        main.push_str("</tbody></table>\n");
    }
    let status = if refusal.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = layout(
        visitor,
        state.options.demo,
        None,
        HERE,
        t(lang, "research-title"),
        &main,
    );
    (status, Html(page)).into_response()
}

pub async fn page(State(state): State<AppState>, visitor: Visitor, Signed(principal): Signed) -> Response {
    list_page(&state, &visitor, &principal, None).await
}

fn not_found(state: &AppState, visitor: &Visitor) -> Response {
    let lang = visitor.lang;
    let main = format!("<p>{}</p>\n", escape(t(lang, "not-found")));
    let page = layout(visitor, state.options.demo, None, HERE, t(lang, "not-found"), &main);
    (StatusCode::NOT_FOUND, Html(page)).into_response()
}

pub async fn download(
    State(state): State<AppState>,
    visitor: Visitor,
    Signed(principal): Signed,
    ApiPath((project, part)): ApiPath<(String, String)>,
) -> Response {
    let Some(file) = ExtractFile::parse(&part) else {
        return not_found(&state, &visitor);
    };
    match state
        .platform
        .download_research_file(&principal, &project, file, "web")
        .await
    {
        Ok(Some(download)) => (
            [
                (CONTENT_TYPE, download.media_type.to_owned()),
                (
                    CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}\"", download.file_name),
                ),
            ],
            download.bytes,
        )
            .into_response(),
        Ok(None) => not_found(&state, &visitor),
        Err(AppError::ExtractRefused(message)) => {
            let shown = format!("{} {}", t(visitor.lang, "research-refused"), message.get(visitor.lang));
            list_page(&state, &visitor, &principal, Some(&shown)).await
        }
        Err(err) => failure_page(&state, &visitor, &err),
    }
}
