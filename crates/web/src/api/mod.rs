//! The JSON API under /api/v1: the index, its OpenAPI document, the registers and their
//! codebooks, and the routes of registrations and hospitals (each in its own module).

use axum::extract::State;
use axum::http::Method;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use kvalreg_core::definition::Register;
use serde_json::{Value as Json, json};

use crate::AppState;
use crate::access::{Route, Rule, route};
use crate::extract::ApiPath;
use crate::failure;
use crate::lang::Language;
use crate::problem::Problem;

mod hospitals;
mod indicators;
mod list_query;
mod registrations;
mod worklist;

pub use hospitals::hospital_from;
pub use registrations::{NewRegistration, new_registration, reopen_reason, replacement};
pub use worklist::today;

pub fn routes() -> Vec<Route> {
    use Method as M;
    vec![
        route(M::GET, "/api/v1", Rule::Public, index),
        route(M::GET, "/api/v1/openapi.json", Rule::Public, openapi),
        route(M::GET, "/api/v1/registers", Rule::SignedIn, registers),
        route(
            M::GET,
            "/api/v1/registers/{register}/codebook.csv",
            Rule::SignedIn,
            codebook,
        ),
        route(
            M::GET,
            "/api/v1/registers/{register}/registrations",
            Rule::Records,
            registrations::list,
        ),
        route(
            M::POST,
            "/api/v1/registers/{register}/registrations",
            Rule::Records,
            registrations::create,
        ),
        route(
            M::GET,
            "/api/v1/registers/{register}/registrations/{id}",
            Rule::Records,
            registrations::read,
        ),
        route(
            M::PUT,
            "/api/v1/registers/{register}/registrations/{id}",
            Rule::Records,
            registrations::update,
        ),
        route(
            M::GET,
            "/api/v1/registers/{register}/registrations/{id}/history",
            Rule::Records,
            registrations::history,
        ),
        route(
            M::POST,
            "/api/v1/registers/{register}/registrations/{id}/complete",
            Rule::ManageRecords,
            registrations::complete,
        ),
        route(
            M::POST,
            "/api/v1/registers/{register}/registrations/{id}/reopen",
            Rule::ManageRecords,
            registrations::reopen,
        ),
        route(
            M::POST,
            "/api/v1/registers/{register}/registrations/{id}/lock",
            Rule::ManageRecords,
            registrations::lock,
        ),
        route(
            M::GET,
            "/api/v1/registers/{register}/worklist",
            Rule::Records,
            worklist::read,
        ),
        route(
            M::GET,
            "/api/v1/registers/{register}/indicators",
            Rule::NationalReports,
            indicators::read,
        ),
        route(M::GET, "/api/v1/hospitals", Rule::SignedIn, hospitals::list),
        route(
            M::PUT,
            "/api/v1/hospitals/{code}",
            Rule::RegisterAdmin,
            hospitals::upsert,
        ),
    ]
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
