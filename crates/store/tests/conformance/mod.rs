//! The behaviour every `Store` backend must show, written once against `&dyn Store`.
//!
//! tests/sqlite.rs and tests/postgres.rs run it through `suite!`.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use jiff::civil::{Date, date};
use kvalreg_store::{
    Change, Filter, Hospital, ProtectedPerson, Registration, Scope, Status, Store, StoreError, Version, Write,
};
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

mod access;
mod audit;
mod group;
mod insight;
mod users;

pub use access::*;
pub use audit::*;
pub use group::*;
pub use insight::*;
pub use users::*;

/// Runs every conformance test against stores made by `$fresh().await`, whose value has
/// `fn store(&self) -> &dyn Store`, implements [`RawDatabase`] and cleans up when dropped.
macro_rules! suite {
    ($fresh:path) => {
        crate::conformance::suite!(@raw $fresh;
            altered_audit_entry_is_named,
            removed_audit_entry_is_named,
            swapped_audit_entries_are_named,
            reservation_deletes_the_person_and_refuses_them_later
        );
        crate::conformance::suite!(@tests $fresh;
            create_get_update_history,
            person_and_event_date_round_trip,
            find_by_person_matches_key_register_and_scope,
            stale_version_is_refused_and_changes_nothing,
            unknown_hospital_is_refused_and_changes_nothing,
            update_checks_register_and_target_hospital,
            create_many_is_all_or_nothing,
            list_filters_order_and_count,
            cursor_pages_through_in_creation_order,
            scope_hides_registrations_everywhere,
            changes_since_orders_and_catches_up,
            hospitals_upsert_and_list,
            concurrent_updates_with_one_version_let_one_win,
            follower_sees_every_change_while_writers_run,
            writes_leave_audit_entries_and_the_chain_verifies,
            refused_writes_leave_no_audit_entry,
            concurrent_writers_form_one_audit_chain,
            no_registration_slips_past_a_concurrent_reservation,
            users_are_stored_with_their_grants_and_audited,
            access_state_is_kept_changed_and_audited,
            insight_codes_are_spent_once_expire_and_block,
            reservations_of_a_person_are_listed_by_register,
            concurrent_writes_are_each_acknowledged_and_kept,
            a_refused_write_in_a_burst_fails_alone
        );
    };
    (@raw $fresh:path; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let db = $fresh().await;
                crate::conformance::$name(db.store(), &db).await;
            }
        )*
    };
    (@tests $fresh:path; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let db = $fresh().await;
                crate::conformance::$name(db.store()).await;
            }
        )*
    };
}
pub(crate) use suite;

pub(crate) const REGISTER: &str = "stroke";

fn hospital(code: &str, name: &str) -> Hospital {
    Hospital {
        code: code.to_owned(),
        name: name.to_owned(),
        health_trust: format!("Trust of {name}"),
        health_region: "Synthetic region".to_owned(),
        evt_centre: false,
        active: true,
    }
}

pub(crate) async fn seed_hospitals(store: &dyn Store) {
    let list = [hospital("H1", "Alpha"), hospital("H2", "Beta"), hospital("H3", "Gamma")];
    store.upsert_hospitals(&list).await.expect("seed hospitals");
}

fn data(value: Json) -> Map<String, Json> {
    match value {
        Json::Object(map) => map,
        other => panic!("test data must be a JSON object, got {other}"),
    }
}

pub(crate) fn write(hospital: &str, fields: Json) -> Write {
    Write {
        register: REGISTER.to_owned(),
        hospital: hospital.to_owned(),
        status: Status::Draft,
        data: data(fields),
        warnings: Vec::new(),
        person: None,
        event_date: None,
        actor: "tester".to_owned(),
        reason: None,
    }
}

fn dated(hospital: &str, status: Status, day: Date, n: i64) -> Write {
    Write {
        status,
        event_date: Some(day),
        ..write(hospital, json!({"n": n}))
    }
}

