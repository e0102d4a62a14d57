//! What the app tests share: the shipped stroke register, platforms on a fresh SQLite data
//! directory or a fresh PostgreSQL database, and a valid synthetic registration.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kvalreg_app::{DataDir, Platform, reference_hospitals, seed_reference_hospitals, synthetic};
use kvalreg_core::definition::Register;
use kvalreg_store::Status;
use serde_json::{Map, Value as Json};
use sqlx::{AssertSqlSafe, Connection, PgConnection};

pub fn registers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../registers")
}

pub fn stroke() -> Register {
    match kvalreg_app::load_register_dir(&registers_dir().join("stroke")) {
        Ok(register) => register,
        Err(errors) => panic!(
            "the stroke register does not load:\n{}",
            kvalreg_app::format_definition_errors(&errors)
        ),
    }
}

/// A platform on a new data directory inside `dir`, with the reference hospitals.
pub async fn sqlite_platform(dir: &Path) -> (Platform, DataDir) {
    let data = DataDir::init(&dir.join("data")).expect("init data dir");
    let store = kvalreg_store::connect(&data.sqlite_url()).await.expect("open SQLite");
    seed_reference_hospitals(store.as_ref()).await.expect("seed hospitals");
    let platform = Platform::new(store, vec![stroke()], data.keys().expect("keys"));
    (platform, data)
}

const ENV: &str = "KVALREG_TEST_DATABASE_URL";

/// The PostgreSQL server the tests may create databases on. Fails (never skips) without it.
pub fn admin_url() -> String {
    match std::env::var(ENV) {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!(
            "{ENV} is not set, so the PostgreSQL half of the app tests cannot run. Start PostgreSQL \
             with a role that may create databases and set, for example:\n  \
             export {ENV}=postgres://kvalreg:kvalreg@localhost:5432/kvalreg_test"
        ),
    }
}

/// `url` with its database name replaced.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, String::new()), |(b, q)| (b, format!("?{q}")));
    let authority = base.find("://").map_or(0, |i| i + 3);
    let stem = base[authority..]
        .find('/')
        .map_or(base, |slash| &base[..authority + slash]);
    format!("{stem}/{database}{query}")
}

async fn admin(sql: String) {
    let mut conn = PgConnection::connect(&admin_url())
        .await
        .expect("connect to the PostgreSQL admin database");
    sqlx::query(AssertSqlSafe(sql))
        .execute(&mut conn)
        .await
        .expect("admin statement");
    conn.close().await.expect("close admin connection");
}

/// A fresh PostgreSQL database (kvalreg_app_<random>) dropped when this is dropped.
pub struct FreshPostgres {
    pub platform: Platform,
    pub name: String,
}

impl Drop for FreshPostgres {
    fn drop(&mut self) {
        let name = self.name.clone();
        // A runtime of its own: the test's runtime may be shutting down.
        let _ = std::thread::spawn(move || {
            if let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                runtime.block_on(admin(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")));
            }
        })
        .join();
    }
}

pub async fn postgres_platform(keys_dir: &Path) -> FreshPostgres {
    let name = format!("kvalreg_app_{}", uuid::Uuid::new_v4().simple());
    admin(format!("CREATE DATABASE {name}")).await;
    let store = kvalreg_store::connect(&with_database(&admin_url(), &name))
        .await
        .expect("connect to the fresh database");
    seed_reference_hospitals(store.as_ref()).await.expect("seed hospitals");
    let data = DataDir::init(&keys_dir.join("keys")).expect("key file");
    let platform = Platform::new(store, vec![stroke()], data.keys().expect("keys"));
    FreshPostgres { platform, name }
}

/// Synthetic registrations as of a fixed day, so tests do not depend on the calendar.
pub fn synthetic_set(per_hospital_year: usize, seed: u64) -> Vec<(Map<String, Json>, Status)> {
    synthetic::stroke_registrations_as_of(
        jiff::civil::date(2026, 6, 30),
        &reference_hospitals(),
        2022..=2026,
        per_hospital_year,
        seed,
    )
}

/// One complete synthetic registration without thrombolysis or thrombectomy.
pub fn plain_complete() -> Map<String, Json> {
    synthetic_set(2, 11)
        .into_iter()
        .find(|(doc, status)| {
            *status == Status::Complete
                && doc.get("ivt") == Some(&Json::Bool(false))
                && doc.get("evt") == Some(&Json::Bool(false))
        })
        .map(|(doc, _)| doc)
        .expect("a plain complete registration")
}

pub fn arc_store(platform: &Platform) -> Arc<dyn kvalreg_store::Store> {
    platform.store.clone()
}
