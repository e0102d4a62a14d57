//! Reads of identifiable data leave an audit entry: one per registration read through the
//! API or shown on the registrar's form page, and one per list request, naming the filter
//! and the count but no national id; writes and their history are audited as before.

use kvalreg_store::AuditRecord;
use kvalreg_web::WebOptions;
use serde_json::Value as Json;

use crate::documents;
use crate::server::TestServer;

const REGISTRATIONS: &str = "/api/v1/registers/stroke/registrations";

fn detail(entry: &AuditRecord) -> Json {
    serde_json::from_str(&entry.detail).expect("audit detail is JSON")
}

fn with_action<'a>(entries: &'a [AuditRecord], action: &str) -> Vec<&'a AuditRecord> {
    entries.iter().filter(|e| e.action == action).collect()
}

#[test]
fn reading_one_registration_is_audited_with_the_actor_and_the_id() {
    let server = TestServer::sqlite(WebOptions::default());
    let kari = server.token("kari", "registrar:stroke:UNN-TRO");
    let ola = server.token("ola", "registrar:stroke:UNN-TRO");
    let doc = documents::draft(41, "UNN-TRO", "2024-03-10");
    let created = server.post(REGISTRATIONS).bearer(&kari).json(&doc).send().expect(201);
    let id = created["id"].as_str().expect("id").to_owned();
    let before = server.audit_entries();
    assert!(
        with_action(&before, "registration.read").is_empty(),
        "a write is no read"
    );

    let read = server
        .get(&format!("{REGISTRATIONS}/{id}"))
        .bearer(&ola)
        .send()
        .expect(200);
    assert_eq!(
        read["values"]["national_id"], doc["national_id"],
        "the read shows the person"
    );

    let after = server.audit_entries();
    assert_eq!(&after[..before.len()], &before[..], "earlier entries unchanged");
    let reads = with_action(&after, "registration.read");
    assert_eq!(reads.len(), 1, "{after:?}");
    assert_eq!(reads[0].actor, "token:ola");
    assert_eq!(reads[0].registration_id.map(|u| u.to_string()), Some(id.clone()));
    assert_eq!(reads[0].hospital.as_deref(), Some("UNN-TRO"));
    assert_eq!(detail(reads[0])["purpose"], "api_read");
    let national_id = doc["national_id"].as_str().expect("national id");
    assert!(
        after.iter().all(|e| !e.detail.contains(national_id)),
        "no clear id in the log"
    );

    // The history carries no national id and stays unaudited; a missing registration is
    // refused before anything is recorded.
    server.get(&format!("{REGISTRATIONS}/{id}/history")).send().expect(200);
    server
        .get(&format!("{REGISTRATIONS}/{}", uuid::Uuid::new_v4()))
        .send()
        .problem(404);
    assert_eq!(server.audit_entries().len(), after.len());
}

#[test]
fn the_registrar_form_page_audits_the_signed_in_user() {
    let server = TestServer::sqlite(WebOptions::default());
    let created = server
        .post(REGISTRATIONS)
        .json(&documents::draft(42, "UNN-TRO", "2024-04-02"))
        .send()
        .expect(201);
    let id = created["id"].as_str().expect("id").to_owned();
    server.add_user("kari", &["registrar:stroke:UNN-TRO"]);
    let kari = server.sign_in("kari");
    let page = server
        .get(&format!("/h/UNN-TRO/r/{id}"))
        .session(&kari)
        .header("Cookie", "kvalreg_lang=en")
        .send();
    assert_eq!(page.status, 200, "{}", page.text);
    let entries = server.audit_entries();
    let reads = with_action(&entries, "registration.read");
    assert_eq!(reads.len(), 1, "{entries:?}");
    assert_eq!(reads[0].actor, "kari");
    assert_eq!(reads[0].registration_id.map(|u| u.to_string()), Some(id));
    assert_eq!(detail(reads[0])["purpose"], "form");
}

#[test]
fn a_list_request_is_audited_once_with_the_filter_and_the_count() {
    let server = TestServer::sqlite(WebOptions::default());
    let ola = server.token("ola", "register_admin:stroke");
    let mut people = Vec::new();
    for (seq, hospital) in [(43, "UNN-TRO"), (44, "UNN-TRO"), (45, "UNN-TRO"), (46, "FIN-HAM")] {
        let doc = documents::draft(seq, hospital, "2024-05-06");
        server.post(REGISTRATIONS).json(&doc).send().expect(201);
        people.push(doc["national_id"].as_str().expect("national id").to_owned());
    }
    let before = server.audit_entries();

    let page = server
        .get(&format!("{REGISTRATIONS}?hospital=UNN-TRO&limit=2"))
        .bearer(&ola)
        .send()
        .expect(200);
    assert_eq!(page["total"], 3);
    assert_eq!(page["items"].as_array().map(Vec::len), Some(2));
    assert!(page["next"].is_string(), "a third registration follows");

    let after = server.audit_entries();
    assert_eq!(&after[..before.len()], &before[..], "earlier entries unchanged");
    let new = &after[before.len()..];
    assert_eq!(new.len(), 1, "one entry per list request: {new:?}");
    assert_eq!(new[0].action, "registration.list");
    assert_eq!(new[0].actor, "token:ola");
    assert_eq!(new[0].register.as_deref(), Some("stroke"));
    assert_eq!(new[0].registration_id, None);
    let detail = detail(&new[0]);
    assert_eq!(detail["count"], 2, "the registrations shown, not the one probed for");
    assert_eq!(detail["purpose"], "api_list");
    assert_eq!(detail["filter"]["hospital"], "UNN-TRO");
    assert_eq!(detail["filter"]["limit"], 2);
    assert!(people.iter().all(|p| !new[0].detail.contains(p.as_str())));
    let items = page["items"].as_array().into_iter().flatten();
    for id in items.filter_map(|r| r["id"].as_str()) {
        assert!(!new[0].detail.contains(id), "the ids listed are not named");
    }
}
