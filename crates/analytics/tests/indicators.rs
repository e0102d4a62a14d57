//! Every stroke indicator against hand-computed expectations on small crafted data sets:
//! prehospital thrombolysis, an unknown clock time, transfers, death before discharge,
//! in-hospital strokes, low N, roll-ups, periods and the JSON shape. Every crafted
//! registration passes the stroke register's completion rules first. All persons are
//! synthetic (Norwegian synthetic numbers: 80 added to the month).

#[path = "../../core/tests/support/mod.rs"]
mod support;

use std::collections::BTreeSet;

use jiff::civil::{Date, date};
use kvalreg_analytics::{
    Chunks, Columns, Granularity, Hospital, IndicatorResult, Query, Report, UnitLevel, Units, awards, awards_of_chunks,
    check_filter, compute, compute_chunks,
};
use kvalreg_core::definition::Level;
use kvalreg_core::validation::{Context, Stage};
use kvalreg_core::value::Record;
use serde_json::{Map, Value as Json, json};
use support::stroke;

const HOSPITALS: [(&str, &str, &str); 5] = [
    ("UNN-TRO", "Universitetssykehuset Nord-Norge HF", "Helse Nord RHF"),
    ("UNN-HAR", "Universitetssykehuset Nord-Norge HF", "Helse Nord RHF"),
    ("FIN-HAM", "Finnmarkssykehuset HF", "Helse Nord RHF"),
    ("FIN-KIR", "Finnmarkssykehuset HF", "Helse Nord RHF"),
    ("OUS-RH", "Oslo universitetssykehus HF", "Helse Sør-Øst RHF"),
];

fn units() -> Units {
    Units::new(
        "Norge",
        HOSPITALS.iter().map(|(code, trust, region)| Hospital {
            code: code.to_string(),
            health_trust: trust.to_string(),
            health_region: region.to_string(),
        }),
    )
}

