//! `kvalreg keys rotate` on SQLite and PostgreSQL as the real binary: every national id reads
//! the same after the rotation, the old key file no longer opens the database's
//! ciphertexts, the rotation is audited and the chain verifies; a staged key file left by an
//! interrupted rotation stops every command with what to do.

mod common;
mod reliability;

use reliability::Place;

fn rotate_keeps_every_id(place: &Place) {
    place.ok(&["init"]);
    place.seed(30, 41);
    let export = |place: &Place| place.ok(&["export", "--register", "stroke", "--format", "ndjson"]);
    let before = export(place);
    assert!(before.contains("\"national_id\""), "the export shows the ids");
    let said = place.ok(&["keys", "rotate", "--actor", "drift"]);
    assert!(said.starts_with("sealed 30 national ids"), "{said}");
    assert_eq!(
        export(place),
        before,
        "every id and value reads the same under the new key"
    );

    // The old key file is kept, but the database is no longer sealed under it.
    let data = place.root.join(&place.data_dir);
    let old = std::fs::read_dir(&data)
        .expect("data dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().contains("kvalreg.keys.old-"))
        .expect("the old key file is kept");
    let current = data.join("kvalreg.keys");
    let new_text = std::fs::read_to_string(&current).expect("new key file");
    std::fs::copy(&old, &current).expect("put the old key back");
    let mut args = place.args();
    args.extend(["export", "--register", "stroke", "--format", "ndjson"].map(str::to_owned));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let refused = common::run(&place.root, &args);
    assert!(!refused.status.success(), "the old key opens nothing");
    std::fs::write(&current, new_text).expect("restore the new key file");

    let verified = place.ok(&["audit", "verify"]);
    assert!(verified.starts_with("audit log intact"), "{verified}");
    let rotations = reliability::block_on(async {
        let store = kvalreg_store::connect(&place.url()).await.expect("open the database");
        let filter = kvalreg_store::AuditFilter {
            action: Some("keys.rotate".into()),
            ..Default::default()
        };
        store.audit_entries(&filter).await.expect("audit")
    });
    assert_eq!(rotations.len(), 1);
    assert_eq!(rotations[0].actor, "drift");
    assert!(
        rotations[0].detail.contains("\"registrations\":30"),
        "{}",
        rotations[0].detail
    );

    // An interrupted rotation leaves the staged file; every command says what to do.
    std::fs::write(data.join("kvalreg.keys.new"), "staged").expect("stage");
    let mut args = place.args();
    args.extend(["export", "--register", "stroke", "--format", "ndjson"].map(str::to_owned));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let stopped = common::run(&place.root, &args);
    assert!(!stopped.status.success());
    assert!(
        common::stderr(&stopped).contains("a key rotation did not finish"),
        "{}",
        common::stderr(&stopped)
    );
}

#[test]
fn sqlite_key_rotation_keeps_every_id() {
    let dir = tempfile::tempdir().expect("temp dir");
    rotate_keeps_every_id(&Place::sqlite(dir.path(), "data"));
}

#[test]
fn postgres_key_rotation_keeps_every_id() {
    let dir = tempfile::tempdir().expect("temp dir");
    rotate_keeps_every_id(&Place::postgres(dir.path(), "data", "kvalreg_keys"));
}
