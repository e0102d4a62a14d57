//! The stroke register's own content (registers/stroke): every rule of domain.md 3.3 with a
//! passing and a failing case, the completion requirements of 3.3b, the derived values and
//! time handling of 3.4, document reading and writing, and the codebook. All persons are
//! synthetic (Norwegian synthetic test numbers: 80 added to the month).

// The full registration below is one `json!` literal with about 90 fields.
#![recursion_limit = "512"]

mod support;

use std::collections::BTreeSet;
use std::sync::OnceLock;

use kvalreg_core::validation::{Context, Findings, Severity, Stage};
use kvalreg_core::value::{Record, Value};
use serde_json::{Map, Value as Json, json};
use support::stroke;

type Doc = Map<String, Json>;

fn hospitals() -> &'static BTreeSet<String> {
    static HOSPITALS: OnceLock<BTreeSet<String>> = OnceLock::new();
    HOSPITALS.get_or_init(|| {
        ["UNN-TRO", "FIN-HAM", "OUS-RH", "HUS-HAU"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    })
}

fn ctx() -> Context<'static> {
    Context { hospitals: hospitals() }
}

/// A synthetic Norwegian birth number (80 added to the month) for a birth date
/// `YYYY-MM-DD`, male or female by the ninth digit.
fn national_id(birth: &str, male: bool) -> String {
    let (year, month, day) = (&birth[2..4], &birth[5..7], &birth[8..10]);
    let month: u32 = month.parse::<u32>().expect("month") + 80;
    let individuals = if birth.starts_with("19") { 0..500 } else { 500..1000 };
    let mod11 = |digits: &[u32], weights: &[u32]| -> Option<u32> {
        let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
        match 11 - sum % 11 {
            11 => Some(0),
            10 => None,
            k => Some(k),
        }
    };
    for individual in individuals {
        if (individual % 2 == 1) != male {
            continue;
        }
        let base = format!("{day}{month:02}{year}{individual:03}");
        let mut digits: Vec<u32> = base.chars().map(|c| c.to_digit(10).expect("digit")).collect();
        let Some(k1) = mod11(&digits, &[3, 7, 6, 1, 8, 9, 4, 5, 2]) else {
            continue;
        };
        digits.push(k1);
        let Some(k2) = mod11(&digits, &[5, 4, 3, 2, 7, 6, 5, 4, 3, 2]) else {
            continue;
        };
        return format!("{base}{k1}{k2}");
    }
    panic!("no valid number for {birth}")
}

/// A complete registration: thrombolysis, no thrombectomy, discharged home.
fn base() -> Doc {
    let doc = json!({
        "national_id": national_id("1950-05-17", true),
        "hospital": "UNN-TRO",
        "sex": "male",
        "prestroke_mrs": 1,
        "atrial_fibrillation": "no",
        "diagnosis": "I63",
        "inclusion_criterion": "1",
        "onset_time": "2024-03-12T08:15+01:00",
        "stroke_location": "outside_hospital",
        "arrival_time": "2024-03-12T09:05+01:00",
        "first_ward": "stroke_unit",
        "nihss_admission": 8,
        "imaging_time": "2024-03-12T09:20+01:00",
        "imaging_modality": "ct",
        "ivt": true,
        "ivt_drug": "tenecteplase",
        "ivt_time": "2024-03-12T09:35+01:00",
        "ivt_hospital": "UNN-TRO",
        "evt": false,
        "swallow_screen": "yes",
        "discharge_date": "2024-03-19",
        "discharge_destination": "home",
        "mrs_discharge": 2,
        "dis_antiplatelet": true,
        "dis_statin": true
    });
    doc.as_object().expect("object").clone()
}

/// The base with a direct thrombectomy.
fn evt_direct() -> Doc {
    edit(
        base(),
        &[
            ("evt", json!(true)),
            ("evt_hospital", json!("UNN-TRO")),
            ("evt_pathway", json!("direct")),
            ("groin_puncture_time", json!("2024-03-12T10:05+01:00")),
            ("reperfusion_time", json!("2024-03-12T10:40+01:00")),
            ("passes", json!(2)),
            ("tici_final", json!("2b")),
        ],
    )
}

/// A drip-and-ship thrombectomy: arrival at FIN-HAM, transfer to UNN-TRO.
fn evt_transfer() -> Doc {
    edit(
        evt_direct(),
        &[
            ("hospital", json!("FIN-HAM")),
            ("ivt_hospital", json!("FIN-HAM")),
            ("evt_pathway", json!("transfer")),
            ("primary_departure_time", json!("2024-03-12T10:00+01:00")),
            ("evt_centre_arrival_time", json!("2024-03-12T11:30+01:00")),
            ("groin_puncture_time", json!("2024-03-12T11:55+01:00")),
            ("reperfusion_time", json!("2024-03-12T12:20+01:00")),
        ],
    )
}

