//! Award status against crafted quarters of stroke registrations: each level, exactly 50 %
//! and 75 %, 29 against 30 patients, door-to-needle at 45 and 60 minutes, door-to-groin at
//! 90 and 120 minutes, treatment shares at the 80/85/90 % steps, a hospital without
//! thrombectomy, and quarters. Every registration passes the completion rules. All persons
//! are synthetic (a Norwegian synthetic number: 80 added to the month).

#[path = "../../core/tests/support/mod.rs"]
mod support;

use std::collections::BTreeSet;

use jiff::civil::date;
use kvalreg_analytics::{AwardLevel, AwardResult, Columns, Hospital, Units, awards};
use kvalreg_core::validation::{Context, Stage};
use serde_json::{Map, Value as Json, json};
use support::stroke;

const HOSPITALS: [&str; 2] = ["UNN-TRO", "FIN-HAM"];

fn units() -> Units {
    Units::new(
        "Norge",
        HOSPITALS.iter().map(|code| Hospital {
            code: code.to_string(),
            health_trust: format!("{code} HF"),
            health_region: "Helse Nord RHF".to_string(),
        }),
    )
}

type Doc = Map<String, Json>;

/// A complete registration at `hospital` arriving 12 March 2024 09:05: cerebral infarction,
/// no thrombolysis or thrombectomy, swallowing screened, discharged home on antiplatelet.
/// The synthetic number 17 May 1950 (month 85), male.
fn plain(hospital: &str) -> Doc {
    json!({
        "national_id": "17855000172",
        "hospital": hospital,
        "sex": "male",
        "atrial_fibrillation": "no",
        "diagnosis": "I63",
        "inclusion_criterion": "1",
        "onset_time": "2024-03-12T08:15+01:00",
        "stroke_location": "outside_hospital",
        "arrival_time": "2024-03-12T09:05+01:00",
        "first_ward": "stroke_unit",
        "imaging_time": "2024-03-12T09:20+01:00",
        "imaging_modality": "ct",
        "ivt": false,
        "evt": false,
        "swallow_screen": "yes",
        "functional_assessment_7d": true,
        "discharge_date": "2024-03-19",
        "discharge_destination": "home",
        "dis_antiplatelet": true,
        "dis_statin": true
    })
    .as_object()
    .expect("object")
    .clone()
}

fn set(mut doc: Doc, changes: &[(&str, Json)]) -> Doc {
    for (field, value) in changes {
        doc.insert(field.to_string(), value.clone());
    }
    doc
}

/// `minutes` after the 09:05 arrival on 12 March 2024, as a local time.
fn after_arrival(minutes: i64) -> Json {
    let t = jiff::civil::datetime(2024, 3, 12, 9, 5, 0, 0) + jiff::Span::new().minutes(minutes);
    json!(format!("{}", t.strftime("%Y-%m-%dT%H:%M")))
}

/// Thrombolysis at the registering hospital, `door_to_needle` minutes after arrival.
fn ivt(hospital: &str, door_to_needle: i64) -> Doc {
    set(
        plain(hospital),
        &[
            ("ivt", json!(true)),
            ("ivt_drug", json!("tenecteplase")),
            ("ivt_time", after_arrival(door_to_needle)),
            ("ivt_hospital", json!(hospital)),
        ],
    )
}

/// A direct thrombectomy at UNN-TRO, `door_to_groin` minutes after arrival.
fn evt(door_to_groin: i64) -> Doc {
    set(
        plain("UNN-TRO"),
        &[
            ("evt", json!(true)),
            ("evt_hospital", json!("UNN-TRO")),
            ("evt_pathway", json!("direct")),
            ("groin_puncture_time", after_arrival(door_to_groin)),
            ("tici_final", json!("3")),
        ],
    )
}

/// `docs`, filled up with plain registrations at the same hospital to `patients`.
fn quarter(hospital: &str, mut docs: Vec<Doc>, patients: usize) -> Vec<Doc> {
    while docs.len() < patients {
        docs.push(plain(hospital));
    }
    docs
}

fn compute(docs: &[Doc]) -> Vec<AwardResult> {
    let codes: BTreeSet<String> = HOSPITALS.iter().map(|c| c.to_string()).collect();
    let ctx = Context { hospitals: &codes };
    let records: Vec<_> = docs
        .iter()
        .enumerate()
        .map(|(i, doc)| {
            let record = stroke()
                .parse_document(doc, &ctx)
                .unwrap_or_else(|f| panic!("document {i}: {f:#?}"));
            let findings = stroke().validate(&record, Stage::Complete, &ctx);
            assert!(findings.errors.is_empty(), "document {i}: {:#?}", findings.errors);
            record
        })
        .collect();
    let columns = Columns::from_records(stroke(), &records).expect("typed records");
    awards(stroke(), &columns, &units(), date(2024, 12, 31)).expect("the stroke register has the indicators")
}

