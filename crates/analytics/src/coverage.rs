//! Coverage (dekningsgrad, domain.md 4): the register's registrations linked person by
//! person with the national patient register's stroke admissions, giving per hospital and
//! year the share of all known strokes the register holds, rolled up to trusts, regions and
//! the nation, with "low coverage" below 60 %. The rules are in docs/indicators.md.

use std::collections::HashMap;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::civil;
use crate::report::UnitLevel;
use crate::units::Units;

/// How far apart (in days, either way) a registration and an admission may be and still be
/// the same stroke.
pub const MATCH_WINDOW_DAYS: i32 = 3;

/// Coverage below this fraction (3/5 = 60 %) is flagged `low_coverage`; compared exactly,
/// in whole numbers.
pub const LOW_COVERAGE: (u64, u64) = (3, 5);

/// One stroke stay, from the register or from the patient register. `person` is the
/// person's look-up key (`IdentityKeys::lookup_key` of the normalized national id), never
/// the clear id; both sides must use the same key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stay {
    pub person: String,
    pub hospital: String,
    /// The admission date (for a registration, the Europe/Oslo date of its arrival).
    pub date: Date,
}

/// The linkage counts and coverage of one unit in one year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoverageResult {
    pub level_of_unit: UnitLevel,
    /// The hospital code, or the name of the trust, region or nation.
    pub unit: String,
    pub year: i32,
    /// Registrations matched with a patient-register admission.
    pub matched: u64,
    /// Registrations with no matching admission.
    pub register_only: u64,
    /// Patient-register admissions with no matching registration.
    pub patient_register_only: u64,
    /// (matched + register_only) ÷ (matched + register_only + patient_register_only).
    pub coverage: f64,
    pub low_coverage: bool,
}

/// Which registration each admission was matched with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Linkage {
    /// Pairs of (registration index, admission index), in the order they were made.
    pub pairs: Vec<(usize, usize)>,
}

/// Links registrations with admissions one to one: a pair must have the same person and the
/// same hospital, and dates at most [`MATCH_WINDOW_DAYS`] apart. Within each person and
/// hospital, candidate pairs are taken closest first (smallest number of days apart), ties
/// broken by the earlier registration date, then the earlier admission date, then input
/// order; a pair is made when neither side is used yet. The result does not depend on the
/// order of the input lists beyond that last tie-break.
pub fn link(registrations: &[Stay], admissions: &[Stay]) -> Linkage {
    // Per person and hospital: its registrations' and its admissions' positions.
    type Group = (Vec<usize>, Vec<usize>);
    let mut by_key: HashMap<(&str, &str), Group> = HashMap::new();
    for (i, stay) in registrations.iter().enumerate() {
        by_key
            .entry((stay.person.as_str(), stay.hospital.as_str()))
            .or_default()
            .0
            .push(i);
    }
    for (j, stay) in admissions.iter().enumerate() {
        by_key
            .entry((stay.person.as_str(), stay.hospital.as_str()))
            .or_default()
            .1
            .push(j);
    }
    let day = |stay: &Stay| civil::day_number(stay.date);
    let mut candidates: Vec<(i32, i32, i32, usize, usize)> = Vec::new();
    for (regs, adms) in by_key.values() {
        for &i in regs {
            for &j in adms {
                let (r, a) = (day(&registrations[i]), day(&admissions[j]));
                let apart = (r - a).abs();
                if apart <= MATCH_WINDOW_DAYS {
                    candidates.push((apart, r, a, i, j));
                }
            }
        }
    }
    candidates.sort_unstable();
    let mut registration_used = vec![false; registrations.len()];
    let mut admission_used = vec![false; admissions.len()];
    let mut pairs = Vec::new();
    for (_, _, _, i, j) in candidates {
        if !registration_used[i] && !admission_used[j] {
            registration_used[i] = true;
            admission_used[j] = true;
            pairs.push((i, j));
        }
    }
    Linkage { pairs }
}

/// Counts of one cell.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    matched: u64,
    register_only: u64,
    patient_register_only: u64,
}