/// A synthetic Norwegian number (80 added to the month) for a birth date, male or female.
fn national_id(birth: &str, male: bool) -> String {
    let (year, month, day) = (&birth[2..4], &birth[5..7], &birth[8..10]);
    let month: u32 = month.parse::<u32>().expect("month") + 80;
    let mod11 = |digits: &[u32], weights: &[u32]| -> Option<u32> {
        let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
        match 11 - sum % 11 {
            11 => Some(0),
            10 => None,
            k => Some(k),
        }
    };
    for individual in (0..500).filter(|i| (i % 2 == 1) == male) {
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

type Doc = Map<String, Json>;

/// A complete registration at UNN-TRO: cerebral infarction, thrombolysis 30 minutes after
/// arrival, stroke unit, discharged home on antiplatelet and statin. Age 73.
fn base() -> Doc {
    json!({
        "national_id": national_id("1950-05-17", true),
        "hospital": "UNN-TRO",
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
        "ivt": true,
        "ivt_drug": "tenecteplase",
        "ivt_time": "2024-03-12T09:35+01:00",
        "ivt_hospital": "UNN-TRO",
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

/// A registration without thrombolysis.
fn no_ivt() -> Doc {
    edit(
        base(),
        &[
            ("ivt", json!(false)),
            ("ivt_drug", Json::Null),
            ("ivt_time", Json::Null),
            ("ivt_hospital", Json::Null),
        ],
    )
}

/// Sets fields; JSON null removes one.
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

/// A direct thrombectomy at UNN-TRO, groin puncture `door_to_groin` minutes after arrival.
fn evt_direct(door_to_groin: i64, tici: &str) -> Doc {
    let groin = jiff::civil::datetime(2024, 3, 12, 9, 5, 0, 0) + jiff::Span::new().minutes(door_to_groin);
    edit(
        no_ivt(),
        &[
            ("evt", json!(true)),
            ("evt_hospital", json!("UNN-TRO")),
            ("evt_pathway", json!("direct")),
            (
                "groin_puncture_time",
                json!(format!("{}", groin.strftime("%Y-%m-%dT%H:%M"))),
            ),
            ("tici_final", json!(tici)),
        ],
    )
}

/// A drip-and-ship thrombectomy from the primary hospital `primary` to UNN-TRO, leaving the
/// primary hospital `dido` minutes after arrival there. Registered by `registered_at`.
fn evt_transfer(primary: &str, registered_at: &str, dido: i64) -> Doc {
    let departure = jiff::civil::datetime(2024, 3, 12, 9, 5, 0, 0) + jiff::Span::new().minutes(dido);
    let arrival = departure + jiff::Span::new().minutes(90);
    let groin = arrival + jiff::Span::new().minutes(20);
    let at = |t: jiff::civil::DateTime| json!(format!("{}", t.strftime("%Y-%m-%dT%H:%M")));
    let mut doc = edit(
        no_ivt(),
        &[
            ("hospital", json!(registered_at)),
            ("evt", json!(true)),
            ("evt_hospital", json!("UNN-TRO")),
            ("evt_pathway", json!("transfer")),
            ("primary_departure_time", at(departure)),
            ("evt_centre_arrival_time", at(arrival)),
            ("groin_puncture_time", at(groin)),
            ("tici_final", json!("3")),
        ],
    );
    if registered_at != primary {
        doc.insert("transferred_from".into(), json!(primary));
    }
    doc
}

fn hospital_codes() -> BTreeSet<String> {
    HOSPITALS.iter().map(|(code, _, _)| code.to_string()).collect()
}

/// Reads the documents and checks that each one could be completed (warnings allowed).
fn records(docs: &[Doc]) -> Vec<Record> {
    let codes = hospital_codes();
    let ctx = Context { hospitals: &codes };
    docs.iter()
        .enumerate()
        .map(|(i, doc)| {
            let record = stroke()
                .parse_document(doc, &ctx)
                .unwrap_or_else(|f| panic!("document {i}: {f:#?}"));
            let findings = stroke().validate(&record, Stage::Complete, &ctx);
            assert!(
                findings.errors.is_empty(),
                "document {i} cannot be completed: {:#?}",
                findings.errors
            );
            record
        })
        .collect()
}

fn report_for(docs: &[Doc], as_of: Date, granularity: Granularity) -> Report {
    let columns = Columns::from_records(stroke(), &records(docs)).expect("typed records");
    compute(stroke(), &columns, &units(), &Query::new(as_of, granularity))
}

fn report(docs: &[Doc]) -> Report {
    report_for(docs, date(2024, 12, 31), Granularity::Year)
}

fn result<'a>(report: &'a Report, indicator: &str, level: UnitLevel, unit: &str, period: &str) -> &'a IndicatorResult {
    report
        .results
        .iter()
        .find(|r| r.indicator == indicator && r.level_of_unit == level && r.unit == unit && r.period == period)
        .unwrap_or_else(|| panic!("no result for {indicator} {level:?} {unit} {period}"))
}

fn hospital<'a>(report: &'a Report, indicator: &str, unit: &str) -> &'a IndicatorResult {
    result(report, indicator, UnitLevel::Hospital, unit, "2024")
}

fn absent(report: &Report, indicator: &str, unit: &str) -> bool {
    !report
        .results
        .iter()
        .any(|r| r.indicator == indicator && r.unit == unit)
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

/// Door to needle: ten registrations at UNN-TRO, five of them in the denominator.
fn door_to_needle_docs() -> Vec<Doc> {
    let ivt_at = |time: &str| edit(base(), &[("ivt_time", json!(time))]);
    vec![
        ivt_at("2024-03-12T09:35+01:00"), // 30 min
        ivt_at("2024-03-12T09:45+01:00"), // 40 min
        ivt_at("2024-03-12T10:00+01:00"), // 55 min
        ivt_at("2024-03-12T09:25+01:00"), // 20 min
        ivt_at("2024-03-12T09:40+01:00"), // 35 min
        // Prehospital thrombolysis: the needle before the door; left out.
        ivt_at("2024-03-12T08:55+01:00"),
        // Arrival with an unknown clock time: no door-to-needle time; left out.
        edit(base(), &[("arrival_time", json!("2024-03-12"))]),
        // In-hospital stroke: left out.
        edit(
            base(),
            &[
                ("stroke_location", json!("in_hospital")),
                ("onset_time", json!("2024-03-12T09:05+01:00")),
            ],
        ),
        // Thrombolysis given at another hospital before transfer: left out.
        edit(
            base(),
            &[
                ("ivt_hospital", json!("FIN-HAM")),
                ("transferred_from", json!("FIN-HAM")),
            ],
        ),
        // No thrombolysis.
        no_ivt(),
    ]
}

#[test]
fn door_to_needle_counts_only_known_in_hospital_times_at_the_treating_hospital() {
    let report = report(&door_to_needle_docs());
    let dtn_30 = hospital(&report, "dtn_30", "UNN-TRO");
    assert_eq!((dtn_30.numerator, dtn_30.denominator), (Some(2), 5));
    assert!(close(dtn_30.value, 0.4));
    assert_eq!(dtn_30.level, Some(Level::Yellow));
    assert!(!dtn_30.low_n);

    let dtn_40 = hospital(&report, "dtn_40", "UNN-TRO");
    assert_eq!((dtn_40.numerator, dtn_40.denominator), (Some(4), 5));
    assert_eq!(dtn_40.level, Some(Level::Green));

    // Minutes 20, 30, 35, 40, 55: median 35, quartiles 30 and 40 (type 7).
    let median = hospital(&report, "dtn_median", "UNN-TRO");
    assert_eq!((median.numerator, median.denominator), (None, 5));
    assert!(close(median.value, 35.0) && close(median.q1, 30.0) && close(median.q3, 40.0));
    assert_eq!((median.ci_low, median.ci_high), (None, None));
    assert_eq!(median.level, Some(Level::Yellow));

    // Thrombolysis rate: nine of ten infarctions, prehospital and unknown-time ones included.
    let rate = hospital(&report, "ivt_rate", "UNN-TRO");
    assert_eq!((rate.numerator, rate.denominator), (Some(9), 10));
    assert_eq!(rate.level, Some(Level::Green));
}

#[test]
fn proportions_carry_the_wilson_interval() {
    let report = report(&door_to_needle_docs());
    let dtn_30 = hospital(&report, "dtn_30", "UNN-TRO");
    // 2 of 5: Wilson 95 % interval 0.1176 to 0.7693.
    assert!(
        (dtn_30.ci_low.expect("low") - 0.117_621).abs() < 1e-5,
        "{:?}",
        dtn_30.ci_low
    );
    assert!(
        (dtn_30.ci_high.expect("high") - 0.769_276).abs() < 1e-5,
        "{:?}",
        dtn_30.ci_high
    );
    assert_eq!((dtn_30.q1, dtn_30.q3), (None, None));
}

#[test]
fn discharge_medication_leaves_out_those_who_died() {
    let died = edit(
        base(),
        &[
            ("discharge_destination", json!("died")),
            ("death_date", json!("2024-03-15")),
            ("dis_antiplatelet", Json::Null),
            ("dis_statin", Json::Null),
        ],
    );
    let docs = vec![
        base(), // antiplatelet and statin
        died.clone(),
        died,
        // Atrial fibrillation on an anticoagulant; statin not recorded (missing is no).
        edit(
            base(),
            &[
                ("atrial_fibrillation", json!("known")),
                ("dis_antiplatelet", json!(false)),
                ("dis_anticoagulant", json!(true)),
                ("dis_statin", Json::Null),
            ],
        ),
        // New atrial fibrillation, anticoagulant not recorded.
        edit(base(), &[("atrial_fibrillation", json!("new"))]),
        // Haemorrhage: not in the infarction indicators.
        edit(no_ivt(), &[("diagnosis", json!("I61"))]),
        // Age 85: not in the statin denominator.
        edit(
            base(),
            &[
                ("national_id", json!(national_id("1938-06-01", true))),
                ("dis_statin", json!(false)),
            ],
        ),
        // No antithrombotic, no statin.
        edit(
            base(),
            &[("dis_antiplatelet", json!(false)), ("dis_statin", json!(false))],
        ),
    ];
    let report = report(&docs);
    // Alive infarctions: 1, 4, 5, 7, 8; antithrombotic in 1, 4, 5, 7.
    let antithrombotic = hospital(&report, "antithrombotic", "UNN-TRO");
    assert_eq!((antithrombotic.numerator, antithrombotic.denominator), (Some(4), 5));
    assert_eq!(antithrombotic.level, Some(Level::Red));
    // Alive infarctions aged 80 or less: 1, 4, 5, 8 — below the minimum of 5.
    let statin = hospital(&report, "statin", "UNN-TRO");
    assert_eq!(statin.denominator, 4);
    assert!(statin.low_n);
    assert_eq!(
        (statin.numerator, statin.value, statin.ci_low, statin.level),
        (None, None, None, None)
    );
    // Atrial fibrillation: 4 and 5.
    let af = hospital(&report, "af_anticoag", "UNN-TRO");
    assert_eq!((af.denominator, af.low_n), (2, true));
    // Follow-up due: only the living (6 of 8), none followed up.
    let followup = hospital(&report, "followup_3m", "UNN-TRO");
    assert_eq!((followup.numerator, followup.denominator), (Some(0), 6));
    assert_eq!(followup.level, Some(Level::Red));
}

#[test]
fn missing_booleans_and_unknown_codes_count_as_no() {
    let docs = vec![
        base(),
        edit(
            base(),
            &[
                ("first_ward", json!("icu")),
                ("stroke_unit_care", json!(true)),
                ("swallow_screen", json!("unknown")),
            ],
        ),
        edit(
            base(),
            &[
                ("first_ward", json!("other")),
                ("swallow_screen", json!("no")),
                ("functional_assessment_7d", json!(false)),
            ],
        ),
        edit(
            base(),
            &[
                ("first_ward", json!("other")),
                ("stroke_unit_care", json!(false)),
                ("functional_assessment_7d", Json::Null),
            ],
        ),
        edit(base(), &[("first_ward", Json::Null), ("swallow_screen", Json::Null)]),
        edit(
            base(),
            &[("first_ward", json!("stroke_unit")), ("stroke_unit_care", json!(false))],
        ),
    ];
    let report = report(&docs);
    let unit = hospital(&report, "stroke_unit", "UNN-TRO");
    assert_eq!((unit.numerator, unit.denominator), (Some(3), 6));
    assert_eq!(unit.level, Some(Level::Red));
    let swallow = hospital(&report, "swallow", "UNN-TRO");
    assert_eq!((swallow.numerator, swallow.denominator), (Some(3), 6));
    let functional = hospital(&report, "functional_7d", "UNN-TRO");
    assert_eq!((functional.numerator, functional.denominator), (Some(4), 6));
    assert!(close(functional.value, 4.0 / 6.0));
    assert_eq!(functional.level, Some(Level::Red));
}

#[test]
fn followup_counts_strokes_at_least_ninety_days_before_the_report_date() {
    let done = |mrs: Json| {
        edit(
            base(),
            &[
                ("fu_done", json!(true)),
                ("fu_method", json!("phone")),
                ("fu_date", json!("2024-06-10")),
                ("mrs_3m", mrs),
            ],
        )
    };
    let not_done = edit(
        base(),
        &[("fu_done", json!(false)), ("fu_not_done_reason", json!("unreachable"))],
    );
    let docs = vec![
        done(json!(0)),
        done(json!(2)),
        done(json!(3)),
        done(json!(6)),
        done(Json::Null),
        not_done,
        base(),
    ];
    // Onset 12 March: 90 days later is 10 June.
    let on_day_90 = report_for(&docs, date(2024, 6, 10), Granularity::Year);
    let followup = hospital(&on_day_90, "followup_3m", "UNN-TRO");
    assert_eq!((followup.numerator, followup.denominator), (Some(5), 7));
    assert_eq!(followup.level, Some(Level::Yellow));
    let on_day_89 = report_for(&docs, date(2024, 6, 9), Granularity::Year);
    assert!(absent(&on_day_89, "followup_3m", "UNN-TRO"));

    // mRS 0–2 at three months: follow-ups done with a known score (0, 2, 3, 6).
    let mrs = hospital(&on_day_90, "mrs_0_2_3m", "UNN-TRO");
    assert_eq!((mrs.numerator, mrs.denominator), (None, 4));
    assert!(mrs.low_n);
    let with_more = [docs.clone(), vec![done(json!(1))]].concat();
    let report = report_for(&with_more, date(2024, 6, 10), Granularity::Year);
    let mrs = hospital(&report, "mrs_0_2_3m", "UNN-TRO");
    assert_eq!((mrs.numerator, mrs.denominator), (Some(3), 5));
    assert!(close(mrs.value, 0.6));
    assert_eq!(mrs.level, None, "an outcome is shown without colour");
    assert!(mrs.ci_low.is_some());
}

#[test]
fn thrombectomy_indicators_count_for_the_thrombectomy_centre() {
    let docs = vec![
        evt_direct(45, "2b"),
        evt_direct(60, "3"),
        evt_direct(75, "2a"),
        evt_direct(95, "2c"),
        evt_direct(120, "1"),
        // In-hospital stroke: not in door to groin, but in reperfusion.
        edit(
            evt_direct(30, "3"),
            &[
                ("stroke_location", json!("in_hospital")),
                ("onset_time", json!("2024-03-12T09:05+01:00")),
            ],
        ),
        // Groin puncture with an unknown clock time: not in door to groin.
        edit(evt_direct(50, "3"), &[("groin_puncture_time", json!("2024-03-12"))]),
        // Complications.
        edit(evt_direct(80, "2b"), &[("evt_sich", json!(true))]),
        edit(evt_direct(85, "2b"), &[("ent", json!(true))]),
        // Drip and ship, registered at the primary hospital: counts for UNN-TRO too.
        evt_transfer("FIN-HAM", "FIN-HAM", 70),
    ];
    let report = report(&docs);
    // Door to groin, direct and known: 45, 60, 75, 95, 120, 80, 85.
    let dtg = hospital(&report, "dtg_median", "UNN-TRO");
    assert_eq!(dtg.denominator, 7);
    assert!(close(dtg.value, 80.0) && close(dtg.q1, 67.5) && close(dtg.q3, 90.0));
    assert_eq!(dtg.level, Some(Level::Yellow));
    let dtg_90 = hospital(&report, "dtg_90", "UNN-TRO");
    assert_eq!((dtg_90.numerator, dtg_90.denominator), (Some(5), 7));
    assert!(absent(&report, "dtg_median", "FIN-HAM"));
    // mTICI 2b–3 in 2b, 3, 2c, 3, 3, 2b, 2b, 3 of 10.
    let tici = hospital(&report, "tici_2b3", "UNN-TRO");
    assert_eq!((tici.numerator, tici.denominator), (Some(8), 10));
    assert_eq!(tici.level, Some(Level::Green));
    assert!(absent(&report, "tici_2b3", "FIN-HAM"));
    let sich = hospital(&report, "evt_sich", "UNN-TRO");
    assert_eq!((sich.numerator, sich.denominator), (Some(1), 10));
    assert_eq!(sich.level, Some(Level::Red), "10 % is not below 10 %");
    let ent = hospital(&report, "evt_ent", "UNN-TRO");
    assert_eq!((ent.numerator, ent.level), (Some(1), Some(Level::Green)));
}

#[test]
fn door_in_door_out_counts_for_the_primary_hospital() {
    let docs = vec![
        evt_transfer("FIN-HAM", "FIN-HAM", 40),
        evt_transfer("FIN-HAM", "FIN-HAM", 55),
        evt_transfer("FIN-HAM", "UNN-TRO", 65),
        evt_transfer("FIN-HAM", "UNN-TRO", 80),
        evt_transfer("FIN-HAM", "FIN-HAM", 130),
        evt_transfer("FIN-KIR", "UNN-TRO", 100),
        // Departure with an unknown clock time: left out.
        edit(
            evt_transfer("FIN-KIR", "FIN-KIR", 45),
            &[("primary_departure_time", json!("2024-03-12"))],
        ),
        // Direct: no door in, door out.
        evt_direct(60, "3"),
    ];
    let report = report(&docs);
    let ham = hospital(&report, "dido_median", "FIN-HAM");
    assert_eq!(ham.denominator, 5);
    assert!(close(ham.value, 65.0) && close(ham.q1, 55.0) && close(ham.q3, 80.0));
    assert_eq!(ham.level, Some(Level::Yellow));
    let kir = hospital(&report, "dido_median", "FIN-KIR");
    assert_eq!((kir.denominator, kir.low_n, kir.value), (1, true, None));
    assert!(absent(&report, "dido_median", "UNN-TRO"));
    // The trust holds both primary hospitals: 40, 55, 65, 80, 100, 130.
    let trust = result(
        &report,
        "dido_median",
        UnitLevel::Trust,
        "Finnmarkssykehuset HF",
        "2024",
    );
    assert_eq!(trust.denominator, 6);
    assert!(close(trust.value, 72.5));
}

#[test]
fn low_n_hospitals_still_count_in_trust_region_and_nation() {
    let at = |code: &str| edit(no_ivt(), &[("hospital", json!(code))]);
    let mut docs = Vec::new();
    docs.extend((0..3).map(|_| at("UNN-TRO")));
    docs.extend((0..4).map(|_| edit(at("UNN-HAR"), &[("first_ward", json!("other"))])));
    docs.extend((0..6).map(|_| at("FIN-HAM")));
    docs.extend((0..2).map(|_| at("OUS-RH")));
    let report = report(&docs);
    let tro = hospital(&report, "stroke_unit", "UNN-TRO");
    let har = hospital(&report, "stroke_unit", "UNN-HAR");
    assert!(tro.low_n && har.low_n);
    assert_eq!((tro.denominator, har.denominator), (3, 4));
    let ham = hospital(&report, "stroke_unit", "FIN-HAM");
    assert_eq!((ham.numerator, ham.denominator, ham.low_n), (Some(6), 6, false));

    let trust = result(
        &report,
        "stroke_unit",
        UnitLevel::Trust,
        "Universitetssykehuset Nord-Norge HF",
        "2024",
    );
    assert_eq!((trust.numerator, trust.denominator, trust.low_n), (Some(3), 7, false));
    assert!(close(trust.value, 3.0 / 7.0));
    let region = result(&report, "stroke_unit", UnitLevel::Region, "Helse Nord RHF", "2024");
    assert_eq!((region.numerator, region.denominator), (Some(9), 13));
    let south = result(&report, "stroke_unit", UnitLevel::Region, "Helse Sør-Øst RHF", "2024");
    assert!(south.low_n);
    let nation = result(&report, "stroke_unit", UnitLevel::Nation, "Norge", "2024");
    assert_eq!((nation.numerator, nation.denominator), (Some(11), 15));
    assert_eq!(nation.level, Some(Level::Red));
    assert!(absent(&report, "stroke_unit", "FIN-KIR"));
}

#[test]
fn a_registration_at_a_hospital_outside_the_list_counts_for_the_nation_only() {
    let docs: Vec<Doc> = (0..5).map(|_| base()).collect();
    let records = records(&docs);
    let columns = Columns::from_records(stroke(), &records).expect("typed");
    let only_harstad = Units::new(
        "Norge",
        [Hospital {
            code: "UNN-HAR".into(),
            health_trust: "Universitetssykehuset Nord-Norge HF".into(),
            health_region: "Helse Nord RHF".into(),
        }],
    );
    let report = compute(
        stroke(),
        &columns,
        &only_harstad,
        &Query::new(date(2024, 12, 31), Granularity::Year),
    );
    let rows: Vec<_> = report.results.iter().filter(|r| r.indicator == "stroke_unit").collect();
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!((rows[0].level_of_unit, rows[0].denominator), (UnitLevel::Nation, 5));
}

#[test]
fn periods_follow_the_oslo_date_of_arrival() {
    let arriving = |time: &str| {
        edit(
            no_ivt(),
            &[
                ("onset_time", json!(time)),
                ("arrival_time", json!(time)),
                ("imaging_time", Json::Null),
                ("discharge_date", json!("2024-04-10")),
            ],
        )
    };
    let docs = vec![
        // 31 March 00:30 in Oslo is still 30 March in UTC: March, first quarter.
        arriving("2024-03-31T00:30+01:00"),
        arriving("2024-03-31T23:30+02:00"),
        arriving("2024-04-01T00:10+02:00"),
        arriving("2024-04-02T10:00+02:00"),
        // After the report date: not counted.
        edit(
            arriving("2024-04-02T10:00+02:00"),
            &[("arrival_time", json!("2024-04-03T10:00+02:00"))],
        ),
    ];
    let by_month = report_for(&docs, date(2024, 4, 2), Granularity::Month);
    assert_eq!(
        result(&by_month, "swallow", UnitLevel::Hospital, "UNN-TRO", "2024-03").denominator,
        2
    );
    assert_eq!(
        result(&by_month, "swallow", UnitLevel::Hospital, "UNN-TRO", "2024-04").denominator,
        2
    );
    let by_quarter = report_for(&docs, date(2024, 4, 2), Granularity::Quarter);
    assert_eq!(
        result(&by_quarter, "swallow", UnitLevel::Nation, "Norge", "2024-Q1").denominator,
        2
    );
    assert_eq!(
        result(&by_quarter, "swallow", UnitLevel::Nation, "Norge", "2024-Q2").denominator,
        2
    );
    assert_eq!(by_quarter.as_of, "2024-04-02");
}

#[test]
fn an_indicator_counts_from_its_valid_from_date() {
    let early = |doc: Doc| {
        edit(
            doc,
            &[
                ("onset_time", json!("2015-06-01T08:15+02:00")),
                ("arrival_time", json!("2015-06-01T09:05+02:00")),
                ("imaging_time", Json::Null),
                ("groin_puncture_time", json!("2015-06-01T10:05+02:00")),
                ("discharge_date", json!("2015-06-08")),
            ],
        )
    };
    let docs: Vec<Doc> = (0..5).map(|_| early(evt_direct(60, "3"))).collect();
    let report = report_for(&docs, date(2024, 12, 31), Granularity::Year);
    // Thrombectomy indicators apply from 2016; the stroke unit indicator from 2012.
    assert!(absent(&report, "tici_2b3", "UNN-TRO"));
    assert_eq!(
        result(&report, "stroke_unit", UnitLevel::Hospital, "UNN-TRO", "2015").denominator,
        5
    );
}

#[test]
fn a_filter_narrows_every_indicator() {
    let docs = vec![
        base(),
        edit(
            base(),
            &[
                ("national_id", json!(national_id("1960-02-03", false))),
                ("sex", json!("female")),
            ],
        ),
        edit(
            base(),
            &[
                ("national_id", json!(national_id("1961-02-03", false))),
                ("sex", json!("female")),
            ],
        ),
    ];
    let columns = Columns::from_records(stroke(), &records(&docs)).expect("typed");
    let mut query = Query::new(date(2024, 12, 31), Granularity::Year);
    query.filter = Some(check_filter(stroke(), "sex = 'female' AND age BETWEEN 60 AND 69").expect("a condition"));
    let report = compute(stroke(), &columns, &units(), &query);
    assert_eq!(
        result(&report, "swallow", UnitLevel::Nation, "Norge", "2024").denominator,
        2
    );
    assert!(
        check_filter(stroke(), "age")
            .unwrap_err()
            .contains("must be a condition")
    );
    assert!(
        check_filter(stroke(), "sexx = 'female'")
            .unwrap_err()
            .contains("unknown variable")
    );
}

#[test]
fn the_json_has_the_documented_shape() {
    let docs: Vec<Doc> = (0..5)
        .map(|_| base())
        .chain([edit(
            base(),
            &[("hospital", json!("OUS-RH")), ("ivt_hospital", json!("OUS-RH"))],
        )])
        .collect();
    let report = report(&docs);
    let json = serde_json::to_value(&report).expect("serialisable");
    assert_eq!(json["register"], "stroke");
    assert_eq!(json["as_of"], "2024-12-31");
    let first = &json["results"][0];
    assert_eq!(
        first.as_object().expect("object").keys().collect::<Vec<_>>(),
        [
            "indicator",
            "level_of_unit",
            "unit",
            "period",
            "numerator",
            "denominator",
            "value",
            "ci_low",
            "ci_high",
            "q1",
            "q3",
            "level",
            "low_n"
        ]
    );
    assert_eq!(first["indicator"], "stroke_unit");
    assert_eq!(first["level_of_unit"], "hospital");
    assert_eq!(first["unit"], "UNN-TRO");
    assert_eq!(first["period"], "2024");
    assert_eq!(first["numerator"], 5);
    assert_eq!(first["value"], 1.0);
    assert_eq!(first["level"], "green");
    assert_eq!(first["q1"], Json::Null);
    let low = json["results"]
        .as_array()
        .expect("array")
        .iter()
        .find(|r| r["unit"] == "OUS-RH")
        .expect("OUS-RH");
    assert_eq!(low["low_n"], true);
    assert_eq!(
        (&low["numerator"], &low["value"], &low["level"]),
        (&Json::Null, &Json::Null, &Json::Null)
    );
    let levels: BTreeSet<&str> = json["results"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|r| r["level_of_unit"].as_str())
        .collect();
    assert_eq!(levels, BTreeSet::from(["hospital", "nation", "region", "trust"]));
    let back: Report = serde_json::from_value(json).expect("reads back");
    assert_eq!(back, report);
}

#[test]
fn derived_columns_equal_the_row_derivation() {
    let docs = [
        door_to_needle_docs(),
        vec![evt_transfer("FIN-HAM", "FIN-HAM", 70), evt_direct(50, "2b")],
    ]
    .concat();
    let records = records(&docs);
    let columns = Columns::from_records(stroke(), &records).expect("typed");
    for derived in &stroke().derived {
        let column = columns.get(&derived.name).expect("a derived column");
        for (i, record) in records.iter().enumerate() {
            assert_eq!(
                column.value(i),
                stroke().derive(record).get(&derived.name).cloned(),
                "{} of record {i}",
                derived.name
            );
        }
    }
}

/// The follower's columns: a registration changed after it was added is appended again and
/// its old row marked dead; the report counts the live rows only, as a report built from the
/// current registrations does, before and after compaction (awards too).
#[test]
fn dead_rows_are_not_counted_and_compaction_changes_nothing() {
    let mut docs = door_to_needle_docs();
    docs.extend((0..6).map(|_| edit(no_ivt(), &[("hospital", json!("FIN-HAM"))])));
    // Registrations 0 and 3 as they are after an update (now at FIN-KIR and OUS-RH).
    docs.push(edit(no_ivt(), &[("hospital", json!("FIN-KIR"))]));
    docs.push(edit(no_ivt(), &[("hospital", json!("OUS-RH"))]));
    let records = records(&docs);
    let first = Columns::from_records(stroke(), &records[..10]).expect("typed");
    let batch = Columns::from_records(stroke(), &records[10..]).expect("typed");
    // Rows 0 and 3 changed (appended again as rows 16 and 17), row 11 went back to draft.
    let followed = first.appended(&batch, &[0, 3, 11]).expect("one register");
    assert_eq!(
        (followed.len(), followed.live_count(), followed.dead_count()),
        (18, 15, 3)
    );

    let current: Vec<Record> = records
        .iter()
        .enumerate()
        .filter(|(row, _)| ![0, 3, 11].contains(row))
        .map(|(_, record)| record.clone())
        .collect();
    let fresh = Columns::from_records(stroke(), &current).expect("typed");
    let query = Query::new(date(2024, 12, 31), Granularity::Quarter);
    let expected = compute(stroke(), &fresh, &units(), &query);
    assert_eq!(
        hospital(
            &report_for(&docs, date(2024, 12, 31), Granularity::Year),
            "dtn_30",
            "UNN-TRO"
        )
        .denominator,
        5
    );
    let dtn = |report: &Report| result(report, "dtn_30", UnitLevel::Hospital, "UNN-TRO", "2024-Q1").denominator;
    assert_eq!(dtn(&expected), 3, "two of the five in the denominator changed");
    assert_eq!(compute(stroke(), &followed, &units(), &query), expected);
    let compacted = followed.compacted();
    assert_eq!((compacted.len(), compacted.dead_count()), (15, 0));
    assert_eq!(compute(stroke(), &compacted, &units(), &query), expected);
    let as_of = date(2024, 12, 31);
    let awards = kvalreg_analytics::awards(stroke(), &fresh, &units(), as_of).expect("awards");
    assert_eq!(
        kvalreg_analytics::awards(stroke(), &followed, &units(), as_of).expect("awards"),
        awards
    );

    // Every row dead: nothing is counted.
    let all: Vec<usize> = (0..followed.len()).collect();
    let empty = Columns::from_records(stroke(), &[]).expect("no records");
    let none = followed.appended(&empty, &all).expect("one register");
    assert_eq!(none.live_count(), 0);
    assert!(compute(stroke(), &none, &units(), &query).results.is_empty());
}

/// The follower's columns are chunks: a report (and the award list) over several chunks,
/// with rows marked dead in more than one of them, equals the report over the same live
/// registrations in one chunk, for each granularity and with a filter; compacting the
/// chunks changes nothing.
#[test]
fn a_report_over_several_chunks_equals_the_report_over_one_chunk() {
    let mut docs = door_to_needle_docs();
    docs.extend((0..6).map(|_| edit(no_ivt(), &[("hospital", json!("FIN-HAM"))])));
    docs.push(edit(no_ivt(), &[("hospital", json!("FIN-KIR"))]));
    docs.push(edit(no_ivt(), &[("hospital", json!("OUS-RH"))]));
    let records = records(&docs);
    let columns = |range: std::ops::Range<usize>| Columns::from_records(stroke(), &records[range]).expect("typed");
    let chunks = Chunks::new([columns(0..4), columns(4..9), columns(9..13)]);
    assert_eq!(chunks.chunks().count(), 3);
    // Rows 1 (first chunk), 6 (second) and 14 (the appended batch, joined to the last
    // chunk) dead; the rows of the other chunks are not copied.
    let followed = chunks
        .appended(&columns(13..records.len()), &[6, 1, 14])
        .expect("one register");
    assert_eq!(followed.chunks().count(), 3, "a small batch joins the last chunk");
    assert_eq!(
        (followed.len(), followed.live_count()),
        (records.len(), records.len() - 3)
    );
    let one: Vec<Record> = records
        .iter()
        .enumerate()
        .filter(|(row, _)| ![1, 6, 14].contains(row))
        .map(|(_, record)| record.clone())
        .collect();
    let one = Columns::from_records(stroke(), &one).expect("typed");
    let as_of = date(2024, 12, 31);
    for granularity in [Granularity::Year, Granularity::Quarter, Granularity::Month] {
        for filter in [None, Some("hospital <> 'FIN-HAM'")] {
            let mut query = Query::new(as_of, granularity);
            query.filter = filter.map(|text| check_filter(stroke(), text).expect("a condition"));
            let expected = compute(stroke(), &one, &units(), &query);
            assert!(!expected.results.is_empty());
            assert_eq!(compute_chunks(stroke(), &followed, &units(), &query), expected);
            assert_eq!(
                compute_chunks(stroke(), &followed.compacted(), &units(), &query),
                expected
            );
        }
    }
    assert_eq!(
        awards_of_chunks(stroke(), &followed, &units(), as_of).expect("awards"),
        awards(stroke(), &one, &units(), as_of).expect("awards")
    );
    assert_eq!(followed.compacted().len(), records.len() - 3);
    assert_eq!(
        followed.compacted().live_rows(),
        (0..records.len() - 3).collect::<Vec<_>>()
    );
    assert!(
        compute_chunks(
            stroke(),
            &Chunks::default(),
            &units(),
            &Query::new(as_of, Granularity::Year)
        )
        .results
        .is_empty()
    );
}
