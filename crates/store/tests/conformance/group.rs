//! Group commit seen from its callers: many concurrent writes are each acknowledged with their
//! own version, change entry and audit entry, and a write refused in the middle of a burst
//! fails alone.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::join_all;
use kvalreg_store::{AuditFilter, ProtectedPerson, Registration, Scope, Store, StoreError, Write};
use serde_json::json;
use uuid::Uuid;

use super::{REGISTER, all_of, seed_hospitals, write};

/// Concurrent writers in the tests below.
const WRITERS: i64 = 64;

/// The registration versions the audit log names, by registration.
async fn audited_versions(store: &dyn Store) -> BTreeMap<Uuid, Vec<i64>> {
    let mut versions: BTreeMap<Uuid, Vec<i64>> = BTreeMap::new();
    for entry in store.audit_entries(&AuditFilter::default()).await.expect("audit") {
        if let Some(id) = entry.registration_id {
            let detail: serde_json::Value = serde_json::from_str(&entry.detail).expect("detail");
            versions
                .entry(id)
                .or_default()
                .push(detail["version"].as_i64().expect("version"));
        }
    }
    versions
}

pub async fn concurrent_writes_are_each_acknowledged_and_kept(store: &dyn Store) {
    seed_hospitals(store).await;
    let created: Vec<Registration> = join_all((0..WRITERS).map(|n| store.create(write("H1", json!({"n": n})))))
        .await
        .into_iter()
        .map(|r| r.expect("every create is acknowledged"))
        .collect();
    let ids: BTreeSet<Uuid> = created.iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), created.len(), "every create has its own registration");
    assert!(created.iter().all(|r| r.version == 1));

    // Every registration updated twice, all at once: each update its own next version.
    let updated = join_all(created.iter().map(|r| async move {
        let all = Scope::AllHospitals;
        let second = store.update(&all, r.id, 1, write("H2", json!({"step": 2}))).await?;
        store
            .update(&all, r.id, second.version, write("H3", json!({"step": 3})))
            .await
    }))
    .await;
    assert!(
        updated.iter().all(|r| matches!(r, Ok(r) if r.version == 3)),
        "{updated:?}"
    );

    let listed = store.list(&Scope::AllHospitals, &all_of(REGISTER)).await.expect("list");
    assert_eq!(listed.len(), created.len());
    assert!(listed.iter().all(|r| r.version == 3 && r.hospital == "H3"));
    for r in &created {
        let history = store.history(&Scope::AllHospitals, r.id).await.expect("history");
        let versions: Vec<i64> = history.iter().map(|v| v.version).collect();
        assert_eq!(versions, [1, 2, 3]);
    }
    let changes = store.changes_since(0, 0).await.expect("changes");
    assert_eq!(changes.len(), created.len() * 3);
    assert_eq!(
        changes.iter().map(|c| c.seq).collect::<BTreeSet<_>>().len(),
        changes.len()
    );
    let audited = audited_versions(store).await;
    assert!(
        ids.iter()
            .all(|id| audited.get(id).map(Vec::as_slice) == Some(&[1, 2, 3][..])),
        "{audited:?}"
    );
    let report = store.verify_audit().await.expect("verify");
    assert_eq!(report.first_bad, None);
    assert_eq!(report.entries, created.len() as u64 * 3);
}

pub async fn a_refused_write_in_a_burst_fails_alone(store: &dyn Store) {
    seed_hospitals(store).await;
    let reserved = ProtectedPerson {
        lookup_key: "cd".repeat(32),
        ciphertext: b"reserved person".to_vec(),
    };
    store
        .reserve(REGISTER, &reserved.lookup_key, "admin")
        .await
        .expect("reserve");
    let existing = store
        .create(write("H1", json!({"n": "existing"})))
        .await
        .expect("create");
    let audit_before = store.verify_audit().await.expect("verify").entries;

    let refused_at = |n: i64| [7, 20, 33, 50].contains(&n);
    let (reserved, existing_id) = (&reserved, existing.id);
    let burst = (0..WRITERS).map(|n| {
        let good = write("H1", json!({"n": n}));
        async move {
            match n {
                7 => {
                    store
                        .create(Write {
                            hospital: "XX".into(),
                            ..good
                        })
                        .await
                }
                20 => store.update(&Scope::AllHospitals, existing_id, 5, good).await,
                33 => {
                    store
                        .create(Write {
                            person: Some(reserved.clone()),
                            ..good
                        })
                        .await
                }
                50 => store.update(&Scope::AllHospitals, Uuid::now_v7(), 1, good).await,
                _ => store.create(good).await,
            }
        }
    });
    let outcomes = join_all(burst).await;
    for (n, outcome) in (0..WRITERS).zip(&outcomes) {
        match (n, outcome) {
            (7, Err(StoreError::UnknownHospital(code))) if code == "XX" => {}
            (
                20,
                Err(StoreError::Conflict {
                    expected: 5,
                    current: 1,
                    ..
                }),
            ) => {}
            (33, Err(StoreError::Reserved { .. })) => {}
            (50, Err(StoreError::NotFound(_))) => {}
            (n, Ok(r)) if !refused_at(n) => assert_eq!(r.data["n"], json!(n)),
            (n, other) => panic!("write {n}: {other:?}"),
        }
    }
    let accepted = (0..WRITERS).filter(|n| !refused_at(*n)).count();
    let listed = store.list(&Scope::AllHospitals, &all_of(REGISTER)).await.expect("list");
    assert_eq!(
        listed.len(),
        accepted + 1,
        "every accepted write is stored, no refused one"
    );
    assert_eq!(
        store.get(&Scope::AllHospitals, existing.id).await.expect("get"),
        existing
    );
    let report = store.verify_audit().await.expect("verify");
    assert_eq!(report.first_bad, None);
    assert_eq!(
        report.entries,
        audit_before + accepted as u64,
        "refused writes leave no audit entry"
    );
    assert_eq!(store.changes_since(0, 0).await.expect("changes").len(), accepted + 1);
}