/// Sets fields; a JSON null removes the field.
fn edit(mut doc: Doc, changes: &[(&str, Json)]) -> Doc {
    for (field, value) in changes {
        if value.is_null() {
            doc.remove(*field);
        } else {
            doc.insert(field.to_string(), value.clone());
        }
    }
    doc
}

fn parse(doc: &Doc) -> Record {
    stroke()
        .parse_document(doc, &ctx())
        .unwrap_or_else(|findings| panic!("refused: {findings:#?}"))
}

fn validate(doc: &Doc, stage: Stage) -> Findings {
    stroke().validate(&parse(doc), stage, &ctx())
}

/// (field, rule) of every error, or of every warning.
fn pairs(findings: &[kvalreg_core::validation::Finding]) -> Vec<(String, String)> {
    findings.iter().map(|f| (f.field.clone(), f.rule.clone())).collect()
}

fn has(findings: &[kvalreg_core::validation::Finding], field: &str, rule: &str) -> bool {
    findings.iter().any(|f| f.field == field && f.rule == rule)
}

/// A rule passes on one edit of `start` and fails (with `severity`, beside `field`) on another.
fn check_rule(
    rule: &str,
    severity: Severity,
    field: &str,
    start: Doc,
    passing: &[(&str, Json)],
    failing: &[(&str, Json)],
) {
    let pass = validate(&edit(start.clone(), passing), Stage::Draft);
    assert!(
        !pass.errors.iter().chain(&pass.warnings).any(|f| f.rule == rule),
        "{rule} should pass: {pass:#?}"
    );
    let fail = validate(&edit(start, failing), Stage::Draft);
    let (hit, other) = match severity {
        Severity::Error => (&fail.errors, &fail.warnings),
        Severity::Warning => (&fail.warnings, &fail.errors),
    };
    assert!(
        has(hit, field, rule),
        "{rule} should fail as {severity:?} beside {field}: {fail:#?}"
    );
    assert!(
        !other.iter().any(|f| f.rule == rule),
        "{rule} has the wrong severity: {fail:#?}"
    );
}

#[test]
fn a_complete_registration_has_no_findings() {
    for doc in [base(), evt_direct(), evt_transfer()] {
        let findings = validate(&doc, Stage::Complete);
        assert!(
            findings.errors.is_empty() && findings.warnings.is_empty(),
            "{findings:#?}"
        );
    }
}

// Time order (domain.md 3.3).

#[test]
fn onset_before_arrival() {
    check_rule(
        "onset_before_arrival",
        Severity::Error,
        "onset_time",
        base(),
        &[("onset_time", json!("2024-03-12T09:05+01:00"))],
        &[("onset_time", json!("2024-03-12T09:06+01:00"))],
    );
}

#[test]
fn a_date_only_time_errs_only_when_the_dates_prove_the_order_wrong() {
    check_rule(
        "onset_before_arrival",
        Severity::Error,
        "arrival_time",
        base(),
        &[("onset_time", json!("2024-03-12"))],
        &[("onset_time", json!("2024-03-13"))],
    );
    check_rule(
        "arrival_before_imaging",
        Severity::Error,
        "imaging_time",
        base(),
        &[
            ("arrival_time", json!("2024-03-12")),
            ("imaging_time", json!("2024-03-12T00:05+01:00")),
        ],
        &[
            ("arrival_time", json!("2024-03-12")),
            ("imaging_time", json!("2024-03-11T23:55+01:00")),
        ],
    );
}

#[test]
fn arrival_before_imaging() {
    check_rule(
        "arrival_before_imaging",
        Severity::Error,
        "arrival_time",
        base(),
        &[("imaging_time", json!("2024-03-12T09:05+01:00"))],
        &[("imaging_time", json!("2024-03-12T09:04+01:00"))],
    );
}

#[test]
fn arrival_before_groin_puncture() {
    check_rule(
        "arrival_before_groin",
        Severity::Error,
        "groin_puncture_time",
        evt_direct(),
        &[("groin_puncture_time", json!("2024-03-12T09:06+01:00"))],
        &[("groin_puncture_time", json!("2024-03-12T09:00+01:00"))],
    );
}

