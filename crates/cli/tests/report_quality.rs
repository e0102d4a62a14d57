//! `kvalreg report coverage` and `kvalreg report awards` on the real binary over crafted,
//! imported registrations: coverage counted by hand against a patient-register file (and a
//! bad file refused line by line), and award status for a quarter with 30 patients and one
//! with 29. All national ids are synthetic (Norwegian: 80 added to the month).

mod common;

use kvalreg_store::Status;
use serde_json::{Map, Value as Json, json};

/// The `n`th synthetic Norwegian number (born 1 January 1950 + n days) and its sex.
fn person(n: i64) -> (String, &'static str) {
    let birth = jiff::civil::date(1950, 1, 1) + jiff::Span::new().days(n);
    let base = format!("{:02}{:02}{:02}", birth.day(), birth.month() + 80, birth.year() % 100);
    let mod11 = |digits: &[u32], weights: &[u32]| -> Option<u32> {
        let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
        match 11 - sum % 11 {
            11 => Some(0),
            10 => None,
            k => Some(k),
        }
    };
    for individual in 0..500u32 {
        let text = format!("{base}{individual:03}");
        let mut digits: Vec<u32> = text.chars().filter_map(|c| c.to_digit(10)).collect();
        let Some(k1) = mod11(&digits, &[3, 7, 6, 1, 8, 9, 4, 5, 2]) else {
            continue;
        };
        digits.push(k1);
        let Some(k2) = mod11(&digits, &[5, 4, 3, 2, 7, 6, 5, 4, 3, 2]) else {
            continue;
        };
        let sex = if individual % 2 == 1 { "male" } else { "female" };
        return (format!("{text}{k1}{k2}"), sex);
    }
    panic!("no synthetic number for person {n}")
}

/// A complete registration of person `n` at `hospital` arriving on `day` (YYYY-MM-DD) at
/// 09:05: cerebral infarction, swallowing screened, discharged home on antiplatelet a week
/// later.
fn registration(n: i64, hospital: &str, day: &str) -> Map<String, Json> {
    let (id, sex) = person(n);
    let arrival: jiff::civil::Date = day.parse().expect("a date");
    let discharge = arrival + jiff::Span::new().days(7);
    json!({
        "national_id": id,
        "hospital": hospital,
        "sex": sex,
        "atrial_fibrillation": "no",
        "diagnosis": "I63",
        "inclusion_criterion": "1",
        "onset_time": format!("{day}T08:15"),
        "stroke_location": "outside_hospital",
        "arrival_time": format!("{day}T09:05"),
        "first_ward": "stroke_unit",
        "imaging_time": format!("{day}T09:20"),
        "imaging_modality": "ct",
        "ivt": false,
        "evt": false,
        "swallow_screen": "yes",
        "functional_assessment_7d": true,
        "discharge_date": discharge.to_string(),
        "discharge_destination": "home",
        "dis_antiplatelet": true,
        "dis_statin": true
    })
    .as_object()
    .expect("object")
    .clone()
}

fn import(root: &std::path::Path, docs: &[Map<String, Json>]) {
    let lines: Vec<String> = docs.iter().map(|d| common::ndjson_line(d, Status::Complete)).collect();
    std::fs::write(root.join("set.ndjson"), lines.join("\n") + "\n").expect("write");
    common::ok(
        root,
        &["--data-dir", "data", "import", "--register", "stroke", "set.ndjson"],
    );
}

fn line<'a>(report: &'a Json, level: &str, unit: &str, year: i64) -> &'a Json {
    report["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["level_of_unit"] == level && r["unit"] == unit && r["year"] == year)
        .unwrap_or_else(|| panic!("no line {level} {unit} {year}: {report:#}"))
}