impl Counts {
    fn absorb(&mut self, other: &Counts) {
        self.matched += other.matched;
        self.register_only += other.register_only;
        self.patient_register_only += other.patient_register_only;
    }

    fn total(&self) -> u64 {
        self.matched + self.register_only + self.patient_register_only
    }
}

/// Coverage per hospital, trust, region and nation and year. A matched pair and a
/// registration with no match count in the year and at the hospital of the registration; an
/// unmatched admission in the year and at the hospital of the admission. A hospital missing
/// from `units` counts for the nation only. Results come hospitals, then trusts, regions and
/// the nation (in the order of `units`), years ascending; a unit and year with nothing to
/// count has no result.
pub fn coverage(registrations: &[Stay], admissions: &[Stay], units: &Units) -> Vec<CoverageResult> {
    let linkage = link(registrations, admissions);
    let mut registration_matched = vec![false; registrations.len()];
    let mut admission_matched = vec![false; admissions.len()];
    for &(i, j) in &linkage.pairs {
        registration_matched[i] = true;
        admission_matched[j] = true;
    }
    // Cells by (hospital slot, year); the slot past the last hospital is "not in the list".
    let unknown = units.hospitals().len();
    let slot = |code: &str| units.position(code).unwrap_or(unknown);
    let mut cells: HashMap<(usize, i32), Counts> = HashMap::new();
    for (stay, matched) in registrations.iter().zip(&registration_matched) {
        let cell = cells
            .entry((slot(&stay.hospital), i32::from(stay.date.year())))
            .or_default();
        if *matched {
            cell.matched += 1;
        } else {
            cell.register_only += 1;
        }
    }
    for (stay, matched) in admissions.iter().zip(&admission_matched) {
        if !*matched {
            cells
                .entry((slot(&stay.hospital), i32::from(stay.date.year())))
                .or_default()
                .patient_register_only += 1;
        }
    }
    let mut years: Vec<i32> = cells.keys().map(|&(_, year)| year).collect();
    years.sort_unstable();
    years.dedup();

    let roll_up = |targets: usize, target_of: &dyn Fn(usize) -> Option<usize>| {
        let mut out: HashMap<(usize, i32), Counts> = HashMap::new();
        for (&(slot, year), counts) in &cells {
            if let Some(target) = target_of(slot) {
                out.entry((target, year)).or_default().absorb(counts);
            }
        }
        (targets, out)
    };
    let hospitals = roll_up(unknown, &|s| (s < unknown).then_some(s));
    let trusts = roll_up(units.trusts().len(), &|s| units.trust_of(s));
    let regions = roll_up(units.regions().len(), &|s| units.region_of(s));
    let nation = roll_up(1, &|_| Some(0));
    let names = |level: UnitLevel| -> Vec<String> {
        match level {
            UnitLevel::Hospital => units.hospitals().iter().map(|h| h.code.clone()).collect(),
            UnitLevel::Trust => units.trusts().to_vec(),
            UnitLevel::Region => units.regions().to_vec(),
            UnitLevel::Nation => vec![units.nation().to_string()],
        }
    };
    let mut results = Vec::new();
    for (level, (targets, counted)) in [
        (UnitLevel::Hospital, hospitals),
        (UnitLevel::Trust, trusts),
        (UnitLevel::Region, regions),
        (UnitLevel::Nation, nation),
    ] {
        let names = names(level);
        for target in 0..targets {
            for &year in &years {
                let Some(counts) = counted.get(&(target, year)) else {
                    continue;
                };
                let total = counts.total();
                if total == 0 {
                    continue;
                }
                let coverage = (counts.matched + counts.register_only) as f64 / total as f64;
                results.push(CoverageResult {
                    level_of_unit: level,
                    unit: names.get(target).cloned().unwrap_or_default(),
                    year,
                    matched: counts.matched,
                    register_only: counts.register_only,
                    patient_register_only: counts.patient_register_only,
                    coverage,
                    low_coverage: (counts.matched + counts.register_only) * LOW_COVERAGE.1 < total * LOW_COVERAGE.0,
                });
            }
        }
    }
    results
}
