//! Reservation (opt-out) and audited access through the platform, on SQLite and PostgreSQL:
//! after a reservation no table holds the person's national id, ciphertext or (outside the
//! reservation list) look-up key — neither registrations nor insight codes nor patient
//! sessions — and registering the person again is refused by field and rule.

mod common;

use std::io::Cursor;

use kvalreg_app::{AppError, FileFormat, Platform, RESERVED_RULE};
use kvalreg_store::{AuditFilter, Filter, Scope, Status};
use serde_json::{Map, Value as Json, json};
use sqlx::{AssertSqlSafe, Connection, PgConnection, SqliteConnection};

const STROKE: &str = "stroke";

/// Every row of every table as text, binary columns as hex, lower case.
type Dump = Vec<(String, String)>;

async fn sqlite_dump(url: &str) -> Dump {
    let mut conn = SqliteConnection::connect(url).await.expect("open the database file");
    let tables: Vec<String> = sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
        .fetch_all(&mut conn)
        .await
        .expect("tables");
    let mut rows = Vec::new();
    for table in tables {
        let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info($1)")
            .bind(&table)
            .fetch_all(&mut conn)
            .await
            .expect("columns");
        let quoted: Vec<String> = columns.iter().map(|c| format!("quote(\"{c}\")")).collect();
        let sql = format!("SELECT {} FROM \"{table}\"", quoted.join(" || ',' || "));
        let texts: Vec<String> = sqlx::query_scalar(AssertSqlSafe(sql))
            .fetch_all(&mut conn)
            .await
            .expect("rows");
        rows.extend(texts.into_iter().map(|t| (table.clone(), t.to_lowercase())));
    }
    rows
}

async fn postgres_dump(url: &str) -> Dump {
    let mut conn = PgConnection::connect(url).await.expect("connect");
    let tables: Vec<String> = sqlx::query_scalar("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'")
        .fetch_all(&mut conn)
        .await
        .expect("tables");
    let mut rows = Vec::new();
    for table in tables {
        let texts: Vec<String> = sqlx::query_scalar(AssertSqlSafe(format!("SELECT t::text FROM \"{table}\" t")))
            .fetch_all(&mut conn)
            .await
            .expect("rows");
        rows.extend(texts.into_iter().map(|t| (table.clone(), t.to_lowercase())));
    }
    rows
}

fn ndjson_line(doc: &Map<String, Json>, status: Status) -> String {
    let mut line = Map::new();
    line.insert("status".into(), json!(kvalreg_app::status_name(status)));
    line.extend(doc.clone());
    format!("{}\n", Json::Object(line))
}

async fn import(platform: &Platform, lines: &str) -> Result<kvalreg_app::ImportReport, AppError> {
    let mut input = Cursor::new(lines.as_bytes().to_vec());
    platform
        .import(STROKE, FileFormat::Ndjson, &mut input, "importer", &mut |_| {})
        .await
}

