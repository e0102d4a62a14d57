//! The web app with indicators kept current by a follower: the router and server of
//! [`crate::router`] and [`crate::serve`], with the followed columns handed to the
//! indicators endpoint (without them it reads the registrations for each request).

use std::sync::Arc;

use axum::{Extension, Router};
use kvalreg_app::Platform;
use kvalreg_app::indicators::IndicatorColumns;

use crate::WebOptions;

/// [`crate::router`], serving indicators from followed columns.
pub fn router_with_indicators(
    platform: Arc<Platform>,
    options: WebOptions,
    indicators: Arc<IndicatorColumns>,
) -> Router {
    crate::router(platform, options).layer(Extension(indicators))
}

/// [`crate::serve`], serving indicators from followed columns.
pub async fn serve_with_indicators(
    listener: tokio::net::TcpListener,
    platform: Arc<Platform>,
    options: WebOptions,
    indicators: Arc<IndicatorColumns>,
) -> std::io::Result<()> {
    axum::serve(listener, router_with_indicators(platform, options, indicators))
        .with_graceful_shutdown(crate::shutdown_signal())
        .await
}
