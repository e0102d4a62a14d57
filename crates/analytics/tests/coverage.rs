//! Coverage against hand-computed small cases: the ±3-day window (3 days in, 4 out), the
//! same person twice in a year, an admission at another hospital, a year boundary, the 60 %
//! flag and the roll-ups. Persons are made-up look-up keys.

use jiff::civil::date;
use kvalreg_analytics::{CoverageResult, Hospital, Stay, UnitLevel, Units, coverage, link};

fn units() -> Units {
    Units::new(
        "Norge",
        [
            ("A", "Trust 1", "Region 1"),
            ("B", "Trust 1", "Region 1"),
            ("C", "Trust 2", "Region 2"),
        ]
        .iter()
        .map(|(code, trust, region)| Hospital {
            code: code.to_string(),
            health_trust: trust.to_string(),
            health_region: region.to_string(),
        }),
    )
}

fn stay(person: &str, hospital: &str, ymd: (i16, i8, i8)) -> Stay {
    Stay {
        person: person.to_string(),
        hospital: hospital.to_string(),
        date: date(ymd.0, ymd.1, ymd.2),
    }
}

fn find<'a>(results: &'a [CoverageResult], level: UnitLevel, unit: &str, year: i32) -> &'a CoverageResult {
    results
        .iter()
        .find(|r| r.level_of_unit == level && r.unit == unit && r.year == year)
        .unwrap_or_else(|| panic!("no result for {unit} {year}: {results:#?}"))
}

/// (matched, register only, patient register only)
fn counts(r: &CoverageResult) -> (u64, u64, u64) {
    (r.matched, r.register_only, r.patient_register_only)
}

#[test]
fn three_days_apart_match_and_four_do_not() {
    let registrations = [
        stay("p1", "A", (2024, 3, 10)),
        stay("p2", "A", (2024, 3, 10)),
        stay("p3", "A", (2024, 3, 10)),
        stay("p4", "A", (2024, 3, 10)),
    ];
    let admissions = [
        stay("p1", "A", (2024, 3, 13)), // 3 days after: in
        stay("p2", "A", (2024, 3, 14)), // 4 days after: out
        stay("p3", "A", (2024, 3, 7)),  // 3 days before: in
        stay("p4", "A", (2024, 3, 6)),  // 4 days before: out
    ];
    let mut pairs = link(&registrations, &admissions).pairs;
    pairs.sort_unstable();
    assert_eq!(pairs, vec![(0, 0), (2, 2)]);
    let results = coverage(&registrations, &admissions, &units());
    let a = find(&results, UnitLevel::Hospital, "A", 2024);
    assert_eq!(counts(a), (2, 2, 2));
    assert_eq!(a.coverage, 4.0 / 6.0);
    assert!(!a.low_coverage);
}

#[test]
fn the_same_person_twice_in_a_year_is_matched_closest_first_and_one_to_one() {
    let registrations = [
        stay("p1", "A", (2024, 5, 1)),
        stay("p1", "A", (2024, 5, 4)),
        stay("p1", "A", (2024, 9, 20)),
    ];
    // 3 May is 2 days from the first registration and 1 from the second: it goes to the
    // second. 20 and 21 September: one registration takes one of them, the other is left.
    let admissions = [
        stay("p1", "A", (2024, 5, 3)),
        stay("p1", "A", (2024, 9, 21)),
        stay("p1", "A", (2024, 9, 20)),
    ];
    let mut pairs = link(&registrations, &admissions).pairs;
    pairs.sort_unstable();
    assert_eq!(pairs, vec![(1, 0), (2, 2)]);
    let results = coverage(&registrations, &admissions, &units());
    let a = find(&results, UnitLevel::Hospital, "A", 2024);
    assert_eq!(counts(a), (2, 1, 1));
    assert_eq!(a.coverage, 0.75);
}

#[test]
fn an_admission_at_another_hospital_does_not_match() {
    let registrations = [stay("p1", "A", (2024, 6, 1))];
    let admissions = [stay("p1", "B", (2024, 6, 1))];
    assert!(link(&registrations, &admissions).pairs.is_empty());
    let results = coverage(&registrations, &admissions, &units());
    assert_eq!(counts(find(&results, UnitLevel::Hospital, "A", 2024)), (0, 1, 0));
    let b = find(&results, UnitLevel::Hospital, "B", 2024);
    assert_eq!(counts(b), (0, 0, 1));
    assert_eq!(b.coverage, 0.0);
    assert!(b.low_coverage);
    // Both hospitals are in Trust 1: one registration of two strokes.
    let trust = find(&results, UnitLevel::Trust, "Trust 1", 2024);
    assert_eq!(counts(trust), (0, 1, 1));
    assert_eq!(trust.coverage, 0.5);
}

