//! The synthetic stroke data is valid for the shipped register, realistic in its case mix,
//! made of synthetic test ids only, and the same for the same seed.

mod common;

use std::collections::BTreeSet;

use kvalreg_app::reference_hospitals;
use kvalreg_core::national_id;
use kvalreg_core::validation::{Context, Stage};
use kvalreg_core::value::{Moment, Value};
use kvalreg_store::Status;
use serde_json::Value as Json;

fn share(count: usize, of: usize) -> f64 {
    count as f64 / of.max(1) as f64
}

#[test]
fn every_synthetic_registration_passes_its_stage_and_the_mix_is_realistic() {
    let register = common::stroke();
    let hospitals = reference_hospitals();
    let codes: BTreeSet<String> = hospitals.iter().map(|h| h.code.clone()).collect();
    let ctx = Context { hospitals: &codes };
    let set = common::synthetic_set(10, 1);
    assert!(set.len() > 2_000, "{}", set.len());

    let (mut drafts, mut i63, mut i61, mut ivt, mut evt, mut transfers, mut died) = (0, 0, 0, 0, 0, 0, 0);
    let (mut date_only, mut unknown_nihss, mut fu_done, mut warnings) = (0, 0, 0, 0);
    let mut ages = Vec::new();
    let mut door_to_needle = Vec::new();
    for (doc, status) in &set {
        let record = register
            .parse_document(doc, &ctx)
            .unwrap_or_else(|f| panic!("{f:?}\n{doc:?}"));
        let stage = if *status == Status::Draft {
            Stage::Draft
        } else {
            Stage::Complete
        };
        let findings = register.validate(&record, stage, &ctx);
        assert!(findings.errors.is_empty(), "{:?}\n{doc:?}", findings.errors);
        warnings += findings.warnings.len();
        let derived = register.derive(&record);

        let id = doc["national_id"].as_str().expect("id");
        let parsed = national_id::parse(id).expect("valid id");
        assert!(parsed.synthetic, "{id} is not a synthetic test number");
        if let Some(Value::Int(age)) = derived.get("age") {
            assert!(*age >= 18);
            ages.push(*age);
        }
        if let Some(Value::Int(dtn)) = derived.get("door_to_needle") {
            door_to_needle.push(*dtn);
        }
        drafts += usize::from(*status == Status::Draft);
        match doc["diagnosis"].as_str() {
            Some("I63") => i63 += 1,
            Some("I61") => i61 += 1,
            _ => assert_eq!(doc["imaging_modality"], "none"),
        }
        ivt += usize::from(doc["ivt"] == Json::Bool(true));
        if doc["evt"] == Json::Bool(true) {
            evt += 1;
            let centre = doc["evt_hospital"].as_str().expect("EVT hospital");
            assert!(
                hospitals.iter().any(|h| h.code == centre && h.evt_centre),
                "{centre} is no EVT centre"
            );
            transfers += usize::from(doc["evt_pathway"] == "transfer");
        }
        died += usize::from(doc.get("discharge_destination") == Some(&Json::from("died")));
        date_only += usize::from(
            ["onset_time", "imaging_time"]
                .iter()
                .any(|v| matches!(record.get(*v), Some(Value::Datetime(Moment::DateOnly(_))))),
        );
        unknown_nihss += usize::from(record.get("nihss_admission") == Some(&Value::Unknown));
        fu_done += usize::from(doc.get("fu_done") == Some(&Json::Bool(true)));
    }
    let n = set.len();
    assert!((0.80..0.90).contains(&share(i63, n)), "I63 {}", share(i63, n));
    assert!((0.08..0.16).contains(&share(i61, n)), "I61 {}", share(i61, n));
    assert!((0.15..0.25).contains(&share(ivt, i63)), "IVT {}", share(ivt, i63));
    assert!((0.05..0.11).contains(&share(evt, n)), "EVT {}", share(evt, n));
    assert!(transfers > 0 && transfers < evt, "transfers {transfers} of {evt}");
    assert!((0.03..0.07).contains(&share(died, n)), "died {}", share(died, n));
    assert!((0.08..0.14).contains(&share(drafts, n)), "drafts {}", share(drafts, n));
    assert!(date_only > 20 && unknown_nihss > 20 && fu_done > n / 3 && warnings > 0);
    let mean_age = ages.iter().sum::<i64>() as f64 / ages.len() as f64;
    assert!((72.0..78.0).contains(&mean_age), "mean age {mean_age}");
    assert!(
        door_to_needle.iter().all(|m| (20..=90).contains(m)),
        "{door_to_needle:?}"
    );
}

#[test]
fn same_seed_same_data_other_seed_other_data() {
    let first = common::synthetic_set(3, 42);
    assert_eq!(first, common::synthetic_set(3, 42));
    assert_ne!(first, common::synthetic_set(3, 43));
    let ids: BTreeSet<&str> = first
        .iter()
        .filter_map(|(doc, _)| doc["national_id"].as_str())
        .collect();
    assert_eq!(ids.len(), first.len(), "every synthetic person is unique");
}
