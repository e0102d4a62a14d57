//! The data directory keeps its keys safe: created once with owner-only permissions, never
//! replaced, required before use; and only a directory marked as demo is ever wiped.

use std::os::unix::fs::PermissionsExt as _;

use kvalreg_app::DataDir;

#[test]
fn keys_are_created_once_private_and_required() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("data");
    let missing = DataDir::open(&root).expect_err("no key file yet");
    assert!(missing.to_string().contains("kvalreg init"), "{missing}");

    let data = DataDir::init(&root).expect("init");
    let mode = std::fs::metadata(data.root.join("kvalreg.keys"))
        .expect("key file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let keys = data.keys().expect("keys");
    assert!(!data.is_demo());
    assert!(data.sqlite_url().starts_with("sqlite:///") && data.sqlite_url().ends_with("/kvalreg.sqlite"));

    assert!(DataDir::init(&root).is_err(), "a second init must not replace the keys");
    let reopened = DataDir::open(&root).expect("open").keys().expect("keys");
    assert_eq!(reopened.lookup_key("01010150123"), keys.lookup_key("01010150123"));
}

#[test]
fn only_a_marked_demo_directory_is_wiped() {
    let dir = tempfile::tempdir().expect("temp dir");
    let demo_root = dir.path().join("demo");
    let demo = DataDir::init_demo(&demo_root).expect("first demo");
    assert!(demo.is_demo());
    std::fs::write(demo_root.join("old-file"), "old").expect("write");
    let first_keys = demo.keys().expect("keys").lookup_key("x");
    let again = DataDir::init_demo(&demo_root).expect("demo again");
    assert!(
        again.is_demo() && !demo_root.join("old-file").exists(),
        "the old demo is wiped"
    );
    assert_ne!(again.keys().expect("keys").lookup_key("x"), first_keys, "with new keys");

    let real = dir.path().join("real");
    DataDir::init(&real).expect("real data");
    let refused = DataDir::init_demo(&real).expect_err("never wipe real data");
    assert!(refused.to_string().contains("not a demo directory"), "{refused}");
    assert!(real.join("kvalreg.keys").is_file());

    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    assert!(
        DataDir::init_demo(&empty)
            .expect("an empty directory may become a demo")
            .is_demo()
    );
}