fn only(codes: &[&str]) -> Scope {
    Scope::Hospitals(codes.iter().map(|c| (*c).to_owned()).collect::<BTreeSet<_>>())
}

pub(crate) fn all_of(register: &str) -> Filter {
    Filter {
        register: register.to_owned(),
        ..Filter::default()
    }
}

/// Everything a reader can see through the trait: current rows, every version, the change
/// sequence and the hospitals.
#[derive(Debug, PartialEq)]
struct Snapshot {
    registrations: Vec<Registration>,
    histories: Vec<Vec<Version>>,
    changes: Vec<Change>,
    hospitals: Vec<Hospital>,
}

async fn snapshot(store: &dyn Store) -> Snapshot {
    let registrations = store.list(&Scope::AllHospitals, &all_of(REGISTER)).await.expect("list");
    let mut histories = Vec::new();
    for r in &registrations {
        histories.push(store.history(&Scope::AllHospitals, r.id).await.expect("history"));
    }
    Snapshot {
        registrations,
        histories,
        changes: store.changes_since(0, 0).await.expect("changes"),
        hospitals: store.hospitals().await.expect("hospitals"),
    }
}

fn field<'a>(version: &'a Version, name: &str) -> Option<&'a kvalreg_store::FieldChange> {
    version.changes.iter().find(|c| c.field == name)
}

pub async fn create_get_update_history(store: &dyn Store) {
    seed_hospitals(store).await;
    let first = write("H1", json!({"age": 71, "sex": "F", "nihss": 4, "note": null}));
    let created = store.create(first.clone()).await.expect("create");
    assert_eq!(created.version, 1);
    assert_eq!(created.status, Status::Draft);
    assert_eq!(created.data, first.data);
    assert_eq!(created.created_at, created.updated_at);
    assert_eq!(created.updated_by, "tester");

    let read = store.get(&Scope::AllHospitals, created.id).await.expect("get");
    assert_eq!(read, created, "get returns what create returned");

    let second = Write {
        status: Status::Complete,
        actor: "other".to_owned(),
        warnings: vec![json!({"rule": "late_arrival"})],
        reason: Some("completed after review".to_owned()),
        ..write("H1", json!({"age": 71, "sex": "M", "weight": 80}))
    };
    let updated = store
        .update(&Scope::AllHospitals, created.id, 1, second.clone())
        .await
        .expect("update");
    assert_eq!(updated.version, 2);
    assert_eq!(updated.status, Status::Complete);
    assert_eq!(updated.created_at, created.created_at);
    assert!(updated.updated_at >= created.updated_at);
    assert_eq!(updated.updated_by, "other");
    assert_eq!(
        store.get(&Scope::AllHospitals, created.id).await.expect("get v2"),
        updated
    );

    let history = store.history(&Scope::AllHospitals, created.id).await.expect("history");
    assert_eq!(history.len(), 2);
    let (v1, v2) = (&history[0], &history[1]);
    assert_eq!((v1.version, v2.version), (1, 2));
    assert_eq!(v1.data, first.data);
    assert_eq!(v1.changed_by, "tester");
    assert_eq!(v1.status, Status::Draft);
    assert_eq!(v1.changed_at, created.created_at);
    assert_eq!(v1.reason, None);
    let v1_fields: BTreeSet<&str> = v1.changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(v1_fields, BTreeSet::from(["status", "hospital", "age", "sex", "nihss"]));

    assert_eq!(v2.data, second.data);
    assert_eq!(v2.warnings, second.warnings);
    assert_eq!(v2.status, Status::Complete);
    assert_eq!(v2.changed_by, "other");
    assert_eq!(v2.changed_at, updated.updated_at);
    assert_eq!(v2.reason.as_deref(), Some("completed after review"));
    let v2_fields: BTreeSet<&str> = v2.changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(v2_fields, BTreeSet::from(["status", "sex", "nihss", "weight"]));
    let sex = field(v2, "sex").expect("sex changed");
    assert_eq!(
        (sex.before.clone(), sex.after.clone()),
        (Some(json!("F")), Some(json!("M")))
    );
    let nihss = field(v2, "nihss").expect("nihss removed");
    assert_eq!((nihss.before.clone(), nihss.after.clone()), (Some(json!(4)), None));
    let status = field(v2, "status").expect("status changed");
    assert_eq!(status.after, Some(json!("complete")));

    let moved = store
        .update(
            &Scope::AllHospitals,
            created.id,
            2,
            Write {
                status: Status::Complete,
                ..write("H2", json!({"age": 71, "sex": "M", "weight": 80}))
            },
        )
        .await
        .expect("move to H2");
    assert_eq!(moved.hospital, "H2");
    let v3 = store
        .history(&Scope::AllHospitals, created.id)
        .await
        .expect("history")
        .remove(2);
    assert_eq!(v3.hospital, "H2");
    assert_eq!(v3.changes.len(), 1, "only the hospital changed: {:?}", v3.changes);
    assert_eq!(v3.changes[0].before, Some(json!("H1")));
}