#[test]
fn groin_puncture_before_reperfusion() {
    check_rule(
        "groin_before_reperfusion",
        Severity::Error,
        "reperfusion_time",
        evt_direct(),
        &[("reperfusion_time", json!("2024-03-12T10:05+01:00"))],
        &[("reperfusion_time", json!("2024-03-12T10:04+01:00"))],
    );
}

#[test]
fn transfer_arrival_before_departure() {
    check_rule(
        "arrival_before_departure",
        Severity::Error,
        "primary_departure_time",
        evt_transfer(),
        &[("primary_departure_time", json!("2024-03-12T09:05+01:00"))],
        &[("primary_departure_time", json!("2024-03-12T09:00+01:00"))],
    );
}

#[test]
fn transfer_departure_before_evt_centre_arrival() {
    check_rule(
        "departure_before_evt_arrival",
        Severity::Error,
        "evt_centre_arrival_time",
        evt_transfer(),
        &[("evt_centre_arrival_time", json!("2024-03-12T10:00+01:00"))],
        &[("evt_centre_arrival_time", json!("2024-03-12T09:59+01:00"))],
    );
}

#[test]
fn transfer_evt_centre_arrival_before_groin_puncture() {
    check_rule(
        "evt_arrival_before_groin",
        Severity::Error,
        "groin_puncture_time",
        evt_transfer(),
        &[("groin_puncture_time", json!("2024-03-12T11:30+01:00"))],
        &[("groin_puncture_time", json!("2024-03-12T11:20+01:00"))],
    );
}

#[test]
fn prehospital_lysis_is_a_warning() {
    check_rule(
        "prehospital_lysis",
        Severity::Warning,
        "ivt_time",
        base(),
        &[("ivt_time", json!("2024-03-12T09:05+01:00"))],
        &[("ivt_time", json!("2024-03-12T08:50+01:00"))],
    );
}

#[test]
fn lysis_more_than_four_and_a_half_hours_after_onset_is_a_warning() {
    check_rule(
        "late_lysis",
        Severity::Warning,
        "ivt_time",
        base(),
        &[("ivt_time", json!("2024-03-12T12:45+01:00"))],
        &[("ivt_time", json!("2024-03-12T12:46+01:00"))],
    );
}

#[test]
fn thrombolysis_implies_not_haemorrhage() {
    check_rule(
        "ivt_not_haemorrhage",
        Severity::Error,
        "diagnosis",
        base(),
        &[
            ("diagnosis", json!("I61")),
            ("ivt", json!(false)),
            ("ivt_drug", Json::Null),
            ("ivt_time", Json::Null),
            ("ivt_hospital", Json::Null),
        ],
        &[("diagnosis", json!("I61"))],
    );
}

#[test]
fn i64_only_without_imaging() {
    check_rule(
        "i64_without_imaging",
        Severity::Warning,
        "diagnosis",
        base(),
        &[("diagnosis", json!("I64")), ("imaging_modality", json!("none"))],
        &[("diagnosis", json!("I64"))],
    );
}

#[test]
fn age_at_onset_is_at_least_18() {
    check_rule(
        "adult",
        Severity::Error,
        "onset_time",
        base(),
        &[("national_id", json!(national_id("2006-03-12", true)))],
        &[("national_id", json!(national_id("2006-03-13", true)))],
    );
    check_rule(
        "adult",
        Severity::Error,
        "birth_date",
        base(),
        &[("birth_date", json!("1980-01-01"))],
        &[("birth_date", json!("2010-01-01"))],
    );
}

#[test]
fn sex_agrees_with_the_national_id() {
    check_rule(
        "sex_matches_id",
        Severity::Error,
        "sex",
        base(),
        &[
            ("national_id", json!(national_id("1950-05-17", false))),
            ("sex", json!("female")),
        ],
        &[("sex", json!("female"))],
    );
}

#[test]
fn discharge_not_before_arrival() {
    check_rule(
        "discharge_after_arrival",
        Severity::Error,
        "discharge_date",
        base(),
        &[("discharge_date", json!("2024-03-12"))],
        &[("discharge_date", json!("2024-03-11"))],
    );
}

#[test]
fn death_not_before_onset() {
    let died = edit(
        base(),
        &[
            ("discharge_destination", json!("died")),
            ("dis_antiplatelet", Json::Null),
            ("dis_statin", Json::Null),
        ],
    );
    check_rule(
        "death_after_onset",
        Severity::Error,
        "death_date",
        died,
        &[("death_date", json!("2024-03-12"))],
        &[("death_date", json!("2024-03-11"))],
    );
}

