//! The patient register's admission file for coverage: read into look-up keys, every bad
//! line refused with its number, field and rule, and nothing returned unless the whole file
//! is good. All national ids are synthetic (Norwegian: 80 added to the month).

use std::collections::BTreeSet;

use jiff::civil::date;
use kvalreg_analytics::Stay;
use kvalreg_analytics::{Hospital, UnitLevel, Units, coverage};
use kvalreg_app::AppError;
use kvalreg_app::coverage::read_patient_register;
use kvalreg_core::identity::IdentityKeys;

fn hospitals() -> BTreeSet<String> {
    ["UNN-TRO", "FIN-HAM"].iter().map(|c| c.to_string()).collect()
}

#[test]
fn a_good_file_gives_look_up_keys_and_dates() {
    let keys = IdentityKeys::generate().expect("keys");
    let text = "national_id,hospital,admission_date\n\
                17855000172,UNN-TRO,2024-03-12\n\
                \u{20}01926000183 , FIN-HAM , 31.12.2024\n";
    let stays = read_patient_register(text, &hospitals(), &keys).expect("a good file");
    assert_eq!(
        stays,
        vec![
            Stay {
                person: keys.lookup_key("17855000172"),
                hospital: "UNN-TRO".into(),
                date: date(2024, 3, 12),
            },
            Stay {
                person: keys.lookup_key("01926000183"),
                hospital: "FIN-HAM".into(),
                date: date(2024, 12, 31),
            },
        ]
    );
    assert!(
        stays
            .iter()
            .all(|s| !s.person.contains("1785500") && s.person.len() == 64)
    );
    // Columns in another order read the same.
    let reordered = "admission_date,hospital,national_id\n2024-03-12,UNN-TRO,17855000172\n";
    assert_eq!(
        read_patient_register(reordered, &hospitals(), &keys).expect("good")[0],
        stays[0]
    );
}

#[test]
fn every_bad_line_is_named_and_nothing_is_returned() {
    let keys = IdentityKeys::generate().expect("keys");
    let text = "national_id,hospital,admission_date\n\
                17855000172,UNN-TRO,2024-03-12\n\
                17855000173,UNN-TRO,2024-03-12\n\
                17855000253,XXX,2024-02-30\n\
                01926000264,FIN-HAM,\n";
    let Err(AppError::ImportRefused { problems, total_lines }) = read_patient_register(text, &hospitals(), &keys)
    else {
        panic!("the file should be refused");
    };
    assert_eq!(total_lines, 5);
    let named: Vec<(usize, &str, &str)> = problems
        .iter()
        .map(|p| (p.line, p.field.as_str(), p.rule.as_str()))
        .collect();
    assert_eq!(
        named,
        vec![
            (3, "national_id", "check_digit_2"),
            (4, "hospital", "hospital_code"),
            (4, "admission_date", "date"),
            (5, "admission_date", "date"),
        ]
    );
    assert!(
        problems
            .iter()
            .all(|p| !p.message_nb.is_empty() && !p.message_en.is_empty())
    );
    assert!(problems[1].message_en.contains("XXX"));
}

#[test]
fn a_header_without_the_columns_is_refused() {
    let keys = IdentityKeys::generate().expect("keys");
    let Err(AppError::ImportRefused { problems, .. }) =
        read_patient_register("fnr,hospital,hospital\n", &hospitals(), &keys)
    else {
        panic!("refused");
    };
    let named: Vec<(usize, &str, &str)> = problems
        .iter()
        .map(|p| (p.line, p.field.as_str(), p.rule.as_str()))
        .collect();
    assert_eq!(
        named,
        vec![
            (1, "fnr", "unknown_column"),
            (1, "hospital", "duplicate_column"),
            (1, "national_id", "missing_column"),
            (1, "admission_date", "missing_column"),
        ]
    );
}

#[test]
fn the_file_links_with_registrations_keyed_the_same_way() {
    let keys = IdentityKeys::generate().expect("keys");
    let text = "national_id,hospital,admission_date\n\
                17855000172,UNN-TRO,2024-03-12\n\
                01926000183,UNN-TRO,2024-03-20\n";
    let admissions = read_patient_register(text, &hospitals(), &keys).expect("good");
    // The register holds the first person, arriving a day after the admission date.
    let registrations = [Stay {
        person: keys.lookup_key("17855000172"),
        hospital: "UNN-TRO".into(),
        date: date(2024, 3, 13),
    }];
    let units = Units::new(
        "Norge",
        [Hospital {
            code: "UNN-TRO".into(),
            health_trust: "UNN HF".into(),
            health_region: "Helse Nord RHF".into(),
        }],
    );
    let results = coverage(&registrations, &admissions, &units);
    let hospital = results
        .iter()
        .find(|r| r.level_of_unit == UnitLevel::Hospital)
        .expect("a hospital line");
    assert_eq!(
        (hospital.matched, hospital.register_only, hospital.patient_register_only),
        (1, 0, 1)
    );
    assert_eq!(hospital.coverage, 0.5);
    assert!(hospital.low_coverage);
}
