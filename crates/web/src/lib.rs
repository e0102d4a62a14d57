//! The HTTP edge of kvalreg: the JSON API under /api/v1 and the server-rendered pages, on top
//! of the write path in kvalreg-app. Handlers translate HTTP to platform calls and platform
//! refusals to RFC 9457 problem details; they hold no register logic of their own.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use kvalreg_app::Platform;

mod access;
mod api;
mod body;
mod extract;
mod failure;
mod html;
mod indicators;
mod lang;
mod page;
mod problem;
mod ui;

pub use access::{CSRF_FIELD, CSRF_HEADER, Rule, SESSION_COOKIE, route_table};
pub use problem::Problem;

/// The JSON API's request-body readers, exactly as the handlers use them, public so the
/// fuzz target `api_body` can run them without a server.
pub mod bodies {
    pub use crate::api::{NewRegistration, hospital_from, new_registration, reopen_reason, replacement};
    pub use crate::extract::parse_object;
    pub use crate::failure::problem;
}
pub use indicators::{router_with_indicators, serve_with_indicators};

/// How the web edge presents itself and guards sessions.
#[derive(Debug, Clone, Copy)]
pub struct WebOptions {
    /// The data is synthetic: every page says so.
    pub demo: bool,
    /// A session unused for this long is signed out.
    pub session_idle: jiff::SignedDuration,
    /// Users must enrol a second factor (TOTP) before anything but their account page.
    pub second_factor_required: bool,
    /// Session cookies carry `Secure` (only sent over HTTPS; browsers also send them to
    /// http://localhost). Off only for plain-HTTP test set-ups on other hosts.
    pub secure_cookies: bool,
}

impl Default for WebOptions {
    fn default() -> Self {
        WebOptions {
            demo: false,
            session_idle: jiff::SignedDuration::from_mins(30),
            second_factor_required: true,
            secure_cookies: true,
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
struct AppState {
    platform: Arc<Platform>,
    options: WebOptions,
}

/// The whole application: API, pages, static files and the health check.
pub fn router(platform: Arc<Platform>, options: WebOptions) -> Router {
    let state = AppState { platform, options };
    access::router(state.clone())
        .fallback(page::not_found)
        .method_not_allowed_fallback(page::method_not_allowed)
        .layer(axum::middleware::from_fn(body::buffer))
        .layer(DefaultBodyLimit::max(body::LIMIT))
        .with_state(state)
}

/// Serves until Ctrl-C or SIGTERM, then lets requests in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    platform: Arc<Platform>,
    options: WebOptions,
) -> std::io::Result<()> {
    axum::serve(listener, router(platform, options))
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::warn!("cannot listen for Ctrl-C: {err}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::warn!("cannot listen for SIGTERM: {err}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// The ETag of a registration version: `"<version>"`.
fn etag(version: i64) -> String {
    format!("\"{version}\"")
}
