//! The audit chain and reservations, on every backend: writes leave entries, tampering by
//! SQL is named, concurrent writers form one chain, a reservation leaves no trace of the
//! person outside the reservation list.

use kvalreg_store::{AuditEntry, AuditFilter, AuditProblem, ProtectedPerson, Scope, Store, StoreError, Write};
use serde_json::json;

use super::{REGISTER, seed_hospitals, write};

/// What a test may do to the database behind the trait: run SQL as an intruder would, and
/// read every table as text (binary columns as hex).
#[async_trait::async_trait]
pub trait RawDatabase: Sync {
    async fn execute(&self, sql: &str);
    /// Every row of every table, one line per row, prefixed with the table name.
    async fn dump(&self) -> Vec<(String, String)>;
}

fn person(key: &str, ciphertext: &[u8]) -> ProtectedPerson {
    ProtectedPerson {
        lookup_key: key.to_owned(),
        ciphertext: ciphertext.to_vec(),
    }
}

fn with_person(hospital: &str, n: i64, who: &ProtectedPerson) -> Write {
    Write {
        person: Some(who.clone()),
        ..write(hospital, json!({"n": n}))
    }
}

pub async fn writes_leave_audit_entries_and_the_chain_verifies(store: &dyn Store) {
    seed_hospitals(store).await;
    let created = store.create(write("H1", json!({"n": 1}))).await.expect("create");
    store
        .update(&Scope::AllHospitals, created.id, 1, write("H2", json!({"n": 2})))
        .await
        .expect("update");
    store
        .create_many(vec![write("H1", json!({"n": 3})), write("H3", json!({"n": 4}))])
        .await
        .expect("import");
    let mut read = AuditEntry::new("auditor", "registration.read");
    read.register = Some(REGISTER.into());
    read.registration_id = Some(created.id);
    read.hospital = Some("H2".into());
    read.detail.insert("why".into(), json!("quality control"));
    let seq = store.audit(read).await.expect("audit a read");
    assert_eq!(seq, 5);

    let all = store.audit_entries(&AuditFilter::default()).await.expect("entries");
    let actions: Vec<&str> = all.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "registration.create",
            "registration.update",
            "registration.import",
            "registration.import",
            "registration.read"
        ]
    );
    assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
    assert_eq!(all[1].hospital.as_deref(), Some("H2"));
    assert_eq!(all[1].detail, r#"{"status":"draft","version":2}"#);
    assert_eq!(all[0].actor, "tester");
    assert_eq!(all[4].detail, r#"{"why":"quality control"}"#);
    assert_eq!(all[1].prev_hash, all[0].hash);

    let of_one = store
        .audit_entries(&AuditFilter {
            registration_id: Some(created.id),
            ..AuditFilter::default()
        })
        .await
        .expect("entries of one registration");
    assert_eq!(of_one.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 5]);
    let page = store
        .audit_entries(&AuditFilter {
            action: Some("registration.import".into()),
            after_seq: Some(3),
            limit: 5,
            ..AuditFilter::default()
        })
        .await
        .expect("filtered page");
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), [4]);

    let report = store.verify_audit().await.expect("verify");
    assert_eq!(report.first_bad, None);
    assert_eq!(report.entries, 5);
    assert_eq!(report.head, all[4].hash);
}

pub async fn refused_writes_leave_no_audit_entry(store: &dyn Store) {
    seed_hospitals(store).await;
    let refused = store.create(write("NOPE", json!({}))).await;
    assert!(matches!(refused, Err(StoreError::UnknownHospital(_))), "{refused:?}");
    let refused = store
        .create_many(vec![write("H1", json!({})), write("NOPE", json!({}))])
        .await;
    assert!(refused.is_err());
    let entries = store.audit_entries(&AuditFilter::default()).await.expect("entries");
    assert!(entries.is_empty(), "{entries:?}");
    assert_eq!(store.verify_audit().await.expect("verify").head, kvalreg_store::GENESIS);
}

async fn four_entries(store: &dyn Store) {
    for n in 1..=4 {
        let mut entry = AuditEntry::new("tester", "export");
        entry.detail.insert("n".into(), json!(n));
        store.audit(entry).await.expect("audit");
    }
    assert_eq!(store.verify_audit().await.expect("verify").first_bad, None);
}

