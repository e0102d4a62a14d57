//! Generic validation on a small crafted register: ranges, show-if, required and
//! required-when, introduced/retired against the period date, rule fields, the unknown
//! value, and how findings read in both languages.

use std::collections::BTreeSet;

use kvalreg_core::definition::{Register, SourceFile, load};
use kvalreg_core::messages::Lang;
use kvalreg_core::validation::{Context, Findings, Severity, Stage};
use kvalreg_core::value::{Record, Value};
use serde_json::{Map, Value as Json, json};

fn register() -> Register {
    let file = |path: &str, text: &str| SourceFile {
        path: path.to_string(),
        text: text.to_string(),
    };
    let files = [
        file(
            "register.toml",
            r#"id = "clinic"
title = { nb = "Klinikkregister", en = "Clinic register" }
period_variable = "visit_date"
person_variable = "national_id"
unit_variable = "unit"
forms = ["visit"]
"#,
        ),
        file(
            "forms/visit.toml",
            r#"title = { nb = "Besøk", en = "Visit" }

[[sections]]
id = "main"
title = { nb = "Besøk", en = "Visit" }

[[sections.variables]]
name = "national_id"
type = "text"
label = { nb = "Fødselsnummer", en = "National ID" }
required = true

[[sections.variables]]
name = "unit"
type = "code"
codes = "hospitals"
label = { nb = "Enhet", en = "Unit" }
required = true

[[sections.variables]]
name = "visit_date"
type = "date"
label = { nb = "Besøksdato", en = "Visit date" }
required = true

[[sections.variables]]
name = "score"
type = "int"
label = { nb = "Poeng", en = "Score" }
hard_range = [0, 100]
soft_range = [10, 90]
allow_unknown = true

[[sections.variables]]
name = "smoker"
type = "bool"
label = { nb = "Røyker", en = "Smoker" }

[[sections.variables]]
name = "cigarettes"
type = "int"
label = { nb = "Sigaretter per dag", en = "Cigarettes a day" }
required = "smoker"

[[sections.variables]]
name = "old_question"
type = "bool"
label = { nb = "Gammelt spørsmål", en = "Old question" }
required = true
retired = 2023-01-01

[[sections.variables]]
name = "new_question"
type = "bool"
label = { nb = "Nytt spørsmål", en = "New question" }
required = true
introduced = "2023-01-01"

[[sections.variables]]
name = "operated"
type = "bool"
label = { nb = "Operert", en = "Operated" }

[[sections]]
id = "surgery"
title = { nb = "Operasjon", en = "Surgery" }
show_if = "operated"

[[sections.variables]]
name = "surgery_date"
type = "date"
label = { nb = "Operasjonsdato", en = "Surgery date" }
required = true
"#,
        ),
        file(
            "rules.toml",
            r#"[[rules]]
id = "surgery_after_visit"
assert = "days_to_surgery >= 0"
severity = "hard"
message = { nb = "Operasjonen kan ikke være før besøket", en = "Surgery cannot be before the visit" }

[[rules]]
id = "heavy_smoker"
assert = "cigarettes <= 40"
severity = "soft"
message = { nb = "Uvanlig mange sigaretter", en = "Unusually many cigarettes" }
"#,
        ),
        file(
            "derived.toml",
            r#"[[derived]]
name = "days_to_surgery"
type = "int"
expression = "days_between(visit_date, surgery_date)"
label = { nb = "Dager til operasjon", en = "Days to surgery" }
unit = "days"
"#,
        ),
    ];
    load(&files).unwrap_or_else(|errors| panic!("{errors:#?}"))
}

fn hospitals() -> BTreeSet<String> {
    ["A-1".to_string()].into_iter().collect()
}

const PERSON: &str = "17855000091";

fn doc(value: Json) -> Map<String, Json> {
    let mut doc = json!({ "national_id": PERSON, "unit": "A-1", "visit_date": "2024-05-02", "new_question": true })
        .as_object()
        .expect("object")
        .clone();
    for (k, v) in value.as_object().expect("object") {
        doc.insert(k.clone(), v.clone());
    }
    doc
}

