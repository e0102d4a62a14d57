//! The conformance suite on PostgreSQL, plus several processes sharing one database.
//!
//! Each test gets its own database, created on the server KVALREG_TEST_DATABASE_URL names
//! and dropped afterwards, so tests run in parallel.

mod conformance;

use sqlx::{AssertSqlSafe, Connection, PgConnection};
use uuid::Uuid;

use kvalreg_store::{PostgresStore, Scope, Store, connect};

const ENV: &str = "KVALREG_TEST_DATABASE_URL";

fn admin_url() -> String {
    match std::env::var(ENV) {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "{ENV} is not set, so the PostgreSQL store tests cannot run. Start a PostgreSQL server \
             with a role that may create databases and run, for example:\n  \
             export {ENV}=postgres://kvalreg:kvalreg@localhost:5432/kvalreg_test"
        ),
    }
}

/// `url` with its database name replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let host_and_path = &base[authority_start..];
    let stem = match host_and_path.find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    format!("{stem}/{database}{query}")
}

/// A database of its own, dropped (with any connections still open) when this is dropped.
struct Fresh {
    store: PostgresStore,
    url: String,
    name: String,
}

impl Fresh {
    fn store(&self) -> &dyn Store {
        &self.store
    }
}

async fn admin(sql: String) {
    let mut conn = PgConnection::connect(&admin_url())
        .await
        .expect("connect to the admin database");
    sqlx::query(AssertSqlSafe(sql))
        .execute(&mut conn)
        .await
        .expect("admin statement");
    conn.close().await.expect("close admin connection");
}

async fn fresh() -> Fresh {
    let name = format!("kvalreg_t_{}", Uuid::new_v4().simple());
    admin(format!("CREATE DATABASE {name}")).await;
    let url = with_database(&admin_url(), &name);
    let store = PostgresStore::connect(&url)
        .await
        .expect("connect to the fresh database");
    Fresh { store, url, name }
}

impl Drop for Fresh {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // Drop runs inside the test's runtime, which cannot be blocked on: use a thread with
        // its own runtime.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(admin(sql));
        })
        .join();
        if dropped.is_err() && !std::thread::panicking() {
            panic!("could not drop test database {}", self.name);
        }
    }
}

#[async_trait::async_trait]
impl conformance::RawDatabase for Fresh {
    async fn execute(&self, sql: &str) {
        sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
            .execute(self.store.pool())
            .await
            .expect("raw SQL");
    }

    async fn dump(&self) -> Vec<(String, String)> {
        let pool = self.store.pool();
        let tables: Vec<String> =
            sqlx::query_scalar("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'")
                .fetch_all(pool)
                .await
                .expect("tables");
        let mut rows = Vec::new();
        for table in tables {
            let sql = format!("SELECT t::text FROM \"{table}\" t");
            let texts: Vec<String> = sqlx::query_scalar(AssertSqlSafe(sql))
                .fetch_all(pool)
                .await
                .expect("rows");
            rows.extend(texts.into_iter().map(|text| (table.clone(), text)));
        }
        rows
    }
}

conformance::suite!(fresh);

#[test]
fn database_name_is_replaced_in_urls() {
    assert_eq!(
        with_database("postgres://u:p@h:5432/kvalreg_test", "x"),
        "postgres://u:p@h:5432/x"
    );
    assert_eq!(
        with_database("postgres://u:p@h/db?sslmode=disable", "x"),
        "postgres://u:p@h/x?sslmode=disable"
    );
    assert_eq!(with_database("postgresql://h", "x"), "postgresql://h/x");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_one_database() {
    let db = fresh().await;
    let (first, second) = tokio::join!(connect(&db.url), connect(&db.url));
    let first = first.expect("first process migrates or waits");
    let second = second.expect("second process migrates or waits");
    first
        .upsert_hospitals(&[kvalreg_store::Hospital {
            code: "H1".into(),
            name: "Alpha".into(),
            health_trust: "Trust".into(),
            health_region: "Region".into(),
            evt_centre: true,
            active: true,
        }])
        .await
        .expect("hospital");
    assert_eq!(second.hospitals().await.expect("hospitals").len(), 1);

    let write = kvalreg_store::Write {
        register: "stroke".into(),
        hospital: "H1".into(),
        status: kvalreg_store::Status::Draft,
        data: serde_json::Map::new(),
        warnings: vec![],
        person: None,
        event_date: None,
        actor: "tester".into(),
        reason: None,
    };
    let created = first.create(write.clone()).await.expect("create in the first process");
    let seen = second.changes_since(0, 0).await.expect("the second process follows");
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].registration_id, created.id);
    let updated = second
        .update(&Scope::AllHospitals, created.id, 1, write.clone())
        .await
        .expect("update");
    let stale = first.update(&Scope::AllHospitals, created.id, 1, write).await;
    assert!(
        matches!(stale, Err(kvalreg_store::StoreError::Conflict { current: 2, .. })),
        "{stale:?}"
    );
    assert_eq!(first.get(&Scope::AllHospitals, created.id).await.expect("get"), updated);
}

#[tokio::test]
async fn an_unreachable_server_is_named_without_its_password() {
    let url = "postgres://kvalreg:s3cret@127.0.0.1:1/kvalreg_nowhere";
    match PostgresStore::connect(url).await {
        Err(kvalreg_store::StoreError::Open { target, source }) => {
            assert!(
                target.contains("kvalreg_nowhere") && target.contains("127.0.0.1:1"),
                "{target}"
            );
            let shown = format!("{target} {source}");
            assert!(!shown.contains("s3cret"), "{shown}");
        }
        Err(other) => panic!("expected Open, got {other}"),
        Ok(_) => panic!("connected to port 1"),
    }
}
