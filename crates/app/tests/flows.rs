//! The write path end to end on real databases: create, update, complete, reopen, refusals
//! that change nothing, stale versions, locked registrations, and national ids that never
//! reach the database in clear text. The same flow runs on SQLite and on PostgreSQL.

mod common;

use kvalreg_app::{AppError, Platform};
use kvalreg_store::{Filter, Scope, Status};
use serde_json::{Map, Value as Json, json};

const STROKE: &str = "stroke";

fn without(doc: &Map<String, Json>, names: &[&str]) -> Map<String, Json> {
    doc.iter()
        .filter(|(k, _)| !names.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn with(doc: &Map<String, Json>, name: &str, value: Json) -> Map<String, Json> {
    let mut doc = doc.clone();
    doc.insert(name.to_string(), value);
    doc
}

async fn total(platform: &Platform) -> u64 {
    let filter = Filter {
        register: STROKE.into(),
        limit: 1,
        ..Filter::default()
    };
    platform.list(&Scope::AllHospitals, &filter).await.expect("list").1
}

/// Returns the national id used, so a backend test can look for it in its files.
async fn app_flow(platform: &Platform) -> String {
    let all = Scope::AllHospitals;
    let complete = common::plain_complete();
    let national_id = complete["national_id"].as_str().expect("id").to_string();
    let draft = without(
        &complete,
        &["discharge_date", "discharge_destination", "death_date", "mrs_discharge"],
    );

    // A draft may lack what completion needs.
    let saved = platform
        .create(
            &kvalreg_store::Scope::AllHospitals,
            STROKE,
            draft.clone(),
            Status::Draft,
            "registrar-a",
        )
        .await
        .expect("create draft");
    let id = saved.registration.id;
    assert_eq!(saved.registration.version, 1);
    assert_eq!(saved.registration.status, Status::Draft);
    assert_eq!(saved.registration.values["national_id"], json!(national_id));
    assert_eq!(saved.registration.values["hospital"], complete["hospital"]);
    assert_eq!(
        saved.registration.hospital,
        complete["hospital"].as_str().expect("hospital")
    );
    assert!(saved.registration.derived.contains_key("age"));
    let order: Vec<&str> = saved.registration.values.keys().map(String::as_str).collect();
    let register = common::stroke();
    let definition: Vec<&str> = register
        .variables()
        .map(|v| v.name.as_str())
        .filter(|n| order.contains(n))
        .collect();
    assert_eq!(order, definition, "values come in the definition's order");
    let read = platform.get(&all, STROKE, id).await.expect("get");
    assert_eq!(read, saved.registration);

    // Completing the draft is refused while discharge is missing, and changes nothing.
    match platform.complete(&all, STROKE, id, 1, "lead").await {
        Err(AppError::Invalid(findings)) => {
            assert!(
                findings
                    .iter()
                    .any(|f| f.field == "discharge_date" && f.rule == "required"),
                "{findings:?}"
            );
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert_eq!(platform.get(&all, STROKE, id).await.expect("get").version, 1);

    // Update the whole document, then a stale version is refused.
    let updated = platform
        .update(&all, STROKE, id, 1, complete.clone(), "registrar-a")
        .await
        .expect("update");
    assert_eq!(
        (updated.registration.version, updated.registration.status),
        (2, Status::Draft)
    );
    assert_eq!(
        updated.registration.values["discharge_date"],
        complete["discharge_date"]
    );
    match platform.update(&all, STROKE, id, 1, draft.clone(), "registrar-b").await {
        Err(AppError::Conflict {
            expected: 1,
            current: 2,
        }) => {}
        other => panic!("expected Conflict, got {other:?}"),
    }
    assert_eq!(
        platform.get(&all, STROKE, id).await.expect("get").values,
        updated.registration.values
    );

    // Complete; a complete registration must stay complete.
    let completed = platform.complete(&all, STROKE, id, 2, "lead").await.expect("complete");
    assert_eq!(
        (completed.registration.version, completed.registration.status),
        (3, Status::Complete)
    );
    match platform.update(&all, STROKE, id, 3, draft.clone(), "registrar-a").await {
        Err(AppError::Invalid(findings)) => {
            assert!(
                findings
                    .iter()
                    .any(|f| f.field == "discharge_date" && f.rule == "required"),
                "{findings:?}"
            );
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    match platform.complete(&all, STROKE, id, 3, "lead").await {
        Err(AppError::BadTransition {
            from: Status::Complete,
            action: "complete",
        }) => {}
        other => panic!("expected BadTransition, got {other:?}"),
    }
    let current = platform.get(&all, STROKE, id).await.expect("get");
    assert_eq!((current.version, current.status), (3, Status::Complete));

    // Reopen needs a reason, which is kept on the version.
    assert!(matches!(
        platform.reopen(&all, STROKE, id, 3, "  ", "lead").await,
        Err(AppError::ReasonRequired)
    ));
    let reopened = platform
        .reopen(&all, STROKE, id, 3, "wrong discharge date", "lead")
        .await
        .expect("reopen");
    assert_eq!(
        (reopened.registration.version, reopened.registration.status),
        (4, Status::Draft)
    );
    assert!(matches!(
        platform.reopen(&all, STROKE, id, 4, "again", "lead").await,
        Err(AppError::BadTransition {
            from: Status::Draft,
            ..
        })
    ));
    let history = platform.history(&all, STROKE, id).await.expect("history");
    assert_eq!(history.iter().map(|v| v.version).collect::<Vec<_>>(), vec![1, 2, 3, 4]);
    assert_eq!(history[3].reason.as_deref(), Some("wrong discharge date"));
    assert_eq!(history[0].changed_by, "registrar-a");
    assert!(history.iter().all(|v| !v.data.contains_key("national_id")));

    // Hard errors refuse and write nothing; unknown fields are refused, never dropped.
    let before = total(platform).await;
    match platform
        .create(
            &kvalreg_store::Scope::AllHospitals,
            STROKE,
            with(&complete, "nihss_admission", json!(50)),
            Status::Complete,
            "x",
        )
        .await
    {
        Err(AppError::Invalid(findings)) => {
            assert!(
                findings
                    .iter()
                    .any(|f| f.field == "nihss_admission" && f.rule == "hard_range"),
                "{findings:?}"
            );
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    match platform
        .create(
            &kvalreg_store::Scope::AllHospitals,
            STROKE,
            with(&complete, "shoe_size", json!(44)),
            Status::Draft,
            "x",
        )
        .await
    {
        Err(AppError::Invalid(findings)) => assert_eq!(
            (findings[0].field.as_str(), findings[0].rule.as_str()),
            ("shoe_size", "unknown_field")
        ),
        other => panic!("expected Invalid, got {other:?}"),
    }
    match platform
        .create(
            &kvalreg_store::Scope::AllHospitals,
            STROKE,
            without(&complete, &["hospital"]),
            Status::Draft,
            "x",
        )
        .await
    {
        Err(AppError::Invalid(findings)) => assert_eq!(
            (findings[0].field.as_str(), findings[0].rule.as_str()),
            ("hospital", "required")
        ),
        other => panic!("expected Invalid, got {other:?}"),
    }
    match platform
        .update(&all, STROKE, id, 4, with(&complete, "sex", json!("unknown-sex")), "x")
        .await
    {
        Err(AppError::Invalid(findings)) => assert_eq!(findings[0].field, "sex"),
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert_eq!(total(platform).await, before);
    assert_eq!(platform.get(&all, STROKE, id).await.expect("get").version, 4);

    // Soft warnings are accepted and stored with the version.
    let mut late = common::synthetic_set(2, 5)
        .into_iter()
        .find(|(doc, status)| {
            *status == Status::Complete && doc["ivt"] == json!(true) && doc["discharge_destination"] != json!("died")
        })
        .map(|(doc, _)| doc)
        .expect("a thrombolysis registration");
    late.insert("onset_time".into(), json!("2024-03-31T01:00+01:00"));
    late.insert("arrival_time".into(), json!("2024-03-31T09:00+02:00"));
    late.insert("imaging_time".into(), json!("2024-03-31T09:10+02:00"));
    late.insert("ivt_time".into(), json!("2024-03-31T09:30+02:00"));
    late.insert("discharge_date".into(), json!("2024-04-05"));
    late.remove("fu_date");
    late.remove("death_date");
    late.retain(|k, _| !k.starts_with("fu_") && !k.starts_with("prom_") && !k.starts_with("prem_") && k != "mrs_3m");
    if late.get("evt") == Some(&json!(true)) {
        late.insert("evt".into(), json!(false));
        late.retain(|k, _| {
            common::stroke()
                .section("acute", "evt_module")
                .is_none_or(|s| !s.variables.contains(k))
        });
    }
    let saved = platform
        .create(
            &kvalreg_store::Scope::AllHospitals,
            STROKE,
            late,
            Status::Locked,
            "import",
        )
        .await
        .expect("late lysis is only a warning");
    assert!(
        saved.warnings.iter().any(|w| w.rule == "late_lysis"),
        "{:?}",
        saved.warnings
    );
    let read = platform.get(&all, STROKE, saved.registration.id).await.expect("get");
    assert!(
        read.warnings.iter().any(|w| w["rule"] == "late_lysis"),
        "{:?}",
        read.warnings
    );
    assert_eq!(read.derived["door_to_needle"], json!(30));
    assert_eq!(read.values["arrival_time"], json!("2024-03-31T09:00+02:00"));

    // A locked registration refuses changes until reopened.
    match platform
        .update(&all, STROKE, read.id, 1, read.values.clone(), "x")
        .await
    {
        Err(AppError::Locked(locked)) => assert_eq!(locked, read.id),
        other => panic!("expected Locked, got {other:?}"),
    }

    // Scope and register are enforced: reads, and moving a registration out of the scope.
    let own = Scope::Hospitals([complete["hospital"].as_str().expect("hospital").to_string()].into());
    let other = if complete["hospital"] == json!("OUS-ULL") {
        "HBE-HUS"
    } else {
        "OUS-ULL"
    };
    match platform
        .update(&own, STROKE, id, 4, with(&draft, "hospital", json!(other)), "x")
        .await
    {
        Err(AppError::Invalid(findings)) => assert_eq!(
            (findings[0].field.as_str(), findings[0].rule.as_str()),
            ("hospital", "scope")
        ),
        other => panic!("expected Invalid, got {other:?}"),
    }
    let elsewhere = Scope::Hospitals(["NOWHERE".to_string()].into());
    assert!(matches!(
        platform.get(&elsewhere, STROKE, id).await,
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        platform.get(&all, "rare", id).await,
        Err(AppError::UnknownRegister(_))
    ));
    let filter = Filter {
        register: STROKE.into(),
        status: Some(Status::Draft),
        limit: 10,
        ..Filter::default()
    };
    let (drafts, count) = platform.list(&all, &filter).await.expect("list");
    assert_eq!((drafts.len(), count), (1, 1));
    assert_eq!(drafts[0].id, id);
    national_id
}

#[tokio::test]
async fn app_flow_on_sqlite_keeps_national_ids_out_of_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (platform, data) = common::sqlite_platform(dir.path()).await;
    let national_id = app_flow(&platform).await;
    drop(platform);
    let mut searched = 0;
    for entry in std::fs::read_dir(&data.root).expect("read data dir") {
        let path = entry.expect("entry").path();
        if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("kvalreg.sqlite"))
        {
            let bytes = std::fs::read(&path).expect("read database file");
            searched += bytes.len();
            let found = bytes.windows(national_id.len()).any(|w| w == national_id.as_bytes());
            assert!(!found, "the national id is in clear text in {}", path.display());
        }
    }
    assert!(searched > 10_000, "the database files were read ({searched} bytes)");
}

#[tokio::test]
async fn app_flow_on_postgres() {
    let keys = tempfile::tempdir().expect("temp dir");
    let fresh = common::postgres_platform(keys.path()).await;
    app_flow(&fresh.platform).await;
}