pub async fn person_and_event_date_round_trip(store: &dyn Store) {
    seed_hospitals(store).await;
    let person = ProtectedPerson {
        lookup_key: "ab".repeat(32),
        ciphertext: vec![0, 1, 2, 254, 255, 7],
    };
    let w = Write {
        person: Some(person.clone()),
        event_date: Some(date(2024, 3, 31)),
        warnings: vec![json!({"rule": "r1", "message": {"nb": "Sjekk", "en": "Check"}})],
        ..write(
            "H1",
            json!({"onset": {"date": "2024-03-31", "time": "02:30"}, "bp": 145.5, "text": "æøå"}),
        )
    };
    let created = store.create(w.clone()).await.expect("create");
    let read = store.get(&Scope::AllHospitals, created.id).await.expect("get");
    assert_eq!(read.person, Some(person));
    assert_eq!(read.event_date, Some(date(2024, 3, 31)));
    assert_eq!(read.data, w.data);
    assert_eq!(read.warnings, w.warnings);

    let cleared = store
        .update(
            &Scope::AllHospitals,
            created.id,
            1,
            Write {
                person: None,
                event_date: None,
                ..w
            },
        )
        .await
        .expect("update");
    let read = store.get(&Scope::AllHospitals, created.id).await.expect("get");
    assert_eq!(read, cleared);
    assert_eq!((read.person, read.event_date), (None, None));
}

pub async fn find_by_person_matches_key_register_and_scope(store: &dyn Store) {
    seed_hospitals(store).await;
    let person = |key: &str| {
        Some(ProtectedPerson {
            lookup_key: key.repeat(32),
            ciphertext: vec![1, 2, 3],
        })
    };
    let first = store
        .create(Write {
            person: person("aa"),
            ..write("H1", json!({"n": 1}))
        })
        .await
        .expect("create first");
    store
        .create(Write {
            person: person("bb"),
            ..write("H1", json!({"n": 2}))
        })
        .await
        .expect("create other person");
    let second = store
        .create(Write {
            person: person("aa"),
            ..write("H2", json!({"n": 3}))
        })
        .await
        .expect("create second");
    store
        .create(Write {
            register: "other".to_owned(),
            person: person("aa"),
            ..write("H1", json!({"n": 4}))
        })
        .await
        .expect("create in another register");
    store
        .create(write("H1", json!({"n": 5})))
        .await
        .expect("create without person");

    let key = "aa".repeat(32);
    let found = store
        .find_by_person(&Scope::AllHospitals, REGISTER, &key)
        .await
        .expect("find");
    let ids: Vec<Uuid> = found.iter().map(|r| r.id).collect();
    assert_eq!(ids, vec![first.id, second.id]);
    assert_eq!(found[0].data, data(json!({"n": 1})));

    let in_h2 = store
        .find_by_person(&only(&["H2"]), REGISTER, &key)
        .await
        .expect("find in scope");
    assert_eq!(in_h2.iter().map(|r| r.id).collect::<Vec<_>>(), vec![second.id]);
    let none = store
        .find_by_person(&Scope::AllHospitals, REGISTER, &"cc".repeat(32))
        .await
        .expect("find unknown");
    assert!(none.is_empty());
}