fn only(results: &[AwardResult], hospital: &str, period: &str) -> AwardResult {
    results
        .iter()
        .find(|r| r.hospital == hospital && r.period == period)
        .unwrap_or_else(|| panic!("no award result for {hospital} {period}: {results:#?}"))
        .clone()
}

fn level(docs: Vec<Doc>) -> AwardLevel {
    only(&compute(&docs), "UNN-TRO", "2024-Q1").level
}

/// (numerator, denominator) of one criterion.
fn criterion(result: &AwardResult, id: &str) -> (u64, u64, Option<f64>) {
    let c = result
        .criteria
        .iter()
        .find(|c| c.criterion == id)
        .unwrap_or_else(|| panic!("no criterion {id}"));
    (c.numerator, c.denominator, c.value)
}

/// Door to needle 30, 40, 44 and 50 minutes (all < 60, three of four < 45); door to groin
/// 80, 90, 100 and 130 minutes (three of four ≤ 120, exactly half ≤ 90).
fn diamond_times() -> Vec<Doc> {
    vec![
        ivt("UNN-TRO", 30),
        ivt("UNN-TRO", 40),
        ivt("UNN-TRO", 44),
        ivt("UNN-TRO", 50),
        evt(80),
        evt(90),
        evt(100),
        evt(130),
    ]
}

#[test]
fn diamond_with_thirty_patients_and_none_with_twenty_nine() {
    let results = compute(&quarter("UNN-TRO", diamond_times(), 30));
    let r = only(&results, "UNN-TRO", "2024-Q1");
    assert_eq!(r.patients, 30);
    assert_eq!(r.level, AwardLevel::Diamond);
    assert_eq!(criterion(&r, "dtn_60"), (4, 4, Some(1.0)));
    assert_eq!(criterion(&r, "dtn_45"), (3, 4, Some(0.75)));
    assert_eq!(criterion(&r, "dtg_120"), (3, 4, Some(0.75)));
    assert_eq!(criterion(&r, "dtg_90"), (2, 4, Some(0.5)));
    assert_eq!(criterion(&r, "swallow"), (30, 30, Some(1.0)));
    assert_eq!(criterion(&r, "antithrombotic"), (30, 30, Some(1.0)));
    // No patient with atrial fibrillation: the criterion does not apply.
    assert_eq!(criterion(&r, "af_anticoag"), (0, 0, None));

    let r = only(&compute(&quarter("UNN-TRO", diamond_times(), 29)), "UNN-TRO", "2024-Q1");
    assert_eq!(r.patients, 29);
    assert_eq!(r.level, AwardLevel::None);
}

#[test]
fn door_to_needle_sets_gold_platinum_and_diamond() {
    // Exactly 50 % under 60 minutes (60 itself is not under): gold.
    let docs = vec![ivt("UNN-TRO", 59), ivt("UNN-TRO", 60)];
    assert_eq!(level(quarter("UNN-TRO", docs, 30)), AwardLevel::Gold);
    // Under 50 %: nothing.
    let docs = vec![ivt("UNN-TRO", 59), ivt("UNN-TRO", 60), ivt("UNN-TRO", 70)];
    assert_eq!(level(quarter("UNN-TRO", docs, 30)), AwardLevel::None);
    // 75 % under 60 but only one of four (25 %) under 45: platinum.
    let docs = vec![
        ivt("UNN-TRO", 44),
        ivt("UNN-TRO", 45),
        ivt("UNN-TRO", 59),
        ivt("UNN-TRO", 61),
    ];
    assert_eq!(level(quarter("UNN-TRO", docs, 30)), AwardLevel::Platinum);
    // 75 % under 60 and exactly half under 45: diamond.
    let docs = vec![
        ivt("UNN-TRO", 30),
        ivt("UNN-TRO", 44),
        ivt("UNN-TRO", 59),
        ivt("UNN-TRO", 61),
    ];
    assert_eq!(level(quarter("UNN-TRO", docs, 30)), AwardLevel::Diamond);
}