#[test]
fn report_coverage_links_the_patient_register_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    common::ok(root, &["--data-dir", "data", "init"]);
    import(
        root,
        &[
            registration(1, "UNN-TRO", "2024-03-12"),
            registration(2, "UNN-TRO", "2024-03-12"),
            registration(3, "UNN-TRO", "2024-03-12"),
            registration(4, "UNN-HAR", "2024-12-31"),
        ],
    );
    // Person 1: 2 days later, a match. Person 2: 8 days later, no match. Person 5: only in
    // the patient register. Person 4: a match across new year (counted in 2024).
    let file = format!(
        "national_id,hospital,admission_date\n{},UNN-TRO,2024-03-14\n{},UNN-TRO,2024-03-20\n{},UNN-TRO,12.03.2024\n{},UNN-HAR,2025-01-02\n",
        person(1).0,
        person(2).0,
        person(5).0,
        person(4).0
    );
    std::fs::write(root.join("npr.csv"), file).expect("write");
    let text = common::ok(
        root,
        &[
            "--data-dir",
            "data",
            "report",
            "coverage",
            "--register",
            "stroke",
            "--patient-register",
            "npr.csv",
            "--format",
            "json",
        ],
    );
    let report: Json = serde_json::from_str(&text).expect("JSON");
    assert_eq!(report["register"], "stroke");
    let tro = line(&report, "hospital", "UNN-TRO", 2024);
    assert_eq!(
        (&tro["matched"], &tro["register_only"], &tro["patient_register_only"]),
        (&json!(1), &json!(2), &json!(2))
    );
    assert_eq!(tro["coverage"], json!(0.6));
    assert_eq!(tro["low_coverage"], json!(false));
    let har = line(&report, "hospital", "UNN-HAR", 2024);
    assert_eq!((&har["matched"], &har["coverage"]), (&json!(1), &json!(1.0)));
    let trust = line(&report, "trust", "Universitetssykehuset Nord-Norge HF", 2024);
    assert_eq!(trust["coverage"], json!(4.0 / 6.0));
    let nation = line(&report, "nation", "Norge", 2024);
    assert_eq!(nation["matched"], json!(2));
    assert!(!text.contains(&person(1).0), "no clear national id in the output");

    // A bad line refuses the whole file, naming line, field and rule.
    std::fs::write(
        root.join("bad.csv"),
        format!(
            "national_id,hospital,admission_date\n{},UNN-TRO,2024-03-14\n12345678901,XXX,2024-13-01\n",
            person(1).0
        ),
    )
    .expect("write");
    let out = common::run(
        root,
        &[
            "--data-dir",
            "data",
            "report",
            "coverage",
            "--register",
            "stroke",
            "--patient-register",
            "bad.csv",
        ],
    );
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let stderr = common::stderr(&out);
    assert!(stderr.contains("line 3: hospital (hospital_code)"), "{stderr}");
    assert!(stderr.contains("line 3: admission_date (date)"), "{stderr}");
    assert!(stderr.contains("line 3: national_id ("), "{stderr}");
}

#[test]
fn report_awards_gives_each_hospital_and_quarter_a_level() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    common::ok(root, &["--data-dir", "data", "init"]);
    let mut docs = Vec::new();
    // UNN-TRO: 30 patients in 2024-Q1, two with thrombolysis 40 minutes after arrival.
    for n in 0..30 {
        let mut doc = registration(n, "UNN-TRO", "2024-03-12");
        if n < 2 {
            doc.insert("ivt".into(), json!(true));
            doc.insert("ivt_drug".into(), json!("tenecteplase"));
            doc.insert("ivt_time".into(), json!("2024-03-12T09:45"));
            doc.insert("ivt_hospital".into(), json!("UNN-TRO"));
        }
        docs.push(doc);
    }
    // UNN-HAR: 29 patients, all criteria met, but too few.
    for n in 100..129 {
        docs.push(registration(n, "UNN-HAR", "2024-03-12"));
    }
    // A 2023 registration, outside the year asked for.
    docs.push(registration(200, "UNN-TRO", "2023-11-02"));
    import(root, &docs);
    let text = common::ok(
        root,
        &[
            "--data-dir",
            "data",
            "report",
            "awards",
            "--register",
            "stroke",
            "--year",
            "2024",
            "--format",
            "json",
        ],
    );
    let report: Json = serde_json::from_str(&text).expect("JSON");
    assert_eq!((&report["register"], &report["year"]), (&json!("stroke"), &json!(2024)));
    let results = report["results"].as_array().expect("results");
    let summary: Vec<(&str, &str, u64, &str)> = results
        .iter()
        .map(|r| {
            (
                r["hospital"].as_str().expect("hospital"),
                r["period"].as_str().expect("period"),
                r["patients"].as_u64().expect("patients"),
                r["level"].as_str().expect("level"),
            )
        })
        .collect();
    // In the order of the stored hospital list (by code).
    assert_eq!(
        summary,
        vec![
            ("UNN-HAR", "2024-Q1", 29, "none"),
            ("UNN-TRO", "2024-Q1", 30, "diamond")
        ]
    );
    let dtn = results[1]["criteria"]
        .as_array()
        .expect("criteria")
        .iter()
        .find(|c| c["criterion"] == "dtn_45")
        .expect("dtn_45");
    assert_eq!(
        dtn,
        &json!({"criterion": "dtn_45", "numerator": 2, "denominator": 2, "value": 1.0})
    );
}