pub async fn stale_version_is_refused_and_changes_nothing(store: &dyn Store) {
    seed_hospitals(store).await;
    let created = store.create(write("H1", json!({"age": 60}))).await.expect("create");
    store
        .update(&Scope::AllHospitals, created.id, 1, write("H1", json!({"age": 61})))
        .await
        .expect("update");
    let before = snapshot(store).await;

    let stale = store
        .update(&Scope::AllHospitals, created.id, 1, write("H1", json!({"age": 99})))
        .await;
    match stale {
        Err(StoreError::Conflict {
            id,
            expected: 1,
            current: 2,
        }) => assert_eq!(id, created.id),
        other => panic!("expected a conflict at version 2, got {other:?}"),
    }
    let ahead = store
        .update(&Scope::AllHospitals, created.id, 5, write("H1", json!({"age": 99})))
        .await;
    assert!(
        matches!(
            ahead,
            Err(StoreError::Conflict {
                expected: 5,
                current: 2,
                ..
            })
        ),
        "{ahead:?}"
    );
    assert_eq!(snapshot(store).await, before);
}

pub async fn unknown_hospital_is_refused_and_changes_nothing(store: &dyn Store) {
    seed_hospitals(store).await;
    let created = store.create(write("H1", json!({"age": 60}))).await.expect("create");
    let before = snapshot(store).await;

    let refused = store.create(write("NOPE", json!({"age": 1}))).await;
    assert!(
        matches!(&refused, Err(StoreError::UnknownHospital(code)) if code == "NOPE"),
        "{refused:?}"
    );
    let refused = store
        .update(&Scope::AllHospitals, created.id, 1, write("NOPE", json!({"age": 1})))
        .await;
    assert!(
        matches!(&refused, Err(StoreError::UnknownHospital(code)) if code == "NOPE"),
        "{refused:?}"
    );
    assert_eq!(snapshot(store).await, before);
}

pub async fn update_checks_register_and_target_hospital(store: &dyn Store) {
    seed_hospitals(store).await;
    let created = store.create(write("H1", json!({"age": 60}))).await.expect("create");
    let before = snapshot(store).await;

    let other_register = Write {
        register: "rare".to_owned(),
        ..write("H1", json!({"age": 61}))
    };
    let refused = store.update(&Scope::AllHospitals, created.id, 1, other_register).await;
    assert!(
        matches!(refused, Err(StoreError::NotFound(id)) if id == created.id),
        "{refused:?}"
    );

    let refused = store
        .update(&only(&["H1"]), created.id, 1, write("H2", json!({"age": 61})))
        .await;
    assert!(
        matches!(&refused, Err(StoreError::OutOfScope(code)) if code == "H2"),
        "{refused:?}"
    );

    let missing = Uuid::new_v4();
    let refused = store
        .update(&Scope::AllHospitals, missing, 1, write("H1", json!({})))
        .await;
    assert!(
        matches!(refused, Err(StoreError::NotFound(id)) if id == missing),
        "{refused:?}"
    );
    assert_eq!(snapshot(store).await, before);
}