fn check(register: &Register, value: Json, stage: Stage) -> Findings {
    let hospitals = hospitals();
    let ctx = Context { hospitals: &hospitals };
    let record = register
        .parse_document(&doc(value), &ctx)
        .unwrap_or_else(|f| panic!("{f:#?}"));
    register.validate(&record, stage, &ctx)
}

fn rules(findings: &[kvalreg_core::validation::Finding]) -> Vec<(&str, &str)> {
    findings.iter().map(|f| (f.field.as_str(), f.rule.as_str())).collect()
}

#[test]
fn the_test_person_is_a_valid_synthetic_id() {
    let id = kvalreg_core::national_id::parse(PERSON).expect("valid");
    assert!(id.synthetic);
}

#[test]
fn hard_and_soft_ranges() {
    let r = register();
    let hard = check(&r, json!({ "score": 101 }), Stage::Draft);
    assert_eq!(rules(&hard.errors), [("score", "hard_range")]);
    assert!(hard.warnings.is_empty());
    assert_eq!(
        hard.errors[0].message(Lang::En),
        "«Score» must be between 0 and 100 (is 101)"
    );
    assert_eq!(
        hard.errors[0].message(Lang::Nb),
        "«Poeng» må være mellom 0 og 100 (er 101)"
    );

    let soft = check(&r, json!({ "score": 95 }), Stage::Draft);
    assert!(soft.errors.is_empty());
    assert_eq!(rules(&soft.warnings), [("score", "soft_range")]);
    assert_eq!(soft.warnings[0].severity, Severity::Warning);

    assert!(check(&r, json!({ "score": 50 }), Stage::Draft).is_clean());
    assert!(check(&r, json!({ "score": "unknown" }), Stage::Draft).is_clean());
}

#[test]
fn a_show_if_that_is_false_refuses_a_value_and_one_that_is_unknown_does_not() {
    let r = register();
    let hidden = check(
        &r,
        json!({ "operated": false, "surgery_date": "2024-06-01" }),
        Stage::Draft,
    );
    assert_eq!(rules(&hidden.errors), [("surgery_date", "show_if")]);
    assert_eq!(
        hidden.errors[0].message_en,
        "«Surgery date» is only allowed when operated"
    );
    assert!(
        check(&r, json!({ "surgery_date": "2024-06-01" }), Stage::Draft)
            .errors
            .is_empty()
    );
}

#[test]
fn required_and_required_when_apply_only_at_completion() {
    let r = register();
    let empty = check(&r, json!({ "smoker": true, "operated": true }), Stage::Draft);
    assert!(empty.errors.is_empty());
    let complete = check(&r, json!({ "smoker": true, "operated": true }), Stage::Complete);
    assert_eq!(
        rules(&complete.errors),
        [("cigarettes", "required"), ("surgery_date", "required")]
    );
    assert_eq!(
        complete.errors[0].message_en,
        "«Cigarettes a day» is required to complete the registration when smoker"
    );
    assert!(
        check(&r, json!({ "smoker": false, "operated": false }), Stage::Complete)
            .errors
            .is_empty()
    );
}

#[test]
fn the_unknown_value_counts_as_present() {
    let r = register();
    let hospitals = hospitals();
    let ctx = Context { hospitals: &hospitals };
    let record = r
        .parse_document(&doc(json!({ "score": "unknown" })), &ctx)
        .expect("readable");
    assert_eq!(record.get("score"), Some(&Value::Unknown));
    assert_eq!(r.document(&record)["score"], json!("unknown"));
}

