//! The indicator follower on SQLite and PostgreSQL: columns built from the store at start
//! (national ids decrypted for `age`), and a write through the platform (created, reopened,
//! completed, deleted by a reservation) counted in the report within a second — also by a
//! second platform with its own follower on the same PostgreSQL database, as another
//! process would.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::civil::date;
use kvalreg_app::Platform;
use kvalreg_app::indicators::{Granularity, IndicatorColumns};
use kvalreg_store::{Scope, Status};
use serde_json::{Map, Value as Json};

const STROKE: &str = "stroke";

/// Complete cerebral infarctions (I63) of distinct persons.
fn infarctions(count: usize) -> Vec<Map<String, Json>> {
    let mut persons = std::collections::BTreeSet::new();
    let docs: Vec<Map<String, Json>> = common::synthetic_set(2, 23)
        .into_iter()
        .filter(|(doc, status)| *status == Status::Complete && doc["diagnosis"] == "I63")
        .filter(|(doc, _)| persons.insert(doc["national_id"].to_string()))
        .map(|(doc, _)| doc)
        .take(count)
        .collect();
    assert_eq!(docs.len(), count);
    docs
}

/// Cerebral infarctions counted nationally for ivt_rate, all years together.
async fn counted(columns: &IndicatorColumns) -> u64 {
    let report = columns
        .report(STROKE, date(2026, 6, 30), Granularity::Year, None)
        .await
        .expect("report");
    report
        .results
        .iter()
        .filter(|r| r.indicator == "ivt_rate" && r.unit == "Norge")
        .map(|r| r.denominator)
        .sum()
}