pub async fn create_many_is_all_or_nothing(store: &dyn Store) {
    seed_hospitals(store).await;
    let good = |i: i64| {
        dated(
            ["H1", "H2", "H3"][(i % 3) as usize],
            Status::Complete,
            date(2023, 1, 1),
            i,
        )
    };
    let mut writes: Vec<Write> = (0..2500).map(good).collect();
    writes[1777].hospital = "XX".to_owned();
    let refused = store.create_many(writes.clone()).await;
    assert!(
        matches!(&refused, Err(StoreError::UnknownHospital(code)) if code == "XX"),
        "{refused:?}"
    );
    assert_eq!(
        store
            .count(&Scope::AllHospitals, &all_of(REGISTER))
            .await
            .expect("count"),
        0
    );
    assert!(store.changes_since(0, 0).await.expect("changes").is_empty());

    writes[1777].hospital = "H1".to_owned();
    assert_eq!(store.create_many(writes.clone()).await.expect("create_many"), 2500);
    let listed = store.list(&Scope::AllHospitals, &all_of(REGISTER)).await.expect("list");
    assert_eq!(listed.len(), 2500);
    let order: Vec<&Json> = listed.iter().map(|r| &r.data["n"]).collect();
    let expected: Vec<Json> = (0..2500).map(|i| json!(i)).collect();
    assert_eq!(
        order,
        expected.iter().collect::<Vec<_>>(),
        "listing keeps the order of the import"
    );
    assert!(listed.iter().all(|r| r.version == 1 && r.status == Status::Complete));
    let changes = store.changes_since(0, 0).await.expect("changes");
    assert_eq!(changes.len(), 2500);
    let history = store
        .history(&Scope::AllHospitals, listed[2499].id)
        .await
        .expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(store.create_many(Vec::new()).await.expect("empty import"), 0);
}

pub async fn list_filters_order_and_count(store: &dyn Store) {
    seed_hospitals(store).await;
    let rows = [
        ("H1", Status::Draft, date(2023, 12, 31)),
        ("H1", Status::Complete, date(2024, 1, 1)),
        ("H2", Status::Complete, date(2024, 6, 15)),
        ("H2", Status::Locked, date(2024, 12, 31)),
        ("H3", Status::Draft, date(2025, 1, 1)),
        ("H1", Status::Complete, date(2024, 2, 29)),
    ];
    let mut ids = Vec::new();
    for (n, (h, status, day)) in rows.iter().enumerate() {
        ids.push(
            store
                .create(dated(h, *status, *day, n as i64))
                .await
                .expect("create")
                .id,
        );
    }
    let undated = store
        .create(write("H1", json!({"n": 6})))
        .await
        .expect("create undated");
    ids.push(undated.id);
    store
        .create(Write {
            register: "rare".to_owned(),
            ..write("H1", json!({}))
        })
        .await
        .expect("other register");

    let ids_of = |list: Vec<Registration>| list.into_iter().map(|r| r.id).collect::<Vec<_>>();
    let all = Scope::AllHospitals;
    let check = |filter: Filter, want: Vec<Uuid>| async move {
        let got = ids_of(store.list(&Scope::AllHospitals, &filter).await.expect("list"));
        assert_eq!(got, want, "list {filter:?}");
        let n = store.count(&Scope::AllHospitals, &filter).await.expect("count");
        assert_eq!(n, want.len() as u64, "count {filter:?}");
    };
    check(all_of(REGISTER), ids.clone()).await;
    check(all_of("none"), vec![]).await;
    check(
        Filter {
            hospital: Some("H1".into()),
            ..all_of(REGISTER)
        },
        vec![ids[0], ids[1], ids[5], ids[6]],
    )
    .await;
    check(
        Filter {
            status: Some(Status::Complete),
            ..all_of(REGISTER)
        },
        vec![ids[1], ids[2], ids[5]],
    )
    .await;
    check(
        Filter {
            hospital: Some("H1".into()),
            status: Some(Status::Complete),
            ..all_of(REGISTER)
        },
        vec![ids[1], ids[5]],
    )
    .await;
    let year_2024 = Filter {
        event_from: Some(date(2024, 1, 1)),
        event_to: Some(date(2024, 12, 31)),
        ..all_of(REGISTER)
    };
    check(year_2024.clone(), vec![ids[1], ids[2], ids[3], ids[5]]).await;
    check(
        Filter {
            event_from: Some(date(2024, 12, 31)),
            ..all_of(REGISTER)
        },
        vec![ids[3], ids[4]],
    )
    .await;
    check(
        Filter {
            event_to: Some(date(2023, 12, 31)),
            ..all_of(REGISTER)
        },
        vec![ids[0]],
    )
    .await;
    check(
        Filter {
            status: Some(Status::Locked),
            ..year_2024.clone()
        },
        vec![ids[3]],
    )
    .await;

    let counted = store
        .count(
            &all,
            &Filter {
                limit: 1,
                after: Some(ids[0]),
                ..year_2024.clone()
            },
        )
        .await
        .expect("count ignores cursor and limit");
    assert_eq!(counted, 4);

    store
        .update(&all, ids[0], 1, dated("H1", Status::Complete, date(2023, 12, 31), 0))
        .await
        .expect("update keeps creation order");
    check(
        Filter {
            status: Some(Status::Complete),
            ..all_of(REGISTER)
        },
        vec![ids[0], ids[1], ids[2], ids[5]],
    )
    .await;
}

