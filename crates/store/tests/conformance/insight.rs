//! Patient insight by access code on every backend: a code is kept as its hash, spent once,
//! refused when expired (and removed at the next issue), blocked after repeated wrong attempts; the patient session it
//! opens is stored, touched and ended; each attempt audited without the person; and a
//! person's reservations read back by register.

use kvalreg_store::{AuditFilter, CodeAttempt, InsightCode, PatientSession, Redemption, Store};

const KEY: &str = "key-of-kari";
const OTHER_KEY: &str = "key-of-ola";

fn code(hash: &str, key: &str, expires_us: i64) -> InsightCode {
    InsightCode {
        code_hash: hash.to_owned(),
        lookup_key: key.to_owned(),
        register: "stroke".into(),
        issued_by: "admin".into(),
        issued_us: 1_000,
        expires_us,
    }
}

fn attempt(key: &str, hash: &str, now_us: i64, session: &str) -> CodeAttempt {
    CodeAttempt {
        lookup_key: key.to_owned(),
        code_hash: hash.to_owned(),
        now_us,
        lock_after: 3,
        session: PatientSession {
            id_hash: session.to_owned(),
            lookup_key: key.to_owned(),
            csrf: format!("csrf-{session}"),
            created_us: now_us,
            seen_us: now_us,
        },
    }
}

async fn redeem(store: &dyn Store, key: &str, hash: &str, now_us: i64, session: &str) -> Redemption {
    store
        .redeem_insight_code(&attempt(key, hash, now_us, session))
        .await
        .expect("redeem")
}

pub async fn insight_codes_are_spent_once_expire_and_block(store: &dyn Store) {
    for c in [
        code("h-kari", KEY, 10_000),
        code("h-old", KEY, 2_000),
        code("h-ola", OTHER_KEY, 10_000),
    ] {
        store.add_insight_code(&c, "admin").await.expect("add code");
    }
    // Another person's code with Kari's id, and a code nobody has: wrong, nothing stored.
    assert_eq!(redeem(store, KEY, "h-ola", 5_000, "s0").await, Redemption::Wrong);
    assert_eq!(redeem(store, KEY, "h-none", 5_000, "s0").await, Redemption::Wrong);
    assert!(store.patient_session("s0").await.expect("session").is_none());
    assert_eq!(redeem(store, KEY, "h-old", 5_000, "s0").await, Redemption::Expired);
    // The right pair: spent, the session stored; a second use is refused.
    assert_eq!(redeem(store, KEY, "h-kari", 5_000, "s1").await, Redemption::Accepted);
    let session = store.patient_session("s1").await.expect("session").expect("stored");
    assert_eq!(
        (session.lookup_key.as_str(), session.csrf.as_str(), session.seen_us),
        (KEY, "csrf-s1", 5_000)
    );
    assert_eq!(redeem(store, KEY, "h-kari", 6_000, "s2").await, Redemption::Used);
    assert!(store.patient_session("s2").await.expect("session").is_none());
    store.touch_patient_session("s1", 7_000).await.expect("touch");
    let touched = store.patient_session("s1").await.expect("session").expect("kept");
    assert_eq!(touched.seen_us, 7_000);
    store.end_patient_session("s1").await.expect("end");
    assert!(store.patient_session("s1").await.expect("session").is_none());

    // Ola's code took one failure above (given with Kari's id); two more with his own id
    // and a wrong code block it at three, and then the right code is refused too.
    assert_eq!(redeem(store, OTHER_KEY, "h-x", 5_000, "s3").await, Redemption::Wrong);
    assert_eq!(redeem(store, OTHER_KEY, "h-y", 5_000, "s3").await, Redemption::Locked);
    assert_eq!(redeem(store, OTHER_KEY, "h-ola", 5_000, "s3").await, Redemption::Locked);
    assert!(store.patient_session("s3").await.expect("session").is_none());
    // A fresh code for Ola starts again.
    store
        .add_insight_code(&code("h-ola-2", OTHER_KEY, 10_000), "admin")
        .await
        .expect("add code");
    assert_eq!(
        redeem(store, OTHER_KEY, "h-ola-2", 5_000, "s4").await,
        Redemption::Accepted
    );
    // Issuing after Kari's old code expired removes it: it no longer answers as expired.
    let mut later = code("h-later", KEY, 90_000);
    later.issued_us = 50_000;
    store.add_insight_code(&later, "admin").await.expect("add code");
    assert_eq!(redeem(store, KEY, "h-old", 50_000, "s5").await, Redemption::Wrong);

    let audit = store.audit_entries(&AuditFilter::default()).await.expect("audit");
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "insight.code_issue").count(), 5);
    assert_eq!(actions.iter().filter(|a| **a == "insight.code_use").count(), 2);
    assert_eq!(actions.iter().filter(|a| **a == "insight.code_failed").count(), 8);
    for entry in audit.iter().filter(|a| a.action.starts_with("insight.code_")) {
        assert!(!entry.detail.contains("key-of"), "{entry:?}");
        assert!(!entry.detail.contains("h-"), "{entry:?}");
    }
    let used = audit.iter().find(|a| a.action == "insight.code_use").expect("use");
    assert_eq!(
        (used.actor.as_str(), used.register.as_deref()),
        ("patient", Some("stroke"))
    );
    assert!(store.verify_audit().await.expect("verify").first_bad.is_none());
}

pub async fn reservations_of_a_person_are_listed_by_register(store: &dyn Store) {
    assert!(store.reservations_of(KEY).await.expect("reservations").is_empty());
    store.reserve("stroke", KEY, "admin").await.expect("reserve");
    store.reserve("hip", KEY, "admin").await.expect("reserve");
    store.reserve("stroke", OTHER_KEY, "admin").await.expect("reserve");
    let held = store.reservations_of(KEY).await.expect("reservations");
    let registers: Vec<&str> = held.iter().map(|r| r.register.as_str()).collect();
    assert_eq!(registers, ["hip", "stroke"]);
    let now = jiff::Timestamp::now();
    assert!(held.iter().all(|r| (now - r.at).get_seconds().abs() < 600), "{held:?}");
    store.withdraw_reservation("hip", KEY, "admin").await.expect("withdraw");
    let held = store.reservations_of(KEY).await.expect("reservations");
    assert_eq!(held.len(), 1);
}
