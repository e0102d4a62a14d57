//! Crash safety: 64 clients create and update registrations through the API of a running
//! `kvalreg serve` until it is killed with SIGKILL at a random moment; after a restart every
//! acknowledged write is there with its version, every registration's versions run 1..=current
//! with an audit entry each, and the audit chain verifies. SQLite and PostgreSQL; 3 trials
//! each, `KVALREG_CRASH_TRIALS=20` for the full run.

mod common;
mod reliability;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kvalreg_store::{AuditFilter, Filter, Scope};
use reliability::{Place, REGISTRATIONS, agent, send};
use serde_json::{Map, Value as Json};

const CLIENTS: usize = 64;
const UPDATES_PER_REGISTRATION: usize = 3;

fn trials() -> u64 {
    std::env::var("KVALREG_CRASH_TRIALS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3)
}

/// Drafts the clients send: synthetic persons, status and national id left as they are.
fn documents() -> Vec<Map<String, Json>> {
    common::synthetic_set(2, 17)
        .into_iter()
        .map(|(mut doc, _)| {
            doc.insert("status".into(), Json::String("draft".into()));
            doc.insert("confirm_new_event".into(), Json::Bool(true));
            doc
        })
        .collect()
}

/// What the clients saw: the highest acknowledged version of every registration.
type Acknowledged = Arc<Mutex<BTreeMap<String, i64>>>;

/// One client: creates a registration, updates it a few times, and goes on with the next
/// document until the server stops answering.
fn client(
    base: String,
    bearer: String,
    documents: Arc<Vec<Map<String, Json>>>,
    start: usize,
    acknowledged: Acknowledged,
    refused: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) {
    let agent = agent();
    let user = [("authorization", bearer.as_str()), ("content-type", "application/json")];
    let mut next = start;
    while !stop.load(Ordering::SeqCst) {
        let doc = &documents[next % documents.len()];
        next += CLIENTS;
        let body = serde_json::to_vec(doc).expect("json");
        let Ok(created) = send(&agent, "POST", &format!("{base}{REGISTRATIONS}"), &user, body) else {
            return;
        };
        if created.status != 201 {
            refused.fetch_add(1, Ordering::SeqCst);
            continue;
        }
        let registration = created.json();
        let id = registration["id"].as_str().expect("id").to_owned();
        let mut version = registration["version"].as_i64().expect("version");
        acknowledged.lock().expect("lock").insert(id.clone(), version);
        let values = serde_json::to_vec(&registration["values"]).expect("json");
        for _ in 0..UPDATES_PER_REGISTRATION {
            let tag = format!("\"{version}\"");
            let headers = [user[0], user[1], ("if-match", tag.as_str())];
            let url = format!("{base}{REGISTRATIONS}/{id}");
            let Ok(updated) = send(&agent, "PUT", &url, &headers, values.clone()) else {
                return;
            };
            if updated.status != 200 {
                refused.fetch_add(1, Ordering::SeqCst);
                break;
            }
            version = updated.json()["version"].as_i64().expect("version");
            acknowledged.lock().expect("lock").insert(id.clone(), version);
        }
    }
}

/// The writes of registrations that are missing or older than acknowledged, and what is
/// half-written: a current version without every kept version, or a version without its
/// audit entry.
async fn check(place: &Place, acknowledged: &BTreeMap<String, i64>) -> (u64, Vec<String>) {
    let store = kvalreg_store::connect(&place.url()).await.expect("open the database");
    let filter = Filter {
        register: "stroke".into(),
        ..Filter::default()
    };
    let current: BTreeMap<String, kvalreg_store::Registration> = store
        .list(&Scope::AllHospitals, &filter)
        .await
        .expect("list")
        .into_iter()
        .map(|r| (r.id.to_string(), r))
        .collect();
    let mut audited: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
    for entry in store.audit_entries(&AuditFilter::default()).await.expect("audit") {
        let write = matches!(
            entry.action.as_str(),
            "registration.create" | "registration.update" | "registration.import"
        );
        if let (true, Some(id)) = (write, entry.registration_id) {
            let detail: Json = serde_json::from_str(&entry.detail).expect("detail json");
            if let Some(version) = detail["version"].as_i64() {
                audited.entry(id.to_string()).or_default().insert(version);
            }
        }
    }
    let mut lost = 0;
    for (id, version) in acknowledged {
        match current.get(id) {
            Some(r) if r.version >= *version => {}
            _ => lost += 1,
        }
    }
    let mut half_written = Vec::new();
    for (id, registration) in &current {
        let history = store
            .history(&Scope::AllHospitals, registration.id)
            .await
            .expect("history");
        let kept: BTreeSet<i64> = history.iter().map(|v| v.version).collect();
        let expected: BTreeSet<i64> = (1..=registration.version).collect();
        if kept != expected {
            half_written.push(format!("{id}: current {} but kept {kept:?}", registration.version));
        }
        if audited.get(id) != Some(&expected) {
            half_written.push(format!(
                "{id}: versions 1..={} but audited {:?}",
                registration.version,
                audited.get(id)
            ));
        }
    }
    (lost, half_written)
}

fn crash_trials(place: Place, name: &str) {
    place.ok(&["init"]);
    let documents = Arc::new(documents());
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .subsec_nanos() as u64;
    println!("{name}: kill moments from seed {seed}");
    let mut total_lost = 0;
    let mut total_acknowledged = 0;
    for trial in 0..trials() {
        let server = place.serve();
        let acknowledged: Acknowledged = Arc::default();
        let refused = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let clients: Vec<_> = (0..CLIENTS)
            .map(|n| {
                let bearer = server.bearer.clone();
                let (base, documents, acknowledged, refused, stop) = (
                    server.base.clone(),
                    Arc::clone(&documents),
                    Arc::clone(&acknowledged),
                    Arc::clone(&refused),
                    Arc::clone(&stop),
                );
                let start = (trial as usize * 7 + n) % documents.len();
                std::thread::spawn(move || client(base, bearer, documents, start, acknowledged, refused, stop))
            })
            .collect();
        // A random moment between 0.4 and 2.4 s after the first acknowledged write (on a busy
        // machine the first answer may take longer than the shortest delay).
        let started = std::time::Instant::now();
        while acknowledged.lock().expect("lock").is_empty() && started.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(10));
        }
        let delay = 400 + (seed.wrapping_mul(trial + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 33) % 2000;
        std::thread::sleep(Duration::from_millis(delay));
        server.kill9();
        stop.store(true, Ordering::SeqCst);
        for client in clients {
            client.join().expect("client");
        }
        place.settle();
        let acknowledged = acknowledged.lock().expect("lock").clone();
        let writes: i64 = acknowledged.values().sum();

        let mut restarted = place.serve();
        let health = send(&agent(), "GET", &format!("{}/healthz", restarted.base), &[], Vec::new()).expect("healthz");
        assert_eq!(health.status, 200);
        assert!(restarted.alive());
        drop(restarted);

        let (lost, half_written) = reliability::block_on(check(&place, &acknowledged));
        let verified = place.ok(&["audit", "verify"]);
        println!(
            "{name} trial {}: killed after {delay} ms; {} registrations / {writes} versions acknowledged, {} refused; lost {lost}, half-written {}; {}",
            trial + 1,
            acknowledged.len(),
            refused.load(Ordering::SeqCst),
            half_written.len(),
            verified.trim()
        );
        assert!(!acknowledged.is_empty(), "the clients wrote nothing before the kill");
        assert_eq!(
            refused.load(Ordering::SeqCst),
            0,
            "every write is valid and uncontested"
        );
        assert!(half_written.is_empty(), "{half_written:#?}");
        assert!(verified.starts_with("audit log intact: "), "{verified}");
        total_lost += lost;
        total_acknowledged += writes;
    }
    println!(
        "{name}: {} trials, {total_acknowledged} acknowledged writes, lost writes: {total_lost}",
        trials()
    );
    assert_eq!(total_lost, 0);
}

#[test]
fn sqlite_keeps_every_acknowledged_write_through_kill_9() {
    let dir = tempfile::tempdir().expect("temp dir");
    crash_trials(Place::sqlite(dir.path(), "data"), "sqlite");
}

#[test]
fn postgres_keeps_every_acknowledged_write_through_kill_9() {
    let dir = tempfile::tempdir().expect("temp dir");
    crash_trials(Place::postgres(dir.path(), "data", "crash"), "postgres");
}