#[test]
fn door_to_groin_sets_gold_platinum_and_diamond() {
    // Exactly half within 120 minutes (120 itself counts): gold.
    let docs = vec![evt(120), evt(121)];
    assert_eq!(level(quarter("UNN-TRO", docs, 30)), AwardLevel::Gold);
    let docs = vec![evt(120), evt(121), evt(200)];
    assert_eq!(level(quarter("UNN-TRO", docs, 30)), AwardLevel::None);
    // 75 % within 120, one of four within 90: platinum.
    let docs = vec![evt(90), evt(91), evt(120), evt(121)];
    assert_eq!(level(quarter("UNN-TRO", docs, 30)), AwardLevel::Platinum);
    // 75 % within 120 and half within 90 (90 counts): diamond.
    let docs = vec![evt(60), evt(90), evt(120), evt(121)];
    assert_eq!(level(quarter("UNN-TRO", docs, 30)), AwardLevel::Diamond);
}

#[test]
fn treatment_shares_step_at_80_85_and_90_percent() {
    let not_screened = || set(plain("UNN-TRO"), &[("swallow_screen", json!("no"))]);
    let with = |misses: usize| quarter("UNN-TRO", (0..misses).map(|_| not_screened()).collect(), 30);
    // Screened: 27/30 = 90 %, 26/30 = 86.7 %, 24/30 = 80 %, 23/30 = 76.7 %.
    assert_eq!(level(with(3)), AwardLevel::Diamond);
    assert_eq!(level(with(4)), AwardLevel::Platinum);
    assert_eq!(level(with(6)), AwardLevel::Gold);
    assert_eq!(level(with(7)), AwardLevel::None);

    // Atrial fibrillation: 17 of 20 anticoagulated (85 %) is platinum, not diamond.
    let af = |treated: bool| {
        set(
            plain("UNN-TRO"),
            &[
                ("atrial_fibrillation", json!("known")),
                ("dis_anticoagulant", json!(treated)),
            ],
        )
    };
    let docs: Vec<Doc> = (0..20).map(|i| af(i < 17)).collect();
    let r = only(&compute(&quarter("UNN-TRO", docs, 30)), "UNN-TRO", "2024-Q1");
    assert_eq!(criterion(&r, "af_anticoag"), (17, 20, Some(0.85)));
    assert_eq!(r.level, AwardLevel::Platinum);

    // Antithrombotic: a patient who died is not in the denominator; 8 of 29 without any
    // antithrombotic drug (72.4 %) is no award.
    let mut docs: Vec<Doc> = (0..8)
        .map(|_| set(plain("UNN-TRO"), &[("dis_antiplatelet", json!(false))]))
        .collect();
    let mut died = set(
        plain("UNN-TRO"),
        &[
            ("discharge_destination", json!("died")),
            ("death_date", json!("2024-03-18")),
        ],
    );
    died.remove("dis_antiplatelet");
    died.remove("dis_statin");
    docs.push(died);
    let r = only(&compute(&quarter("UNN-TRO", docs, 30)), "UNN-TRO", "2024-Q1");
    assert_eq!(criterion(&r, "antithrombotic"), (21, 29, Some(21.0 / 29.0)));
    assert_eq!(r.level, AwardLevel::None);
}

#[test]
fn a_hospital_without_thrombectomy_is_judged_on_the_rest_and_quarters_are_separate() {
    let mut docs = quarter("FIN-HAM", vec![ivt("FIN-HAM", 40), ivt("FIN-HAM", 44)], 30);
    // Five registrations in April: the second quarter, too few for an award.
    for _ in 0..5 {
        docs.push(set(
            plain("FIN-HAM"),
            &[
                ("onset_time", json!("2024-04-02T08:15+02:00")),
                ("arrival_time", json!("2024-04-02T09:05+02:00")),
                ("imaging_time", json!("2024-04-02T09:20+02:00")),
                ("discharge_date", json!("2024-04-09")),
            ],
        ));
    }
    let results = compute(&docs);
    let q1 = only(&results, "FIN-HAM", "2024-Q1");
    assert_eq!(criterion(&q1, "dtg_120"), (0, 0, None));
    assert_eq!(criterion(&q1, "dtn_45"), (2, 2, Some(1.0)));
    assert_eq!(q1.level, AwardLevel::Diamond);
    let q2 = only(&results, "FIN-HAM", "2024-Q2");
    assert_eq!((q2.patients, q2.level), (5, AwardLevel::None));
    assert_eq!(results.len(), 2, "no result for UNN-TRO, which has no registration");
}

#[test]
fn the_json_shape() {
    let r = only(&compute(&quarter("UNN-TRO", diamond_times(), 30)), "UNN-TRO", "2024-Q1");
    let json = serde_json::to_value(&r).expect("serialisable");
    assert_eq!(json["level"], json!("diamond"));
    assert_eq!(json["period"], json!("2024-Q1"));
    assert_eq!(
        json["criteria"][1],
        json!({"criterion": "dtn_45", "numerator": 3, "denominator": 4, "value": 0.75})
    );
}
