//! The machine-readable indicator results (issue 4, "Machine-readable output"): the shape
//! `kvalreg report indicators --format json` prints and the API serves. Keep it stable:
//! other tools read it.

use kvalreg_core::definition::Level;
use serde::{Deserialize, Serialize};

/// All results of one register at one report date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub register: String,
    /// The report date, `YYYY-MM-DD`.
    pub as_of: String,
    pub results: Vec<IndicatorResult>,
}

/// The level of the unit a result is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitLevel {
    Hospital,
    Trust,
    Region,
    Nation,
}

/// One indicator for one unit and one period. Proportions are fractions (0.42), medians
/// minutes. For a low-N unit (`low_n`), everything but the denominator is null.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorResult {
    pub indicator: String,
    pub level_of_unit: UnitLevel,
    /// The hospital code, or the name of the trust, region or nation.
    pub unit: String,
    /// `2024`, `2024-Q1` or `2024-03`.
    pub period: String,
    /// Registrations meeting the numerator (proportions only).
    pub numerator: Option<u64>,
    pub denominator: u64,
    /// The proportion, or the median.
    pub value: Option<f64>,
    /// The 95 % Wilson score interval (proportions only).
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// The quartiles (medians only).
    pub q1: Option<f64>,
    pub q3: Option<f64>,
    /// Goal attainment; null for an indicator without levels and for low N.
    pub level: Option<Level>,
    /// The denominator is below the indicator's minimum: the value is hidden.
    pub low_n: bool,
}
