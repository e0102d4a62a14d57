//! Chooses the backend from a database URL, so the database is configuration, not a build.

use std::path::Path;
use std::sync::Arc;

use crate::{PostgresStore, Result, SqliteStore, Store, StoreError};

const ACCEPTED: &str = "use sqlite:///absolute/path/kvalreg.sqlite, sqlite://relative/path/kvalreg.sqlite \
     or postgres://user:password@host:5432/database (postgresql:// also works)";

/// Opens the store a URL names and brings its schema up to date: `sqlite://PATH` (the file
/// is created if missing; `sqlite:///abs/path` is absolute, `sqlite://rel/path` relative to
/// the working directory) or `postgres://...` / `postgresql://...`.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Arc::new(PostgresStore::connect(url).await?));
    }
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let path = rest.strip_prefix("//").unwrap_or(rest);
        if path.is_empty() || path == ":memory:" {
            return Err(StoreError::InvalidUrl(format!(
                "{url:?} names no database file; {ACCEPTED}"
            )));
        }
        return Ok(Arc::new(SqliteStore::open(Path::new(path)).await?));
    }
    // Only the part before the first ':' is shown: the rest may hold a password.
    let problem = match url.split_once(':') {
        Some((scheme, _)) => format!("scheme {scheme:?} is not supported"),
        None => "the URL has no scheme".to_owned(),
    };
    Err(StoreError::InvalidUrl(format!("{problem}; {ACCEPTED}")))
}