pub async fn cursor_pages_through_in_creation_order(store: &dyn Store) {
    seed_hospitals(store).await;
    let mut ids = Vec::new();
    for n in 0..23 {
        let h = if n % 4 == 0 { "H2" } else { "H1" };
        ids.push(store.create(write(h, json!({"n": n}))).await.expect("create").id);
    }
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .list(
                &Scope::AllHospitals,
                &Filter {
                    after,
                    limit: 5,
                    ..all_of(REGISTER)
                },
            )
            .await
            .expect("page");
        assert!(page.len() <= 5);
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        seen.extend(page.iter().map(|r| r.id));
    }
    assert_eq!(seen, ids);

    let h1: Vec<Uuid> = ids
        .iter()
        .enumerate()
        .filter(|(n, _)| n % 4 != 0)
        .map(|(_, id)| *id)
        .collect();
    let page = store
        .list(
            &Scope::AllHospitals,
            &Filter {
                hospital: Some("H1".into()),
                after: Some(h1[2]),
                limit: 3,
                ..all_of(REGISTER)
            },
        )
        .await
        .expect("filtered page");
    assert_eq!(page.iter().map(|r| r.id).collect::<Vec<_>>(), h1[3..6].to_vec());

    let unknown = store
        .list(
            &Scope::AllHospitals,
            &Filter {
                after: Some(Uuid::new_v4()),
                ..all_of(REGISTER)
            },
        )
        .await;
    assert!(unknown.expect("unknown cursor").is_empty());
}