/// Waits until the report counts `expected`; fails if that takes a second or more.
async fn within_a_second(columns: &IndicatorColumns, expected: u64, what: &str) -> Duration {
    let written = Instant::now();
    loop {
        let now = counted(columns).await;
        if now == expected {
            let took = written.elapsed();
            eprintln!("{what}: counted after {took:?}");
            return took;
        }
        assert!(
            written.elapsed() < Duration::from_secs(1),
            "{what}: the report counts {now}, not {expected}, a second after the write"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Three registrations before the follower starts, then one created, reopened to draft and
/// completed again: each change is in the report within a second.
async fn follows_writes(platform: Arc<Platform>) {
    let docs = infarctions(4);
    for doc in &docs[..3] {
        platform
            .create(
                &kvalreg_store::Scope::AllHospitals,
                STROKE,
                doc.clone(),
                Status::Complete,
                "test",
            )
            .await
            .expect("create");
    }
    let draft = common::synthetic_set(2, 23)
        .into_iter()
        .find(|(_, status)| *status == Status::Draft)
        .expect("a draft");
    platform
        .create(
            &kvalreg_store::Scope::AllHospitals,
            STROKE,
            draft.0,
            Status::Draft,
            "test",
        )
        .await
        .expect("create draft");

    let columns = IndicatorColumns::start(Arc::clone(&platform)).await.expect("start");
    assert_eq!(columns.len(STROKE).expect("stroke"), 3, "drafts are not counted");
    assert_eq!(counted(&columns).await, 3);
    // `age` is derived from the decrypted national id: the statin indicator (I63, aged 80
    // or younger) counts nobody if the id were missing.
    let report = columns
        .report(STROKE, date(2026, 6, 30), Granularity::Year, None)
        .await
        .expect("report");
    let statin: u64 = report
        .results
        .iter()
        .filter(|r| r.indicator == "statin" && r.unit == "Norge")
        .map(|r| r.denominator)
        .sum();
    assert!(statin > 0, "age is derived from the national id");

    let saved = platform
        .create(
            &kvalreg_store::Scope::AllHospitals,
            STROKE,
            docs[3].clone(),
            Status::Complete,
            "test",
        )
        .await
        .expect("create");
    within_a_second(&columns, 4, "created").await;

    let id = saved.registration.id;
    let reopened = platform
        .reopen(
            &Scope::AllHospitals,
            STROKE,
            id,
            saved.registration.version,
            "correction",
            "test",
        )
        .await
        .expect("reopen");
    within_a_second(&columns, 3, "reopened to draft").await;
    platform
        .complete(&Scope::AllHospitals, STROKE, id, reopened.registration.version, "test")
        .await
        .expect("complete");
    within_a_second(&columns, 4, "completed again").await;

    let filtered = columns
        .report(STROKE, date(2026, 6, 30), Granularity::Year, Some("sex = 'female'"))
        .await
        .expect("a filtered report");
    let female: u64 = filtered
        .results
        .iter()
        .filter(|r| r.indicator == "ivt_rate" && r.unit == "Norge")
        .map(|r| r.denominator)
        .sum();
    let expected = docs.iter().filter(|d| d["sex"] == "female").count() as u64;
    assert_eq!(female, expected, "the filter narrows the count");
    let refused = columns
        .report(STROKE, date(2026, 6, 30), Granularity::Year, Some("shoe_size > 40"))
        .await;
    assert!(
        matches!(&refused, Err(kvalreg_app::AppError::Invalid(f)) if f[0].field == "filter"),
        "{refused:?}"
    );

    let national_id = docs[0]["national_id"].as_str().expect("national id");
    let deleted = platform.reserve(STROKE, national_id, "test").await.expect("reserve");
    assert_eq!(deleted, 1);
    within_a_second(&columns, 3, "deleted by a reservation").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_follower_counts_a_write_within_a_second() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (platform, _data) = common::sqlite_platform(dir.path()).await;
    follows_writes(Arc::new(platform)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_follower_counts_a_write_within_a_second() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fresh = common::postgres_platform(dir.path()).await;
    let platform = Arc::new(Platform::new(
        fresh.platform.store.clone(),
        vec![common::stroke()],
        kvalreg_app::DataDir::open(&dir.path().join("keys"))
            .expect("keys")
            .keys()
            .expect("keys"),
    ));
    follows_writes(platform).await;
}

/// Two platforms on one PostgreSQL database, each with its own connection pool and
/// follower, as two processes would run: a write through either is counted by both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_process_on_postgres_counts_the_first_ones_write() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fresh = common::postgres_platform(dir.path()).await;
    let keys = || {
        kvalreg_app::DataDir::open(&dir.path().join("keys"))
            .expect("keys")
            .keys()
            .expect("keys")
    };
    let first = Arc::new(Platform::new(
        fresh.platform.store.clone(),
        vec![common::stroke()],
        keys(),
    ));
    let url = common::with_database(&common::admin_url(), &fresh.name);
    let second_store = kvalreg_store::connect(&url).await.expect("a second connection pool");
    let second = Arc::new(Platform::new(second_store, vec![common::stroke()], keys()));

    let docs = infarctions(3);
    first
        .create(
            &kvalreg_store::Scope::AllHospitals,
            STROKE,
            docs[0].clone(),
            Status::Complete,
            "test",
        )
        .await
        .expect("create");
    let first_columns = IndicatorColumns::start(Arc::clone(&first)).await.expect("start first");
    let second_columns = IndicatorColumns::start(Arc::clone(&second))
        .await
        .expect("start second");
    assert_eq!(counted(&second_columns).await, 1);

    first
        .create(
            &kvalreg_store::Scope::AllHospitals,
            STROKE,
            docs[1].clone(),
            Status::Complete,
            "test",
        )
        .await
        .expect("create");
    within_a_second(&second_columns, 2, "written by the first, seen by the second").await;
    within_a_second(&first_columns, 2, "written by the first, seen by the first").await;
    second
        .create(
            &kvalreg_store::Scope::AllHospitals,
            STROKE,
            docs[2].clone(),
            Status::Complete,
            "test",
        )
        .await
        .expect("create");
    within_a_second(&first_columns, 3, "written by the second, seen by the first").await;
}

/// An import of more registrations than the follower reads one by one reloads the register
/// page by page; the report then counts exactly the imported complete and locked
/// infarctions, drafts left out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_import_is_counted_after_a_reload() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (platform, _data) = common::sqlite_platform(dir.path()).await;
    let platform = Arc::new(platform);
    let columns = IndicatorColumns::start(Arc::clone(&platform)).await.expect("start");
    assert_eq!(counted(&columns).await, 0);

    let set = common::synthetic_set(6, 5);
    assert!(set.len() > kvalreg_app::indicators::RELOAD_THRESHOLD, "{}", set.len());
    let lines: Vec<String> = set
        .iter()
        .map(|(doc, status)| {
            let mut line = Map::new();
            line.insert("status".into(), Json::String(kvalreg_app::status_name(*status).into()));
            line.extend(doc.clone());
            serde_json::to_string(&line).expect("json")
        })
        .collect();
    let text = lines.join("\n");
    let mut input = text.as_bytes();
    platform
        .import(STROKE, kvalreg_app::FileFormat::Ndjson, &mut input, "test", &mut |_| ())
        .await
        .expect("import");
    let expected = set
        .iter()
        .filter(|(doc, status)| *status != Status::Draft && doc["diagnosis"] == "I63")
        .count() as u64;
    assert!(
        set.iter()
            .any(|(doc, status)| *status == Status::Draft && doc["diagnosis"] == "I63")
    );
    within_a_second(&columns, expected, "a large import").await;
}

/// A report asked for again comes from the cache, but never a stale one: a moved hospital
/// is counted in its new health trust at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_report_follows_the_hospital_list() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (platform, _data) = common::sqlite_platform(dir.path()).await;
    let platform = Arc::new(platform);
    let doc = infarctions(1).remove(0);
    let hospital = doc["hospital"].as_str().expect("hospital").to_owned();
    platform
        .create(&Scope::AllHospitals, STROKE, doc, Status::Complete, "test")
        .await
        .expect("create");
    let columns = IndicatorColumns::start(Arc::clone(&platform)).await.expect("start");
    let in_trust = |report: &kvalreg_app::indicators::Report, trust: &str| -> u64 {
        report
            .results
            .iter()
            .filter(|r| r.indicator == "ivt_rate" && r.unit == trust)
            .map(|r| r.denominator)
            .sum()
    };
    let ask = || columns.report(STROKE, date(2026, 6, 30), Granularity::Year, None);
    let first = ask().await.expect("report");
    assert_eq!(ask().await.expect("report again"), first, "the same report");
    let mut moved = platform
        .store
        .hospitals()
        .await
        .expect("hospitals")
        .into_iter()
        .find(|h| h.code == hospital)
        .expect("the hospital");
    assert_eq!(in_trust(&first, &moved.health_trust), 1);
    moved.health_trust = "Synthetic trust HF".to_owned();
    platform
        .store
        .upsert_hospitals(&[moved])
        .await
        .expect("move the hospital");
    let after = ask().await.expect("report after the move");
    assert_eq!(in_trust(&after, "Synthetic trust HF"), 1, "counted in the new trust");
}