pub async fn altered_audit_entry_is_named(store: &dyn Store, raw: &dyn RawDatabase) {
    four_entries(store).await;
    raw.execute(r#"UPDATE audit SET detail = '{"n":20}' WHERE seq = 2"#)
        .await;
    let report = store.verify_audit().await.expect("verify");
    assert_eq!(report.first_bad, Some((2, AuditProblem::Altered)));
    assert_eq!(report.entries, 4);
}

pub async fn removed_audit_entry_is_named(store: &dyn Store, raw: &dyn RawDatabase) {
    four_entries(store).await;
    raw.execute("DELETE FROM audit WHERE seq = 3").await;
    let report = store.verify_audit().await.expect("verify");
    assert_eq!(report.first_bad, Some((3, AuditProblem::Missing)));
}

pub async fn swapped_audit_entries_are_named(store: &dyn Store, raw: &dyn RawDatabase) {
    four_entries(store).await;
    raw.execute("UPDATE audit SET seq = -seq WHERE seq IN (2, 3)").await;
    raw.execute("UPDATE audit SET seq = 5 + seq WHERE seq < 0").await;
    let report = store.verify_audit().await.expect("verify");
    assert_eq!(report.first_bad, Some((2, AuditProblem::BrokenLink)));
}

pub async fn concurrent_writers_form_one_audit_chain(store: &dyn Store) {
    seed_hospitals(store).await;
    let writer = |w: i64| async move {
        for n in 0..10 {
            store
                .create(write("H1", json!({"w": w, "n": n})))
                .await
                .expect("create");
            let mut entry = AuditEntry::new("tester", "registration.read");
            entry.detail.insert("w".into(), json!(w));
            store.audit(entry).await.expect("audit");
        }
    };
    tokio::join!(writer(0), writer(1), writer(2), writer(3));
    let report = store.verify_audit().await.expect("verify");
    assert_eq!(report.first_bad, None);
    assert_eq!(report.entries, 80);
}

pub async fn reservation_deletes_the_person_and_refuses_them_later(store: &dyn Store, raw: &dyn RawDatabase) {
    seed_hospitals(store).await;
    let key = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
    let ciphertext = b"\x01\x02synthetic-ciphertext\xfe\xff";
    let reserved = person(key, ciphertext);
    let other = person("ffee", b"other person");
    let first = store.create(with_person("H1", 1, &reserved)).await.expect("create");
    store
        .update(&Scope::AllHospitals, first.id, 1, with_person("H2", 2, &reserved))
        .await
        .expect("update");
    store
        .create_many(vec![with_person("H3", 3, &reserved), with_person("H1", 4, &other)])
        .await
        .expect("import");
    let elsewhere = store
        .create(Write {
            register: "other-register".into(),
            ..with_person("H1", 5, &reserved)
        })
        .await
        .expect("create in another register");

    let deleted = store.reserve(REGISTER, key, "admin").await.expect("reserve");
    assert_eq!(deleted, 2);
    assert!(matches!(
        store.get(&Scope::AllHospitals, first.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.history(&Scope::AllHospitals, first.id).await,
        Err(StoreError::NotFound(_))
    ));
    let left = store
        .list(&Scope::AllHospitals, &super::all_of(REGISTER))
        .await
        .expect("list");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].person.as_ref(), Some(&other));
    assert!(
        store.get(&Scope::AllHospitals, elsewhere.id).await.is_ok(),
        "other registers keep theirs"
    );
    let markers: Vec<_> = store
        .changes_since(0, 0)
        .await
        .expect("changes")
        .into_iter()
        .filter(|c| c.version == 0)
        .collect();
    assert_eq!(markers.len(), 2, "{markers:?}");
    assert_eq!(markers[0].registration_id, first.id);

    // Nothing outside the reservation list holds the key or the ciphertext. The other
    // register's registration of the same person is expected to keep both.
    let hex_ciphertext: String = ciphertext.iter().map(|b| format!("{b:02x}")).collect();
    for (table, row) in raw.dump().await {
        let row = row.to_lowercase();
        if table == "reservations" || row.contains(&elsewhere.id.to_string()) {
            continue;
        }
        assert!(!row.contains(key), "{table} holds the look-up key: {row}");
        assert!(!row.contains(&hex_ciphertext), "{table} holds the ciphertext: {row}");
    }
    let reservations: Vec<_> = raw
        .dump()
        .await
        .into_iter()
        .filter(|(t, _)| t == "reservations")
        .collect();
    assert_eq!(reservations.len(), 1);
    assert!(reservations[0].1.contains(key));

    let audit = store
        .audit_entries(&AuditFilter {
            action: Some("reservation.add".into()),
            ..AuditFilter::default()
        })
        .await
        .expect("audit");
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].actor, "admin");
    assert_eq!(audit[0].register.as_deref(), Some(REGISTER));
    assert_eq!(audit[0].detail, r#"{"deleted_registrations":2}"#);

    let again = store.create(with_person("H1", 6, &reserved)).await;
    assert!(
        matches!(&again, Err(StoreError::Reserved { register, index: 0 }) if register == REGISTER),
        "{again:?}"
    );
    let batch = store
        .create_many(vec![with_person("H1", 7, &other), with_person("H1", 8, &reserved)])
        .await;
    assert!(matches!(batch, Err(StoreError::Reserved { index: 1, .. })), "{batch:?}");
    let unreserved = &left[0];
    let update = store
        .update(&Scope::AllHospitals, unreserved.id, 1, with_person("H1", 9, &reserved))
        .await;
    assert!(matches!(update, Err(StoreError::Reserved { .. })), "{update:?}");
    assert_eq!(
        store
            .count(&Scope::AllHospitals, &super::all_of(REGISTER))
            .await
            .expect("count"),
        1
    );

    assert_eq!(store.reserve(REGISTER, key, "admin").await.expect("again"), 0);
    assert!(
        store
            .withdraw_reservation(REGISTER, key, "admin")
            .await
            .expect("withdraw")
    );
    assert!(
        !store
            .withdraw_reservation(REGISTER, key, "admin")
            .await
            .expect("withdraw again")
    );
    store
        .create(with_person("H1", 10, &reserved))
        .await
        .expect("registering again after withdrawal");
    let withdrawals = store
        .audit_entries(&AuditFilter {
            action: Some("reservation.withdraw".into()),
            ..AuditFilter::default()
        })
        .await
        .expect("audit");
    assert_eq!(
        withdrawals.iter().map(|e| e.detail.as_str()).collect::<Vec<_>>(),
        [r#"{"existed":true}"#, r#"{"existed":false}"#]
    );
    assert_eq!(store.verify_audit().await.expect("verify").first_bad, None);
}

/// Writes of a person racing with their reservation: whichever commits first, none of the
/// person's registrations survives the reservation.
pub async fn no_registration_slips_past_a_concurrent_reservation(store: &dyn Store) {
    seed_hospitals(store).await;
    let key = "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed";
    let reserved = person(key, b"racing ciphertext");
    for round in 0..5 {
        let writer = |n: i64| {
            let who = reserved.clone();
            async move {
                match store.create(with_person("H1", n, &who)).await {
                    Ok(_) | Err(StoreError::Reserved { .. }) => {}
                    Err(other) => panic!("unexpected refusal {other:?}"),
                }
            }
        };
        let (_, _, _, deleted) = tokio::join!(
            writer(round * 3),
            writer(round * 3 + 1),
            writer(round * 3 + 2),
            store.reserve(REGISTER, key, "admin")
        );
        deleted.expect("reserve");
        let left = store
            .list(&Scope::AllHospitals, &super::all_of(REGISTER))
            .await
            .expect("list");
        assert!(
            left.iter()
                .all(|r| r.person.as_ref().map(|p| p.lookup_key.as_str()) != Some(key)),
            "round {round}: a registration of the reserved person survived"
        );
        assert!(
            store
                .withdraw_reservation(REGISTER, key, "admin")
                .await
                .expect("withdraw")
        );
    }
    assert_eq!(store.verify_audit().await.expect("verify").first_bad, None);
}