#[test]
fn a_pair_across_new_year_counts_in_the_registrations_year() {
    let registrations = [stay("p1", "C", (2024, 12, 31))];
    let admissions = [stay("p1", "C", (2025, 1, 2)), stay("p2", "C", (2025, 1, 5))];
    let results = coverage(&registrations, &admissions, &units());
    let c2024 = find(&results, UnitLevel::Hospital, "C", 2024);
    assert_eq!(counts(c2024), (1, 0, 0));
    assert_eq!(c2024.coverage, 1.0);
    let c2025 = find(&results, UnitLevel::Hospital, "C", 2025);
    assert_eq!(counts(c2025), (0, 0, 1));
    assert!(c2025.low_coverage);
}

#[test]
fn sixty_percent_is_not_low_and_below_is() {
    // A: 3 matched, 2 only in the patient register = 3/5 = 60 %.
    // B: 1 matched, 1 register only, 2 only in the patient register = 2/4 = 50 %.
    // C: 5 matched, 4 only in the patient register = 5/9 = 55.6 %.
    let mut registrations = Vec::new();
    let mut admissions = Vec::new();
    for i in 0..3 {
        registrations.push(stay(&format!("a{i}"), "A", (2024, 2, 1)));
        admissions.push(stay(&format!("a{i}"), "A", (2024, 2, 2)));
    }
    admissions.push(stay("a8", "A", (2024, 2, 2)));
    admissions.push(stay("a9", "A", (2024, 2, 2)));
    registrations.push(stay("b0", "B", (2024, 2, 1)));
    admissions.push(stay("b0", "B", (2024, 2, 1)));
    registrations.push(stay("b1", "B", (2024, 2, 1)));
    admissions.push(stay("b8", "B", (2024, 2, 1)));
    admissions.push(stay("b9", "B", (2024, 2, 1)));
    for i in 0..5 {
        registrations.push(stay(&format!("c{i}"), "C", (2024, 2, 1)));
        admissions.push(stay(&format!("c{i}"), "C", (2024, 2, 1)));
    }
    for i in 5..9 {
        admissions.push(stay(&format!("c{i}"), "C", (2024, 2, 1)));
    }
    // A hospital missing from the list counts for the nation only.
    registrations.push(stay("x0", "ZZZ", (2024, 2, 1)));

    let results = coverage(&registrations, &admissions, &units());
    let a = find(&results, UnitLevel::Hospital, "A", 2024);
    assert_eq!((counts(a), a.coverage, a.low_coverage), ((3, 0, 2), 0.6, false));
    let b = find(&results, UnitLevel::Hospital, "B", 2024);
    assert_eq!((counts(b), b.coverage, b.low_coverage), ((1, 1, 2), 0.5, true));
    let c = find(&results, UnitLevel::Hospital, "C", 2024);
    assert_eq!((counts(c), c.low_coverage), ((5, 0, 4), true));
    assert_eq!(c.coverage, 5.0 / 9.0);
    // Trust 1 = A + B: 4 + 1 of 9 = 5/9. Region 2 = C. Nation adds ZZZ's registration.
    assert_eq!(counts(find(&results, UnitLevel::Trust, "Trust 1", 2024)), (4, 1, 4));
    assert_eq!(counts(find(&results, UnitLevel::Region, "Region 2", 2024)), (5, 0, 4));
    let nation = find(&results, UnitLevel::Nation, "Norge", 2024);
    assert_eq!(counts(nation), (9, 2, 8));
    assert_eq!(nation.coverage, 11.0 / 19.0);
    assert!(nation.low_coverage);
    // No result line for ZZZ, and the order is hospitals, trusts, regions, nation.
    let order: Vec<(UnitLevel, &str)> = results.iter().map(|r| (r.level_of_unit, r.unit.as_str())).collect();
    assert_eq!(
        order,
        vec![
            (UnitLevel::Hospital, "A"),
            (UnitLevel::Hospital, "B"),
            (UnitLevel::Hospital, "C"),
            (UnitLevel::Trust, "Trust 1"),
            (UnitLevel::Trust, "Trust 2"),
            (UnitLevel::Region, "Region 1"),
            (UnitLevel::Region, "Region 2"),
            (UnitLevel::Nation, "Norge"),
        ]
    );
}