#[test]
fn mrs_3m_is_6_when_death_is_known_before_follow_up() {
    let followed = edit(
        base(),
        &[
            ("death_date", json!("2024-05-02")),
            ("fu_done", json!(true)),
            ("fu_method", json!("phone")),
            ("fu_date", json!("2024-06-10")),
        ],
    );
    check_rule(
        "mrs_3m_dead",
        Severity::Warning,
        "mrs_3m",
        followed,
        &[("mrs_3m", json!(6))],
        &[("mrs_3m", json!(4))],
    );
}

// Ranges (domain.md 3.3).

#[test]
fn ranges() {
    let cases: [(&str, Json, Json, &str); 8] = [
        ("nihss_admission", json!(42), json!(43), "hard_range"),
        ("nihss_admission", json!(0), json!(-1), "hard_range"),
        ("nihss_24h", json!("unknown"), json!(50), "hard_range"),
        ("prestroke_mrs", json!(5), json!(6), "hard_range"),
        ("mrs_discharge", json!(6), json!(7), "hard_range"),
        ("passes", json!(20), json!(21), "hard_range"),
        ("passes", json!(3), json!(11), "soft_range"),
        ("mrs_3m", json!(6), json!(7), "hard_range"),
    ];
    for (field, good, bad, rule) in cases {
        let start = if field == "mrs_3m" {
            edit(
                evt_direct(),
                &[
                    ("fu_done", json!(true)),
                    ("fu_method", json!("phone")),
                    ("fu_date", json!("2024-06-10")),
                ],
            )
        } else {
            evt_direct()
        };
        let severity = if rule == "soft_range" {
            Severity::Warning
        } else {
            Severity::Error
        };
        check_rule(rule, severity, field, start, &[(field, good)], &[(field, bad)]);
    }
}

#[test]
fn nihss_not_done_is_the_unknown_value() {
    let record = parse(&edit(base(), &[("nihss_admission", json!("unknown"))]));
    assert_eq!(record.get("nihss_admission"), Some(&Value::Unknown));
    let refused = stroke().parse_document(&edit(base(), &[("prestroke_mrs", json!("unknown"))]), &ctx());
    let findings = refused.expect_err("mRS has no unknown value");
    assert_eq!(pairs(&findings), [("prestroke_mrs".to_string(), "type".to_string())]);
}

// Conditional values (domain.md 3.3).

#[test]
fn the_evt_module_only_when_evt() {
    let findings = validate(
        &edit(base(), &[("evt_pathway", json!("direct")), ("passes", json!(1))]),
        Stage::Draft,
    );
    assert!(has(&findings.errors, "evt_pathway", "show_if"), "{findings:#?}");
    assert!(has(&findings.errors, "passes", "show_if"));
    assert!(
        findings.errors[0].message_en.contains("only allowed when evt"),
        "{}",
        findings.errors[0].message_en
    );
    assert!(validate(&evt_direct(), Stage::Draft).errors.is_empty());
}

#[test]
fn transfer_times_only_for_transfers() {
    let findings = validate(
        &edit(
            evt_direct(),
            &[("primary_departure_time", json!("2024-03-12T09:40+01:00"))],
        ),
        Stage::Draft,
    );
    assert!(
        has(&findings.errors, "primary_departure_time", "show_if"),
        "{findings:#?}"
    );
}

#[test]
fn thrombolysis_details_only_when_ivt() {
    let findings = validate(&edit(base(), &[("ivt", json!(false))]), Stage::Draft);
    for field in ["ivt_drug", "ivt_time", "ivt_hospital"] {
        assert!(has(&findings.errors, field, "show_if"), "{field}: {findings:#?}");
    }
}

#[test]
fn follow_up_answers_only_when_fu_done() {
    let answered = edit(
        base(),
        &[
            ("fu_done", json!(false)),
            ("mrs_3m", json!(2)),
            ("prom_speech", json!(true)),
        ],
    );
    let findings = validate(&answered, Stage::Draft);
    assert!(
        has(&findings.errors, "mrs_3m", "show_if") && has(&findings.errors, "prom_speech", "show_if"),
        "{findings:#?}"
    );
    let done = edit(
        answered,
        &[
            ("fu_done", json!(true)),
            ("fu_method", json!("web")),
            ("fu_date", json!("2024-06-10")),
        ],
    );
    assert!(validate(&done, Stage::Complete).errors.is_empty());
    let reason = edit(
        base(),
        &[("fu_done", json!(true)), ("fu_not_done_reason", json!("declined"))],
    );
    assert!(has(
        &validate(&reason, Stage::Draft).errors,
        "fu_not_done_reason",
        "show_if"
    ));
}

