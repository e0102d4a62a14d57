//! The registration workflow beyond the write path: locking, duplicate detection before a
//! new registration is saved, and the per-hospital worklist, on SQLite and PostgreSQL.

mod common;

use jiff::ToSpan;
use jiff::civil::Date;
use kvalreg_app::{AppError, Platform};
use kvalreg_core::time::{oslo_date, parse_moment};
use kvalreg_store::{Scope, Status};
use serde_json::{Map, Value as Json, json};

const STROKE: &str = "stroke";

fn doc(value: Json) -> Map<String, Json> {
    match value {
        Json::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// A complete registration with the follow-up not yet recorded and the patient alive.
fn complete_without_follow_up() -> Map<String, Json> {
    let register = common::stroke();
    let follow_up = |name: &str| register.variable(name).is_some_and(|v| v.form == "followup");
    common::synthetic_set(2, 11)
        .into_iter()
        .find(|(d, status)| {
            *status == Status::Complete
                && d.get("discharge_destination") != Some(&json!("died"))
                && !d.contains_key("death_date")
        })
        .map(|(d, _)| d.into_iter().filter(|(k, _)| !follow_up(k)).collect())
        .expect("a complete registration of a living patient")
}

fn onset_day(d: &Map<String, Json>) -> Date {
    let text = d["onset_time"].as_str().expect("onset text");
    oslo_date(&parse_moment(text).expect("onset"))
}

async fn lock_flow(platform: &Platform) {
    let all = Scope::AllHospitals;
    let complete = complete_without_follow_up();
    let draft = platform
        .create(
            &kvalreg_store::Scope::AllHospitals,
            STROKE,
            complete.clone(),
            Status::Draft,
            "registrar",
        )
        .await
        .expect("create draft");
    let id = draft.registration.id;
    match platform.lock(&all, STROKE, id, 1, "lead").await {
        Err(AppError::BadTransition {
            from: Status::Draft,
            action: "lock",
        }) => {}
        other => panic!("a draft cannot be locked: {other:?}"),
    }
    platform
        .complete(&all, STROKE, id, 1, "registrar")
        .await
        .expect("complete");
    match platform.lock(&all, STROKE, id, 1, "lead").await {
        Err(AppError::Conflict {
            expected: 1,
            current: 2,
        }) => {}
        other => panic!("stale lock must conflict: {other:?}"),
    }
    let locked = platform.lock(&all, STROKE, id, 2, "lead").await.expect("lock");
    assert_eq!(
        (locked.registration.status, locked.registration.version),
        (Status::Locked, 3)
    );
    assert_eq!(locked.registration.values, draft.registration.values);
    assert!(matches!(
        platform
            .update(&all, STROKE, id, 3, complete.clone(), "registrar")
            .await,
        Err(AppError::Locked(_))
    ));
    assert!(matches!(
        platform.lock(&all, STROKE, id, 3, "lead").await,
        Err(AppError::BadTransition {
            from: Status::Locked,
            ..
        })
    ));
    let reopened = platform
        .reopen(&all, STROKE, id, 3, "Feil sykehus", "lead")
        .await
        .expect("reopen a locked registration");
    assert_eq!(reopened.registration.status, Status::Draft);
    let history = platform.history(&all, STROKE, id).await.expect("history");
    let steps: Vec<(Status, Option<&str>, &str)> = history
        .iter()
        .map(|v| (v.status, v.reason.as_deref(), v.changed_by.as_str()))
        .collect();
    assert_eq!(
        steps,
        vec![
            (Status::Draft, None, "registrar"),
            (Status::Complete, None, "registrar"),
            (Status::Locked, None, "lead"),
            (Status::Draft, Some("Feil sykehus"), "lead"),
        ]
    );
}

async fn duplicate_flow(platform: &Platform) {
    let complete = complete_without_follow_up();
    let person = complete["national_id"].clone();
    let hospital = complete["hospital"].clone();
    let first = doc(json!({"national_id": person, "hospital": hospital, "onset_time": "01.03.2025 10:00"}));
    let saved = platform
        .create_checked(
            &kvalreg_store::Scope::AllHospitals,
            STROKE,
            first.clone(),
            Status::Draft,
            "registrar",
            false,
        )
        .await
        .expect("first registration");

    // Six days later, at another hospital: flagged, naming the existing registration.
    let elsewhere = if hospital == json!("FIN-KIR") {
        "FIN-HAM"
    } else {
        "FIN-KIR"
    };
    let near = doc(json!({"national_id": person, "hospital": elsewhere, "onset_time": "07.03.2025"}));
    match platform
        .create_checked(
            &kvalreg_store::Scope::AllHospitals,
            STROKE,
            near.clone(),
            Status::Draft,
            "registrar",
            false,
        )
        .await
    {
        Err(AppError::Invalid(findings)) => {
            assert_eq!(findings.len(), 1, "{findings:?}");
            assert_eq!(findings[0].field, "national_id");
            assert_eq!(findings[0].rule, "possible_duplicate");
            assert!(findings[0].message_en.contains(&saved.registration.id.to_string()));
            assert!(findings[0].message_nb.contains("01.03.2025"));
        }
        other => panic!("expected a possible duplicate, got {other:?}"),
    }
    let registrations = |p: &Platform| {
        let filter = kvalreg_store::Filter {
            register: STROKE.into(),
            ..Default::default()
        };
        let store = p.store.clone();
        async move { store.count(&Scope::AllHospitals, &filter).await.expect("count") }
    };
    assert_eq!(registrations(platform).await, 1, "a refused duplicate is not stored");

    // The registrar confirms a new event.
    platform
        .create_checked(
            &kvalreg_store::Scope::AllHospitals,
            STROKE,
            near,
            Status::Draft,
            "registrar",
            true,
        )
        .await
        .expect("confirmed new event");
    // Eight days after the latest onset, or another person: not flagged.
    let later = doc(json!({"national_id": person, "hospital": hospital, "onset_time": "15.03.2025 11:00"}));
    assert!(
        platform
            .possible_duplicates(STROKE, &later)
            .await
            .expect("check")
            .is_empty()
    );
    let other_person = common::synthetic_set(2, 12)
        .into_iter()
        .map(|(d, _)| d["national_id"].clone())
        .find(|id| *id != person)
        .expect("another person");
    let other = doc(json!({"national_id": other_person, "hospital": hospital, "onset_time": "01.03.2025"}));
    assert!(
        platform
            .possible_duplicates(STROKE, &other)
            .await
            .expect("check")
            .is_empty()
    );
    assert_eq!(
        platform.possible_duplicates(STROKE, &first).await.expect("check").len(),
        2
    );
}

async fn worklist_flow(platform: &Platform) {
    let all = Scope::AllHospitals;
    let complete = complete_without_follow_up();
    let hospital = complete["hospital"].as_str().expect("hospital").to_owned();
    let onset = onset_day(&complete);
    let done = platform
        .create(
            &kvalreg_store::Scope::AllHospitals,
            STROKE,
            complete.clone(),
            Status::Complete,
            "registrar",
        )
        .await
        .expect("complete registration");
    let mut with_follow_up = complete.clone();
    with_follow_up.insert("fu_done".into(), json!(false));
    with_follow_up.insert("fu_not_done_reason".into(), json!("unreachable"));
    let follow_up_recorded = platform
        .create(
            &kvalreg_store::Scope::AllHospitals,
            STROKE,
            with_follow_up,
            Status::Complete,
            "registrar",
        )
        .await
        .expect("registration with the follow-up recorded");
    let draft_doc = doc(json!({
        "national_id": complete["national_id"], "hospital": hospital, "onset_time": complete["onset_time"]
    }));
    let draft = platform
        .create(
            &kvalreg_store::Scope::AllHospitals,
            STROKE,
            draft_doc,
            Status::Draft,
            "registrar",
        )
        .await
        .expect("draft");

    let list = platform
        .worklist(&all, STROKE, &hospital, onset.checked_add(100.days()).expect("day"))
        .await
        .expect("worklist");
    assert_eq!(
        list.drafts.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![draft.registration.id]
    );
    assert_eq!(list.missing_data.len(), 1);
    assert!(list.missing_data[0].missing.contains(&"discharge_date".to_owned()));
    let due: Vec<_> = list.follow_ups_due.iter().map(|i| i.id).collect();
    assert!(due.contains(&done.registration.id) && due.contains(&draft.registration.id));
    assert!(
        !due.contains(&follow_up_recorded.registration.id),
        "a recorded follow-up is not due"
    );
    assert_eq!(list.follow_ups_due[0].onset, Some(onset));

    for days in [79, 121] {
        let list = platform
            .worklist(&all, STROKE, &hospital, onset.checked_add(days.days()).expect("day"))
            .await
            .expect("worklist");
        assert!(list.follow_ups_due.is_empty(), "{days} days after onset is not due");
    }
    let other = platform
        .worklist(&all, STROKE, "NO-SUCH", onset)
        .await
        .expect("empty worklist");
    assert!(other.drafts.is_empty() && other.follow_ups_due.is_empty());
}

#[tokio::test]
async fn workflow_on_sqlite() {
    for flow in 0..3 {
        let dir = tempfile::tempdir().expect("temp dir");
        let (platform, _data) = common::sqlite_platform(dir.path()).await;
        match flow {
            0 => lock_flow(&platform).await,
            1 => duplicate_flow(&platform).await,
            _ => worklist_flow(&platform).await,
        }
    }
}

#[tokio::test]
async fn workflow_on_postgres() {
    for flow in 0..3 {
        let keys = tempfile::tempdir().expect("temp dir");
        let fresh = common::postgres_platform(keys.path()).await;
        match flow {
            0 => lock_flow(&fresh.platform).await,
            1 => duplicate_flow(&fresh.platform).await,
            _ => worklist_flow(&fresh.platform).await,
        }
    }
}
