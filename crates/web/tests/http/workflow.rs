//! Workflow routes over HTTP: a probable duplicate refused until confirmed, locking, and a
//! hospital's worklist with counts.

use kvalreg_web::WebOptions;
use serde_json::json;

use crate::documents;
use crate::server::{TestServer, field_rules};

const REGISTRATIONS: &str = "/api/v1/registers/stroke/registrations";

#[test]
fn duplicates_lock_and_worklist() {
    let server = TestServer::sqlite(WebOptions::default());
    let mut complete = documents::complete(7, "UNN-TRO", "2024-03-10");
    complete["status"] = json!("complete");
    let first = server.post(REGISTRATIONS).json(&complete).send();
    let first = first.expect(201);
    let id = first["id"].as_str().expect("id").to_owned();

    // The same person three days later is refused until the registrar confirms a new event.
    let again = documents::draft(7, "FIN-HAM", "2024-03-13");
    let refused = server.post(REGISTRATIONS).nb().json(&again).send().problem(422);
    assert_eq!(
        field_rules(&refused),
        vec![("national_id".to_owned(), "possible_duplicate".to_owned())]
    );
    assert!(
        refused["errors"][0]["message"].as_str().unwrap_or("").contains(&id),
        "{refused}"
    );
    let mut confirmed = again.clone();
    confirmed["confirm_new_event"] = json!(true);
    server.post(REGISTRATIONS).json(&confirmed).send().expect(201);
    let mut wrong = again.clone();
    wrong["confirm_new_event"] = json!("yes");
    let problem = server.post(REGISTRATIONS).json(&wrong).send().problem(422);
    assert_eq!(
        field_rules(&problem),
        vec![("confirm_new_event".to_owned(), "type".to_owned())]
    );

    // Lock: only a complete registration, with the current version.
    let location = format!("{REGISTRATIONS}/{id}");
    server.post(&format!("{location}/lock")).if_match(1).send().expect(200);
    let locked = server.get(&location).send().expect(200);
    assert_eq!(
        (locked["status"].as_str(), locked["version"].as_i64()),
        (Some("locked"), Some(2))
    );
    server.post(&format!("{location}/lock")).if_match(2).send().problem(409);
    let mut changed = documents::complete(7, "UNN-TRO", "2024-03-10");
    changed["nihss_admission"] = json!(5);
    let problem = server.put(&location).if_match(2).json(&changed).send().problem(409);
    assert_eq!(problem["type"], "/problems/locked");

    // Worklist of FIN-HAM 100 days after onset: the draft, lacking data, follow-up due.
    let list = server
        .get("/api/v1/registers/stroke/worklist?hospital=FIN-HAM&today=2024-06-21")
        .send()
        .expect(200);
    assert_eq!(
        list["counts"],
        json!({"drafts": 1, "missing_data": 1, "follow_ups_due": 1})
    );
    assert_eq!(list["drafts"][0]["onset"], "2024-03-13");
    assert!(
        list["missing_data"][0]["missing"]
            .as_array()
            .is_some_and(|m| m.contains(&json!("discharge_date"))),
        "{list}"
    );
    let empty = server
        .get("/api/v1/registers/stroke/worklist?hospital=UNN-TRO&today=2024-03-11")
        .send()
        .expect(200);
    assert_eq!(
        empty["counts"],
        json!({"drafts": 0, "missing_data": 0, "follow_ups_due": 0})
    );
    let problem = server.get("/api/v1/registers/stroke/worklist").send().problem(400);
    assert_eq!(
        field_rules(&problem),
        vec![("hospital".to_owned(), "required".to_owned())]
    );
}
