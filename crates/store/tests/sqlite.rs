//! The conformance suite on SQLite, plus what only the embedded backend promises.
//!
//! A fresh database file per test; WAL, synchronous=FULL and foreign keys read back from
//! the store's own connections; URLs naming a file.

mod conformance;

use kvalreg_store::{Scope, SqliteStore, Store, StoreError, connect};
use serde_json::json;
use tempfile::TempDir;

struct Fresh {
    store: SqliteStore,
    _dir: TempDir,
}

impl Fresh {
    fn store(&self) -> &dyn Store {
        &self.store
    }
}

async fn fresh() -> Fresh {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = SqliteStore::open(&dir.path().join("kvalreg.sqlite"))
        .await
        .expect("open SQLite store");
    Fresh { store, _dir: dir }
}

#[async_trait::async_trait]
impl conformance::RawDatabase for Fresh {
    async fn execute(&self, sql: &str) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(self.store.pool())
            .await
            .expect("raw SQL");
    }

    async fn dump(&self) -> Vec<(String, String)> {
        let pool = self.store.pool();
        let tables: Vec<String> = sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(pool)
            .await
            .expect("tables");
        let mut rows = Vec::new();
        for table in tables {
            let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info($1)")
                .bind(&table)
                .fetch_all(pool)
                .await
                .expect("columns");
            let quoted: Vec<String> = columns.iter().map(|c| format!("quote(\"{c}\")")).collect();
            let sql = format!("SELECT {} FROM \"{table}\"", quoted.join(" || ',' || "));
            let texts: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_all(pool)
                .await
                .expect("rows");
            rows.extend(texts.into_iter().map(|text| (table.clone(), text)));
        }
        rows
    }
}

conformance::suite!(fresh);

#[tokio::test]
async fn file_uses_wal_synchronous_full_and_foreign_keys() {
    let db = fresh().await;
    let pool = db.store.pool();
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(pool)
        .await
        .expect("journal_mode");
    assert_eq!(journal, "wal");
    let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(pool)
        .await
        .expect("synchronous");
    assert_eq!(synchronous, 2, "2 is FULL");
    let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(pool)
        .await
        .expect("foreign_keys");
    assert_eq!(foreign_keys, 1);
    let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
        .fetch_one(pool)
        .await
        .expect("busy_timeout");
    assert!(busy >= 1000, "busy timeout {busy} ms");
}

#[tokio::test]
async fn connect_opens_a_file_url_and_keeps_data_across_reopening() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("data").join("..").join("kvalreg.sqlite");
    std::fs::create_dir_all(dir.path().join("data")).expect("data dir");
    let url = format!("sqlite://{}", path.display());
    assert!(
        url.starts_with("sqlite:///"),
        "an absolute path gives three slashes: {url}"
    );
    let id = {
        let store = connect(&url).await.expect("connect");
        store
            .upsert_hospitals(&[kvalreg_store::Hospital {
                code: "H1".into(),
                name: "Alpha".into(),
                health_trust: "Trust".into(),
                health_region: "Region".into(),
                evt_centre: false,
                active: true,
            }])
            .await
            .expect("hospital");
        let write = kvalreg_store::Write {
            register: "stroke".into(),
            hospital: "H1".into(),
            status: kvalreg_store::Status::Draft,
            data: json!({"age": 50}).as_object().cloned().unwrap_or_default(),
            warnings: vec![],
            person: None,
            event_date: None,
            actor: "tester".into(),
            reason: None,
        };
        store.create(write).await.expect("create").id
    };
    assert!(dir.path().join("kvalreg.sqlite").is_file());
    let again = connect(&url).await.expect("reopen runs migrations again harmlessly");
    assert_eq!(again.get(&Scope::AllHospitals, id).await.expect("kept").version, 1);
}

#[tokio::test]
async fn connect_refuses_other_schemes_without_showing_the_password() {
    for url in [
        "mysql://root:s3cret@localhost/db",
        "/var/lib/kvalreg.sqlite",
        "sqlite://",
        "sqlite::memory:",
    ] {
        match connect(url).await {
            Err(StoreError::InvalidUrl(message)) => {
                assert!(
                    message.contains("sqlite:///") && message.contains("postgres://"),
                    "{message}"
                );
                assert!(!message.contains("s3cret"), "{message}");
            }
            Err(other) => panic!("{url}: expected InvalidUrl, got {other}"),
            Ok(_) => panic!("{url}: expected InvalidUrl, got a store"),
        }
    }
}

#[tokio::test]
async fn a_file_that_cannot_be_opened_is_named() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("missing-directory").join("kvalreg.sqlite");
    match SqliteStore::open(&path).await {
        Err(StoreError::Open { target, .. }) => assert!(target.contains("missing-directory"), "{target}"),
        Err(other) => panic!("expected Open, got {other}"),
        Ok(_) => panic!("opened a file in a directory that does not exist"),
    }
}