pub async fn scope_hides_registrations_everywhere(store: &dyn Store) {
    seed_hospitals(store).await;
    let at_h1 = store.create(write("H1", json!({"n": 1}))).await.expect("create h1");
    let at_h2 = store.create(write("H2", json!({"n": 2}))).await.expect("create h2");
    let at_h3 = store.create(write("H3", json!({"n": 3}))).await.expect("create h3");
    let h1 = only(&["H1"]);
    let h1_h3 = only(&["H1", "H3"]);
    let nothing = only(&[]);

    assert_eq!(store.get(&h1, at_h1.id).await.expect("own"), at_h1);
    assert!(matches!(store.get(&h1, at_h2.id).await, Err(StoreError::NotFound(id)) if id == at_h2.id));
    assert!(matches!(
        store.get(&nothing, at_h1.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(store.history(&h1, at_h2.id).await, Err(StoreError::NotFound(id)) if id == at_h2.id));
    assert_eq!(store.history(&h1, at_h1.id).await.expect("own history").len(), 1);

    let listed: Vec<Uuid> = store
        .list(&h1_h3, &all_of(REGISTER))
        .await
        .expect("list")
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(listed, vec![at_h1.id, at_h3.id]);
    assert_eq!(store.count(&h1_h3, &all_of(REGISTER)).await.expect("count"), 2);
    assert_eq!(store.count(&nothing, &all_of(REGISTER)).await.expect("count"), 0);
    assert!(store.list(&nothing, &all_of(REGISTER)).await.expect("list").is_empty());
    let asked_for_h2 = Filter {
        hospital: Some("H2".into()),
        ..all_of(REGISTER)
    };
    assert!(store.list(&h1, &asked_for_h2).await.expect("list").is_empty());
    assert_eq!(store.count(&h1, &asked_for_h2).await.expect("count"), 0);
    let cursor_elsewhere = Filter {
        after: Some(at_h2.id),
        ..all_of(REGISTER)
    };
    assert!(
        store.list(&h1_h3, &cursor_elsewhere).await.expect("list").is_empty(),
        "a hidden cursor gives nothing"
    );

    let before = snapshot(store).await;
    let refused = store.update(&h1, at_h2.id, 1, write("H2", json!({"n": 20}))).await;
    assert!(
        matches!(refused, Err(StoreError::NotFound(id)) if id == at_h2.id),
        "{refused:?}"
    );
    let refused = store.update(&h1, at_h2.id, 7, write("H2", json!({"n": 20}))).await;
    assert!(
        matches!(refused, Err(StoreError::NotFound(_))),
        "a hidden registration never reports its version: {refused:?}"
    );
    assert_eq!(snapshot(store).await, before);

    let moved = store
        .update(&h1_h3, at_h1.id, 1, write("H3", json!({"n": 1})))
        .await
        .expect("move within scope");
    assert_eq!(moved.hospital, "H3");
    assert!(
        matches!(store.get(&h1, at_h1.id).await, Err(StoreError::NotFound(_))),
        "moved out of H1's sight"
    );
}

pub async fn changes_since_orders_and_catches_up(store: &dyn Store) {
    seed_hospitals(store).await;
    assert!(store.changes_since(0, 10).await.expect("empty").is_empty());
    let a = store.create(write("H1", json!({"n": 1}))).await.expect("a");
    let b = store.create(write("H2", json!({"n": 2}))).await.expect("b");
    store
        .update(&Scope::AllHospitals, a.id, 1, write("H1", json!({"n": 11})))
        .await
        .expect("a2");
    let c = store
        .create(Write {
            register: "rare".into(),
            ..write("H3", json!({}))
        })
        .await
        .expect("c");
    store
        .update(&Scope::AllHospitals, b.id, 1, write("H2", json!({"n": 22})))
        .await
        .expect("b2");

    let all = store.changes_since(0, 0).await.expect("all");
    let got: Vec<(Uuid, i64, &str)> = all
        .iter()
        .map(|c| (c.registration_id, c.version, c.register.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (a.id, 1, "stroke"),
            (b.id, 1, "stroke"),
            (a.id, 2, "stroke"),
            (c.id, 1, "rare"),
            (b.id, 2, "stroke")
        ]
    );
    assert!(
        all.windows(2).all(|w| w[0].seq < w[1].seq),
        "sequence numbers increase: {all:?}"
    );

    let mut caught_up = Vec::new();
    let mut last = 0;
    loop {
        let batch = store.changes_since(last, 2).await.expect("batch");
        assert!(batch.len() <= 2);
        let Some(end) = batch.last() else { break };
        last = end.seq;
        caught_up.extend(batch);
    }
    assert_eq!(caught_up, all);
    assert!(store.changes_since(last, 10).await.expect("nothing new").is_empty());

    let d = store.create(write("H1", json!({"n": 4}))).await.expect("d");
    let fresh = store.changes_since(last, 10).await.expect("new change");
    assert_eq!(fresh.len(), 1);
    assert_eq!((fresh[0].registration_id, fresh[0].version), (d.id, 1));
    assert_eq!(
        store.changes_since(all[2].seq, 0).await.expect("from the middle"),
        [&all[3..], &fresh[..]].concat()
    );
}

pub async fn hospitals_upsert_and_list(store: &dyn Store) {
    assert!(store.hospitals().await.expect("empty").is_empty());
    let mut b = hospital("B2", "Bravo");
    b.evt_centre = true;
    let list = [hospital("C3", "Charlie"), b.clone(), hospital("A1", "Alfa")];
    store.upsert_hospitals(&list).await.expect("insert");
    let read = store.hospitals().await.expect("list");
    assert_eq!(
        read.iter().map(|h| h.code.as_str()).collect::<Vec<_>>(),
        ["A1", "B2", "C3"]
    );
    assert_eq!(read[1], b);

    let renamed = Hospital {
        name: "Bravo sykehus".into(),
        active: false,
        evt_centre: false,
        ..b
    };
    store
        .upsert_hospitals(&[renamed.clone(), hospital("D4", "Delta")])
        .await
        .expect("upsert");
    let read = store.hospitals().await.expect("list");
    assert_eq!(read.len(), 4);
    assert_eq!(read[1], renamed);
    assert_eq!(read[0], hospital("A1", "Alfa"));
    store.upsert_hospitals(&[]).await.expect("nothing to upsert");
}

pub async fn concurrent_updates_with_one_version_let_one_win(store: &dyn Store) {
    seed_hospitals(store).await;
    for round in 0..5 {
        let created = store
            .create(write("H1", json!({"round": round})))
            .await
            .expect("create");
        let all = Scope::AllHospitals;
        let (left, right) = tokio::join!(
            store.update(&all, created.id, 1, write("H1", json!({"round": round, "by": "left"}))),
            store.update(&all, created.id, 1, write("H1", json!({"round": round, "by": "right"}))),
        );
        let (winner, loser) = match (left, right) {
            (Ok(w), Err(e)) | (Err(e), Ok(w)) => (w, e),
            (l, r) => panic!("exactly one update must win, got {l:?} and {r:?}"),
        };
        assert!(
            matches!(
                loser,
                StoreError::Conflict {
                    expected: 1,
                    current: 2,
                    ..
                }
            ),
            "{loser:?}"
        );
        let current = store.get(&all, created.id).await.expect("get");
        assert_eq!(current, winner, "the store holds the winner's write");
        let history = store.history(&all, created.id).await.expect("history");
        assert_eq!(history.len(), 2, "the loser wrote no version");
        assert_eq!(history[1].data, winner.data);
        let changes = store.changes_since(0, 0).await.expect("changes");
        assert_eq!(changes.iter().filter(|c| c.registration_id == created.id).count(), 2);
    }
}

/// Writers commit concurrently while a follower polls with small pages; the follower must
/// see every change exactly once and in increasing order, never skipping one that commits
/// late.
pub async fn follower_sees_every_change_while_writers_run(store: &dyn Store) {
    seed_hospitals(store).await;
    const WRITERS: usize = 4;
    const EACH: usize = 15;
    let finished = AtomicUsize::new(0);
    let writer = |w: usize| {
        let finished = &finished;
        async move {
            for n in 0..EACH {
                let created = store
                    .create(write("H1", json!({"w": w, "n": n})))
                    .await
                    .expect("create");
                store
                    .update(&Scope::AllHospitals, created.id, 1, write("H2", json!({"w": w})))
                    .await
                    .expect("update");
            }
            finished.fetch_add(1, Ordering::SeqCst);
        }
    };
    let follower = async {
        let mut seen: Vec<Change> = Vec::new();
        let mut last = 0;
        loop {
            let writers_done = finished.load(Ordering::SeqCst) == WRITERS;
            let batch = store.changes_since(last, 3).await.expect("poll");
            if batch.is_empty() && writers_done {
                break seen;
            }
            for change in batch {
                assert!(change.seq > last, "out of order: {} after {last}", change.seq);
                last = change.seq;
                seen.push(change);
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    };
    let ((), (), (), (), seen) = tokio::join!(writer(0), writer(1), writer(2), writer(3), follower);
    let all = store.changes_since(0, 0).await.expect("all changes");
    assert_eq!(all.len(), WRITERS * EACH * 2);
    assert_eq!(
        seen.len(),
        all.len(),
        "the follower skipped changes that committed after it moved on"
    );
    assert_eq!(seen, all);
}
