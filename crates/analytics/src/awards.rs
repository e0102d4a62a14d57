//! Award status per hospital and quarter as the ESO Angels initiative computes it
//! (domain.md 4): gold, platinum or diamond from door-to-needle, door-to-groin, dysphagia
//! screening and discharge treatment, over the same denominators as the register's own
//! indicators. The rules are in docs/indicators.md, section "Awards".

use std::collections::BTreeMap;

use arrow_array::Array;
use jiff::civil::Date;
use kvalreg_core::definition::{Indicator, IndicatorKind, REPORT_DATE, Register};
use kvalreg_core::value::Value;
use serde::{Deserialize, Serialize};

use crate::chunks::Chunks;
use crate::civil;
use crate::columns::Columns;
use crate::eval::{Parameters, evaluate};
use crate::period::Granularity;
use crate::units::Units;
use crate::vector::Vector;

/// A hospital needs at least this many patients in the quarter for any award.
pub const MINIMUM_PATIENTS: u64 = 30;

/// The award a hospital earns in a quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AwardLevel {
    None,
    Gold,
    Platinum,
    Diamond,
}

/// One criterion's figures: the share of its denominator meeting it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Criterion {
    /// `dtn_60`, `dtn_45`, `dtg_120`, `dtg_90`, `swallow`, `antithrombotic`, `af_anticoag`.
    pub criterion: String,
    pub numerator: u64,
    pub denominator: u64,
    /// numerator ÷ denominator as a fraction; null when the denominator is 0 (not applicable).
    pub value: Option<f64>,
}

/// The award status of one hospital in one quarter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AwardResult {
    pub hospital: String,
    /// `2024-Q1`.
    pub period: String,
    /// Registrations of the hospital in the quarter.
    pub patients: u64,
    pub criteria: Vec<Criterion>,
    pub level: AwardLevel,
}

