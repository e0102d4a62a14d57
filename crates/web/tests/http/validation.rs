//! What the register's rules do to a write over HTTP: every hard error listed with field,
//! rule and message in the asked language; soft warnings accepted, returned and stored;
//! unknown fields and values of the wrong type refused.

use kvalreg_web::WebOptions;
use serde_json::{Value as Json, json};

use crate::documents;
use crate::server::{TestServer, field_rules};

const REGISTRATIONS: &str = "/api/v1/registers/stroke/registrations";

fn has(pairs: &[(String, String)], field: &str, rule: &str) -> bool {
    pairs.iter().any(|(f, r)| f == field && r == rule)
}

fn message_of<'a>(problem: &'a Json, rule: &str) -> &'a str {
    problem["errors"]
        .as_array()
        .and_then(|errors| errors.iter().find(|e| e["rule"] == rule))
        .and_then(|e| e["message"].as_str())
        .unwrap_or_else(|| panic!("no {rule} error in {problem}"))
}

#[test]
fn every_hard_error_is_listed_in_the_asked_language() {
    let server = TestServer::sqlite(WebOptions::default());
    let mut doc = documents::draft(2, "UNN-TRO", "2024-03-10");
    doc["sex"] = json!("male"); // the synthetic id's sex digit says female
    doc["nihss_admission"] = json!(50);
    doc["prestroke_mrs"] = json!(6);
    doc["onset_time"] = json!("2024-03-10T09:30"); // after arrival at 08:25

    let english = server.post(REGISTRATIONS).json(&doc).send().problem(422);
    assert_eq!(english["type"], "/problems/validation");
    let pairs = field_rules(&english);
    assert!(has(&pairs, "sex", "sex_matches_id"), "{english}");
    assert!(has(&pairs, "nihss_admission", "hard_range"), "{english}");
    assert!(has(&pairs, "prestroke_mrs", "hard_range"), "{english}");
    assert!(pairs.iter().any(|(_, r)| r == "onset_before_arrival"), "{english}");
    assert_eq!(
        message_of(&english, "onset_before_arrival"),
        "Onset cannot be after arrival at hospital"
    );
    for error in english["errors"].as_array().into_iter().flatten() {
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()), "{error}");
    }

    let norwegian = server.post(REGISTRATIONS).nb().json(&doc).send().problem(422);
    assert_eq!(field_rules(&norwegian), pairs, "the same errors in both languages");
    assert_eq!(
        message_of(&norwegian, "onset_before_arrival"),
        "Symptomdebut kan ikke være etter ankomst sykehus"
    );
    assert_ne!(message_of(&norwegian, "hard_range"), message_of(&english, "hard_range"));
    assert_eq!(norwegian["title"], "Opplysningene ble avvist");

    let listed = server.get(REGISTRATIONS).send().expect(200);
    assert_eq!(listed["total"], 0, "a refused write stores nothing");
}

#[test]
fn a_soft_warning_is_accepted_returned_and_stored() {
    let server = TestServer::sqlite(WebOptions::default());
    let mut doc = documents::draft(3, "UNN-TRO", "2024-03-10");
    doc["ivt"] = json!(true);
    doc["ivt_time"] = json!("2024-03-10T08:05"); // before arrival at 08:25: prehospital lysis
    let created = server.post(REGISTRATIONS).nb().json(&doc).send();
    let body = created.expect(201);
    let warnings = body["warnings"].as_array().expect("warnings");
    let lysis = warnings
        .iter()
        .find(|w| w["rule"] == "prehospital_lysis")
        .unwrap_or_else(|| panic!("no prehospital lysis warning: {body}"));
    assert_eq!(lysis["severity"], "warning");
    assert_eq!(lysis["field"], "ivt_time");
    assert!(
        lysis["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("Trombolyse før ankomst"),
        "{lysis}"
    );

    let location = created.header("location").expect("Location");
    let stored = server.get(location).send().expect(200);
    assert!(
        stored["warnings"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|w| w["rule"] == "prehospital_lysis"),
        "{stored}"
    );
    let history = server.get(&format!("{location}/history")).send().expect(200);
    assert!(
        history["versions"][0]["warnings"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|w| w["rule"] == "prehospital_lysis"),
        "{history}"
    );
}

#[test]
fn unknown_fields_and_wrong_types_are_refused() {
    let server = TestServer::sqlite(WebOptions::default());
    let mut doc = documents::draft(4, "UNN-TRO", "2024-03-10");
    doc["favourite_colour"] = json!("blue");
    let problem = server.post(REGISTRATIONS).json(&doc).send().problem(422);
    assert!(
        has(&field_rules(&problem), "favourite_colour", "unknown_field"),
        "{problem}"
    );

    let mut doc = documents::draft(5, "UNN-TRO", "2024-03-10");
    doc["nihss_admission"] = json!("ten");
    doc["ivt"] = json!("yes");
    doc["arrival_time"] = json!(20240310);
    let problem = server.post(REGISTRATIONS).json(&doc).send().problem(422);
    let pairs = field_rules(&problem);
    for field in ["nihss_admission", "ivt", "arrival_time"] {
        assert!(has(&pairs, field, "type"), "{field}: {problem}");
    }

    let mut doc = documents::draft(8, "UNN-TRO", "2024-03-10");
    doc["nihss_admission"] = json!("ten");
    doc["mrs_discharge"] = json!(9);
    let problem = server.post(REGISTRATIONS).json(&doc).send().problem(422);
    let pairs = field_rules(&problem);
    assert!(has(&pairs, "nihss_admission", "type"), "{problem}");
    assert!(has(&pairs, "mrs_discharge", "hard_range"), "{problem}");

    let mut doc = documents::draft(6, "UNN-TRO", "2024-03-10");
    doc["status"] = json!("locked");
    let problem = server.post(REGISTRATIONS).json(&doc).send().problem(422);
    assert!(has(&field_rules(&problem), "status", "code"), "{problem}");

    let mut doc = documents::draft(7, "NO-SUCH-HOSPITAL", "2024-03-10");
    doc["diagnosis"] = json!("I60");
    let problem = server.post(REGISTRATIONS).json(&doc).send().problem(422);
    let pairs = field_rules(&problem);
    assert!(pairs.iter().any(|(f, _)| f == "hospital"), "{problem}");
    assert!(has(&pairs, "diagnosis", "code_list"), "{problem}");
    assert_eq!(server.get(REGISTRATIONS).send().expect(200)["total"], 0);
}

#[test]
fn a_complete_registration_must_pass_completion() {
    let server = TestServer::sqlite(WebOptions::default());
    let mut doc = documents::draft(8, "UNN-TRO", "2024-03-10");
    doc["status"] = json!("complete");
    let problem = server.post(REGISTRATIONS).json(&doc).send().problem(422);
    assert!(has(&field_rules(&problem), "discharge_date", "required"), "{problem}");

    let mut doc = documents::complete(8, "UNN-TRO", "2024-03-10");
    doc["status"] = json!("complete");
    let body = server.post(REGISTRATIONS).json(&doc).send().expect(201);
    assert_eq!(body["status"], "complete");
    assert!(body["values"].get("status").is_none(), "status is not a value: {body}");
}