#[test]
fn discharge_medication_not_allowed_when_the_patient_died() {
    let died = edit(
        base(),
        &[
            ("discharge_destination", json!("died")),
            ("death_date", json!("2024-03-18")),
        ],
    );
    let findings = validate(&died, Stage::Draft);
    assert_eq!(
        pairs(&findings.errors),
        [
            ("dis_antiplatelet".to_string(), "show_if".to_string()),
            ("dis_statin".to_string(), "show_if".to_string())
        ]
    );
    let cleared = edit(died, &[("dis_antiplatelet", Json::Null), ("dis_statin", Json::Null)]);
    assert!(validate(&cleared, Stage::Complete).errors.is_empty());
}

#[test]
fn no_reperfusion_reason_only_without_reperfusion() {
    let given = edit(base(), &[("no_reperfusion_reason", json!("declined"))]);
    assert!(has(
        &validate(&given, Stage::Draft).errors,
        "no_reperfusion_reason",
        "show_if"
    ));
    let none = edit(
        base(),
        &[
            ("ivt", json!(false)),
            ("ivt_drug", Json::Null),
            ("ivt_time", Json::Null),
            ("ivt_hospital", Json::Null),
            ("no_reperfusion_reason", json!("declined")),
        ],
    );
    assert!(validate(&none, Stage::Complete).errors.is_empty());
}

// Completion (domain.md 3.3b).

fn required_missing(doc: &Doc) -> Vec<String> {
    let findings = validate(doc, Stage::Complete);
    assert!(findings.errors.iter().all(|f| f.rule == "required"), "{findings:#?}");
    findings.errors.iter().map(|f| f.field.clone()).collect()
}

#[test]
fn each_always_required_variable_blocks_completion_but_not_a_draft() {
    let always = [
        "national_id",
        "hospital",
        "sex",
        "diagnosis",
        "inclusion_criterion",
        "onset_time",
        "stroke_location",
        "arrival_time",
        "ivt",
        "evt",
        "discharge_date",
        "discharge_destination",
    ];
    for field in always {
        let mut doc = edit(base(), &[(field, Json::Null)]);
        if field == "ivt" {
            doc = edit(
                doc,
                &[
                    ("ivt_drug", Json::Null),
                    ("ivt_time", Json::Null),
                    ("ivt_hospital", Json::Null),
                ],
            );
        }
        assert_eq!(required_missing(&doc), [field], "{field}");
        assert!(validate(&doc, Stage::Draft).errors.is_empty(), "{field}");
    }
}

#[test]
fn conditional_requirements() {
    let ivt = edit(base(), &[("ivt_time", Json::Null), ("ivt_hospital", Json::Null)]);
    assert_eq!(required_missing(&ivt), ["ivt_time", "ivt_hospital"]);

    let evt = edit(base(), &[("evt", json!(true))]);
    assert_eq!(
        required_missing(&evt),
        ["evt_hospital", "evt_pathway", "groin_puncture_time", "tici_final"]
    );

    let transfer = edit(
        evt_transfer(),
        &[
            ("primary_departure_time", Json::Null),
            ("evt_centre_arrival_time", Json::Null),
        ],
    );
    assert_eq!(
        required_missing(&transfer),
        ["primary_departure_time", "evt_centre_arrival_time"]
    );

    let died = edit(
        base(),
        &[
            ("discharge_destination", json!("died")),
            ("dis_antiplatelet", Json::Null),
            ("dis_statin", Json::Null),
        ],
    );
    assert_eq!(required_missing(&died), ["death_date"]);
    let message = &validate(&died, Stage::Complete).errors[0];
    assert!(message.message_en.contains("Date of death"), "{}", message.message_en);
    assert!(message.message_nb.contains("Dødsdato"), "{}", message.message_nb);

    let minimal: Doc = base()
        .into_iter()
        .filter(|(k, _)| {
            [
                "national_id",
                "hospital",
                "sex",
                "diagnosis",
                "inclusion_criterion",
                "onset_time",
                "stroke_location",
                "arrival_time",
                "ivt",
                "evt",
                "discharge_date",
                "discharge_destination",
            ]
            .contains(&k.as_str())
        })
        .collect();
    let minimal = edit(minimal, &[("ivt", json!(false))]);
    assert_eq!(required_missing(&minimal), Vec::<String>::new());
}

#[test]
fn the_follow_up_never_blocks_completing_the_acute_registration() {
    assert_eq!(required_missing(&base()), Vec::<String>::new());
    assert_eq!(
        required_missing(&edit(base(), &[("fu_done", json!(false))])),
        Vec::<String>::new()
    );
    assert_eq!(
        required_missing(&edit(base(), &[("fu_done", json!(true))])),
        ["fu_method", "fu_date"]
    );
}

