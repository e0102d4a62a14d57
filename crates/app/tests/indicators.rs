//! The indicator follower on SQLite and PostgreSQL: columns built from the store at start
//! (national ids decrypted for `age`), and a write through the platform (created, reopened,
//! completed, updated, deleted by a reservation) counted in the report within a second — at
//! 200,000 registrations too, and by a second platform with its own follower on the same
//! PostgreSQL database, as another process would; compaction of dead rows gives the report
//! of a fresh load.

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
    national(columns, None).await
}

/// Cerebral infarctions counted nationally for ivt_rate, all years together, narrowed by a
/// filter (denominators are given also below the minimum, numerators are not).
async fn national(columns: &IndicatorColumns, filter: Option<&str>) -> u64 {
    let report = columns
        .shared_report(STROKE, date(2026, 6, 30), Granularity::Year, filter)
        .await
        .expect("report");
    report
        .results
        .iter()
        .filter(|r| r.indicator == "ivt_rate" && r.unit == "Norge")
        .map(|r| r.denominator)
        .sum()
}

/// Waits until the follower has applied the write just made; fails if that takes a second
/// or more. Then the report must count `expected`. (The time to compute the report is left
/// out: in a debug build it is ten times a release build's; bench/dashboard measures the
/// whole way from a write to a report in a release build.)
async fn within_a_second(columns: &IndicatorColumns, expected: u64, what: &str) -> Duration {
    settles(columns, None, expected, what).await
}

