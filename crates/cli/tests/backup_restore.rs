//! `kvalreg backup` taken while the server runs and writes go on, and `kvalreg restore` into
//! a fresh place, on SQLite and PostgreSQL: every registration and every version comes
//! back, the audit chain verifies, and a restore never lands on existing data.

mod common;
mod reliability;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use kvalreg_store::{AuditFilter, Filter, Scope};
use reliability::{Place, REGISTRATIONS, Server, agent, send};
use uuid::Uuid;

const SEEDED: usize = 60;
/// Registrations updated before the backup (their versions are known exactly).
const SETTLED: usize = 30;

/// Sends the registration's values back as a new version; the new version, if acknowledged.
fn rewrite(agent: &ureq::Agent, base: &str, bearer: &str, id: &str, version: i64) -> Option<i64> {
    let url = format!("{base}{REGISTRATIONS}/{id}");
    let auth = [("authorization", bearer)];
    let current = send(agent, "GET", &url, &auth, Vec::new()).ok()?;
    let body = serde_json::to_vec(&current.json()["values"]).expect("json");
    let tag = format!("\"{version}\"");
    let headers = [
        ("content-type", "application/json"),
        ("if-match", tag.as_str()),
        auth[0],
    ];
    let reply = send(agent, "PUT", &url, &headers, body).ok()?;
    (reply.status == 200).then(|| reply.json()["version"].as_i64().expect("version"))
}

fn ids(server: &Server) -> Vec<String> {
    let reply = send(
        &agent(),
        "GET",
        &format!("{}{REGISTRATIONS}?limit=500", server.base),
        &[("authorization", server.bearer.as_str())],
        Vec::new(),
    )
    .expect("list");
    reply.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect()
}