// Derived values and time (domain.md 3.4).

fn derived(doc: &Doc) -> Record {
    stroke().derive(&parse(doc))
}

fn int(record: &Record, name: &str) -> Option<i64> {
    match record.get(name) {
        Some(Value::Int(n)) => Some(*n),
        None => None,
        other => panic!("{name} is not an int: {other:?}"),
    }
}

fn flag(record: &Record, name: &str) -> Option<bool> {
    match record.get(name) {
        Some(Value::Bool(b)) => Some(*b),
        None => None,
        other => panic!("{name} is not a bool: {other:?}"),
    }
}

#[test]
fn intervals_are_right_across_daylight_saving_changes() {
    let spring = edit(
        base(),
        &[
            ("onset_time", json!("2024-03-31T01:00")),
            ("arrival_time", json!("2024-03-31T01:50")),
            ("imaging_time", json!("2024-03-31T03:00")),
            ("ivt_time", json!("2024-03-31T03:10")),
            ("discharge_date", json!("2024-04-05")),
        ],
    );
    let values = derived(&spring);
    assert_eq!(int(&values, "door_to_needle"), Some(20));
    assert_eq!(int(&values, "door_to_imaging"), Some(10));
    assert_eq!(int(&values, "onset_to_door"), Some(50));

    let autumn = edit(
        base(),
        &[
            ("onset_time", json!("2024-10-27T02:00+02:00")),
            ("arrival_time", json!("2024-10-27T02:50+02:00")),
            ("imaging_time", json!("2024-10-27T02:00+01:00")),
            ("ivt_time", json!("2024-10-27T02:10+01:00")),
            ("discharge_date", json!("2024-11-01")),
        ],
    );
    // The wall clock says 40 minutes before arrival; the instants are 20 minutes apart.
    assert_eq!(int(&derived(&autumn), "door_to_needle"), Some(20));
}

#[test]
fn an_unknown_clock_time_gives_no_interval() {
    let values = derived(&edit(base(), &[("arrival_time", json!("2024-03-12"))]));
    assert_eq!(int(&values, "door_to_needle"), None);
    assert_eq!(int(&values, "onset_to_door"), None);
    assert_eq!(int(&values, "door_to_imaging"), None);
    assert_eq!(int(&values, "length_of_stay"), Some(7));
    let record = parse(&edit(base(), &[("arrival_time", json!("2024-03-12"))]));
    assert_eq!(stroke().document(&record)["arrival_time"], json!("2024-03-12"));
}

#[test]
fn derived_values_of_the_stroke_register() {
    let direct = derived(&evt_direct());
    assert_eq!(int(&direct, "age"), Some(73));
    assert_eq!(int(&direct, "onset_to_door"), Some(50));
    assert_eq!(int(&direct, "door_to_imaging"), Some(15));
    assert_eq!(int(&direct, "door_to_needle"), Some(30));
    assert_eq!(int(&direct, "door_to_groin"), Some(60));
    assert_eq!(int(&direct, "door_in_door_out"), None);
    assert_eq!(int(&direct, "groin_to_reperfusion"), Some(35));
    assert_eq!(int(&direct, "onset_to_reperfusion"), Some(145));
    assert_eq!(int(&direct, "length_of_stay"), Some(7));
    assert_eq!(flag(&direct, "died_30d"), Some(false));
    assert_eq!(flag(&direct, "dead_98d"), Some(false));

    let transfer = derived(&evt_transfer());
    assert_eq!(int(&transfer, "door_to_groin"), Some(25));
    assert_eq!(int(&transfer, "door_in_door_out"), Some(55));

    let dead_day_20 = derived(&edit(base(), &[("death_date", json!("2024-04-01"))]));
    assert_eq!(
        (flag(&dead_day_20, "died_30d"), flag(&dead_day_20, "dead_98d")),
        (Some(true), Some(true))
    );
    let dead_day_60 = derived(&edit(base(), &[("death_date", json!("2024-05-11"))]));
    assert_eq!(
        (flag(&dead_day_60, "died_30d"), flag(&dead_day_60, "dead_98d")),
        (Some(false), Some(true))
    );

    let given_birth_date = derived(&edit(base(), &[("birth_date", json!("1960-03-13"))]));
    assert_eq!(int(&given_birth_date, "age"), Some(63));
}

// Reading and writing documents.