/// As [`within_a_second`], for the report narrowed by `filter`.
async fn settles(columns: &IndicatorColumns, filter: Option<&str>, expected: u64, what: &str) -> Duration {
    let written = Instant::now();
    while !columns.caught_up().await.expect("the change sequence") {
        assert!(
            written.elapsed() < Duration::from_secs(1),
            "{what}: not applied a second after the write"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let took = written.elapsed();
    eprintln!("{what}: applied after {took:?}");
    assert_eq!(national(columns, filter).await, expected, "{what}");
    took
}

/// Registrations already in the store before the test's own.
#[derive(Default)]
struct Seeded {
    rows: usize,
    /// Counted for ivt_rate (cerebral infarctions).
    infarctions: u64,
    /// Of those, women.
    women: u64,
}

/// Three registrations before the follower starts (besides those `seeded`), then one created, reopened to draft,
/// completed again and updated, and one deleted by a reservation: each change is in the
/// report within a second.
async fn follows_writes(platform: Arc<Platform>, seeded: Seeded) {
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

    let started = Instant::now();
    let columns = IndicatorColumns::start(Arc::clone(&platform)).await.expect("start");
    eprintln!("{} registrations loaded in {:?}", seeded.rows + 3, started.elapsed());
    assert_eq!(
        columns.len(STROKE).expect("stroke"),
        seeded.rows + 3,
        "drafts are not counted"
    );
    let base = seeded.infarctions;
    assert_eq!(counted(&columns).await, base + 3);
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
    within_a_second(&columns, base + 4, "created").await;

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
    within_a_second(&columns, base + 3, "reopened to draft").await;
    let completed = platform
        .complete(&Scope::AllHospitals, STROKE, id, reopened.registration.version, "test")
        .await
        .expect("complete");
    within_a_second(&columns, base + 4, "completed again").await;

    // An update of a complete registration: its old row dies, the new one is counted.
    let ward = if docs[3]["first_ward"] == "other" {
        "stroke_unit"
    } else {
        "other"
    };
    let in_ward = format!("first_ward = '{ward}'");
    let before = national(&columns, Some(&in_ward)).await;
    let mut changed = docs[3].clone();
    changed.insert("first_ward".into(), Json::String(ward.into()));
    platform
        .update(
            &Scope::AllHospitals,
            STROKE,
            id,
            completed.registration.version,
            changed,
            "test",
        )
        .await
        .expect("update");
    settles(&columns, Some(&in_ward), before + 1, "updated").await;
    assert_eq!(counted(&columns).await, base + 4, "still counted once");
    assert_eq!(columns.len(STROKE).expect("stroke"), seeded.rows + 4);

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
    let expected = seeded.women + docs.iter().filter(|d| d["sex"] == "female").count() as u64;
    assert_eq!(female, expected, "the filter narrows the count");
    let refused = columns
        .report(STROKE, date(2026, 6, 30), Granularity::Year, Some("shoe_size > 40"))
        .await;
    assert!(
        matches!(&refused, Err(kvalreg_app::AppError::Invalid(f)) if f[0].field == "filter"),
        "{refused:?}"
    );
    let national_id = docs[0]["national_id"].as_str().expect("national id");
    let refused = columns
        .report(
            STROKE,
            date(2026, 6, 30),
            Granularity::Year,
            Some(&format!("national_id = '{national_id}'")),
        )
        .await;
    assert!(
        matches!(&refused, Err(kvalreg_app::AppError::Invalid(f)) if f[0].field == "filter"),
        "the national id is not kept: {refused:?}"
    );

    let deleted = platform.reserve(STROKE, national_id, "test").await.expect("reserve");
    assert_eq!(deleted, 1);
    within_a_second(&columns, base + 3, "deleted by a reservation").await;
    assert_eq!(columns.len(STROKE).expect("stroke"), seeded.rows + 3);
}

/// Registrations of the follower's scale tests.
const AT_SCALE: usize = 200_000;

/// `rows` complete registrations written straight to the store in batches (the synthetic
/// set's complete documents over and over, without national ids: the store's bulk path, so
/// the test spends its time on the follower, not on validation).
async fn seed(platform: &Platform, rows: usize) -> Seeded {
    let register = common::stroke();
    let hospitals = platform.hospital_codes().await.expect("hospitals");
    let ctx = kvalreg_core::validation::Context { hospitals: &hospitals };
    let templates: Vec<(kvalreg_store::Write, bool, bool)> = common::synthetic_set(2, 5)
        .into_iter()
        .filter(|(_, status)| *status == Status::Complete)
        .map(|(doc, _)| {
            let record = register.parse_document(&doc, &ctx).expect("a synthetic document");
            let mut data = register.document(&record);
            data.remove(&register.person_variable);
            let write = kvalreg_store::Write {
                register: STROKE.into(),
                hospital: doc["hospital"].as_str().expect("hospital").into(),
                status: Status::Complete,
                data,
                warnings: Vec::new(),
                person: None,
                event_date: register.period_date(&record),
                actor: "test".into(),
                reason: None,
            };
            (write, doc["diagnosis"] == "I63", doc["sex"] == "female")
        })
        .collect();
    let mut seeded = Seeded::default();
    let mut batch = Vec::new();
    for (write, infarction, woman) in templates.iter().cycle().take(rows) {
        batch.push(write.clone());
        seeded.rows += 1;
        seeded.infarctions += u64::from(*infarction);
        seeded.women += u64::from(*infarction && *woman);
        if batch.len() == 10_000 {
            platform
                .store
                .create_many(std::mem::take(&mut batch))
                .await
                .expect("seed");
        }
    }
    platform.store.create_many(batch).await.expect("seed");
    seeded
}

/// At 200,000 registrations a write is still counted within a second: the follower appends
/// the changed registration and marks its old row dead instead of rebuilding the columns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_follower_counts_a_write_within_a_second_at_scale() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (platform, _data) = common::sqlite_platform(dir.path()).await;
    let seeded = seed(&platform, AT_SCALE).await;
    follows_writes(Arc::new(platform), seeded).await;
}

/// The keys of the data dir `common::postgres_platform` made in `dir`, for another platform
/// on the same database (a second process).
fn keys(dir: &std::path::Path) -> kvalreg_core::identity::IdentityKeys {
    kvalreg_app::DataDir::open(&dir.join("keys"))
        .expect("keys")
        .keys()
        .expect("keys")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_follower_counts_a_write_within_a_second_at_scale() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fresh = common::postgres_platform(dir.path()).await;
    let seeded = seed(&fresh.platform, AT_SCALE).await;
    let platform = Arc::new(Platform::new(
        fresh.platform.store.clone(),
        vec![common::stroke()],
        keys(dir.path()),
    ));
    follows_writes(platform, seeded).await;
}

/// Reopening more than a quarter of the registrations to draft compacts the columns to the
/// live rows; the report is then the one a fresh load gives, and later writes still land.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compaction_gives_the_report_of_a_fresh_load() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (platform, _data) = common::sqlite_platform(dir.path()).await;
    let platform = Arc::new(platform);
    let docs = infarctions(8);
    let mut saved = Vec::new();
    for doc in &docs {
        saved.push(
            platform
                .create(&Scope::AllHospitals, STROKE, doc.clone(), Status::Complete, "test")
                .await
                .expect("create"),
        );
    }
    let columns = IndicatorColumns::start(Arc::clone(&platform)).await.expect("start");
    let reopen = |i: usize| {
        let registration = &saved[i].registration;
        platform.reopen(
            &Scope::AllHospitals,
            STROKE,
            registration.id,
            registration.version,
            "correction",
            "test",
        )
    };
    reopen(0).await.expect("reopen");
    within_a_second(&columns, 7, "one reopened").await;
    let rows = columns.columns(STROKE).expect("stroke");
    assert_eq!((rows.len(), rows.dead_count()), (8, 1), "one dead row, below the share");
    let draft = reopen(1).await.expect("reopen").registration;
    reopen(2).await.expect("reopen");
    within_a_second(&columns, 5, "three reopened").await;
    let rows = columns.columns(STROKE).expect("stroke");
    assert_eq!((rows.len(), rows.dead_count()), (5, 0), "compacted past a quarter dead");

    let as_of = date(2026, 6, 30);
    let fresh = IndicatorColumns::load(Arc::clone(&platform))
        .await
        .expect("a fresh load");
    for filter in [None, Some("sex = 'female'")] {
        assert_eq!(
            columns
                .report(STROKE, as_of, Granularity::Quarter, filter)
                .await
                .expect("followed"),
            fresh
                .report(STROKE, as_of, Granularity::Quarter, filter)
                .await
                .expect("fresh"),
            "{filter:?}"
        );
    }
    assert_eq!(
        *columns.awards(STROKE, as_of).await.expect("followed"),
        *fresh.awards(STROKE, as_of).await.expect("fresh")
    );
    let again = platform
        .complete(&Scope::AllHospitals, STROKE, draft.id, draft.version, "test")
        .await
        .expect("complete");
    assert_eq!(again.registration.status, Status::Complete);
    within_a_second(&columns, 6, "completed after the compaction").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_follower_counts_a_write_within_a_second() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (platform, _data) = common::sqlite_platform(dir.path()).await;
    follows_writes(Arc::new(platform), Seeded::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_follower_counts_a_write_within_a_second() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fresh = common::postgres_platform(dir.path()).await;
    let platform = Arc::new(Platform::new(
        fresh.platform.store.clone(),
        vec![common::stroke()],
        keys(dir.path()),
    ));
    follows_writes(platform, Seeded::default()).await;
}

/// Two platforms on one PostgreSQL database, each with its own connection pool and
/// follower, as two processes would run: a write through either is counted by both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_process_on_postgres_counts_the_first_ones_write() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fresh = common::postgres_platform(dir.path()).await;
    let first = Arc::new(Platform::new(
        fresh.platform.store.clone(),
        vec![common::stroke()],
        keys(dir.path()),
    ));
    let url = common::with_database(&common::admin_url(), &fresh.name);
    let second_store = kvalreg_store::connect(&url).await.expect("a second connection pool");
    let second = Arc::new(Platform::new(second_store, vec![common::stroke()], keys(dir.path())));

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