#[test]
fn introduced_and_retired_follow_the_period_date() {
    let r = register();
    let old = check(
        &r,
        json!({ "visit_date": "2022-12-31", "new_question": null, "old_question": true }),
        Stage::Complete,
    );
    assert!(old.errors.is_empty(), "{old:#?}");
    let old_missing = check(
        &r,
        json!({ "visit_date": "2022-12-31", "new_question": null }),
        Stage::Complete,
    );
    assert_eq!(rules(&old_missing.errors), [("old_question", "required")]);

    let retired = check(&r, json!({ "old_question": true }), Stage::Complete);
    assert_eq!(rules(&retired.errors), [("old_question", "retired")]);
    let early = check(
        &r,
        json!({ "visit_date": "2022-06-01", "old_question": false }),
        Stage::Complete,
    );
    assert_eq!(rules(&early.errors), [("new_question", "introduced")]);
    assert!(early.errors[0].message_en.contains("2023-01-01"));
    assert!(
        check(
            &r,
            json!({ "visit_date": "2022-06-01", "old_question": false }),
            Stage::Draft
        )
        .errors
        .is_empty()
    );
}

#[test]
fn rules_fail_only_on_false_and_are_shown_beside_the_entered_fields() {
    let r = register();
    let rule = r
        .rules
        .iter()
        .find(|rule| rule.id == "surgery_after_visit")
        .expect("rule");
    assert_eq!(rule.fields, ["visit_date", "surgery_date"]);

    let before = check(
        &r,
        json!({ "operated": true, "surgery_date": "2024-05-01" }),
        Stage::Draft,
    );
    assert_eq!(
        rules(&before.errors),
        [
            ("visit_date", "surgery_after_visit"),
            ("surgery_date", "surgery_after_visit")
        ]
    );
    assert_eq!(
        before.errors[1].message(Lang::Nb),
        "Operasjonen kan ikke være før besøket"
    );
    assert!(
        check(
            &r,
            json!({ "operated": true, "surgery_date": "2024-05-02" }),
            Stage::Draft
        )
        .errors
        .is_empty()
    );
    assert!(check(&r, json!({ "operated": true }), Stage::Draft).errors.is_empty());

    let heavy = check(&r, json!({ "smoker": true, "cigarettes": 60 }), Stage::Draft);
    assert!(heavy.errors.is_empty());
    assert_eq!(rules(&heavy.warnings), [("cigarettes", "heavy_smoker")]);
}

#[test]
fn derived_values_are_computed_not_entered() {
    let r = register();
    let hospitals = hospitals();
    let ctx = Context { hospitals: &hospitals };
    let record = r
        .parse_document(&doc(json!({ "operated": true, "surgery_date": "2024-05-12" })), &ctx)
        .expect("readable");
    let mut expected = Record::new();
    expected.insert("days_to_surgery".to_string(), Value::Int(10));
    assert_eq!(r.derive(&record), expected);
    assert!(!r.document(&record).contains_key("days_to_surgery"));
}

#[test]
fn empty_values_are_missing_and_the_unit_must_be_a_known_hospital() {
    let r = register();
    let hospitals = hospitals();
    let ctx = Context { hospitals: &hospitals };
    let record = r
        .parse_document(&doc(json!({ "score": null, "surgery_date": "" })), &ctx)
        .expect("readable");
    assert!(!record.contains_key("score") && !record.contains_key("surgery_date"));
    let refused = r
        .parse_document(&doc(json!({ "unit": "B-2" })), &ctx)
        .expect_err("unknown unit");
    assert_eq!(rules(&refused), [("unit", "code_list")]);
    assert_eq!(
        refused[0].message_en,
        "«Unit»: the code «B-2» is not in the code list «hospitals»"
    );
}

#[test]
fn findings_serialise_with_lowercase_severity() {
    let r = register();
    let findings = check(&r, json!({ "score": 101 }), Stage::Draft);
    let json = serde_json::to_value(&findings.errors[0]).expect("serialisable");
    assert_eq!(json["severity"], json!("error"));
    assert_eq!(json["rule"], json!("hard_range"));
    assert_eq!(json["field"], json!("score"));
}

#[test]
fn validate_checks_codes_of_records_built_elsewhere() {
    let r = register();
    let hospitals = hospitals();
    let ctx = Context { hospitals: &hospitals };
    let mut record = r.parse_document(&doc(json!({})), &ctx).expect("readable");
    record.insert("unit".to_string(), Value::Code("Z-9".to_string()));
    let findings = r.validate(&record, Stage::Draft, &ctx);
    assert_eq!(rules(&findings.errors), [("unit", "code_list")]);
}
