//! The annual report (årsrapport) of a register for one year, following the structure of the
//! Norwegian national stroke register's report: summary, register description, results per
//! indicator with the hospital comparison, coverage and completeness, and data quality. The
//! figures are gathered once into [`AnnualReport`]; [`AnnualReport::html`] and
//! [`AnnualReport::pdf`] write the same content in Norwegian bokmål.

mod html;
mod pdf;
mod text;

use std::collections::BTreeSet;
use std::sync::Arc;

use jiff::civil::Date;
use kvalreg_analytics::report::{IndicatorResult, UnitLevel};
use kvalreg_analytics::{CoverageResult, Granularity};
use kvalreg_app::coverage::coverage_of;
use kvalreg_app::indicators::{IndicatorColumns, NATION};
use kvalreg_app::{AppError, Platform};
use kvalreg_core::definition::{Direction, Indicator, Register};
use kvalreg_core::document::UNKNOWN;
use kvalreg_core::validation::Context;
use kvalreg_core::value::Value;
use kvalreg_store::{Filter, Hospital, Scope, Status};
use serde_json::Value as Json;

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    App(#[from] AppError),
    #[error("the year {0} is outside the calendar")]
    Year(i16),
}

/// Registrations read per page.
const PAGE: u32 = 5000;

/// Everything the annual report shows, gathered from the platform.
#[derive(Debug, Clone)]
pub struct AnnualReport {
    pub register_id: String,
    /// The register's title in bokmål.
    pub register_title: String,
    pub year: i16,
    /// The day the report was made.
    pub made: Date,
    pub description: Description,
    /// The year's registrations (period date in the year) by status.
    pub counts: StatusCounts,
    /// Hospitals with at least one registration (any status) in the year.
    pub hospitals_registering: usize,
    pub indicators: Vec<IndicatorSection>,
    pub coverage: Coverage,
    /// Missing values of the variables the indicators are computed from.
    pub quality: Vec<VariableQuality>,
}

/// What the register is, from its definition.
#[derive(Debug, Clone)]
pub struct Description {
    pub forms: Vec<FormSummary>,
    /// Entered variables.
    pub variables: usize,
    /// Values computed from the entered ones.
    pub derived: usize,
    /// The labels of the `inclusion_criterion` code list, when the register has one.
    pub inclusion: Vec<String>,
    /// The diagnoses (`code label`) of the `diagnosis` code list, when the register has one.
    pub diagnoses: Vec<String>,
}

/// A form's title and its sections' titles (bokmål).
#[derive(Debug, Clone)]
pub struct FormSummary {
    pub title: String,
    pub sections: Vec<String>,
}

/// Registrations by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatusCounts {
    pub draft: u64,
    pub complete: u64,
    pub locked: u64,
}

impl StatusCounts {
    /// The registrations the indicators count (complete and locked).
    pub fn counted(&self) -> u64 {
        self.complete + self.locked
    }

    pub fn total(&self) -> u64 {
        self.draft + self.complete + self.locked
    }
}

/// One indicator's results for the year.
#[derive(Debug, Clone)]
pub struct IndicatorSection {
    pub indicator: Indicator,
    /// The labels of the entered variables its conditions use (through derived values too).
    pub variables: Vec<String>,
    pub national: Option<IndicatorResult>,
    /// Hospitals with a result: those with a value best first, then low N by code.
    pub hospitals: Vec<HospitalResult>,
}

/// One hospital's result.
#[derive(Debug, Clone)]
pub struct HospitalResult {
    pub code: String,
    pub name: String,
    pub result: IndicatorResult,
}

/// Coverage against the patient register, when its admissions were given.
#[derive(Debug, Clone)]
pub enum Coverage {
    NotImported,
    Imported {
        hospitals: Vec<(String, String, CoverageResult)>,
        national: Option<CoverageResult>,
    },
}

/// Whether a variable must be filled in for a registration to be completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    Always,
    /// When a condition holds.
    When,
    Optional,
}

/// Completeness of one variable over the year's registrations where it applies (its show
/// conditions hold and it is in use at the period date).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableQuality {
    pub name: String,
    pub label: String,
    /// How the definition requires it.
    pub required: Requirement,
    pub applies: u64,
    pub missing: u64,
    /// Registered as the explicit "unknown".
    pub unknown: u64,
}

