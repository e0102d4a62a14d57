//! Users and their scoped roles on every backend: stored with their grants, refused when
//! the name is taken or a hospital unknown, disabled, and every change audited.

use kvalreg_store::{AuditFilter, Grant, Role, Store, StoreError};

use super::seed_hospitals;

fn grant(role: Role, register: Option<&str>, hospital: Option<&str>) -> Grant {
    Grant {
        role,
        register: register.map(str::to_owned),
        hospital: hospital.map(str::to_owned),
    }
}

pub async fn users_are_stored_with_their_grants_and_audited(store: &dyn Store) {
    seed_hospitals(store).await;
    let registrar = [
        grant(Role::Registrar, Some("stroke"), Some("H2")),
        grant(Role::Registrar, Some("stroke"), Some("H1")),
        grant(Role::Registrar, Some("stroke"), Some("H1")),
    ];
    store
        .add_user(
            "kari",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
            &registrar,
            "admin",
        )
        .await
        .expect("add kari");
    store
        .add_user("olav", "$argon2id$olav", &[grant(Role::Auditor, None, None)], "admin")
        .await
        .expect("add olav");

    let users = store.users().await.expect("users");
    assert_eq!(
        users.iter().map(|u| u.name.as_str()).collect::<Vec<_>>(),
        ["kari", "olav"]
    );
    assert!(users[0].active);
    assert_eq!(
        users[0].grants,
        [
            grant(Role::Registrar, Some("stroke"), Some("H1")),
            grant(Role::Registrar, Some("stroke"), Some("H2"))
        ],
        "grants sorted, the duplicate kept once"
    );
    assert_eq!(users[0].password_hash, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA");
    assert_eq!(users[1].grants, [grant(Role::Auditor, None, None)]);

    let taken = store.add_user("kari", "x", &[], "admin").await;
    assert!(
        matches!(&taken, Err(StoreError::UserExists(name)) if name == "kari"),
        "{taken:?}"
    );
    let unknown = store
        .add_user(
            "per",
            "x",
            &[grant(Role::UnitLead, Some("stroke"), Some("NOPE"))],
            "admin",
        )
        .await;
    assert!(matches!(unknown, Err(StoreError::UnknownHospital(_))), "{unknown:?}");
    assert_eq!(store.users().await.expect("users").len(), 2, "refusals add nobody");

    store.set_user_active("kari", false, "admin").await.expect("disable");
    let users = store.users().await.expect("users");
    assert!(!users[0].active);
    assert!(users[1].active);
    let missing = store.set_user_active("nobody", false, "admin").await;
    assert!(matches!(missing, Err(StoreError::UnknownUser(_))), "{missing:?}");

    let audit = store.audit_entries(&AuditFilter::default()).await.expect("audit");
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["user.add", "user.add", "user.disable"]);
    assert_eq!(
        audit[0].detail,
        r#"{"grants":[{"hospital":"H1","register":"stroke","role":"registrar"},{"hospital":"H2","register":"stroke","role":"registrar"}],"user":"kari"}"#
    );
    assert!(
        audit.iter().all(|e| !e.detail.contains("argon2")),
        "no password hash in the audit log"
    );
    assert_eq!(store.verify_audit().await.expect("verify").first_bad, None);
}