#[test]
fn unknown_and_derived_fields_are_refused() {
    let doc = edit(
        base(),
        &[("favourite_colour", json!("blue")), ("door_to_needle", json!(30))],
    );
    let findings = stroke().parse_document(&doc, &ctx()).expect_err("unknown fields");
    assert_eq!(
        pairs(&findings),
        [
            ("favourite_colour".to_string(), "unknown_field".to_string()),
            ("door_to_needle".to_string(), "unknown_field".to_string()),
        ]
    );
    assert!(findings[1].message_en.contains("derived"), "{}", findings[1].message_en);
}

#[test]
fn values_that_cannot_be_read_are_refused_field_by_field() {
    let mut bad_id = national_id("1950-05-17", true);
    bad_id.replace_range(10..11, if bad_id.ends_with('0') { "1" } else { "0" });
    let doc = edit(
        base(),
        &[
            ("national_id", json!(bad_id)),
            ("hospital", json!("NOWHERE")),
            ("diagnosis", json!("I62")),
            ("nihss_admission", json!("12")),
            ("ivt", json!("yes")),
            ("onset_time", json!("2024-02-30T10:00")),
            ("discharge_date", json!("19.03.2024x")),
        ],
    );
    let findings = stroke().parse_document(&doc, &ctx()).expect_err("bad values");
    assert_eq!(
        pairs(&findings),
        [
            ("national_id".to_string(), "check_digit_2".to_string()),
            ("hospital".to_string(), "code_list".to_string()),
            ("diagnosis".to_string(), "code_list".to_string()),
            ("onset_time".to_string(), "type".to_string()),
            ("nihss_admission".to_string(), "type".to_string()),
            ("ivt".to_string(), "type".to_string()),
            ("discharge_date".to_string(), "type".to_string()),
        ]
    );
    assert!(
        findings
            .iter()
            .all(|f| f.severity == Severity::Error && !f.message_nb.is_empty())
    );
    assert!(findings[2].message_en.contains("I62"), "{}", findings[2].message_en);
}

#[test]
fn the_national_id_is_stored_normalized() {
    let id = national_id("1950-05-17", true);
    let spaced = format!("{} {}", &id[..6], &id[6..]);
    let record = parse(&edit(base(), &[("national_id", json!(spaced))]));
    assert_eq!(record.get("national_id"), Some(&Value::Text(id)));
}

/// A full registration in canonical form: every section with values, thrombectomy by
/// transfer, and the follow-up.
fn full() -> Doc {
    let doc = json!({
        "national_id": national_id("1948-11-02", false),
        "hospital": "FIN-HAM",
        "sex": "female",
        "birth_date": "1948-11-02",
        "transferred_from": "HUS-HAU",
        "transfer_time": "2024-07-01T06:40+02:00",
        "prestroke_housing": "own_home_with_help",
        "prestroke_living": "alone",
        "prestroke_mrs": 2,
        "prior_stroke": false,
        "prior_tia": true,
        "prior_mi": false,
        "atrial_fibrillation": "new",
        "diabetes": false,
        "smoking": "former",
        "pre_antiplatelet": true,
        "pre_anticoagulant": "none",
        "pre_statin": true,
        "pre_bp_drug": true,
        "diagnosis": "I63",
        "inclusion_criterion": "1",
        "onset_time": "2024-07-01",
        "wake_up_stroke": true,
        "stroke_location": "outside_hospital",
        "arrival_time": "2024-07-01T07:12+02:00",
        "ambulance_alerted": true,
        "prehospital_alarm": true,
        "first_ward": "stroke_unit",
        "nihss_admission": "unknown",
        "imaging_time": "2024-07-01T07:31:30+02:00",
        "imaging_modality": "ct",
        "lvo_site": "m1",
        "reperfusion_assessed": true,
        "ivt": true,
        "ivt_drug": "alteplase",
        "ivt_time": "2024-07-01T07:58+02:00",
        "ivt_hospital": "FIN-HAM",
        "evt": true,
        "nihss_24h": 4,
        "sich": false,
        "evt_hospital": "UNN-TRO",
        "evt_pathway": "transfer",
        "primary_departure_time": "2024-07-01T08:30+02:00",
        "evt_centre_arrival_time": "2024-07-01T10:05+02:00",
        "angio_arrival_time": "2024-07-01T10:20+02:00",
        "groin_puncture_time": "2024-07-01T10:31+02:00",
        "reperfusion_time": "2024-07-01T11:02+02:00",
        "anaesthesia": "sedation",
        "technique": "combined",
        "passes": 2,
        "occlusion_site": "m1",
        "tici_final": "2c",
        "ent": false,
        "evt_sich": false,
        "perforation": false,
        "dissection": false,
        "access_complication": false,
        "nihss_pre_evt": 14,
        "nihss_post_evt_24h": 5,
        "operator1_id": "synthetic-operator-7",
        "operator2_id": "synthetic-operator-12",
        "swallow_screen": "unknown",
        "mobilised_48h": true,
        "functional_assessment_7d": true,
        "stroke_unit_care": true,
        "discharge_date": "2024-07-09",
        "discharge_destination": "rehabilitation",
        "mrs_discharge": 3,
        "dis_antiplatelet": false,
        "dis_anticoagulant": true,
        "dis_statin": true,
        "dis_bp_drug": true,
        "fu_done": true,
        "fu_method": "phone",
        "fu_date": "2024-10-02",
        "mrs_3m": 2,
        "fu_housing": "own_home",
        "fu_new_stroke": false,
        "fu_readmitted": false,
        "prom_reading_writing": false,
        "prom_swallowing": false,
        "prom_speech": true,
        "prom_vision": false,
        "prom_recovered": false,
        "prem_enough_help": true,
        "prem_enough_training": false,
        "prem_doctor_followup": true,
        "prom_life_satisfaction": true
    });
    doc.as_object().expect("object").clone()
}

