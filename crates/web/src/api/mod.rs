//! The JSON API under /api/v1: the index, its OpenAPI document, the registers and their
//! codebooks, and the routes of registrations and hospitals (each in its own module).

use axum::Router;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use kvalreg_core::definition::Register;
use serde_json::{Value as Json, json};

use crate::AppState;
use crate::extract::ApiPath;
use crate::failure;
use crate::lang::Language;
use crate::problem::Problem;

mod hospitals;
mod indicators;
mod list_query;
mod registrations;
mod worklist;

pub use worklist::today;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/openapi.json", get(openapi))
        .route("/registers", get(registers))
        .route("/registers/{register}/codebook.csv", get(codebook))
        .route(
            "/registers/{register}/registrations",
            get(registrations::list).post(registrations::create),
        )
        .route(
            "/registers/{register}/registrations/{id}",
            get(registrations::read).put(registrations::update),
        )
        .route(
            "/registers/{register}/registrations/{id}/complete",
            post(registrations::complete),
        )
        .route(
            "/registers/{register}/registrations/{id}/reopen",
            post(registrations::reopen),
        )
        .route(
            "/registers/{register}/registrations/{id}/lock",
            post(registrations::lock),
        )
        .route("/registers/{register}/worklist", get(worklist::read))
        .route("/registers/{register}/indicators", get(indicators::read))
        .route(
            "/registers/{register}/registrations/{id}/history",
            get(registrations::history),
        )
        .route("/hospitals", get(hospitals::list))
        .route("/hospitals/{code}", put(hospitals::upsert))
}

fn register_json(register: &Register) -> Json {
    let base = format!("/api/v1/registers/{}", register.id);
    json!({
        "id": register.id,
        "title": register.title,
        "links": {
            "registrations": format!("{base}/registrations"),
            "codebook": format!("{base}/codebook.csv"),
            "indicators": format!("{base}/indicators"),
        },
    })
}

async fn index(State(state): State<AppState>) -> Response {
    axum::Json(json!({
        "name": "kvalreg",
        "version": env!("CARGO_PKG_VERSION"),
        "demo": state.options.demo,
        "registers": state.platform.registers().map(register_json).collect::<Vec<_>>(),
        "links": {
            "self": "/api/v1",
            "registers": "/api/v1/registers",
            "hospitals": "/api/v1/hospitals",
            "openapi": "/api/v1/openapi.json",
        },
    }))
    .into_response()
}

/// The hand-written OpenAPI 3.1 description of every /api/v1 route.
async fn openapi() -> Response {
    ([(CONTENT_TYPE, "application/json")], include_str!("../../openapi.json")).into_response()
}

async fn registers(State(state): State<AppState>) -> Response {
    axum::Json(json!({ "items": state.platform.registers().map(register_json).collect::<Vec<_>>() })).into_response()
}

async fn codebook(
    State(state): State<AppState>,
    Language(lang): Language,
    ApiPath(register): ApiPath<String>,
) -> Result<Response, Problem> {
    let register = state
        .platform
        .register(&register)
        .map_err(|e| failure::problem(e, lang))?;
    let csv = register.codebook_csv();
    Ok(([(CONTENT_TYPE, "text/csv; charset=utf-8")], csv).into_response())
}
