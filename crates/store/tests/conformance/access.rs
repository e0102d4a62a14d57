//! Sign-in state, sessions and API tokens on every backend: failures counted up to the
//! lock, sessions stored and ended, second factor and recovery codes set and reset, tokens
//! added and revoked — each change with its audit entry, and the chain still verifying.

use kvalreg_store::{AccessChange, ApiToken, AuditFilter, Grant, Lockout, Role, Session, Store, StoreError};

use super::seed_hospitals;

fn session(id_hash: &str, user: &str, at: i64) -> Session {
    Session {
        id_hash: id_hash.to_owned(),
        user_name: user.to_owned(),
        csrf: format!("csrf-{id_hash}"),
        created_us: at,
        seen_us: at,
        pending_totp: None,
    }
}

async fn apply(store: &dyn Store, change: AccessChange) -> u64 {
    store.change_access(change, "kari").await.expect("change access")
}

pub async fn access_state_is_kept_changed_and_audited(store: &dyn Store) {
    seed_hospitals(store).await;
    let grant = Grant {
        role: Role::UnitLead,
        register: Some("stroke".into()),
        hospital: Some("H1".into()),
    };
    store
        .add_user("kari", "$argon2id$kari", std::slice::from_ref(&grant), "admin")
        .await
        .expect("add kari");
    let account = store.account("kari").await.expect("account").expect("kari");
    assert_eq!(
        (account.active, account.failed_signins, account.locked_until),
        (true, 0, None)
    );
    assert_eq!(account.grants, [grant.clone()]);
    assert!(store.account("nobody").await.expect("account").is_none());

    // Three counted failures with a lock at three: the third locks.
    let lockout = Lockout {
        lock_after: 3,
        lock_until: 9_000,
    };
    for _ in 0..3 {
        let failed = AccessChange::SignInFailed {
            user: "kari".into(),
            reason: "password",
            count: Some(lockout),
        };
        assert_eq!(apply(store, failed).await, 1);
    }
    let account = store.account("kari").await.expect("account").expect("kari");
    assert_eq!((account.failed_signins, account.locked_until), (3, Some(9_000)));
    // An unknown user's failure is only audited.
    let unknown = AccessChange::SignInFailed {
        user: "nobody".into(),
        reason: "unknown_user",
        count: None,
    };
    assert_eq!(apply(store, unknown).await, 0);

    // A sign-in resets the failures and stores the session; the TOTP step is kept.
    let signed_in = AccessChange::SignedIn {
        session: session("s1", "kari", 100),
        totp_step: Some(7),
        recovery_code_hash: None,
    };
    assert_eq!(apply(store, signed_in).await, 1);
    let account = store.account("kari").await.expect("account").expect("kari");
    assert_eq!(
        (account.failed_signins, account.locked_until, account.totp_last_step),
        (0, None, Some(7))
    );
    assert_eq!(
        store.session("s1").await.expect("session"),
        Some(session("s1", "kari", 100))
    );
    apply(
        store,
        AccessChange::Touched {
            id_hash: "s1".into(),
            seen_us: 200,
        },
    )
    .await;
    assert_eq!(
        store.session("s1").await.expect("session").map(|s| s.seen_us),
        Some(200)
    );

    // Enrolment sets the secret and the recovery codes; a code is used once.
    apply(
        store,
        AccessChange::EnrolmentOffered {
            id_hash: "s1".into(),
            pending_totp: vec![1, 2, 3],
        },
    )
    .await;
    assert_eq!(
        store.session("s1").await.expect("session").and_then(|s| s.pending_totp),
        Some(vec![1, 2, 3])
    );
    let enrolled = AccessChange::SecondFactorEnrolled {
        user: "kari".into(),
        secret: vec![9, 9],
        step: 8,
        recovery_code_hashes: vec!["r1".into(), "r2".into()],
    };
    apply(store, enrolled).await;
    let account = store.account("kari").await.expect("account").expect("kari");
    assert_eq!(account.totp_secret, Some(vec![9, 9]));
    let mut codes = account.recovery_code_hashes.clone();
    codes.sort();
    assert_eq!(codes, ["r1", "r2"]);
    assert_eq!(
        store.session("s1").await.expect("session").and_then(|s| s.pending_totp),
        None
    );
    let with_code = AccessChange::SignedIn {
        session: session("s2", "kari", 300),
        totp_step: None,
        recovery_code_hash: Some("r1".into()),
    };
    apply(store, with_code).await;
    assert_eq!(
        store
            .account("kari")
            .await
            .expect("account")
            .expect("kari")
            .recovery_code_hashes,
        ["r2"]
    );
    let reused = AccessChange::SignedIn {
        session: session("s3", "kari", 400),
        totp_step: None,
        recovery_code_hash: Some("r1".into()),
    };
    assert!(
        store.change_access(reused, "kari").await.is_err(),
        "a used code is gone"
    );
    assert!(
        store.session("s3").await.expect("session").is_none(),
        "the refused sign-in left no session"
    );

    // Signing out everywhere ends both sessions; a reset removes the factor.
    assert_eq!(
        apply(store, AccessChange::SignedOutEverywhere { user: "kari".into() }).await,
        2
    );
    assert!(store.session("s1").await.expect("session").is_none());
    apply(store, AccessChange::SecondFactorReset { user: "kari".into() }).await;
    let account = store.account("kari").await.expect("account").expect("kari");
    assert_eq!((account.totp_secret, account.recovery_code_hashes.len()), (None, 0));
    let no_user = store
        .change_access(AccessChange::SecondFactorReset { user: "nobody".into() }, "x")
        .await;
    assert!(matches!(no_user, Err(StoreError::UnknownUser(_))), "{no_user:?}");

    // Tokens: added once, found by hash, revoked.
    let token = ApiToken {
        name: "ehr".into(),
        token_hash: "abc".into(),
        grant: grant.clone(),
        created_by: "admin".into(),
        created_us: 5,
        revoked_us: None,
    };
    apply(store, AccessChange::TokenAdded(token.clone())).await;
    assert_eq!(store.token("abc").await.expect("token"), Some(token.clone()));
    let again = store
        .change_access(AccessChange::TokenAdded(token.clone()), "admin")
        .await;
    assert!(matches!(again, Err(StoreError::TokenExists(_))), "{again:?}");
    let foreign = ApiToken {
        name: "other".into(),
        grant: Grant {
            hospital: Some("NOPE".into()),
            ..grant
        },
        ..token
    };
    let refused = store.change_access(AccessChange::TokenAdded(foreign), "admin").await;
    assert!(matches!(refused, Err(StoreError::UnknownHospital(_))), "{refused:?}");
    apply(
        store,
        AccessChange::TokenRevoked {
            name: "ehr".into(),
            at_us: 6,
        },
    )
    .await;
    assert_eq!(
        store.token("abc").await.expect("token").and_then(|t| t.revoked_us),
        Some(6)
    );
    assert_eq!(store.tokens().await.expect("tokens").len(), 1);
    let missing = store
        .change_access(
            AccessChange::TokenRevoked {
                name: "none".into(),
                at_us: 7,
            },
            "admin",
        )
        .await;
    assert!(matches!(missing, Err(StoreError::UnknownToken(_))), "{missing:?}");

    let actions: Vec<String> = store
        .audit_entries(&AuditFilter::default())
        .await
        .expect("audit")
        .into_iter()
        .map(|e| e.action)
        .filter(|a| a != "user.add")
        .collect();
    assert_eq!(
        actions,
        [
            "signin.failed",
            "signin.failed",
            "signin.failed",
            "signin.failed",
            "signin",
            "user.2fa_enrol",
            "signin",
            "signout.everywhere",
            "user.2fa_reset",
            "token.add",
            "token.revoke"
        ]
    );
    assert!(store.verify_audit().await.expect("verify").first_bad.is_none());
}