#[test]
fn a_full_registration_round_trips_exactly() {
    let doc = full();
    let record = parse(&doc);
    assert_eq!(record.len(), doc.len());
    let written = stroke().document(&record);
    assert_eq!(written, doc);
    let text = serde_json::to_string(&written).expect("serialisable");
    assert_eq!(text, serde_json::to_string(&doc).expect("serialisable"));
    assert_eq!(parse(&written), record);
    let findings = stroke().validate(&record, Stage::Complete, &ctx());
    assert!(
        findings.errors.is_empty() && findings.warnings.is_empty(),
        "{findings:#?}"
    );
}

#[test]
fn a_document_is_written_in_canonical_form() {
    let doc = edit(
        base(),
        &[
            ("arrival_time", json!("12.03.2024 09:05")),
            ("onset_time", json!("2024-03-12T07:15:00Z")),
            ("birth_date", json!(null)),
        ],
    );
    let written = stroke().document(&parse(&doc));
    assert_eq!(written["arrival_time"], json!("2024-03-12T09:05+01:00"));
    assert_eq!(written["onset_time"], json!("2024-03-12T08:15+01:00"));
    let order: Vec<&String> = written.keys().collect();
    let form_order: Vec<&String> = stroke()
        .variables()
        .map(|v| &v.name)
        .filter(|name| written.contains_key(name.as_str()))
        .collect();
    assert_eq!(order, form_order);
    assert_eq!(stroke().document(&parse(&written)), written);
}

// The codebook.

#[test]
fn the_codebook_has_a_row_per_variable_with_codes_and_ranges() {
    let csv = stroke().codebook_csv();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader.headers().expect("header").iter().map(str::to_string).collect();
    assert_eq!(
        header,
        [
            "variable",
            "form",
            "section",
            "type",
            "label_nb",
            "label_en",
            "unit",
            "codes",
            "hard_range",
            "soft_range",
            "required",
            "show_if",
            "introduced",
            "retired",
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    let names: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
    let expected: Vec<&str> = stroke()
        .variables()
        .map(|v| v.name.as_str())
        .chain(stroke().derived.iter().map(|d| d.name.as_str()))
        .collect();
    assert_eq!(names, expected);
    let row = |name: &str| rows.iter().find(|r| &r[0] == name).expect("row present");

    let nihss = row("nihss_admission");
    assert_eq!(
        (&nihss[1], &nihss[3], &nihss[8], &nihss[7]),
        ("acute", "int", "[0,42]", "unknown")
    );
    let passes = row("passes");
    assert_eq!((&passes[8], &passes[9], &passes[11]), ("[0,20]", "[0,10]", "(evt)"));
    let diagnosis = row("diagnosis");
    assert!(
        diagnosis[7].starts_with("I61=I61 Intracerebral haemorrhage | I63="),
        "{}",
        &diagnosis[7]
    );
    assert_eq!(&diagnosis[10], "yes");
    assert!(row("evt_hospital")[7].starts_with("hospitals"));
    assert_eq!(&row("death_date")[10], "when discharge_destination = 'died'");
    assert_eq!(&row("prestroke_mrs")[8], "[0,5]");
    let age = row("age");
    assert_eq!((&age[1], &age[3], &age[6]), ("derived", "int", "years"));
}