/// Gathers the annual report of `register` for `year`: indicators as of 31 December of the
/// year, registrations counted by the Europe/Oslo date of their period variable, and
/// coverage when the patient register's admissions (CSV, see `kvalreg report coverage`) are
/// given.
pub async fn gather(
    platform: Arc<Platform>,
    register: &str,
    year: i16,
    patient_register_csv: Option<&str>,
) -> Result<AnnualReport, ReportError> {
    let definition = platform.register(register)?.clone();
    let first = Date::new(year, 1, 1).map_err(|_| ReportError::Year(year))?;
    let last = Date::new(year, 12, 31).map_err(|_| ReportError::Year(year))?;
    let hospitals = platform.store.hospitals().await.map_err(AppError::from)?;
    let period = year.to_string();

    let columns = IndicatorColumns::load(Arc::clone(&platform)).await?;
    let report = columns.report(register, last, Granularity::Year, None).await?;
    let in_year: Vec<&IndicatorResult> = report.results.iter().filter(|r| r.period == period).collect();
    let indicators = definition
        .indicators
        .iter()
        .map(|indicator| indicator_section(&definition, indicator, &in_year, &hospitals))
        .collect();

    let coverage = match patient_register_csv {
        None => Coverage::NotImported,
        Some(csv) => {
            let results = coverage_of(&platform, register, csv).await?;
            let of_year = |r: &&CoverageResult| r.year == i32::from(year);
            let national = results
                .iter()
                .filter(of_year)
                .find(|r| r.level_of_unit == UnitLevel::Nation)
                .cloned();
            let by_hospital = results
                .iter()
                .filter(of_year)
                .filter(|r| r.level_of_unit == UnitLevel::Hospital)
                .map(|r| (r.unit.clone(), hospital_name(&hospitals, &r.unit), r.clone()))
                .collect();
            Coverage::Imported {
                hospitals: by_hospital,
                national,
            }
        }
    };

    let codes: BTreeSet<String> = hospitals.iter().map(|h| h.code.clone()).collect();
    let year_data = read_year(&platform, &definition, &codes, first, last).await?;

    Ok(AnnualReport {
        register_id: definition.id.clone(),
        register_title: definition.title.nb.clone(),
        year,
        made: kvalreg_core::time::oslo_date(&kvalreg_core::value::Moment::At(jiff::Timestamp::now())),
        description: describe(&definition),
        counts: year_data.counts,
        hospitals_registering: year_data.hospitals,
        indicators,
        coverage,
        quality: year_data.quality,
    })
}

fn hospital_name(hospitals: &[Hospital], code: &str) -> String {
    hospitals
        .iter()
        .find(|h| h.code == code)
        .map_or_else(|| code.to_string(), |h| h.name.clone())
}

fn indicator_section(
    register: &Register,
    indicator: &Indicator,
    results: &[&IndicatorResult],
    hospitals: &[Hospital],
) -> IndicatorSection {
    let mine = results.iter().filter(|r| r.indicator == indicator.id);
    let national = mine
        .clone()
        .find(|r| r.level_of_unit == UnitLevel::Nation && r.unit == NATION)
        .map(|r| (*r).clone());
    let mut shown: Vec<HospitalResult> = mine
        .filter(|r| r.level_of_unit == UnitLevel::Hospital)
        .map(|r| HospitalResult {
            code: r.unit.clone(),
            name: hospital_name(hospitals, &r.unit),
            result: (*r).clone(),
        })
        .collect();
    let higher = indicator.direction == Direction::Higher;
    shown.sort_by(|a, b| match (a.result.value, b.result.value) {
        (Some(x), Some(y)) => {
            let order = if higher { y.total_cmp(&x) } else { x.total_cmp(&y) };
            order.then_with(|| a.code.cmp(&b.code))
        }
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.code.cmp(&b.code),
    });
    let variables = indicator_variables(register, indicator)
        .iter()
        .filter_map(|name| register.variable(name).map(|v| v.label.nb.clone()))
        .collect();
    IndicatorSection {
        indicator: indicator.clone(),
        variables,
        national,
        hospitals: shown,
    }
}

/// The entered variables an indicator's denominator, numerator or value use, directly or
/// through derived values, in order of first use.
pub fn indicator_variables(register: &Register, indicator: &Indicator) -> Vec<String> {
    let mut expressions = vec![&indicator.denominator];
    match &indicator.kind {
        kvalreg_core::definition::IndicatorKind::Proportion { numerator } => expressions.push(numerator),
        kvalreg_core::definition::IndicatorKind::Median { value } => expressions.push(value),
    }
    let mut out: Vec<String> = Vec::new();
    let mut pending: Vec<String> = expressions
        .iter()
        .flat_map(|e| e.expr.variables())
        .map(str::to_string)
        .collect();
    pending.reverse();
    let mut seen = BTreeSet::new();
    while let Some(name) = pending.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if register.variable(&name).is_some() {
            out.push(name);
        } else if let Some(derived) = register.derived_variable(&name) {
            let mut inner: Vec<String> = derived
                .expression
                .expr
                .variables()
                .into_iter()
                .map(str::to_string)
                .collect();
            inner.reverse();
            pending.extend(inner);
        }
    }
    out
}