/// Runs the reservation flow; `dump` reads every table of the platform's database.
async fn reservation_flow<F, Fut>(platform: &Platform, dump: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Dump>,
{
    let set = common::synthetic_set(1, 23);
    let (doc_a, status_a) = set[0].clone();
    let (doc_b, status_b) = set
        .iter()
        .find(|(doc, _)| doc["national_id"] != doc_a["national_id"])
        .cloned()
        .expect("a second person");
    let id_a = doc_a["national_id"].as_str().expect("id").to_owned();

    let first = platform
        .create(
            &kvalreg_store::Scope::AllHospitals,
            STROKE,
            doc_a.clone(),
            status_a,
            "registrar",
        )
        .await
        .expect("create A");
    import(
        platform,
        &(ndjson_line(&doc_a, status_a) + &ndjson_line(&doc_b, status_b)),
    )
    .await
    .expect("import A again and B");
    let all = Scope::AllHospitals;
    let read = platform
        .read(&all, STROKE, first.registration.id, "registrar", "follow-up")
        .await
        .expect("audited read");
    assert_eq!(read.values["national_id"], json!(id_a));
    let mut exported = Vec::new();
    platform
        .export(STROKE, FileFormat::Ndjson, &mut exported, "analyst")
        .await
        .expect("export");

    let filter = Filter {
        register: STROKE.into(),
        ..Filter::default()
    };
    let stored = platform.store.list(&all, &filter).await.expect("list");
    assert_eq!(stored.len(), 3);
    let person_a = stored[0].person.clone().expect("A is protected");
    let key = person_a.lookup_key.clone();
    let ciphertexts: Vec<String> = stored
        .iter()
        .filter(|r| r.person.as_ref().map(|p| &p.lookup_key) == Some(&key))
        .map(|r| r.person.as_ref().map(|p| hex(&p.ciphertext)).unwrap_or_default())
        .collect();
    assert_eq!(ciphertexts.len(), 2);
    assert!(
        dump().await.iter().any(|(_, row)| row.contains(&key)),
        "the scan finds the key while the person is registered"
    );

    let refused = platform.reserve(STROKE, "12345678901", "admin").await;
    assert!(
        matches!(refused, Err(AppError::Invalid(_))),
        "an invalid id is refused: {refused:?}"
    );
    // A spent code with its patient session and an unused code hold the look-up key too.
    let now = jiff::Timestamp::now();
    let spent = platform
        .issue_insight_code(STROKE, &id_a, "admin", now)
        .await
        .expect("issue a code");
    platform
        .redeem_insight_code(&id_a, &spent.code, now)
        .await
        .expect("redeem")
        .expect("the code opens a patient session");
    platform
        .issue_insight_code(STROKE, &id_a, "admin", now)
        .await
        .expect("issue an unused code");
    let deleted = platform.reserve(STROKE, &id_a, "admin").await.expect("reserve");
    assert_eq!(deleted, 2);
    let left = platform.store.list(&all, &filter).await.expect("list");
    assert_eq!(left.len(), 1);

    for (table, row) in dump().await {
        assert!(!row.contains(&id_a), "{table} holds the national id: {row}");
        for ciphertext in &ciphertexts {
            assert!(
                !row.contains(ciphertext.as_str()),
                "{table} holds the ciphertext: {row}"
            );
        }
        if table != "reservations" {
            assert!(!row.contains(&key), "{table} holds the look-up key: {row}");
        }
    }

    match platform
        .create(
            &kvalreg_store::Scope::AllHospitals,
            STROKE,
            doc_a.clone(),
            status_a,
            "registrar",
        )
        .await
    {
        Err(AppError::Invalid(findings)) => {
            assert_eq!(findings.len(), 1);
            assert_eq!(findings[0].field, "national_id");
            assert_eq!(findings[0].rule, RESERVED_RULE);
            assert!(
                findings[0].message_nb.contains("reservert"),
                "{}",
                findings[0].message_nb
            );
            assert!(
                findings[0].message_en.contains("reserved"),
                "{}",
                findings[0].message_en
            );
        }
        other => panic!("registering a reserved person must be refused, got {other:?}"),
    }
    match import(
        platform,
        &(ndjson_line(&doc_b, status_b) + &ndjson_line(&doc_a, status_a)),
    )
    .await
    {
        Err(AppError::ImportRefused { problems, .. }) => {
            assert_eq!(problems.len(), 1);
            assert_eq!(problems[0].line, 2);
            assert_eq!(problems[0].field, "national_id");
            assert_eq!(problems[0].rule, RESERVED_RULE);
        }
        other => panic!("importing a reserved person must be refused, got {other:?}"),
    }
    assert_eq!(platform.store.list(&all, &filter).await.expect("list").len(), 1);

    assert!(
        platform
            .withdraw_reservation(STROKE, &id_a, "admin")
            .await
            .expect("withdraw")
    );
    platform
        .create(
            &kvalreg_store::Scope::AllHospitals,
            STROKE,
            doc_a,
            status_a,
            "registrar",
        )
        .await
        .expect("registering again after the withdrawal");

    let actions: Vec<String> = platform
        .store
        .audit_entries(&AuditFilter::default())
        .await
        .expect("audit")
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            "registration.create",
            "registration.import",
            "registration.import",
            "registration.read",
            "export",
            "insight.code_issue",
            "insight.code_use",
            "insight.code_issue",
            "reservation.add",
            "reservation.withdraw",
            "registration.create"
        ]
    );
    let report = platform.store.verify_audit().await.expect("verify");
    assert_eq!(report.first_bad, None);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reservation_on_sqlite_leaves_only_the_key_in_the_reservation_list() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (platform, data) = common::sqlite_platform(dir.path()).await;
    let url = data.sqlite_url();
    reservation_flow(&platform, || sqlite_dump(&url)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reservation_on_postgres_leaves_only_the_key_in_the_reservation_list() {
    let keys = tempfile::tempdir().expect("temporary directory");
    let name = format!("kvalreg_app_{}", uuid::Uuid::new_v4().simple());
    let admin = common::admin_url();
    let mut conn = PgConnection::connect(&admin).await.expect("admin connection");
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create database");
    let url = match admin.rsplit_once('/') {
        Some((stem, _)) => format!("{stem}/{name}"),
        None => panic!("unusable {admin}"),
    };
    let store = kvalreg_store::connect(&url).await.expect("connect");
    kvalreg_app::seed_reference_hospitals(store.as_ref())
        .await
        .expect("hospitals");
    let data = kvalreg_app::DataDir::init(&keys.path().join("keys")).expect("key file");
    let platform = Platform::new(store, vec![common::stroke()], data.keys().expect("keys"));
    reservation_flow(&platform, || postgres_dump(&url)).await;
    drop(platform);
    sqlx::query(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
        .execute(&mut conn)
        .await
        .expect("drop database");
}