fn backup_and_restore(source: &Place, target: &Place, backup_name: &str) {
    source.ok(&["init"]);
    assert_eq!(source.seed(SEEDED, 11), SEEDED);
    let server = source.serve();
    let ids = ids(&server);
    assert_eq!(ids.len(), SEEDED);
    let client = agent();
    let mut settled = BTreeMap::new();
    for id in &ids[..SETTLED] {
        let two = rewrite(&client, &server.base, &server.bearer, id, 1).expect("version 2");
        let three = rewrite(&client, &server.base, &server.bearer, id, two).expect("version 3");
        assert_eq!(three, 3);
        settled.insert(id.clone(), three);
    }

    // Writes go on during the backup; their acknowledged versions before and after it bound
    // what the copy may hold.
    let busy: Vec<String> = ids[SETTLED..].to_vec();
    let acknowledged: Arc<Mutex<BTreeMap<String, i64>>> =
        Arc::new(Mutex::new(busy.iter().map(|id| (id.clone(), 1)).collect()));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (acknowledged, stop, base) = (Arc::clone(&acknowledged), Arc::clone(&stop), server.base.clone());
        let bearer = server.bearer.clone();
        let busy = busy.clone();
        std::thread::spawn(move || {
            let client = agent();
            while !stop.load(Ordering::SeqCst) {
                for id in &busy {
                    let version = acknowledged.lock().expect("lock")[id];
                    if let Some(next) = rewrite(&client, &base, &bearer, id, version) {
                        acknowledged.lock().expect("lock").insert(id.clone(), next);
                    }
                }
            }
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    let before = acknowledged.lock().expect("lock").clone();
    let backup_file = source.root.join(backup_name);
    let said = source.ok(&["backup", "--output", &backup_file.display().to_string()]);
    // The writer keeps going across the backup (a fast backup may fall between two writes,
    // so this waits for the next acknowledged one rather than timing the backup).
    let waited = std::time::Instant::now();
    let after = loop {
        let now = acknowledged.lock().expect("lock").clone();
        if now.values().sum::<i64>() > before.values().sum::<i64>() || waited.elapsed().as_secs() >= 10 {
            break now;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    stop.store(true, Ordering::SeqCst);
    writer.join().expect("writer");
    drop(server);
    println!("{said}");
    assert!(said.starts_with("backup written to "), "{said}");
    assert!(
        after.values().sum::<i64>() > before.values().sum::<i64>(),
        "writes went on across the backup"
    );

    let restored = target.ok(&["restore", "--input", &backup_file.display().to_string()]);
    println!("{restored}");
    assert!(restored.contains("audit log intact"), "{restored}");
    let again = common::run(
        &target.root,
        &target
            .args()
            .iter()
            .map(String::as_str)
            .chain(["restore", "--input", &backup_file.display().to_string()])
            .collect::<Vec<_>>(),
    );
    assert!(!again.status.success(), "a restore must refuse existing data");
    let refusal = common::stderr(&again);
    assert!(
        refusal.contains("already holds a database") || refusal.contains("is not empty"),
        "{refusal}"
    );

    // The key file is not in the backup: the operator copies it.
    let target_dir = target.root.join(&target.data_dir);
    std::fs::create_dir_all(&target_dir).expect("data dir");
    std::fs::copy(
        source.root.join(&source.data_dir).join("kvalreg.keys"),
        target_dir.join("kvalreg.keys"),
    )
    .expect("copy the key file");
    let verified = target.ok(&["audit", "verify"]);
    assert!(verified.starts_with("audit log intact: "), "{verified}");

    reliability::block_on(async {
        let store = kvalreg_store::connect(&target.url())
            .await
            .expect("open the restored database");
        let filter = Filter {
            register: "stroke".into(),
            ..Filter::default()
        };
        let all = store.list(&Scope::AllHospitals, &filter).await.expect("list");
        let found: BTreeSet<String> = all.iter().map(|r| r.id.to_string()).collect();
        assert_eq!(
            found,
            ids.iter().cloned().collect::<BTreeSet<_>>(),
            "every registration"
        );
        for registration in &all {
            let id = registration.id.to_string();
            match settled.get(&id) {
                Some(&version) => assert_eq!(registration.version, version, "{id}"),
                None => assert!(
                    (before[&id]..=after[&id]).contains(&registration.version),
                    "{id}: version {} outside {}..={}",
                    registration.version,
                    before[&id],
                    after[&id]
                ),
            }
            let history = store
                .history(&Scope::AllHospitals, registration.id)
                .await
                .expect("history");
            let versions: Vec<i64> = history.iter().map(|v| v.version).collect();
            let mut expected: Vec<i64> = (1..=registration.version).collect();
            if versions.first() > versions.last() {
                expected.reverse();
            }
            assert_eq!(versions, expected, "every version of {id}");
            let audited = audited_versions(store.as_ref(), registration.id).await;
            assert_eq!(
                audited,
                (1..=registration.version).collect::<BTreeSet<_>>(),
                "audit of {id}"
            );
        }
    });

    let exported = target.ok(&["export", "--register", "stroke", "--format", "ndjson"]);
    assert_eq!(
        exported.lines().count(),
        SEEDED,
        "the national ids read back with the key file"
    );
}

/// The versions the audit log records writes of.
async fn audited_versions(store: &dyn kvalreg_store::Store, id: Uuid) -> BTreeSet<i64> {
    let filter = AuditFilter {
        registration_id: Some(id),
        ..AuditFilter::default()
    };
    store
        .audit_entries(&filter)
        .await
        .expect("audit entries")
        .iter()
        .filter(|e| e.action.starts_with("registration."))
        .filter_map(|e| serde_json::from_str::<serde_json::Value>(&e.detail).ok()?["version"].as_i64())
        .collect()
}

#[test]
fn sqlite_backup_while_serving_restores_into_a_fresh_data_directory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let source = Place::sqlite(dir.path(), "data");
    let target = Place::sqlite(dir.path(), "restored");
    backup_and_restore(&source, &target, "kvalreg-backup.sqlite");
}

#[test]
fn postgres_backup_while_serving_restores_into_an_empty_database() {
    let dir = tempfile::tempdir().expect("temp dir");
    let source = Place::postgres(dir.path(), "data", "bk_src");
    let target = Place::postgres(dir.path(), "restored", "bk_dst");
    backup_and_restore(&source, &target, "kvalreg-backup.pgdump");
    let wrong = common::run(
        dir.path(),
        &["--data-dir", "wrong", "restore", "--input", "kvalreg-backup.pgdump"],
    );
    assert!(!wrong.status.success(), "a PostgreSQL backup is no SQLite database");
    assert!(
        common::stderr(&wrong).contains("is not a SQLite backup"),
        "{}",
        common::stderr(&wrong)
    );
    assert!(!dir.path().join("wrong").join("kvalreg.sqlite").exists());
}
