//! Reads every request body in full, up to the limit, before routing. A handler may then
//! refuse early (a missing If-Match, a wrong content type) without leaving unread bytes on
//! the connection, which would force it closed under a client that is about to reuse it.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::header::{CONNECTION, CONTENT_LENGTH};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kvalreg_core::messages::{Lang, Text};

use crate::lang;
use crate::problem::{Kind, Problem};

/// The largest request body accepted, in bytes.
pub const LIMIT: usize = 1024 * 1024;

/// Middleware: buffers the body (refusing one over [`LIMIT`] with 413), then runs the route.
pub async fn buffer(req: Request, next: Next) -> Response {
    let lang = lang::of_headers(req.headers());
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > LIMIT as u64) {
        return too_large(lang);
    }
    let (parts, body) = req.into_parts();
    match Bytes::from_request(Request::from_parts(parts.clone(), body), &()).await {
        Ok(bytes) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => too_large(lang),
        Err(_) => Problem::field(
            Kind::BadRequest,
            lang,
            "body",
            "read",
            &Text::new("Innholdet kunne ikke leses", "The body could not be read"),
        )
        .into_response(),
    }
}

/// 413, closing the connection: the rest of the body is never read.
fn too_large(lang: Lang) -> Response {
    let mut response = Problem::new(
        Kind::PayloadTooLarge,
        lang,
        &Text::new(
            format!("Innholdet kan være høyst {LIMIT} byte"),
            format!("The body may be at most {LIMIT} bytes"),
        ),
    )
    .into_response();
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}
