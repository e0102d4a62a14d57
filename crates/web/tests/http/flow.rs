//! The life of one registration over HTTP: create, read, replace with If-Match, a stale
//! write refused, complete, reopen with a reason, and the history of every version.
//! Run against SQLite always and against PostgreSQL (which must be configured).

use kvalreg_web::WebOptions;
use serde_json::json;

use crate::documents;
use crate::server::{TestServer, field_rules};

const REGISTRATIONS: &str = "/api/v1/registers/stroke/registrations";

/// The main flow; every step checks what the server stored, not only what it answered.
pub fn main_flow(server: &TestServer) {
    let ola = server.token("ola.registrar", "registrar:stroke:UNN-TRO");
    let kari = server.token("kari.registrar", "registrar:stroke:UNN-TRO");
    let lead = server.token("unit.lead", "unit_lead:stroke:UNN-TRO");
    let draft = documents::draft(1, "UNN-TRO", "2024-03-10");
    let created = server.post(REGISTRATIONS).bearer(&ola).json(&draft).send();
    let body = created.expect(201);
    assert_eq!(created.header("etag"), Some("\"1\""));
    let id = body["id"].as_str().expect("id").to_owned();
    let location = created.header("location").expect("Location").to_owned();
    assert_eq!(location, format!("{REGISTRATIONS}/{id}"));
    assert_eq!(body["status"], "draft");
    assert_eq!(body["version"], 1);
    assert_eq!(body["hospital"], "UNN-TRO");
    assert_eq!(body["updated_by"], "token:ola.registrar");
    assert_eq!(body["values"]["national_id"], draft["national_id"]);
    assert_eq!(body["warnings"], json!([]));

    let read = server.get(&location).send();
    let stored = read.expect(200);
    assert_eq!(read.header("etag"), Some("\"1\""));
    assert_eq!(stored["values"], body["values"]);

    let mut changed = draft.clone();
    changed["nihss_admission"] = json!(4);
    let updated = server.put(&location).if_match(1).bearer(&kari).json(&changed).send();
    let body = updated.expect(200);
    assert_eq!(updated.header("etag"), Some("\"2\""));
    assert_eq!(body["version"], 2);
    assert_eq!(body["values"]["nihss_admission"], 4);

    // A write based on version 1 is stale now: refused, naming the current version, and
    // nothing changes.
    let mut stale = draft.clone();
    stale["nihss_admission"] = json!(9);
    let refused = server.put(&location).if_match(1).json(&stale).send();
    let problem = refused.problem(409);
    assert_eq!(problem["type"], "/problems/version-conflict");
    assert_eq!(problem["current_version"], 2);
    assert!(problem["detail"].as_str().unwrap_or("").contains('2'), "{problem}");
    let now = server.get(&location).send().expect(200);
    assert_eq!(now["version"], 2);
    assert_eq!(now["values"]["nihss_admission"], 4);

    // Without If-Match the server cannot know what the client saw.
    let problem = server.put(&location).json(&changed).send().problem(428);
    assert_eq!(field_rules(&problem), [("If-Match".to_owned(), "required".to_owned())]);

    // Completing a draft that lacks required values lists each of them.
    let problem = server
        .post(&format!("{location}/complete"))
        .if_match(2)
        .send()
        .problem(422);
    let missing: Vec<String> = field_rules(&problem)
        .into_iter()
        .filter(|(_, r)| r == "required")
        .map(|(f, _)| f)
        .collect();
    for field in [
        "inclusion_criterion",
        "stroke_location",
        "discharge_date",
        "discharge_destination",
    ] {
        assert!(
            missing.iter().any(|m| m == field),
            "{field} not listed as required: {problem}"
        );
    }
    assert_eq!(server.get(&location).send().expect(200)["status"], "draft");

    let full = documents::complete(1, "UNN-TRO", "2024-03-10");
    server.put(&location).if_match(2).json(&full).send().expect(200);
    // Completing is the unit lead's (domain.md 2): a registrar is refused, naming the rule.
    let problem = server
        .post(&format!("{location}/complete"))
        .if_match(3)
        .bearer(&ola)
        .send()
        .problem(403);
    assert_eq!(
        field_rules(&problem),
        [("authorization".to_owned(), "manage_records".to_owned())]
    );
    let completed = server
        .post(&format!("{location}/complete"))
        .if_match(3)
        .bearer(&lead)
        .send();
    let body = completed.expect(200);
    assert_eq!(body["status"], "complete");
    assert_eq!(completed.header("etag"), Some("\"4\""));

    let problem = server
        .post(&format!("{location}/reopen"))
        .if_match(4)
        .json(&json!({"reason": "  "}))
        .send()
        .problem(422);
    assert_eq!(field_rules(&problem)[0].0, "reason");
    let reason = "Feil utskrivningsdato oppdaget ved kontroll";
    let reopened = server
        .post(&format!("{location}/reopen"))
        .if_match(4)
        .bearer(&lead)
        .json(&json!({ "reason": reason }))
        .send();
    let body = reopened.expect(200);
    assert_eq!(body["status"], "draft");
    assert_eq!(body["version"], 5);

    let history = server.get(&format!("{location}/history")).send().expect(200);
    let versions = history["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 5, "{history}");
    let numbers: Vec<i64> = versions.iter().map(|v| v["version"].as_i64().unwrap_or(0)).collect();
    assert_eq!(numbers, [1, 2, 3, 4, 5]);
    let statuses: Vec<&str> = versions.iter().map(|v| v["status"].as_str().unwrap_or("")).collect();
    assert_eq!(statuses, ["draft", "draft", "draft", "complete", "draft"]);
    assert_eq!(versions[0]["changed_by"], "token:ola.registrar");
    assert_eq!(versions[1]["changed_by"], "token:kari.registrar");
    assert_eq!(versions[4]["reason"], reason);
    assert!(versions[1]["reason"].is_null());
    let nihss_change = versions[1]["changes"]
        .as_array()
        .and_then(|changes| changes.iter().find(|c| c["field"] == "nihss_admission"))
        .unwrap_or_else(|| panic!("version 2 does not record the NIHSS change: {history}"));
    assert!(nihss_change["before"].is_null());
    assert_eq!(nihss_change["after"], 4);
    for version in versions {
        assert!(
            version["changed_at"].is_string() && version["hospital"] == "UNN-TRO",
            "{version}"
        );
    }
}

#[test]
fn main_flow_on_sqlite() {
    main_flow(&TestServer::sqlite(WebOptions::default()));
}

#[test]
fn main_flow_on_postgresql() {
    main_flow(&TestServer::postgres());
}