/// Where each criterion's denominator comes from and what its numerator is.
enum Source {
    /// A median indicator's rows with a value, the numerator a limit on the value.
    Time {
        indicator: &'static str,
        limit: fn(i64) -> bool,
    },
    /// A proportion indicator, numerator and all.
    Share { indicator: &'static str },
}

const CRITERIA: [(&str, Source); 7] = [
    (
        "dtn_60",
        Source::Time {
            indicator: "dtn_median",
            limit: |m| m < 60,
        },
    ),
    (
        "dtn_45",
        Source::Time {
            indicator: "dtn_median",
            limit: |m| m < 45,
        },
    ),
    (
        "dtg_120",
        Source::Time {
            indicator: "dtg_median",
            limit: |m| m <= 120,
        },
    ),
    (
        "dtg_90",
        Source::Time {
            indicator: "dtg_median",
            limit: |m| m <= 90,
        },
    ),
    ("swallow", Source::Share { indicator: "swallow" }),
    (
        "antithrombotic",
        Source::Share {
            indicator: "antithrombotic",
        },
    ),
    (
        "af_anticoag",
        Source::Share {
            indicator: "af_anticoag",
        },
    ),
];

/// A hospital's quarter: its patients and each criterion's (numerator, denominator).
type Cell = (u64, [(u64, u64); CRITERIA.len()]);

/// Award status per hospital (in the order of `units`) and quarter (ascending), for every
/// hospital and quarter with at least one registration. Registrations count in the quarter
/// of their period date, up to `as_of`. Each criterion counts for the unit its indicator
/// names (door to groin: the EVT centre) and from the indicator's `valid_from`. Refused when
/// the register lacks one of the indicators the criteria use.
pub fn awards(register: &Register, columns: &Columns, units: &Units, as_of: Date) -> Result<Vec<AwardResult>, String> {
    let mut cells = BTreeMap::new();
    count(register, columns, units, as_of, &mut cells)?;
    Ok(results(units, cells))
}

/// As [`awards`], over the rows of every chunk (counted chunk by chunk into the same cells).
pub fn awards_of_chunks(
    register: &Register,
    chunks: &Chunks,
    units: &Units,
    as_of: Date,
) -> Result<Vec<AwardResult>, String> {
    let mut cells = BTreeMap::new();
    for columns in chunks.chunks() {
        count(register, columns, units, as_of, &mut cells)?;
    }
    Ok(results(units, cells))
}

/// Counts the rows of `columns` into each hospital's quarter.
fn count(
    register: &Register,
    columns: &Columns,
    units: &Units,
    as_of: Date,
    cells: &mut BTreeMap<(usize, i32), Cell>,
) -> Result<(), String> {
    let parameters = Parameters::default().with(REPORT_DATE, Value::Date(as_of));
    let as_of = civil::day_number(as_of);
    let days = period_days(register, columns);
    let quarter = |row: usize, from: i32| {
        days.get(row)
            .copied()
            .flatten()
            .filter(|&d| d <= as_of && d >= from)
            .map(|d| Granularity::Quarter.period_of(d))
    };
    let hospitals = slots(columns.get(&register.unit_variable), units, columns.len());
    for (row, slot) in hospitals.iter().enumerate() {
        if let (Some(slot), Some(q)) = (slot, quarter(row, i32::MIN)) {
            cells.entry((*slot, q)).or_default().0 += 1;
        }
    }
    for (c, (_, source)) in CRITERIA.iter().enumerate() {
        let id = match source {
            Source::Time { indicator, .. } | Source::Share { indicator } => *indicator,
        };
        let indicator = find(register, id)?;
        let denominator = evaluate(&indicator.denominator.expr, columns, &parameters).true_mask();
        let unit = evaluate(&indicator.unit.expr, columns, &parameters);
        let unit = slots(Some(&unit), units, columns.len());
        let numerator: Box<dyn Fn(usize) -> Option<bool>> = match (source, &indicator.kind) {
            (Source::Time { limit, .. }, IndicatorKind::Median { value }) => {
                match evaluate(&value.expr, columns, &parameters) {
                    Vector::Int(values) => {
                        let limit = *limit;
                        Box::new(move |row| values.is_valid(row).then(|| limit(values.value(row))))
                    }
                    _ => Box::new(|_| None),
                }
            }
            (Source::Share { .. }, IndicatorKind::Proportion { numerator }) => {
                let mask = evaluate(&numerator.expr, columns, &parameters).true_mask();
                Box::new(move |row| Some(mask.value(row)))
            }
            _ => {
                return Err(format!(
                    "the indicator `{id}` is not of the type the award criterion needs"
                ));
            }
        };
        let from = civil::day_number(indicator.valid_from);
        for row in denominator.set_indices() {
            let (Some(Some(slot)), Some(q)) = (unit.get(row), quarter(row, from)) else {
                continue;
            };
            let Some(met) = numerator(row) else { continue };
            let cell = &mut cells.entry((*slot, q)).or_default().1[c];
            cell.1 += 1;
            cell.0 += u64::from(met);
        }
    }
    Ok(())
}

/// The award status of each hospital's quarter with at least one patient.
fn results(units: &Units, cells: BTreeMap<(usize, i32), Cell>) -> Vec<AwardResult> {
    let mut results = Vec::new();
    for ((slot, q), (patients, counts)) in cells {
        if patients == 0 {
            continue;
        }
        let Some(hospital) = units.hospitals().get(slot) else {
            continue;
        };
        results.push(AwardResult {
            hospital: hospital.code.clone(),
            period: Granularity::Quarter.label(q),
            patients,
            criteria: CRITERIA
                .iter()
                .zip(counts)
                .map(|((name, _), (numerator, denominator))| Criterion {
                    criterion: (*name).to_string(),
                    numerator,
                    denominator,
                    value: (denominator > 0).then(|| numerator as f64 / denominator as f64),
                })
                .collect(),
            level: level(patients, &counts),
        });
    }
    results
}

/// The highest level whose every applicable criterion is met (see docs/indicators.md).
fn level(patients: u64, counts: &[(u64, u64); CRITERIA.len()]) -> AwardLevel {
    if patients < MINIMUM_PATIENTS {
        return AwardLevel::None;
    }
    // At least `percent` % of the denominator, in whole numbers.
    let share = |(numerator, denominator): (u64, u64), percent: u64| numerator * 100 >= denominator * percent;
    let [dtn_60, dtn_45, dtg_120, dtg_90, swallow, antithrombotic, af_anticoag] = *counts;
    let meets = |level: AwardLevel| {
        let (time, both, fast, treatment) = match level {
            AwardLevel::Gold => (50, false, 0, 80),
            AwardLevel::Platinum => (75, false, 0, 85),
            AwardLevel::Diamond | AwardLevel::None => (75, true, 50, 90),
        };
        let times_met = |within: (u64, u64), faster: (u64, u64)| {
            within.1 == 0 || (share(within, time) && (!both || share(faster, fast)))
        };
        times_met(dtn_60, dtn_45)
            && times_met(dtg_120, dtg_90)
            && [swallow, antithrombotic, af_anticoag]
                .into_iter()
                .all(|c| c.1 == 0 || share(c, treatment))
    };
    [AwardLevel::Diamond, AwardLevel::Platinum, AwardLevel::Gold]
        .into_iter()
        .find(|&l| meets(l))
        .unwrap_or(AwardLevel::None)
}

fn find<'a>(register: &'a Register, id: &str) -> Result<&'a Indicator, String> {
    register.indicators.iter().find(|i| i.id == id).ok_or_else(|| {
        format!(
            "award status needs the indicator `{id}`, which the register `{}` does not define",
            register.id
        )
    })
}

/// Each row's period date as a day number (`None` when missing or the row is dead).
fn period_days(register: &Register, columns: &Columns) -> Vec<Option<i32>> {
    let dates = match columns.get(&register.period_variable) {
        Some(Vector::Date(dates)) => dates.clone(),
        Some(Vector::Moment(moments)) => moments.date.clone(),
        _ => return vec![None; columns.len()],
    };
    (0..dates.len())
        .map(|i| (columns.is_live(i) && dates.is_valid(i)).then(|| dates.value(i)))
        .collect()
}

/// Each row's hospital position in `units` (`None` when NULL or not in the list).
fn slots(vector: Option<&Vector>, units: &Units, len: usize) -> Vec<Option<usize>> {
    match vector {
        Some(Vector::Str(strings)) => (0..strings.keys.len())
            .map(|row| strings.get(row).and_then(|code| units.position(code)))
            .collect(),
        _ => vec![None; len],
    }
}