fn describe(register: &Register) -> Description {
    let labels = |list: &str, with_code: bool| -> Vec<String> {
        register.code_lists.get(list).map_or_else(Vec::new, |l| {
            l.codes
                .iter()
                .map(|c| {
                    if with_code && !c.label.nb.starts_with(&c.code) {
                        format!("{} {}", c.code, c.label.nb)
                    } else {
                        c.label.nb.clone()
                    }
                })
                .collect()
        })
    };
    Description {
        forms: register
            .forms
            .iter()
            .map(|f| FormSummary {
                title: f.title.nb.clone(),
                sections: f.sections.iter().map(|s| s.title.nb.clone()).collect(),
            })
            .collect(),
        variables: register.variables().count(),
        derived: register.derived.len(),
        inclusion: labels("inclusion_criterion", false),
        diagnoses: labels("diagnosis", true),
    }
}

/// What one pass over the year's registrations (every status) gives.
struct YearData {
    counts: StatusCounts,
    hospitals: usize,
    quality: Vec<VariableQuality>,
}

async fn read_year(
    platform: &Platform,
    register: &Register,
    codes: &BTreeSet<String>,
    first: Date,
    last: Date,
) -> Result<YearData, ReportError> {
    let ctx = Context { hospitals: codes };
    let mut key: Vec<String> = Vec::new();
    for indicator in &register.indicators {
        for name in indicator_variables(register, indicator) {
            if !key.contains(&name) {
                key.push(name);
            }
        }
    }
    let mut quality: Vec<VariableQuality> = key
        .iter()
        .filter_map(|name| register.variable(name))
        .map(|v| VariableQuality {
            name: v.name.clone(),
            label: v.label.nb.clone(),
            required: match v.required {
                kvalreg_core::definition::Required::Always => Requirement::Always,
                kvalreg_core::definition::Required::When(_) => Requirement::When,
                kvalreg_core::definition::Required::No => Requirement::Optional,
            },
            applies: 0,
            missing: 0,
            unknown: 0,
        })
        .collect();
    let mut counts = StatusCounts::default();
    let mut registering = BTreeSet::new();
    let mut filter = Filter {
        register: register.id.clone(),
        event_from: Some(first),
        event_to: Some(last),
        limit: PAGE,
        ..Filter::default()
    };
    loop {
        let page = platform
            .store
            .list(&Scope::AllHospitals, &filter)
            .await
            .map_err(AppError::from)?;
        let Some(last_id) = page.last().map(|r| r.id) else {
            break;
        };
        for stored in &page {
            match stored.status {
                Status::Draft => counts.draft += 1,
                Status::Complete => counts.complete += 1,
                Status::Locked => counts.locked += 1,
            }
            registering.insert(stored.hospital.clone());
            // What can be read is judged; a value that no longer reads counts as missing.
            let (record, _) = register.read_document(&stored.data, &ctx);
            let period = register.period_date(&record);
            for q in &mut quality {
                let Some(variable) = register.variable(&q.name) else {
                    continue;
                };
                let shown = register
                    .show_conditions(variable)
                    .into_iter()
                    .all(|c| c.expr.eval(&record) == Some(Value::Bool(true)));
                let in_use = period.is_none_or(|date| {
                    variable.introduced.is_none_or(|from| from <= date) && variable.retired.is_none_or(|to| date < to)
                });
                if !shown || !in_use {
                    continue;
                }
                q.applies += 1;
                if q.name == register.person_variable {
                    // The national id is kept apart from the data, protected.
                    if stored.person.is_none() {
                        q.missing += 1;
                    }
                    continue;
                }
                match stored.data.get(&q.name) {
                    None | Some(Json::Null) => q.missing += 1,
                    Some(Json::String(s)) if s.trim().is_empty() => q.missing += 1,
                    Some(Json::String(s)) if s == UNKNOWN && variable.allow_unknown => q.unknown += 1,
                    Some(_) if !record.contains_key(&q.name) => q.missing += 1,
                    Some(_) => {}
                }
            }
        }
        filter.after = Some(last_id);
    }
    Ok(YearData {
        counts,
        hospitals: registering.len(),
        quality,
    })
}
